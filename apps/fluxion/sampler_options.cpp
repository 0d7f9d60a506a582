#include "sampler_options.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "fluxion/io/constraint_table.hpp"

namespace fluxion::cli {

void declare_sampler_options(CLI::App* cmd, SamplerCli& o) {
  const std::string g = "Sampling";
  cmd->add_option("-c,--constraints", o.constraints, "Extra linear constraints, one per line (docs/formats.md)")->group(g);
  cmd->add_option("--method", o.method,
                  "Free net fluxes: rejection in the LP box (exactly uniform), ACHR (for thin polytopes), or auto "
                  "(rejection unless it accepts nothing in its first 200,000 draws)")
      ->check(CLI::IsMember({"auto", "rejection", "achr"}))
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--thinning", o.thinning, "ACHR steps per flux set (0 = number of free net fluxes)")->check(Range(0, 1000000))->group(g);
  cmd->add_option("--exchange", o.exchange, "Exchange fluxes within their bounds: uniform, log-uniform or log-normal")
      ->check(CLI::IsMember({"uniform", "log-uniform", "log-normal"}))
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--exchange-floor", o.exchange_floor, "Lower end of log-uniform exchange fluxes whose bound is 0")
      ->check(PositiveNumber)
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--exchange-log-mean", o.log_mean, "Log-normal exchange: mean of ln(exchange)")->capture_default_str()->group(g);
  cmd->add_option("--exchange-log-sd", o.log_sd, "Log-normal exchange: sd of ln(exchange)")->check(PositiveNumber)->capture_default_str()->group(g);
  cmd->add_option("--exchange-set", o.exchange_sets,
                  "A set of exchange bounds (a constraint file) and its share, FILE=SHARE; repeat for a mixture "
                  "(ML-Flux GlyPPP: 0.2 / 0.2 / 0.6)")
      ->group(g);
  cmd->add_option("--cap-fluxes", o.capped, "Net fluxes whose histograms are capped (ML-Flux CCM: ldh,pdh,ppck,me,mdh,akgdh)")
      ->delimiter(',')
      ->group(g);
  cmd->add_option("--cap-bins", o.cap_bins, "Histogram bins per capped flux")->check(Range(1, 100000))->capture_default_str()->group(g);
  cmd->add_option("--cap-per-bin", o.cap_per_bin, "Flux sets allowed per bin")->check(Range(1L, 1000000000L))->capture_default_str()->group(g);
  cmd->add_option("--draws", o.draws,
                  "Stop after this many draws (before the caps); with caps, keep what fits (ML-Flux CCM: 1,000,000 draws kept 117,077)")
      ->check(Range(0L, 10000000000L))
      ->group(g);
  cmd->add_option("--normalize", o.normalize, "Divide every flux set by the net flux of this reaction (as ML-Flux: glucose uptake = 1)")->group(g);
  cmd->add_option("--seed", o.seed, "Random seed")->capture_default_str()->group(g);
}

std::optional<SamplerSetup> sampler_setup(const SamplerCli& o, const Model& model, const std::string& model_source, const FluxSpace& fs, io::RunInfo& info, Context& ctx) {
  SamplerSetup s;
  if (!model.relations.empty()) {  // the model's own constraints between fluxes
    auto r = io::model_relations(model, fs, model_source);
    if (!accept(r, ctx)) return std::nullopt;
    s.constraints = r.value();
  }
  if (!o.constraints.empty()) {
    auto c = io::load_constraint_table(o.constraints, fs);
    if (!accept(c, ctx)) return std::nullopt;
    s.constraints.insert(s.constraints.end(), c.value().begin(), c.value().end());
    info.add_input("constraints", o.constraints);
  }
  FluxSetOptions& options = s.options;
  options.net = o.method == "achr" ? NetSampling::achr : o.method == "rejection" ? NetSampling::rejection : NetSampling::automatic;
  options.thinning = o.thinning;
  options.exchange = o.exchange == "log-uniform"  ? ExchangeSampling::log_uniform
                     : o.exchange == "log-normal" ? ExchangeSampling::log_normal
                                                  : ExchangeSampling::uniform;
  options.log_mu = o.log_mean;
  options.log_sigma = o.log_sd;
  options.cap_bins = o.cap_bins;
  options.cap_per_bin = o.cap_per_bin;
  options.max_draws = o.draws;
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
        return std::nullopt;
      }
    }
    auto c = io::load_constraint_table(path, fs);
    if (!accept(c, ctx)) return std::nullopt;
    options.exchange_sets.push_back({path, c.value(), share});
    info.add_input("exchange set (share " + format_number(share) + ")", path);
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
    if (!c) return std::nullopt;
    options.capped_columns.push_back(*c);
  }
  if (!o.normalize.empty()) {
    options.normalize_to = reaction(o.normalize, "--normalize");
    if (!options.normalize_to) return std::nullopt;
  }
  return s;
}

void record_sampler(const SamplerCli& o, const FluxSetSampler& s, io::RunInfo& info) {
  info.set("method", s.net_method());
  info.set("acceptance_rate", format_number(s.acceptance_rate()));
  info.set("exchange", o.exchange);
  if (!o.normalize.empty()) {
    info.set("normalized_to", o.normalize);
    info.set("normalisation_rejections", std::to_string(s.normalisation_rejections()));
  }
  if (o.exchange == "log-normal") info.set("exchange_log_mean_sd", format_number(o.log_mean) + " " + format_number(o.log_sd));
  if (!o.capped.empty()) {
    std::string list;
    for (const auto& id : o.capped) list += (list.empty() ? "" : ",") + id;
    info.set("histogram_caps", list + ": " + std::to_string(o.cap_bins) + " bins, at most " + std::to_string(o.cap_per_bin) + " per bin");
    info.set("cap_rejections", std::to_string(s.cap_rejections()));
  }
  info.set("draws", std::to_string(s.draws()));
  info.set("seed", std::to_string(o.seed));
  info.set("lp_solver", "COIN-OR CLP");
}

}  // namespace fluxion::cli
