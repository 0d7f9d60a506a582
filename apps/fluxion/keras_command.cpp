// fluxion import-keras: ML-Flux's published Keras networks as fluxion predictor packages
// (learn/keras_import.hpp).
#include <spdlog/spdlog.h>

#include <filesystem>

#include "commands.hpp"
#include "learned_commands.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/learn/keras_import.hpp"
#include "fluxion/learn/predictor_package.hpp"

namespace fluxion::cli {

namespace {

struct KerasCli {
  std::string architecture, weights, like, output;
};

}  // namespace

void add_keras_command(CLI::App& app, Context& ctx, const std::vector<std::string>& /*argv*/) {
  static KerasCli o;
  auto* cmd = app.add_subcommand("import-keras", learned_description("import-keras"));
  cmd->add_option("-a,--architecture", o.architecture, "The network's Keras JSON (model.to_json()), e.g. Simple_ANN.json")->required()->group("Required");
  cmd->add_option("-w,--weights", o.weights, "Its Keras 2 weights-only HDF5 file, e.g. Simple_ANN.h5")->required()->group("Required");
  cmd->add_option("--like", o.like, "A fluxion package of the same model and MID layout (built-in name or file): its layout, model, tracers and KNN reference are taken over")
      ->required()
      ->group("Required");
  cmd->add_option("-o,--output", o.output, "The package to write (.fluxpkg)")->required()->group("Required");
  cmd->callback([&ctx] {
    auto input_error = [&ctx](const std::string& where, const std::string& what) { cli::input_error(ctx, where, what); };
    const std::string like_path = learn::find_predictor(o.like);
    if (like_path.empty()) return input_error(o.like, "is neither a predictor package file nor a built-in predictor (" + learn::builtin_predictor_list() + ")");
    auto like = learn::FluxPredictor::load(like_path);
    if (!accept(like, ctx)) return;
    auto network = learn::read_keras_dense(o.architecture, o.weights);
    if (!accept(network, ctx)) return;
    const nlohmann::json source = {{"format", "Keras 2 Sequential (JSON) with weights-only HDF5"},
                                   {"architecture", std::filesystem::path(o.architecture).filename().string()},
                                   {"architecture_sha256", io::sha256_file(o.architecture)},
                                   {"weights", std::filesystem::path(o.weights).filename().string()},
                                   {"weights_sha256", io::sha256_file(o.weights)},
                                   {"layout_from", like.value().manifest().value("/dataset/settings/provenance/model/id"_json_pointer, std::string())}};
    auto predictor = learn::predictor_from_keras(network.value(), like.value(), source);
    if (!accept(predictor, ctx)) return;
    if (auto s = predictor.value().save(o.output); !s) {
      print_diagnostics(s.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    spdlog::info("{}: {} inputs, {} Dense layers ({}), {} outputs; wrote {} (no error tables: score it with fluxion score)", o.weights, network.value().inputs,
                 network.value().weights.size(), network.value().keras_version.empty() ? "Keras" : "Keras " + network.value().keras_version,
                 predictor.value().columns().size(), o.output);
  });
}

}  // namespace fluxion::cli
