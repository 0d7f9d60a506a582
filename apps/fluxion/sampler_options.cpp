#include "sampler_options.hpp"

#include "option_binding.hpp"

namespace fluxion::cli {

void declare_sampler_options(CLI::App* cmd, SamplerSettings& o, Context& ctx) {
  for (auto& [name, option] : bind_options(cmd, SamplerSettings::table(), o, ctx)) option->group("Sampling");
}

std::optional<SamplerSetup> sampler_setup(const SamplerSettings& o, const Model& model, const std::string& model_source, const FluxSpace& fs,
                                          io::RunInfo& info, Context& ctx) {
  auto s = resolve_sampler(o, model, model_source, fs);
  if (!accept(s, ctx)) return std::nullopt;
  for (const auto& [role, path] : s.value().inputs) info.add_input(role, path);
  return std::move(s).value();
}

void record_sampler(const SamplerSettings& o, const FluxSetSampler& s, io::RunInfo& info) {
  for (const auto& [name, value] : sampler_record(o, s)) info.set(name, value);
}

}  // namespace fluxion::cli
