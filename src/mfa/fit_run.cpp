// `fluxion fit` as calls (mfa/fit_run.hpp).
#include "fluxion/mfa/fit_run.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "fluxion/core/diagnostic_log.hpp"
#include "fluxion/io/flux_table.hpp"
#include "fluxion/isotope/traced_elements.hpp"

namespace fluxion::mfa {

const OptionTable<FitRunOptions>& FitRunOptions::table() {
  using R = FitRunOptions;
  static const OptionTable<R> t = [] {
    OptionTable<R> t;
    t.add("natural-abundance", &R::natural, "Natural abundance of the traced element at unlabelled substrate atoms: none, all, or substrate ids");
    t.add("start-from", &R::starts_from,
          "Flux table (reaction, net, exchange) to start from as well, e.g. fluxion predict's fluxes.tsv (hybrid ML-Flux + MFA); repeatable")
        .file()
        .no_split();
    t.add("profile", &R::profile,
          "Profile-likelihood 95% intervals (parameter continuation) for these fluxes: reaction ids, xch(id), 'net' (every net flux) or 'all' (net and exchange); "
          "in a time course also pool(id) or 'pools' (every fitted pool)")
        .no_default();
    t.add("monte-carlo", &R::monte_carlo, "Monte-Carlo 95% intervals from this many data sets drawn around the best fit and refitted (0 = none)").range(0, 100000);
    return t;
  }();
  return t;
}

std::vector<Diagnostic> FitRunOptions::validate() const { return table().check(*this, "fit options"); }

std::string FitPlan::description() const {
  return "fitting " + std::to_string(problem.n_measurements()) + " measurements with " + std::to_string(problem.n_parameters()) + " free parameters (" +
         (problem.n_pool_parameters() ? std::to_string(problem.n_pool_parameters()) + " of them pool sizes; " : std::string()) +
         std::to_string(problem.n_fitted()) + " left by the equality constraints)" +
         (problem.n_scale_factors() ? " and " + std::to_string(problem.n_scale_factors()) + " MID scale factors" : std::string()) + " from " +
         std::to_string(starts()) + " starts";
}

Result<FitPlan> plan_fit(const FitInputs& inputs, const FitOptions& fit_options, const FitRunOptions& run) {
  DiagnosticLog log;
  if (auto problems = run.validate(); !problems.empty()) return log.failure<FitPlan>(problems);
  const Model& model = inputs.model;
  const FluxSpace& space = *inputs.space;
  FitOptions options = fit_options;
  auto labelling = isotope::natural_abundance_labelling(model, run.natural);
  if (!log.take(labelling)) return log.failure<FitPlan>();
  options.natural_abundance = labelling.value().natural_abundance;
  auto problem = FitProblem::create(model, space, *inputs.polytope, inputs.experiments, inputs.mids, inputs.measured, options, inputs.pools);
  if (!log.take(problem)) return log.failure<FitPlan>();
  std::vector<Eigen::VectorXd> extra;
  for (const auto& path : run.starts_from) {
    auto v = io::load_flux_table(path, model, space);
    if (!log.take(v)) return log.failure<FitPlan>();
    extra.push_back(space.full_to_free(v.value()));
  }
  auto targets = flux_targets(space, run.profile);
  if (!log.take(targets)) return log.failure<FitPlan>();
  auto pools = problem.value().pool_targets(run.profile);  // pool(id), pools: fitted pools of a time course
  if (!log.take(pools)) return log.failure<FitPlan>();
  targets.value().insert(targets.value().end(), pools.value().begin(), pools.value().end());
  FitPlan plan{std::move(problem.value()), options, std::move(extra), std::move(targets.value()), run.monte_carlo, {}};
  if (plan.problem.n_fitted() == 0) {
    // nothing to optimise: the fit evaluates the one flux vector the constraints leave
    plan.notes.push_back(Diagnostic{Severity::warning, "", 0, 0, {},
                                    "the equality constraints fix every free flux: fluxion evaluates that one flux vector (SSR, χ² test, residuals), "
                                    "every standard error is 0, and there are no intervals to compute"});
    plan.targets.clear();
    plan.monte_carlo = 0;
    plan.options.starts = plan.extra_starts.empty() ? 1 : 0;
  }
  return log.success<FitPlan>(std::move(plan));
}

Result<FitReport> run_fit(const FitPlan& plan, const std::string& model_id, const PhaseProgress& progress) {
  DiagnosticLog log;
  using Clock = std::chrono::steady_clock;
  auto hook = [&progress](const std::string& phase, long total, const std::string& unit) {
    return progress ? progress(phase, total, unit) : ProgressHook{};
  };
  FitReport report;
  report.model_id = model_id;
  {
    auto fitted = plan.problem.fit(plan.options, plan.extra_starts, hook("fit", plan.starts(), "starts"));
    if (!log.take(fitted)) return log.failure<FitReport>();
    report.fit = std::move(fitted).value();
  }
  if (!plan.targets.empty()) {
    const auto p0 = Clock::now();
    auto profiled = plan.problem.profile(report.fit, plan.targets, 0.95, plan.options, hook("profile", static_cast<long>(plan.targets.size()), "fluxes"));
    if (!log.take(profiled)) return log.failure<FitReport>();
    report.profile = std::move(profiled).value();
    report.profile_seconds = std::chrono::duration<double>(Clock::now() - p0).count();
  }
  if (plan.monte_carlo > 0) {
    const auto m0 = Clock::now();
    auto mc = plan.problem.monte_carlo(report.fit, plan.monte_carlo, plan.options, hook("monte carlo", plan.monte_carlo, "data sets"));
    if (!log.take(mc)) return log.failure<FitReport>();
    report.monte_carlo = std::move(mc).value();
    report.monte_carlo_seconds = std::chrono::duration<double>(Clock::now() - m0).count();
  }
  return log.success<FitReport>(std::move(report));
}

std::vector<std::pair<std::string, std::string>> fit_settings(const FitPlan& plan, const FitInputFiles& files, const FitRunOptions& run) {
  auto number = [](double v) -> std::string {
    if (std::isnan(v) || std::isinf(v)) return "NA";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.8g", v);
    return buf;
  };
  return {{"natural_abundance_at_unlabelled_substrate_atoms", isotope::natural_abundance_text(run.natural)},
          {"starts", std::to_string(plan.options.starts)},
          {"exchange_max", number(files.exchange_max)},
          {"exchange_floor", number(plan.options.exchange_floor)},
          {"exchange_parameters", plan.options.exchange_parameters},
          {"exchange_scale", number(plan.options.exchange_scale)},
          {"seed", std::to_string(plan.options.seed)},
          {"inst_tolerance", plan.problem.time_course() ? number(plan.options.inst_tolerance) : std::string("NA (steady state)")},
          {"solver", plan.options.solver}};
}

}  // namespace fluxion::mfa
