#include "fluxion/cbm/moma.hpp"

#include <ClpSimplex.hpp>
#include <IpIpoptApplication.hpp>
#include <IpSolveStatistics.hpp>
#include <IpTNLP.hpp>

#include <Eigen/SPQRSupport>
#include <algorithm>
#include <cmath>

#include "fluxion/cbm/projection.hpp"

namespace fluxion::cbm {

namespace {

using Index = Eigen::Index;
constexpr double kIpoptInfinity = 2e19;  // Ipopt treats |bound| ≥ 1e19 as none

double clp_bound(double v) { return std::isfinite(v) ? v : (v > 0 ? COIN_DBL_MAX : -COIN_DBL_MAX); }
double ipopt_bound(double v) { return std::isfinite(v) ? v : (v > 0 ? kIpoptInfinity : -kIpoptInfinity); }

LpStatus clp_status(const ClpSimplex& lp) {
  if (lp.isProvenOptimal()) return LpStatus::optimal;
  if (lp.isProvenPrimalInfeasible()) return LpStatus::infeasible;
  if (lp.isProvenDualInfeasible()) return LpStatus::unbounded;
  if (lp.hitMaximumIterations()) return LpStatus::limit;
  return LpStatus::error;
}

// Rows of S that are linearly independent (Ipopt wants a Jacobian of full row rank):
// the columns of Sᵀ that the rank-revealing QR keeps.
std::vector<Index> independent_rows(const Eigen::SparseMatrix<double>& s) {
  std::vector<Index> rows;
  if (s.rows() == 0 || s.nonZeros() == 0) return rows;
  Eigen::SparseMatrix<double, Eigen::ColMajor, SuiteSparse_long> st(s.cols(), s.rows());
  std::vector<Eigen::Triplet<double, SuiteSparse_long>> t;
  for (Index j = 0; j < s.outerSize(); ++j)
    for (Eigen::SparseMatrix<double>::InnerIterator it(s, j); it; ++it) t.emplace_back(j, it.row(), it.value());
  st.setFromTriplets(t.begin(), t.end());
  Eigen::SPQR<decltype(st)> qr;
  qr.compute(st);
  if (qr.info() != Eigen::Success) {
    for (Index i = 0; i < s.rows(); ++i) rows.push_back(i);
    return rows;
  }
  const auto perm = qr.colsPermutation().indices();
  for (Index k = 0; k < qr.rank(); ++k) rows.push_back(static_cast<Index>(perm(k)));
  std::sort(rows.begin(), rows.end());
  return rows;
}

}  // namespace

struct Moma::Impl {
  std::size_t n = 0;
  Eigen::VectorXd lower, upper;
  Eigen::SparseMatrix<double> s;          // balanced rows
  std::vector<Index> rows;                // independent rows of s
  std::vector<int> jac_row, jac_col;      // S restricted to `rows`, as triplets
  std::vector<double> jac_value;
  // linear MoMA: one LP kept between solves while the measured set stays the same
  std::unique_ptr<ClpSimplex> lp;
  std::vector<Index> lp_measured;
  bool lp_solved = false;
  Ipopt::SmartPtr<Ipopt::IpoptApplication> ipopt;

  MomaSolution quadratic(const Eigen::VectorXd& ref, const std::vector<Index>& measured, const MomaOptions& o);
  MomaSolution linear(const Eigen::VectorXd& ref, const std::vector<Index>& measured);
};

namespace {

class MomaNlp final : public Ipopt::TNLP {
 public:
  MomaNlp(const Moma::Impl& im, const Eigen::VectorXd& ref, const std::vector<Index>& measured, Eigen::VectorXd start)
      : im_(im), ref_(ref), measured_(measured), start_(std::move(start)) {}

