// Linear constraints on fluxes and measured fluxes: the types that readers (io), the
// polytope and samplers (sampling), constraint-based modelling (cbm) and the fit (mfa) share.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "fluxion/core/model.hpp"

namespace fluxion {

// A term of a linear constraint: coefficient × (net or exchange flux of a column).
struct FluxTerm {
  Eigen::Index column = 0;
  bool exchange = false;
  double coefficient = 1.0;
};

struct LinearConstraint {
  std::string name;  // shown in errors: "constraints.tsv line 4", "pgi <= 1"
  std::vector<FluxTerm> terms;
  double lower = -kInfinity, upper = kInfinity;
};

// A measured linear combination of fluxes (an uptake or secretion rate): value ± sd.
struct MeasuredFlux {
  std::string name;  // shown in results: the reaction id, or the expression as written
  std::vector<FluxTerm> terms;
  double value = 0.0;
  double sd = 1.0;  // > 0
  int line = 0;     // input line, 0 when none
  std::string source;  // the file it was read from ("" when none): problems name it
};

}  // namespace fluxion
