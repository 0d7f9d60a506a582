// Raw isotopologue intensities and their natural-abundance correction (`fluxion correct`).
//
// Input, TSV or CSV, one row per isotopologue (IsoCor's input with the formulas inline):
//
//   sample  metabolite  isotopologue  area     formula   derivative
//   s1      Ala         0             8.2e6    C3H7NO2   C8H19OSi2
//
// `formula` is the part whose tracer atoms are traced (the metabolite or its fragment),
// `derivative` (optional) the atoms a derivatisation adds; both count for natural
// isotopes, only `formula`'s tracer atoms can carry the tracer. Output: IsoCor's columns
// (sample, metabolite, derivative, isotopologue, area, corrected_area,
// isotopologue_fraction, residuum, mean_enrichment), which `fluxion mids` reads as it is.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/isotope/natural_abundance.hpp"

namespace fluxion::io {

struct IntensitySet {
  std::string sample, metabolite, formula, derivative;
  std::vector<double> area;  // by isotopologue; missing rows are 0
  int line = 0;
};

// Formulas may use the elements of `isotopes` besides the built-in ones.
Result<std::vector<IntensitySet>> read_intensity_table(std::string_view text, const std::string& source,
                                                       const isotope::IsotopeTable* isotopes = nullptr);
Result<std::vector<IntensitySet>> load_intensity_table(const std::string& path, const isotope::IsotopeTable* isotopes = nullptr);

struct CorrectionSettings {
  Element tracer = Element::C;
  double purity = 1.0;
  bool tracer_natural_abundance = true;
  isotope::IsotopeTable isotopes;  // replaces the built-in abundances of its elements
};

// Corrects every set; the result is the output table's text. Errors name the input line.
Result<std::string> correct_intensity_table(const std::vector<IntensitySet>& sets, const CorrectionSettings& settings,
                                            const std::string& source);

}  // namespace fluxion::io
