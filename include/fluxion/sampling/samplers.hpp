// Uniform samplers of a polytope { x : lower ≤ A·x ≤ upper }.
//
// RejectionSampler draws uniformly in the LP bounding box and keeps the points inside:
// exactly uniform, the reference method of ML-Flux, efficient while the polytope fills
// a fair share of its box. AchrSampler is artificial-centering hit-and-run (Kaufman &
// Smith 1998; the COBRA Toolbox's sampler): from the current point it moves to a
// uniform point on the chord through it in the direction of a warm-up point seen from
// the running centre of all points so far; uniform in the limit, for polytopes of any
// shape and for the flat ones that equality constraints make.
//
// Both are deterministic for a given seed (std::mt19937_64, sampled the same way on every
// platform: uniform reals from 53 random bits).
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <random>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/sampling/polytope.hpp"

namespace fluxion::sampling {

// Uniform in [0, 1) from the top 53 bits: the same numbers with every standard library.
inline double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

class RejectionSampler {
 public:
  // The polytope's LP box; errors as FluxPolytope::bounding_box. Equality rows (lower =
  // upper) are solved first: the points are x0 + N·z with N an orthonormal basis of their
  // null space, and z is drawn by rejection in the box of the reduced polytope, which is
  // uniform on the flat polytope because x0 + N·z preserves volume.
  static Result<RejectionSampler> create(const FluxPolytope& polytope, std::uint64_t seed);
  // The next accepted point; false when `max_tries` draws in a row fell outside (a
  // polytope too thin for its box: equality constraints on combinations of coordinates).
  bool next(Eigen::VectorXd& x, long max_tries = 1000000);
  double acceptance_rate() const { return tries_ ? static_cast<double>(accepted_) / static_cast<double>(tries_) : 0.0; }
  const FluxPolytope::Box& box() const { return box_; }  // of the reduced coordinates z

 private:
  FluxPolytope polytope_;  // in z
  FluxPolytope::Box box_;
  Eigen::VectorXd x0_;
  Eigen::MatrixXd null_;  // empty: no equalities, x = z
  std::mt19937_64 rng_;
  long tries_ = 0, accepted_ = 0;
};

struct AchrOptions {
  int thinning = 0;       // steps per returned point; 0 = the polytope's dimension
  int warmup_random = 0;  // warm-up points from random LP objectives beside the 2·dimension
                          // coordinate extremes; 0 = dimension
  std::uint64_t seed = 1;

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
};

class AchrSampler {
 public:
  // Warm-up points: the LP minimum and maximum of every coordinate and of random
  // directions, each moved a third of the way to their centre (so that they are interior).
  static Result<AchrSampler> create(const FluxPolytope& polytope, const AchrOptions& options = {});
  Eigen::VectorXd next();
  const std::vector<Eigen::VectorXd>& warmup() const { return warmup_; }

 private:
  void step();
  void onto_equalities(Eigen::VectorXd& x) const;  // the nearest point where every equality row holds
  FluxPolytope polytope_;
  AchrOptions options_;
  std::vector<Eigen::VectorXd> warmup_;
  Eigen::VectorXd x_, ax_, centre_;
  double n_points_ = 0;
  // equality rows E·x = e: directions are projected onto their null space (basis
  // null_), so that rounding cannot carry the points off the plane
  Eigen::MatrixXd equalities_, null_, equality_pinv_;
  Eigen::VectorXd equality_values_;
  std::mt19937_64 rng_;
};

}  // namespace fluxion::sampling
