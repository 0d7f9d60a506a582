// Minimisation of metabolic adjustment (MoMA; Segrè et al. 2002), with cobrapy's
// semantics: the flux vector of the (perturbed) model closest to a reference,
//
//   quadratic  min Σ_i (v_i − ref_i)²     Ipopt (interior point, MUMPS), convex QP
//   linear     min Σ_i |v_i − ref_i|      COIN-OR CLP, an LP with one deviation per reaction
//
// subject to S·v = 0 and lb ≤ v ≤ ub. The sum runs over the reactions that have a
// reference (all by default; unmeasured ones can be left out). cobrapy's default
// reference, pFBA of the unperturbed model, is `FbaModel::pfba`. Outcomes are statuses.
#pragma once

#include <Eigen/Dense>
#include <memory>
#include <vector>

#include "fluxion/cbm/fba.hpp"
#include "fluxion/core/options.hpp"

namespace fluxion::cbm {

struct MomaOptions {
  bool linear = false;
  double tolerance = 1e-8;   // Ipopt's tol and constr_viol_tol (quadratic)
  int max_iterations = 3000; // Ipopt's max_iter (quadratic)

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
  static const OptionTable<MomaOptions>& table();  // the options a front end offers
};

struct MomaSolution {
  LpStatus status = LpStatus::error;
  double distance = 0.0;   // Σ (v − ref)² or Σ |v − ref| over the measured reactions
  Eigen::VectorXd fluxes;  // per reaction (empty unless optimal)
  int iterations = 0;      // Ipopt's iterations (quadratic)
};

class Moma {
 public:
  // Errors: lower > upper on a reaction.
  static Result<Moma> create(const Model& model);
  Moma(Moma&&) noexcept;
  Moma& operator=(Moma&&) noexcept;
  ~Moma();

  void set_bounds(std::size_t reaction, double lower, double upper);
  // `reference`: one value per reaction; `measured`: indices of the reactions in the
  // distance (empty = all).
  MomaSolution solve(const Eigen::VectorXd& reference, const std::vector<Eigen::Index>& measured = {},
                     const MomaOptions& options = {});
  std::size_t n_reactions() const;

  struct Impl;  // public only so that the solver callbacks in moma.cpp can read it

 private:
  Moma();
  std::unique_ptr<Impl> impl_;
};

}  // namespace fluxion::cbm
