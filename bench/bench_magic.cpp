// MAGIC's neighbour graph, exact against approximate (HNSW), on cells drawn from scFEA's
// example as bench_scfea draws them: the time and peak memory of each, the recall of the
// approximate 100 nearest neighbours against the exact ones (on every cell when the exact
// graph is built, else on 1,000 sampled cells by brute force), and the correlation of the
// imputed values (P³·X over all genes) between the two graphs when both are built.
//
//   usage: bench_magic DATA CELLS [exact: 1|0, default 1] [threads=0]
#include <ATen/Parallel.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "fluxion/io/expression_table.hpp"
#include "fluxion/scflux/magic.hpp"

using namespace fluxion;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DATA CELLS [exact=1] [threads=0]\n", argv[0]);
    return 2;
  }
  const std::string ref = std::string(argv[1]) + "/scfea/changwn_scFEA/";
  const auto n = static_cast<Eigen::Index>(std::strtoll(argv[2], nullptr, 10));
  const bool with_exact = argc <= 3 || std::atoi(argv[3]) != 0;
  if (argc > 4 && std::atoi(argv[4]) > 0) at::set_num_threads(std::atoi(argv[4]));
  auto table = io::load_expression_table(ref + "input/Melissa_full.csv");
  if (!table) {
    std::fprintf(stderr, "%s\n", table.message().c_str());
    return 1;
  }
  const auto& t = table.value();
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<Eigen::Index> pick(0, t.values.cols() - 1);
  std::vector<Eigen::Triplet<float>> entries;
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index g = 0; g < t.values.rows(); ++g)
      if (const double v = t.values(g, pick(rng)); v != 0.0) entries.emplace_back(static_cast<int>(i), static_cast<int>(g), static_cast<float>(v));
  Eigen::SparseMatrix<float, Eigen::RowMajor> x(n, t.values.rows());
  x.setFromTriplets(entries.begin(), entries.end());
  std::vector<Eigen::Triplet<float>>().swap(entries);
  auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  auto rss = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0;
  };
  scflux::MagicOptions o;
  const auto t0 = std::chrono::steady_clock::now();
  const Eigen::MatrixXd pcs = scflux::principal_components(x, o.n_pca, o.seed);
  const auto t1 = std::chrono::steady_clock::now();
  std::printf("cells %ld, genes %ld, principal components %.1f s, peak RSS %.0f MiB\n", static_cast<long>(n), static_cast<long>(x.cols()), secs(t0, t1), rss());
  o.neighbours = "hnsw";
  const auto approx = scflux::nearest_neighbours(pcs, o.knn_max, o);
  const auto t2 = std::chrono::steady_clock::now();
  std::printf("hnsw neighbours: %.1f s, peak RSS %.0f MiB\n", secs(t1, t2), rss());
  std::vector<std::vector<std::pair<double, Eigen::Index>>> exact;
  std::vector<Eigen::Index> sample;
  if (with_exact) {
    o.neighbours = "exact";
    exact = scflux::nearest_neighbours(pcs, o.knn_max, o);
    const auto t3 = std::chrono::steady_clock::now();
    std::printf("exact neighbours: %.1f s, peak RSS %.0f MiB\n", secs(t2, t3), rss());
    for (Eigen::Index i = 0; i < n; ++i) sample.push_back(i);
  } else {  // brute force for 1,000 cells
    std::uniform_int_distribution<Eigen::Index> any(0, n - 1);
    exact.resize(static_cast<std::size_t>(n));
    for (int s = 0; s < 1000; ++s) {
      const Eigen::Index i = any(rng);
      sample.push_back(i);
      const Eigen::VectorXd d = (pcs.rowwise() - pcs.row(i)).rowwise().squaredNorm();
      std::vector<std::pair<double, Eigen::Index>> all;
      for (Eigen::Index j = 0; j < n; ++j)
        if (j != i) all.emplace_back(d(j), j);
      std::partial_sort(all.begin(), all.begin() + o.knn_max, all.end());
      all.resize(static_cast<std::size_t>(o.knn_max));
      exact[static_cast<std::size_t>(i)] = std::move(all);
    }
  }
  std::size_t hits = 0, total = 0;
  for (Eigen::Index i : sample) {
    std::vector<Eigen::Index> want;
    for (const auto& e : exact[static_cast<std::size_t>(i)]) want.push_back(e.second);
    std::sort(want.begin(), want.end());
    for (const auto& e : approx[static_cast<std::size_t>(i)]) hits += std::binary_search(want.begin(), want.end(), e.second);
    total += want.size();
  }
  std::printf("recall of the %d nearest on %zu cells: %.4f\n", o.knn_max, sample.size(), static_cast<double>(hits) / static_cast<double>(total));
  if (!with_exact) return 0;
  // imputed values from each graph
  Eigen::MatrixXd ys[2];
  for (int k = 0; k < 2; ++k) {
    o.neighbours = k == 0 ? "exact" : "hnsw";
    const auto a = std::chrono::steady_clock::now();
    auto p = scflux::magic_operator(x, o);
    if (!p) {
      std::fprintf(stderr, "%s\n", p.message().c_str());
      return 1;
    }
    ys[k] = Eigen::MatrixXd(x.cast<double>());
    scflux::magic_diffuse(p.value(), o.t, ys[k]);
    std::printf("MAGIC with %s neighbours (PCA, graph, P^3 X): %.1f s\n", o.neighbours.c_str(), secs(a, std::chrono::steady_clock::now()));
  }
  const Eigen::ArrayXd a = Eigen::Map<const Eigen::ArrayXd>(ys[0].data(), ys[0].size());
  const Eigen::ArrayXd b = Eigen::Map<const Eigen::ArrayXd>(ys[1].data(), ys[1].size());
  const double r = ((a - a.mean()) * (b - b.mean())).sum() / std::sqrt((a - a.mean()).square().sum() * (b - b.mean()).square().sum());
  std::printf("imputed values, exact against hnsw graph: Pearson r %.5f, largest difference %.3g (values up to %.3g)\n", r,
              (a - b).abs().maxCoeff(), a.abs().maxCoeff());
  return 0;
}
