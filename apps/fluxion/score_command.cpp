// fluxion score: a predictor package on a dataset's rows, every flux beside the training
// mean's, with the skill, identifiability and the paper's metrics (learn/scoring.hpp).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>

#include "commands.hpp"
#include "option_binding.hpp"
#include "learned_commands.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/learn/scoring.hpp"
#include "fluxion/learn/predictor_package.hpp"
#include "sampler_options.hpp"

namespace fluxion::cli {

namespace {

struct ScoreCli {
  learn::PackageRef package;
  std::string dataset, output, subset = "test", format = "summary", where;
  long rows = 0, identifiability_rows = 100;
  double mid_noise = 0;
  std::uint64_t seed = 1;
  learn::ScoreOptions score;  // the library's
};

const OptionTable<ScoreCli>& score_cli_table() {
  static const OptionTable<ScoreCli> t = [] {
    OptionTable<ScoreCli> t;
    t.add("dataset", &ScoreCli::dataset, "Dataset of the same model and layout (fluxion dataset): its directory or dataset.h5").short_name("d").required();
    t.add("output", &ScoreCli::output, "Output directory (scores.tsv, delta_g_scores.tsv, paper_metrics.tsv, score.json, run_info.json)").short_name("o").required();
    t.add("subset", &ScoreCli::subset, "Rows scored: test (the dataset's held-out rows; use when the package was trained on this dataset) or all (a fresh dataset)")
        .choices({"test", "all"});
    t.add("where", &ScoreCli::where,
          "Score only the rows where a flux lies below or above a value: FLUX<VALUE or FLUX>VALUE, FLUX as net:<reaction> or xch:<reaction> (e.g. 'xch:v2<1')");
    t.add("rows", &ScoreCli::rows, "At most this many rows, evenly spaced (0: all)").range(0, 1e8);
    t.add("identifiability-rows", &ScoreCli::identifiability_rows, "Rows whose MID sensitivities decide identifiability (0: skip, every flux counts as identifiable)")
        .range(0, 1e6);
    t.add("mid-noise", &ScoreCli::mid_noise, "Score on MIDs with Gaussian noise of this SD added to every measured fraction (as measurements have; 0: exact MIDs)").range(0.0, 1.0);
    t.add("seed", &ScoreCli::seed, "Seed of the MID noise");
    t.add("format", &ScoreCli::format, format_help({"summary", "table", "tsv"})).choices({"summary", "table", "tsv"});
    return t;
  }();
  return t;
}

}  // namespace

void add_score_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static ScoreCli o;
  auto* cmd = app.add_subcommand("score", learned_description("score"));
  bind_options(cmd, learn::PackageRef::table(), o.package, ctx);
  bind_options(cmd, score_cli_table(), o, ctx);
  bind_options(cmd, learn::ScoreOptions::table(), o.score, ctx);
  cmd->callback([&ctx, argv] {
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    auto opened = learn::PredictorPackage::open(o.package.predictor, o.package.model);
    if (!accept(opened, ctx)) return;
    const learn::PredictorPackage* package = &opened.value();
    const std::string& package_path = package->path();
    std::string file = o.dataset;
    if (std::filesystem::is_directory(file)) file = (std::filesystem::path(file) / "dataset.h5").string();
    auto data = sampling::read_dataset(file, {.mids_float32 = true});
    if (!accept(data, ctx)) return;
    const learn::ScoreRows run{o.subset, o.where, o.rows, o.identifiability_rows, o.mid_noise, o.seed};
    auto scored = package->score(data.value(), file, run, o.score);
    if (!accept(scored, ctx)) return;
    const learn::PredictorScore& score = scored.value().score;
    if (!write_outputs(ctx, info, o.output, package->score_files(scored.value(), file, run))) return;
    info.add_input("predictor", package_path);
    info.add_input("dataset", file);
    info.set("subset", o.subset);
    info.set("rows", std::to_string(score.rows));
    info.set("median_skill", format_number(score.median_skill()));
    info.add_timing("prediction", scored.value().predict_seconds);
    info.add_timing("identifiability", scored.value().identifiability_seconds);
    info.add_timing("total", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (auto w = info.write(o.output); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    if (o.format == "table") {
      std::printf("%-22s %-5s %-6s %10s %10s %10s %10s %8s\n", "flux", "free", "counts", "mae", "mean_mae", "bias", "mean_bias", "skill");
      for (const auto& f : score.fluxes)
        std::printf("%-22s %-5s %-6s %10.4g %10.4g %10.3g %10.3g %8.3f%s\n", f.column.c_str(), f.free ? "yes" : "no", f.counted ? "yes" : "no", f.mae,
                    f.baseline_mae, f.bias, f.baseline_bias, f.skill,
                    f.constant ? "  constant" : (!f.identifiable ? "  not identifiable" : (f.counted ? "" : "  varies < 0.02")));
      std::printf("\n%-40s %10s %10s  %s\n", "paper metric", "package", "mean", "target");
      for (const auto& m : score.paper)
        std::printf("%-40s %10.4g %10.4g  %s%s\n", m.name.c_str(), m.value, m.baseline, m.target.c_str(),
                    m.reached ? (*m.reached ? "  reached" : "  missed") : "");
    }
    if (o.format == "tsv") std::fputs(score.fluxes_tsv().c_str(), stdout);
    const auto below = score.below_baseline();
    std::size_t counted = 0;
    for (const auto& f : score.fluxes) counted += f.counted ? 1 : 0;
    std::string list;
    for (std::size_t i = 0; i < below.size() && i < 8; ++i) list += (i ? ", " : "") + below[i];
    spdlog::info("{} rows: median skill {:.3f} over {} counted fluxes (net {:.3f}, exchange {:.3f}); {} at or below the training mean{}{}; wrote {}", score.rows,
                 score.median_skill(), counted, score.median_skill("net"), score.median_skill("xch"), below.size(), below.empty() ? "" : ": ", list, o.output);
  });
}

}  // namespace fluxion::cli
