#include "fluxion/cbm/fba.hpp"

#include <ClpSimplex.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <optional>
#include <tuple>
#include <thread>

#include "fluxion/cbm/projection.hpp"

namespace fluxion::cbm {

namespace {

double finite_or(double v) { return std::isfinite(v) ? v : (v > 0 ? COIN_DBL_MAX : -COIN_DBL_MAX); }

LpStatus status_of(const ClpSimplex& lp) {
  if (lp.isProvenOptimal()) return LpStatus::optimal;
  if (lp.isProvenPrimalInfeasible()) return LpStatus::infeasible;
  if (lp.isProvenDualInfeasible()) return LpStatus::unbounded;
  if (lp.hitMaximumIterations()) return LpStatus::limit;
  return LpStatus::error;
}

// Solves again from the LP's last basis (keeping the factorisation for the next call once
// one exists); a solve that ends undecided is redone from scratch.
void resolve(ClpSimplex& lp, bool factorised) {
  lp.primal(0, factorised ? 7 : 1);
  if (!lp.isProvenOptimal() && !lp.isProvenPrimalInfeasible() && !lp.isProvenDualInfeasible()) lp.initialSolve();
}

// The column-wise sparse matrix of the balanced rows of S (and optional extra rows).
struct Columns {
  std::vector<int> start{0}, index;
  std::vector<double> value;
};

// Full coupling from ker S: v_i = ratio[i]·v_{representative[i]} in every steady state;
// representative −1: v_i = 0 in every steady state (blocked).
struct Coupling {
  std::vector<std::ptrdiff_t> representative;
  std::vector<double> ratio;
};

Coupling couple(const Columns& s, std::size_t n, std::size_t m) {
  Coupling c;
  c.representative.resize(n);
  c.ratio.assign(n, 1.0);
  for (std::size_t j = 0; j < n; ++j) c.representative[j] = static_cast<std::ptrdiff_t>(j);
  std::vector<Eigen::Triplet<double>> t;
  for (std::size_t j = 0; j < n; ++j)
    for (int e = s.start[j]; e < s.start[j + 1]; ++e)
      if (s.index[static_cast<std::size_t>(e)] < static_cast<int>(m))
        t.emplace_back(s.index[static_cast<std::size_t>(e)], static_cast<int>(j), s.value[static_cast<std::size_t>(e)]);
  Eigen::SparseMatrix<double> sm(static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(n));
  sm.setFromTriplets(t.begin(), t.end());
  const auto kernel = orthonormal_kernel(sm);
  if (!kernel.ok()) return c;  // no coupling: every reaction solved on its own
  const Eigen::MatrixXd& k = kernel.value().basis;
  // Rows normalised to unit length, signed so that their largest entry is positive, are
  // bucketed by their entries rounded to 1e-6 and joined only when equal to 1e-9; rounding
  // that splits a class costs LPs, never accuracy.
  std::map<std::vector<long long>, std::vector<std::size_t>> buckets;
  for (std::size_t i = 0; i < n; ++i) {
    const auto ii = static_cast<Eigen::Index>(i);
    const double norm = k.row(ii).norm();
    if (norm <= 1e-10) {
      c.representative[i] = -1;
      c.ratio[i] = 0.0;
      continue;
    }
    Eigen::Index pivot = 0;
    k.row(ii).cwiseAbs().maxCoeff(&pivot);
    const Eigen::RowVectorXd unit = k.row(ii) / (k(ii, pivot) < 0 ? -norm : norm);
    std::vector<long long> key(static_cast<std::size_t>(unit.size()));
    for (Eigen::Index q = 0; q < unit.size(); ++q) key[static_cast<std::size_t>(q)] = std::llround(unit(q) * 1e6);
    auto& members = buckets[key];
    for (std::size_t rep : members) {
      const auto rr = static_cast<Eigen::Index>(rep);
      const double rnorm = k.row(rr).norm();
      const Eigen::RowVectorXd rep_unit = k.row(rr) / (k(rr, pivot) < 0 ? -rnorm : rnorm);
      if ((unit - rep_unit).cwiseAbs().maxCoeff() <= 1e-9) {
        c.representative[i] = static_cast<std::ptrdiff_t>(rep);
        c.ratio[i] = k.row(ii).dot(k.row(rr)) / (rnorm * rnorm);
        break;
      }
    }
    if (c.representative[i] == static_cast<std::ptrdiff_t>(i)) members.push_back(i);
  }
  return c;
}

// The FVA LP over one column per class of coupled reactions (v_i = λ_i·u_class): the
// column is Σ λ_i·S_i over the class, the bounds the intersection of [lb_i, ub_i]/λ_i;
// blocked reactions (zero in every steady state) are dropped, and rows left empty with
// them. Its feasible set is the full LP's, in other coordinates.
struct ReducedLp {
  ClpSimplex lp;
  std::vector<std::ptrdiff_t> column;  // per reaction: its class's column (representatives only), else −1
  std::vector<std::size_t> reaction;   // per column: the representative
  Eigen::VectorXd lower, upper;        // per column
};

std::unique_ptr<ReducedLp> reduce(const Columns& s, std::size_t m, const Coupling& c, const Eigen::VectorXd& lower, const Eigen::VectorXd& upper,
                                  double objective_lo, double objective_hi, double sense) {
  auto out = std::make_unique<ReducedLp>();
  const std::size_t n = c.representative.size();
  out->column.assign(n, -1);
  for (std::size_t j = 0; j < n; ++j)
    if (c.representative[j] == static_cast<std::ptrdiff_t>(j)) {
      out->column[j] = static_cast<std::ptrdiff_t>(out->reaction.size());
      out->reaction.push_back(j);
    }
  const std::size_t cols = out->reaction.size();
  out->lower = Eigen::VectorXd::Constant(static_cast<Eigen::Index>(cols), -INFINITY);
  out->upper = Eigen::VectorXd::Constant(static_cast<Eigen::Index>(cols), INFINITY);
  std::vector<std::map<int, std::pair<double, double>>> entries(cols);  // row → (Σ λ·s, Σ |λ·s|)
  for (std::size_t i = 0; i < n; ++i) {
    if (c.representative[i] < 0) continue;
    const auto col = static_cast<std::size_t>(out->column[static_cast<std::size_t>(c.representative[i])]);
    const double ratio = c.ratio[i];
    for (int e = s.start[i]; e < s.start[i + 1]; ++e) {
      auto& [sum, size] = entries[col][s.index[static_cast<std::size_t>(e)]];
      sum += ratio * s.value[static_cast<std::size_t>(e)];
      size += std::fabs(ratio * s.value[static_cast<std::size_t>(e)]);
    }
    const auto ii = static_cast<Eigen::Index>(i), cc = static_cast<Eigen::Index>(col);
    double lo = lower(ii) / ratio, hi = upper(ii) / ratio;
    if (ratio < 0) std::swap(lo, hi);
    out->lower(cc) = std::max(out->lower(cc), lo);
    out->upper(cc) = std::min(out->upper(cc), hi);
  }
  std::vector<int> row_of(m + 1, -1);
  Columns a;
  std::vector<double> collb(cols), colub(cols), obj(cols, 0.0);
  for (std::size_t col = 0; col < cols; ++col) {
    const auto cc = static_cast<Eigen::Index>(col);
    double& lo = out->lower(cc);
    double& hi = out->upper(cc);
    if (lo > hi) {  // bounds met from two sides through λ: equal up to rounding, or no LP
      if (lo - hi > 1e-9 * std::max(1.0, std::fabs(hi))) return nullptr;
      lo = hi;
    }
    collb[col] = finite_or(lo);
    colub[col] = finite_or(hi);
    for (const auto& [row, entry] : entries[col]) {
      // cancellations along a chain (λ·1 − 1) leave rounding, not stoichiometry
      const auto [v, size] = entry;
      if (std::fabs(v) <= 1e-9 * size && row < static_cast<int>(m)) continue;
      a.index.push_back(row);
      a.value.push_back(v);
    }
    a.start.push_back(static_cast<int>(a.index.size()));
  }
  for (int row : a.index) row_of[static_cast<std::size_t>(row)] = 0;
  row_of[m] = 0;  // the objective row stays
  int rows = 0;
  for (auto& r : row_of)
    if (r == 0) r = rows++;
  for (int& row : a.index) row = row_of[static_cast<std::size_t>(row)];
  std::vector<double> rowlb(static_cast<std::size_t>(rows), 0.0), rowub(static_cast<std::size_t>(rows), 0.0);
  rowlb.back() = objective_lo;
  rowub.back() = objective_hi;
  out->lp.setLogLevel(0);
  out->lp.setPrimalTolerance(1e-9);
  out->lp.setDualTolerance(1e-9);
  out->lp.loadProblem(static_cast<int>(cols), rows, a.start.data(), a.index.data(), a.value.data(), collb.data(), colub.data(), obj.data(),
                      rowlb.data(), rowub.data());
  out->lp.setOptimizationDirection(sense);
  return out;
}

}  // namespace

struct FbaModel::Impl {
  std::size_t n = 0, m = 0;        // reactions, balanced metabolites
  Eigen::VectorXd c, lower, upper; // objective, bounds (model order)
  bool maximize = true;
  Columns s;                       // S over the balanced rows, by column
  ClpSimplex lp;                   // rows: S (= 0), then the objective row (free until FVA sets it)
  bool solved_once = false;
  bool bounds_changed = false;  // since the last solve: the basis is then dual feasible
  bool fva_coupling = true;
  std::optional<Coupling> coupling;  // computed at the first coupled FVA (S never changes)

