// Flux tables: net and exchange flux per reaction.
//
//   reaction  net   exchange
//   PGI       0.8   2.5
//
// TSV or CSV with a header; 'reaction' and 'net' are required, 'exchange' optional
// (other columns, such as standard errors, are ignored). Either every reaction has a
// row (checked for steady state), or at least the free net fluxes do: the rest follows
// from steady state, and other rows given must agree with it. A row may leave 'net'
// empty to give only an exchange flux; an exchange written NA counts as not given (fluxion
// writes NA for reactions that run one way).
// Exchange fluxes not given are 0 (with a warning naming them).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/constraints.hpp"
#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/model.hpp"

namespace fluxion::io {

// Net fluxes further than this (relative to the largest flux) from steady state are
// an error: a simulation at such fluxes would describe no real cell.
inline constexpr double kSteadyStateTolerance = 1e-6;

Result<FluxVector> read_flux_table(std::string_view text, const std::string& source, const Model& model,
                                   const FluxSpace& space);
Result<FluxVector> load_flux_table(const std::string& path, const Model& model, const FluxSpace& space);
std::string write_flux_table(const FluxSpace& space, const FluxVector& fluxes);

// The result table every command writes as fluxes.tsv: `reaction`, then the named columns,
// one row per reaction. Column names follow one convention: `net`, `exchange`, and
// <net|exchange>_<statistic> (`net_se`, `exchange_sd`, `net_ci95_low`, ...). Numbers have 10
// significant digits; a value that is not finite (no exchange flux, an SE that the data do
// not bound) is written NA. write_flux_table is the case of `net` and `exchange`.
struct FluxResultColumn {
  std::string name;
  std::vector<double> values;  // one per reaction
};
std::string write_flux_results(const std::vector<std::string>& reactions, const std::vector<FluxResultColumn>& columns);

// Measured fluxes (uptake and secretion rates) for fitting:
//
//   flux      value   sd
//   glc_up    100     2
//   xch(pgi)  5       1     an exchange flux
//
// TSV or CSV; every column required. Errors give line and column.
Result<std::vector<MeasuredFlux>> read_measured_fluxes(std::string_view text, const std::string& source, const FluxSpace& space);
Result<std::vector<MeasuredFlux>> load_measured_fluxes(const std::string& path, const FluxSpace& space);

}  // namespace fluxion::io
