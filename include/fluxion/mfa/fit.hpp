// Least-squares 13C-MFA: the fluxes whose simulated MIDs (and measured fluxes) best fit
// the measurements.
//
//   minimise  SSR(x) = Σ ((sim_i(x) − meas_i) / sd_i)²   over the free parameters x of a
//   subject to lower ≤ A·x ≤ upper                         FluxSpace (free net fluxes,
//                                                          exchange fluxes)
//
// The rows of A are a FluxPolytope's: the model's bounds, fixed fluxes (equalities) and
// the user's constraints. Equalities are eliminated first (x = x0 + N·z, N an orthonormal
// basis of their null space). The default solver is Levenberg–Marquardt on the weighted
// residuals with their Jacobian from the EMU sensitivities, each step a quadratic program
// under the inequalities (least_squares.hpp), the kinks of the one-way fluxes at net = 0
// crossed explicitly; NLopt's SLSQP on the SSR (gradient 2·Jᵀr) and Ipopt with a
// Gauss–Newton Hessian are options. Starts are sampled uniformly in the polytope
// (ACHR) and run in parallel, one EMU simulator per thread; extra starts (an ML-Flux
// prediction: the hybrid mode) are projected onto the equalities and run first.
//
// Statistics at the best fit: χ² test with dof = measurements − parameters (after the
// equalities), residuals per measurement, and linearised standard errors of every net
// and exchange flux from (JᵀJ)⁻¹ in the reduced parameters; a flux that moves along a
// direction the data do not see (a singular value below 1e-8 of the largest) is reported
// as not identifiable (infinite SE).
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/core/run.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/isotope/emu.hpp"
#include "fluxion/isotope/measured_mids.hpp"
#include "fluxion/sampling/polytope.hpp"

