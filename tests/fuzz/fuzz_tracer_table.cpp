// Fuzz target: tracer tables and isotope labels must give a Result for any input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto table = fluxion::io::read_tracer_table(text, "fuzz");
  if (table.ok()) {
    static const auto model = fluxion::io::load_model("ccm");
    (void)fluxion::isotope::validate_experiments(model.value(), table.value().experiments, "fuzz", table.value().lines);
    (void)fluxion::io::write_tracer_table(table.value().experiments);
  }
  (void)fluxion::isotope::parse_label(text);
  return 0;
}
