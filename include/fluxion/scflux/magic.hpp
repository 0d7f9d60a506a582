// MAGIC imputation (van Dijk et al. 2018), as scFEA runs it before training (its
// --sc_imputation; magic-impute defaults knn 5, decay 1, t 3, n_pca 100):
//   1. principal components of the cells (at most n_pca; randomized SVD of the centred
//      matrix with power iterations, without densifying a sparse input);
//   2. k-nearest neighbours in that space (exact, or approximate by HNSW graphs — Malkov &
//      Yashunin 2018, Debian's hnswlib — for large inputs); an adaptive alpha-decay kernel
//      K_ij = exp(−(d_ij / σ_i)^decay), σ_i the distance to the cell's knn-th neighbour,
//      over up to `knn_max` neighbours and cut below `threshold`; symmetrised (K + Kᵀ)/2;
//   3. the Markov matrix P = D⁻¹K; imputed values are P^t·X.
// magic-impute's graphtools searches neighbours until the kernel falls below its threshold;
// here the search stops at knn_max (100) neighbours, where exp(−d/σ) is already tiny for
// decay 1 in typical data. Memory: cells × knn_max for the graph; the product P^t·X is
// applied to blocks of genes.
#pragma once

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fluxion/core/diagnostics.hpp"

namespace fluxion::scflux {

struct MagicOptions {
  int knn = 5;
  double decay = 1.0;
  int t = 3;
  int n_pca = 100;
  int knn_max = 100;
  double threshold = 1e-4;
  std::uint64_t seed = 42;
  // "exact" (every pair: cells² · n_pca work), "hnsw" (approximate: an HNSW index with M
  // links per node, built with ef_construction candidates and searched with ef ≥ knn_max),
  // or "auto": exact up to exact_up_to cells, HNSW above
  std::string neighbours = "auto";
  int exact_up_to = 20000;
  int hnsw_m = 16, hnsw_ef_construction = 200, hnsw_ef = 300;

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
};

// The diffusion operator P (cells × cells, rows sum to 1) of the cells in X (cells × genes).
Result<Eigen::SparseMatrix<double, Eigen::RowMajor>> magic_operator(const Eigen::SparseMatrix<float, Eigen::RowMajor>& x, const MagicOptions& options);

// Each cell's nearest `k` other cells in the rows of `points` (cells × dimensions), nearest
// first, as (squared distance, cell): exactly, or from an HNSW index (options.neighbours;
// "auto" decides by the number of cells). `used` receives "exact" or "hnsw".
std::vector<std::vector<std::pair<double, Eigen::Index>>> nearest_neighbours(const Eigen::MatrixXd& points, Eigen::Index k,
                                                                            const MagicOptions& options, std::string* used = nullptr);

// P^t·block, in place (block: cells × some genes).
void magic_diffuse(const Eigen::SparseMatrix<double, Eigen::RowMajor>& p, int t, Eigen::MatrixXd& block);

// The leading principal components (scores, cells × k) of the centred rows of x.
Eigen::MatrixXd principal_components(const Eigen::SparseMatrix<float, Eigen::RowMajor>& x, int k, std::uint64_t seed,
                                     Eigen::VectorXd* singular_values = nullptr);

}  // namespace fluxion::scflux