namespace fluxion::mfa {

struct FitOptions {
  int starts = 10;                // sampled starting points (besides the extra ones)
  int threads = 0;                // 0 = hardware threads
  std::uint64_t seed = 1;
  int max_evaluations = 3000;     // per start
  int restarts = 5;               // SLSQP restarts from where it stopped, while the SSR still falls
  double relative_tolerance = 1e-9;  // SLSQP: stop when SSR changes by less (relative)
  // sampled starts redraw each exchange flux log-uniformly between max(lower,
  // exchange_floor·upper) and upper: SLSQP climbs out of small exchange fluxes easily but
  // hardly comes down from large ones, where the MIDs no longer respond
  double exchange_floor = 1e-3;
  // starts after the others from the best of them perturbed (basin hopping): each exchange
  // flux scaled by e^N(0,0.5²) within its range, the net fluxes moved a tenth of the way to
  // a uniform point of the polytope; -1 = as many as `starts`. By default 10 sampled and 10
  // perturbed: on Park 2016, 8 of 10 sampled starts end in a true local minimum (glycolysis
  // below 3-PG backwards, SSR 5,461), and all 10 perturbed ones at the best SSR, 1,541.4
  // (with a fifth and e^N(0,1), 5 of 10; 4 stopped at 1,557); docs/benchmarks.md
  int perturbed_starts = -1;
  // "flux" (each exchange flux is its own parameter) or "ratio" (an exchange flux x that
  // only its bounds constrain is fitted as y = x/(β + x) in [0, 1), as 13CFLUX and
  // influx_si scale them: the MIDs stop responding to large x, not to y near 1, so a fit
  // can come down from a large exchange flux); results are in flux units either way.
  // "ratio" by default: on Park 2016 it reached SSR 1,541–1,546 in 39–55 s where "flux"
  // took 78–85 s; on the mfapy and influx_si data both reach the same optimum from as many
  // starts (docs/benchmarks.md, bench/fit_exchange_parameters.sh)
  std::string exchange_parameters = "ratio";
  double exchange_scale = 0;      // β of the ratio scale; 0 = the median size of the measured fluxes, or 1 without any
  // "lm" (Levenberg–Marquardt on the residuals, each step a QP under the inequalities, the
  // one-way flux kinks crossed explicitly), "slsqp" (SLSQP on the SSR) or "ipopt-gn"
  // (Ipopt, interior point, Gauss–Newton Hessian of the residuals)
  std::string solver = "lm";
  // the cheap pre-fit: each sampled start first moved to where it fits the measured fluxes
  // (off by default: on mfapy's E. coli it lowered the share of starts that reach the best
  // SSR, and on Park 2016 it did not move starts out of the wrong basin)
  bool prefit = false;
  // profile likelihood with "lm": a refit that ends the interval is tried again from this
  // many points drawn uniformly in the polytope
  int profile_starts = 4;
  double default_mid_sd = 0.0;    // sd of a measured fraction that has none; 0 = such fractions are an error
  // time courses (MIDs with a time): the tolerance of the non-stationary simulation on every
  // fraction (InstationaryOptions::tolerance)
  double inst_tolerance = 1e-5;
  std::vector<std::string> natural_abundance;  // substrates with natural abundance at unlabelled atoms ("*" = all)

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
  static const OptionTable<FitOptions>& table();  // the options a front end offers
};

// A metabolite pool of a non-stationary (time-course) fit: its size fixed, or fitted
// between bounds (and, with an sd, also measured). Sizes are in flux units × time units.
struct FitPool {
  std::string metabolite;
  double size = 0;            // the fixed size, or the start (and the scale) of a fitted one
  bool fitted = false;        // a free parameter in [lower, upper]
  double lower = 0, upper = 0;
  double sd = 0;              // > 0: `size` is also a measurement with this sd (a residual)
  int line = 0;               // where the input gives it (0: a default)
  std::string source;
  bool optional = false;      // a default, or a sheet's row for every metabolite: not used, no warning
};

// One measured value and its fit.
struct Residual {
  std::string kind;        // "mid", "flux" or "pool"
  std::string experiment;  // MIDs
  std::string name;        // fragment as the input names it, the measured flux or the pool's metabolite
  int isotopologue = -1;   // MIDs
  double time = -1;        // MIDs of a time course; < 0: steady state
  double measured = 0, sd = 0, simulated = 0;
  double weighted() const { return (simulated - measured) / sd; }
};

// The factor of a MID measured up to one (MeasuredMid::scaled) at the best fit: the
// measured values compare with factor × simulated.
struct ScaleFactor {
  std::string experiment, name;
  double value = 1;
};

struct StartResult {
  int start = 0;          // 0-based; extra starts first
  bool extra = false;     // given, not sampled
  bool perturbed = false; // the best of the earlier starts, perturbed (FitOptions::perturbed_starts)
  double ssr = 0;
  int evaluations = 0;
  std::string status;     // NLopt's result ("converged (ftol)", "max evaluations", "failed: ...")
  double seconds = 0;
  Eigen::VectorXd x;      // free parameters
};

// A pool size at the best fit of a time course.
struct PoolEstimate {
  std::string metabolite;
  double size = 0;
  bool fitted = false;
  double se = 0;                 // linearised; 0 when fixed, inf when the data do not see it
  double lower = 0, upper = 0;   // the bounds of a fitted pool
};

struct FitResult {
  std::string solver;          // FitOptions::solver
  Eigen::VectorXd x;           // free parameters of the best fit (free fluxes, then the fitted pools)
  std::vector<double> times;   // the time points of a time-course fit (empty: steady state)
  std::vector<PoolEstimate> pools;  // every simulated pool of a time-course fit
  FluxVector fluxes;           // net and exchange of every column
  double ssr = 0;
  int n_measurements = 0, n_parameters = 0, dof = 0;  // parameters: the free fluxes and the scale factors
  std::vector<ScaleFactor> scale_factors;
  // how the exchange fluxes were parametrised (FitOptions::exchange_parameters): "flux", or
  // "ratio" with its β and the number of exchange fluxes fitted on that scale
  std::string exchange_parameters = "flux";
  double exchange_scale = 0;
  int ratio_exchanges = 0;
  double chi2_critical = 0;    // 95% quantile of χ²(dof)
  double p_value = 0;          // P(χ²(dof) ≥ ssr)
  bool accepted() const { return dof > 0 && ssr <= chi2_critical; }
  Eigen::VectorXd net_se, exchange_se;  // per column; inf = not identifiable; 0 for exchange-less columns
  std::vector<Residual> residuals;
  std::vector<StartResult> starts;  // in start order (a start that never ran: status "not run", SSR inf)
  int best_start = -1;
  // converged (the best start met SLSQP's tolerance), no convergence (it ran out of
  // evaluations), or stopped by the progress hook; usable when a feasible best fit exists
  RunSummary summary;
  double seconds = 0;          // wall time of all starts
};

// A flux whose confidence interval is profiled: a column's net or exchange flux.
struct FluxTarget {
  Eigen::Index column = 0;
  bool exchange = false;
  int pool = -1;  // >= 0: not a flux but the k-th fitted pool of a time course (FitProblem::pool_targets)
};

// The fluxes named by `specs`: reaction ids (net), xch(id) (exchange), "net" (every net
// flux but the leaks) or "all" (and every exchange flux); pool specs (pool(id), "pools")
// are left to FitProblem::pool_targets. Errors name --profile.
Result<std::vector<FluxTarget>> flux_targets(const FluxSpace& space, const std::vector<std::string>& specs);

// A profile-likelihood interval (parameter continuation, as INCA): the values t of the
// flux for which the best fit with the flux held at t has SSR(t) − SSR_min ≤ the χ²(1)
// quantile of the confidence level (3.84 at 95 %).
struct ProfileInterval {
  FluxTarget target;
  std::string name;             // "PGI" or "xch(PGI)"
  double value = 0;             // at the best fit
  double low = 0, high = 0;
  bool low_at_bound = false, high_at_bound = false;  // the polytope ends the interval first
  bool low_open = false, high_open = false;          // continuation stopped before the threshold
  double lowest_ssr = 0;        // the lowest SSR met on the way (below the best fit's: a better optimum)
  int fits = 0;                 // constrained fits it took
  // A refit that lands above the threshold is tried again (with the objective divided by
  // √SSR of its start, then from the linearised optimum along the constraint and from the
  // best fit moved onto it) before the interval ends there: `rescued` counts the steps where another start stayed below it.
  int rescued = 0;
  // the refits that end the interval on this side did not converge (the solver stopped
  // at its evaluation limit or failed from every start): the bound may lie too close
  bool low_unconverged = false, high_unconverged = false;
};

// The measurement model, built once: which simulated fraction each measured one is.
class FitProblem {
 public:
  // `mids`: measured MIDs of the experiments (by id); every fragment must be simulable
  // for its element. `measured_fluxes`: linear combinations of net fluxes with sd.
  // MIDs with a time (MeasuredMid::time >= 0; then all of them) make a non-stationary fit
  // from the switch to the tracers at t = 0: `pools` must then size every pool the
  // simulation uses, and those fitted become parameters after the free fluxes.
  static Result<FitProblem> create(const Model& model, const FluxSpace& space, const sampling::FluxPolytope& polytope,
                                   const std::vector<isotope::TracerExperiment>& experiments, const isotope::MidTable& mids,
                                   const std::vector<MeasuredFlux>& measured_fluxes, const FitOptions& options,
                                   const std::vector<FitPool>& pools = {});