  void solve() {
    if (solved_once && bounds_changed) {  // dual simplex from the last basis: 20-140x faster
                                          // than primal after per-sample bounds (benchmarks.md)
      bounds_changed = false;
      lp.dual(0, 3);
      if (!lp.isProvenOptimal() && !lp.isProvenPrimalInfeasible() && !lp.isProvenDualInfeasible()) lp.initialSolve();
      return;
    }
    bounds_changed = false;
    if (solved_once) return resolve(lp, true);
    lp.initialSolve();
    solved_once = true;
  }
};

FbaModel::FbaModel() : impl_(std::make_unique<Impl>()) {}
FbaModel::FbaModel(FbaModel&&) noexcept = default;
FbaModel& FbaModel::operator=(FbaModel&&) noexcept = default;
FbaModel::~FbaModel() = default;

Result<FbaModel> FbaModel::create(const Model& model) {
  Diagnostics d("FBA of model '" + model.id + "'");
  FbaModel f;
  Impl& im = *f.impl_;
  im.n = model.reactions.size();
  im.maximize = model.objective_sense == ObjectiveSense::maximize;
  std::vector<int> row_of(model.metabolites.size(), -1);
  for (std::size_t i = 0; i < model.metabolites.size(); ++i)
    if (!model.metabolites[i].boundary) row_of[i] = static_cast<int>(im.m++);
  im.c = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(im.n));
  im.lower.resize(static_cast<Eigen::Index>(im.n));
  im.upper.resize(static_cast<Eigen::Index>(im.n));
  const int objective_row = static_cast<int>(im.m);
  for (std::size_t j = 0; j < im.n; ++j) {
    const Reaction& r = model.reactions[j];
    const auto jj = static_cast<Eigen::Index>(j);
    im.c(jj) = r.objective_coefficient;
    im.lower(jj) = r.lower_bound;
    im.upper(jj) = r.upper_bound;
    if (r.lower_bound > r.upper_bound) d.error("lower bound " + std::to_string(r.lower_bound) + " > upper bound " + std::to_string(r.upper_bound), 0, 0, "reaction '" + r.id + "'");
    std::map<int, double> entries;
    for (const auto& p : r.reactants)
      if (row_of[p.metabolite] >= 0) entries[row_of[p.metabolite]] -= p.coefficient;
    for (const auto& p : r.products)
      if (row_of[p.metabolite] >= 0) entries[row_of[p.metabolite]] += p.coefficient;
    if (r.objective_coefficient != 0.0) entries[objective_row] = r.objective_coefficient;
    for (const auto& [row, v] : entries)
      if (v != 0.0) {
        im.s.index.push_back(row);
        im.s.value.push_back(v);
      }
    im.s.start.push_back(static_cast<int>(im.s.index.size()));
  }
  if (im.c.cwiseAbs().maxCoeff() == 0.0 || im.n == 0) d.error("the model has no objective (every reaction's objective coefficient is 0): choose one (fluxion fba --objective ID)", 0, 0);
  if (d.has_errors()) return Result<FbaModel>::failure(d);
  std::vector<double> collb(im.n), colub(im.n), obj(im.n), rowlb(im.m + 1, 0.0), rowub(im.m + 1, 0.0);
  for (std::size_t j = 0; j < im.n; ++j) {
    collb[j] = finite_or(im.lower(static_cast<Eigen::Index>(j)));
    colub[j] = finite_or(im.upper(static_cast<Eigen::Index>(j)));
    obj[j] = im.c(static_cast<Eigen::Index>(j));
  }
  rowlb[im.m] = -COIN_DBL_MAX;  // the objective row: free until FVA bounds it
  rowub[im.m] = COIN_DBL_MAX;
  im.lp.setLogLevel(0);
  // tighter than CLP's 1e-7: FVA ranges of iML1515 then agree to 5e-6 whatever the
  // order of the solves (1e-3 at the default)
  im.lp.setPrimalTolerance(1e-9);
  im.lp.setDualTolerance(1e-9);
  im.lp.loadProblem(static_cast<int>(im.n), static_cast<int>(im.m + 1), im.s.start.data(), im.s.index.data(), im.s.value.data(), collb.data(),
                    colub.data(), obj.data(), rowlb.data(), rowub.data());
  im.lp.setOptimizationDirection(im.maximize ? -1.0 : 1.0);
  return Result<FbaModel>::success(std::move(f), d.items());
}

