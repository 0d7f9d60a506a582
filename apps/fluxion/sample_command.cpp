// fluxion sample: flux sets uniform in the polytope of a model's bounds and extra
// constraints (free net fluxes by rejection in the LP box or ACHR), exchange fluxes from
// their bounds (uniform or log-uniform, optionally a mixture of bound sets), optionally
// normalised to a reference flux.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>

#include "commands.hpp"
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

    std::string out = "sample";
    for (Eigen::Index c = 0; c < fs.n_reactions(); ++c) out += "\tnet:" + fs.column_ids()[static_cast<std::size_t>(c)];
    for (Eigen::Index c : fs.exchange_columns()) out += "\txch:" + fs.column_ids()[static_cast<std::size_t>(c)];
    out += '\n';
    FluxVector v;
    long written = 0;
    for (long k = 0; k < o.count; ++k, ++written) {
      if (!s.next(v)) {
        if (s.stream_ended()) {
          spdlog::warn("{} of the {} flux sets asked for: {}", k, o.count, s.message());
          break;
        }
        print_diagnostics({Diagnostic{Severity::error, o.model, 0, 0, {}, "after " + std::to_string(k) + " flux sets: " + s.message()}});
        ctx.exit_code = kExitFailure;
        return;
      }
      out += std::to_string(k + 1);
      for (Eigen::Index c = 0; c < fs.n_reactions(); ++c) out += '\t' + format_number(v.net(c));
      for (Eigen::Index c : fs.exchange_columns()) out += '\t' + format_number(v.exchange(c));
      out += '\n';
    }
    auto dir = io::make_output_directory(o.output);
    if (!accept(dir, ctx)) return;
    const std::string path = o.output + "/samples.tsv";
    if (auto w = io::write_output_file(path, out); !w) {
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
