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
#include "predictor_packages.hpp"
#include "sampler_options.hpp"

namespace fluxion::cli {

namespace {

struct ScoreCli {
  PackageArgs package;
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

// Evenly spaced picks of at most n of the given rows (all when n <= 0 or n >= size).
std::vector<std::uint64_t> pick_rows(const std::vector<std::uint64_t>& rows, long n) {
  if (n <= 0 || static_cast<std::size_t>(n) >= rows.size()) return rows;
  std::vector<std::uint64_t> out;
  for (long i = 0; i < n; ++i) out.push_back(rows[static_cast<std::size_t>(i) * rows.size() / static_cast<std::size_t>(n)]);
  return out;
}

}  // namespace

void add_score_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static ScoreCli o;
  auto* cmd = app.add_subcommand("score", learned_description("score"));
  bind_options(cmd, PackageArgs::table(), o.package, ctx);
  bind_options(cmd, score_cli_table(), o, ctx);
  bind_options(cmd, learn::ScoreOptions::table(), o.score, ctx);
  cmd->callback([&ctx, argv] {
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    auto input_error = [&ctx](const std::string& where, const std::string& what) { cli::input_error(ctx, where, what); };
    auto package = open_predictor_package(o.package.predictor, o.package.model, ctx);
    if (!package) return;
    const std::string& package_path = package->path();
    const std::string& model_name = package->model_name();
    const learn::FluxPredictor& predictor = package->predictor();
    const learn::FluxExpansion& expansion = package->expansion();
    const sampling::MidLayout& layout = package->layout();
    const std::vector<double>& mean = package->training_mean();
    if (mean.empty()) return input_error(package_path, "damaged manifest: it has no training mean");

    std::string file = o.dataset;
    if (std::filesystem::is_directory(file)) file = (std::filesystem::path(file) / "dataset.h5").string();
    auto data = sampling::read_dataset(file, {.mids_float32 = true});
    if (!accept(data, ctx)) return;
    const sampling::DatasetContents& d = data.value();
    if (d.manifest.value("settings", nlohmann::json::object()).value("layout", nlohmann::json()) != package->layout_json())
      return input_error(file, "its MID layout is not the predictor's (another model, tracer set or element)");
    if (d.flux_columns != expansion.columns()) return input_error(file, "its flux columns are not those of model '" + model_name + "'");
    std::vector<std::uint64_t> pool = d.test;
    if (o.subset == "all") {
      pool.resize(static_cast<std::size_t>(d.rows));
      for (std::size_t i = 0; i < pool.size(); ++i) pool[i] = i;
    }
    if (!o.where.empty()) {
      const auto op = o.where.find_first_of("<>");
      const std::string flux = op == std::string::npos ? o.where : o.where.substr(0, op);
      const auto at = std::find(d.flux_columns.begin(), d.flux_columns.end(), flux);
      char* end = nullptr;
      const double bound = op == std::string::npos ? NAN : std::strtod(o.where.c_str() + op + 1, &end);
      if (op == std::string::npos || at == d.flux_columns.end() || end == o.where.c_str() + op + 1 || *end != '\0' || !std::isfinite(bound))
        return input_error("--where " + o.where, "is not FLUX<VALUE or FLUX>VALUE with FLUX one of the dataset's columns (net:<reaction>, xch:<reaction>)");
      const auto c = static_cast<Eigen::Index>(at - d.flux_columns.begin());
      std::vector<std::uint64_t> kept;
      for (auto r : pool)
        if (o.where[op] == '<' ? d.fluxes(static_cast<Eigen::Index>(r), c) < bound : d.fluxes(static_cast<Eigen::Index>(r), c) > bound) kept.push_back(r);
      pool = std::move(kept);
    }
    const std::vector<std::uint64_t> rows = pick_rows(pool, o.rows);
    if (rows.empty()) return input_error(file, "has no rows to score (" + o.subset + " rows" + (o.where.empty() ? std::string() : " where " + o.where) + ")");

    Eigen::MatrixXd truth(static_cast<Eigen::Index>(rows.size()), d.fluxes.cols());
    Eigen::MatrixXd free_truth(static_cast<Eigen::Index>(rows.size()), d.free_fluxes.cols());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      truth.row(static_cast<Eigen::Index>(i)) = d.fluxes.row(static_cast<Eigen::Index>(rows[i]));
      free_truth.row(static_cast<Eigen::Index>(i)) = d.free_fluxes.row(static_cast<Eigen::Index>(rows[i]));
    }
    const auto tp = std::chrono::steady_clock::now();
    Eigen::MatrixXd mids = d.mid_rows(rows);
    if (o.mid_noise > 0) {  // on the measured entries only: padding stays 0
      std::mt19937_64 rng(o.seed);
      std::normal_distribution<double> noise(0.0, o.mid_noise);
      for (Eigen::Index i = 0; i < mids.rows(); ++i)
        for (std::size_t f = 0; f < layout.fields.size(); ++f)
          for (std::size_t x = 0; x < layout.experiments.size(); ++x)
            for (int k = 0; k < layout.fields[f].isotopologues; ++k) mids(i, static_cast<Eigen::Index>(layout.index(f, x, k))) += noise(rng);
    }
    const Eigen::MatrixXd predicted = expansion.expand(predictor.predict(mids));
    const double predict_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - tp).count();
    const Eigen::RowVectorXd baseline = expansion.expand(Eigen::Map<const Eigen::RowVectorXd>(mean.data(), static_cast<Eigen::Index>(mean.size())));

