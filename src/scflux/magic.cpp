#include "fluxion/scflux/magic.hpp"

#include <ATen/Parallel.h>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <hnswlib/hnswlib.h>

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
  if (neighbours != "auto" && neighbours != "exact" && neighbours != "hnsw") d.error("must be auto, exact or hnsw", 0, 0, "magic-neighbours");
  if (hnsw_m < 2 || hnsw_ef_construction < 1 || hnsw_ef < 1) d.error("HNSW needs M >= 2, ef_construction >= 1, ef >= 1", 0, 0, "magic-neighbours");
  return d.items();
}

std::vector<std::vector<std::pair<double, Eigen::Index>>> nearest_neighbours(const Eigen::MatrixXd& pcs, Eigen::Index kmax,
                                                                            const MagicOptions& o, std::string* used) {
  const Eigen::Index n = pcs.rows();
  kmax = std::min(kmax, n - 1);
  std::vector<std::vector<std::pair<double, Eigen::Index>>> out(static_cast<std::size_t>(n));
  if (kmax < 1) return out;
  const bool exact = o.neighbours == "exact" || (o.neighbours == "auto" && n <= o.exact_up_to);
  if (used) *used = exact ? "exact" : "hnsw";
  if (exact) {
    // ‖a‖² + ‖b‖² − 2a·b, a block of cells at a time; each row keeps its kmax nearest in a
    // max-heap, so most candidates cost one comparison
    const Eigen::VectorXd norms = pcs.rowwise().squaredNorm();
    const Eigen::Index block = 64, n_blocks = (n + block - 1) / block;
    at::parallel_for(0, n_blocks, 1, [&](std::int64_t first, std::int64_t last) {
      for (std::int64_t bi = first; bi < last; ++bi) {
        const Eigen::Index b0 = bi * block, nb = std::min(block, n - b0);
        const Eigen::MatrixXd dist = -2.0 * pcs.middleRows(b0, nb) * pcs.transpose();  // nb × n
        for (Eigen::Index i = 0; i < nb; ++i) {
          const Eigen::Index cell = b0 + i;
          auto& heap = out[static_cast<std::size_t>(cell)];
          heap.reserve(static_cast<std::size_t>(kmax) + 1);
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
        }
      }
    });
    return out;
  }
  // HNSW: points inserted in parallel (hnswlib locks per node), then every cell queried for
  // kmax + 1 (itself included) with ef >= that
  const auto dim = static_cast<std::size_t>(pcs.cols());
  const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> points = pcs.cast<float>();
  hnswlib::L2Space space(dim);
  hnswlib::HierarchicalNSW<float> index(&space, static_cast<std::size_t>(n), static_cast<std::size_t>(o.hnsw_m),
                                        static_cast<std::size_t>(o.hnsw_ef_construction), static_cast<std::size_t>(o.seed));
  index.addPoint(points.row(0).data(), 0);
  at::parallel_for(1, n, 256, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t i = first; i < last; ++i) index.addPoint(points.row(i).data(), static_cast<hnswlib::labeltype>(i));
  });
  index.setEf(static_cast<std::size_t>(std::max<Eigen::Index>(o.hnsw_ef, kmax + 1)));
  at::parallel_for(0, n, 256, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t i = first; i < last; ++i) {
      auto found = index.searchKnn(points.row(i).data(), static_cast<std::size_t>(kmax) + 1);
      auto& heap = out[static_cast<std::size_t>(i)];
      heap.reserve(found.size());
      while (!found.empty()) {
        const auto [d2, label] = found.top();
        found.pop();
        if (static_cast<std::int64_t>(label) != i) heap.emplace_back(static_cast<double>(d2), static_cast<Eigen::Index>(label));
      }
      std::reverse(heap.begin(), heap.end());  // nearest first
      if (static_cast<Eigen::Index>(heap.size()) > kmax) heap.resize(static_cast<std::size_t>(kmax));
    }
  });
  return out;
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
  const Eigen::Index kmax = std::min<Eigen::Index>(o.knn_max, n - 1);
  const auto near = nearest_neighbours(pcs, kmax, o);
  std::vector<Eigen::Triplet<double>> entries;
  entries.reserve(static_cast<std::size_t>(n * (kmax + 1)));
  // the kernel of each cell over its neighbours, blocks on torch's threads, joined in order
  const Eigen::Index block = 256, n_blocks = (n + block - 1) / block;
  std::vector<std::vector<Eigen::Triplet<double>>> per_block(static_cast<std::size_t>(n_blocks));
  at::parallel_for(0, n_blocks, 1, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t bi = first; bi < last; ++bi) {
      const Eigen::Index b0 = bi * block, nb = std::min(block, n - b0);
      auto& mine = per_block[static_cast<std::size_t>(bi)];
      for (Eigen::Index cell = b0; cell < b0 + nb; ++cell) {
        const auto& heap = near[static_cast<std::size_t>(cell)];
        const std::size_t kth = std::min(static_cast<std::size_t>(o.knn), heap.size()) - 1;
        const double sigma = std::max(std::sqrt(std::max(0.0, heap[kth].first)), 1e-12);
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
