// PredictorPackage::score: a package against a dataset's true fluxes, beside the training
// mean (`fluxion score`).
#include <nlohmann/json.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "fluxion/io/run_info.hpp"
#include "fluxion/learn/predictor_package.hpp"

namespace fluxion::learn {

namespace {

// Evenly spaced picks of at most n of the given rows (all when n <= 0 or n >= size).
std::vector<std::uint64_t> pick_rows(const std::vector<std::uint64_t>& rows, long n) {
  if (n <= 0 || static_cast<std::size_t>(n) >= rows.size()) return rows;
  std::vector<std::uint64_t> out;
  for (long i = 0; i < n; ++i) out.push_back(rows[static_cast<std::size_t>(i) * rows.size() / static_cast<std::size_t>(n)]);
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point t) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(); }

}  // namespace

Result<PackageScore> PredictorPackage::score(const sampling::DatasetContents& d, const std::string& source, const ScoreRows& run, ScoreOptions options) const {
  using R = Result<PackageScore>;
  auto error = [](const std::string& where, const std::string& what) { return R::failure({Diagnostic{Severity::error, where, 0, 0, {}, what}}); };
  const std::vector<double>& mean = training_mean();
  if (mean.empty()) return error(path(), "damaged manifest: it has no training mean");
  if (d.manifest.value("settings", nlohmann::json::object()).value("layout", nlohmann::json()) != layout_json())
    return error(source, "its MID layout is not the predictor's (another model, tracer set or element)");
  const FluxExpansion& ex = expansion();
  if (d.flux_columns != ex.columns()) return error(source, "its flux columns are not those of model '" + model_name() + "'");

  std::vector<std::uint64_t> pool = d.test;
  if (run.subset == "all") {
    pool.resize(static_cast<std::size_t>(d.rows));
    for (std::size_t i = 0; i < pool.size(); ++i) pool[i] = i;
  }
  if (!run.where.empty()) {
    const auto op = run.where.find_first_of("<>");
    const std::string flux = op == std::string::npos ? run.where : run.where.substr(0, op);
    const auto at = std::find(d.flux_columns.begin(), d.flux_columns.end(), flux);
    char* end = nullptr;
    const double bound = op == std::string::npos ? NAN : std::strtod(run.where.c_str() + op + 1, &end);
    if (op == std::string::npos || at == d.flux_columns.end() || end == run.where.c_str() + op + 1 || *end != '\0' || !std::isfinite(bound))
      return error("--where " + run.where, "is not FLUX<VALUE or FLUX>VALUE with FLUX one of the dataset's columns (net:<reaction>, xch:<reaction>)");
    const auto c = static_cast<Eigen::Index>(at - d.flux_columns.begin());
    std::vector<std::uint64_t> kept;
    for (auto r : pool)
      if (run.where[op] == '<' ? d.fluxes(static_cast<Eigen::Index>(r), c) < bound : d.fluxes(static_cast<Eigen::Index>(r), c) > bound) kept.push_back(r);
    pool = std::move(kept);
  }
  const std::vector<std::uint64_t> rows = pick_rows(pool, run.rows);
  if (rows.empty()) return error(source, "has no rows to score (" + run.subset + " rows" + (run.where.empty() ? std::string() : " where " + run.where) + ")");

  Eigen::MatrixXd truth(static_cast<Eigen::Index>(rows.size()), d.fluxes.cols());
  Eigen::MatrixXd free_truth(static_cast<Eigen::Index>(rows.size()), d.free_fluxes.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    truth.row(static_cast<Eigen::Index>(i)) = d.fluxes.row(static_cast<Eigen::Index>(rows[i]));
    free_truth.row(static_cast<Eigen::Index>(i)) = d.free_fluxes.row(static_cast<Eigen::Index>(rows[i]));
  }
  PackageScore out;
  const auto tp = std::chrono::steady_clock::now();
  Eigen::MatrixXd mids = d.mid_rows(rows);
  if (run.mid_noise > 0) {  // on the measured entries only: padding stays 0
    const sampling::MidLayout& l = layout();
    std::mt19937_64 rng(run.seed);
    std::normal_distribution<double> noise(0.0, run.mid_noise);
    for (Eigen::Index i = 0; i < mids.rows(); ++i)
      for (std::size_t f = 0; f < l.fields.size(); ++f)
        for (std::size_t x = 0; x < l.experiments.size(); ++x)
          for (int k = 0; k < l.fields[f].isotopologues; ++k) mids(i, static_cast<Eigen::Index>(l.index(f, x, k))) += noise(rng);
  }
  const Eigen::MatrixXd predicted = ex.expand(predictor().predict(mids));
  out.predict_seconds = seconds_since(tp);
  const Eigen::RowVectorXd baseline = ex.expand(Eigen::Map<const Eigen::RowVectorXd>(mean.data(), static_cast<Eigen::Index>(mean.size())));

  options.model_id = provenance().model.id;
  Eigen::VectorXd information;
  long identifiability_rows = 0;
  if (run.identifiability_rows > 0) {
    const auto ti = std::chrono::steady_clock::now();
    auto sim = simulator();
    if (!sim) return R::failure(sim.diagnostics());
    const Eigen::MatrixXd prior = column_covariance(free_truth);
    std::vector<std::uint64_t> all(rows.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    const auto sample = pick_rows(all, run.identifiability_rows);
    Eigen::MatrixXd sampled(static_cast<Eigen::Index>(sample.size()), truth.cols());
    for (std::size_t i = 0; i < sample.size(); ++i) sampled.row(static_cast<Eigen::Index>(i)) = truth.row(static_cast<Eigen::Index>(sample[i]));
    information = identifiability_ratios(sim.value(), ex, sampled, prior, options.mid_sd);
    identifiability_rows = static_cast<long>(sample.size());
    out.identifiability_seconds = seconds_since(ti);
  }
  out.score = score_predictions(ex, truth, predicted, baseline, options, information);
  out.score.identifiability_rows = identifiability_rows;
  return R::success(std::move(out));
}

std::vector<std::pair<std::string, std::string>> PredictorPackage::score_files(const PackageScore& s, const std::string& source, const ScoreRows& run) const {
  nlohmann::json out = s.score.to_json();
  out["predictor"] = {{"file", path()}, {"sha256", io::sha256_file(path())}, {"model", provenance().model.id}};
  out["dataset"] = {{"file", source}, {"subset", run.subset}, {"where", run.where}, {"mid_noise", run.mid_noise}, {"noise_seed", run.seed}};
  out["identifiable_when"] = "median over the sampled rows of posterior / prior SD < 0.5 (linearised; MIDs with SD mid_sd; prior: the covariance of the scored rows' free fluxes)";
  out["counted_when"] = "not constant, identifiable, baseline MAE >= 0.02";
  return {{"scores.tsv", s.score.fluxes_tsv()},
          {"delta_g_scores.tsv", s.score.delta_g_tsv()},
          {"paper_metrics.tsv", s.score.paper_tsv()},
          {"score.json", out.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"}};
}

const OptionTable<ScoreRows>& ScoreRows::table() {
  static const OptionTable<ScoreRows> t = [] {
    OptionTable<ScoreRows> t;
    t.add("subset", &ScoreRows::subset, "Rows scored: test (the dataset's held-out rows; use when the package was trained on this dataset) or all (a fresh dataset)")
        .choices({"test", "all"});
    t.add("where", &ScoreRows::where,
          "Score only the rows where a flux lies below or above a value: FLUX<VALUE or FLUX>VALUE, FLUX as net:<reaction> or xch:<reaction> (e.g. 'xch:v2<1')");
    t.add("rows", &ScoreRows::rows, "At most this many rows, evenly spaced (0: all)").range(0, 1e8);
    t.add("identifiability-rows", &ScoreRows::identifiability_rows, "Rows whose MID sensitivities decide identifiability (0: skip, every flux counts as identifiable)")
        .range(0, 1e6);
    t.add("mid-noise", &ScoreRows::mid_noise, "Score on MIDs with Gaussian noise of this SD added to every measured fraction (as measurements have; 0: exact MIDs)")
        .range(0.0, 1.0);
    t.add("seed", &ScoreRows::seed, "Seed of the MID noise");
    return t;
  }();
  return t;
}

std::string PackageScore::table() const {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-22s %-5s %-6s %10s %10s %10s %10s %8s\n", "flux", "free", "counts", "mae", "mean_mae", "bias", "mean_bias", "skill");
  out += line;
  for (const auto& f : score.fluxes) {
    std::snprintf(line, sizeof line, "%-22s %-5s %-6s %10.4g %10.4g %10.3g %10.3g %8.3f%s\n", f.column.c_str(), f.free ? "yes" : "no", f.counted ? "yes" : "no",
                  f.mae, f.baseline_mae, f.bias, f.baseline_bias, f.skill,
                  f.constant ? "  constant" : (!f.identifiable ? "  not identifiable" : (f.counted ? "" : "  varies < 0.02")));
    out += line;
  }
  std::snprintf(line, sizeof line, "\n%-40s %10s %10s  %s\n", "paper metric", "package", "mean", "target");
  out += line;
  for (const auto& m : score.paper) {
    std::snprintf(line, sizeof line, "%-40s %10.4g %10.4g  %s%s\n", m.name.c_str(), m.value, m.baseline, m.target.c_str(),
                  m.reached ? (*m.reached ? "  reached" : "  missed") : "");
    out += line;
  }
  return out;
}

std::string PackageScore::summary() const {
  const auto below = score.below_baseline();
  std::size_t counted = 0;
  for (const auto& f : score.fluxes) counted += f.counted ? 1 : 0;
  std::string list;
  for (std::size_t i = 0; i < below.size() && i < 8; ++i) {
    if (i) list += ", ";
    list += below[i];
  }
  char line[1024];
  const bool pools = std::any_of(score.fluxes.begin(), score.fluxes.end(), [](const auto& f) { return f.column.rfind("pool:", 0) == 0; });
  char pool_part[64] = "";
  if (pools) std::snprintf(pool_part, sizeof pool_part, ", pools %.3f", score.median_skill("pool"));
  std::snprintf(line, sizeof line, "%ld rows: median skill %.3f over %zu counted %s (net %.3f, exchange %.3f%s); %zu at or below the training mean%s%s",
                static_cast<long>(score.rows), score.median_skill(), counted, pools ? "fluxes and pools" : "fluxes", score.median_skill("net"),
                score.median_skill("xch"), pool_part, below.size(), below.empty() ? "" : ": ", list.c_str());
  return line;
}

}  // namespace fluxion::learn