std::size_t FbaModel::n_reactions() const { return impl_->n; }
void FbaModel::set_fva_coupling(bool enabled) { impl_->fva_coupling = enabled; }
std::size_t FbaModel::n_balanced() const { return impl_->m; }

void FbaModel::set_bounds(std::size_t reaction, double lower, double upper) {
  impl_->lower(static_cast<Eigen::Index>(reaction)) = lower;
  impl_->upper(static_cast<Eigen::Index>(reaction)) = upper;
  impl_->lp.setColumnBounds(static_cast<int>(reaction), finite_or(lower), finite_or(upper));
  impl_->bounds_changed = true;
}

FbaSolution FbaModel::optimize() {
  Impl& im = *impl_;
  for (std::size_t j = 0; j < im.n; ++j) im.lp.setObjectiveCoefficient(static_cast<int>(j), im.c(static_cast<Eigen::Index>(j)));
  im.lp.setOptimizationDirection(im.maximize ? -1.0 : 1.0);
  im.lp.setRowBounds(static_cast<int>(im.m), -COIN_DBL_MAX, COIN_DBL_MAX);
  im.solve();
  FbaSolution out;
  out.status = status_of(im.lp);
  if (out.status != LpStatus::optimal) return out;
  out.fluxes = Eigen::Map<const Eigen::VectorXd>(im.lp.primalColumnSolution(), static_cast<Eigen::Index>(im.n));
  out.objective = im.c.dot(out.fluxes);
  return out;
}

