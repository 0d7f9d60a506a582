// Fuzz target: the fragment-formula reader (`simulate --fragment-formulas`) must never crash; a
// file that reads names each fragment once, at a line of the file, with a formula of
// non-negative atom counts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fluxion/io/fragment_formulas.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = fluxion::io::read_fragment_formulas(text, "fuzz");
  if (r.ok())
    for (const auto& [fragment, ff] : r.value()) {
      if (ff.line < 1) std::abort();
      for (const auto& [element, count] : ff.formula)
        if (count < 0) std::abort();
    }
  return 0;
}
