// fluxion dynamics: distributions of expression, flux and balance over time with neural
// processes (NP, NODEP, SNODEP; src/dynamics).
//   train    fit a model to a destructively sampled time series (per-day tables)
//   predict  sample a trained model at any days from context cells
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "commands.hpp"
#include "option_binding.hpp"
#include "learned_commands.hpp"
#include "fluxion/core/progress.hpp"
#include "fluxion/dynamics/flux_series.hpp"
#include "fluxion/dynamics/neural_process.hpp"
#include "fluxion/dynamics/results.hpp"
#include "fluxion/dynamics/synthetic.hpp"
#include "fluxion/dynamics/time_series.hpp"
#include "fluxion/io/run_info.hpp"

namespace fluxion::cli {

namespace {

struct DynamicsTrainCli {
  std::string data, configurations, output;
  dynamics::NeuralProcessOptions options;
  bool quiet = false;
};

struct DynamicsPredictCli {
  dynamics::PredictRequest request;  // the library's
  std::string output;
};

const OptionTable<DynamicsTrainCli>& train_cli_table() {
  static const OptionTable<DynamicsTrainCli> t = [] {
    OptionTable<DynamicsTrainCli> t;
    t.add("data", &DynamicsTrainCli::data, "Directory of per-day tables d0.csv.gz, d1.csv.gz, … (rows features, columns cells)")
        .short_name("d")
        .kind(OptionKind::series)
        .label("Per-day tables")
        .web("Inputs")
        .web_required();
    t.add("configurations", &DynamicsTrainCli::configurations,
          "Knockout experiment: a directory of configurations (all_genes/, ko_*/), each a directory of per-day tables");
    t.add("output", &DynamicsTrainCli::output, "Output directory (model.pt, model.json, history.csv, day_metrics.csv, summary.json, plots)")
        .short_name("o")
        .required();
    t.add("quiet", &DynamicsTrainCli::quiet, "No progress bar").short_name("q");
    return t;
  }();
  return t;
}

// The paths a library call wrote go into run_info; its failure is a failure of the run (exit 1).
bool written(Context& ctx, io::RunInfo& info, const Result<std::vector<std::string>>& paths) {
  if (!paths) {
    print_diagnostics(paths.diagnostics());
    ctx.exit_code = kExitFailure;
    return false;
  }
  for (const auto& p : paths.value()) info.add_output(p);
  return true;
}

bool write_info(const io::RunInfo& info, const std::string& directory, Context& ctx) {
  if (auto w = info.write(directory); !w) {
    print_diagnostics(w.diagnostics());
    ctx.exit_code = kExitFailure;
    return false;
  }
  return true;
}

void add_train(CLI::App& parent, Context& ctx, const std::vector<std::string>& argv) {
  static DynamicsTrainCli o;
  auto* cmd = parent.add_subcommand("train", "Train NP, NODEP or SNODEP on a per-day time series of single cells");
  auto bound = bind_options(cmd, train_cli_table(), o, ctx);
  bind_options(cmd, dynamics::NeuralProcessOptions::table(), o.options, ctx);
  auto* in = cmd->add_option_group("input", "The time series (one of)");
  in->add_option(bound["data"]);
  in->add_option(bound["configurations"]);
  in->require_option(1);
  cmd->callback([&ctx, argv] {
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    auto input = dynamics::load_training_input(o.data, o.configurations);
    if (!accept(input, ctx)) return;
    const auto& configurations = input.value().configurations;
    for (const auto& [role, path] : input.value().inputs) info.add_input(role, path);
    if (auto v = o.options.validate(configurations.front().series.days.size()); !v.empty()) {
      print_diagnostics(v);
      ctx.exit_code = kExitInput;
      return;
    }
    auto dir = io::make_output_directory(o.output);
    if (!accept(dir, ctx)) return;
    const auto t1 = std::chrono::steady_clock::now();
    ProgressBar bar("training " + o.options.model, o.options.epochs, "epochs", !o.quiet);
    double last_mse = std::numeric_limits<double>::quiet_NaN();
    auto options = o.options;
    options.progress = [&](const Progress& p) {
      if (std::isfinite(p.score)) last_mse = p.score;
      bar.update(p.done);
      return true;
    };
    auto result = dynamics::train_neural_process(configurations, options);
    bar.finish();
    if (!accept(result, ctx)) return;
    const auto& r = result.value();
    const auto t2 = std::chrono::steady_clock::now();
    if (!r.summary.usable) std::fprintf(stderr, "training stopped: %s\n", r.summary.message.c_str());

    if (!write_outputs(ctx, info, o.output, dynamics::training_files(r, o.options))) return;
    if (auto s = r.model.save(o.output); !s) {
      print_diagnostics(s.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    info.add_output(o.output + "/model.pt");
    info.add_output(o.output + "/model.json");
    info.set("method", r.model.description());
    info.set("protocol", r.protocol);
    info.set("epochs", std::to_string(r.history.size()));
    info.set("seed", std::to_string(o.options.seed));
    info.set("threads", std::to_string(o.options.threads));
    info.set("device", "cpu");
    info.add_timing("load", std::chrono::duration<double>(t1 - t0).count());
    info.add_timing("train", std::chrono::duration<double>(t2 - t1).count());
    if (!write_info(info, o.output, ctx)) return;
    std::fputs(dynamics::training_report(r, o.options).c_str(), stdout);
    if (!r.summary.usable) ctx.exit_code = kExitFailure;
  });
}

void add_predict(CLI::App& parent, Context& ctx, const std::vector<std::string>& argv) {
  static DynamicsPredictCli o;
  auto* cmd = parent.add_subcommand("predict", "Sample a trained model's distributions at any days (unseen ones too) from context cells");
  bind_options(cmd, dynamics::PredictRequest::table(), o.request, ctx);
  cmd->add_option("-o,--output", o.output, "Output directory: mean/ and samples/ (per-day tables), summary.csv, run_info.json")->required();
  cmd->callback([&ctx, argv] {
    io::RunInfo info(argv);
    const dynamics::PredictRequest& q = o.request;
    auto run = dynamics::run_prediction(q);
    if (!accept(run, ctx)) return;
    const dynamics::PredictionRun& r = run.value();
    if (auto made = io::make_output_directory(o.output); !accept(made, ctx)) return;
    if (!written(ctx, info, r.write(o.output))) return;
    info.add_input("model", q.model + "/model.pt");
    info.add_input("context", q.context);
    for (const auto& [key, value] : r.settings) info.set(key, value);
    if (!write_info(info, o.output, ctx)) return;
    std::printf("%s: %d trajectories at %zu days written to %s\n", r.description.c_str(), q.trajectories, r.days, o.output.c_str());
  });
}

void add_synthesize(CLI::App& parent, Context& ctx, const std::vector<std::string>& argv) {
  static dynamics::SyntheticOptions o;
  static std::string output;
  auto* cmd = parent.add_subcommand("synthesize", "Write the synthetic time series SYN-SNODEP (syn-small: 24 genes, 6 modules, 4 metabolites)");
  cmd->add_option("-o,--output", output, "Output directory: expression/, flux/, balance/ (per-day tables), network/ (modules.gmt, cmMat.csv)")->required();
  bind_options(cmd, dynamics::SyntheticOptions::table(), o, ctx);
  cmd->callback([&ctx, argv] {
    io::RunInfo info(argv);
    auto data = dynamics::make_synthetic(o);
    if (!accept(data, ctx)) return;
    const auto& s = data.value();
    if (auto made = io::make_output_directory(output); !accept(made, ctx)) return;
    if (!written(ctx, info, dynamics::write_synthetic(s, output))) return;
    info.set("method", "SYN-SNODEP syn-small (../shared/notes/snodep.md §7)");
    info.set("seed", std::to_string(o.seed));
    if (!write_info(info, output, ctx)) return;
    std::printf("%zu cells over %zu days, %zu genes (%.1f%% zero counts), %zu modules, %zu metabolites written to %s\n", s.expression.n_cells(),
                s.expression.days.size(), s.expression.n_features(), 100 * s.zero_fraction, s.flux.n_features(), s.balance.n_features(), output.c_str());
  });
}

void add_scfea(CLI::App& parent, Context& ctx, const std::vector<std::string>& argv) {
  struct Cli {
    std::string data, network, output;
    dynamics::SeriesFluxOptions options;
  };
  static Cli o;
  auto* cmd = parent.add_subcommand("scfea", "Per-day module flux and metabolite balance from an expression time series (scFEA), with knockouts");
  cmd->add_option("-d,--data", o.data, "Directory of per-day expression tables (counts; rows genes, columns cells)")->required();
  cmd->add_option("-n,--network", o.network, "Directory holding one scFEA network (.gmt or module genes, cmMat, module information)")->required();
  cmd->add_option("-o,--output", o.output, "Output directory: flux/, balance/; with --knockouts also flux_knockout/, balance_knockout/, knockouts.csv")
      ->required();
  bind_options(cmd, dynamics::SeriesFluxOptions::table(), o.options, ctx);
  cmd->callback([&ctx, argv] {
    io::RunInfo info(argv);
    auto expression = dynamics::load_time_series(o.data);
    if (!accept(expression, ctx)) return;
    auto network = io::load_scfea_network_directory(o.network);
    if (!accept(network, ctx)) return;
    const bool knockouts = o.options.knockouts.sets > 0;
    ProgressBar bar("scFEA per configuration", o.options.knockouts.sets + 1, "fits", knockouts);
    auto run = dynamics::run_series_flux(expression.value(), network.value(), o.options, [&](std::size_t i) { bar.update(static_cast<long>(i)); });
    if (knockouts) bar.update(o.options.knockouts.sets + 1);
    bar.finish();
    if (!accept(run, ctx)) return;
    if (auto dir = io::make_output_directory(o.output); !accept(dir, ctx)) return;
    if (!written(ctx, info, run.value().write(o.output))) return;
    info.add_input("data", o.data);
    for (const auto& s : network.value().sources) info.add_input("network", s);
    for (const auto& [key, value] : run.value().settings) info.set(key, value);
    if (!write_info(info, o.output, ctx)) return;
    std::fputs(run.value().summary.c_str(), stdout);
  });
}

}  // namespace

void add_dynamics_commands(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  auto* cmd = app.add_subcommand("dynamics", learned_description("dynamics"));
  cmd->require_subcommand(1);
  add_train(*cmd, ctx, argv);
  add_predict(*cmd, ctx, argv);
  add_synthesize(*cmd, ctx, argv);
  add_scfea(*cmd, ctx, argv);
}

}  // namespace fluxion::cli
