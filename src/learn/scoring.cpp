#include "fluxion/learn/scoring.hpp"

#include "fluxion/core/format.hpp"

#include <algorithm>
#include <cmath>
#include <Eigen/Eigenvalues>
#include <array>
#include <cstdio>
#include <set>

namespace fluxion::learn {

namespace {

double median(std::vector<double> x) {
  if (x.empty()) return NAN;
  std::sort(x.begin(), x.end());
  const std::size_t n = x.size();
  return n % 2 == 1 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

// linear interpolation between order statistics (numpy's default)
double quantile(std::vector<double> x, double q) {
  if (x.empty()) return NAN;
  std::sort(x.begin(), x.end());
  const double at = q * static_cast<double>(x.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(at));
  const auto hi = std::min(lo + 1, x.size() - 1);
  return x[lo] + (at - static_cast<double>(lo)) * (x[hi] - x[lo]);
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

std::string number_or_na(double v) { return std::isfinite(v) ? format_short(v) : std::string("NA"); }

nlohmann::json json_number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

struct ErrorStats {
  double mae = 0, bias = 0, within_abs = 0, within_rel = 0;
};

ErrorStats error_stats(const Eigen::VectorXd& truth, const Eigen::VectorXd& predicted, double tol, double rel) {
  ErrorStats s;
  const auto n = static_cast<double>(truth.size());
  if (truth.size() == 0) return s;
  for (Eigen::Index i = 0; i < truth.size(); ++i) {
    const double e = predicted(i) - truth(i);
    s.mae += std::fabs(e) / n;
    s.bias += e / n;
    if (std::fabs(e) <= tol) s.within_abs += 1 / n;
    if (std::fabs(e) <= rel * std::fabs(truth(i))) s.within_rel += 1 / n;
  }
  return s;
}

// Indices of the columns named `ids` with this prefix ("net:" or "xch:"), in that order.
std::vector<std::size_t> columns_named(const std::vector<std::string>& columns, const char* prefix, const std::vector<std::string>& ids) {
  std::vector<std::size_t> out;
  for (const auto& id : ids)
    for (std::size_t j = 0; j < columns.size(); ++j)
      if (columns[j] == prefix + id) out.push_back(j);
  return out;
}

// Share of (row, column) pairs within the relative tolerance, over the given columns.
double pair_share_relative(const Eigen::MatrixXd& truth, const Eigen::MatrixXd& predicted, const std::vector<std::size_t>& cols, double rel) {
  double hit = 0, n = 0;
  for (std::size_t j : cols)
    for (Eigen::Index i = 0; i < truth.rows(); ++i) {
      const auto c = static_cast<Eigen::Index>(j);
      hit += std::fabs(predicted(i, c) - truth(i, c)) <= rel * std::fabs(truth(i, c)) ? 1 : 0;
      n += 1;
    }
  return n > 0 ? hit / n : NAN;
}

double pair_share_absolute(const Eigen::MatrixXd& truth, const Eigen::MatrixXd& predicted, const std::vector<std::size_t>& cols, double tol) {
  double hit = 0, n = 0;
  for (std::size_t j : cols)
    for (Eigen::Index i = 0; i < truth.rows(); ++i) {
      const auto c = static_cast<Eigen::Index>(j);
      hit += std::fabs(predicted(i, c) - truth(i, c)) <= tol ? 1 : 0;
      n += 1;
    }
  return n > 0 ? hit / n : NAN;
}

// Relative errors (pred − truth) / truth of the given columns, over the rows kept.
std::vector<double> relative_errors(const Eigen::MatrixXd& truth, const Eigen::MatrixXd& predicted, const std::vector<std::size_t>& cols,
                                    const std::vector<bool>& keep) {
  std::vector<double> out;
  for (std::size_t j : cols)
    for (Eigen::Index i = 0; i < truth.rows(); ++i) {
      const auto c = static_cast<Eigen::Index>(j);
      if (!keep[static_cast<std::size_t>(i)] || truth(i, c) == 0) continue;
      out.push_back((predicted(i, c) - truth(i, c)) / truth(i, c));
    }
  return out;
}

double iqr_half_width(const std::vector<double>& e) {
  if (e.empty()) return NAN;
  return std::max(std::fabs(quantile(e, 0.25)), std::fabs(quantile(e, 0.75)));
}

// The per-reaction metric: the share of the given flux scores whose |bias| (or MAE) is
// within tol.
double share_of_reactions(const std::vector<const FluxScore*>& s, double tol, bool use_mae, bool baseline) {
  if (s.empty()) return NAN;
  double hit = 0;
  for (const auto* f : s) {
    const double v = use_mae ? (baseline ? f->baseline_mae : f->mae) : std::fabs(baseline ? f->baseline_bias : f->bias);
    hit += v <= tol ? 1 : 0;
  }
  return hit / static_cast<double>(s.size());
}

void add_paper_metrics(PredictorScore& out, const FluxExpansion& expansion, const Eigen::MatrixXd& truth, const Eigen::MatrixXd& predicted,
                       const Eigen::MatrixXd& baseline_rows, const ScoreOptions& o) {
  const auto& columns = expansion.columns();
  std::vector<std::size_t> varying_net, varying_xch, counted_net;
  std::vector<const FluxScore*> net_scores, identifiable_net_scores;
  for (std::size_t j = 0; j < out.fluxes.size(); ++j) {
    const FluxScore& f = out.fluxes[j];
    if (f.constant) continue;
    if (starts_with(f.column, "net:")) {
      varying_net.push_back(j);
      net_scores.push_back(&f);
      if (f.identifiable) {
        counted_net.push_back(j);
        identifiable_net_scores.push_back(&f);
      }
    } else {
      varying_xch.push_back(j);
    }
  }
  auto add = [&](std::string name, std::string definition, std::string target, double value, double base, std::optional<bool> reached) {
    out.paper.push_back({std::move(name), std::move(definition), std::move(target), value, base, reached});
  };
  const std::string& m = o.model_id;
  if (m == "simple") {
    const double net = pair_share_relative(truth, predicted, varying_net, 0.05), xch = pair_share_relative(truth, predicted, varying_xch, 0.05);
    add("net_within_5_percent", "share of (row, net flux that varies) with |error| <= 5 % of |truth|", ">= 0.95 (the paper: all test data)", net,
        pair_share_relative(truth, baseline_rows, varying_net, 0.05), net >= 0.95);
    add("exchange_within_5_percent", "share of (row, exchange flux that varies) with |error| <= 5 % of |truth|", ">= 0.95 (the paper: all test data)", xch,
        pair_share_relative(truth, baseline_rows, varying_xch, 0.05), xch >= 0.95);
  } else if (m == "upper_glycolysis") {
    const double xch = pair_share_relative(truth, predicted, varying_xch, 0.10);
    add("exchange_within_10_percent", "share of (row, exchange flux that varies) with |error| <= 10 % of |truth|", ">= 0.95 (the paper: within 10 %)", xch,
        pair_share_relative(truth, baseline_rows, varying_xch, 0.10), xch >= 0.95);
  } else if (m == "glycolysis") {
    const auto lower = columns_named(columns, "xch:", {"GAPD", "PGK", "PGM1", "PGM2", "ENO"});
    const auto tpi = columns_named(columns, "xch:", {"TPI"});
    std::vector<bool> all(static_cast<std::size_t>(truth.rows()), true), low_tpi(all.size(), false);
    for (Eigen::Index i = 0; i < truth.rows(); ++i)
      low_tpi[static_cast<std::size_t>(i)] = !tpi.empty() && truth(i, static_cast<Eigen::Index>(tpi.front())) <= 2;
    const double a = iqr_half_width(relative_errors(truth, predicted, lower, all));
    const double b = iqr_half_width(relative_errors(truth, predicted, lower, low_tpi));
    add("lower_glycolysis_exchange_iqr", "larger of |25th| and |75th percentile| of the relative errors of the GAPD, PGK, PGM1, PGM2, ENO exchange fluxes",
        "<= 0.10 (the paper: about ±10 %)", a, iqr_half_width(relative_errors(truth, baseline_rows, lower, all)), a <= 0.10);
    add("lower_glycolysis_exchange_iqr_tpi_le_2", "the same over the rows whose TPI exchange flux is <= 2", "<= 0.05 (the paper: about ±5 %)", b,
        iqr_half_width(relative_errors(truth, baseline_rows, lower, low_tpi)), b <= 0.05);
  } else if (m == "glyppp" || m == "ccm") {
    const double tol = m == "glyppp" ? 0.03 : 0.05;
    const double need = m == "glyppp" ? 1.0 : 0.85;
    const std::string t = format_short(tol);
    const double bias = share_of_reactions(net_scores, tol, false, false), mae = share_of_reactions(net_scores, tol, true, false);
    add("reactions_mean_error_within_" + t, "share of net fluxes that vary whose per-reaction signed mean error is within ±" + t,
        ">= " + format_short(need) + (m == "glyppp" ? " (the paper: all errors within ±0.03)" : " (the paper: 85 % of fluxes within ±0.05)"), bias,
        share_of_reactions(net_scores, tol, false, true), bias >= need);
    add("reactions_mae_within_" + t, "share of net fluxes that vary whose per-reaction MAE is within " + t + " (the signed mean above, without its cancellation)",
        ">= " + format_short(need), mae, share_of_reactions(net_scores, tol, true, true), mae >= need);
    const double ib = share_of_reactions(identifiable_net_scores, tol, false, false), im = share_of_reactions(identifiable_net_scores, tol, true, false);
    add("identifiable_reactions_mean_error_within_" + t, "the same signed-mean share over the identifiable net fluxes that vary", ">= " + format_short(need), ib,
        share_of_reactions(identifiable_net_scores, tol, false, true), ib >= need);
    add("identifiable_reactions_mae_within_" + t, "the same MAE share over the identifiable net fluxes that vary", ">= " + format_short(need), im,
        share_of_reactions(identifiable_net_scores, tol, true, true), im >= need);
    if (m == "ccm") {
      const double pairs = pair_share_absolute(truth, predicted, counted_net, 0.05);
      add("pairs_within_0.05", "share of (row, identifiable net flux that varies) with |error| <= 0.05", ">= 0.85", pairs,
          pair_share_absolute(truth, baseline_rows, counted_net, 0.05), pairs >= 0.85);
    }
  }
  if (!out.delta_g.empty()) {
    std::vector<double> p, b;
    for (const auto& g : out.delta_g)
      if (std::isfinite(g.within_1kj)) {
        p.push_back(g.within_1kj);
        b.push_back(g.baseline_within_1kj);
      }
    add("delta_g_within_1kj", "median over reversible reactions of the share of rows (drawn evenly from |ΔG| <= 0.5, 0.5-1, > 1 kJ/mol) within 1 kJ/mol",
        "none (the paper: mostly within 1 kJ/mol)", median(p), median(b), std::nullopt);
  }
}

}  // namespace

double PredictorScore::median_skill(const std::string& kind) const {
  std::vector<double> s;
  for (const auto& f : fluxes)
    if (f.counted && (kind.empty() || starts_with(f.column, (kind + ":").c_str()))) s.push_back(f.skill);
  return median(s);
}

std::vector<std::string> PredictorScore::below_baseline() const {
  std::vector<std::string> out;
  for (const auto& f : fluxes)
    if (f.counted && !(f.skill > 0)) out.push_back(f.column);
  return out;
}

nlohmann::json PredictorScore::to_json() const {
  nlohmann::json f = nlohmann::json::array();
  for (const auto& s : fluxes)
    f.push_back({{"flux", s.column},
                 {"free", s.free},
                 {"constant", s.constant},
                 {"identifiable", s.identifiable},
                 {"information", json_number(s.information)},
                 {"counted", s.counted},
                 {"mae", s.mae},
                 {"bias", s.bias},
                 {"within_abs", s.within_abs},
                 {"within_rel", s.within_rel},
                 {"baseline_mae", s.baseline_mae},
                 {"baseline_bias", s.baseline_bias},
                 {"baseline_within_abs", s.baseline_within_abs},
                 {"baseline_within_rel", s.baseline_within_rel},
                 {"skill", json_number(s.skill)}});
  nlohmann::json g = nlohmann::json::array();
  for (const auto& s : delta_g)
    g.push_back({{"reaction", s.reaction},
                 {"rows", s.rows},
                 {"balanced", s.balanced},
                 {"mae", json_number(s.mae)},
                 {"within_1kj", json_number(s.within_1kj)},
                 {"baseline_mae", json_number(s.baseline_mae)},
                 {"baseline_within_1kj", json_number(s.baseline_within_1kj)}});
  nlohmann::json p = nlohmann::json::array();
  for (const auto& m : paper)
    p.push_back({{"metric", m.name},
                 {"definition", m.definition},
                 {"target", m.target},
                 {"value", json_number(m.value)},
                 {"baseline", json_number(m.baseline)},
                 {"reached", m.reached ? nlohmann::json(*m.reached) : nlohmann::json(nullptr)}});
  nlohmann::json out = {{"rows", rows},
          {"mid_sd", mid_sd},
          {"identifiability_rows", identifiability_rows},
          {"median_skill", json_number(median_skill())},
          {"median_skill_net", json_number(median_skill("net"))},
          {"median_skill_exchange", json_number(median_skill("xch"))},
          {"below_baseline", below_baseline()},
          {"baseline", "the training mean of each flux"},
          {"skill", "1 - MAE / MAE of the baseline"},
          {"fluxes", f},
          {"delta_g", g},
          {"paper_metrics", p}};
  if (std::any_of(fluxes.begin(), fluxes.end(), [](const auto& x) { return starts_with(x.column, "pool:"); }))
    out["median_skill_pools"] = json_number(median_skill("pool"));  // time-course predictors
  return out;
}

std::string PredictorScore::fluxes_tsv() const {
  std::string t =
      "flux\tfree\tconstant\tidentifiable\tinformation\tcounted\tmae\tbias\twithin_abs\twithin_rel\tbaseline_mae\tbaseline_bias\tbaseline_within_abs\t"
      "baseline_within_rel\tskill\n";
  auto yes = [](bool b) { return std::string(b ? "yes" : "no"); };
  for (const auto& s : fluxes)
    t += s.column + '\t' + yes(s.free) + '\t' + yes(s.constant) + '\t' + yes(s.identifiable) + '\t' + number_or_na(s.information) + '\t' + yes(s.counted) +
         '\t' + format_short(s.mae) + '\t' + format_short(s.bias) + '\t' + format_short(s.within_abs) + '\t' + format_short(s.within_rel) + '\t' +
         format_short(s.baseline_mae) + '\t' + format_short(s.baseline_bias) + '\t' + format_short(s.baseline_within_abs) + '\t' +
         format_short(s.baseline_within_rel) + '\t' + number_or_na(s.skill) + '\n';
  return t;
}

std::string PredictorScore::delta_g_tsv() const {
  std::string t = "reaction\trows\tbalanced\tmae\twithin_1kj\tbaseline_mae\tbaseline_within_1kj\n";
  for (const auto& s : delta_g)
    t += s.reaction + '\t' + std::to_string(s.rows) + '\t' + (s.balanced ? "yes" : "no") + '\t' + number_or_na(s.mae) + '\t' + number_or_na(s.within_1kj) +
         '\t' + number_or_na(s.baseline_mae) + '\t' + number_or_na(s.baseline_within_1kj) + '\n';
  return t;
}

std::string PredictorScore::paper_tsv() const {
  std::string t = "metric\tvalue\tbaseline\ttarget\treached\tdefinition\n";
  for (const auto& m : paper)
    t += m.name + '\t' + number_or_na(m.value) + '\t' + number_or_na(m.baseline) + '\t' + m.target + '\t' +
         (m.reached ? (*m.reached ? "yes" : "no") : "NA") + '\t' + m.definition + '\n';
  return t;
}

const OptionTable<ScoreOptions>& ScoreOptions::table() {
  static const OptionTable<ScoreOptions> t = [] {
    OptionTable<ScoreOptions> t;
    t.add("mid-sd", &ScoreOptions::mid_sd, "SD of a measured MID fraction, for identifiability").range(1e-9, 1.0);
    t.add("tolerance", &ScoreOptions::tolerance, "Absolute tolerance of the within-tolerance shares (flux units)").range(1e-12, 1e12);
    t.add("temperature", &ScoreOptions::temperature, "Temperature of ΔG, K").range(1.0, 1000.0);
    return t;
  }();
  return t;
}

std::vector<Diagnostic> ScoreOptions::validate() const {
  Diagnostics d("score options");
  d.append(table().check(*this, "score options"));
  auto positive = [&](double v, const char* field) {
    if (!(v > 0) || !std::isfinite(v)) d.error("must be a finite number > 0", 0, 0, field);
  };
  positive(tolerance, "tolerance");
  positive(mid_sd, "mid_sd");
  positive(temperature, "temperature");
  if (!(relative_tolerance >= 0) || !std::isfinite(relative_tolerance)) d.error("must be 0 or more", 0, 0, "relative_tolerance");
  if (!(skill_floor >= 0) || !std::isfinite(skill_floor)) d.error("must be 0 or more", 0, 0, "skill_floor");
  if (!(identifiable_ratio > 0 && identifiable_ratio <= 1)) d.error("must be in (0, 1]", 0, 0, "identifiable_ratio");
  return d.items();
}

PredictorScore score_predictions(const FluxExpansion& expansion, const Eigen::MatrixXd& truth, const Eigen::MatrixXd& predicted,
                                 const Eigen::RowVectorXd& baseline, const ScoreOptions& o, const Eigen::VectorXd& information) {
  const auto& columns = expansion.columns();
  const auto n_cols = static_cast<Eigen::Index>(columns.size());
  if (truth.cols() != n_cols || predicted.cols() != n_cols || baseline.size() != n_cols || predicted.rows() != truth.rows())
    throw std::invalid_argument("score_predictions: truth, predictions and baseline must have one column per full flux and the same rows");
  if (information.size() != 0 && information.size() != n_cols) throw std::invalid_argument("score_predictions: one information ratio per full flux");
  PredictorScore out;
  out.rows = truth.rows();
  out.mid_sd = o.mid_sd;
  const Eigen::MatrixXd baseline_rows = baseline.replicate(truth.rows(), 1);
  std::set<std::size_t> free(expansion.free_in_full().begin(), expansion.free_in_full().end());
  for (Eigen::Index j = 0; j < n_cols; ++j) {
    FluxScore s;
    s.column = columns[static_cast<std::size_t>(j)];
    s.free = free.count(static_cast<std::size_t>(j)) > 0;
    const Eigen::VectorXd t = truth.col(j);
    s.constant = t.size() == 0 || t.maxCoeff() - t.minCoeff() <= 1e-9 * std::max(1.0, t.cwiseAbs().maxCoeff());
    const ErrorStats p = error_stats(t, predicted.col(j), o.tolerance, o.relative_tolerance);
    const ErrorStats b = error_stats(t, baseline_rows.col(j), o.tolerance, o.relative_tolerance);
    s.mae = p.mae, s.bias = p.bias, s.within_abs = p.within_abs, s.within_rel = p.within_rel;
    s.baseline_mae = b.mae, s.baseline_bias = b.bias, s.baseline_within_abs = b.within_abs, s.baseline_within_rel = b.within_rel;
    s.skill = !s.constant && b.mae > 0 ? 1 - p.mae / b.mae : NAN;
    if (information.size() > 0) {
      s.information = information(j);
      s.identifiable = !(s.information >= o.identifiable_ratio);  // NaN (not computable) counts as identifiable
    }
    s.counted = !s.constant && s.identifiable && s.baseline_mae >= o.skill_floor;
    out.fluxes.push_back(s);
  }
  // ΔG on rows balanced over the three bins of the true |ΔG|
  const Eigen::MatrixXd g_true = expansion.delta_g(truth, o.temperature), g_pred = expansion.delta_g(predicted, o.temperature),
                        g_base = expansion.delta_g(baseline_rows, o.temperature);
  for (std::size_t r = 0; r < expansion.dg_reactions().size(); ++r) {
    const auto c = static_cast<Eigen::Index>(r);
    std::array<std::vector<Eigen::Index>, 3> bins;
    for (Eigen::Index i = 0; i < g_true.rows(); ++i) {
      const double g = std::fabs(g_true(i, c));
      if (!std::isfinite(g) || !std::isfinite(g_pred(i, c))) continue;
      bins[g <= 0.5 ? 0 : (g <= 1 ? 1 : 2)].push_back(i);
    }
    DeltaGScore s;
    s.reaction = expansion.dg_reactions()[r];
    const std::size_t least = std::min({bins[0].size(), bins[1].size(), bins[2].size()});
    s.balanced = least > 0;
    std::vector<Eigen::Index> rows;
    for (const auto& b : bins) rows.insert(rows.end(), b.begin(), b.begin() + static_cast<std::ptrdiff_t>(s.balanced ? least : b.size()));
    s.rows = static_cast<long>(rows.size());
    if (!rows.empty()) {
      double mae = 0, hit = 0, bmae = 0, bhit = 0, bn = 0;
      for (Eigen::Index i : rows) {
        const double e = std::fabs(g_pred(i, c) - g_true(i, c));
        mae += e;
        hit += e <= 1 ? 1 : 0;
        const double be = std::fabs(g_base(i, c) - g_true(i, c));
        if (std::isfinite(be)) {
          bmae += be;
          bhit += be <= 1 ? 1 : 0;
          bn += 1;
        }
      }
      const auto n = static_cast<double>(rows.size());
      s.mae = mae / n, s.within_1kj = hit / n;
      if (bn > 0) s.baseline_mae = bmae / bn, s.baseline_within_1kj = bhit / bn;
    }
    out.delta_g.push_back(s);
  }
  add_paper_metrics(out, expansion, truth, predicted, baseline_rows, o);
  return out;
}

Eigen::MatrixXd column_covariance(const Eigen::MatrixXd& rows) {
  if (rows.rows() < 2) return Eigen::MatrixXd::Zero(rows.cols(), rows.cols());
  const Eigen::MatrixXd centred = rows.rowwise() - rows.colwise().mean();
  return centred.transpose() * centred / static_cast<double>(rows.rows() - 1);
}

Eigen::VectorXd identifiability_ratios(LayoutSimulator& simulator, const FluxExpansion& expansion, const Eigen::MatrixXd& rows,
                                       const Eigen::MatrixXd& prior_covariance, double mid_sd) {
  const Eigen::MatrixXd& kernel = expansion.kernel();  // full × free
  const auto n_free = kernel.cols(), n_full = kernel.rows();
  if (prior_covariance.rows() != n_free || prior_covariance.cols() != n_free)
    throw std::invalid_argument("identifiability_ratios: the prior covariance must be free × free");
  // the directions in which the free fluxes vary (the rest is fixed: by the model's bounds,
  // or by the normalisation to the reference flux, which the MIDs cannot see)
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(0.5 * (prior_covariance + prior_covariance.transpose()));
  const Eigen::VectorXd lambda = eig.eigenvalues();
  const double top = lambda.size() > 0 ? lambda.maxCoeff() : 0;
  std::vector<Eigen::Index> keep;
  for (Eigen::Index k = 0; k < lambda.size(); ++k)
    if (lambda(k) > 1e-12 * top && lambda(k) > 0) keep.push_back(k);
  const auto r = static_cast<Eigen::Index>(keep.size());
  Eigen::MatrixXd basis(n_free, r);  // U_r
  Eigen::VectorXd prior_var(r);
  for (Eigen::Index k = 0; k < r; ++k) {
    basis.col(k) = eig.eigenvectors().col(keep[static_cast<std::size_t>(k)]);
    prior_var(k) = lambda(keep[static_cast<std::size_t>(k)]);
  }
  const Eigen::MatrixXd kb = kernel * basis;  // full × r
  const Eigen::VectorXd prior_full_sd = (kb * prior_var.asDiagonal() * kb.transpose()).diagonal().cwiseSqrt();
  std::vector<std::vector<double>> ratios(static_cast<std::size_t>(n_full));
  Eigen::MatrixXd jacobian;
  for (Eigen::Index i = 0; i < rows.rows() && r > 0; ++i) {
    const Eigen::VectorXd full = rows.row(i).transpose();
    if (!simulator.simulate(expansion.flux_vector(full), expansion.pool_sizes(full), &jacobian) || jacobian.cols() != n_free) continue;
    const Eigen::MatrixXd ja = jacobian * basis;  // MIDs × r
    Eigen::MatrixXd precision = ja.transpose() * ja / (mid_sd * mid_sd);
    precision.diagonal() += prior_var.cwiseInverse();
    const Eigen::LDLT<Eigen::MatrixXd> ldlt(precision);
    if (ldlt.info() != Eigen::Success) continue;
    const Eigen::MatrixXd posterior_kt = ldlt.solve(kb.transpose());  // Σ_a (K U_r)ᵀ
    for (Eigen::Index j = 0; j < n_full; ++j) {
      if (!(prior_full_sd(j) > 1e-12)) continue;
      const double var = kb.row(j).dot(posterior_kt.col(j));
      ratios[static_cast<std::size_t>(j)].push_back(std::sqrt(std::max(0.0, var)) / prior_full_sd(j));
    }
  }
  Eigen::VectorXd out(n_full);
  for (Eigen::Index j = 0; j < n_full; ++j) out(j) = median(ratios[static_cast<std::size_t>(j)]);
  return out;
}

}  // namespace fluxion::learn
