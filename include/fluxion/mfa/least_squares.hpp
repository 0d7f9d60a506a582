// Nonlinear least squares under linear inequalities, for the fit's "lm" solver.
//
//   minimise  |r(z)|²   subject to  G·z <= h
//
// Levenberg–Marquardt with a trust region in the form of its damping: each step solves
//
//   minimise  |J·d + r|² + μ·|D·d|²   subject to  G·(z + d) <= h
//
// a strictly convex quadratic program with linear inequalities, by the dual active-set
// method of Goldfarb and Idnani (1983). The dual method starts at the unconstrained
// minimum and adds the most violated constraint at a time, so it needs no feasible
// starting point and never cycles on degenerate vertices (each step raises the dual
// objective). D is Moré's scaling: the largest column norm of J met so far, with a floor
// (directions the data do not see would otherwise take unbounded steps). μ follows
// Nielsen's rule on the ratio of actual to predicted reduction.
#pragma once

#include <Eigen/Dense>
#include <functional>
#include <string>
#include <vector>

namespace fluxion::mfa {

// minimise ½·xᵀ·H·x + cᵀ·x subject to A·x <= b, with H symmetric positive definite.
struct QpSolution {
  bool ok = false;                 // false: infeasible constraints, or no progress (see why)
  std::string why;
  Eigen::VectorXd x;
  Eigen::VectorXd multipliers;     // per row of A; > 0 only on the active rows
  std::vector<Eigen::Index> active;
  int iterations = 0;
};
QpSolution solve_convex_qp(const Eigen::MatrixXd& h, const Eigen::VectorXd& c, const Eigen::MatrixXd& a, const Eigen::VectorXd& b);

struct LeastSquaresOptions {
  int max_evaluations = 3000;      // residual evaluations (each with its Jacobian)
  double relative_tolerance = 1e-9;  // stop when an accepted step lowers |r|² by less (relative) and predicted no more
  double step_tolerance = 1e-10;   // stop when the step is shorter, relative to |z| + step_tolerance
  double damping_floor = 1e-3;     // D²'s floor, relative to the largest diagonal of JᵀJ met
};

struct LeastSquaresResult {
  Eigen::VectorXd z;
  double ssr = 0;
  int evaluations = 0;
  int iterations = 0;              // accepted steps
  int kinks_crossed = 0;
  std::string status;              // "converged (ftol)", "converged (xtol)", "max evaluations", "failed: ..."
};

// r(z) and, when asked, its Jacobian; false where r cannot be evaluated (the step is then
// refused and the damping raised).
using ResidualFunction = std::function<bool(const Eigen::VectorXd& z, Eigen::VectorXd& r, Eigen::MatrixXd* jacobian)>;

// Where r is smooth only piecewise: across each hyperplane value_i(z) = 0 (the rows of
// `rows`, value_i(z) = rows_i·z + const, computed by `values` exactly as r sees them) the
// Jacobian jumps, and at value_i = 0 r gives the slope of the side value_i >= 0. A one-way
// flux xch + max(0, net) kinks so at net = 0. Each step stays on the current side of every
// kink, so that the linear model is the residuals' own; a kink that a converged step
// presses against is crossed, and the fit goes on there.
struct Kinks {
  Eigen::MatrixXd rows;  // k × n
  std::function<void(const Eigen::VectorXd& z, Eigen::VectorXd& values)> values;
};

// `z0` must satisfy G·z0 <= h (to rounding); every iterate does.
LeastSquaresResult constrained_levenberg_marquardt(const ResidualFunction& residuals, const Eigen::VectorXd& z0, const Eigen::MatrixXd& g,
                                                   const Eigen::VectorXd& h, const LeastSquaresOptions& options, const Kinks& kinks = {});

}  // namespace fluxion::mfa
