#include "fluxion/scflux/magic.hpp"

#include <ATen/Parallel.h>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace fluxion::scflux {

Eigen::MatrixXd principal_components(const Eigen::SparseMatrix<float, Eigen::RowMajor>& x, int k, std::uint64_t seed,
                                     Eigen::VectorXd* singular_values) {
  const Eigen::SparseMatrix<double, Eigen::RowMajor> a = x.cast<double>();
  const Eigen::Index n = a.rows(), g = a.cols();
  const Eigen::RowVectorXd mean = Eigen::RowVectorXd::Ones(n) * a / static_cast<double>(n);
  k = static_cast<int>(std::min<Eigen::Index>({static_cast<Eigen::Index>(k), n - 1, g}));
  if (k < 1) return Eigen::MatrixXd::Zero(n, 1);
  // (A − 1·μ) times a dense matrix, and its transpose, without forming A − 1·μ
  auto times = [&](const Eigen::MatrixXd& m) -> Eigen::MatrixXd {
    Eigen::MatrixXd r = a * m;
    r.rowwise() -= mean * m;
    return r;
  };
  auto transposed_times = [&](const Eigen::MatrixXd& m) -> Eigen::MatrixXd {
    Eigen::MatrixXd r = a.transpose() * m;
    r -= mean.transpose() * (Eigen::RowVectorXd::Ones(n) * m);
    return r;
  };
  const Eigen::Index l = std::min<Eigen::Index>(k + 10, std::min(n, g));
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd omega(g, l);
  for (Eigen::Index i = 0; i < omega.size(); ++i) omega.data()[i] = normal(rng);
  Eigen::MatrixXd q = Eigen::HouseholderQR<Eigen::MatrixXd>(times(omega)).householderQ() * Eigen::MatrixXd::Identity(n, l);
  for (int it = 0; it < 4; ++it) {  // power iterations, re-orthonormalised each half step
    Eigen::MatrixXd z = Eigen::HouseholderQR<Eigen::MatrixXd>(transposed_times(q)).householderQ() * Eigen::MatrixXd::Identity(g, l);
    q = Eigen::HouseholderQR<Eigen::MatrixXd>(times(z)).householderQ() * Eigen::MatrixXd::Identity(n, l);
  }
  const Eigen::MatrixXd b = transposed_times(q).transpose();  // l × g
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(b, Eigen::ComputeThinU);
  if (singular_values) *singular_values = svd.singularValues().head(k);
  return q * svd.matrixU().leftCols(k) * svd.singularValues().head(k).asDiagonal();
}

std::vector<Diagnostic> MagicOptions::validate() const {
  Diagnostics d("MAGIC options");
  if (knn < 1) d.error("must be at least 1", 0, 0, "magic-knn");
  if (t < 0) d.error("must be 0 or more", 0, 0, "magic-t");
  if (!(decay > 0) || !std::isfinite(decay)) d.error("must be a finite number > 0", 0, 0, "decay");
  if (n_pca < 1) d.error("must be at least 1", 0, 0, "n_pca");
  if (knn_max < knn) d.error("must be at least knn", 0, 0, "knn_max");
  if (!(threshold >= 0 && threshold < 1)) d.error("must be in [0, 1)", 0, 0, "threshold");
  return d.items();
}

