#include "fluxion/cbm/imat.hpp"

#include <CbcModel.hpp>
#include <CbcSolver.hpp>
#include <OsiClpSolverInterface.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "fluxion/cbm/projection.hpp"

namespace fluxion::cbm {

namespace {

using Index = Eigen::Index;

int no_callback(CbcModel*, int) { return 0; }

double clp_bound(double v) { return std::isfinite(v) ? v : (v > 0 ? COIN_DBL_MAX : -COIN_DBL_MAX); }

}  // namespace

ImatSets imat_sets(const Eigen::VectorXd& scores, double lower_quantile, double upper_quantile) {
  ImatSets sets;
  std::vector<std::pair<double, Index>> scored;
  for (Index i = 0; i < scores.size(); ++i)
    if (!std::isnan(scores(i))) scored.emplace_back(std::fabs(scores(i)), i);
  if (scored.empty()) return sets;
  std::sort(scored.begin(), scored.end());
  const double n = static_cast<double>(scored.size());
  for (std::size_t k = 0; k < scored.size();) {
    std::size_t e = k;  // ties share the percentile of the last of them: |{j : s_j ≤ s_i}|
    while (e < scored.size() && scored[e].first == scored[k].first) ++e;
    const double p = static_cast<double>(e) / n;
    for (std::size_t q = k; q < e; ++q) {
      if (p < lower_quantile) sets.low.push_back(scored[q].second);
      else if (p > upper_quantile) sets.high.push_back(scored[q].second);
    }
    k = e;
  }
  std::sort(sets.low.begin(), sets.low.end());
  std::sort(sets.high.begin(), sets.high.end());
  return sets;
}

const OptionTable<ImatOptions>& ImatOptions::table() {
  static const OptionTable<ImatOptions> t = [] {
    OptionTable<ImatOptions> t;
    t.add("lower", &ImatOptions::lower_quantile, "Percentile below which a reaction is 'low' (should carry no flux)").range(0.0, 1.0);
    t.add("upper", &ImatOptions::upper_quantile, "Percentile above which a reaction is 'high' (should carry flux)").range(0.0, 1.0);
    t.add("epsilon", &ImatOptions::epsilon, "Least |flux| of an active high reaction").positive();
    t.add("time-limit", &ImatOptions::time_limit, "Seconds of branch and bound per sample").positive();
    return t;
  }();
  return t;
}

std::vector<Diagnostic> ImatOptions::validate() const {
  Diagnostics d("iMAT options");
  d.append(table().check(*this, "iMAT options"));
  if (lower_quantile > upper_quantile) d.error("--lower must not exceed --upper", 0, 0, "lower");
  if (!(big_m > 0) || !std::isfinite(big_m)) d.error("must be a finite number > 0", 0, 0, "big_m");
  return d.items();
}

ImatSolution imat(const Model& model, const Eigen::VectorXd& scores, const ImatOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  ImatSolution out;
  const auto s = balanced_stoichiometry(model);
  const std::size_t n = model.reactions.size(), m = static_cast<std::size_t>(s.rows());
  const ImatSets sets = imat_sets(scores, o.lower_quantile, o.upper_quantile);
  auto capped = [&](double b) { return std::isfinite(b) ? b : (b > 0 ? o.big_m : -o.big_m); };

  // columns: v (n), then the indicators; rows: S (m), then the indicator rows
  struct Indicator {
    Index reaction;
    double coef_v, coef_y, lo, hi;  // lo ≤ coef_v·v + coef_y·y ≤ hi
  };
  std::vector<Indicator> rows;
  std::vector<std::vector<std::size_t>> column_rows;  // per indicator column, its rows
  for (Index i : sets.high) {
    const double lb = capped(model.reactions[static_cast<std::size_t>(i)].lower_bound), ub = capped(model.reactions[static_cast<std::size_t>(i)].upper_bound);
    ++out.high_total;
    if (ub >= o.epsilon) {  // y⁺ = 1 ⇒ v ≥ ε:  v + y⁺·(lb − ε) ≥ lb
      column_rows.push_back({rows.size()});
      rows.push_back({i, 1.0, lb - o.epsilon, lb, COIN_DBL_MAX});
    }
    if (lb <= -o.epsilon) {  // y⁻ = 1 ⇒ v ≤ −ε:  v + y⁻·(ub + ε) ≤ ub
      column_rows.push_back({rows.size()});
      rows.push_back({i, 1.0, ub + o.epsilon, -COIN_DBL_MAX, ub});
    }
  }
  for (Index i : sets.low) {
    const double lb = capped(model.reactions[static_cast<std::size_t>(i)].lower_bound), ub = capped(model.reactions[static_cast<std::size_t>(i)].upper_bound);
    ++out.low_total;
    // y = 1 ⇒ v = 0:  v + y·lb ≥ lb  and  v + y·ub ≤ ub
    column_rows.push_back({rows.size(), rows.size() + 1});
    rows.push_back({i, 1.0, lb, lb, COIN_DBL_MAX});
    rows.push_back({i, 1.0, ub, -COIN_DBL_MAX, ub});
  }
  const std::size_t ny = column_rows.size(), cols = n + ny, nrows = m + rows.size();
  std::vector<std::vector<std::pair<int, double>>> extra(n);
  for (std::size_t r = 0; r < rows.size(); ++r) extra[static_cast<std::size_t>(rows[r].reaction)].push_back({static_cast<int>(m + r), rows[r].coef_v});
  std::vector<int> start{0}, index;
  std::vector<double> value;
  for (std::size_t j = 0; j < n; ++j) {
    for (Eigen::SparseMatrix<double>::InnerIterator it(s, static_cast<Index>(j)); it; ++it) {
      index.push_back(static_cast<int>(it.row()));
      value.push_back(it.value());
    }
    for (const auto& [row, v] : extra[j]) {
      index.push_back(row);
      value.push_back(v);
    }
    start.push_back(static_cast<int>(index.size()));
  }
  for (const auto& rs : column_rows) {
    for (std::size_t r : rs) {
      index.push_back(static_cast<int>(m + r));
      value.push_back(rows[r].coef_y);
    }
    start.push_back(static_cast<int>(index.size()));
  }
  std::vector<double> collb(cols, 0.0), colub(cols, 1.0), obj(cols, 0.0), rowlb(nrows, 0.0), rowub(nrows, 0.0);
  for (std::size_t j = 0; j < n; ++j) {
    collb[j] = clp_bound(model.reactions[j].lower_bound);
    colub[j] = clp_bound(model.reactions[j].upper_bound);
  }
  for (std::size_t k = 0; k < ny; ++k) obj[n + k] = 1.0;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    rowlb[m + r] = rows[r].lo;
    rowub[m + r] = rows[r].hi;
  }
  OsiClpSolverInterface solver;
  solver.messageHandler()->setLogLevel(0);
  solver.loadProblem(static_cast<int>(cols), static_cast<int>(nrows), start.data(), index.data(), value.data(), collb.data(), colub.data(),
                     obj.data(), rowlb.data(), rowub.data());
  solver.setObjSense(-1.0);  // maximise
  for (std::size_t k = 0; k < ny; ++k) solver.setInteger(static_cast<int>(n + k));
  CbcModel cbc(solver);
  CbcSolverUsefulData data;
  data.noPrinting_ = true;
  data.useSignalHandler_ = false;
  CbcMain0(cbc, data);
  cbc.setLogLevel(0);
  cbc.messageHandler()->setLogLevel(0);
  const std::string seconds = std::to_string(o.time_limit);
  const char* argv[] = {"fluxion-imat", "-log", "0", "-sec", seconds.c_str(), "-solve", "-quit"};
  CbcMain1(static_cast<int>(std::size(argv)), argv, cbc, no_callback, data);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double* x = cbc.bestSolution();
  if (cbc.isProvenInfeasible()) out.status = LpStatus::infeasible;
  else if (cbc.isProvenOptimal() && x) out.status = LpStatus::optimal;
  else if (cbc.isSecondsLimitReached() || cbc.isNodeLimitReached() || cbc.isSolutionLimitReached()) out.status = LpStatus::limit;
  else out.status = x ? LpStatus::limit : LpStatus::error;
  if (!x) return out;
  out.fluxes = Eigen::Map<const Eigen::VectorXd>(x, static_cast<Index>(n));
  const double tol = 1e-6;
  for (Index i : sets.high)
    if (std::fabs(out.fluxes(i)) >= o.epsilon - tol) ++out.high_active;
  for (Index i : sets.low)
    if (std::fabs(out.fluxes(i)) <= tol) ++out.low_inactive;
  return out;
}

}  // namespace fluxion::cbm
