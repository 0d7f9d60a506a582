// fluxion sample: flux sets uniform in the polytope of a model's bounds and extra
// constraints (free net fluxes by rejection in the LP box or ACHR), exchange fluxes from
// their bounds (uniform or log-uniform, optionally a mixture of bound sets), optionally
// normalised to a reference flux.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>

#include "commands.hpp"
#include "fluxion/sampling/flux_samples.hpp"
#include "sampler_options.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/sampling/flux_sets.hpp"

namespace fluxion::cli {

namespace {

struct SampleOptions {
  std::string model, output;
  long count = 1000;
  SamplerCli sampler;
};

}  // namespace

void add_sample_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static SampleOptions o;
  auto* cmd = app.add_subcommand("sample", "Sample flux sets uniformly in the polytope of a model's bounds and extra constraints");
  cmd->add_option("-m,--model", o.model, "Model: built-in name or file")->required();
  cmd->add_option("-n,--count", o.count, "Number of flux sets")->check(Range(1L, 100000000L))->capture_default_str();
  declare_sampler_options(cmd, o.sampler, ctx);
  cmd->add_option("-o,--output", o.output, "Output directory (samples.tsv, run_info.json)")->required();
  cmd->callback([&ctx, argv] {
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    auto model = io::load_model(o.model);
    if (!accept(model, ctx)) return;
    auto space = FluxSpace::build(model.value());
    if (!accept(space, ctx)) return;
    const FluxSpace& fs = space.value();
    auto setup = sampler_setup(o.sampler, model.value(), o.model, fs, info, ctx);
    if (!setup) return;
    auto sampler = sampling::FluxSetSampler::create(model.value(), fs, setup->constraints, setup->options);
    if (!accept(sampler, ctx)) return;
    sampling::FluxSetSampler& s = sampler.value();

    const auto drawn = sampling::draw_flux_samples(s, fs, o.count);
    if (drawn.failed) {
      print_diagnostics({Diagnostic{Severity::error, o.model, 0, 0, {}, "after " + std::to_string(drawn.count) + " flux sets: " + drawn.stopped}});
      ctx.exit_code = kExitFailure;
      return;
    }
    if (!drawn.stopped.empty()) spdlog::warn("{} of the {} flux sets asked for: {}", drawn.count, o.count, drawn.stopped);
    const long written = drawn.count;
    auto dir = io::make_output_directory(o.output);
    if (!accept(dir, ctx)) return;
    const std::string path = o.output + "/samples.tsv";
    if (auto w = io::write_output_file(path, drawn.tsv); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    info.add_input("model", o.model);
    info.set("count", std::to_string(written));
    record_sampler(o.sampler, s, info);
    info.add_output(path);
    info.add_timing("total", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (auto w = info.write(o.output); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    spdlog::info("{} flux sets ({}); wrote {}", written, s.net_method(), path);
  });
}

}  // namespace fluxion::cli
