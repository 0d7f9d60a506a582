// Fuzz target: raw intensity tables and their correction must never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fluxion/io/intensity_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto sets = fluxion::io::read_intensity_table(text, "fuzz");
  if (sets.ok() && sets.value().size() < 50) (void)fluxion::io::correct_intensity_table(sets.value(), {}, "fuzz");
  return 0;
}
