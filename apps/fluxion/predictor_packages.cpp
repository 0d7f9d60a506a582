#include "predictor_packages.hpp"

namespace fluxion::cli {

const OptionTable<PackageArgs>& PackageArgs::table() {
  static const OptionTable<PackageArgs> t = [] {
    OptionTable<PackageArgs> t;
    t.add("predictor", &PackageArgs::predictor, "Predictor package: a built-in model's name (" + learn::builtin_predictor_list() + ") or a .fluxpkg file")
        .short_name("p")
        .required()
        .kind(OptionKind::predictor)
        .label("Predictor package")
        .web("Inputs");
    t.add("model", &PackageArgs::model, "The package's model (built-in name or file); default: as the package names it").short_name("m");
    return t;
  }();
  return t;
}

std::optional<learn::PredictorPackage> open_predictor_package(const std::string& name_or_path, const std::string& model_override, Context& ctx) {
  auto package = learn::PredictorPackage::open(name_or_path, model_override);
  if (!accept(package, ctx)) return std::nullopt;
  return std::move(package.value());
}

}  // namespace fluxion::cli
