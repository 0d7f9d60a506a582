// The polytope of feasible fluxes in the free parameters of a FluxSpace, and the linear
// programs over it (COIN-OR CLP).
//
// A point is a vector of free parameters x = [free net fluxes, exchange fluxes]. Every
// net flux is a linear function of the free net fluxes (the net kernel), every exchange
// flux is one free parameter, so every bound and every extra linear constraint on net
// or exchange fluxes is one row  lower ≤ a·x ≤ upper. Rows come from the model's net
// bounds, its exchange bounds and the user's constraints (ML-Flux's constraint sheets).
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/constraints.hpp"
#include "fluxion/core/lp.hpp"
#include "fluxion/core/model.hpp"

namespace fluxion::sampling {

class FluxPolytope {
 public:
  // Rows from the model's bounds and `extra`. Errors: a constraint that names a column
  // outside the space or an exchange flux the column does not have, lower > upper.
  static Result<FluxPolytope> build(const Model& model, const FluxSpace& space,
                                    const std::vector<LinearConstraint>& extra = {});
  // A polytope given by its rows directly (lower ≤ a·x ≤ upper).
  static FluxPolytope from_rows(Eigen::MatrixXd a, Eigen::VectorXd lower, Eigen::VectorXd upper,
                                std::vector<std::string> row_names, std::vector<std::string> coordinate_names);
  // The rows on the first `n` coordinates only (those whose other coefficients are all 0),
  // as a polytope in those coordinates: the free net fluxes of a flux polytope. Errors
  // when a row couples them to the other coordinates (names it).
  Result<FluxPolytope> leading(Eigen::Index n) const;

  Eigen::Index dimension() const { return a_.cols(); }
  Eigen::Index n_rows() const { return a_.rows(); }
  const Eigen::MatrixXd& rows() const { return a_; }  // [n_rows × dimension]
  const Eigen::VectorXd& lower() const { return lower_; }
  const Eigen::VectorXd& upper() const { return upper_; }
  const std::vector<std::string>& row_names() const { return names_; }
  const std::vector<std::string>& coordinate_names() const { return coordinate_names_; }

  // Largest violation of any row by x (0 inside).
  double violation(const Eigen::VectorXd& x) const;
  bool contains(const Eigen::VectorXd& x, double tolerance = 1e-9) const { return violation(x) <= tolerance; }

  // min or max c·x over the polytope.
  LpSolution optimize(const Eigen::VectorXd& c, bool maximize) const;

  struct Box {
    Eigen::VectorXd lower, upper;  // per coordinate
  };
  // Per-coordinate bounds (2 · dimension LPs). Errors: infeasible (naming an irreducible
  // set of rows that cannot hold together) or a coordinate without a finite bound.
  Result<Box> bounding_box() const;

  // An irreducible infeasible subset of the rows (deletion filter), by row name; empty
  // when the rows are feasible.
  std::vector<std::string> conflicting_rows() const;

 private:
  Eigen::MatrixXd a_;
  Eigen::VectorXd lower_, upper_;
  std::vector<std::string> names_;
  std::vector<std::string> coordinate_names_;
};

}  // namespace fluxion::sampling
