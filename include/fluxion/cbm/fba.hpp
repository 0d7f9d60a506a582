// Flux balance analysis on COIN-OR CLP, with cobrapy's semantics so that results can be
// compared: maximise (or minimise, Model::objective_sense) cᵀv subject to S·v = 0 over the
// balanced metabolites and lb ≤ v ≤ ub (infinite bounds stay free).
//
//   FBA    the optimum and one optimal flux vector
//   pFBA   among the vectors with cᵀv at fraction·optimum, one of least Σ|v|
//   FVA    per reaction the least and greatest flux with cᵀv at least fraction·optimum
//          (cobrapy's flux_variability_analysis, loopless = False)
//
// Solver outcomes are statuses, never exceptions. One FbaModel keeps its LP (and the
// simplex basis between solves, which FVA's 2·r solves reuse).
#pragma once

#include <Eigen/Dense>
#include <memory>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/core/lp.hpp"

namespace fluxion::cbm {

struct FbaSolution {
  LpStatus status = LpStatus::error;
  double objective = 0.0;   // cᵀv
  Eigen::VectorXd fluxes;   // per reaction, in model order (empty unless optimal)
};

struct FvaRange {
  LpStatus status = LpStatus::error;  // the worse of the two solves
  double minimum = 0.0, maximum = 0.0;
};

struct FvaResult {
  LpStatus status = LpStatus::error;  // of the FBA that sets the optimum
  double objective = 0.0;             // that optimum
  std::vector<FvaRange> ranges;       // per reaction, in model order
  std::size_t lps = 0;                // LPs solved for the ranges (the FBA not counted)
  std::size_t from_coupling = 0;      // ranges taken from a coupled reaction's, or blocked
};

class FbaModel {
 public:
  // Errors: no objective (every objective_coefficient 0), lower > upper on a reaction.
  static Result<FbaModel> create(const Model& model);
  FbaModel(FbaModel&&) noexcept;
  FbaModel& operator=(FbaModel&&) noexcept;
  ~FbaModel();

  FbaSolution optimize();
  FbaSolution pfba(double fraction = 1.0);
  // `reactions`: indices into the model's reactions; empty = all. `threads` (0 = all
  // cores) split the reactions, each thread on its own copy of the LP.
  // `loopless`: cobrapy's loopless FVA (CycleFreeFlux, Desouki et al. 2015): each extreme
  // is checked for a loop-free flux vector reaching it; where none does, the reactions of
  // the loops through the reaction are blocked and the extreme is solved again. LPs only.
  //
  // Plain FVA solves one reaction per class of fully coupled reactions: rows of an
  // orthonormal basis of ker S that are proportional (v_i = λ·v_j in every steady state,
  // so range_i = λ·range_j, whatever the bounds), and rows that vanish (v_i = 0 in every
  // steady state) need no LP at all. iND750: 1,266 reactions, 566 classes, 276 blocked.
  FvaResult fva(double fraction = 1.0, const std::vector<std::size_t>& reactions = {}, int threads = 1, bool loopless = false);
  // Off: every requested reaction gets its own LPs (for comparisons; default on).
  void set_fva_coupling(bool enabled);

  // Changes one reaction's bounds for the next solves (knockouts: 0, 0).
  void set_bounds(std::size_t reaction, double lower, double upper);
  std::size_t n_reactions() const;
  std::size_t n_balanced() const;

 private:
  FbaModel();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fluxion::cbm
