// `fluxion fit` as calls: a plan (the problem, extra starts, profile targets, checked before
// anything runs), then the run (the multistart fit, profile-likelihood and Monte Carlo
// intervals) into a FitReport, whose files, summary and table every front end shares.
//
//   auto inputs = mfa::load_fit_inputs(files);
//   auto plan = mfa::plan_fit(inputs.value(), mfa::FitOptions{}, {});
//   auto report = mfa::run_fit(plan.value(), inputs.value().model.id);
//   std::fputs(report.value().summary().c_str(), stdout);
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/core/run.hpp"
#include "fluxion/mfa/fit.hpp"
#include "fluxion/mfa/fit_inputs.hpp"
#include "fluxion/mfa/fit_report.hpp"

namespace fluxion::mfa {

// What the run computes beside the fit.
struct FitRunOptions {
  std::vector<std::string> natural{"none"};  // natural abundance at unlabelled substrate atoms: none, all, or substrate ids
  std::vector<std::string> starts_from;      // flux tables to start from as well (hybrid ML-Flux + MFA)
  std::vector<std::string> profile;          // fluxes to profile: ids, xch(id), net, all
  int monte_carlo = 0;                       // data sets for Monte-Carlo intervals (0: none)
  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
  static const OptionTable<FitRunOptions>& table();
};

struct FitPlan {
  FitProblem problem;
  FitOptions options;  // the natural abundance set; one start when nothing is free
  std::vector<Eigen::VectorXd> extra_starts;
  std::vector<FluxTarget> targets;
  int monte_carlo = 0;
  std::vector<Diagnostic> notes;  // warnings, e.g. that the constraints fix every free flux

  long starts() const { return options.starts + static_cast<long>(extra_starts.size()); }
  std::string description() const;  // "fitting 40 measurements with 8 free parameters (…) from 101 starts"
};
// `inputs` must outlive the plan (the problem refers to its model, space and polytope).
// Errors: the natural abundance, a start table or a profile target that does not fit the model.
Result<FitPlan> plan_fit(const FitInputs& inputs, const FitOptions& options, const FitRunOptions& run);

// Called as each phase starts ("fit": starts, "profile": fluxes, "monte carlo": data sets);
// the hook it returns gets the phase's progress and is dropped when the phase ends.
using PhaseProgress = std::function<ProgressHook(const std::string& phase, long total, const std::string& unit)>;
// Errors are failures of the computation, not of the input (the plan checked that).
Result<FitReport> run_fit(const FitPlan& plan, const std::string& model_id, const PhaseProgress& progress = {});

// run_info.json's settings of a fit: natural abundance, starts, exchange bounds, seed, solver.
std::vector<std::pair<std::string, std::string>> fit_settings(const FitPlan& plan, const FitInputFiles& files, const FitRunOptions& run);

}  // namespace fluxion::mfa
