// Fuzz target: gene expression tables must never crash; tables that parse are genes ×
// samples of finite non-negative values.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fluxion/io/expression_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto t = fluxion::io::read_expression_table(text, "fuzz");
  if (t.ok()) {
    const auto& e = t.value();
    if (e.values.rows() != static_cast<Eigen::Index>(e.genes.size()) || e.values.cols() != static_cast<Eigen::Index>(e.samples.size()) ||
        !(e.values.array() >= 0).all() || !e.values.allFinite())
      std::abort();
  }
  return 0;
}
