// What each tracer experiment labels, as `fluxion model tracers` shows it: per substrate
// component the label, fraction, purity and the heavy atoms of each element ("C:110000").
#pragma once

#include <string>
#include <vector>

#include "fluxion/core/model.hpp"
#include "fluxion/isotope/tracer.hpp"

namespace fluxion::isotope {

// experiment, substrate, label, fraction, purity, heavy_atoms; the experiments must have
// passed validate_experiments against `model`.
std::string labelled_atoms_tsv(const Model& model, const std::vector<TracerExperiment>& experiments);

}  // namespace fluxion::isotope
