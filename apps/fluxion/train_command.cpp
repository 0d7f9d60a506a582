// fluxion train: an ML-Flux flux predictor from a dataset (fluxion dataset).
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>

#include "commands.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/learn/flux_predictor.hpp"
#include "sampler_options.hpp"

namespace fluxion::cli {

namespace {

struct TrainCli {
  std::string dataset, output;
  std::vector<int> hidden;
  int epochs = 200, batch = 0, patience = 20, threads = 1;
  double learning_rate = 1e-3;
  std::uint64_t seed = 1;
};

}  // namespace

void add_train_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static TrainCli o;
  auto* cmd = app.add_subcommand("train", "Train an ML-Flux flux predictor (MIDs -> free fluxes) on a dataset");
  cmd->add_option("-d,--dataset", o.dataset, "Dataset: the directory fluxion dataset wrote, or its dataset.h5")->required()->group("Required");
  cmd->add_option("-o,--output", o.output, "Output directory (predictor.fluxpkg, loss.tsv, test_errors.tsv, run_info.json)")
      ->required()
      ->group("Required");
  cmd->add_option("--hidden", o.hidden, "Hidden layer sizes (default: ML-Flux's for its models, else sized from the input)")->delimiter(',');
  cmd->add_option("--epochs", o.epochs, "Most epochs")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_option("--batch", o.batch, "Batch size (default: 32; 1024 for the simple model, as ML-Flux)")->check(CLI::Range(1, 1000000));
  cmd->add_option("--learning-rate", o.learning_rate, "Adam learning rate")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--patience", o.patience, "Stop after this many epochs without a better validation loss")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed of the initial weights and the batch order")->capture_default_str();
  cmd->add_option("--threads", o.threads, "Threads (the same count gives the same weights)")->check(CLI::Range(1, 1024))->capture_default_str();
  cmd->callback([&ctx, argv] {
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    namespace fs = std::filesystem;
    std::string file = o.dataset;
    if (fs::is_directory(file)) {
      if (fs::exists(fs::path(file) / "shard-0.h5") && !fs::exists(fs::path(file) / "dataset.h5")) {
        print_diagnostics({Diagnostic{Severity::error, o.dataset, 0, 0, {}, "holds MPI shards; training reads one dataset.h5 (shards are not read yet)"}});
        ctx.exit_code = kExitInput;
        return;
      }
      file = (fs::path(file) / "dataset.h5").string();
    }
    auto data = read_dataset(file, {.mids_float32 = true});  // training is in float32
    if (!accept(data, ctx)) return;
    const DatasetContents& d = data.value();
    const std::string model_id = d.manifest.value("/settings/provenance/model/id"_json_pointer, std::string());
    TrainOptions options;
    options.hidden = o.hidden.empty() ? default_hidden_layers(model_id, static_cast<std::size_t>(d.n_inputs())) : o.hidden;
    options.epochs = o.epochs;
    options.batch = o.batch > 0 ? o.batch : (model_id == "simple" ? 1024 : 32);
    options.learning_rate = o.learning_rate;
    options.patience = o.patience;
    options.seed = o.seed;
    options.threads = o.threads;
    options.progress = spdlog::get_level() <= spdlog::level::info;
    spdlog::info("{}: {} rows ({} train, {} validation, {} test), {} inputs -> {} free fluxes", file, d.rows, d.train.size(),
                 d.validation.size(), d.test.size(), d.n_inputs(), d.free_columns.size());
    TrainingHistory history;
    auto predictor = FluxPredictor::train(d, options, history);
    if (!accept(predictor, ctx)) return;
    auto made = io::make_output_directory(o.output);
    if (!accept(made, ctx)) return;
    const std::string package = o.output + "/predictor.fluxpkg";
    predictor.value().manifest()["training"]["command"] = argv;
    if (auto s = predictor.value().save(package); !s) {
      print_diagnostics(s.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    std::string loss = "epoch\ttrain_mae\tvalidation_mae\n";
    for (std::size_t e = 0; e < history.train_loss.size(); ++e)
      loss += std::to_string(e + 1) + '\t' + format_number(history.train_loss[e]) + '\t' + format_number(history.validation_loss[e]) + '\n';
    const TestErrors t = predictor.value().test_errors(d);
    std::string errors = "flux\tmae\thalf_width_68\ttrivial_mae\ttrivial_half_width_68\n";
    double mae = 0, trivial = 0;
    for (std::size_t j = 0; j < t.columns.size(); ++j) {
      errors += t.columns[j] + '\t' + format_number(t.mae[j]) + '\t' + format_number(t.half_width_68[j]) + '\t' + format_number(t.trivial_mae[j]) +
                '\t' + format_number(t.trivial_half_width_68[j]) + '\n';
      mae += t.mae[j] / static_cast<double>(t.columns.size());
      trivial += t.trivial_mae[j] / static_cast<double>(t.columns.size());
    }
    for (const auto& [name, text] : {std::pair{std::string("/loss.tsv"), loss}, std::pair{std::string("/test_errors.tsv"), errors}})
      if (auto w = io::write_output_file(o.output + name, text); !w) {
        print_diagnostics(w.diagnostics());
        ctx.exit_code = kExitFailure;
        return;
      }
    info.add_input("dataset", file);
    info.set("best_epoch", std::to_string(history.best_epoch));
    info.set("epochs_run", std::to_string(history.train_loss.size()));
    info.set("test_mae_mean", format_number(mae));
    info.set("trivial_test_mae_mean", format_number(trivial));
    info.add_output(package);
    info.add_output(o.output + "/loss.tsv");
    info.add_output(o.output + "/test_errors.tsv");
    info.add_timing("training", history.seconds);
    info.add_timing("total", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (auto w = info.write(o.output); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    spdlog::info("best epoch {} of {}; test MAE {:.4g} per free flux (training mean: {:.4g}); wrote {}", history.best_epoch,
                 history.train_loss.size(), mae, trivial, package);
  });
}

}  // namespace fluxion::cli
