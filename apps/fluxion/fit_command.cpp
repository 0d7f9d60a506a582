// fluxion fit: least-squares 13C-MFA. The fluxes whose simulated MIDs (and measured
// fluxes) best fit the measurements, from many starting points in parallel, with a χ²
// test, residuals and linearised confidence intervals.
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "commands.hpp"
#include "option_binding.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/progress.hpp"
#include "fluxion/io/flux_table.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/isotope/traced_elements.hpp"
#include "fluxion/mfa/fit.hpp"
#include "fluxion/mfa/fit_inputs.hpp"

namespace fluxion::cli {

namespace {

struct FitCli {
  // bound straight to the library's structs: their defaults are the command's
  mfa::FitInputFiles files;
  mfa::FitOptions fit;
  std::string output, format = "summary";
  std::vector<std::string> natural{"none"}, starts_from, profile;
  int monte_carlo = 0;
};

std::string fmt_num(double v) {
  if (std::isnan(v) || std::isinf(v)) return "NA";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.8g", v);
  return buf;
}

nlohmann::json json_number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

// The command's own options, beside the library's FitInputFiles and FitOptions.
const OptionTable<FitCli>& fit_cli_table() {
  static const OptionTable<FitCli> t = [] {
    OptionTable<FitCli> t;
    t.add("output", &FitCli::output, "Output directory (fluxes.tsv, residuals.tsv, starts.tsv, fit.json, run_info.json)").short_name("o").required();
    t.add("natural-abundance", &FitCli::natural, "Natural abundance of the traced element at unlabelled substrate atoms: none, all, or substrate ids");
    t.add("start-from", &FitCli::starts_from,
          "Flux table (reaction, net, exchange) to start from as well, e.g. fluxion predict's fluxes.tsv (hybrid ML-Flux + MFA); repeatable")
        .file()
        .no_split();
    t.add("profile", &FitCli::profile,
          "Profile-likelihood 95% intervals (parameter continuation) for these fluxes: reaction ids, xch(id), 'net' (every net flux) or 'all' (net and exchange)")
        .no_default();
    t.add("monte-carlo", &FitCli::monte_carlo, "Monte-Carlo 95% intervals from this many data sets drawn around the best fit and refitted (0 = none)").range(0, 100000);
    t.add("format", &FitCli::format, format_help({"summary", "table", "tsv"})).choices({"summary", "table", "tsv"});
    return t;
  }();
  return t;
}

constexpr double kZ95 = 1.959963984540054;  // two-sided 95% normal quantile

}  // namespace

void add_fit_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static FitCli o;
  auto* cmd = app.add_subcommand("fit", "Least-squares 13C-MFA: fit fluxes to measured MIDs and fluxes (multistart SLSQP, χ² test, confidence intervals)");
  bind_options(cmd, mfa::FitInputFiles::table(), o.files, ctx);
  bind_options(cmd, fit_cli_table(), o, ctx);
  bind_options(cmd, mfa::FitOptions::table(), o.fit, ctx);
  cmd->callback([&ctx, argv] {
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    auto fail = [&ctx](const std::vector<Diagnostic>& d) {
      print_diagnostics(d);
      ctx.exit_code = kExitInput;
    };
    auto loaded = mfa::load_fit_inputs(o.files);
    if (!accept(loaded, ctx)) return;
    mfa::FitInputs& inputs = loaded.value();
    const Model& model = inputs.model;
    const FluxSpace& space = *inputs.space;
    const sampling::FluxPolytope& polytope = *inputs.polytope;
    const auto& experiments = inputs.experiments;
    const std::string& tracer_source = inputs.experiments_source;
    const std::string& mids_source = inputs.mids_source;
    mfa::FitOptions options = o.fit;
    int monte_carlo = o.monte_carlo;
    auto labelling = isotope::natural_abundance_labelling(model, o.natural);
    if (!accept(labelling, ctx)) return;
    options.natural_abundance = labelling.value().natural_abundance;
    auto problem = mfa::FitProblem::create(model, space, polytope, experiments, inputs.mids, inputs.measured, options);
    if (!accept(problem, ctx)) return;
    std::vector<Eigen::VectorXd> extra;
    for (const auto& path : o.starts_from) {
      auto v = io::load_flux_table(path, model, space);
      if (!accept(v, ctx)) return;
      extra.push_back(space.full_to_free(v.value()));
    }
    auto profiled = mfa::flux_targets(space, o.profile);
    if (!accept(profiled, ctx)) return;
    std::vector<mfa::FluxTarget> targets = std::move(profiled).value();
    auto made = io::make_output_directory(o.output);
    if (!made) return fail(made.diagnostics());
    const auto t1 = std::chrono::steady_clock::now();

    const bool nothing_free = problem.value().n_fitted() == 0;
    if (nothing_free) {
      // nothing to optimise: the fit evaluates the one flux vector the constraints leave
      spdlog::warn("the equality constraints fix every free flux: fluxion evaluates that one flux vector (SSR, χ² test, residuals), "
                   "every standard error is 0, and there are no intervals to compute");
      targets.clear();
      monte_carlo = 0;
      options.starts = extra.empty() ? 1 : 0;
    }
    spdlog::info("fitting {} measurements with {} free parameters ({} left by the equality constraints) from {} starts",
                 problem.value().n_measurements(), problem.value().n_parameters(), problem.value().n_fitted(),
                 options.starts + static_cast<int>(extra.size()));
    ProgressBar bar("fit", options.starts + static_cast<long>(extra.size()), "starts");
    auto fitted = problem.value().fit(options, extra, [&bar](const Progress& p) { return bar.update(p.done), true; });
    bar.finish();
    if (!fitted) {
      print_diagnostics(fitted.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    const mfa::FitResult& fit = fitted.value();
    const FluxSpace& fs = space;
    std::vector<mfa::ProfileInterval> intervals;
    double profile_seconds = 0;
    if (!targets.empty()) {
      const auto p0 = std::chrono::steady_clock::now();
      ProgressBar pbar("profile", static_cast<long>(targets.size()), "fluxes");
      auto prof = problem.value().profile(fit, targets, 0.95, options, [&pbar](const Progress& p) { return pbar.update(p.done), true; });
      pbar.finish();
      if (!prof) {
        print_diagnostics(prof.diagnostics());
        ctx.exit_code = kExitFailure;
        return;
      }
      intervals = prof.value();
      profile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - p0).count();
    }

    // fluxes.tsv
    std::vector<io::FluxResultColumn> columns{{"net", {}}, {"net_se", {}}, {"net_ci95_low", {}}, {"net_ci95_high", {}}, {"exchange", {}}, {"exchange_se", {}}};
    nlohmann::json jfluxes = nlohmann::json::array();
    const auto& ex = fs.exchange_columns();
    for (Eigen::Index c = 0; c < fs.n_columns(); ++c) {
      const bool has_xch = std::binary_search(ex.begin(), ex.end(), c);
      const double net = fit.fluxes.net(c), se = fit.net_se(c);
      const double row[] = {net, se, net - kZ95 * se, net + kZ95 * se, has_xch ? fit.fluxes.exchange(c) : NAN, has_xch ? fit.exchange_se(c) : NAN};
      for (std::size_t k = 0; k < columns.size(); ++k) columns[k].values.push_back(row[k]);
      nlohmann::json j{{"reaction", fs.column_ids()[static_cast<std::size_t>(c)]}, {"net", net}, {"net_se", json_number(se)}};
      if (has_xch) {
        j["exchange"] = fit.fluxes.exchange(c);
        j["exchange_se"] = json_number(fit.exchange_se(c));
      }
      jfluxes.push_back(std::move(j));
    }
    const std::string fluxes = io::write_flux_results(fs.column_ids(), columns);
    std::string residuals = "kind\texperiment\tname\tisotopologue\tmeasured\tsd\tsimulated\tweighted_residual\n";
    for (const auto& r : fit.residuals)
      residuals += r.kind + '\t' + r.experiment + '\t' + r.name + '\t' + (r.isotopologue >= 0 ? std::to_string(r.isotopologue) : "") + '\t' +
                   fmt_num(r.measured) + '\t' + fmt_num(r.sd) + '\t' + fmt_num(r.simulated) + '\t' + fmt_num(r.weighted()) + '\n';
    std::string starts = "start\tfrom\tssr\tevaluations\tstatus\tseconds\n";
    int near_best = 0;
    for (const auto& s : fit.starts) {
      starts += std::to_string(s.start) + '\t' + (s.extra ? "given" : "sampled") + '\t' + fmt_num(s.ssr) + '\t' +
                std::to_string(s.evaluations) + '\t' + s.status + '\t' + fmt_num(s.seconds) + '\n';
      if (s.ssr <= fit.ssr * 1.01 + 1e-9) ++near_best;
    }
    nlohmann::json summary{{"model", model.id},
                           {"ssr", fit.ssr},
                           {"measurements", fit.n_measurements},
                           {"parameters", fit.n_parameters},
                           {"dof", fit.dof},
                           {"chi2_critical_95", fit.chi2_critical},
                           {"p_value", fit.p_value},
                           {"accepted", fit.accepted()},
                           {"best_start", fit.best_start},
                           {"starts", fit.starts.size()},
                           {"starts_within_1pct_of_best", near_best},
                           {"seconds", fit.seconds},
                           {"solver", "NLopt SLSQP, analytic gradient from EMU sensitivities"},
                           {"confidence_intervals", "linearised: net ± 1.96 SE from (JᵀJ)⁻¹; NA = not identifiable"},
                           {"fluxes", jfluxes}};
    const std::string dir = o.output + "/";
    std::vector<std::pair<std::string, std::string>> files{
        {"fluxes.tsv", fluxes}, {"residuals.tsv", residuals}, {"starts.tsv", starts}};
    double lowest = fit.ssr;
    if (!intervals.empty()) {
      std::string prof = "flux\tvalue\tci95_low\tci95_high\tlow_at_bound\thigh_at_bound\tclosed\tfits\n";
      nlohmann::json jprof = nlohmann::json::array();
      for (const auto& pi : intervals) {
        const bool closed = !pi.low_open && !pi.high_open;
        prof += pi.name + '\t' + fmt_num(pi.value) + '\t' + fmt_num(pi.low) + '\t' + fmt_num(pi.high) + '\t' +
                (pi.low_at_bound ? "yes" : "no") + '\t' + (pi.high_at_bound ? "yes" : "no") + '\t' + (closed ? "yes" : "no") + '\t' +
                std::to_string(pi.fits) + '\n';
        jprof.push_back({{"flux", pi.name}, {"value", pi.value}, {"low", pi.low}, {"high", pi.high},
                         {"low_at_bound", pi.low_at_bound}, {"high_at_bound", pi.high_at_bound}, {"closed", closed}});
        lowest = std::min(lowest, pi.lowest_ssr);
      }
      files.emplace_back("profile.tsv", prof);
      summary["profile_likelihood"] = {{"confidence", 0.95}, {"seconds", profile_seconds}, {"intervals", jprof}, {"lowest_ssr_seen", lowest}};
    }
    if (monte_carlo > 0) {
      const auto m0 = std::chrono::steady_clock::now();
      ProgressBar mbar("monte carlo", monte_carlo, "data sets");
      auto mc = problem.value().monte_carlo(fit, monte_carlo, options, [&mbar](const Progress& p) { return mbar.update(p.done), true; });
      mbar.finish();
      if (!mc) {
        print_diagnostics(mc.diagnostics());
        ctx.exit_code = kExitFailure;
        return;
      }
      const auto& m = mc.value();
      std::string tsv = "reaction\tnet\tnet_mc_low\tnet_mc_high\tnet_mc_sd\texchange\texchange_mc_low\texchange_mc_high\texchange_mc_sd\n";
      for (Eigen::Index c = 0; c < fs.n_columns(); ++c) {
        const bool has_xch = std::binary_search(ex.begin(), ex.end(), c);
        tsv += fs.column_ids()[static_cast<std::size_t>(c)] + '\t' + fmt_num(fit.fluxes.net(c)) + '\t' + fmt_num(m.net_low(c)) + '\t' +
               fmt_num(m.net_high(c)) + '\t' + fmt_num(m.net_sd(c)) + '\t' +
               (has_xch ? fmt_num(fit.fluxes.exchange(c)) + '\t' + fmt_num(m.exchange_low(c)) + '\t' + fmt_num(m.exchange_high(c)) + '\t' +
                              fmt_num(m.exchange_sd(c))
                        : std::string("NA\tNA\tNA\tNA")) +
               '\n';
      }
      files.emplace_back("monte_carlo.tsv", tsv);
      const double mc_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m0).count();
      summary["monte_carlo"] = {{"replicates", m.replicates}, {"failed", m.failed}, {"seconds", mc_seconds},
                                {"method", "data drawn around the best fit's simulated values (sd of each measurement), refitted from the best fit; 2.5 and 97.5 % quantiles"}};
      info.add_timing("monte_carlo", mc_seconds);
      std::fprintf(summary_stream(o.format), "Monte-Carlo intervals from %d data sets (%d failed) in %.2f s (monte_carlo.tsv)\n", m.replicates, m.failed, mc_seconds);
    }
    files.emplace_back("fit.json", summary.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    for (const auto& [name, text] : files) {
      if (auto w = io::write_output_file(dir + name, text); !w) {
        print_diagnostics(w.diagnostics());
        ctx.exit_code = kExitFailure;
        return;
      }
      info.add_output(dir + name);
    }
    info.add_input("model", o.files.model);
    info.add_input("experiments", tracer_source);
    info.add_input("mids", mids_source);
    if (!o.files.mfapy_status.empty()) info.add_input("mfapy_status", o.files.mfapy_status);
    if (!o.files.constraints.empty()) info.add_input("constraints", o.files.constraints);
    if (!o.files.measured_fluxes.empty()) info.add_input("measured_fluxes", o.files.measured_fluxes);
    for (const auto& p : o.starts_from) info.add_input("start_from", p);
    info.set("natural_abundance_at_unlabelled_substrate_atoms", isotope::natural_abundance_text(o.natural));
    info.set("starts", std::to_string(options.starts));
    info.set("exchange_max", fmt_num(o.files.exchange_max));
    info.set("exchange_floor", fmt_num(o.fit.exchange_floor));
    info.set("seed", std::to_string(o.fit.seed));
    info.set("solver", "NLopt SLSQP");
    info.add_timing("load", std::chrono::duration<double>(t1 - t0).count());
    info.add_timing("fit", fit.seconds);
    if (!intervals.empty()) info.add_timing("profile", profile_seconds);
    if (auto w = info.write(o.output); !w) return fail(w.diagnostics());

    std::FILE* out = summary_stream(o.format);
    std::fprintf(out, "SSR %.4g with %d measurements and %d free parameters: dof %d, 95%% threshold %.4g, p = %.3g: %s\n", fit.ssr,
                fit.n_measurements, fit.n_parameters, fit.dof, fit.chi2_critical, fit.p_value,
                fit.accepted() ? "the fit is statistically acceptable" : "REJECTED by the χ² test");
    std::fprintf(out, "best of %zu starts (start %d); %d within 1%% of its SSR; %.2f s\n", fit.starts.size(), fit.best_start, near_best, fit.seconds);
    if (!intervals.empty())
      std::fprintf(out, "profile-likelihood intervals of %zu fluxes in %.2f s (profile.tsv)\n", intervals.size(), profile_seconds);
    if (lowest < fit.ssr - std::max(0.05, 1e-3 * fit.ssr))  // a different optimum, not rounding
      std::fprintf(out, "note: the profiles met an SSR of %.4g, below the best fit's: the starts missed the optimum; run again with more --starts\n", lowest);
    if (o.format == "table") {
      std::printf("\n%-16s %12s %12s   %s\n", "reaction", "net", "95% CI ±", "exchange");
      for (Eigen::Index c = 0; c < fs.n_columns(); ++c) {
        const bool has_xch = std::binary_search(ex.begin(), ex.end(), c);
        std::printf("%-16s %12.5g %12s   %s\n", fs.column_ids()[static_cast<std::size_t>(c)].c_str(), fit.fluxes.net(c),
                    std::isfinite(fit.net_se(c)) ? fmt_num(kZ95 * fit.net_se(c)).c_str() : "n.i.",
                    has_xch ? fmt_num(fit.fluxes.exchange(c)).c_str() : "");
      }
    }
    if (o.format == "tsv") std::fputs(fluxes.c_str(), stdout);
  });
}

}  // namespace fluxion::cli
