// Fuzz target: bounds tables must never crash; tables that parse name model reactions
// with lower ≤ upper.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fluxion/io/bounds_table.hpp"
#include "fluxion/io/model_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fluxion::Model model = fluxion::io::load_model("simple").value();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto t = fluxion::io::read_bounds_table(text, "fuzz", model);
  if (t.ok())
    for (const auto& b : t.value())
      if (b.reaction >= model.reactions.size() || !(b.lower <= b.upper)) std::abort();
  return 0;
}