    learn::ScoreOptions so = o.score;
    so.model_id = package->provenance().model.id;
    Eigen::VectorXd information;
    long identifiability_rows = 0;
    double identifiability_seconds = 0;
    if (o.identifiability_rows > 0) {
      const auto ti = std::chrono::steady_clock::now();
      auto simulator = package->simulator();
      if (!accept(simulator, ctx)) return;
      const Eigen::MatrixXd prior = learn::column_covariance(free_truth);
      std::vector<std::uint64_t> all(rows.size());
      for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
      const auto sample = pick_rows(all, o.identifiability_rows);
      Eigen::MatrixXd sampled(static_cast<Eigen::Index>(sample.size()), truth.cols());
      for (std::size_t i = 0; i < sample.size(); ++i) sampled.row(static_cast<Eigen::Index>(i)) = truth.row(static_cast<Eigen::Index>(sample[i]));
      information = learn::identifiability_ratios(simulator.value(), expansion, sampled, prior, o.score.mid_sd);
      identifiability_rows = static_cast<long>(sample.size());
      identifiability_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - ti).count();
    }
    learn::PredictorScore score = learn::score_predictions(expansion, truth, predicted, baseline, so, information);
    score.identifiability_rows = identifiability_rows;

    auto made = io::make_output_directory(o.output);
    if (!accept(made, ctx)) return;
    nlohmann::json out = score.to_json();
    out["predictor"] = {{"file", package_path}, {"sha256", io::sha256_file(package_path)}, {"model", so.model_id}};
    out["dataset"] = {{"file", file}, {"subset", o.subset}, {"where", o.where}, {"mid_noise", o.mid_noise}, {"noise_seed", o.seed}};
    out["identifiable_when"] = "median over the sampled rows of posterior / prior SD < 0.5 (linearised; MIDs with SD mid_sd; prior: the covariance of the scored rows' free fluxes)";
    out["counted_when"] = "not constant, identifiable, baseline MAE >= 0.02";
    for (const auto& [name, text] : {std::pair{std::string("/scores.tsv"), score.fluxes_tsv()}, std::pair{std::string("/delta_g_scores.tsv"), score.delta_g_tsv()},
                                     std::pair{std::string("/paper_metrics.tsv"), score.paper_tsv()}, std::pair{std::string("/score.json"), out.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"}})
      if (auto w = io::write_output_file(o.output + name, text); !w) {
        print_diagnostics(w.diagnostics());
        ctx.exit_code = kExitFailure;
        return;
      }
    info.add_input("predictor", package_path);
    info.add_input("dataset", file);
    info.set("subset", o.subset);
    info.set("rows", std::to_string(score.rows));
    info.set("median_skill", format_number(score.median_skill()));
    for (const char* f : {"/scores.tsv", "/delta_g_scores.tsv", "/paper_metrics.tsv", "/score.json"}) info.add_output(o.output + f);
    info.add_timing("prediction", predict_seconds);
    info.add_timing("identifiability", identifiability_seconds);
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
