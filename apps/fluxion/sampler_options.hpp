// The sampler's options, declared once for `fluxion sample` and `fluxion dataset`.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/format.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/sampling/flux_sets.hpp"

namespace fluxion::cli {

struct SamplerCli {
  std::string constraints, method = "auto", exchange = "uniform", normalize;
  std::vector<std::string> exchange_sets, capped;
  double log_mean = 0.0, log_sd = 1.0;
  int cap_bins = 20;
  long cap_per_bin = 10000;
  long draws = 0;
  int thinning = 0;
  double exchange_floor = 1e-3;
  std::uint64_t seed = 1;
};

void declare_sampler_options(CLI::App* cmd, SamplerCli& o);

// The constraints and FluxSetOptions the options describe; inputs are recorded in `info`.
// On bad input prints the diagnostics, sets the exit code and returns nullopt.
struct SamplerSetup {
  std::vector<LinearConstraint> constraints;
  FluxSetOptions options;
};
std::optional<SamplerSetup> sampler_setup(const SamplerCli& o, const Model& model, const std::string& model_source, const FluxSpace& space, io::RunInfo& info, Context& ctx);

// Records the sampler's settings and counters in run_info.json.
void record_sampler(const SamplerCli& o, const FluxSetSampler& s, io::RunInfo& info);

using fluxion::format_number;  // fluxion/core/format.hpp

}  // namespace fluxion::cli
