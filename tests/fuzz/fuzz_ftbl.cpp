// Fuzz target: an FTBL file (network, fluxes, constraints, label input, MS groups) must
// give a Result for any input, and a model it accepts must build a flux space.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/ftbl.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto f = fluxion::io::read_ftbl(text, "fuzz.ftbl", "fuzz");
  if (f.ok()) (void)fluxion::FluxSpace::build(f.value().model);
  return 0;
}
