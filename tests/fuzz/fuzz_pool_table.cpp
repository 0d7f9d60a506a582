// Fuzz target: the pool-size readers (`simulate --pools`, `fit --start-pools`) must never
// crash; a file that reads names each metabolite once, at a line of the file, with a finite
// size > 0.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fluxion/io/pool_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = fluxion::io::read_pool_table(text, "fuzz");
  if (r.ok())
    for (const auto& [metabolite, pool] : r.value())
      if (metabolite.empty() || pool.line < 1 || !(pool.size > 0) || !std::isfinite(pool.size)) std::abort();
  auto starts = fluxion::io::read_pool_starts(text, "fuzz");
  if (starts.ok())
    for (const auto& [metabolite, pool] : starts.value())
      if (metabolite.empty() || pool.line < 1 || !(pool.size > 0) || !std::isfinite(pool.size)) std::abort();
  return 0;
}
