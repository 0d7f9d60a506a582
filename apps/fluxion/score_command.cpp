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
  std::string dataset, output, format = "summary";
  learn::ScoreRows rows;      // the library's
  learn::ScoreOptions score;  // the library's
};

const OptionTable<ScoreCli>& score_cli_table() {
  static const OptionTable<ScoreCli> t = [] {
    OptionTable<ScoreCli> t;
    t.add("dataset", &ScoreCli::dataset, "Dataset of the same model and layout (fluxion dataset): its directory or dataset.h5").short_name("d").required();
    t.add("output", &ScoreCli::output, "Output directory (scores.tsv, delta_g_scores.tsv, paper_metrics.tsv, score.json, run_info.json)").short_name("o").required();
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
  bind_options(cmd, learn::ScoreRows::table(), o.rows, ctx);
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
    const learn::ScoreRows& run = o.rows;
    auto scored = package->score(data.value(), file, run, o.score);
    if (!accept(scored, ctx)) return;
    const learn::PredictorScore& score = scored.value().score;
    if (!write_outputs(ctx, info, o.output, package->score_files(scored.value(), file, run))) return;
    info.add_input("predictor", package_path);
    info.add_input("dataset", file);
    info.set("subset", run.subset);
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
    if (o.format == "table") std::fputs(scored.value().table().c_str(), stdout);
    if (o.format == "tsv") std::fputs(score.fluxes_tsv().c_str(), stdout);
    spdlog::info("{}; wrote {}", scored.value().summary(), o.output);
  });
}

}  // namespace fluxion::cli
