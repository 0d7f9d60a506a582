// Where the trained predictor packages of the built-in models are found: $FLUXION_PREDICTORS,
// then share/fluxion/predictors beside the installed binary, then models/predictors of
// the source tree the binary was built from.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/learn/flux_predictor.hpp"
#include "fluxion/learn/prediction.hpp"

namespace fluxion::cli {

std::vector<std::string> predictor_directories();
// A package file for a path or a built-in name; empty when there is none.
std::string resolve_predictor(const std::string& name_or_path);
// The built-in names, comma-separated (or "none found").
std::string builtin_predictor_list();

// A package opened with its model: the model as the package names it (or `model_override`),
// checked against the package's hash of its reaction table, its flux space and expansion.
struct OpenedPackage {
  std::string path, model_name;
  FluxPredictor predictor;
  Model model;
  FluxSpace space;
  std::unique_ptr<FluxExpansion> expansion;
  nlohmann::json provenance;  // the package's dataset provenance
};
// The -p/--predictor (required) and -m/--model options of the commands that open a package.
void add_package_options(CLI::App* cmd, std::string& predictor, std::string& model);

// Prints what is wrong and sets exit 2 when the package or its model cannot be used.
std::optional<OpenedPackage> open_predictor_package(const std::string& name_or_path, const std::string& model_override, Context& ctx);

}  // namespace fluxion::cli
