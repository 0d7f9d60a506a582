// fluxion ensemble: predictor packages trained on one dataset joined into one package that
// predicts their mean (learn/package_training.hpp, ensemble_package).
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>

#include "commands.hpp"
#include "learned_commands.hpp"
#include "option_binding.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/learn/package_training.hpp"

namespace fluxion::cli {

void add_ensemble_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  struct Cli {
    std::string dataset, output, model;
    learn::EnsembleOptions options;
  };
  static Cli o;
  auto* cmd = app.add_subcommand("ensemble", learned_description("ensemble"));
  cmd->add_option("-d,--dataset", o.dataset, "The dataset every member was trained on (its test rows give the error tables): its directory or dataset.h5")
      ->required()
      ->group("Required");
  cmd->add_option("-o,--output", o.output, "Output directory (predictor.fluxpkg, test_errors.tsv, error_tables.tsv, vssr_acceptance.tsv, run_info.json)")
      ->required()
      ->group("Required");
  cmd->add_option("-m,--model", o.model, "The dataset's model (built-in name or file); default: as the dataset's manifest names it");
  bind_options(cmd, learn::EnsembleOptions::table(), o.options, ctx);
  cmd->callback([&ctx, argv] {
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    if (o.options.members.size() < 2) return cli::input_error(ctx, "--member", "an ensemble needs two or more members; " + std::to_string(o.options.members.size()) + " given");
    auto opened = learn::TrainingData::open(o.dataset, o.model);
    if (!accept(opened, ctx)) return;
    const learn::TrainingData& training = opened.value();
    if (auto made = io::make_output_directory(o.output); !accept(made, ctx)) return;
    o.options.progress = spdlog::get_level() <= spdlog::level::info;
    auto joined = learn::ensemble_package(training, o.options);
    if (!accept(joined, ctx)) return;
    learn::PackageEnsemble& run = joined.value();
    const std::string package = o.output + "/predictor.fluxpkg";
    run.predictor.manifest()["ensemble"]["command"] = argv;
    if (auto s = run.predictor.save(package); !s) {
      print_diagnostics(s.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    info.add_output(package);
    if (!write_outputs(ctx, info, o.output, run.files())) return;
    const auto& paths = run.member_paths;
    for (std::size_t k = 0; k < paths.size(); ++k) info.add_input("member " + std::to_string(k + 1), paths[k]);
    info.add_input("dataset", training.file);
    info.set("members", std::to_string(paths.size()));
    info.set("networks", std::to_string(run.predictor.members()));  // members that are ensembles bring all their networks
    info.set("test_mae_mean", format_number(run.test.mean_mae()));
    info.set("trivial_test_mae_mean", format_number(run.test.mean_trivial_mae()));
    info.add_timing("error_tables", run.table_seconds);
    info.add_timing("total", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (auto w = info.write(o.output); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    spdlog::info("{} members, {} networks; test MAE {:.4g} per free flux (training mean: {:.4g}); wrote {}", paths.size(), run.predictor.members(),
                 run.test.mean_mae(), run.test.mean_trivial_mae(), package);
  });
}

}  // namespace fluxion::cli
