// fluxion dynamics: distributions of expression, flux and balance over time with neural
// processes (NP, NODEP, SNODEP; src/dynamics).
//   train    fit a model to a destructively sampled time series (per-day tables)
//   predict  sample a trained model at any days from context cells
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

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
  std::string model, context, output;
  std::vector<double> days;
  int trajectories = 200;
  std::uint64_t seed = 1;
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
    std::vector<dynamics::NamedSeries> configurations;
    if (!o.data.empty()) {
      auto s = dynamics::load_time_series(o.data);
      if (!accept(s, ctx)) return;
      configurations.push_back({"data", std::move(s).value()});
      info.add_input("data", o.data);
      for (const auto& f : configurations.front().series.sources) info.add_input("day", f);
    } else {
      auto c = dynamics::load_configurations(o.configurations);
      if (!accept(c, ctx)) return;
      configurations = std::move(c).value();
      info.add_input("configurations", o.configurations);
      for (const auto& c2 : configurations)
        for (const auto& f : c2.series.sources) info.add_input("day", f);
    }
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

    const auto& ev = r.evaluation;
    const nlohmann::json summary = dynamics::training_summary(r, o.options);
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
    std::printf("%s\n%s\n", r.model.description().c_str(), r.protocol.c_str());
    std::printf("%zu epochs in %.1f s (median %.3f s per epoch)\n", r.history.size(), r.seconds_training, dynamics::median_epoch_seconds(r));
    if (!r.summary.usable) {
      ctx.exit_code = kExitFailure;
      return;
    }
    const std::size_t c = static_cast<std::size_t>(o.options.context_points), t = static_cast<std::size_t>(o.options.target_points),
                      n = ev.paper.days.size();
    std::printf("paper test MSE %.4f (floor %.4f; the day means on these trajectories %.4f); by day group: context %.4f (floor %.4f), %zu-%zu %.4f (floor %.4f), %zu-%zu %.4f (floor %.4f)\n",
                ev.paper_mse, ev.paper.floor_mean(0, n), ev.paper.day_mean_mean(0, n), ev.paper.mse_mean(0, c), ev.paper.floor_mean(0, c), c, t - 1, ev.paper.mse_mean(c, t),
                ev.paper.floor_mean(c, t), t, n - 1, ev.paper.mse_mean(t, n), ev.paper.floor_mean(t, n));
    if (const auto& k = summary["paper"]["by_feature_kind"]; !k.empty())
      std::printf("by feature: %d measured features MSE %.4g, %d presence indicators MSE %.4g\n", k["measured_features"].get<int>(),
                  k["mse_measured"].is_number() ? k["mse_measured"].get<double>() : NAN, k["presence_indicators"].get<int>(),
                  k["mse_presence_indicators"].is_number() ? k["mse_presence_indicators"].get<double>() : NAN);
    if (!ev.fresh.days.empty())
      std::printf("fresh held-out trajectories MSE %.4f (floor %.4f); days %zu-%zu %.4f (floor %.4f); W1 %.3f (sum over features), %.3f (exact)\n",
                  ev.fresh.mse_mean(), ev.fresh.floor_mean(0, n), t, n - 1, ev.fresh.mse_mean(t, n), ev.fresh.floor_mean(t, n),
                  std::accumulate(ev.fresh.w1_sum.begin(), ev.fresh.w1_sum.end(), 0.0) / std::max<std::size_t>(1, ev.fresh.w1_sum.size()),
                  std::accumulate(ev.fresh.w1_exact.begin(), ev.fresh.w1_exact.end(), 0.0) / std::max<std::size_t>(1, ev.fresh.w1_exact.size()));
  });
}

