#include "predictor_packages.hpp"

namespace fluxion::cli {

void add_package_options(CLI::App* cmd, std::string& predictor, std::string& model) {
  cmd->add_option("-p,--predictor", predictor, "Predictor package: a built-in model's name (" + learn::builtin_predictor_list() + ") or a .fluxpkg file")
      ->required()
      ->group("Required");
  cmd->add_option("-m,--model", model, "The package's model (built-in name or file); default: as the package names it");
}

std::optional<learn::PredictorPackage> open_predictor_package(const std::string& name_or_path, const std::string& model_override, Context& ctx) {
  auto package = learn::PredictorPackage::open(name_or_path, model_override);
  if (!accept(package, ctx)) return std::nullopt;
  return std::move(package.value());
}

}  // namespace fluxion::cli
