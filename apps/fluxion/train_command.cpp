// fluxion train: an ML-Flux flux predictor from a dataset (fluxion dataset).
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>

#include "commands.hpp"
#include "learned_commands.hpp"
#include "option_binding.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/learn/package_training.hpp"

namespace fluxion::cli {

void add_train_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  struct Cli {
    std::string dataset, output, model;
    learn::PackageTrainOptions options;
  };
  static Cli o;
  auto* cmd = app.add_subcommand("train", learned_description("train"));
  cmd->add_option("-d,--dataset", o.dataset, "Dataset: the directory fluxion dataset wrote, or its dataset.h5")->required()->group("Required");
  cmd->add_option("-o,--output", o.output, "Output directory (predictor.fluxpkg, loss.tsv, test_errors.tsv, error_tables.tsv, vssr_acceptance.tsv, run_info.json)")
      ->required()
      ->group("Required");
  cmd->add_option("-m,--model", o.model, "The dataset's model (built-in name or file); default: as the dataset's manifest names it");
  auto bound = bind_options(cmd, learn::PackageTrainOptions::table(), o.options, ctx);
  for (const char* name : {"knn-reference-rows", "knn-k", "pcnn-epochs", "pcnn-batch", "error-rows", "masked-rows"}) bound[name]->group("Package");
  cmd->callback([&ctx, argv] {
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    auto opened = learn::TrainingData::open(o.dataset, o.model);
    if (!accept(opened, ctx)) return;
    const learn::TrainingData& training = opened.value();
    const sampling::DatasetContents& d = training.contents;
    auto resolved = o.options.train_options(training, o.output);
    if (!accept(resolved, ctx)) return;
    learn::TrainOptions& options = resolved.value();
    if (auto made = io::make_output_directory(o.output); !accept(made, ctx)) return;
    options.progress = spdlog::get_level() <= spdlog::level::info;
    spdlog::info("{}: {} rows ({} train, {} validation, {} test), {} inputs -> {} free fluxes", training.file, d.rows, d.train.size(),
                 d.validation.size(), d.test.size(), d.n_inputs(), d.free_columns.size());
    auto trained = learn::train_package(training, options, o.options);
    if (!accept(trained, ctx)) return;
    learn::PackageTraining& run = trained.value();
    const auto& history = run.history;
    if (run.paused()) {
      if (auto w = io::write_output_files(o.output, run.files()); !w) {
        print_diagnostics(w.diagnostics());
        ctx.exit_code = kExitFailure;
        return;
      }
      spdlog::info("paused after epoch {} of {} (best {} so far); the checkpoint is {}: run the same command with --resume to continue",
                   history.train_loss.size(), options.epochs, history.best_epoch, options.checkpoint);
      return;
    }
    const std::string package = o.output + "/predictor.fluxpkg";
    run.predictor.manifest()["training"]["command"] = argv;
    if (auto s = run.predictor.save(package); !s) {
      print_diagnostics(s.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    std::error_code removed;
    std::filesystem::remove(options.checkpoint, removed);  // the package holds the result; a new training may start here
    info.add_output(package);  // the package first: the tables describe it
    if (!write_outputs(ctx, info, o.output, run.files())) return;
    info.add_input("dataset", training.file);
    info.set("best_epoch", std::to_string(history.best_epoch));
    info.set("epochs_run", std::to_string(history.train_loss.size()));
    if (history.resumed_from > 0) info.set("resumed_from_epoch", std::to_string(history.resumed_from));
    info.set("test_mae_mean", format_number(run.test.mean_mae()));
    info.set("trivial_test_mae_mean", format_number(run.test.mean_trivial_mae()));
    info.add_timing("error_tables", run.table_seconds);
    if (run.predictor.pcnn()) info.add_timing("pcnn_training", run.pcnn_seconds);
    info.add_timing("training", history.seconds);
    info.add_timing("total", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (auto w = info.write(o.output); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    for (const auto& line : run.report(package)) spdlog::info("{}", line);
  });
}

}  // namespace fluxion::cli
