// The sampler's options of `fluxion sample` and `fluxion dataset`: the sampling library's
// SamplerSettings, bound from its option table, resolved and recorded.
#pragma once

#include <optional>
#include <string>

#include "commands.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/format.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/sampling/sampler_settings.hpp"

namespace fluxion::cli {

using SamplerCli = sampling::SamplerSettings;

void declare_sampler_options(CLI::App* cmd, sampling::SamplerSettings& o, Context& ctx);

// The constraints and FluxSetOptions the options describe; inputs are recorded in `info`.
// On bad input prints the diagnostics, sets the exit code and returns nullopt.
std::optional<sampling::SamplerSetup> sampler_setup(const sampling::SamplerSettings& o, const Model& model, const std::string& model_source, const FluxSpace& space,
                                          io::RunInfo& info, Context& ctx);

// Records the sampler's settings and counters in run_info.json.
void record_sampler(const sampling::SamplerSettings& o, const sampling::FluxSetSampler& s, io::RunInfo& info);

using fluxion::format_number;  // fluxion/core/format.hpp

}  // namespace fluxion::cli
