// Flux sets drawn from a sampler as `fluxion sample` writes them: samples.tsv, one row per
// set (sample, then net:<reaction> for every reaction and xch:<reaction> for every exchange
// flux).
#pragma once

#include <string>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/sampling/flux_sets.hpp"

namespace fluxion::sampling {

struct FluxSamples {
  std::string tsv;
  long count = 0;        // rows drawn
  std::string stopped;   // why fewer than asked: the sampler's stream ended (its draw budget), or failed
  bool failed = false;   // the sampler failed (not an ended stream): the run is a failure
};

FluxSamples draw_flux_samples(FluxSetSampler& sampler, const FluxSpace& space, long count);

}  // namespace fluxion::sampling
