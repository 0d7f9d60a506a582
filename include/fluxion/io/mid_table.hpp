// Measured mass isotopomer distributions (MIDs).
//
// fluxion's long table, TSV or CSV, one row per isotopologue:
//
//   experiment  metabolite  isotopologue  fraction  sd     [element]  [replicate]
//   e1          Glu         0             0.3464    0.01
//   e1          Ala[2,3]    1             0.21      0.01
//
// `metabolite` is a metabolite or a fragment (its traced atoms, 1-based); isotopologue
// 0..n counts heavy atoms of the traced element (default C; H for 2H experiments);
// sd is optional; `replicate` names biological or technical replicates (one MID per
// experiment, metabolite and replicate). A `time` column (time-course MIDs of
// non-stationary labelling, what `fluxion simulate --times` writes) is read only where the
// caller takes time courses (`time_courses`); elsewhere it is an error at the header, so
// that no command mixes the time points of one MID. IsoCor's corrected output (sample, metabolite, derivative, isotopologue,
// ..., isotopologue_fraction, ...) is read as it is: sample = experiment.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/isotope/measured_mids.hpp"
#include "fluxion/isotope/tracer.hpp"

namespace fluxion::io {

// The measured MIDs are an isotope type (isotope/measured_mids.hpp), read here.
using fluxion::isotope::MeasuredMid;
using fluxion::isotope::MidTable;

Result<isotope::MidTable> read_mid_table(std::string_view text, const std::string& source, bool time_courses = false);
Result<isotope::MidTable> load_mid_table(const std::string& path, bool time_courses = false);

// Checks measurements against a model (and, when given, the tracer experiments):
// unknown metabolite or fragment, isotopologues missing or beyond the fragment's atoms,
// negative fractions, fractions that do not sum to 1 within `sum_tolerance`, sd <= 0,
// experiments the tracer table does not define.
std::vector<Diagnostic> validate_mids(const Model& model, const isotope::MidTable& table, const std::string& source,
                                      const std::vector<isotope::TracerExperiment>* experiments = nullptr,
                                      double sum_tolerance = 0.02);

}  // namespace fluxion::io
