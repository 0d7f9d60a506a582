// Fuzz target: map layout files must give a Result for any input, and any layout they give
// must draw a map of the model (or refuse it with an error), never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fluxion/io/escher_map.hpp"
#include "fluxion/io/model_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto layout = fluxion::io::read_map_layout(text, "fuzz");
  if (layout.ok()) {
    static const auto model = fluxion::io::load_model("glycolysis");
    fluxion::io::EscherMapOptions o;
    o.layout = layout.value();
    (void)fluxion::io::escher_map_json(model.value(), o);
  }
  return 0;
}
