#include "fluxion/io/measurements.hpp"

#include "fluxion/io/flux_table.hpp"
#include "fluxion/io/freeflux.hpp"
#include "fluxion/io/mid_table.hpp"
#include "fluxion/io/text_file.hpp"

namespace fluxion::io {

MidFileFormat detect_mid_format(std::string_view text) {
  return text.substr(0, 12) == "#fragment_ID" ? MidFileFormat::freeflux : MidFileFormat::fluxion_or_isocor;
}

FluxFileFormat detect_flux_format(std::string_view text) { return text.substr(0, 12) == "#reaction_ID" ? FluxFileFormat::freeflux : FluxFileFormat::fluxion; }

Result<isotope::MidTable> load_measured_mids(const std::string& path, const std::string& experiment) {
  auto text = read_text_file(path);
  if (!text) return Result<isotope::MidTable>::failure(text.diagnostics());
  if (detect_mid_format(text.value()) == MidFileFormat::freeflux) return read_freeflux_mdvs(text.value(), path, experiment);
  return read_mid_table(text.value(), path);
}

Result<std::vector<MeasuredFlux>> load_any_measured_fluxes(const std::string& path, const FluxSpace& space) {
  auto text = read_text_file(path);
  if (!text) return Result<std::vector<MeasuredFlux>>::failure(text.diagnostics());
  if (detect_flux_format(text.value()) == FluxFileFormat::freeflux) return read_freeflux_fluxes(text.value(), path, space);
  return read_measured_fluxes(text.value(), path, space);
}

}  // namespace fluxion::io
