// The outcome of a linear or quadratic program, as every solver wrapper reports it.
#pragma once

#include <Eigen/Dense>

namespace fluxion {

enum class LpStatus { optimal, infeasible, unbounded, limit, error };
const char* to_string(LpStatus s);

struct LpSolution {
  LpStatus status = LpStatus::error;
  double objective = 0.0;
  Eigen::VectorXd x;
};

}  // namespace fluxion
