// fluxion fit: least-squares 13C-MFA. The fluxes whose simulated MIDs (and measured
// fluxes) best fit the measurements, from many starting points in parallel, with a χ²
// test, residuals and linearised confidence intervals.
#include <spdlog/spdlog.h>


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
#include "fluxion/mfa/fit_report.hpp"

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
    mfa::FitReport report;
    report.model_id = model.id;
    report.fit = std::move(fitted).value();
    const mfa::FitResult& fit = report.fit;
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
      report.profile = std::move(prof).value();
      report.profile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - p0).count();
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
      report.monte_carlo = std::move(mc).value();
      report.monte_carlo_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m0).count();
      info.add_timing("monte_carlo", report.monte_carlo_seconds);
    }
    if (!write_outputs(ctx, info, o.output, report.files(space))) return;
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
    if (!report.profile.empty()) info.add_timing("profile", report.profile_seconds);
    if (auto w = info.write(o.output); !w) return fail(w.diagnostics());

    std::FILE* out = summary_stream(o.format);
    if (report.monte_carlo)
      std::fprintf(out, "Monte-Carlo intervals from %d data sets (%d failed) in %.2f s (monte_carlo.tsv)\n", report.monte_carlo->replicates,
                   report.monte_carlo->failed, report.monte_carlo_seconds);
    std::fprintf(out, "SSR %.4g with %d measurements and %d free parameters: dof %d, 95%% threshold %.4g, p = %.3g: %s\n", fit.ssr,
                 fit.n_measurements, fit.n_parameters, fit.dof, fit.chi2_critical, fit.p_value,
                 fit.accepted() ? "the fit is statistically acceptable" : "REJECTED by the χ² test");
    std::fprintf(out, "best of %zu starts (start %d); %d within 1%% of its SSR; %.2f s\n", fit.starts.size(), fit.best_start, report.starts_near_best(), fit.seconds);
    if (!report.profile.empty())
      std::fprintf(out, "profile-likelihood intervals of %zu fluxes in %.2f s (profile.tsv)\n", report.profile.size(), report.profile_seconds);
    if (report.profiles_found_lower_ssr())
      std::fprintf(out, "note: the profiles met an SSR of %.4g, below the best fit's: the starts missed the optimum; run again with more --starts\n", report.lowest_ssr());
    if (o.format == "table") {
      std::printf("\n%-16s %12s %12s   %s\n", "reaction", "net", "95% CI ±", "exchange");
      const auto& ex = space.exchange_columns();
      for (Eigen::Index c = 0; c < space.n_columns(); ++c) {
        const bool has_xch = std::binary_search(ex.begin(), ex.end(), c);
        std::printf("%-16s %12.5g %12s   %s\n", space.column_ids()[static_cast<std::size_t>(c)].c_str(), fit.fluxes.net(c),
                    std::isfinite(fit.net_se(c)) ? fmt_num(kZ95 * fit.net_se(c)).c_str() : "n.i.",
                    has_xch ? fmt_num(fit.fluxes.exchange(c)).c_str() : "");
      }
    }
    if (o.format == "tsv") std::fputs(report.fluxes_tsv(space).c_str(), stdout);
  });
}

}  // namespace fluxion::cli
