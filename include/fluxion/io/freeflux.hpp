// FreeFlux's files (Wu et al., ACS Synth Biol 2023): the reaction table (read as a model
// by load_model for .csv files, and for .tsv files whose first line is FreeFlux's
// "#reaction_ID" header) and the measured MDVs (fragment_ID, mean, sd: "Ala_23" = atoms 2
// and 3 of Ala, values as comma-separated lists) and measured fluxes (reaction_ID, mean,
// sd). Errors give line and column. FreeFlux's non-stationary MDVs (fragment_ID, time, mean,
// sd) are read with their times where the caller takes time courses (`time_courses`), and
// refused at the header elsewhere.
#pragma once

#include <string>
#include <string_view>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/constraints.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/io/mid_table.hpp"

namespace fluxion::io {

Result<Model> read_freeflux(std::string_view text, const std::string& source);
Result<isotope::MidTable> read_freeflux_mdvs(std::string_view text, const std::string& source, const std::string& experiment,
                                             bool time_courses = false);
Result<std::vector<MeasuredFlux>> read_freeflux_fluxes(std::string_view text, const std::string& source, const FluxSpace& space);

}  // namespace fluxion::io
