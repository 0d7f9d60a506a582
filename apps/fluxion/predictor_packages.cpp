#include "predictor_packages.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "fluxion/io/model_io.hpp"
#include "fluxion/io/run_info.hpp"

namespace fluxion::cli {

namespace fs = std::filesystem;

std::vector<std::string> predictor_directories() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("FLUXION_PREDICTORS"); env && *env) dirs.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back((exe.parent_path().parent_path() / "share" / "fluxion" / "predictors").string());
  dirs.emplace_back(FLUXION_SOURCE_DIR "/models/predictors");
  return dirs;
}

std::string resolve_predictor(const std::string& name) {
  std::error_code ec;
  if (fs::is_regular_file(name, ec)) return name;
  if (name.find('/') != std::string::npos) return {};
  for (const auto& d : predictor_directories()) {
    const fs::path p = fs::path(d) / (name + ".fluxpkg");
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return {};
}

std::string builtin_predictor_list() {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& d : predictor_directories())
    for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".fluxpkg") names.insert(it->path().stem().string());
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? std::string("none found") : out;
}

void add_package_options(CLI::App* cmd, std::string& predictor, std::string& model) {
  cmd->add_option("-p,--predictor", predictor, "Predictor package: a built-in model's name (" + builtin_predictor_list() + ") or a .fluxpkg file")
      ->required()
      ->group("Required");
  cmd->add_option("-m,--model", model, "The package's model (built-in name or file); default: as the package names it");
}

std::optional<OpenedPackage> open_predictor_package(const std::string& name_or_path, const std::string& model_override, Context& ctx) {
  auto input_error = [&ctx](const std::string& where, const std::string& what) {
    print_diagnostics({Diagnostic{Severity::error, where, 0, 0, {}, what}});
    ctx.exit_code = kExitInput;
    return std::nullopt;
  };
  const std::string path = resolve_predictor(name_or_path);
  if (path.empty()) return input_error(name_or_path, "is neither a predictor package file nor a built-in predictor (" + builtin_predictor_list() + ")");
  auto loaded = FluxPredictor::load(path);
  if (!accept(loaded, ctx)) return std::nullopt;
  nlohmann::json provenance;
  try {
    provenance = loaded.value().manifest().at("dataset").at("settings").at("provenance");
  } catch (const std::exception& e) {
    return input_error(path, std::string("damaged manifest: ") + e.what());
  }
  const std::string model_name = model_override.empty() ? provenance.at("model").value("name", std::string()) : model_override;
  auto model = io::load_model(model_name);
  if (!model) {
    print_diagnostics(model.diagnostics());
    return input_error(path, "needs its model '" + model_name + "'; give it with --model");
  }
  const std::string want = provenance.at("model").value("sha256_reaction_tsv", std::string());
  if (auto canonical = io::write_reaction_tsv(model.value()); !canonical || io::sha256_text(canonical.value()) != want)
    return input_error(model_name, "is not the model this predictor was trained on (its reactions differ from the package's SHA-256 " + want + ")");
  auto space = FluxSpace::build(model.value());
  if (!accept(space, ctx)) return std::nullopt;
  OpenedPackage out{path, model_name, std::move(loaded.value()), std::move(model.value()), std::move(space.value()), nullptr, provenance};
  out.expansion = std::make_unique<FluxExpansion>(out.space, &out.model);
  if (out.expansion->free_columns() != out.predictor.columns())
    return input_error(path, "its outputs are not the free fluxes of model '" + model_name + "'");
  return out;
}

}  // namespace fluxion::cli
