// Error tables of a predictor on its dataset's test rows: the complete level and the
// levels by masking, per imputer (learn/prediction.hpp).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "fluxion/core/progress.hpp"
#include "fluxion/learn/prediction.hpp"
#include "prediction_internal.hpp"

namespace fluxion::learn {

using detail::kNaN;
using detail::masked_share;
using detail::spread;

namespace {

constexpr long kMinBandRows = 30;  // a band with fewer test rows is not used

ErrorLevel make_level(const std::string& imputer, double from, double to, const Eigen::MatrixXd& pred, const Eigen::MatrixXd& truth,
                      const FluxExpansion& x, double temperature) {
  ErrorLevel l;
  l.imputer = imputer;
  l.masked_from = from;
  l.masked_to = to;
  l.rows = pred.rows();
  for (Eigen::Index j = 0; j < pred.cols(); ++j) {
    std::vector<double> e(static_cast<std::size_t>(pred.rows()));
    long abs_ok = 0, rel_ok = 0;
    for (Eigen::Index i = 0; i < pred.rows(); ++i) {
      e[static_cast<std::size_t>(i)] = pred(i, j) - truth(i, j);
      abs_ok += std::fabs(pred(i, j) - truth(i, j)) <= 0.05;
      rel_ok += std::fabs(pred(i, j) - truth(i, j)) <= 0.05 * std::fabs(truth(i, j)) + 1e-12;
    }
    const double rows = std::max<double>(1.0, static_cast<double>(pred.rows()));
    l.within_abs.push_back(static_cast<double>(abs_ok) / rows);
    l.within_rel.push_back(static_cast<double>(rel_ok) / rows);
    const auto [hw, mae] = spread(std::move(e));
    l.half_width_68.push_back(hw);
    l.mae.push_back(mae);
  }
  const Eigen::MatrixXd dg_pred = x.delta_g(pred, temperature), dg_true = x.delta_g(truth, temperature);
  for (Eigen::Index j = 0; j < dg_pred.cols(); ++j) {
    std::vector<double> e;
    for (Eigen::Index i = 0; i < dg_pred.rows(); ++i)
      if (std::isfinite(dg_pred(i, j)) && std::isfinite(dg_true(i, j))) e.push_back(dg_pred(i, j) - dg_true(i, j));
    const auto ok = std::count_if(e.begin(), e.end(), [](double v) { return std::fabs(v) <= 1.0; });
    l.dg_within_1kj.push_back(e.empty() ? kNaN : static_cast<double>(ok) / static_cast<double>(e.size()));
    const auto [hw, mae] = spread(std::move(e));
    l.dg_half_width_68.push_back(hw);
    l.dg_mae.push_back(mae);
  }
  // VSSR of the free fluxes with this level's standard errors (fluxes fixed by the model
  // have se 0 and no error, and count no degree of freedom)
  std::vector<std::size_t> used;
  for (std::size_t f : x.free_in_full())
    if (l.half_width_68[f] > 0) used.push_back(f);
  if (!used.empty() && pred.rows() > 0) {
    const double critical = chi_squared_critical(static_cast<double>(used.size()));
    long accepted = 0;
    for (Eigen::Index i = 0; i < pred.rows(); ++i) {
      double vssr = 0;
      for (std::size_t f : used) {
        const double z = (pred(i, static_cast<Eigen::Index>(f)) - truth(i, static_cast<Eigen::Index>(f))) / l.half_width_68[f];
        vssr += z * z;
      }
      if (vssr <= critical) ++accepted;
    }
    l.vssr_acceptance = static_cast<double>(accepted) / static_cast<double>(pred.rows());
  }
  return l;
}

nlohmann::json numbers(const std::vector<double>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (double x : v) a.push_back(std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr));
  return a;
}

std::vector<double> read_numbers(const nlohmann::json& a) {
  std::vector<double> v;
  for (const auto& x : a) v.push_back(x.is_null() ? kNaN : x.get<double>());
  return v;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Error tables

const ErrorLevel* ErrorTables::match(const std::string& imputer, double masked) const {
  const ErrorLevel* complete = nullptr;
  std::vector<const ErrorLevel*> bands;
  for (const auto& l : levels) {
    if (l.imputer == "none") complete = &l;
    else if (l.imputer == imputer && l.rows >= kMinBandRows) bands.push_back(&l);
  }
  if (masked <= 0 || imputer == "none") return complete;
  std::sort(bands.begin(), bands.end(), [](auto* a, auto* b) { return a->masked_to < b->masked_to; });
  for (const auto* b : bands)
    if (masked <= b->masked_to) return b;  // its own band, or the nearest with more masking
  return bands.empty() ? nullptr : bands.back();
}

nlohmann::json ErrorTables::to_json() const {
  nlohmann::json l = nlohmann::json::array();
  for (const auto& v : levels)
    l.push_back({{"imputer", v.imputer},
                 {"masked_from", v.masked_from},
                 {"masked_to", v.masked_to},
                 {"rows", v.rows},
                 {"half_width_68", numbers(v.half_width_68)},
                 {"mae", numbers(v.mae)},
                 {"within_0.05", numbers(v.within_abs)},
                 {"within_5_percent", numbers(v.within_rel)},
                 {"dg_half_width_68", numbers(v.dg_half_width_68)},
                 {"dg_mae", numbers(v.dg_mae)},
                 {"dg_within_1kj", numbers(v.dg_within_1kj)},
                 {"vssr_acceptance", v.vssr_acceptance}});
  return {{"columns", columns},
          {"dg_reactions", dg_reactions},
          {"temperature", temperature},
          {"standard_error", "half the width of the central 68.27 % of test-set errors (prediction - truth)"},
          {"baseline_mae", numbers(baseline_mae)},
          {"baseline", "the predictor's training mean of each flux, on the complete level's rows"},
          {"levels", l}};
}

ErrorTables ErrorTables::from_json(const nlohmann::json& j) {
  ErrorTables t;
  try {
    t.columns = j.at("columns").get<std::vector<std::string>>();
    t.dg_reactions = j.at("dg_reactions").get<std::vector<std::string>>();
    t.temperature = j.at("temperature").get<double>();
    if (j.contains("baseline_mae")) {
      t.baseline_mae = read_numbers(j.at("baseline_mae"));
      if (t.baseline_mae.size() != t.columns.size()) throw std::invalid_argument("the baseline MAE does not match the table's columns");
    }
    for (const auto& v : j.at("levels")) {
      ErrorLevel l;
      l.imputer = v.at("imputer").get<std::string>();
      l.masked_from = v.at("masked_from").get<double>();
      l.masked_to = v.at("masked_to").get<double>();
      l.rows = v.at("rows").get<long>();
      l.half_width_68 = read_numbers(v.at("half_width_68"));
      l.mae = read_numbers(v.at("mae"));
      l.within_abs = read_numbers(v.at("within_0.05"));
      l.within_rel = read_numbers(v.at("within_5_percent"));
      l.dg_half_width_68 = read_numbers(v.at("dg_half_width_68"));
      l.dg_mae = read_numbers(v.at("dg_mae"));
      l.dg_within_1kj = read_numbers(v.at("dg_within_1kj"));
      l.vssr_acceptance = v.at("vssr_acceptance").get<double>();
      if (l.half_width_68.size() != t.columns.size() || l.dg_half_width_68.size() != t.dg_reactions.size())
        throw std::invalid_argument("an error level does not match the table's columns");
      t.levels.push_back(std::move(l));
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("error tables: ") + e.what());
  }
  return t;
}

double ErrorTables::skill(const ErrorLevel& level, std::size_t column) const {
  if (column >= baseline_mae.size() || column >= level.mae.size() || !(baseline_mae[column] > 0)) return NAN;
  return 1 - level.mae[column] / baseline_mae[column];
}

std::vector<Diagnostic> ErrorTableOptions::validate() const {
  Diagnostics d("error-table options");
  if (max_rows < 1) d.error("must be at least 1", 0, 0, "max_rows");
  if (max_masked_rows < 0) d.error("must be 0 or more", 0, 0, "max_masked_rows");
  if (bands.size() < 2) d.error("needs at least two band edges", 0, 0, "bands");
  for (std::size_t k = 0; k < bands.size(); ++k)
    if (!(bands[k] >= 0 && bands[k] <= 1) || (k > 0 && !(bands[k] > bands[k - 1]))) {
      d.error("band edges must rise within [0, 1]", 0, 0, "bands");
      break;
    }
  if (!(temperature > 0) || !std::isfinite(temperature)) d.error("must be a finite temperature > 0 K", 0, 0, "temperature");
  return d.items();
}

Result<ErrorTables> compute_error_tables(const FluxPredictor& predictor, const FluxExpansion& x, const sampling::DatasetContents& data,
                                         const KnnImputer* imputer, const ErrorTableOptions& o, const PcnnImputer* pcnn) {
  using R = Result<ErrorTables>;
  if (auto problems = o.validate(); !problems.empty()) return R::failure(problems);
  if (data.flux_columns != x.columns())
    return R::failure({Diagnostic{Severity::error, "", 0, 0, {}, "the dataset's flux columns are not the model's (was it made from another model?)"}});
  ErrorTables t;
  t.columns = x.columns();
  t.dg_reactions = x.dg_reactions();
  t.temperature = o.temperature;
  auto truth_of = [&](const std::vector<std::uint64_t>& rows) {
    Eigen::MatrixXd m(static_cast<Eigen::Index>(rows.size()), data.fluxes.cols());
    for (std::size_t i = 0; i < rows.size(); ++i) m.row(static_cast<Eigen::Index>(i)) = data.fluxes.row(static_cast<Eigen::Index>(rows[i]));
    return m;
  };
  std::vector<std::uint64_t> rows(data.test.begin(), data.test.begin() + std::min<long>(o.max_rows, static_cast<long>(data.test.size())));
  if (rows.empty()) return R::failure({Diagnostic{Severity::error, "", 0, 0, {}, "the dataset has no test rows"}});
  {
    const Eigen::MatrixXd pred = x.expand(predictor.predict(data.mid_rows(rows)));
    const Eigen::MatrixXd truth = truth_of(rows);
    t.levels.push_back(make_level("none", 0, 0, pred, truth, x, o.temperature));
    const auto mean = predictor.manifest().value("training_mean", std::vector<double>());
    if (mean.size() == x.free_columns().size()) {
      const Eigen::RowVectorXd baseline = x.expand(Eigen::Map<const Eigen::RowVectorXd>(mean.data(), static_cast<Eigen::Index>(mean.size())));
      for (Eigen::Index j = 0; j < truth.cols(); ++j) t.baseline_mae.push_back((truth.col(j).array() - baseline(j)).abs().mean());
    }
  }
  if (!imputer && !pcnn) return R::success(std::move(t));

  // masked test rows: masks drawn in order from one seeded stream, imputed in parallel
  const sampling::MidLayout& layout = imputer ? imputer->layout() : pcnn->layout();
  const std::vector<bool> pad = padding_entries(layout);
  const long n = std::min<long>(o.max_masked_rows, static_cast<long>(data.test.size()));
  std::vector<std::uint64_t> masked_rows(data.test.begin(), data.test.begin() + n);
  const Eigen::MatrixXd complete = data.mid_rows(masked_rows);
  std::vector<std::vector<bool>> masks(static_cast<std::size_t>(n));
  std::vector<double> share(static_cast<std::size_t>(n));
  std::mt19937_64 rng(o.seed ^ 0x5eedULL);
  const auto nx = static_cast<std::uint64_t>(layout.experiments.size());
  for (long i = 0; i < n; ++i) {
    const int experiments = 1 + static_cast<int>((rng() >> 11) % nx);
    const double keep = 0.1 + 0.9 * static_cast<double>(rng() >> 11) * 0x1.0p-53;
    masks[static_cast<std::size_t>(i)] = random_mask(layout, experiments, keep, rng);
    share[static_cast<std::size_t>(i)] = masked_share(masks[static_cast<std::size_t>(i)], pad);
  }
  const Eigen::MatrixXd truth = truth_of(masked_rows);
  auto add_levels = [&](const std::string& name, const Eigen::MatrixXd& imputed) {
    const Eigen::MatrixXd pred = x.expand(predictor.predict(imputed));
    for (std::size_t b = 0; b + 1 < o.bands.size(); ++b) {
      std::vector<Eigen::Index> in;
      for (long i = 0; i < n; ++i)
        if (share[static_cast<std::size_t>(i)] > o.bands[b] && share[static_cast<std::size_t>(i)] <= o.bands[b + 1]) in.push_back(i);
      t.levels.push_back(make_level(name, o.bands[b], o.bands[b + 1], pred(in, Eigen::all), truth(in, Eigen::all), x, o.temperature));
    }
  };
  auto masked_values = [&](long i) {
    Eigen::VectorXd v = complete.row(i).transpose();
    const auto& known = masks[static_cast<std::size_t>(i)];
    for (Eigen::Index e = 0; e < v.size(); ++e)
      if (!known[static_cast<std::size_t>(e)]) v(e) = 0;
    return v;
  };
  if (pcnn) {
    Eigen::MatrixXd imputed(n, complete.cols());
    for (long at = 0; at < n; at += 256) {
      const long rows = std::min<long>(256, n - at);
      Eigen::MatrixXd block(rows, complete.cols());
      std::vector<std::vector<bool>> k(masks.begin() + at, masks.begin() + at + rows);
      for (long i = 0; i < rows; ++i) block.row(i) = masked_values(at + i).transpose();
      imputed.middleRows(at, rows) = pcnn->impute_batch(block, k);
      for (long i = 0; i < rows; ++i) {
        Eigen::VectorXd v = imputed.row(at + i).transpose();
        renormalise_imputed(layout, v, masks[static_cast<std::size_t>(at + i)]);
        imputed.row(at + i) = v.transpose();
      }
    }
    add_levels("pcnn", imputed);
  }
  if (!imputer) return R::success(std::move(t));
  Eigen::MatrixXd imputed(n, complete.cols());
  ProgressBar bar("error tables (imputing masked test patterns)", n, "patterns", o.progress);
  std::atomic<long> next{0}, done{0};
  const auto main_thread = std::this_thread::get_id();
  auto work = [&] {
    for (long i; (i = next.fetch_add(1)) < n;) {
      if (std::this_thread::get_id() == main_thread) bar.update(done.load());
      imputed.row(i) = imputer->impute(masked_values(i), masks[static_cast<std::size_t>(i)]).values.transpose();
      done.fetch_add(1);
    }
  };
  const unsigned threads = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < threads; ++w) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
  bar.update(done.load());
  bar.finish();
  add_levels("knn", imputed);
  return R::success(std::move(t));
}

}  // namespace fluxion::learn
