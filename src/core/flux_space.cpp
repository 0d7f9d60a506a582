#include "fluxion/core/flux_space.hpp"

#include <gmpxx.h>

#include <Eigen/SPQRSupport>
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace fluxion {

std::string_view to_string(NullSpaceMethod m) {
  switch (m) {
    case NullSpaceMethod::automatic: return "automatic";
    case NullSpaceMethod::exact: return "exact";
    case NullSpaceMethod::orthogonal: return "orthogonal";
  }
  return "?";
}

std::vector<Diagnostic> FluxSpaceOptions::validate() const {
  Diagnostics d("flux space options");
  if (exact_max_columns < 1) d.error("is " + std::to_string(exact_max_columns) + "; must be at least 1", 0, 0, "exact_max_columns");
  if (std::isnan(rank_tolerance)) d.error("is not a number", 0, 0, "rank_tolerance");
  std::set<std::string> seen;
  for (const auto& id : free_fluxes)
    if (!seen.insert(id).second) d.error("names '" + id + "' twice", 0, 0, "free_fluxes");
  return d.items();
}

namespace {

using SpMat = Eigen::SparseMatrix<double>;

// Exact rational value of a stoichiometric coefficient. Coefficients written in text
// as decimals (0.5, 1.25, 0.001) become the intended fraction, not the nearest binary one.
mpq_class to_rational(double x) {
  if (x == std::floor(x) && std::fabs(x) < 1e15) return mpq_class(static_cast<long>(x));
  // continued fraction with a small denominator, accepted only if it reproduces x
  double v = std::fabs(x);
  long h0 = 0, h1 = 1, k0 = 1, k1 = 0;
  double r = v;
  for (int it = 0; it < 40; ++it) {
    const double a = std::floor(r);
    if (a > 1e12) break;
    const long ai = static_cast<long>(a);
    const long h2 = ai * h1 + h0, k2 = ai * k1 + k0;
    if (k2 > 100000000L) break;
    h0 = h1; h1 = h2; k0 = k1; k1 = k2;
    if (std::fabs(static_cast<double>(h1) / static_cast<double>(k1) - v) <= 1e-14 * std::max(1.0, v)) {
      mpq_class q(h1, k1);
      q.canonicalize();
      return x < 0 ? mpq_class(-q) : q;
    }
    const double frac = r - a;
    if (frac <= 0) break;
    r = 1.0 / frac;
  }
  return mpq_class(x);  // exact binary value
}

struct RrefResult {
  std::vector<int> pivot_columns;        // in the permuted column order
  std::vector<std::vector<mpq_class>> r;  // rows of the RREF, rank rows
};

// Reduced row echelon form of a dense rational matrix, columns taken in `order`.
RrefResult rational_rref(std::vector<std::vector<mpq_class>> a, const std::vector<Eigen::Index>& order) {
  const std::size_t m = a.size();
  const std::size_t n = order.size();
  // permute columns
  for (auto& row : a) {
    std::vector<mpq_class> p(n);
    for (std::size_t j = 0; j < n; ++j) p[j] = row[static_cast<std::size_t>(order[j])];
    row.swap(p);
  }
  RrefResult out;
  std::size_t prow = 0;
  for (std::size_t col = 0; col < n && prow < m; ++col) {
    std::size_t piv = prow;
    while (piv < m && sgn(a[piv][col]) == 0) ++piv;
    if (piv == m) continue;
    std::swap(a[piv], a[prow]);
    const mpq_class inv = 1 / a[prow][col];
    for (std::size_t j = col; j < n; ++j)
      if (sgn(a[prow][j]) != 0) a[prow][j] *= inv;
    for (std::size_t i = 0; i < m; ++i) {
      if (i == prow || sgn(a[i][col]) == 0) continue;
      const mpq_class f = a[i][col];
      for (std::size_t j = col; j < n; ++j)
        if (sgn(a[prow][j]) != 0) a[i][j] -= f * a[prow][j];
    }
    out.pivot_columns.push_back(static_cast<int>(col));
    ++prow;
  }
  a.resize(prow);
  out.r = std::move(a);
  return out;
}

}  // namespace

Result<FluxSpace> FluxSpace::build(const Model& model, const FluxSpaceOptions& options) {
  Diagnostics diag("flux space of model '" + model.id + "'");
  if (auto problems = options.validate(); !problems.empty()) return Result<FluxSpace>::failure(problems);
  FluxSpace fs;
  const auto nr = static_cast<Eigen::Index>(model.reactions.size());
  fs.n_reactions_ = nr;
  for (Eigen::Index j = 0; j < nr; ++j) {
    fs.column_ids_.push_back(model.reactions[static_cast<std::size_t>(j)].id);
    fs.column_reaction_.push_back(static_cast<std::size_t>(j));
  }
  for (Eigen::Index j = 0; j < nr; ++j) {
    const auto& r = model.reactions[static_cast<std::size_t>(j)];
    if (!r.leak.empty()) {
      fs.column_ids_.push_back(r.id + "_leak");
      fs.column_reaction_.push_back(static_cast<std::size_t>(j));
    }
  }
  std::vector<Eigen::Index> row_of(model.metabolites.size(), -1);
  for (std::size_t i = 0; i < model.metabolites.size(); ++i) {
    if (model.metabolites[i].boundary) {
      fs.boundary_.push_back(i);
    } else {
      row_of[i] = static_cast<Eigen::Index>(fs.balanced_.size());
      fs.balanced_.push_back(i);
    }
  }
  const auto m = static_cast<Eigen::Index>(fs.balanced_.size());
  const Eigen::Index ncols = fs.n_columns();
  std::vector<Eigen::Triplet<double>> triplets;
  for (Eigen::Index j = 0; j < nr; ++j) {
    const auto& r = model.reactions[static_cast<std::size_t>(j)];
    for (const auto& p : r.reactants)
      if (!r.pseudo && p.metabolite < row_of.size() && row_of[p.metabolite] >= 0)
        triplets.emplace_back(row_of[p.metabolite], j, -p.coefficient);
    for (const auto& p : r.products)
      if (p.metabolite < row_of.size() && row_of[p.metabolite] >= 0)
        triplets.emplace_back(row_of[p.metabolite], j, p.coefficient);
  }
  fs.s_.resize(m, ncols);
  fs.s_.setFromTriplets(triplets.begin(), triplets.end());  // sums repeated occurrences
  fs.s_.prune(0.0);

  // exchange columns: reversible with both signs in S, and every leak column
  for (Eigen::Index j = 0; j < nr; ++j) {
    if (!model.reactions[static_cast<std::size_t>(j)].reversible) continue;
    bool pos = false, neg = false;
    for (SpMat::InnerIterator it(fs.s_, j); it; ++it) {
      pos = pos || it.value() > 0;
      neg = neg || it.value() < 0;
    }
    if (pos && neg) fs.exchange_.push_back(j);
  }
  for (Eigen::Index j = nr; j < ncols; ++j) fs.exchange_.push_back(j);

  // user's free fluxes
  std::vector<bool> user_free(static_cast<std::size_t>(nr), false);
  for (const auto& id : options.free_fluxes) {
    auto idx = model.reaction_index(id);
    if (!idx) {
      diag.error("free flux '" + id + "' is not a reaction of the model", 0, 0, "free fluxes");
      continue;
    }
    user_free[*idx] = true;
  }
  if (diag.has_errors()) return Result<FluxSpace>::failure(diag);
  const bool user_choice = !options.free_fluxes.empty();

  NullSpaceMethod method = options.method;
  if (method == NullSpaceMethod::automatic)
    method = nr <= options.exact_max_columns ? NullSpaceMethod::exact : NullSpaceMethod::orthogonal;
  fs.method_ = method;

  // Column order for the elimination: with a user choice, dependent columns come first
  // so that they become the pivots if they can.
  std::vector<Eigen::Index> order;
  for (Eigen::Index j = 0; j < nr; ++j)
    if (!user_free[static_cast<std::size_t>(j)]) order.push_back(j);
  for (Eigen::Index j = 0; j < nr; ++j)
    if (user_free[static_cast<std::size_t>(j)]) order.push_back(j);

  std::vector<Eigen::Index> dependent;  // pivot columns, original indices
  if (method == NullSpaceMethod::exact) {
    std::vector<std::vector<mpq_class>> a(static_cast<std::size_t>(m),
                                          std::vector<mpq_class>(static_cast<std::size_t>(nr)));
    for (Eigen::Index j = 0; j < nr; ++j)
      for (SpMat::InnerIterator it(fs.s_, j); it; ++it)
        a[static_cast<std::size_t>(it.row())][static_cast<std::size_t>(j)] = to_rational(it.value());
    RrefResult rr = rational_rref(std::move(a), order);
    fs.rank_ = static_cast<Eigen::Index>(rr.pivot_columns.size());
    std::vector<bool> is_pivot(order.size(), false);
    for (int pc : rr.pivot_columns) is_pivot[static_cast<std::size_t>(pc)] = true;
    for (std::size_t k = 0; k < order.size(); ++k) {
      if (is_pivot[k]) dependent.push_back(order[k]);
      else fs.free_net_.push_back(order[k]);
    }
    std::sort(fs.free_net_.begin(), fs.free_net_.end());
    fs.net_kernel_ = Eigen::MatrixXd::Zero(ncols, static_cast<Eigen::Index>(fs.free_net_.size()));
    std::vector<Eigen::Index> free_pos(static_cast<std::size_t>(nr), -1);
    for (std::size_t f = 0; f < fs.free_net_.size(); ++f) {
      free_pos[static_cast<std::size_t>(fs.free_net_[f])] = static_cast<Eigen::Index>(f);
      fs.net_kernel_(fs.free_net_[f], static_cast<Eigen::Index>(f)) = 1.0;
    }
    for (std::size_t row = 0; row < rr.r.size(); ++row) {
      const Eigen::Index pivot_col = order[static_cast<std::size_t>(rr.pivot_columns[row])];
      for (std::size_t k = 0; k < order.size(); ++k) {
        const Eigen::Index f = free_pos[static_cast<std::size_t>(order[k])];
        if (f >= 0 && sgn(rr.r[row][k]) != 0) fs.net_kernel_(pivot_col, f) = -rr.r[row][k].get_d();
      }
    }
  } else {
    Eigen::SparseMatrix<double, Eigen::ColMajor, SuiteSparse_long> sp(m, nr);
    {
      std::vector<Eigen::Triplet<double, SuiteSparse_long>> t;
      for (Eigen::Index j = 0; j < nr; ++j)
        for (SpMat::InnerIterator it(fs.s_, j); it; ++it) t.emplace_back(it.row(), j, it.value());
      sp.setFromTriplets(t.begin(), t.end());
    }
    Eigen::SPQR<decltype(sp)> qr;
    if (options.rank_tolerance >= 0) qr.setPivotThreshold(options.rank_tolerance);
    qr.compute(sp);
    if (qr.info() != Eigen::Success) {
      diag.error("sparse QR factorisation of the stoichiometric matrix failed", 0, 0, "null space");
      return Result<FluxSpace>::failure(diag);
    }
    fs.rank_ = qr.rank();
    if (user_choice) {
      for (Eigen::Index j = 0; j < nr; ++j)
        (user_free[static_cast<std::size_t>(j)] ? fs.free_net_ : dependent).push_back(j);
      if (static_cast<Eigen::Index>(dependent.size()) != fs.rank_) {
        diag.error("the model has " + std::to_string(nr - fs.rank_) + " free net fluxes (" + std::to_string(nr) +
                       " reactions, rank " + std::to_string(fs.rank_) + ") but " +
                       std::to_string(options.free_fluxes.size()) + " were chosen",
                   0, 0, "free fluxes");
        return Result<FluxSpace>::failure(diag);
      }
    } else {
      // the pivoting moves the columns it finds dependent to the end
      const Eigen::Matrix<SuiteSparse_long, Eigen::Dynamic, 1> perm = qr.colsPermutation().indices();
      for (Eigen::Index k = 0; k < nr; ++k) {
        const Eigen::Index col = perm.size() == nr ? static_cast<Eigen::Index>(perm(k)) : k;
        (k < fs.rank_ ? dependent : fs.free_net_).push_back(col);
      }
    }
    std::sort(fs.free_net_.begin(), fs.free_net_.end());
    std::sort(dependent.begin(), dependent.end());
    // K_dep = -S_dep⁺ S_free; S_dep has full column rank, so the least-squares solution
    // is exact.
    {
      Eigen::SparseMatrix<double, Eigen::ColMajor, SuiteSparse_long> sdep(m, static_cast<Eigen::Index>(dependent.size()));
      {
        std::vector<Eigen::Triplet<double, SuiteSparse_long>> t;
        for (std::size_t k = 0; k < dependent.size(); ++k)
          for (SpMat::InnerIterator it(fs.s_, dependent[k]); it; ++it)
            t.emplace_back(it.row(), static_cast<SuiteSparse_long>(k), it.value());
        sdep.setFromTriplets(t.begin(), t.end());
      }
      Eigen::SPQR<decltype(sdep)> qd;
      if (options.rank_tolerance >= 0) qd.setPivotThreshold(options.rank_tolerance);
      qd.compute(sdep);
      fs.net_kernel_ = Eigen::MatrixXd::Zero(ncols, static_cast<Eigen::Index>(fs.free_net_.size()));
      if (qd.info() == Eigen::Success && qd.rank() == static_cast<Eigen::Index>(dependent.size())) {
        Eigen::MatrixXd sfree(m, static_cast<Eigen::Index>(fs.free_net_.size()));
        for (std::size_t f = 0; f < fs.free_net_.size(); ++f)
          sfree.col(static_cast<Eigen::Index>(f)) = fs.s_.col(fs.free_net_[f]);
        // S_dep·P = Q·R with R square upper triangular: K_dep = P·R⁻¹·(Qᵀ·(−S_free))[:r]
        const Eigen::Index r = qd.rank();
        Eigen::MatrixXd qtb = qd.matrixQ().transpose() * Eigen::MatrixXd(-sfree);
        const Eigen::SparseMatrix<double, Eigen::ColMajor, SuiteSparse_long> rtop = qd.matrixR().topLeftCorner(r, r);
        const Eigen::MatrixXd z = rtop.triangularView<Eigen::Upper>().solve(qtb.topRows(r));
        const Eigen::Matrix<SuiteSparse_long, Eigen::Dynamic, 1> pd = qd.colsPermutation().indices();
        Eigen::MatrixXd kdep(r, z.cols());
        for (Eigen::Index k = 0; k < r; ++k) kdep.row(pd(k)) = z.row(k);
        for (std::size_t k = 0; k < dependent.size(); ++k)
          fs.net_kernel_.row(dependent[k]) = kdep.row(static_cast<Eigen::Index>(k));
        for (std::size_t f = 0; f < fs.free_net_.size(); ++f)
          fs.net_kernel_(fs.free_net_[f], static_cast<Eigen::Index>(f)) = 1.0;
      } else if (!user_choice) {
        diag.error("the columns chosen as dependent are not independent; raise rank_tolerance", 0, 0, "null space");
        return Result<FluxSpace>::failure(diag);
      } else {
        diag.error("this choice of free fluxes is impossible: the reactions left to compute from them are "
                   "linearly dependent; choose another set",
                   0, 0, "free fluxes");
        return Result<FluxSpace>::failure(diag);
      }
    }
  }

  if (user_choice) {
    const Eigen::Index want = nr - fs.rank_;
    if (static_cast<Eigen::Index>(options.free_fluxes.size()) != want) {
      diag.error("the model has " + std::to_string(want) + " free net fluxes (" +
                     std::to_string(nr) + " reactions, rank " + std::to_string(fs.rank_) +
                     ") but " + std::to_string(options.free_fluxes.size()) + " were chosen",
                 0, 0, "free fluxes");
    } else {
      std::string blocked;  // reactions that had to stay free although not chosen
      for (Eigen::Index j : fs.free_net_)
        if (!user_free[static_cast<std::size_t>(j)])
          blocked += (blocked.empty() ? "" : ", ") + model.reactions[static_cast<std::size_t>(j)].id;
      if (!blocked.empty())
        diag.error("this choice of free fluxes is impossible: the chosen fluxes are not independent, so " + blocked +
                       " cannot be computed from them; choose " + blocked + " as free instead of one of the chosen",
                   0, 0, "free fluxes");
    }
    if (diag.has_errors()) return Result<FluxSpace>::failure(diag);
  }
  return Result<FluxSpace>::success(std::move(fs), diag.items());
}

std::vector<std::string> FluxSpace::free_net_ids() const {
  std::vector<std::string> out;
  for (auto j : free_net_) out.push_back(column_ids_[static_cast<std::size_t>(j)]);
  return out;
}

std::vector<std::string> FluxSpace::exchange_ids() const {
  std::vector<std::string> out;
  for (auto j : exchange_) out.push_back(column_ids_[static_cast<std::size_t>(j)]);
  return out;
}

Eigen::MatrixXd FluxSpace::exchange_kernel() const {
  Eigen::MatrixXd k = Eigen::MatrixXd::Zero(n_columns(), n_exchange());
  for (std::size_t x = 0; x < exchange_.size(); ++x) k(exchange_[x], static_cast<Eigen::Index>(x)) = 1.0;
  return k;
}

FluxVector FluxSpace::free_to_full(const Eigen::VectorXd& free) const {
  if (free.size() != n_free())
    throw std::invalid_argument("FluxSpace::free_to_full: expected " + std::to_string(n_free()) +
                                " free fluxes, got " + std::to_string(free.size()));
  FluxVector out;
  out.net = net_kernel_ * free.head(n_free_net());
  out.exchange = Eigen::VectorXd::Zero(n_columns());
  for (std::size_t x = 0; x < exchange_.size(); ++x)
    out.exchange(exchange_[x]) = free(n_free_net() + static_cast<Eigen::Index>(x));
  return out;
}

Eigen::VectorXd FluxSpace::full_to_free(const FluxVector& full) const {
  if (full.net.size() != n_columns() || full.exchange.size() != n_columns())
    throw std::invalid_argument("FluxSpace::full_to_free: flux vectors must have " +
                                std::to_string(n_columns()) + " entries");
  Eigen::VectorXd free(n_free());
  for (std::size_t f = 0; f < free_net_.size(); ++f) free(static_cast<Eigen::Index>(f)) = full.net(free_net_[f]);
  for (std::size_t x = 0; x < exchange_.size(); ++x)
    free(n_free_net() + static_cast<Eigen::Index>(x)) = full.exchange(exchange_[x]);
  return free;
}

double FluxSpace::steady_state_residual(const Eigen::VectorXd& net) const {
  if (s_.rows() == 0) return 0.0;
  return (s_ * net).cwiseAbs().maxCoeff();
}

Eigen::MatrixXd FluxSpace::orthonormal_null_space() const {
  // ker S = orthogonal complement of range(Sᵀ): the trailing columns of Q in Sᵀ·P = Q·R.
  const Eigen::Index nr = n_reactions_;
  Eigen::SparseMatrix<double, Eigen::ColMajor, SuiteSparse_long> st(nr, s_.rows());
  {
    std::vector<Eigen::Triplet<double, SuiteSparse_long>> t;
    for (Eigen::Index j = 0; j < nr; ++j)
      for (SpMat::InnerIterator it(s_, j); it; ++it) t.emplace_back(j, it.row(), it.value());
    st.setFromTriplets(t.begin(), t.end());
  }
  const Eigen::Index dim = nr - rank_;
  Eigen::MatrixXd basis = Eigen::MatrixXd::Zero(n_columns(), dim);
  if (dim == 0) return basis;
  if (st.cols() == 0) {
    basis.topRows(nr) = Eigen::MatrixXd::Identity(nr, dim);
    return basis;
  }
  Eigen::SPQR<decltype(st)> qr;
  qr.compute(st);
  Eigen::MatrixXd e = Eigen::MatrixXd::Zero(nr, dim);
  e.bottomRows(dim) = Eigen::MatrixXd::Identity(dim, dim);
  basis.topRows(nr) = qr.matrixQ() * e;
  return basis;
}

}  // namespace fluxion
