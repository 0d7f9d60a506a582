// Fuzz target: the cobra_json model reader must return a Result for any input, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fluxion/io/model_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto model = fluxion::io::read_cobra_json(text, "fuzz");
  if (model.ok()) (void)fluxion::io::write_reaction_tsv(model.value());
  return 0;
}
