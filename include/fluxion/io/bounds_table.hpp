// Flux bounds to apply to a model before FBA, FVA, MoMA or iMAT (a medium, a condition):
//
//   reaction      lower   upper
//   EX_glc__D_e   -5      1000
//   EX_o2_e       0       1000     anaerobic
//
// TSV or CSV with a header; `reaction`, `lower` and `upper` are required (other columns
// are ignored); `inf` and `-inf` are allowed. Errors name the line and column: an
// unknown reaction, a repeated reaction, lower > upper, a value that is not a number.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"

namespace fluxion::io {

struct BoundsChange {
  std::size_t reaction = 0;  // index into the model's reactions
  double lower = 0.0, upper = 0.0;
};

Result<std::vector<BoundsChange>> read_bounds_table(std::string_view text, const std::string& source, const Model& model);
Result<std::vector<BoundsChange>> load_bounds_table(const std::string& path, const Model& model);

}  // namespace fluxion::io
