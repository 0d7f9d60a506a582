// The flux-set sampler as a user describes it: files and reaction ids (what `fluxion sample`
// and `fluxion dataset` take, declared once in an option table), resolved against a model
// into the constraints and FluxSetOptions that FluxSetSampler::create takes.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fluxion/core/constraints.hpp"
#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/sampling/dataset_contents.hpp"
#include "fluxion/sampling/flux_sets.hpp"

namespace fluxion::sampling {

struct SamplerSettings {
  std::string constraints;                  // extra linear constraints (a file; docs/formats.md)
  std::string method = "auto";              // free net fluxes: auto | rejection | achr
  int thinning = 0;                         // ACHR steps per set; 0 = the free net fluxes
  std::string exchange = "uniform";         // uniform | log-uniform | log-normal
  double exchange_floor = 1e-3;             // log-uniform: the lower end where a bound is 0
  double log_mean = 0.0, log_sd = 1.0;      // log-normal: of ln(exchange)
  std::vector<std::string> exchange_sets;   // FILE=SHARE: a mixture of exchange bounds
  std::vector<std::string> capped;          // reaction ids whose net-flux histograms are capped
  int cap_bins = 20;
  long cap_per_bin = 10000;
  long draws = 0;                           // draw budget (before the caps); 0 = none
  std::string normalize;                    // reaction whose net flux becomes 1
  std::uint64_t seed = 1;

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
  static const OptionTable<SamplerSettings>& table();  // the options a front end offers
};

struct SamplerSetup {
  std::vector<LinearConstraint> constraints;  // the model's relations, then the file's
  FluxSetOptions options;
  std::vector<std::pair<std::string, std::string>> inputs;  // role → file read, for run_info.json
};

// Reads the files and resolves the reaction ids; errors name the option ("--cap-fluxes")
// or the file and line.
Result<SamplerSetup> resolve_sampler(const SamplerSettings& settings, const Model& model, const std::string& model_source, const FluxSpace& space);

// The settings as a dataset's provenance records them, with the SHA-256 of the files they
// name (constraints, exchange sets).
DatasetProvenance::Sampler sampler_provenance(const SamplerSettings& settings);

// The sampler's settings and counters after a run, as run_info.json's settings (name → value).
std::vector<std::pair<std::string, std::string>> sampler_record(const SamplerSettings& settings, const FluxSetSampler& sampler);

}  // namespace fluxion::sampling
