// Fuzz target: mfapy's MDV tables and status sheets, and fluxion's measured-flux tables,
// must give a Result for any input. The first byte picks the reader.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/flux_table.hpp"
#include "fluxion/io/mfapy_data.hpp"
#include "fluxion/io/model_io.hpp"

namespace {

// A small mfapy model: a reversible pair merged into one reaction, a fragment.
constexpr std::string_view kModel =
    "//Reactions\n"
    "v1\tA --> B\tA --> B\tAB --> AB\t(x)\t0\t1000\n"
    "v2\tB --> C\tB --> C\tAB --> AB\t(x)\t0\t1000\n"
    "v3\tC --> B\tC --> B\tAB --> AB\t(x)\t0\t1000\n"
    "v4\tC --> D\tC --> D\tAB --> AB\t(x)\t0\t1000\n"
    "//Metabolites\n"
    "A\t2\tno\tcarbonsource\tno\t(x)\t0\t300\n"
    "B\t2\tno\tno\tno\t(x)\t0\t300\n"
    "C\t2\tno\tno\tno\t(x)\t0\t300\n"
    "D\t2\tno\tno\texcreted\t(x)\t0\t300\n"
    "//Reversible_reactions\n"
    "R\tv2\tv3\t(x)\t-300\t300\n"
    "//Target_fragments\n"
    "C[M-57]\tgcms\tC_1:2\tuse\tC2H4\n"
    "C[f1]\tgcms\tC_2\tuse\tC1H2\n"
    "//End\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  static const auto model = fluxion::io::read_mfapy(kModel, "model");
  static const auto space = fluxion::FluxSpace::build(model.value());
  switch (data[0] % 3) {
    case 0:
      (void)fluxion::io::read_mfapy_mdv(text, "fuzz", kModel, "e1");
      break;
    case 1: {
      auto rows = fluxion::io::read_mfapy_status(text, "fuzz");
      if (!rows.ok()) break;
      fluxion::Model m = model.value();
      if (!fluxion::io::apply_mfapy_pseudo(rows.value(), "fuzz", m).ok()) break;
      auto fs = fluxion::FluxSpace::build(m);
      if (fs.ok()) (void)fluxion::io::mfapy_status_constraints(rows.value(), "fuzz", kModel, m, fs.value());
      break;
    }
    default:
      (void)fluxion::io::read_measured_fluxes(text, "fuzz", space.value());
  }
  return 0;
}
