// Extra linear constraints on net and exchange fluxes (`--constraints FILE`), as
// ML-Flux's constraint sheets write them, one per line:
//
//   # comment
//   v1 <= 1.000001                 net flux of reaction v1
//   0.8 <= pgi <= 1                both sides
//   xch(v2) <= 100                 exchange flux of v2 (net(v2) = v2)
//   v3 == 0                        equality ('=' too)
//   2*pdh - 'EX_CO2' >= -0.5       coefficients; quoted ids for any characters
//
// Each side is a number or a sum of terms [number [*]] id (a number glued to letters is an
// id, as 6PGD: write 2*v2 or 2 v2 for a coefficient); the operators of a chain go
// the same way (<, <= or >, >=). Errors give line and column: unknown reactions,
// exchange fluxes of reactions that cannot run backwards, malformed expressions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/constraints.hpp"

namespace fluxion::io {

Result<std::vector<LinearConstraint>> read_constraint_table(std::string_view text, const std::string& source,
                                                            const FluxSpace& space);
Result<std::vector<LinearConstraint>> load_constraint_table(const std::string& path, const FluxSpace& space);

// The model's own relations between fluxes (Model::relations, e.g. FluxML's textual
// constraints) as constraints; errors name `source` (the model file) and the line.
Result<std::vector<LinearConstraint>> model_relations(const Model& model, const FluxSpace& space, const std::string& source);

// One side of a constraint-table line, a linear expression of fluxes ("IN_Gln - EX_Gln",
// "2*pdh", "xch(pgi)"), for measured fluxes. False, with the message and a 1-based
// column, when malformed, naming no flux or holding a constant.
bool parse_flux_expression(std::string_view text, const FluxSpace& space, std::vector<FluxTerm>& terms, std::string& error, int& column);

}  // namespace fluxion::io
