// The options of the commands that open a predictor package (learn/predictor_package.hpp).
#pragma once

#include <optional>
#include <string>

#include "commands.hpp"
#include "fluxion/learn/predictor_package.hpp"

namespace fluxion::cli {

// The -p/--predictor (required) and -m/--model options.
struct PackageArgs {
  std::string predictor, model;
  static const OptionTable<PackageArgs>& table();
};

// The package, or nullopt after printing why it cannot be used (exit 2).
std::optional<learn::PredictorPackage> open_predictor_package(const std::string& name_or_path, const std::string& model_override, Context& ctx);

}  // namespace fluxion::cli
