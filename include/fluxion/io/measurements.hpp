// Measured MIDs and measured fluxes from a file in any format fluxion reads, told by the
// file's content: fluxion's long table or IsoCor's output (io/mid_table.hpp), FreeFlux's MDV
// table ("#fragment_ID" header); fluxion's measured-flux table or FreeFlux's ("#reaction_ID").
// mfapy's MDV sheet needs its model file as well (io/mfapy_data.hpp) and is not told here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/constraints.hpp"
#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/isotope/measured_mids.hpp"

namespace fluxion::io {

enum class MidFileFormat { fluxion_or_isocor, freeflux };
enum class FluxFileFormat { fluxion, freeflux };
MidFileFormat detect_mid_format(std::string_view text);
FluxFileFormat detect_flux_format(std::string_view text);

// `experiment`: the tracer experiment of a format that holds one (FreeFlux's).
Result<isotope::MidTable> load_measured_mids(const std::string& path, const std::string& experiment);
Result<std::vector<MeasuredFlux>> load_any_measured_fluxes(const std::string& path, const FluxSpace& space);

}  // namespace fluxion::io