  bool get_nlp_info(Ipopt::Index& n, Ipopt::Index& m, Ipopt::Index& nnz_jac, Ipopt::Index& nnz_h, IndexStyleEnum& style) override {
    n = static_cast<Ipopt::Index>(im_.n);
    m = static_cast<Ipopt::Index>(im_.rows.size());
    nnz_jac = static_cast<Ipopt::Index>(im_.jac_value.size());
    nnz_h = static_cast<Ipopt::Index>(measured_.size());
    style = C_STYLE;
    return true;
  }
  bool get_bounds_info(Ipopt::Index n, Ipopt::Number* xl, Ipopt::Number* xu, Ipopt::Index m, Ipopt::Number* gl, Ipopt::Number* gu) override {
    for (Ipopt::Index j = 0; j < n; ++j) {
      xl[j] = ipopt_bound(im_.lower(j));
      xu[j] = ipopt_bound(im_.upper(j));
    }
    std::fill(gl, gl + m, 0.0);
    std::fill(gu, gu + m, 0.0);
    return true;
  }
  bool get_starting_point(Ipopt::Index n, bool init_x, Ipopt::Number* x, bool init_z, Ipopt::Number*, Ipopt::Number*, Ipopt::Index,
                          bool init_lambda, Ipopt::Number*) override {
    if (!init_x || init_z || init_lambda) return false;
    std::copy(start_.data(), start_.data() + n, x);
    return true;
  }
  bool eval_f(Ipopt::Index, const Ipopt::Number* x, bool, Ipopt::Number& f) override {
    f = 0.0;
    for (Index i : measured_) f += (x[i] - ref_(i)) * (x[i] - ref_(i));
    return true;
  }
  bool eval_grad_f(Ipopt::Index n, const Ipopt::Number* x, bool, Ipopt::Number* g) override {
    std::fill(g, g + n, 0.0);
    for (Index i : measured_) g[i] = 2.0 * (x[i] - ref_(i));
    return true;
  }
  bool eval_g(Ipopt::Index, const Ipopt::Number* x, bool, Ipopt::Index m, Ipopt::Number* g) override {
    std::fill(g, g + m, 0.0);
    for (std::size_t e = 0; e < im_.jac_value.size(); ++e) g[im_.jac_row[e]] += im_.jac_value[e] * x[im_.jac_col[e]];
    return true;
  }
  bool eval_jac_g(Ipopt::Index, const Ipopt::Number*, bool, Ipopt::Index, Ipopt::Index nele, Ipopt::Index* irow, Ipopt::Index* jcol,
                  Ipopt::Number* values) override {
    if (values == nullptr) {
      for (Ipopt::Index e = 0; e < nele; ++e) {
        irow[e] = im_.jac_row[static_cast<std::size_t>(e)];
        jcol[e] = im_.jac_col[static_cast<std::size_t>(e)];
      }
    } else {
      std::copy(im_.jac_value.begin(), im_.jac_value.end(), values);
    }
    return true;
  }
  bool eval_h(Ipopt::Index, const Ipopt::Number*, bool, Ipopt::Number obj_factor, Ipopt::Index, const Ipopt::Number*, bool, Ipopt::Index nele,
              Ipopt::Index* irow, Ipopt::Index* jcol, Ipopt::Number* values) override {
    if (values == nullptr) {
      for (Ipopt::Index e = 0; e < nele; ++e) irow[e] = jcol[e] = static_cast<Ipopt::Index>(measured_[static_cast<std::size_t>(e)]);
    } else {
      std::fill(values, values + nele, 2.0 * obj_factor);
    }
    return true;
  }
  void finalize_solution(Ipopt::SolverReturn, Ipopt::Index n, const Ipopt::Number* x, const Ipopt::Number*, const Ipopt::Number*, Ipopt::Index,
                         const Ipopt::Number*, const Ipopt::Number*, Ipopt::Number, const Ipopt::IpoptData*, Ipopt::IpoptCalculatedQuantities*) override {
    solution = Eigen::Map<const Eigen::VectorXd>(x, n);
  }

  Eigen::VectorXd solution;