Result<Eigen::SparseMatrix<double, Eigen::RowMajor>> magic_operator(const Eigen::SparseMatrix<float, Eigen::RowMajor>& x, const MagicOptions& o) {
  if (auto problems = o.validate(); !problems.empty()) return Result<Eigen::SparseMatrix<double, Eigen::RowMajor>>::failure(problems);
  using R = Result<Eigen::SparseMatrix<double, Eigen::RowMajor>>;
  Diagnostics d("MAGIC");
  const Eigen::Index n = x.rows();
  if (o.knn < 1 || o.t < 0 || o.decay <= 0 || o.n_pca < 1 || o.knn_max < o.knn) d.error("MAGIC needs knn >= 1, t >= 0, decay > 0, n_pca >= 1, knn_max >= knn");
  if (n <= o.knn) d.error("MAGIC needs more cells (" + std::to_string(n) + ") than neighbours (knn " + std::to_string(o.knn) + ")");
  if (d.has_errors()) return R::failure(d);
  const Eigen::MatrixXd pcs = principal_components(x, o.n_pca, o.seed);
  const Eigen::VectorXd norms = pcs.rowwise().squaredNorm();
  const Eigen::Index kmax = std::min<Eigen::Index>(o.knn_max, n - 1);
  std::vector<Eigen::Triplet<double>> entries;
  entries.reserve(static_cast<std::size_t>(n * (kmax + 1)));
  // exact neighbours, a block of cells at a time: ‖a‖² + ‖b‖² − 2a·b; each row keeps its
  // kmax nearest in a max-heap, so most candidates cost one comparison. Blocks run on
  // torch's threads, each writing its own entries, joined in block order.
  const Eigen::Index block = 64, n_blocks = (n + block - 1) / block;
  std::vector<std::vector<Eigen::Triplet<double>>> per_block(static_cast<std::size_t>(n_blocks));
  at::parallel_for(0, n_blocks, 1, [&](std::int64_t first, std::int64_t last) {
    std::vector<std::pair<double, Eigen::Index>> heap;
    heap.reserve(static_cast<std::size_t>(kmax) + 1);
    for (std::int64_t bi = first; bi < last; ++bi) {
      const Eigen::Index b0 = bi * block, nb = std::min(block, n - b0);
      auto& mine = per_block[static_cast<std::size_t>(bi)];
      const Eigen::MatrixXd dist = -2.0 * pcs.middleRows(b0, nb) * pcs.transpose();  // nb × n
      for (Eigen::Index i = 0; i < nb; ++i) {
        const Eigen::Index cell = b0 + i;
        heap.clear();
        const double own = norms(cell);
        for (Eigen::Index j = 0; j < n; ++j) {
          if (j == cell) continue;
          const double d2 = dist(i, j) + own + norms(j);
          if (static_cast<Eigen::Index>(heap.size()) < kmax) {
            heap.emplace_back(d2, j);
            std::push_heap(heap.begin(), heap.end());
          } else if (d2 < heap.front().first) {
            std::pop_heap(heap.begin(), heap.end());
            heap.back() = {d2, j};
            std::push_heap(heap.begin(), heap.end());
          }
        }
        std::sort_heap(heap.begin(), heap.end());  // nearest first
        const double sigma = std::max(std::sqrt(std::max(0.0, heap[static_cast<std::size_t>(o.knn - 1)].first)), 1e-12);
        mine.emplace_back(cell, cell, 1.0);
        for (const auto& [d2, j] : heap) {
          const double k = std::exp(-std::pow(std::sqrt(std::max(0.0, d2)) / sigma, o.decay));
          if (k < o.threshold) break;
          mine.emplace_back(cell, j, k);
        }
      }
    }
  });
  for (auto& b : per_block) {
    entries.insert(entries.end(), b.begin(), b.end());
    std::vector<Eigen::Triplet<double>>().swap(b);
  }
  Eigen::SparseMatrix<double, Eigen::RowMajor> k(n, n);
  k.setFromTriplets(entries.begin(), entries.end());
  Eigen::SparseMatrix<double, Eigen::RowMajor> kt = k.transpose();
  Eigen::SparseMatrix<double, Eigen::RowMajor> p = 0.5 * (k + kt);
  for (Eigen::Index i = 0; i < n; ++i) {
    double sum = 0;
    for (Eigen::SparseMatrix<double, Eigen::RowMajor>::InnerIterator it(p, i); it; ++it) sum += it.value();
    for (Eigen::SparseMatrix<double, Eigen::RowMajor>::InnerIterator it(p, i); it; ++it) it.valueRef() /= sum;
  }
  p.makeCompressed();
  return R::success(std::move(p), d.items());
}

void magic_diffuse(const Eigen::SparseMatrix<double, Eigen::RowMajor>& p, int t, Eigen::MatrixXd& block) {
  for (int s = 0; s < t; ++s) block = (p * block).eval();
}

}  // namespace fluxion::scflux
