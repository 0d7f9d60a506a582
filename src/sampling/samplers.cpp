#include "fluxion/sampling/samplers.hpp"

#include <cmath>
#include <limits>

namespace fluxion::sampling {

Result<RejectionSampler> RejectionSampler::create(const FluxPolytope& polytope, std::uint64_t seed) {
  auto full_box = polytope.bounding_box();  // feasibility and boundedness, with named errors
  if (!full_box) return Result<RejectionSampler>::failure(full_box.diagnostics());
  RejectionSampler s;
  s.rng_.seed(seed);
  const Eigen::Index n = polytope.dimension();
  std::vector<Eigen::Index> eq, ineq;
  for (Eigen::Index i = 0; i < polytope.n_rows(); ++i)
    (polytope.lower()(i) == polytope.upper()(i) ? eq : ineq).push_back(i);
  if (eq.empty()) {
    s.polytope_ = polytope;
    s.box_ = full_box.value();
    return Result<RejectionSampler>::success(std::move(s));
  }
  Eigen::MatrixXd e(static_cast<Eigen::Index>(eq.size()), n);
  Eigen::VectorXd values(static_cast<Eigen::Index>(eq.size()));
  for (std::size_t k = 0; k < eq.size(); ++k) {
    e.row(static_cast<Eigen::Index>(k)) = polytope.rows().row(eq[k]);
    values(static_cast<Eigen::Index>(k)) = polytope.lower()(eq[k]);
  }
  s.x0_ = e.completeOrthogonalDecomposition().solve(values);
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(e.transpose());
  const Eigen::MatrixXd q = qr.householderQ();
  s.null_ = q.rightCols(n - qr.rank());
  Eigen::MatrixXd a(static_cast<Eigen::Index>(ineq.size()), s.null_.cols());
  Eigen::VectorXd lo(a.rows()), hi(a.rows());
  std::vector<std::string> names;
  for (std::size_t k = 0; k < ineq.size(); ++k) {
    const auto i = ineq[k];
    const double shift = polytope.rows().row(i).dot(s.x0_);
    a.row(static_cast<Eigen::Index>(k)) = polytope.rows().row(i) * s.null_;
    lo(static_cast<Eigen::Index>(k)) = polytope.lower()(i) - shift;
    hi(static_cast<Eigen::Index>(k)) = polytope.upper()(i) - shift;
    names.push_back(polytope.row_names()[static_cast<std::size_t>(i)]);
  }
  s.polytope_ = FluxPolytope::from_rows(a, lo, hi, names, {});
  auto box = s.polytope_.bounding_box();
  if (!box) return Result<RejectionSampler>::failure(box.diagnostics());
  s.box_ = box.value();
  return Result<RejectionSampler>::success(std::move(s));
}

bool RejectionSampler::next(Eigen::VectorXd& x, long max_tries) {
  const Eigen::Index n = polytope_.dimension();
  Eigen::VectorXd z(n);
  for (long k = 0; k < max_tries; ++k) {
    for (Eigen::Index j = 0; j < n; ++j) z(j) = box_.lower(j) + (box_.upper(j) - box_.lower(j)) * uniform01(rng_);
    ++tries_;
    if (polytope_.contains(z, 1e-9)) {
      ++accepted_;
      x = null_.size() > 0 ? Eigen::VectorXd(x0_ + null_ * z) : z;
      return true;
    }
  }
  return false;
}

std::vector<Diagnostic> AchrOptions::validate() const {
  Diagnostics d("ACHR options");
  if (thinning < 0) d.error("must be 0 (the dimension) or more", 0, 0, "thinning");
  if (warmup_random < 0) d.error("must be 0 (the dimension) or more", 0, 0, "warmup_random");
  return d.items();
}

Result<AchrSampler> AchrSampler::create(const FluxPolytope& polytope, const AchrOptions& options) {
  if (auto problems = options.validate(); !problems.empty()) return Result<AchrSampler>::failure(problems);
  auto box = polytope.bounding_box();  // feasibility and boundedness, with named errors
  if (!box) return Result<AchrSampler>::failure(box.diagnostics());
  const Eigen::Index n = polytope.dimension();
  AchrSampler s;
  s.polytope_ = polytope;
  s.options_ = options;
  if (s.options_.thinning <= 0) s.options_.thinning = static_cast<int>(std::max<Eigen::Index>(1, n));
  if (s.options_.warmup_random <= 0) s.options_.warmup_random = static_cast<int>(n);
  s.rng_.seed(options.seed);
  Diagnostics d("ACHR warm-up");
  auto add = [&](const Eigen::VectorXd& c, bool maximize) {
    const LpSolution sol = polytope.optimize(c, maximize);
    if (sol.status != LpStatus::optimal) {
      d.error(std::string("an LP for a warm-up point ended ") + to_string(sol.status));
      return;
    }
    s.warmup_.push_back(sol.x);
  };
  for (Eigen::Index j = 0; j < n; ++j) {
    Eigen::VectorXd c = Eigen::VectorXd::Zero(n);
    c(j) = 1.0;
    add(c, false);
    add(c, true);
  }
  std::normal_distribution<double> normal;
  for (int k = 0; k < s.options_.warmup_random; ++k) {
    Eigen::VectorXd c(n);
    for (Eigen::Index j = 0; j < n; ++j) c(j) = normal(s.rng_);
    add(c, true);
  }
  if (d.has_errors()) return Result<AchrSampler>::failure(d);
  std::vector<Eigen::Index> eq;
  for (Eigen::Index i = 0; i < polytope.n_rows(); ++i)
    if (polytope.lower()(i) == polytope.upper()(i)) eq.push_back(i);
  if (!eq.empty()) {
    s.equalities_.resize(static_cast<Eigen::Index>(eq.size()), n);
    s.equality_values_.resize(static_cast<Eigen::Index>(eq.size()));
    for (std::size_t k = 0; k < eq.size(); ++k) {
      s.equalities_.row(static_cast<Eigen::Index>(k)) = polytope.rows().row(eq[k]);
      s.equality_values_(static_cast<Eigen::Index>(k)) = polytope.lower()(eq[k]);
    }
    Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(s.equalities_.transpose());
    const Eigen::MatrixXd q = qr.householderQ();
    s.null_ = q.rightCols(n - qr.rank());
    // the least-norm correction onto the equalities, decomposed once (not per point)
    s.equality_pinv_ = s.equalities_.completeOrthogonalDecomposition().pseudoInverse();
    for (auto& w : s.warmup_) s.onto_equalities(w);
  }
  Eigen::VectorXd centre = Eigen::VectorXd::Zero(n);
  for (const auto& w : s.warmup_) centre += w;
  centre /= static_cast<double>(s.warmup_.size());
  for (auto& w : s.warmup_) w += (centre - w) / 3.0;
  s.x_ = centre;
  s.ax_ = polytope.rows() * centre;
  s.centre_ = centre;
  s.n_points_ = static_cast<double>(s.warmup_.size());
  return Result<AchrSampler>::success(std::move(s));
}

void AchrSampler::onto_equalities(Eigen::VectorXd& x) const {
  if (equalities_.rows() == 0) return;
  x -= equality_pinv_ * (equalities_ * x - equality_values_);
}

void AchrSampler::step() {
  const Eigen::MatrixXd& a = polytope_.rows();
  const Eigen::VectorXd& lo = polytope_.lower();
  const Eigen::VectorXd& hi = polytope_.upper();
  Eigen::VectorXd u;
  for (int attempt = 0; attempt < 16; ++attempt) {
    u = warmup_[static_cast<std::size_t>(rng_() % warmup_.size())] - centre_;
    if (null_.size() > 0) u = null_ * (null_.transpose() * u);
    const double norm = u.norm();
    if (norm > 1e-12) {
      u /= norm;
      break;
    }
    u.resize(0);
  }
  if (u.size() == 0) return;  // every warm-up point at the centre: a single point
  const Eigen::VectorXd au = a * u;
  double tmin = -std::numeric_limits<double>::infinity(), tmax = std::numeric_limits<double>::infinity();
  for (Eigen::Index i = 0; i < au.size(); ++i) {
    if (lo(i) == hi(i) || std::fabs(au(i)) < 1e-12) continue;  // equalities: directions stay in their plane
    const double t1 = (lo(i) - ax_(i)) / au(i), t2 = (hi(i) - ax_(i)) / au(i);
    tmin = std::max(tmin, std::min(t1, t2));
    tmax = std::min(tmax, std::max(t1, t2));
  }
  double t = 0.0;
  if (std::isfinite(tmin) && std::isfinite(tmax) && tmin < tmax) t = tmin + (tmax - tmin) * uniform01(rng_);
  x_ += t * u;
  ax_ += t * au;
  n_points_ += 1.0;
  centre_ += (x_ - centre_) / n_points_;
  if (static_cast<long>(n_points_) % 256 == 0) {  // no drift between x and A·x, nor off the equalities
    onto_equalities(x_);
    ax_ = a * x_;
  }
}

Eigen::VectorXd AchrSampler::next() {
  for (int k = 0; k < options_.thinning; ++k) step();
  return x_;
}

}  // namespace fluxion::sampling
