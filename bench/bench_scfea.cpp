// scFEA at atlas scale: wall time and peak memory of `run_scfea` (M168, scFEA's defaults:
// full batch, 100 epochs) against the number of cells. Cells are drawn from scFEA's example
// (Melissa_full.csv, 162 cells): each gene's value in a new cell is that gene's value in a
// cell picked at random, independently per gene, so every gene keeps its distribution.
// One size per process, so that the peak resident memory (getrusage) is that size's.
//
//   usage: bench_scfea DATA CELLS [epochs=100] [threads=0] [chunk=512] [impute=0] [magic neighbours: auto|exact|hnsw]
//   prints: cells, genes, modules, epochs, threads, seconds (load+draw, train, total),
//           final loss, peak RSS (MiB)
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "fluxion/io/expression_table.hpp"
#include "fluxion/io/scfea_network.hpp"
#include "fluxion/scflux/scfea.hpp"

using namespace fluxion;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DATA CELLS [epochs=100] [threads=0] [chunk=512] [impute=0]\n", argv[0]);
    return 2;
  }
  const std::string ref = std::string(argv[1]) + "/scfea/changwn_scFEA/";
  const std::size_t n = std::strtoull(argv[2], nullptr, 10);
  const int epochs = argc > 3 ? std::atoi(argv[3]) : 100;
  const int threads = argc > 4 ? std::atoi(argv[4]) : 0;
  const std::size_t chunk = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 2048;
  const auto t0 = std::chrono::steady_clock::now();
  auto net = io::load_scfea_network({ref + "data/module_gene_m168.csv", ref + "data/cmMat_c70_m168.csv", ref + "data/cName_c70_m168.csv",
                                     ref + "data/Human_M168_information.symbols.csv"});
  auto table = io::load_expression_table(ref + "input/Melissa_full.csv");
  if (!net || !table) {
    std::fprintf(stderr, "%s%s\n", net.message().c_str(), table.message().c_str());
    return 1;
  }
  const auto& t = table.value();
  scflux::CellMatrix cells;
  cells.genes = t.genes;
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<Eigen::Index> pick(0, t.values.cols() - 1);
  std::vector<Eigen::Triplet<float>> entries;
  for (std::size_t i = 0; i < n; ++i) {
    cells.cells.push_back("cell" + std::to_string(i));
    for (Eigen::Index g = 0; g < t.values.rows(); ++g)
      if (const double v = t.values(g, pick(rng)); v != 0.0) entries.emplace_back(static_cast<int>(i), static_cast<int>(g), static_cast<float>(v));
  }
  cells.values.resize(static_cast<Eigen::Index>(n), t.values.rows());
  cells.values.setFromTriplets(entries.begin(), entries.end());
  std::vector<Eigen::Triplet<float>>().swap(entries);
  const auto t1 = std::chrono::steady_clock::now();
  scflux::ScfeaOptions o;
  o.epochs = epochs;
  o.threads = threads;
  o.chunk_size = chunk;
  o.impute = argc > 6 && std::atoi(argv[6]) != 0;
  if (argc > 7) o.magic.neighbours = argv[7];
  auto r = scflux::run_scfea(net.value(), cells, o);
  if (!r) {
    std::fprintf(stderr, "%s\n", r.message().c_str());
    return 1;
  }
  const auto t2 = std::chrono::steady_clock::now();
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  std::printf("| %zu | %zu | %zu | %d | %d | %.2f | %.2f | %.2f | %.4g | %.0f |\n", n, r.value().genes_used, net.value().modules.size(), epochs,
              threads, s(t0, t1), s(t1, t2), s(t0, t2), r.value().loss.back().total, static_cast<double>(u.ru_maxrss) / 1024.0);
  return 0;
}
