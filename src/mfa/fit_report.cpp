#include "fluxion/mfa/fit_report.hpp"

#include <nlohmann/json.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "fluxion/io/flux_table.hpp"
#include "fluxion/io/run_info.hpp"

namespace fluxion::mfa {

namespace {

constexpr double kZ95 = 1.959963984540054;  // two-sided 95 % normal quantile

std::string number(double v) {
  if (std::isnan(v) || std::isinf(v)) return "NA";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.8g", v);
  return buf;
}

nlohmann::json json_number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

bool has_exchange(const FluxSpace& space, Eigen::Index c) {
  const auto& ex = space.exchange_columns();
  return std::binary_search(ex.begin(), ex.end(), c);
}

}  // namespace

bool FitReport::near_best(const StartResult& s) const { return s.ssr <= fit.ssr + std::max(0.01 * fit.ssr, 0.5); }

int FitReport::starts_near_best() const {
  int near = 0;
  for (const auto& s : fit.starts)
    if (near_best(s)) ++near;
  return near;
}

double FitReport::lowest_ssr() const {
  double lowest = fit.ssr;
  for (const auto& p : profile) lowest = std::min(lowest, p.lowest_ssr);
  return lowest;
}

bool FitReport::profiles_found_lower_ssr() const { return lowest_ssr() < fit.ssr - std::max(0.05, 1e-3 * fit.ssr); }

std::string FitReport::fluxes_tsv(const FluxSpace& space) const {
  std::vector<io::FluxResultColumn> columns{{"net", {}}, {"net_se", {}}, {"net_ci95_low", {}}, {"net_ci95_high", {}}, {"exchange", {}}, {"exchange_se", {}}};
  for (Eigen::Index c = 0; c < space.n_columns(); ++c) {
    const bool xch = has_exchange(space, c);
    const double net = fit.fluxes.net(c), se = fit.net_se(c);
    const double row[] = {net, se, net - kZ95 * se, net + kZ95 * se, xch ? fit.fluxes.exchange(c) : NAN, xch ? fit.exchange_se(c) : NAN};
    for (std::size_t k = 0; k < columns.size(); ++k) columns[k].values.push_back(row[k]);
  }
  return io::write_flux_results(space.column_ids(), columns);
}

std::string FitReport::residuals_tsv() const {
  const bool times = !fit.times.empty();  // a time course: each MID's time after the switch to the tracers
  std::string out = std::string("kind\texperiment\tname\t") + (times ? "time\t" : "") + "isotopologue\tmeasured\tsd\tsimulated\tweighted_residual\n";
  for (const auto& r : fit.residuals)
    out += r.kind + '\t' + r.experiment + '\t' + r.name + '\t' + (times ? (r.time >= 0 ? number(r.time) : std::string()) + '\t' : std::string()) +
           (r.isotopologue >= 0 ? std::to_string(r.isotopologue) : "") + '\t' + number(r.measured) + '\t' + number(r.sd) + '\t' + number(r.simulated) +
           '\t' + number(r.weighted()) + '\n';
  return out;
}

std::string FitReport::pools_tsv() const {
  if (fit.times.empty()) return {};
  // with Monte Carlo, its 2.5 and 97.5 % quantiles of each pool beside the linearised interval
  const bool mc = monte_carlo && monte_carlo->pool_low.size() == static_cast<Eigen::Index>(fit.pools.size());
  std::string out = std::string("metabolite\tsize\tse\tci95_low\tci95_high\tfitted\tlower\tupper") + (mc ? "\tmc_low\tmc_high\n" : "\n");
  for (std::size_t k = 0; k < fit.pools.size(); ++k) {
    const auto& p = fit.pools[k];
    const bool seen = std::isfinite(p.se);
    out += p.metabolite + '\t' + number(p.size) + '\t' + number(p.se) + '\t' + (seen ? number(std::max(p.lower, p.size - kZ95 * p.se)) : "NA") + '\t' +
           (seen ? number(std::min(p.upper, p.size + kZ95 * p.se)) : "NA") + '\t' + (p.fitted ? "yes" : "no") + '\t' + number(p.lower) + '\t' +
           number(p.upper);
    if (mc) {
      const auto j = static_cast<Eigen::Index>(k);
      out += '\t' + number(monte_carlo->pool_low(j)) + '\t' + number(monte_carlo->pool_high(j));
    }
    out += '\n';
  }
  return out;
}

std::string FitReport::starts_tsv() const {
  std::string out = "start\tfrom\tssr\tevaluations\tstatus\tseconds\treached_best\n";
  for (const auto& s : fit.starts)
    out += std::to_string(s.start) + '\t' + (s.extra ? "given" : s.perturbed ? "perturbed" : "sampled") + '\t' + number(s.ssr) + '\t' +
           std::to_string(s.evaluations) + '\t' + s.status + '\t' + number(s.seconds) + '\t' + (near_best(s) ? "yes" : "no") + '\n';
  return out;
}

std::string FitReport::profile_doubt(const ProfileInterval& p) const {
  std::string why;
  if (p.low_unconverged || p.high_unconverged)
    why = std::string("the refits at its ") + (p.low_unconverged && p.high_unconverged ? "two ends" : p.low_unconverged ? "lower end" : "upper end") +
          " did not converge";
  if (monte_carlo && !p.low_open && !p.high_open) {
    const auto c = p.target.column;
    const auto& m = *monte_carlo;
    double mc = p.target.exchange ? m.exchange_high(c) - m.exchange_low(c) : m.net_high(c) - m.net_low(c);
    if (p.target.pool >= 0) {  // "pool(id)": its Monte-Carlo interval among FitResult::pools
      mc = std::nan("");
      for (std::size_t k = 0; k < fit.pools.size() && static_cast<Eigen::Index>(k) < m.pool_low.size(); ++k)
        if ("pool(" + fit.pools[k].metabolite + ")" == p.name) mc = m.pool_high(static_cast<Eigen::Index>(k)) - m.pool_low(static_cast<Eigen::Index>(k));
    }
    // (a Monte-Carlo width of rounding, as of a fixed flux, 1e-14, says nothing)
    if (std::isfinite(mc) && mc > 1e-9 * (1 + std::fabs(p.value)) && p.high - p.low < 0.5 * mc) {
      char text[160];
      std::snprintf(text, sizeof text, "narrower (%.4g) than half the Monte-Carlo interval (%.4g)", p.high - p.low, mc);
      why += (why.empty() ? "" : "; ") + std::string(text);
    }
  }
  return why;
}

std::string FitReport::profile_tsv() const {
  if (profile.empty()) return {};
  std::string out = "flux\tvalue\tci95_low\tci95_high\tlow_at_bound\thigh_at_bound\tclosed\tfits\trescued\tconverged\tdoubt\n";
  for (const auto& p : profile) {
    const bool closed = !p.low_open && !p.high_open;
    const std::string doubt = profile_doubt(p);
    out += p.name + '\t' + number(p.value) + '\t' + number(p.low) + '\t' + number(p.high) + '\t' + (p.low_at_bound ? "yes" : "no") + '\t' +
           (p.high_at_bound ? "yes" : "no") + '\t' + (closed ? "yes" : "no") + '\t' + std::to_string(p.fits) + '\t' + std::to_string(p.rescued) + '\t' +
           (p.low_unconverged || p.high_unconverged ? "no" : "yes") + '\t' + (doubt.empty() ? "NA" : doubt) + '\n';
  }
  return out;
}

std::string FitReport::monte_carlo_tsv(const FluxSpace& space) const {
  if (!monte_carlo) return {};
  const auto& m = *monte_carlo;
  std::string out = "reaction\tnet\tnet_mc_low\tnet_mc_high\tnet_mc_sd\texchange\texchange_mc_low\texchange_mc_high\texchange_mc_sd\n";
  for (Eigen::Index c = 0; c < space.n_columns(); ++c) {
    out += space.column_ids()[static_cast<std::size_t>(c)] + '\t' + number(fit.fluxes.net(c)) + '\t' + number(m.net_low(c)) + '\t' + number(m.net_high(c)) +
           '\t' + number(m.net_sd(c)) + '\t' +
           (has_exchange(space, c) ? number(fit.fluxes.exchange(c)) + '\t' + number(m.exchange_low(c)) + '\t' + number(m.exchange_high(c)) + '\t' +
                                         number(m.exchange_sd(c))
                                   : std::string("NA\tNA\tNA\tNA")) +
           '\n';
  }
  return out;
}

std::string FitReport::json(const FluxSpace& space) const {
  nlohmann::json fluxes = nlohmann::json::array();
  for (Eigen::Index c = 0; c < space.n_columns(); ++c) {
    nlohmann::json j{{"reaction", space.column_ids()[static_cast<std::size_t>(c)]}, {"net", fit.fluxes.net(c)}, {"net_se", json_number(fit.net_se(c))}};
    if (has_exchange(space, c)) {
      j["exchange"] = fit.fluxes.exchange(c);
      j["exchange_se"] = json_number(fit.exchange_se(c));
    }
    fluxes.push_back(std::move(j));
  }
  nlohmann::json out{{"model", model_id},
                     {"ssr", fit.ssr},
                     {"measurements", fit.n_measurements},
                     {"parameters", fit.n_parameters},
                     {"dof", fit.dof},
                     {"chi2_critical_95", fit.chi2_critical},
                     {"p_value", fit.p_value},
                     {"accepted", fit.accepted()},
                     {"best_start", fit.best_start},
                     {"starts", fit.starts.size()},
                     {"starts_reached_best", starts_near_best()},  // within 1 % of the best SSR, or 0.5
                     {"perturbed_starts", std::count_if(fit.starts.begin(), fit.starts.end(), [](const StartResult& s) { return s.perturbed; })},
                     {"perturbed_starts_reached_best", std::count_if(fit.starts.begin(), fit.starts.end(), [&](const StartResult& s) { return s.perturbed && near_best(s); })},
                     {"seconds", fit.seconds},
                     {"solver", fit.solver == "ipopt-gn" ? "Ipopt (interior point), Gauss-Newton Hessian 2 JᵀJ and gradient from EMU sensitivities"
                                : fit.solver == "lm"     ? "Levenberg-Marquardt, Jacobian from EMU sensitivities, steps by a dual active-set QP (Goldfarb-Idnani)"
                                                         : "NLopt SLSQP, analytic gradient from EMU sensitivities"},
                     {"confidence_intervals", "linearised: net ± 1.96 SE from (JᵀJ)⁻¹; NA = not identifiable"},
                     {"fluxes", fluxes}};
  out["exchange_parameters"] = {{"kind", fit.exchange_parameters}, {"scale", fit.exchange_scale}, {"ratio_exchange_fluxes", fit.ratio_exchanges},
                                 {"meaning", fit.ratio_exchanges > 0 ? "those exchange fluxes fitted as x/(scale + x); every flux here is in flux units"
                                                                     : "every exchange flux fitted as it is"}};
  if (!fit.times.empty()) {
    nlohmann::json pools = nlohmann::json::array();
    for (const auto& p : fit.pools)
      pools.push_back({{"metabolite", p.metabolite}, {"size", p.size}, {"se", json_number(p.se)}, {"fitted", p.fitted}, {"lower", p.lower}, {"upper", p.upper}});
    out["time_course"] = {{"times", fit.times},
                          {"simulation", "non-stationary EMU balances C·dX/dt = A·X + B·Y from the unlabelled state at t = 0, SDIRK2 with step doubling"},
                          {"pools", pools}};
  }
  if (!fit.scale_factors.empty()) {
    nlohmann::json scales = nlohmann::json::array();
    for (const auto& sf : fit.scale_factors) scales.push_back({{"experiment", sf.experiment}, {"mid", sf.name}, {"factor", sf.value}});
    out["scale_factors"] = scales;  // measured = factor × simulated, one per scaled MID (counted in "parameters")
  }
  if (!profile.empty()) {
    nlohmann::json intervals = nlohmann::json::array();
    for (const auto& p : profile)
      intervals.push_back({{"flux", p.name}, {"value", p.value}, {"low", p.low}, {"high", p.high}, {"low_at_bound", p.low_at_bound},
                           {"high_at_bound", p.high_at_bound}, {"closed", !p.low_open && !p.high_open}, {"rescued", p.rescued},
                           {"converged", !p.low_unconverged && !p.high_unconverged},
                           {"doubt", profile_doubt(p).empty() ? nlohmann::json(nullptr) : nlohmann::json(profile_doubt(p))}});
    out["profile_likelihood"] = {{"confidence", 0.95}, {"seconds", profile_seconds}, {"intervals", intervals}, {"lowest_ssr_seen", lowest_ssr()}};
  }
  if (monte_carlo)
    out["monte_carlo"] = {{"replicates", monte_carlo->replicates},
                          {"failed", monte_carlo->failed},
                          {"seconds", monte_carlo_seconds},
                          {"method", "data drawn around the best fit's simulated values (sd of each measurement), refitted from the best fit; 2.5 and 97.5 % quantiles"}};
  return out.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::vector<std::pair<std::string, std::string>> FitReport::files(const FluxSpace& space) const {
  std::vector<std::pair<std::string, std::string>> out{{"fluxes.tsv", fluxes_tsv(space)}, {"residuals.tsv", residuals_tsv()}, {"starts.tsv", starts_tsv()}};
  if (!fit.times.empty()) out.emplace_back("pools.tsv", pools_tsv());
  if (!profile.empty()) out.emplace_back("profile.tsv", profile_tsv());
  if (monte_carlo) out.emplace_back("monte_carlo.tsv", monte_carlo_tsv(space));
  out.emplace_back("fit.json", json(space));
  return out;
}

Result<std::vector<std::string>> FitReport::write(const std::string& directory, const FluxSpace& space) const {
  return io::write_output_files(directory, files(space));
}

std::string FitReport::summary() const {
  std::string out;
  char line[512];
  if (monte_carlo) {
    std::snprintf(line, sizeof line, "Monte-Carlo intervals from %d data sets (%d failed) in %.2f s (monte_carlo.tsv)\n", monte_carlo->replicates,
                  monte_carlo->failed, monte_carlo_seconds);
    out += line;
  }
  std::snprintf(line, sizeof line, "SSR %.4g with %d measurements and %d free parameters%s: dof %d, 95%% threshold %.4g, p = %.3g: %s\n", fit.ssr,
                fit.n_measurements, fit.n_parameters,
                fit.scale_factors.empty() ? "" : (" (" + std::to_string(fit.scale_factors.size()) + " of them MID scale factors)").c_str(), fit.dof,
                fit.chi2_critical, fit.p_value, fit.accepted() ? "the fit is statistically acceptable" : "REJECTED by the χ² test");
  out += line;
  if (!fit.times.empty()) {
    int fitted = 0;
    for (const auto& p : fit.pools) fitted += p.fitted ? 1 : 0;
    std::snprintf(line, sizeof line, "time course at %zu times; %zu pools, %d of them fitted (pools.tsv)\n", fit.times.size(), fit.pools.size(), fitted);
    out += line;
  }
  std::snprintf(line, sizeof line, "best of %zu starts (start %d); %d reached its SSR (within 1%% or 0.5; %.0f %%)", fit.starts.size(), fit.best_start,
                starts_near_best(), 100.0 * starts_near_best() / static_cast<double>(std::max<std::size_t>(1, fit.starts.size())));
  out += line;
  int perturbed = 0, perturbed_near = 0;
  for (const auto& s : fit.starts)
    if (s.perturbed) ++perturbed, perturbed_near += near_best(s) ? 1 : 0;
  if (perturbed > 0) {  // the two kinds apart: the sampled starts say how rugged the problem is
    std::snprintf(line, sizeof line, ": %d of %zu sampled, %d of %d perturbed", starts_near_best() - perturbed_near, fit.starts.size() - static_cast<std::size_t>(perturbed),
                  perturbed_near, perturbed);
    out += line;
  }
  std::snprintf(line, sizeof line, "; %.2f s\n", fit.seconds);
  out += line;
  if (!profile.empty()) {
    const bool pools = std::any_of(profile.begin(), profile.end(), [](const ProfileInterval& p) { return p.target.pool >= 0; });
    std::snprintf(line, sizeof line, "profile-likelihood intervals of %zu %s in %.2f s (profile.tsv)\n", profile.size(), pools ? "fluxes and pools" : "fluxes",
                  profile_seconds);
    out += line;
  }
  if (!profile.empty()) {
    int doubtful = 0;
    std::string names;
    for (const auto& p : profile)
      if (const std::string why = profile_doubt(p); !why.empty()) {
        if (++doubtful <= 5) names += "\n  " + p.name + ": " + why;
      }
    if (doubtful > 0) {
      out += "note: " + std::to_string(doubtful) + " profile interval" + (doubtful > 1 ? "s" : "") + " may be too narrow (profile.tsv, column doubt):" + names +
             (doubtful > 5 ? "\n  ..." : "") + "\n";
    }
  }
  if (profiles_found_lower_ssr()) {
    std::snprintf(line, sizeof line, "note: the profiles met an SSR of %.4g, below the best fit's: the starts missed the optimum; run again with more --starts\n",
                  lowest_ssr());
    out += line;
  }
  return out;
}

std::string FitReport::table(const FluxSpace& space) const {
  char line[512];
  std::snprintf(line, sizeof line, "\n%-16s %12s %12s   %s\n", "reaction", "net", "95% CI ±", "exchange");
  std::string out = line;
  for (Eigen::Index c = 0; c < space.n_columns(); ++c) {
    std::snprintf(line, sizeof line, "%-16s %12.5g %12s   %s\n", space.column_ids()[static_cast<std::size_t>(c)].c_str(), fit.fluxes.net(c),
                  std::isfinite(fit.net_se(c)) ? number(kZ95 * fit.net_se(c)).c_str() : "n.i.", has_exchange(space, c) ? number(fit.fluxes.exchange(c)).c_str() : "");
    out += line;
  }
  for (const auto& p : fit.pools) {
    if (!p.fitted) continue;
    std::snprintf(line, sizeof line, "%-16s %12.5g %12s   %s\n", ("pool " + p.metabolite).c_str(), p.size, std::isfinite(p.se) ? number(kZ95 * p.se).c_str() : "n.i.",
                  "");
    out += line;
  }
  return out;
}

}  // namespace fluxion::mfa
