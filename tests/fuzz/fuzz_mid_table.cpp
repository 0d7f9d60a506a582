// Fuzz target: measured MID tables must give a Result for any input, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fluxion/io/mid_table.hpp"
#include "fluxion/io/model_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto table = fluxion::io::read_mid_table(text, "fuzz", size % 2 == 0);  // with and without time courses
  if (table.ok()) {
    static const auto model = fluxion::io::load_model("glycolysis");
    (void)fluxion::io::validate_mids(model.value(), table.value(), "fuzz");
  }
  return 0;
}