  Eigen::Index n_parameters() const;    // free parameters: of the FluxSpace, then the fitted pools
  Eigen::Index n_pool_parameters() const;  // the fitted pools
  // The fitted pools named by `specs` for profiles: pool(id), or "pools" (every fitted pool);
  // other specs are skipped. Errors name --profile (a pool that is not fitted).
  Result<std::vector<FluxTarget>> pool_targets(const std::vector<std::string>& specs) const;
  bool time_course() const;             // MIDs with times (a non-stationary fit)
  Eigen::Index n_fitted() const;        // of those, left free by the equality constraints
  Eigen::Index n_scale_factors() const; // MIDs measured up to a factor (MeasuredMid::scaled), each fitted with one
  Eigen::Index n_measurements() const;

  // Weighted residuals (sim − meas)/sd and, when asked, their Jacobian in the free
  // parameters. False when a simulation fails (a singular system at these fluxes).
  struct Workspace {  // one thread's simulators and buffers
    std::vector<isotope::EmuSimulator> sims;  // per traced element
    std::vector<isotope::MidSet> out;
    std::vector<Eigen::MatrixXd> jac;
    std::vector<double> scales;  // the scaled MIDs' factors at the last point (MeasuredMid::scaled)
    std::vector<std::vector<isotope::MidSet>> out_t;       // time courses: per element, per time
    std::vector<std::vector<Eigen::MatrixXd>> jac_t;
    std::vector<double> pools;   // every model metabolite's pool size at the last point
  };
  bool residuals(const Eigen::VectorXd& x, Workspace& work, Eigen::VectorXd& r, Eigen::MatrixXd* jacobian) const;
  std::unique_ptr<Workspace> workspace() const;
  // The coordinates the solvers move in (n_fitted() of them): what the equalities leave
  // free, with exchange fluxes on their ratio scale where FitOptions::exchange_parameters
  // says so. reduced(x) of a point on the equalities, point(z) back; the residuals and
  // their Jacobian in z.
  Eigen::VectorXd reduced(const Eigen::VectorXd& x) const;
  Eigen::VectorXd point(const Eigen::VectorXd& z) const;
  bool reduced_residuals(const Eigen::VectorXd& z, Workspace& work, Eigen::VectorXd& r, Eigen::MatrixXd* jacobian) const;

  // Multistart fit. `extra_starts`: free-parameter vectors tried first (hybrid mode).
  // `progress` (optional) is called after each start (done, total "starts"); when it returns
  // false no further start begins, and the best of those that ran is returned with
  // Termination::stopped in its summary.
  Result<FitResult> fit(const FitOptions& options, const std::vector<Eigen::VectorXd>& extra_starts = {}, const ProgressHook& progress = {}) const;

  // Profile-likelihood intervals at `best` (a result of fit()), one per target, in
  // parallel over targets; `confidence` e.g. 0.95. `progress`: after each target; false
  // stops, and the call then fails ("stopped after k of n").
  Result<std::vector<ProfileInterval>> profile(const FitResult& best, const std::vector<FluxTarget>& targets, double confidence,
                                               const FitOptions& options, const ProgressHook& progress = {}) const;

  // Monte-Carlo intervals: `replicates` data sets drawn around the best fit's simulated
  // values (each measurement + sd·N(0, 1)), each refitted from the best fit; per column,
  // the 2.5 and 97.5 % quantiles of the refitted net and exchange fluxes.
  struct MonteCarlo {
    int replicates = 0, failed = 0;
    Eigen::VectorXd net_low, net_high, net_sd, exchange_low, exchange_high, exchange_sd;  // per column
    Eigen::VectorXd pool_low, pool_high, pool_sd;  // a time course: per pool of FitResult::pools
  };
  // `progress`: after each replicate; false stops, and the call then fails.
  Result<MonteCarlo> monte_carlo(const FitResult& best, int replicates, const FitOptions& options, const ProgressHook& progress = {}) const;

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
};

}  // namespace fluxion::mfa
