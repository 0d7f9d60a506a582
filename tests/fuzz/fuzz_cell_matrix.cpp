// Fuzz target: dense expression tables (CSV, TSV, space-separated; either orientation) must
// never crash; a table that reads has one row per cell, one column per gene, only finite
// values >= 0, and distinct gene names.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "fluxion/io/cell_matrix.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool genes_as_columns = data[0] & 1;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto m = fluxion::io::read_dense_cell_matrix(text, "fuzz", genes_as_columns);
  if (m.ok()) {
    const auto& x = m.value();
    if (static_cast<std::size_t>(x.values.rows()) != x.cells.size() || static_cast<std::size_t>(x.values.cols()) != x.genes.size()) std::abort();
    if (std::set<std::string>(x.genes.begin(), x.genes.end()).size() != x.genes.size()) std::abort();
    for (Eigen::Index k = 0; k < x.values.nonZeros(); ++k)
      if (!std::isfinite(x.values.valuePtr()[k]) || x.values.valuePtr()[k] < 0) std::abort();
  }
  return 0;
}
