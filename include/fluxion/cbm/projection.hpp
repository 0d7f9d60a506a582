// FBApro: closed-form projections of reference fluxes onto the steady-state space
// (Bruner & Singh 2026). Every variant is one linear operator of the reference vector v
// that depends only on S and on two disjoint sets of reactions:
//
//   H  high confidence: reproduced exactly (x_H = v_H)
//   M  medium confidence: matched in least squares (min ‖x_M − v_M‖²)
//   all other reactions are unmeasured: their reference values are ignored
//
// subject to S·x = 0. The paper's variants are choices of (H, M):
//
//   Basic    H = ∅,  M = all              (Thm 2.3, orthogonal projection onto ker S)
//   Partial  H = ∅,  M = M₀ ∪ H₀          (Thm 2.5)
//   Fixed    H = H₀, M = all ∖ H₀         (Thm 2.7 / 2.8)
//   Full     H = H₀, M = M₀               (Thm 2.1)
//
// where H₀ are the reactions marked fixed and M₀ those marked noisy.
//
// Formulation (null space, one routine for all four): with A an orthonormal basis of
// ker S (r×l), x = A·y. y₀ = A_H⁺·v_H; N an orthonormal basis of ker A_H; G = (A_M·N)⁺;
// y = y₀ + N·G·(v_M − A_M·y₀). So x = A·K·v with K (l × |H ∪ M|) nonzero only on the
// columns H and M:  K_H = A_H⁺ − N·G·A_M·A_H⁺,  K_M = N·G.  Only l-sized matrices are
// factorised, and applying costs 2·l·r multiply-adds per sample (a GEMM for a batch).
//
// Every pseudo-inverse uses a relative singular-value cutoff (default 1e-10, never a
// library default, which keeps spurious singular values of these rank-deficient
// matrices); the ranks and the gap at each cutoff are reported. Where v_H cannot be met
// at steady state the answer is the least-squares one, and the result says so.
#pragma once

#include <Eigen/Dense>
#include <Eigen/Sparse>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/core/model.hpp"

namespace fluxion::cbm {

enum class ProjectionVariant { basic, partial, fixed, full };
std::string_view to_string(ProjectionVariant v);
// "basic", "partial", "fixed", "full"; nullopt otherwise.
std::optional<ProjectionVariant> parse_projection_variant(std::string_view name);

// S over the balanced (non-boundary) metabolites, reactions in model order.
Eigen::SparseMatrix<double> balanced_stoichiometry(const Model& model);

struct KernelBasis {
  Eigen::MatrixXd basis;  // r × l, orthonormal columns spanning ker S
  Eigen::Index rank = 0;  // rank of S
  double residual = 0.0;  // max |S·A| relative to max |S|
  double orthogonality = 0.0;  // max |AᵀA − I|
};

// Orthonormal basis of ker S by rank-revealing sparse QR of Sᵀ (SuiteSparseQR);
// `rank_tolerance` < 0 = SuiteSparseQR's default 20·(m+r)·eps·(largest column norm).
// Errors when the factorisation fails or the basis does not annihilate S (≤ 1e-9).
Result<KernelBasis> orthonormal_kernel(const Eigen::SparseMatrix<double>& s, double rank_tolerance = -1.0);

// Reaction sets of one projection: indices into the reactions, disjoint.
struct ProjectionSets {
  std::vector<Eigen::Index> high;    // H: reproduced exactly
  std::vector<Eigen::Index> medium;  // M: matched in least squares
};

// The paper's (H, M) for a variant from the reactions marked fixed (H₀) and noisy (M₀),
// out of r reactions.
ProjectionSets variant_sets(ProjectionVariant variant, const std::vector<Eigen::Index>& fixed,
                            const std::vector<Eigen::Index>& noisy, Eigen::Index n_reactions);

struct ProjectorOptions {
  double relative_cutoff = 1e-10;  // singular values ≤ cutoff·σ_max count as zero; in (0, 1)

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
  static const OptionTable<ProjectorOptions>& table();  // the options a front end offers
};

// How the factorisations went: ranks and the singular-value gaps at the cutoffs.
struct ProjectorReport {
  Eigen::Index kernel_dimension = 0;   // l
  Eigen::Index rank_high = 0;          // rank of A_H (≤ |H|; < |H| = x_H = v_H can fail)
  Eigen::Index free_after_high = 0;    // k = l − rank_high
  Eigen::Index rank_medium = 0;        // rank of A_M·N (< k: directions no measurement sees,
                                       // set to the least-norm solution)
  double gap_high = 0.0;    // smallest kept / largest dropped singular value (inf: none dropped)
  double gap_medium = 0.0;
};

// The precomputed operator x = A·K·v_{H∪M}.
class Projector {
 public:
  // `basis`: orthonormal basis of ker S (r × l). Errors: an index out of range, a reaction
  // in both sets, a cutoff outside (0, 1).
  static Result<Projector> build(Eigen::MatrixXd basis, ProjectionSets sets, const ProjectorOptions& options = {});

