#include "sampler_options.hpp"

#include "option_binding.hpp"

namespace fluxion::cli {

void declare_sampler_options(CLI::App* cmd, sampling::SamplerSettings& o, Context& ctx) {
  for (auto& [name, option] : bind_options(cmd, sampling::SamplerSettings::table(), o, ctx)) option->group("Sampling");
}

std::optional<sampling::SamplerSetup> sampler_setup(const sampling::SamplerSettings& o, const Model& model, const std::string& model_source, const FluxSpace& fs,
                                          io::RunInfo& info, Context& ctx) {
  auto s = sampling::resolve_sampler(o, model, model_source, fs);
  if (!accept(s, ctx)) return std::nullopt;
  for (const auto& [role, path] : s.value().inputs) info.add_input(role, path);
  return std::move(s).value();
}

void record_sampler(const sampling::SamplerSettings& o, const sampling::FluxSetSampler& s, io::RunInfo& info) {
  for (const auto& [name, value] : sampling::sampler_record(o, s)) info.set(name, value);
}

}  // namespace fluxion::cli
