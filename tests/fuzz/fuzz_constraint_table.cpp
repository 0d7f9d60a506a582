// Fuzz target: constraint files must never crash, and constraints that parse must give a
// polytope (or a clear error) over the built-in 'simple' model.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/constraint_table.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/sampling/polytope.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fluxion::Model model = fluxion::io::load_model("simple").value();
  static const fluxion::FluxSpace space = fluxion::FluxSpace::build(model).value();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto constraints = fluxion::io::read_constraint_table(text, "fuzz", space);
  if (constraints.ok() && constraints.value().size() < 20) {
    auto p = fluxion::sampling::FluxPolytope::build(model, space, constraints.value());
    if (p.ok()) (void)p.value().bounding_box();
  }
  return 0;
}