  Eigen::Index n_reactions() const { return a_.rows(); }
  Eigen::Index kernel_dimension() const { return a_.cols(); }
  const ProjectionSets& sets() const { return sets_; }
  const ProjectorReport& report() const { return report_; }
  const ProjectorOptions& options() const { return options_; }

  // Projects the columns of `references` (r × samples; entries of unmeasured reactions
  // are ignored) onto the steady-state space. Thread-safe; uses the BLAS's threads. Any
  // column-major block or mapped buffer (a numpy array in Fortran order) is read in place.
  Eigen::MatrixXd apply(const Eigen::Ref<const Eigen::MatrixXd>& references) const;
  // The dense r × r operator Q (x = Q·v); for tests and small models.
  Eigen::MatrixXd dense_operator() const;
  // The factors of Q = A·K (K's columns are the reactions `columns()`: H, then M); for
  // applying elsewhere (learn/projection_device.hpp: a GPU through LibTorch).
  const Eigen::MatrixXd& basis() const { return a_; }
  const Eigen::MatrixXd& factor() const { return k_; }
  const std::vector<Eigen::Index>& columns() const { return columns_; }

  // A versioned binary artefact: a JSON header line (format, version, reaction ids,
  // sets, options, report, checksum) then the matrices A and K as little-endian float64.
  Result<bool> save(const std::string& path, const std::vector<std::string>& reaction_ids,
                    const std::string& model_id, ProjectionVariant variant) const;
  struct Loaded;
  static Result<Loaded> load(const std::string& path);

 private:
  Eigen::MatrixXd a_;   // r × l
  Eigen::MatrixXd k_;   // l × (|H| + |M|), columns in the order H then M
  std::vector<Eigen::Index> columns_;  // H then M
  ProjectionSets sets_;
  ProjectorOptions options_;
  ProjectorReport report_;
};

struct Projector::Loaded {
  Projector projector;
  std::vector<std::string> reaction_ids;
  std::string model_id;
  ProjectionVariant variant = ProjectionVariant::full;
};

// Threads of the BLAS that applies projectors (OpenBLAS); n ≤ 0 leaves its default (all
// cores). No effect with another BLAS.
void set_blas_threads(int n);

// Quality of projected fluxes against their references, per sample.
struct ProjectionCheck {
  double steady_state = 0.0;     // max over samples of ‖S·x‖∞ / ‖x‖∞
  double fixed_deviation = 0.0;  // max over samples of max |x_H − v_H|
};
ProjectionCheck check_projection(const Eigen::SparseMatrix<double>& s, const Eigen::MatrixXd& projected,
                                 const Eigen::MatrixXd& references, const std::vector<Eigen::Index>& high);

}  // namespace fluxion::cbm
