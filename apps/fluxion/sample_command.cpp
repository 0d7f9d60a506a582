// fluxion sample: flux sets uniform in the polytope of a model's bounds and extra
// constraints (free net fluxes by rejection in the LP box or ACHR), exchange fluxes from
// their bounds (uniform or log-uniform, optionally a mixture of bound sets), optionally
// normalised to a reference flux.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>

#include "commands.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/constraint_table.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/sampling/flux_sets.hpp"

namespace fluxion::cli {

namespace {

struct SampleOptions {
  std::string model, constraints, output, method = "auto", exchange = "uniform", normalize;
  std::vector<std::string> exchange_sets, capped;
  double log_mean = 0.0, log_sd = 1.0;
  int cap_bins = 20;
  long cap_per_bin = 10000;
  long count = 1000;
  int thinning = 0;
  double exchange_floor = 1e-3;
  std::uint64_t seed = 1;
};

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.10g", v);
  return buffer;
}

}  // namespace

void add_sample_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static SampleOptions o;
  auto* cmd = app.add_subcommand("sample", "Sample flux sets uniformly in the polytope of a model's bounds and extra constraints");
  cmd->add_option("-m,--model", o.model, "Model: built-in name or file")->required();
  cmd->add_option("-c,--constraints", o.constraints, "Extra linear constraints, one per line (docs/formats.md)");
  cmd->add_option("-n,--count", o.count, "Number of flux sets")->check(CLI::Range(1L, 100000000L))->capture_default_str();
  cmd->add_option("--method", o.method,
                  "Free net fluxes: rejection in the LP box (exactly uniform), ACHR (for thin polytopes), or auto "
                  "(rejection unless it accepts nothing in its first 200,000 draws)")
      ->check(CLI::IsMember({"auto", "rejection", "achr"}))
      ->capture_default_str();
  cmd->add_option("--thinning", o.thinning, "ACHR steps per flux set (0 = number of free net fluxes)")->check(CLI::Range(0, 1000000));
  cmd->add_option("--exchange", o.exchange, "Exchange fluxes within their bounds: uniform, log-uniform or log-normal")
      ->check(CLI::IsMember({"uniform", "log-uniform", "log-normal"}))
      ->capture_default_str();
  cmd->add_option("--exchange-floor", o.exchange_floor, "Lower end of log-uniform exchange fluxes whose bound is 0")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--exchange-log-mean", o.log_mean, "Log-normal exchange: mean of ln(exchange)")->capture_default_str();
  cmd->add_option("--exchange-log-sd", o.log_sd, "Log-normal exchange: sd of ln(exchange)")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--cap-fluxes", o.capped, "Net fluxes whose histograms are capped (ML-Flux CCM: ldh,pdh,ppck,me,mdh,akgdh)")->delimiter(',');
  cmd->add_option("--cap-bins", o.cap_bins, "Histogram bins per capped flux")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_option("--cap-per-bin", o.cap_per_bin, "Flux sets allowed per bin")->check(CLI::Range(1L, 1000000000L))->capture_default_str();
  cmd->add_option("--exchange-set", o.exchange_sets,
                  "A set of exchange bounds (a constraint file) and its share, FILE=SHARE; repeat for a mixture "
                  "(ML-Flux GlyPPP: 0.2 / 0.2 / 0.6)");
  cmd->add_option("--normalize", o.normalize, "Divide every flux set by the net flux of this reaction (as ML-Flux: glucose uptake = 1)");
  cmd->add_option("--seed", o.seed, "Random seed")->capture_default_str();
  cmd->add_option("-o,--output", o.output, "Output directory (samples.tsv, run_info.json)")->required();
  cmd->callback([&ctx, argv] {
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    auto model = io::load_model(o.model);
    if (!accept(model, ctx)) return;
    auto space = FluxSpace::build(model.value());
    if (!accept(space, ctx)) return;
    const FluxSpace& fs = space.value();
    std::vector<LinearConstraint> constraints;
    if (!o.constraints.empty()) {
      auto c = io::load_constraint_table(o.constraints, fs);
      if (!accept(c, ctx)) return;
      constraints = c.value();
      info.add_input("constraints", o.constraints);
    }
    FluxSetOptions options;
    options.net = o.method == "achr" ? NetSampling::achr : o.method == "rejection" ? NetSampling::rejection : NetSampling::automatic;
    options.thinning = o.thinning;
    options.exchange = o.exchange == "log-uniform"  ? ExchangeSampling::log_uniform
                       : o.exchange == "log-normal" ? ExchangeSampling::log_normal
                                                    : ExchangeSampling::uniform;
    options.log_mu = o.log_mean;
    options.log_sigma = o.log_sd;
    options.cap_bins = o.cap_bins;
    options.cap_per_bin = o.cap_per_bin;
    options.exchange_floor = o.exchange_floor;
    options.seed = o.seed;
    for (const auto& spec : o.exchange_sets) {
      const auto eq = spec.rfind('=');
      const std::string path = eq == std::string::npos ? spec : spec.substr(0, eq);
      double share = 1.0;
      if (eq != std::string::npos) {
        char* stop = nullptr;
        share = std::strtod(spec.c_str() + eq + 1, &stop);
        if (stop == spec.c_str() + eq + 1 || *stop != '\0') {
          print_diagnostics({Diagnostic{Severity::error, "--exchange-set", 0, 0, {}, "'" + spec + "': expected FILE=SHARE with a number"}});
          ctx.exit_code = kExitInput;
          return;
        }
      }
      auto c = io::load_constraint_table(path, fs);
      if (!accept(c, ctx)) return;
      options.exchange_sets.push_back({path, c.value(), share});
      info.add_input("exchange set (share " + number(share) + ")", path);
    }
    // a reaction's column, or an error naming the option
    auto reaction = [&](const std::string& id, const std::string& option) -> std::optional<Eigen::Index> {
      const auto& ids = fs.column_ids();
      const auto c = std::find(ids.begin(), ids.end(), id) - ids.begin();
      if (c < fs.n_reactions()) return c;
      print_diagnostics({Diagnostic{Severity::error, option, 0, 0, {}, "'" + id + "' is not a reaction of the model"}});
      ctx.exit_code = kExitInput;
      return std::nullopt;
    };
    for (const auto& id : o.capped) {
      const auto c = reaction(id, "--cap-fluxes");
      if (!c) return;
      options.capped_columns.push_back(*c);
    }
    if (!o.normalize.empty()) {
      options.normalize_to = reaction(o.normalize, "--normalize");
      if (!options.normalize_to) return;
    }
    auto sampler = FluxSetSampler::create(model.value(), fs, constraints, options);
    if (!accept(sampler, ctx)) return;
    FluxSetSampler& s = sampler.value();

    std::string out = "sample";
    for (Eigen::Index c = 0; c < fs.n_reactions(); ++c) out += "\tnet:" + fs.column_ids()[static_cast<std::size_t>(c)];
    for (Eigen::Index c : fs.exchange_columns()) out += "\txch:" + fs.column_ids()[static_cast<std::size_t>(c)];
    out += '\n';
    FluxVector v;
    for (long k = 0; k < o.count; ++k) {
      if (!s.next(v)) {
        print_diagnostics({Diagnostic{Severity::error, o.model, 0, 0, {}, "after " + std::to_string(k) + " flux sets: " + s.message()}});
        ctx.exit_code = kExitFailure;
        return;
      }
      out += std::to_string(k + 1);
      for (Eigen::Index c = 0; c < fs.n_reactions(); ++c) out += '\t' + number(v.net(c));
      for (Eigen::Index c : fs.exchange_columns()) out += '\t' + number(v.exchange(c));
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
    info.set("count", std::to_string(o.count));
    info.set("method", s.net_method());
    info.set("acceptance_rate", number(s.acceptance_rate()));
    info.set("exchange", o.exchange);
    if (!o.normalize.empty()) {
      info.set("normalized_to", o.normalize);
      info.set("normalisation_rejections", std::to_string(s.normalisation_rejections()));
    }
    if (o.exchange == "log-normal") info.set("exchange_log_mean_sd", number(o.log_mean) + " " + number(o.log_sd));
    if (!o.capped.empty()) {
      std::string list;
      for (const auto& id : o.capped) list += (list.empty() ? "" : ",") + id;
      info.set("histogram_caps", list + ": " + std::to_string(o.cap_bins) + " bins, at most " + std::to_string(o.cap_per_bin) + " per bin");
      info.set("cap_rejections", std::to_string(s.cap_rejections()));
    }
    info.set("seed", std::to_string(o.seed));
    info.set("lp_solver", "COIN-OR CLP");
    info.add_output(path);
    info.add_timing("total", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (auto w = info.write(o.output); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    spdlog::info("{} flux sets ({}); wrote {}", o.count, s.net_method(), path);
  });
}

}  // namespace fluxion::cli
