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
// experiment, metabolite and replicate). IsoCor's corrected output (sample, metabolite, derivative, isotopologue,
// ..., isotopologue_fraction, ...) is read as it is: sample = experiment.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/isotope/tracer.hpp"

namespace fluxion::io {

struct MeasuredMid {
  std::string experiment;
  Element element = Element::C;
  std::string fragment;         // "Glu", "Ala[2,3]"
  std::string replicate;        // empty without a replicate column
  std::vector<double> fraction;  // M+0 .. M+n; NaN where a row is missing
  std::vector<double> sd;        // same length; NaN where not given
  int line = 0;                  // first row of this MID
  std::string name;              // as the input names it when that differs (mfapy's
                                 // "Ala[M-57]"); empty = fragment
};

struct MidTable {
  std::vector<MeasuredMid> mids;  // in order of first appearance
  bool isocor = false;            // read from IsoCor's corrected output
  std::string source;             // the file it was read from (for messages about its lines)
};

Result<MidTable> read_mid_table(std::string_view text, const std::string& source);
Result<MidTable> load_mid_table(const std::string& path);

// Checks measurements against a model (and, when given, the tracer experiments):
// unknown metabolite or fragment, isotopologues missing or beyond the fragment's atoms,
// negative fractions, fractions that do not sum to 1 within `sum_tolerance`, sd <= 0,
// experiments the tracer table does not define.
std::vector<Diagnostic> validate_mids(const Model& model, const MidTable& table, const std::string& source,
                                      const std::vector<TracerExperiment>* experiments = nullptr,
                                      double sum_tolerance = 0.02);

}  // namespace fluxion::io
