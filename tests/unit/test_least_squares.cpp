// The fit's "lm" solver: the dual active-set QP meets the KKT conditions of random convex
// problems (degenerate and dependent rows included) and reports infeasible ones; the
// constrained Levenberg–Marquardt reaches the analytic minimum of Rosenbrock's function
// with and without a binding constraint, and of a bounded linear least-squares problem.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "fluxion/mfa/least_squares.hpp"

using namespace fluxion;

namespace {

// Checks the KKT conditions of min ½xᵀHx + cᵀx s.t. Ax <= b at the solution: primal
// feasibility, u >= 0, stationarity Hx + c + Aᵀu = 0, complementarity u·(b − Ax) = 0.
void expect_kkt(const Eigen::MatrixXd& h, const Eigen::VectorXd& c, const Eigen::MatrixXd& a, const Eigen::VectorXd& b, const mfa::QpSolution& s) {
  ASSERT_TRUE(s.ok) << s.why;
  const Eigen::VectorXd slack = b - a * s.x;
  const double size = 1 + s.x.lpNorm<Eigen::Infinity>() + c.lpNorm<Eigen::Infinity>();
  if (a.rows() == 0) {
    EXPECT_LT((h * s.x + c).lpNorm<Eigen::Infinity>(), 1e-8 * size);
    return;
  }
  EXPECT_GE(slack.minCoeff(), -1e-8 * size);
  EXPECT_GE(s.multipliers.minCoeff(), 0.0);
  EXPECT_LT((h * s.x + c + a.transpose() * s.multipliers).lpNorm<Eigen::Infinity>(), 1e-8 * size);
  EXPECT_LT(s.multipliers.cwiseProduct(slack).cwiseAbs().maxCoeff(), 1e-8 * size);
}

}  // namespace

TEST(ConvexQp, MeetsTheKktConditionsOfRandomProblems) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  int with_active = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const int n = 1 + trial % 12, m = trial % 40;
    Eigen::MatrixXd f(n, n);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) f(i, j) = normal(rng);
    const Eigen::MatrixXd h = f * f.transpose() + 1e-2 * Eigen::MatrixXd::Identity(n, n);
    Eigen::VectorXd c(n), feasible(n);
    for (int i = 0; i < n; ++i) c(i) = 10 * normal(rng), feasible(i) = normal(rng);
    Eigen::MatrixXd a(m, n);
    Eigen::VectorXd b(m);
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < n; ++j) a(i, j) = normal(rng);
      b(i) = a.row(i).dot(feasible) + std::abs(normal(rng));
    }
    // repeated and dependent rows, as bounds of a flux polytope give
    if (m >= 4) {
      a.row(1) = a.row(0);
      b(1) = b(0);
      a.row(3) = 2 * a.row(2);
      b(3) = 2 * b(2);
    }
    const auto s = mfa::solve_convex_qp(h, c, a, b);
    SCOPED_TRACE("trial " + std::to_string(trial));
    expect_kkt(h, c, a, b, s);
    if (!s.active.empty()) ++with_active;
  }
  EXPECT_GT(with_active, 100);  // the constraints bind in most problems
}

TEST(ConvexQp, ABoxAroundTheUnconstrainedMinimumIsAProjection) {
  // H = I: the solution is the unconstrained minimum clipped to the box
  const Eigen::MatrixXd h = Eigen::MatrixXd::Identity(3, 3);
  const Eigen::VectorXd c = Eigen::Vector3d(-2, 0.5, -0.2);  // minimum at (2, −0.5, 0.2)
  Eigen::MatrixXd a(6, 3);
  a << Eigen::MatrixXd::Identity(3, 3), -Eigen::MatrixXd::Identity(3, 3);
  Eigen::VectorXd b(6);
  b << 1, 1, 1, 0, 0, 0;  // 0 <= x <= 1
  const auto s = mfa::solve_convex_qp(h, c, a, b);
  ASSERT_TRUE(s.ok);
  EXPECT_NEAR(s.x(0), 1.0, 1e-12);
  EXPECT_NEAR(s.x(1), 0.0, 1e-12);
  EXPECT_NEAR(s.x(2), 0.2, 1e-12);
  EXPECT_NEAR(s.multipliers(0), 1.0, 1e-12);  // ∂(½|x − x*|²)/∂x at the bound
  EXPECT_NEAR(s.multipliers(4), 0.5, 1e-12);
}

