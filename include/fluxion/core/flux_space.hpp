// FluxSpace: the steady-state flux space of a Model.
//
// Columns are the model's reactions in model order, followed by one exchange-only
// column "<reaction>_leak" per reaction with a hydrogen leak (FluxML 'leak'); leak
// columns have zero net flux. Rows of the stoichiometric matrix S are the balanced
// (non-boundary) metabolites in model order.
//
// Net fluxes at steady state satisfy S·v = 0, so v = K·f for the net kernel K
// [n_columns × n_free] whose rows at the free columns form the identity. Exchange
// fluxes belong to reversible reactions whose column has both signs in S, and to leak
// columns; the exchange kernel is the identity on those columns.
//
// Two null-space methods:
//  - exact: rational reduced row echelon form (GMP). The free fluxes are the non-pivot
//    columns walked left to right, exactly as ML-Flux's reference kernels; for small
//    atom-mapped models.
//  - orthogonal: rank-revealing sparse QR (SuiteSparseQR) with an explicit tolerance;
//    for genome-scale models. The free fluxes are the columns the pivoting leaves over.
#pragma once

#include <Eigen/Dense>
#include <Eigen/Sparse>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"

namespace fluxion {

enum class NullSpaceMethod {
  automatic,   // exact up to FluxSpaceOptions::exact_max_columns columns, orthogonal beyond
  exact,       // rational RREF
  orthogonal,  // rank-revealing sparse QR
};

std::string_view to_string(NullSpaceMethod m);

struct FluxSpaceOptions {
  NullSpaceMethod method = NullSpaceMethod::automatic;
  int exact_max_columns = 600;    // automatic: largest model (columns) solved exactly; >= 1
  double rank_tolerance = -1.0;   // orthogonal: column norm below which a column counts as
                                  // dependent; < 0 = 20·(m+n)·eps·max column norm (SPQR default)
  std::vector<std::string> free_fluxes;  // user's choice of free net fluxes (reaction ids);
                                         // empty = automatic choice

  // Empty when valid, else a sentence naming the field and what is wrong.
  // Problems, each naming its field (Diagnostic::context); empty when valid.
  std::vector<Diagnostic> validate() const;
};

// Net and exchange fluxes of every column.
struct FluxVector {
  Eigen::VectorXd net;       // [n_columns]
  Eigen::VectorXd exchange;  // [n_columns]; 0 for columns without an exchange flux
};

class FluxSpace {
 public:
  static Result<FluxSpace> build(const Model& model, const FluxSpaceOptions& options = {});

  NullSpaceMethod method() const { return method_; }
  Eigen::Index n_columns() const { return static_cast<Eigen::Index>(column_ids_.size()); }
  Eigen::Index n_reactions() const { return n_reactions_; }
  const std::vector<std::string>& column_ids() const { return column_ids_; }
  // Index of the reaction a column belongs to (a leak column maps to its reaction).
  std::size_t column_reaction(Eigen::Index column) const { return column_reaction_[column]; }
  bool is_leak_column(Eigen::Index column) const { return column >= n_reactions_; }

  const std::vector<std::size_t>& balanced_metabolites() const { return balanced_; }
  const std::vector<std::size_t>& boundary_metabolites() const { return boundary_; }

  const Eigen::SparseMatrix<double>& stoichiometry() const { return s_; }  // [n_balanced × n_columns]
  Eigen::MatrixXd stoichiometry_dense() const { return Eigen::MatrixXd(s_); }

  Eigen::Index rank() const { return rank_; }
  Eigen::Index n_free_net() const { return static_cast<Eigen::Index>(free_net_.size()); }
  Eigen::Index n_exchange() const { return static_cast<Eigen::Index>(exchange_.size()); }
  Eigen::Index n_free() const { return n_free_net() + n_exchange(); }
  const std::vector<Eigen::Index>& free_net_columns() const { return free_net_; }  // ascending
  const std::vector<Eigen::Index>& exchange_columns() const { return exchange_; }  // ascending
  // Names of the free parameters in order: free net ids, then "<id>" of exchange columns.
  std::vector<std::string> free_net_ids() const;
  std::vector<std::string> exchange_ids() const;

  const Eigen::MatrixXd& net_kernel() const { return net_kernel_; }  // [n_columns × n_free_net]
  Eigen::MatrixXd exchange_kernel() const;                           // [n_columns × n_exchange]

  // free = [free net fluxes (n_free_net), exchange fluxes (n_exchange)]
  FluxVector free_to_full(const Eigen::VectorXd& free) const;
  // Reads the free entries of a full flux vector; the rest is implied by steady state.
  Eigen::VectorXd full_to_free(const FluxVector& full) const;
  // ‖S·v‖∞ of a net flux vector.
  double steady_state_residual(const Eigen::VectorXd& net) const;

  // Orthonormal basis of ker S [n_columns × (n_columns - rank)], computed on request.
  Eigen::MatrixXd orthonormal_null_space() const;

 private:
  NullSpaceMethod method_ = NullSpaceMethod::exact;
  Eigen::Index n_reactions_ = 0;
  std::vector<std::string> column_ids_;
  std::vector<std::size_t> column_reaction_;
  std::vector<std::size_t> balanced_, boundary_;
  Eigen::SparseMatrix<double> s_;
  Eigen::Index rank_ = 0;
  std::vector<Eigen::Index> free_net_, exchange_;
  Eigen::MatrixXd net_kernel_;
};

}  // namespace fluxion