void add_predict(CLI::App& parent, Context& ctx, const std::vector<std::string>& argv) {
  static DynamicsPredictCli o;
  auto* cmd = parent.add_subcommand("predict", "Sample a trained model's distributions at any days (unseen ones too) from context cells");
  cmd->add_option("-m,--model", o.model, "Directory written by `fluxion dynamics train` (model.json, model.pt)")->required();
  cmd->add_option("-c,--context", o.context, "Per-day tables holding at least the model's context days (same features as in training)")->required();
  cmd->add_option("--days", o.days, "Days to predict, increasing (default: the training days)")->delimiter(',');
  cmd->add_option("-n,--trajectories", o.trajectories, "Pseudo-trajectories (cells predicted per day)")->check(Range(1, 1000000))->capture_default_str();
  cmd->add_option("--seed", o.seed, "Random seed")->capture_default_str();
  cmd->add_option("-o,--output", o.output, "Output directory: mean/ and samples/ (per-day tables), summary.csv, run_info.json")->required();
  cmd->callback([&ctx, argv] {
    io::RunInfo info(argv);
    auto model = dynamics::NeuralProcess::load(o.model);
    if (!accept(model, ctx)) return;
    auto context = dynamics::load_time_series(o.context);
    if (!accept(context, ctx)) return;
    const auto& np = model.value();
    std::vector<double> days = o.days;
    if (days.empty()) days.assign(np.days().begin(), np.days().end());
    auto prediction = np.predict(context.value(), days, o.trajectories, o.seed);
    if (!accept(prediction, ctx)) return;
    const auto& pr = prediction.value();
    auto tables = dynamics::prediction_tables(np, pr);
    if (!accept(tables, ctx)) return;
    if (!write_outputs(ctx, info, o.output, {{"summary.csv", tables.value().summary_csv}})) return;
    for (auto [name, series] : {std::pair<const char*, const dynamics::TimeSeries*>{"mean", &tables.value().mean}, {"samples", &tables.value().samples}}) {
      if (auto w = dynamics::write_time_series(*series, o.output + "/" + name); !w) {
        print_diagnostics(w.diagnostics());
        ctx.exit_code = kExitFailure;
        return;
      }
    }
    info.add_input("model", o.model + "/model.pt");
    info.add_input("context", o.context);
    info.set("method", np.description());
    info.set("trajectories", std::to_string(o.trajectories));
    info.set("seed", std::to_string(o.seed));
    if (!write_info(info, o.output, ctx)) return;
    std::printf("%s: %d trajectories at %zu days written to %s\n", np.description().c_str(), o.trajectories, pr.days.size(), o.output.c_str());
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
    for (auto [name, series] : {std::pair<const char*, const dynamics::TimeSeries*>{"expression", &s.expression}, {"flux", &s.flux}, {"balance", &s.balance}}) {
      if (auto w = dynamics::write_time_series(*series, output + "/" + name); !w) {
        print_diagnostics(w.diagnostics());
        ctx.exit_code = kExitFailure;
        return;
      }
    }
    if (!write_outputs(ctx, info, output + "/network", {{"modules.gmt", s.module_genes_gmt}, {"cmMat.csv", s.stoichiometry_csv}})) return;
    if (!write_outputs(ctx, info, output, dynamics::truth_files(s))) return;
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
    int epochs = 100;
    double learning_rate = 0.008;
    std::uint64_t seed = 16;
    int threads = 0;
    dynamics::KnockoutOptions knockouts{20, 0, 10, 2023};
  };
  static Cli o;
  auto* cmd = parent.add_subcommand("scfea", "Per-day module flux and metabolite balance from an expression time series (scFEA), with knockouts");
  cmd->add_option("-d,--data", o.data, "Directory of per-day expression tables (counts; rows genes, columns cells)")->required();
  cmd->add_option("-n,--network", o.network, "Directory holding one scFEA network (.gmt or module genes, cmMat, module information)")->required();
  cmd->add_option("-o,--output", o.output, "Output directory: flux/, balance/; with --knockouts also flux_knockout/, balance_knockout/, knockouts.csv")
      ->required();
  cmd->add_option("--knockouts", o.knockouts.sets, "Knockout configurations to draw (SNODEP's Algorithm 1; 0 = none)")
      ->check(Range(0, 1000))
      ->capture_default_str();
  cmd->add_option("--top-genes", o.knockouts.top_genes, "Knockouts: drawn from this many most expressed genes")->check(Range(1, 100000))->capture_default_str();
  cmd->add_option("--max-knockout", o.knockouts.max_size, "Knockouts: genes per configuration, uniform in 1…this")->check(Range(1, 100000))->capture_default_str();
  cmd->add_option("--knockout-seed", o.knockouts.seed, "Knockouts: random seed of the draw")->capture_default_str();
  cmd->add_option("--epochs", o.epochs, "scFEA epochs")->check(Range(1, 100000))->capture_default_str();
  cmd->add_option("--learning-rate", o.learning_rate, "scFEA's Adam learning rate")->check(Range(1e-12, 10.0))->capture_default_str();
  cmd->add_option("--seed", o.seed, "scFEA's random seed")->capture_default_str();
  cmd->add_option("--threads", o.threads, "Threads (0 = all cores)")->check(Range(0, 1024))->capture_default_str();
  cmd->callback([&ctx, argv] {
    io::RunInfo info(argv);
    auto expression = dynamics::load_time_series(o.data);
    if (!accept(expression, ctx)) return;
    auto network = io::load_scfea_network_directory(o.network);
    if (!accept(network, ctx)) return;
    const auto& x = expression.value();
    scflux::ScfeaOptions so;
    so.epochs = o.epochs;
    so.learning_rate = o.learning_rate;
    so.seed = o.seed;
    so.threads = o.threads;
    auto write_series = [&](const dynamics::TimeSeries& s, const std::string& dir) {
      if (auto w = dynamics::write_time_series(s, dir); !w) {
        print_diagnostics(w.diagnostics());
        ctx.exit_code = kExitFailure;
        return false;
      }
      return true;
    };
    std::string summary;
    if (o.knockouts.sets == 0) {
      auto fs = dynamics::estimate_flux_series(x, network.value(), so);
      if (!accept(fs, ctx)) return;
      if (!write_series(fs.value().flux, o.output + "/flux") || !write_series(fs.value().balance, o.output + "/balance")) return;
      char line[256];
      std::snprintf(line, sizeof line, "%zu cells over %zu days: %zu module fluxes, %zu balances (scFEA on %s, one fit over all days, loss %.4g)\n", x.n_cells(),
                    x.days.size(), fs.value().flux.n_features(), fs.value().balance.n_features(), fs.value().normalisation.c_str(), fs.value().final_loss);
      summary = line;
    } else {
      auto sets = dynamics::draw_knockouts(x, o.knockouts);
      if (!accept(sets, ctx)) return;
      ProgressBar bar("scFEA per configuration", o.knockouts.sets + 1, "fits");
      auto ko = dynamics::knockout_series(x, network.value(), sets.value(), so, [&](std::size_t i) { bar.update(static_cast<long>(i)); });
      bar.update(o.knockouts.sets + 1);
      bar.finish();
      if (!accept(ko, ctx)) return;
      std::string table = "configuration,genes_knocked_out\n";
      for (const auto& s : sets.value()) {
        table += s.name + ',';
        for (std::size_t i = 0; i < s.genes.size(); ++i) table += (i ? ";" : "") + s.genes[i];
        table += '\n';
      }
      for (std::size_t i = 0; i < ko.value().flux.size(); ++i) {
        const auto& name = ko.value().flux[i].name;
        if (!write_series(ko.value().flux[i].series, o.output + "/flux_knockout/" + name) ||
            !write_series(ko.value().balance[i].series, o.output + "/balance_knockout/" + name))
          return;
      }
      if (!write_outputs(ctx, info, o.output, {{"knockouts.csv", table}})) return;
      summary = std::to_string(ko.value().flux.size()) + " configurations (all_genes and " + std::to_string(sets.value().size()) +
                " knockouts of the top " + std::to_string(o.knockouts.top_genes) + " expressed genes): " +
                std::to_string(ko.value().flux.front().series.n_features()) + " flux rows and " +
                std::to_string(ko.value().balance.front().series.n_features()) + " balance rows per cell (the last " + std::to_string(x.n_features()) +
                " are the presence indicators)\n";
    }
    info.add_input("data", o.data);
    for (const auto& s : network.value().sources) info.add_input("network", s);
    info.set("method", "scFEA (scfea mode) on log2(x + 1), one fit over the cells of all days pooled");
    info.set("epochs", std::to_string(o.epochs));
    info.set("seed", std::to_string(o.seed));
    if (o.knockouts.sets > 0) info.set("knockouts", "SNODEP Algorithm 1: " + std::to_string(o.knockouts.sets) + " sets of 1…" + std::to_string(o.knockouts.max_size) +
                                                    " of the top " + std::to_string(o.knockouts.top_genes) + " genes, seed " + std::to_string(o.knockouts.seed));
    if (!write_info(info, o.output, ctx)) return;
    std::fputs(summary.c_str(), stdout);
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
