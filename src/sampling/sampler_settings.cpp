#include "fluxion/sampling/sampler_settings.hpp"

#include <algorithm>
#include <cstdlib>

#include "fluxion/core/format.hpp"
#include "fluxion/io/constraint_table.hpp"
#include "fluxion/io/run_info.hpp"

namespace fluxion::sampling {

const OptionTable<SamplerSettings>& SamplerSettings::table() {
  using S = SamplerSettings;
  static const OptionTable<S> t = [] {
    OptionTable<S> t;
    t.add("constraints", &S::constraints, "Extra linear constraints, one per line (docs/formats.md)").short_name("c").file();
    t.add("method", &S::method,
          "Free net fluxes: rejection in the LP box (exactly uniform), ACHR (for thin polytopes), or auto "
          "(rejection unless it accepts nothing in its first 200,000 draws)")
        .choices({"auto", "rejection", "achr"});
    t.add("thinning", &S::thinning, "ACHR steps per flux set (0 = number of free net fluxes)").range(0, 1000000).no_default();
    t.add("exchange", &S::exchange, "Exchange fluxes within their bounds: uniform, log-uniform or log-normal").choices({"uniform", "log-uniform", "log-normal"});
    t.add("exchange-floor", &S::exchange_floor, "Lower end of log-uniform exchange fluxes whose bound is 0").positive();
    t.add("exchange-log-mean", &S::log_mean, "Log-normal exchange: mean of ln(exchange)");
    t.add("exchange-log-sd", &S::log_sd, "Log-normal exchange: sd of ln(exchange)").positive();
    t.add("exchange-set", &S::exchange_sets,
          "A set of exchange bounds (a constraint file) and its share, FILE=SHARE; repeat for a mixture "
          "(ML-Flux GlyPPP: 0.2 / 0.2 / 0.6)")
        .no_default()
        .no_split();
    t.add("cap-fluxes", &S::capped, "Net fluxes whose histograms are capped (ML-Flux CCM: ldh,pdh,ppck,me,mdh,akgdh)").no_default();
    t.add("cap-bins", &S::cap_bins, "Histogram bins per capped flux").range(1, 100000);
    t.add("cap-per-bin", &S::cap_per_bin, "Flux sets allowed per bin").range(1, 1e9);
    t.add("draws", &S::draws, "Stop after this many draws (before the caps); with caps, keep what fits (ML-Flux CCM: 1,000,000 draws kept 117,077)")
        .range(0, 1e10)
        .no_default();
    t.add("normalize", &S::normalize, "Divide every flux set by the net flux of this reaction (as ML-Flux: glucose uptake = 1)");
    t.add("seed", &S::seed, "Random seed");
    return t;
  }();
  return t;
}

std::vector<Diagnostic> SamplerSettings::validate() const { return table().check(*this, "sampler settings"); }

Result<SamplerSetup> resolve_sampler(const SamplerSettings& o, const Model& model, const std::string& model_source, const FluxSpace& fs) {
  using R = Result<SamplerSetup>;
  if (auto problems = o.validate(); !problems.empty()) return R::failure(problems);
  auto error = [](const std::string& where, const std::string& what) { return R::failure({Diagnostic{Severity::error, where, 0, 0, {}, what}}); };
  SamplerSetup s;
  std::vector<Diagnostic> warnings;
  if (!model.relations.empty()) {  // the model's own constraints between fluxes
    auto r = io::model_relations(model, fs, model_source);
    if (!r) return R::failure(r.diagnostics());
    s.constraints = r.value();
  }
  if (!o.constraints.empty()) {
    auto c = io::load_constraint_table(o.constraints, fs);
    if (!c) return R::failure(c.diagnostics());
    warnings.insert(warnings.end(), c.diagnostics().begin(), c.diagnostics().end());
    s.constraints.insert(s.constraints.end(), c.value().begin(), c.value().end());
    s.inputs.emplace_back("constraints", o.constraints);
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
      if (stop == spec.c_str() + eq + 1 || *stop != '\0') return error("--exchange-set", "'" + spec + "': expected FILE=SHARE with a number");
    }
    auto c = io::load_constraint_table(path, fs);
    if (!c) return R::failure(c.diagnostics());
    options.exchange_sets.push_back({path, c.value(), share});
    s.inputs.emplace_back("exchange set (share " + format_number(share) + ")", path);
  }
  // a reaction's column
  auto reaction = [&](const std::string& id) -> std::optional<Eigen::Index> {
    const auto& ids = fs.column_ids();
    const auto c = std::find(ids.begin(), ids.end(), id) - ids.begin();
    if (c < fs.n_reactions()) return c;
    return std::nullopt;
  };
  for (const auto& id : o.capped) {
    const auto c = reaction(id);
    if (!c) return error("--cap-fluxes", "'" + id + "' is not a reaction of the model");
    options.capped_columns.push_back(*c);
  }
  if (!o.normalize.empty()) {
    options.normalize_to = reaction(o.normalize);
    if (!options.normalize_to) return error("--normalize", "'" + o.normalize + "' is not a reaction of the model");
  }
  return R::success(std::move(s), std::move(warnings));
}

std::vector<std::pair<std::string, std::string>> sampler_record(const SamplerSettings& o, const FluxSetSampler& s) {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("method", s.net_method());
  out.emplace_back("acceptance_rate", format_number(s.acceptance_rate()));
  out.emplace_back("exchange", o.exchange);
  if (!o.normalize.empty()) {
    out.emplace_back("normalized_to", o.normalize);
    out.emplace_back("normalisation_rejections", std::to_string(s.normalisation_rejections()));
  }
  if (o.exchange == "log-normal") out.emplace_back("exchange_log_mean_sd", format_number(o.log_mean) + " " + format_number(o.log_sd));
  if (!o.capped.empty()) {
    std::string list;
    for (const auto& id : o.capped) list += (list.empty() ? "" : ",") + id;
    out.emplace_back("histogram_caps", list + ": " + std::to_string(o.cap_bins) + " bins, at most " + std::to_string(o.cap_per_bin) + " per bin");
    out.emplace_back("cap_rejections", std::to_string(s.cap_rejections()));
  }
  out.emplace_back("draws", std::to_string(s.draws()));
  out.emplace_back("seed", std::to_string(o.seed));
  out.emplace_back("lp_solver", "COIN-OR CLP");
  return out;
}

DatasetProvenance::Sampler sampler_provenance(const SamplerSettings& so) {
  DatasetProvenance::Sampler p;
  p.method = so.method;
  p.thinning = so.thinning;
  p.exchange = so.exchange;
  p.exchange_floor = so.exchange_floor;
  p.exchange_log_mean = so.log_mean;
  p.exchange_log_sd = so.log_sd;
  p.exchange_sets = so.exchange_sets;
  p.constraints = so.constraints;
  p.cap_fluxes = so.capped;
  p.cap_bins = so.cap_bins;
  p.cap_per_bin = so.cap_per_bin;
  p.draws = so.draws;
  p.normalize = so.normalize;
  p.seed = so.seed;
  if (!so.constraints.empty()) p.input_sha256["constraints"] = io::sha256_file(so.constraints);
  for (const auto& spec : so.exchange_sets) {
    const auto eq = spec.rfind('=');
    const std::string path = eq == std::string::npos ? spec : spec.substr(0, eq);
    p.input_sha256["exchange set " + path] = io::sha256_file(path);
  }
  return p;
}

}  // namespace fluxion::sampling