TEST(ConvexQp, ContradictoryRowsAreReported) {
  const Eigen::MatrixXd h = Eigen::MatrixXd::Identity(1, 1);
  Eigen::MatrixXd a(2, 1);
  a << 1, -1;
  const Eigen::VectorXd b = Eigen::Vector2d(0, -1);  // x <= 0 and x >= 1
  const auto s = mfa::solve_convex_qp(h, Eigen::VectorXd::Zero(1), a, b);
  EXPECT_FALSE(s.ok);
  EXPECT_NE(s.why.find("cannot all hold"), std::string::npos) << s.why;
  EXPECT_FALSE(mfa::solve_convex_qp(-h, Eigen::VectorXd::Zero(1), a, b).ok);  // not convex
}

namespace {

// Rosenbrock's function as residuals: |r|² = 100(y − x²)² + (1 − x)²
bool rosenbrock(const Eigen::VectorXd& z, Eigen::VectorXd& r, Eigen::MatrixXd* j) {
  r = Eigen::Vector2d(10 * (z(1) - z(0) * z(0)), 1 - z(0));
  if (j) {
    j->resize(2, 2);
    *j << -20 * z(0), 10, -1, 0;
  }
  return true;
}

}  // namespace

TEST(ConstrainedLevenbergMarquardt, ReachesRosenbrocksMinimum) {
  mfa::LeastSquaresOptions o;
  const auto free = mfa::constrained_levenberg_marquardt(rosenbrock, Eigen::Vector2d(-1.2, 1), Eigen::MatrixXd(0, 2), Eigen::VectorXd(0), o);
  EXPECT_EQ(free.status.rfind("converged", 0), 0U) << free.status;
  EXPECT_NEAR(free.z(0), 1.0, 1e-6);
  EXPECT_NEAR(free.z(1), 1.0, 1e-6);
  EXPECT_LT(free.ssr, 1e-12);
  // x <= 0.5 binds: the minimum is at (0.5, 0.25) with |r|² = 0.25
  Eigen::MatrixXd g(1, 2);
  g << 1, 0;
  const auto bound = mfa::constrained_levenberg_marquardt(rosenbrock, Eigen::Vector2d(-1.2, 1), g, Eigen::VectorXd::Constant(1, 0.5), o);
  EXPECT_EQ(bound.status.rfind("converged", 0), 0U) << bound.status;
  EXPECT_NEAR(bound.z(0), 0.5, 1e-6);
  EXPECT_NEAR(bound.z(1), 0.25, 1e-6);
  EXPECT_NEAR(bound.ssr, 0.25, 1e-9);
}

TEST(ConstrainedLevenbergMarquardt, SolvesABoundedLinearProblemAsTheQpDoes) {
  // r = M z − y under 0 <= z <= 0.3: one QP solves it exactly
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd m(12, 5);
  Eigen::VectorXd y(12);
  for (int i = 0; i < 12; ++i) {
    for (int k = 0; k < 5; ++k) m(i, k) = normal(rng);
    y(i) = normal(rng);
  }
  Eigen::MatrixXd g(10, 5);
  g << Eigen::MatrixXd::Identity(5, 5), -Eigen::MatrixXd::Identity(5, 5);
  Eigen::VectorXd h(10);
  h << Eigen::VectorXd::Constant(5, 0.3), Eigen::VectorXd::Zero(5);
  const auto exact = mfa::solve_convex_qp(m.transpose() * m, -m.transpose() * y, g, h);
  ASSERT_TRUE(exact.ok);
  ASSERT_FALSE(exact.active.empty());
  const mfa::ResidualFunction linear = [&](const Eigen::VectorXd& z, Eigen::VectorXd& r, Eigen::MatrixXd* j) {
    r = m * z - y;
    if (j) *j = m;
    return true;
  };
  const auto fit = mfa::constrained_levenberg_marquardt(linear, Eigen::VectorXd::Constant(5, 0.1), g, h, {});
  EXPECT_EQ(fit.status.rfind("converged", 0), 0U) << fit.status;
  EXPECT_LT((fit.z - exact.x).lpNorm<Eigen::Infinity>(), 1e-6);
  EXPECT_GE((h - g * fit.z).minCoeff(), -1e-12);  // every iterate stays feasible
}