namespace {

// cobrapy: the objective bounded at exactly fraction·optimum (from below when maximising),
// no slack: the LPs' primal tolerance (1e-9) keeps the optimum itself feasible. (A slack of
// 1e-7 once moved e_coli_core's FVA ranges by up to 9e-5 from cobrapy's: a range's
// sensitivity to the objective reaches ~800 there.)
std::pair<double, double> objective_row_bounds(bool maximize, double fraction, double optimum) {
  const double bound = fraction * optimum;
  return maximize ? std::pair{bound, COIN_DBL_MAX} : std::pair{-COIN_DBL_MAX, bound};
}

}  // namespace

FvaResult FbaModel::fva(double fraction, const std::vector<std::size_t>& reactions, int threads, bool loopless) {
  Impl& im = *impl_;
  FvaResult out;
  const FbaSolution best = optimize();
  out.status = best.status;
  if (best.status != LpStatus::optimal) return out;
  out.objective = best.objective;
  const auto [lo, hi] = objective_row_bounds(im.maximize, fraction, best.objective);
  im.lp.setRowBounds(static_cast<int>(im.m), lo, hi);
  std::vector<std::size_t> list;
  for (std::size_t j : reactions)
    if (j < im.n) list.push_back(j);
  if (reactions.empty())
    for (std::size_t j = 0; j < im.n; ++j) list.push_back(j);
  std::sort(list.begin(), list.end());
  list.erase(std::unique(list.begin(), list.end()), list.end());
  out.ranges.assign(im.n, FvaRange{});
  const std::vector<std::size_t> requested = list;
  // The LP the ranges are solved on: the full one, or the one over coupling classes.
  ClpSimplex* base = &im.lp;
  Eigen::VectorXd lower = im.lower, upper = im.upper, start = best.fluxes;
  std::unique_ptr<ReducedLp> reduced;
  if (im.fva_coupling && !loopless) {
    if (!im.coupling) im.coupling = couple(im.s, im.n, im.m);
    reduced = reduce(im.s, im.m, *im.coupling, im.lower, im.upper, lo, hi, im.maximize ? -1.0 : 1.0);
  }
  const bool coupled = reduced != nullptr;
  if (coupled) {
    base = &reduced->lp;
    lower = reduced->lower;
    upper = reduced->upper;
    start.resize(static_cast<Eigen::Index>(reduced->reaction.size()));
    for (std::size_t col = 0; col < reduced->reaction.size(); ++col)
      start(static_cast<Eigen::Index>(col)) = best.fluxes(static_cast<Eigen::Index>(reduced->reaction[col]));
    list.clear();  // the columns of the requested reactions' classes
    for (std::size_t j : requested)
      if (im.coupling->representative[j] >= 0)
        list.push_back(static_cast<std::size_t>(reduced->column[static_cast<std::size_t>(im.coupling->representative[j])]));
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());  // one writer per range
  } else {
    for (std::size_t j = 0; j < im.n; ++j) im.lp.setObjectiveCoefficient(static_cast<int>(j), 0.0);
  }
  const auto ncols = static_cast<Eigen::Index>(lower.size());
  std::vector<FvaRange> solved(static_cast<std::size_t>(ncols));
  std::atomic<std::size_t> lps{0};
  const auto n_threads = static_cast<std::size_t>(std::clamp<int>(threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency()), 1,
                                                                   static_cast<int>(std::max<std::size_t>(1, list.size()))));
  // Each thread works on its own copy of the LP (basis included) over every n-th reaction.
  // Every solution is a feasible point: a reaction seen at its bound in one of them has
  // that bound as its extreme, and needs no LP of its own.
  // boundary reactions (only consumed or only produced balanced metabolites) cannot be in a loop
  std::vector<char> internal(static_cast<std::size_t>(ncols), 0);
  if (loopless)
    for (std::size_t j = 0; j < im.n; ++j) {
      bool plus = false, minus = false;
      for (int e = im.s.start[j]; e < im.s.start[j + 1]; ++e)
        if (im.s.index[static_cast<std::size_t>(e)] < static_cast<int>(im.m)) (im.s.value[static_cast<std::size_t>(e)] > 0 ? plus : minus) = true;
      internal[j] = plus && minus;
    }
  auto work = [&](ClpSimplex& lp, std::size_t first, bool warm) {
    Eigen::VectorXd seen_min = start, seen_max = start;
    std::unique_ptr<ClpSimplex> cycle_free;  // same rows; bounds and objective set per use
    bool cycle_free_warm = false;
    // CycleFreeFlux of x: boundary fluxes fixed at x, internal ones kept to x's direction and
    // magnitude
    // (and, with `pin`, reaction `pin` held at `value`); min Σ|v| over internal reactions.
    auto remove_cycles = [&](const Eigen::VectorXd& x, std::ptrdiff_t pin, double value) -> std::optional<Eigen::VectorXd> {
      if (!cycle_free) {
        cycle_free = std::make_unique<ClpSimplex>(lp);
        cycle_free->setOptimizationDirection(1.0);
      }
      for (std::size_t k = 0; k < im.n; ++k) {
        const auto kk = static_cast<Eigen::Index>(k);
        const double v = x(kk);
        double lo, hi, cost = 0.0;
        if (!internal[k]) {
          lo = hi = v;
        } else if (v >= 0) {  // same direction, no more than x's flux
          lo = std::max(0.0, im.lower(kk));
          hi = std::min(v, im.upper(kk));
          cost = 1.0;
        } else {
          lo = std::max(v, im.lower(kk));
          hi = std::min(0.0, im.upper(kk));
          cost = -1.0;
        }
        if (static_cast<std::ptrdiff_t>(k) == pin) lo = hi = value;
        cycle_free->setColumnBounds(static_cast<int>(k), finite_or(lo), finite_or(hi));
        cycle_free->setObjectiveCoefficient(static_cast<int>(k), cost);
      }
      resolve(*cycle_free, cycle_free_warm);
      cycle_free_warm = true;
      if (!cycle_free->isProvenOptimal()) return std::nullopt;
      return Eigen::VectorXd(Eigen::Map<const Eigen::VectorXd>(cycle_free->primalColumnSolution(), static_cast<Eigen::Index>(im.n)));
    };
    // cobrapy's loopless_fva_iter: the extreme `current` of reaction j, reached by x
    auto loopless_extreme = [&](std::size_t j, bool maximize, double current, const Eigen::VectorXd& x, LpStatus& st) {
      const auto jj = static_cast<Eigen::Index>(j);
      const double cutoff = 1e-7 * std::max(1.0, std::fabs(current));
      const auto ll = remove_cycles(x, -1, 0.0);
      if (!ll || std::fabs((*ll)(jj) - current) < cutoff) return current;
      const auto almost = remove_cycles(x, static_cast<std::ptrdiff_t>(j), current);
      if (!almost) return current;
      // the reactions that carry flux only in loops through j: block them and solve again
      std::vector<std::tuple<int, double, double>> saved;
      for (std::size_t k = 0; k < im.n; ++k) {
        const auto kk = static_cast<Eigen::Index>(k);
        if (std::fabs((*ll)(kk)) < 1e-7 && std::fabs((*almost)(kk)) > 1e-7) {
          saved.emplace_back(static_cast<int>(k), lp.getColLower()[k], lp.getColUpper()[k]);
          lp.setColumnBounds(static_cast<int>(k), std::max(0.0, lp.getColLower()[k]), std::min(0.0, lp.getColUpper()[k]));
        }
      }
      lp.setObjectiveCoefficient(static_cast<int>(j), 1.0);
      lp.setOptimizationDirection(maximize ? -1.0 : 1.0);
      resolve(lp, true);
      lp.setObjectiveCoefficient(static_cast<int>(j), 0.0);
      double out = current;
      st = status_of(lp);
      if (st == LpStatus::optimal) out = lp.primalColumnSolution()[j];
      for (const auto& [k, lo, hi] : saved) lp.setColumnBounds(k, lo, hi);
      return out;
    };
    auto at_bound = [](double seen, double bound) { return std::isfinite(bound) && std::fabs(seen - bound) <= 1e-9 * std::max(1.0, std::fabs(bound)); };
    for (std::size_t k = first; k < list.size(); k += n_threads) {
      const std::size_t j = list[k];
      const auto jj = static_cast<Eigen::Index>(j);
      FvaRange& r = solved[j];
      r.status = LpStatus::optimal;
      for (const bool maximize : {false, true}) {
        const double bound = maximize ? upper(jj) : lower(jj);
        if (!internal[j] && at_bound(maximize ? seen_max(jj) : seen_min(jj), bound)) {
          (maximize ? r.maximum : r.minimum) = bound;
          continue;
        }
        lp.setObjectiveCoefficient(static_cast<int>(j), 1.0);
        lp.setOptimizationDirection(maximize ? -1.0 : 1.0);
        resolve(lp, warm);
        warm = true;
        ++lps;
        lp.setObjectiveCoefficient(static_cast<int>(j), 0.0);
        const LpStatus st = status_of(lp);
        if (st != LpStatus::optimal) {
          r.status = st;
          (maximize ? r.maximum : r.minimum) = maximize ? INFINITY : -INFINITY;
          continue;
        }
        const Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(lp.primalColumnSolution(), ncols);
        seen_min = seen_min.cwiseMin(x);
        seen_max = seen_max.cwiseMax(x);
        double value = x(jj);
        if (internal[j]) {
          LpStatus again = LpStatus::optimal;
          value = loopless_extreme(j, maximize, value, x, again);
          if (again != LpStatus::optimal) r.status = again;
        }
        (maximize ? r.maximum : r.minimum) = std::fabs(value) < 1e-9 ? 0.0 : value;  // below the LP tolerance
      }
    }
  };
  std::vector<std::unique_ptr<ClpSimplex>> copies;
  for (std::size_t t = 1; t < n_threads; ++t) copies.push_back(std::make_unique<ClpSimplex>(*base));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < n_threads; ++t) pool.emplace_back([&, t] { work(*copies[t - 1], t, false); });
  work(*base, 0, !coupled);
  for (auto& t : pool) t.join();
  im.lp.setRowBounds(static_cast<int>(im.m), -COIN_DBL_MAX, COIN_DBL_MAX);
  out.lps = lps;
  for (std::size_t j : requested) {
    if (!coupled) {
      out.ranges[j] = solved[j];
      continue;
    }
    const std::ptrdiff_t rep = im.coupling->representative[j];
    FvaRange& r = out.ranges[j];
    if (rep < 0) {  // zero in every steady state
      ++out.from_coupling;
      r = {LpStatus::optimal, 0.0, 0.0};
      continue;
    }
    out.from_coupling += rep != static_cast<std::ptrdiff_t>(j);
    const FvaRange& from = solved[static_cast<std::size_t>(reduced->column[static_cast<std::size_t>(rep)])];
    const double ratio = im.coupling->ratio[j];
    r.status = from.status;
    r.minimum = ratio * (ratio > 0 ? from.minimum : from.maximum);
    r.maximum = ratio * (ratio > 0 ? from.maximum : from.minimum);
    for (double* v : {&r.minimum, &r.maximum})
      if (std::fabs(*v) < 1e-9) *v = 0.0;  // below the LP tolerance
  }
  return out;
}