 private:
  const Moma::Impl& im_;
  const Eigen::VectorXd& ref_;
  const std::vector<Index>& measured_;
  Eigen::VectorXd start_;
};

}  // namespace

const OptionTable<MomaOptions>& MomaOptions::table() {
  static const OptionTable<MomaOptions> t = [] {
    OptionTable<MomaOptions> t;
    t.add("linear", &MomaOptions::linear, "Minimise Σ|v − ref| (an LP) instead of Σ(v − ref)² (a QP)");
    t.add("tolerance", &MomaOptions::tolerance, "Ipopt's convergence and constraint tolerance (quadratic)").range(1e-12, 1e-3);
    return t;
  }();
  return t;
}

std::vector<Diagnostic> MomaOptions::validate() const {
  Diagnostics d("MoMA options");
  d.append(table().check(*this, "MoMA options"));
  if (max_iterations < 1) d.error("must be at least 1", 0, 0, "max_iterations");
  return d.items();
}

Moma::Moma() : impl_(std::make_unique<Impl>()) {}
Moma::Moma(Moma&&) noexcept = default;
Moma& Moma::operator=(Moma&&) noexcept = default;
Moma::~Moma() = default;

Result<Moma> Moma::create(const Model& model) {
  Diagnostics d("MoMA on model '" + model.id + "'");
  Moma mo;
  Impl& im = *mo.impl_;
  im.n = model.reactions.size();
  im.lower.resize(static_cast<Index>(im.n));
  im.upper.resize(static_cast<Index>(im.n));
  for (std::size_t j = 0; j < im.n; ++j) {
    const Reaction& r = model.reactions[j];
    im.lower(static_cast<Index>(j)) = r.lower_bound;
    im.upper(static_cast<Index>(j)) = r.upper_bound;
    if (r.lower_bound > r.upper_bound)
      d.error("lower bound " + std::to_string(r.lower_bound) + " > upper bound " + std::to_string(r.upper_bound), 0, 0, "reaction '" + r.id + "'");
  }
  if (d.has_errors()) return Result<Moma>::failure(d);
  im.s = balanced_stoichiometry(model);
  im.rows = independent_rows(im.s);
  std::vector<int> row_pos(static_cast<std::size_t>(im.s.rows()), -1);
  for (std::size_t k = 0; k < im.rows.size(); ++k) row_pos[static_cast<std::size_t>(im.rows[k])] = static_cast<int>(k);
  for (Index j = 0; j < im.s.outerSize(); ++j)
    for (Eigen::SparseMatrix<double>::InnerIterator it(im.s, j); it; ++it)
      if (row_pos[static_cast<std::size_t>(it.row())] >= 0) {
        im.jac_row.push_back(row_pos[static_cast<std::size_t>(it.row())]);
        im.jac_col.push_back(static_cast<int>(j));
        im.jac_value.push_back(it.value());
      }
  return Result<Moma>::success(std::move(mo), d.items());
}

std::size_t Moma::n_reactions() const { return impl_->n; }

void Moma::set_bounds(std::size_t reaction, double lower, double upper) {
  impl_->lower(static_cast<Index>(reaction)) = lower;
  impl_->upper(static_cast<Index>(reaction)) = upper;
  if (impl_->lp) impl_->lp->setColumnBounds(static_cast<int>(reaction), clp_bound(lower), clp_bound(upper));
}

MomaSolution Moma::solve(const Eigen::VectorXd& reference, const std::vector<Index>& measured, const MomaOptions& options) {
  Impl& im = *impl_;
  if (reference.size() != static_cast<Index>(im.n))
    throw std::invalid_argument("Moma::solve: expected " + std::to_string(im.n) + " reference values, got " + std::to_string(reference.size()));
  std::vector<Index> in;
  if (measured.empty()) {
    for (std::size_t j = 0; j < im.n; ++j) in.push_back(static_cast<Index>(j));
  } else {
    for (Index j : measured)
      if (j >= 0 && j < static_cast<Index>(im.n)) in.push_back(j);
    std::sort(in.begin(), in.end());
    in.erase(std::unique(in.begin(), in.end()), in.end());
  }
  return options.linear ? im.linear(reference, in) : im.quadratic(reference, in, options);
}

MomaSolution Moma::Impl::linear(const Eigen::VectorXd& ref, const std::vector<Index>& measured) {
  const std::size_t k = measured.size(), m = static_cast<std::size_t>(s.rows());
  if (!lp || lp_measured != measured) {
    // columns: v (n), then one deviation d_i ≥ 0 per measured reaction;
    // rows: S·v = 0, then d_i − v_i ≥ −ref_i and d_i + v_i ≥ ref_i
    std::vector<int> start{0}, index;
    std::vector<double> value;
    std::vector<int> pos(n, -1);
    for (std::size_t q = 0; q < k; ++q) pos[static_cast<std::size_t>(measured[q])] = static_cast<int>(q);
    for (std::size_t j = 0; j < n; ++j) {
      for (Eigen::SparseMatrix<double>::InnerIterator it(s, static_cast<Index>(j)); it; ++it) {
        index.push_back(static_cast<int>(it.row()));
        value.push_back(it.value());
      }
      if (pos[j] >= 0) {
        index.push_back(static_cast<int>(m) + 2 * pos[j]);
        value.push_back(-1.0);
        index.push_back(static_cast<int>(m) + 2 * pos[j] + 1);
        value.push_back(1.0);
      }
      start.push_back(static_cast<int>(index.size()));
    }
    for (std::size_t q = 0; q < k; ++q) {
      index.push_back(static_cast<int>(m + 2 * q));
      value.push_back(1.0);
      index.push_back(static_cast<int>(m + 2 * q + 1));
      value.push_back(1.0);
      start.push_back(static_cast<int>(index.size()));
    }
    std::vector<double> collb(n + k, 0.0), colub(n + k, COIN_DBL_MAX), obj(n + k, 0.0), rowlb(m + 2 * k, 0.0), rowub(m + 2 * k, 0.0);
    for (std::size_t j = 0; j < n; ++j) {
      collb[j] = clp_bound(lower(static_cast<Index>(j)));
      colub[j] = clp_bound(upper(static_cast<Index>(j)));
    }
    for (std::size_t q = 0; q < k; ++q) obj[n + q] = 1.0;
    for (std::size_t r = m; r < m + 2 * k; ++r) rowub[r] = COIN_DBL_MAX;
    lp = std::make_unique<ClpSimplex>();
    lp->setLogLevel(0);
    lp->setPrimalTolerance(1e-9);
    lp->setDualTolerance(1e-9);
    lp->loadProblem(static_cast<int>(n + k), static_cast<int>(m + 2 * k), start.data(), index.data(), value.data(), collb.data(), colub.data(),
                    obj.data(), rowlb.data(), rowub.data());
    lp->setOptimizationDirection(1.0);
    lp_measured = measured;
    lp_solved = false;
  }
  for (std::size_t q = 0; q < k; ++q) {
    const double r = ref(measured[q]);
    lp->setRowLower(static_cast<int>(m + 2 * q), -r);
    lp->setRowLower(static_cast<int>(m + 2 * q + 1), r);
  }
  if (lp_solved) {
    lp->dual(0, 3);  // only the right-hand side changed: the last basis stays dual feasible
    if (!lp->isProvenOptimal() && !lp->isProvenPrimalInfeasible() && !lp->isProvenDualInfeasible()) lp->initialSolve();
  } else {
    lp->initialSolve();
    lp_solved = true;
  }
  MomaSolution out;
  out.status = clp_status(*lp);
  if (out.status != LpStatus::optimal) return out;
  out.fluxes = Eigen::Map<const Eigen::VectorXd>(lp->primalColumnSolution(), static_cast<Index>(n));
  for (Index i : measured) out.distance += std::fabs(out.fluxes(i) - ref(i));
  return out;
}

MomaSolution Moma::Impl::quadratic(const Eigen::VectorXd& ref, const std::vector<Index>& measured, const MomaOptions& o) {
  MomaSolution out;
  // Feasibility first, on the simplex (a clear status, and a start inside the polytope):
  // the point of least Σ|v − ref| is feasible and near the answer.
  MomaSolution start = linear(ref, measured);
  if (start.status != LpStatus::optimal) {
    out.status = start.status == LpStatus::unbounded ? LpStatus::error : start.status;
    return out;
  }
  if (IsNull(ipopt)) {
    ipopt = IpoptApplicationFactory();
    ipopt->Options()->SetIntegerValue("print_level", 0);
    ipopt->Options()->SetStringValue("sb", "yes");
    ipopt->Options()->SetStringValue("hessian_constant", "yes");
    ipopt->Options()->SetStringValue("jac_c_constant", "yes");
    ipopt->Options()->SetStringValue("jac_d_constant", "yes");
    // monotone: on references far outside the bounds (the FBApro paper's synthetic data)
    // adaptive needed 2-3x the iterations on iND750 and hit the iteration limit
    ipopt->Options()->SetStringValue("mu_strategy", "monotone");
    ipopt->Options()->SetStringValue("honor_original_bounds", "yes");
    if (ipopt->Initialize() != Ipopt::Solve_Succeeded) {
      ipopt = nullptr;
      out.status = LpStatus::error;
      return out;
    }
  }
  ipopt->Options()->SetNumericValue("tol", o.tolerance);
  ipopt->Options()->SetNumericValue("constr_viol_tol", o.tolerance);
  ipopt->Options()->SetIntegerValue("max_iter", o.max_iterations);
  Ipopt::SmartPtr<MomaNlp> nlp = new MomaNlp(*this, ref, measured, start.fluxes);
  const Ipopt::ApplicationReturnStatus st = ipopt->OptimizeTNLP(Ipopt::SmartPtr<Ipopt::TNLP>(GetRawPtr(nlp)));
  switch (st) {
    case Ipopt::Solve_Succeeded:
    case Ipopt::Solved_To_Acceptable_Level: out.status = LpStatus::optimal; break;
    case Ipopt::Infeasible_Problem_Detected: out.status = LpStatus::infeasible; break;
    case Ipopt::Maximum_Iterations_Exceeded:
    case Ipopt::Maximum_CpuTime_Exceeded: out.status = LpStatus::limit; break;
    default: out.status = LpStatus::error;
  }
  if (auto stats = ipopt->Statistics(); IsValid(stats)) out.iterations = stats->IterationCount();
  if (out.status != LpStatus::optimal) return out;
  out.fluxes = nlp->solution;
  for (Index i : measured) out.distance += (out.fluxes(i) - ref(i)) * (out.fluxes(i) - ref(i));
  return out;
}

}  // namespace fluxion::cbm
