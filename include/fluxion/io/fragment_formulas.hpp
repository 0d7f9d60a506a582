// The ion formulas of derivatised fragments (`simulate --fragment-formulas`): fragment<TAB>formula
// lines, an optional "fragment<TAB>formula" header, '#' comments. A fragment's atoms beyond the
// traced ones add their natural isotopes to its simulated MID.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/isotope/natural_abundance.hpp"

namespace fluxion::io {

struct FragmentFormula {
  isotope::Formula formula;
  int line = 0;  // where the file gives it, for later messages
};

// Errors at file:line:column: a line without a tab, a formula that does not parse, a fragment
// given twice.
Result<std::map<std::string, FragmentFormula>> read_fragment_formulas(std::string_view text, const std::string& source);
Result<std::map<std::string, FragmentFormula>> load_fragment_formulas(const std::string& path);

}  // namespace fluxion::io
