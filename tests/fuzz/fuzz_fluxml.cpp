// Fuzz target: the fluxml model reader must return a Result for any input, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/constraint_table.hpp"
#include "fluxion/io/model_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto model = fluxion::io::read_fluxml(text, "fuzz");
  if (!model.ok()) return 0;
  (void)fluxion::io::write_reaction_tsv(model.value());
  (void)fluxion::io::write_fluxml(model.value());
  // the constraints between fluxes, on small networks (the flux space costs more on big ones)
  if (!model.value().relations.empty() && model.value().reactions.size() <= 64) {
    auto space = fluxion::FluxSpace::build(model.value());
    if (space.ok()) (void)fluxion::io::model_relations(model.value(), space.value(), "fuzz");
  }
  return 0;
}
