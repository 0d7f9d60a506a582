// Fuzz target: FreeFlux's reaction tables, MDV tables and measured fluxes must give a
// Result for any input. The first byte picks the reader.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/freeflux.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  static const auto model = fluxion::io::read_freeflux(
      "#reaction_ID,substrate_IDs(atom),product_IDs(atom),reversibility\n"
      "v1,A.ex(ab),B(ab),0\nv2,B(ab),\"C(ab,ba)\",1\nv3,\"C(ab,ba)\",D.ex(ab)+2ATP,0\nv4,ATP,ATP.ex,0\n",
      "model");
  static const auto space = fluxion::FluxSpace::build(model.value());
  switch (data[0] % 3) {
    case 0: {
      auto m = fluxion::io::read_freeflux(text, "fuzz");
      if (m.ok()) (void)fluxion::FluxSpace::build(m.value());
      break;
    }
    case 1:
      (void)fluxion::io::read_freeflux_mdvs(text, "fuzz", "e1");
      (void)fluxion::io::read_freeflux_mdvs(text, "fuzz", "e1", true);  // as a time course
      break;
    default:
      (void)fluxion::io::read_freeflux_fluxes(text, "fuzz", space.value());
  }
  return 0;
}
