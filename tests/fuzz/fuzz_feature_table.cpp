// Fuzz target: per-day feature tables (features × cells, signed values) must never crash; a
// table that reads has one row per column name, one column per feature, distinct feature
// names and only finite values.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "fluxion/io/feature_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto t = fluxion::io::read_feature_table(text, "fuzz");
  if (t.ok()) {
    const auto& x = t.value();
    if (static_cast<std::size_t>(x.values.rows()) != x.columns.size() || static_cast<std::size_t>(x.values.cols()) != x.features.size()) std::abort();
    if (x.features.empty() || x.columns.empty()) std::abort();
    if (std::set<std::string>(x.features.begin(), x.features.end()).size() != x.features.size()) std::abort();
    if (!x.values.allFinite()) std::abort();
  }
  return 0;
}
