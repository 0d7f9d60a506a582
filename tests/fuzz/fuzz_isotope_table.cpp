// Fuzz target: natural-abundance tables (IsoCor's Isotopes.dat layout) must never crash,
// and a table that parses must give a correction matrix or a clear error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fluxion/isotope/natural_abundance.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto table = fluxion::isotope::parse_isotope_table(text, "fuzz");
  if (table.ok()) {
    fluxion::isotope::CorrectionOptions o;
    o.formula = "C3H7NO2S";
    o.isotopes = table.value();
    (void)fluxion::isotope::correction_matrix(o, 8);
  }
  return 0;
}