TEST(ConstrainedLevenbergMarquardt, AStartWhereTheResidualsFailIsReported) {
  const mfa::ResidualFunction never = [](const Eigen::VectorXd&, Eigen::VectorXd&, Eigen::MatrixXd*) { return false; };
  const auto fit = mfa::constrained_levenberg_marquardt(never, Eigen::VectorXd::Zero(2), Eigen::MatrixXd(0, 2), Eigen::VectorXd(0), {});
  EXPECT_EQ(fit.status.rfind("failed", 0), 0U);
  EXPECT_FALSE(std::isfinite(fit.ssr));
}

namespace {

// r(z) = (z0 + max(0, z1) − 1, z1 + 0.5): smooth on each side of z1 = 0, with the slope of
// the side z1 >= 0 at z1 = 0 (as a one-way flux xch + max(0, net) at net = 0). From z1 > 0
// the minimum of that side lies on the kink; the zero of r lies past it, at (1, −0.5).
bool kinked(const Eigen::VectorXd& z, Eigen::VectorXd& r, Eigen::MatrixXd* j) {
  const bool upper = z(1) >= 0;
  r = Eigen::Vector2d(z(0) + (upper ? z(1) : 0.0) - 1, z(1) + 0.5);
  if (j) {
    j->resize(2, 2);
    *j << 1, upper ? 1 : 0, 0, 1;
  }
  return true;
}

mfa::Kinks kink_at_z1() {
  mfa::Kinks k;
  k.rows = Eigen::RowVector2d(0, 1);
  k.values = [](const Eigen::VectorXd& z, Eigen::VectorXd& v) { v = Eigen::VectorXd::Constant(1, z(1)); };
  return k;
}

}  // namespace

TEST(ConstrainedLevenbergMarquardt, CrossesAKinkThatAStepPressesAgainst) {
  const auto fit = mfa::constrained_levenberg_marquardt(kinked, Eigen::Vector2d(0, 1), Eigen::MatrixXd(0, 2), Eigen::VectorXd(0), {}, kink_at_z1());
  EXPECT_EQ(fit.status.rfind("converged", 0), 0U) << fit.status;
  EXPECT_GE(fit.kinks_crossed, 1);
  EXPECT_LT(fit.ssr, 1e-12);
  EXPECT_NEAR(fit.z(0), 1.0, 1e-6);
  EXPECT_NEAR(fit.z(1), -0.5, 1e-6);
}

TEST(ConstrainedLevenbergMarquardt, StopsAtAMinimumOnTheKink) {
  // r = (|z0|, 0.1): both sides press against z0 = 0, where |r|² = 0.01 is the minimum
  const mfa::ResidualFunction v_shape = [](const Eigen::VectorXd& z, Eigen::VectorXd& r, Eigen::MatrixXd* j) {
    const double side = z(0) >= 0 ? 1.0 : -1.0;
    r = Eigen::Vector2d(side * z(0), 0.1);
    if (j) {
      j->resize(2, 1);
      *j << side, 0;
    }
    return true;
  };
  mfa::Kinks k;
  k.rows = Eigen::MatrixXd::Ones(1, 1);
  k.values = [](const Eigen::VectorXd& z, Eigen::VectorXd& v) { v = z; };
  const auto fit = mfa::constrained_levenberg_marquardt(v_shape, Eigen::VectorXd::Constant(1, 0.7), Eigen::MatrixXd(0, 1), Eigen::VectorXd(0), {}, k);
  EXPECT_EQ(fit.status.rfind("converged", 0), 0U) << fit.status;
  EXPECT_NEAR(fit.ssr, 0.01, 1e-12);
  EXPECT_NEAR(fit.z(0), 0.0, 1e-8);
  EXPECT_LT(fit.evaluations, 50);  // no crossing back and forth
}
