// iMAT (Shlomi et al. 2008): the steady-state flux vector that agrees best with reaction
// scores (gene expression mapped to reactions, or reference fluxes). Reactions scored above
// the upper quantile are "high", below the lower quantile "low"; a mixed-integer LP
// (COIN-OR CBC) maximises the number of high reactions carrying at least ε of flux (either
// direction) plus the number of low reactions carrying none:
//
//   max Σ_H (y⁺_i + y⁻_i) + Σ_L y_i   s.t.  S·v = 0, lb ≤ v ≤ ub,
//        y⁺_i = 1 ⇒ v_i ≥ ε,  y⁻_i = 1 ⇒ v_i ≤ −ε,  y_i = 1 ⇒ v_i = 0   (big-M on the bounds)
//
// Scores are ranked by magnitude among the scored reactions: percentile
// p_i = |{j : |s_j| ≤ |s_i|}| / n; low p_i < a, high p_i > b, with the paper's a = 1/3 and
// b = 2/3. Not part of cobrapy; the FBApro authors ran troppo's iMAT (ε = 1, a 180 s
// limit per sample), whose defaults fluxion follows.
#pragma once

#include <Eigen/Dense>
#include <vector>

#include "fluxion/core/model.hpp"
#include "fluxion/core/lp.hpp"
#include "fluxion/core/options.hpp"

namespace fluxion::cbm {

struct ImatOptions {
  double lower_quantile = 1.0 / 3.0;  // a: percentiles below are "low"
  double upper_quantile = 2.0 / 3.0;  // b: percentiles above are "high"
  double epsilon = 1.0;               // least flux of an active reaction
  double time_limit = 180.0;          // seconds of branch and bound (CBC)
  double big_m = 1000.0;              // stands in for infinite bounds in the indicators

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
  static const OptionTable<ImatOptions>& table();  // the options a front end offers
};

struct ImatSets {
  std::vector<Eigen::Index> high, low;
};
// `scores`: one per reaction, NaN = not scored.
ImatSets imat_sets(const Eigen::VectorXd& scores, double lower_quantile, double upper_quantile);

struct ImatSolution {
  LpStatus status = LpStatus::error;  // limit: the time ran out; `fluxes` is then the best found
  Eigen::VectorXd fluxes;             // empty when no feasible point was found
  int high_active = 0, high_total = 0, low_inactive = 0, low_total = 0;
  double seconds = 0.0;
};

// The model's bounds, after any knockouts applied to it.
ImatSolution imat(const Model& model, const Eigen::VectorXd& scores, const ImatOptions& options = {});

}  // namespace fluxion::cbm
