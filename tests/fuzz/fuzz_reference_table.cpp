// Fuzz target: reference flux tables (fluxion project) must never crash; tables that parse
// have one row of values per model reaction and one column per sample.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fluxion/io/model_io.hpp"
#include "fluxion/io/reference_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fluxion::Model model = fluxion::io::load_model("simple").value();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto t = fluxion::io::read_reference_table(text, "fuzz", model);
  if (t.ok()) {
    const auto& r = t.value();
    if (r.values.rows() != static_cast<Eigen::Index>(model.reactions.size()) ||
        r.values.cols() != static_cast<Eigen::Index>(r.samples.size()) || r.confidence.size() != model.reactions.size())
      std::abort();
  }
  return 0;
}
