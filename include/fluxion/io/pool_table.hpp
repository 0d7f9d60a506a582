// Metabolite pool sizes for isotopically non-stationary simulation and fitting
// (`simulate --pools`, `fit --pools`): metabolite<TAB>size lines, an optional header, '#'
// comments; a file without a tab is read as comma-separated (FreeFlux's concentrations
// sheet as CSV). Sizes are amounts in the fluxes' units times the time unit of --times
// (flux in mmol/gDW/h and times in h: pools in mmol/gDW), so that a pool of size c drained
// at flux v turns over in c/v. Optional columns, in this order without a header or named
// in one: status (fixed, free: fitted between lower and upper, measured: fitted and the
// size is a measurement with sd), lower, upper (default size/100 and size·100), sd.
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
  std::string status = "fixed";  // fixed, free or measured
  double lower = 0, upper = 0;   // free and measured pools (> 0, lower <= size <= upper)
  double sd = 0;                 // measured pools (> 0)
  bool fitted() const { return status != "fixed"; }
};

// Errors at file:line:column: a line without a tab, a size that is not a number > 0, a
// metabolite given twice, an unknown status or column, bounds that do not hold the size, a
// measured pool without an sd.
Result<std::map<std::string, PoolSize>> read_pool_table(std::string_view text, const std::string& source);
Result<std::map<std::string, PoolSize>> load_pool_table(const std::string& path);

// Starting sizes (`fit --start-pools`): a tab-separated table whose header names the columns
// `metabolite` and `size`, others ignored (fluxion predict's pools.tsv). Errors at
// file:line:column: no such header, a short row, a size that is not a number > 0, a
// metabolite given twice.
Result<std::map<std::string, PoolSize>> read_pool_starts(std::string_view text, const std::string& source);
Result<std::map<std::string, PoolSize>> load_pool_starts(const std::string& path);

// One size per model metabolite (Model::metabolites order): the table's, else
// `default_size` (0: none). Errors: a metabolite the model does not have (at its line), a
// balanced metabolite without a size when there is no default (they are named).
Result<std::vector<double>> pool_sizes(const Model& model, const std::map<std::string, PoolSize>& table, double default_size,
                                       const std::string& source);

}  // namespace fluxion::io
