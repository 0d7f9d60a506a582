// Metabolite pool sizes for isotopically non-stationary simulation (`simulate --pools`):
// metabolite<TAB>size lines, an optional "metabolite<TAB>size" header, '#' comments. Sizes
// are amounts in the fluxes' units times the time unit of --times (flux in mmol/gDW/h and
// times in h: pools in mmol/gDW), so that a pool of size c drained at flux v turns over in
// c/v.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"

namespace fluxion::io {

struct PoolSize {
  double size = 0;
  int line = 0;  // where the file gives it
};

// Errors at file:line:column: a line without a tab, a size that is not a number > 0, a
// metabolite given twice.
Result<std::map<std::string, PoolSize>> read_pool_table(std::string_view text, const std::string& source);
Result<std::map<std::string, PoolSize>> load_pool_table(const std::string& path);

// One size per model metabolite (Model::metabolites order): the table's, else
// `default_size` (0: none). Errors: a metabolite the model does not have (at its line), a
// balanced metabolite without a size when there is no default (they are named).
Result<std::vector<double>> pool_sizes(const Model& model, const std::map<std::string, PoolSize>& table, double default_size,
                                       const std::string& source);

}  // namespace fluxion::io
