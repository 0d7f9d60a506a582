// A small carbon network with a dead end, written inline for the EMU and fit tests: C is
// made only by v2 (B's atoms reversed) and D by two routes, through C (v2, v3) or straight
// from B (v4). With [3-13C]A the route through C labels D and v4's does not, so the MIDs
// see v2 even as it goes to 0, where C has no production.
#pragma once

#include <Eigen/Dense>
#include <string>

#include "fluxion/core/flux_space.hpp"

namespace fluxion::test_models {

inline const std::string kDeadEndModel =
    "#! measured: C D E\n"
    "id\tequation\tlb\tub\txch_lb\txch_ub\n"
    "v1\tA (abc) -> B (abc)\t1\t1\t0\t0\n"
    "v2\tB (abc) -> C (cba)\t0\t10\t0\t0\n"
    "v3\tC (abc) -> D (ab) + E (c)\t0\t10\t0\t0\n"
    "v4\tB (abc) -> D (ab) + E (c)\t0\t10\t0\t0\n"
    "v5\tD (ab) ->\t0\t10\t0\t0\n"
    "v6\tE (a) ->\t0\t10\t0\t0\n"
    "\n"
    "metabolite\tboundary\tatoms\tsymmetric\n"
    "A\tyes\tC3\tno\nB\tno\tC3\tno\nC\tno\tC3\tno\nD\tno\tC2\tno\nE\tno\tC1\tno\n";
inline const std::string kDeadEndTracer = "experiment\tsubstrate\tlabel\tfraction\ne1\tA\t[3-13C1]\t1\n";

// The free fluxes of the dead-end model with v2 = v3 = t and v4 = 1 − t.
inline Eigen::VectorXd dead_end_free_fluxes(const FluxSpace& fs, double t) {
  FluxVector v{Eigen::VectorXd::Zero(fs.n_columns()), Eigen::VectorXd::Zero(fs.n_columns())};
  for (Eigen::Index c = 0; c < fs.n_columns(); ++c) {
    const std::string& id = fs.column_ids()[static_cast<std::size_t>(c)];
    v.net(c) = id == "v2" || id == "v3" ? t : id == "v4" ? 1 - t : 1.0;
  }
  return fs.full_to_free(v);
}

}  // namespace fluxion::test_models