FbaSolution FbaModel::pfba(double fraction) {
  Impl& im = *impl_;
  const FbaSolution best = optimize();
  if (best.status != LpStatus::optimal) return best;
  // min Σ|v|: a reaction that can run both ways gets t ≥ v, t ≥ −v; the others cost ±v
  std::vector<std::size_t> two_way;
  for (std::size_t j = 0; j < im.n; ++j)
    if (im.lower(static_cast<Eigen::Index>(j)) < 0 && im.upper(static_cast<Eigen::Index>(j)) > 0) two_way.push_back(j);
  const std::size_t nt = two_way.size(), rows = im.m + 1 + 2 * nt, cols = im.n + nt;
  const Columns& a = im.s;  // S and the objective row; the new rows follow
  std::vector<std::vector<std::pair<int, double>>> extra(im.n);
  for (std::size_t k = 0; k < nt; ++k) {
    extra[two_way[k]].push_back({static_cast<int>(im.m + 1 + 2 * k), -1.0});     // t − v ≥ 0
    extra[two_way[k]].push_back({static_cast<int>(im.m + 1 + 2 * k + 1), 1.0});  // t + v ≥ 0
  }
  Columns p;
  for (std::size_t j = 0; j < im.n; ++j) {
    for (int e = a.start[j]; e < a.start[j + 1]; ++e) {
      p.index.push_back(a.index[static_cast<std::size_t>(e)]);
      p.value.push_back(a.value[static_cast<std::size_t>(e)]);
    }
    for (const auto& [row, v] : extra[j]) {
      p.index.push_back(row);
      p.value.push_back(v);
    }
    p.start.push_back(static_cast<int>(p.index.size()));
  }
  for (std::size_t k = 0; k < nt; ++k) {
    p.index.push_back(static_cast<int>(im.m + 1 + 2 * k));
    p.value.push_back(1.0);
    p.index.push_back(static_cast<int>(im.m + 1 + 2 * k + 1));
    p.value.push_back(1.0);
    p.start.push_back(static_cast<int>(p.index.size()));
  }
  std::vector<double> collb(cols, 0.0), colub(cols, COIN_DBL_MAX), obj(cols, 0.0), rowlb(rows, 0.0), rowub(rows, 0.0);
  for (std::size_t j = 0; j < im.n; ++j) {
    const double l = im.lower(static_cast<Eigen::Index>(j)), u = im.upper(static_cast<Eigen::Index>(j));
    collb[j] = finite_or(l);
    colub[j] = finite_or(u);
    obj[j] = l >= 0 ? 1.0 : u <= 0 ? -1.0 : 0.0;
  }
  for (std::size_t k = 0; k < nt; ++k) obj[im.n + k] = 1.0;
  const auto [lo, hi] = objective_row_bounds(im.maximize, fraction, best.objective);
  rowlb[im.m] = lo;
  rowub[im.m] = hi;
  for (std::size_t r = im.m + 1; r < rows; ++r) rowub[r] = COIN_DBL_MAX;
  ClpSimplex lp;
  lp.setLogLevel(0);
  lp.setPrimalTolerance(1e-9);
  lp.setDualTolerance(1e-9);
  lp.loadProblem(static_cast<int>(cols), static_cast<int>(rows), p.start.data(), p.index.data(), p.value.data(), collb.data(), colub.data(),
                 obj.data(), rowlb.data(), rowub.data());
  lp.setOptimizationDirection(1.0);
  lp.initialSolve();
  FbaSolution out;
  out.status = status_of(lp);
  if (out.status != LpStatus::optimal) return out;
  out.fluxes = Eigen::Map<const Eigen::VectorXd>(lp.primalColumnSolution(), static_cast<Eigen::Index>(im.n));
  out.objective = im.c.dot(out.fluxes);
  return out;
}

}  // namespace fluxion::cbm
