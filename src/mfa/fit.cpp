#include "fluxion/mfa/fit.hpp"

#include <IpIpoptApplication.hpp>
#include <IpTNLP.hpp>
#include <nlopt.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "fluxion/core/statistics.hpp"
#include "fluxion/isotope/traced_elements.hpp"
#include "fluxion/mfa/least_squares.hpp"
#include "fluxion/sampling/samplers.hpp"

namespace fluxion::mfa {

namespace {

constexpr double kFailedSsr = 1e30;  // what a failed simulation costs the optimiser

struct Entry {
  std::size_t element = 0;  // index into Impl::emus
  Eigen::Index row = 0;     // row of that element's simulated values (experiment-major)
  double measured = 0, sd = 1;
  std::string experiment, name;
  int isotopologue = 0;
  int time = -1;            // index into Impl::times (time courses)
};

const char* describe(nlopt_result r) {
  switch (r) {
    case NLOPT_SUCCESS: return "converged";
    case NLOPT_STOPVAL_REACHED: return "converged (stopval)";
    case NLOPT_FTOL_REACHED: return "converged (ftol)";
    case NLOPT_XTOL_REACHED: return "converged (xtol)";
    case NLOPT_MAXEVAL_REACHED: return "max evaluations";
    case NLOPT_MAXTIME_REACHED: return "max time";
    case NLOPT_ROUNDOFF_LIMITED: return "roundoff limited";
    case NLOPT_FORCED_STOP: return "stopped";
    case NLOPT_OUT_OF_MEMORY: return "failed: out of memory";
    case NLOPT_INVALID_ARGS: return "failed: invalid arguments";
    default: return "failed";
  }
}

}  // namespace

struct FitProblem::Impl {
  FluxSpace space;
  sampling::FluxPolytope polytope;
  std::vector<isotope::EmuModel> emus;
  std::vector<isotope::EmuInputs> inputs;
  std::vector<Entry> entries;
  std::vector<MeasuredFlux> fluxes;
  Eigen::MatrixXd flux_rows;  // [n_fluxes × n_free]: d(measured flux)/dx
  // equalities eliminated: x = x0 + null·z
  Eigen::VectorXd x0;
  Eigen::MatrixXd null;
  Eigen::MatrixXd to_z;  // z of a point x on the equalities: to_z·(x − x0)
  // inequalities in z: g·z <= h
  Eigen::MatrixXd g;
  Eigen::VectorXd h;
  // MIDs measured up to a factor (MeasuredMid::scaled): entries [first, first + count)
  // share one, the least-squares factor at each point (variable projection)
  struct ScaleGroup {
    std::size_t first = 0, count = 0;
    std::string experiment, name;
  };
  std::vector<ScaleGroup> groups;
  // Exchange fluxes on a ratio scale (FitOptions::exchange_parameters = "ratio"): where
  // ratio(k) = β > 0, the fitted coordinate of free parameter k is y = x/(β + x) in [0, 1)
  // and x = β·y/(1 − y); elsewhere y = x. x0, null, to_z, g and h are in y.
  Eigen::VectorXd ratio;
  double exchange_scale = 0;  // β of the ratio columns (0: none)
  std::string exchange_parameters = "flux";  // FitOptions::exchange_parameters at create()
  // Time courses (non-stationary labelling): the measurement times, the pool size of every
  // model metabolite (fixed ones, and the starts of the fitted), the model metabolite of
  // each fitted pool (parameter n_free + k), per element the parameter of each of its
  // EmuModel::pool_metabolites() (-1: fixed). The last n_pool_measurements of `fluxes` are
  // measured pool sizes.
  std::vector<double> times;
  std::vector<double> pool_sizes;
  std::vector<std::size_t> pool_params;
  std::vector<std::vector<Eigen::Index>> pool_columns;
  std::vector<std::size_t> simulated_pools;  // every pool an element simulates, ascending
  std::vector<FitPool> pool_specs;           // as given, per simulated pool
  std::size_t n_pool_measurements = 0;
  bool natural_start = false;                // the unlabelled start at natural abundance
  double inst_tolerance = 1e-5;
  // Columns whose model bounds keep the net flux on one side of 0 (+1: lower bound >= 0,
  // −1: upper bound <= 0). The equalities and the polytope hold it there only to rounding;
  // a net flux of −1e-15 on an irreversible reaction would make the simulation take the
  // backward one-way flux's slope while every step moves it forwards, so it is put at 0.
  std::vector<std::pair<Eigen::Index, int>> one_sided;
  // The full fluxes that the simulation gets at free fluxes x (n_free entries or more).
  FluxVector fluxes_of(const Eigen::VectorXd& x) const {
    FluxVector v = space.free_to_full(x.head(space.n_free()));
    for (const auto& [c, sign] : one_sided)
      if (v.net(c) * sign < 0) v.net(c) = 0.0;
    return v;
  }
  Eigen::Index nx() const { return space.n_free() + static_cast<Eigen::Index>(pool_params.size()); }

  Eigen::VectorXd x_of(const Eigen::VectorXd& z) const {  // the free parameters at z
    Eigen::VectorXd x = x0 + null * z;
    for (Eigen::Index k = 0; k < ratio.size(); ++k)
      if (ratio(k) > 0) {
        const double y = std::clamp(x(k), 0.0, 1 - 1e-12);
        x(k) = ratio(k) * y / (1 - y);
      }
    return x;
  }
  Eigen::VectorXd z_of(const Eigen::VectorXd& x) const {  // z of a point on the equalities
    Eigen::VectorXd y = x;
    for (Eigen::Index k = 0; k < ratio.size(); ++k)
      if (ratio(k) > 0) y(k) = y_of(k, x(k));
    return to_z * (y - x0);
  }
  double y_of(Eigen::Index k, double x) const {  // parameter k's coordinate for flux value x
    if (ratio.size() == 0 || !(ratio(k) > 0)) return x;
    const double v = std::max(0.0, x);
    return v / (ratio(k) + v);
  }
  Eigen::MatrixXd dx_dz(const Eigen::VectorXd& z) const {  // Jacobian of x_of at z
    Eigen::MatrixXd m = null;
    if (ratio.size() == 0 || !(ratio.array() > 0).any()) return m;
    const Eigen::VectorXd y = x0 + null * z;
    for (Eigen::Index k = 0; k < ratio.size(); ++k)
      if (ratio(k) > 0) {
        const double u = 1 - std::clamp(y(k), 0.0, 1 - 1e-12);
        m.row(k) *= ratio(k) / (u * u);
      }
    return m;
  }
};

namespace {

// The largest fraction t in [0, 1] of the step from the feasible point `from` towards `to`
// (in z) for which every inequality g·z <= h still holds.
double feasible_fraction(const FitProblem::Impl& im, const Eigen::VectorXd& from, const Eigen::VectorXd& to) {
  if (im.g.rows() == 0) return 1.0;
  const Eigen::VectorXd room = im.h - im.g * from, rise = im.g * (to - from);
  double t = 1;
  for (Eigen::Index i = 0; i < rise.size(); ++i)
    if (rise(i) > 0) t = std::min(t, std::max(0.0, room(i)) / rise(i));
  return t;
}

// The one-way fluxes xch + max(0, net) kink where a reversible reaction's net flux is 0:
// the Levenberg-Marquardt steps stay on one side of each such plane (in z) at a time.
Kinks one_way_kinks(const FitProblem::Impl& im) {
  Kinks kinks;
  const Eigen::Index nnet = im.space.n_free_net();
  std::vector<Eigen::Index> columns;
  for (Eigen::Index c : im.space.exchange_columns()) {
    const bool one_sided = std::any_of(im.one_sided.begin(), im.one_sided.end(), [c](const auto& o) { return o.first == c; });
    if (!one_sided && im.space.net_kernel().row(c).lpNorm<Eigen::Infinity>() > 0) columns.push_back(c);  // bounds keep it on one side
  }
  kinks.rows.resize(static_cast<Eigen::Index>(columns.size()), im.null.cols());
  for (std::size_t k = 0; k < columns.size(); ++k)
    kinks.rows.row(static_cast<Eigen::Index>(k)) = im.space.net_kernel().row(columns[k]) * im.null.topRows(nnet);
  kinks.values = [&im, columns](const Eigen::VectorXd& zv, Eigen::VectorXd& values) {
    const Eigen::VectorXd x = im.x_of(zv);  // as FitProblem::residuals gets the fluxes
    const FluxVector v = im.fluxes_of(x);
    values.resize(static_cast<Eigen::Index>(columns.size()));
    for (std::size_t k = 0; k < columns.size(); ++k) values(static_cast<Eigen::Index>(k)) = v.net(columns[k]);
  };
  return kinks;
}

// The weighted residuals and their Jacobian in z (the parameters left by the equalities),
// for the Levenberg-Marquardt solver.
ResidualFunction residuals_in_z(const FitProblem& problem, const FitProblem::Impl& im, FitProblem::Workspace& work) {
  auto jac = std::make_shared<Eigen::MatrixXd>();
  return [&problem, &im, &work, jac](const Eigen::VectorXd& zv, Eigen::VectorXd& r, Eigen::MatrixXd* jz) {
    const Eigen::VectorXd x = im.x_of(zv);
    if (!problem.residuals(x, work, r, jz ? jac.get() : nullptr)) return false;
    if (jz) *jz = *jac * im.dx_dz(zv);
    return true;
  };
}

}  // namespace

Result<std::vector<FluxTarget>> flux_targets(const FluxSpace& fs, const std::vector<std::string>& specs) {
  using R = Result<std::vector<FluxTarget>>;
  auto error = [](const std::string& what) { return R::failure({Diagnostic{Severity::error, "--profile", 0, 0, {}, what}}); };
  std::vector<FluxTarget> targets;
  const auto& exs = fs.exchange_columns();
  for (const auto& p : specs) {
    if (p == "pools" || p.rfind("pool(", 0) == 0) continue;  // FitProblem::pool_targets
    if (p == "net" || p == "all") {
      for (Eigen::Index c = 0; c < fs.n_columns(); ++c)
        if (!fs.is_leak_column(c)) targets.push_back({c, false});
      if (p == "all")
        for (Eigen::Index c : exs) targets.push_back({c, true});
      continue;
    }
    const bool xch = p.size() > 5 && p.substr(0, 4) == "xch(" && p.back() == ')';
    const std::string id = xch ? p.substr(4, p.size() - 5) : p;
    const auto& ids = fs.column_ids();
    auto it = std::find(ids.begin(), ids.end(), id);
    if (it == ids.end()) return error("'" + id + "' is not a reaction of the model");
    const auto c = static_cast<Eigen::Index>(it - ids.begin());
    if (xch && !std::binary_search(exs.begin(), exs.end(), c)) return error("'" + id + "' has no exchange flux");
    targets.push_back({c, xch});
  }
  return R::success(std::move(targets));
}

const OptionTable<FitOptions>& FitOptions::table() {
  static const OptionTable<FitOptions> t = [] {
    OptionTable<FitOptions> t;
    t.add("starts", &FitOptions::starts, "Starting points sampled uniformly in the flux polytope").range(0, 100000).label("Number of starts").web();
    t.add("exchange-floor", &FitOptions::exchange_floor, "Sampled starts draw each exchange flux log-uniformly from this fraction of its upper bound up to it")
        .range(1e-12, 1.0);
    t.add("solver", &FitOptions::solver,
          "lm (Levenberg-Marquardt on the residuals, each step a quadratic program under the inequalities), slsqp (NLopt SLSQP on the SSR, exact gradient) "
          "or ipopt-gn (Ipopt's interior point with the Gauss-Newton Hessian 2 JᵀJ of the residuals)")
        .choices({"lm", "slsqp", "ipopt-gn"});
    t.add("exchange-parameters", &FitOptions::exchange_parameters,
          "flux (each exchange flux fitted as it is) or ratio (an exchange flux x bounded only by its own bounds fitted as x/(β + x), "
          "so that the fit can come down from large values; results stay in flux units)")
        .choices({"flux", "ratio"});
    t.add("exchange-scale", &FitOptions::exchange_scale,
          "β of --exchange-parameters ratio (an exchange flux of β sits at the middle of the scale); 0 = the median size of the measured fluxes, or 1")
        .range(0, 1e12);
    t.add("prefit", &FitOptions::prefit,
          "Move each sampled start first to where it fits the measured fluxes (one quadratic program: they are linear in the fluxes)");
    t.add("profile-starts", &FitOptions::profile_starts,
          "With --solver lm, a profile refit that would end an interval is tried again from this many points drawn uniformly in the polytope")
        .range(0, 1000);
    t.add("perturbed-starts", &FitOptions::perturbed_starts,
          "Starts after the sampled ones from their best point perturbed (basin hopping: exchange fluxes scaled by e^N(0,0.5²), net fluxes moved a tenth of the way to a random point); -1 = as many as --starts")
        .range(-1, 100000);
    t.add("threads", &FitOptions::threads, "Threads (0 = all cores)").range(0, 1024);
    t.add("seed", &FitOptions::seed, "Seed of the starting points").label("Random seed").web("Advanced");
    t.add("max-evaluations", &FitOptions::max_evaluations, "Simulations per start at most").range(1, 10000000);
    t.add("inst-tolerance", &FitOptions::inst_tolerance, "Time courses: tolerance of the non-stationary simulation on every MID fraction")
        .range(1e-12, 1e-2);
    t.add("mid-sd", &FitOptions::default_mid_sd, "Standard deviation of a measured fraction where the data give none (default: an error)")
        .range(1e-9, 1.0)
        .no_default()
        .label("MID standard deviation")
        .web();
    return t;
  }();
  return t;
}

std::vector<Diagnostic> FitOptions::validate() const {
  Diagnostics d("fit options");
  d.append(table().check(*this, "fit options"));
  if (restarts < 0) d.error("must be >= 0", 0, 0, "restarts");
  if (!(relative_tolerance > 0)) d.error("must be > 0", 0, 0, "relative_tolerance");
  return d.items();
}

Eigen::Index FitProblem::n_parameters() const { return impl_->nx(); }
Eigen::Index FitProblem::n_pool_parameters() const { return static_cast<Eigen::Index>(impl_->pool_params.size()); }
bool FitProblem::time_course() const { return !impl_->times.empty(); }

Result<std::vector<FluxTarget>> FitProblem::pool_targets(const std::vector<std::string>& specs) const {
  using R = Result<std::vector<FluxTarget>>;
  const auto& im = *impl_;
  std::vector<FluxTarget> out;
  for (const auto& p : specs) {
    if (p == "pools") {
      for (std::size_t k = 0; k < im.pool_params.size(); ++k) out.push_back({0, false, static_cast<int>(k)});
      continue;
    }
    if (p.rfind("pool(", 0) != 0) continue;
    const std::string id = p.size() > 6 && p.back() == ')' ? p.substr(5, p.size() - 6) : std::string();
    int found = -1;  // the parameter of that metabolite's pool, when it is fitted
    for (std::size_t j = 0; j < im.simulated_pools.size(); ++j)
      if (im.pool_specs[j].metabolite == id)
        for (std::size_t k = 0; k < im.pool_params.size(); ++k)
          if (im.pool_params[k] == im.simulated_pools[j]) found = static_cast<int>(k);
    if (found < 0)
      return R::failure({Diagnostic{Severity::error, "--profile", 0, 0, {}, "'" + p + "' is not a fitted pool" + (im.times.empty() ? " (the fit is at steady state)" : "")}});
    out.push_back({0, false, found});
  }
  return R::success(std::move(out));
}
Eigen::Index FitProblem::n_fitted() const { return impl_->null.cols(); }
Eigen::Index FitProblem::n_scale_factors() const { return static_cast<Eigen::Index>(impl_->groups.size()); }
Eigen::Index FitProblem::n_measurements() const {
  return static_cast<Eigen::Index>(impl_->entries.size() + impl_->fluxes.size());
}

Result<FitProblem> FitProblem::create(const Model& model, const FluxSpace& space, const sampling::FluxPolytope& polytope,
                                      const std::vector<isotope::TracerExperiment>& experiments, const isotope::MidTable& mids,
                                      const std::vector<MeasuredFlux>& measured_fluxes, const FitOptions& options,
                                      const std::vector<FitPool>& pools) {
  Diagnostics d("fit");
  if (auto problems = options.validate(); !problems.empty()) return Result<FitProblem>::failure(problems);
  auto impl = std::make_shared<Impl>(Impl{space, polytope, {}, {}, {}, measured_fluxes, {}, {}, {}, {}, {}, {}, {}, {}, 0, "flux", {}, {}, {}, {}, {}, {}, 0, false, 1e-5});
  for (Eigen::Index c = 0; c < space.n_columns(); ++c) {
    if (space.is_leak_column(c)) continue;
    const Reaction& reaction = model.reactions[space.column_reaction(c)];
    if (reaction.lower_bound >= 0) impl->one_sided.emplace_back(c, 1);
    else if (reaction.upper_bound <= 0) impl->one_sided.emplace_back(c, -1);
  }
  std::map<std::string, std::size_t> experiment_index;
  for (std::size_t i = 0; i < experiments.size(); ++i) experiment_index[experiments[i].id] = i;
  // fragments per element, in order of first appearance
  std::map<Element, std::vector<std::string>> fragments;
  for (const auto& m : mids.mids) {
    auto& list = fragments[m.element];
    if (std::find(list.begin(), list.end(), m.fragment) == list.end()) list.push_back(m.fragment);
  }
  std::map<Element, std::size_t> element_index;
  std::vector<isotope::TracedElementSpec> specs;
  for (const auto& [element, list] : fragments) {
    element_index[element] = specs.size();
    specs.push_back({element, list});
  }
  auto traced = isotope::build_traced_elements(model, space, specs, experiments, isotope::SubstrateLabelling{options.natural_abundance});
  if (!traced) return Result<FitProblem>::failure(traced.diagnostics());
  for (auto& t : traced.value()) {
    impl->emus.push_back(std::move(t.model));
    impl->inputs.push_back(std::move(t.inputs));
  }
  // block layout of each element's simulated MIDs: offsets per measured fragment
  std::vector<std::vector<std::size_t>> offsets(impl->emus.size());
  std::vector<std::size_t> blocks(impl->emus.size(), 0);
  for (std::size_t e = 0; e < impl->emus.size(); ++e)
    for (int atoms : impl->emus[e].measured_atoms()) {
      offsets[e].push_back(blocks[e]);
      blocks[e] += static_cast<std::size_t>(atoms) + 1;
    }
  // problems of a MID's line are the MID file's (file:line), not the fit's
  Diagnostics md(mids.source.empty() ? d.source() : mids.source);
  // a time course: every MID has a time (after the switch to the tracers)
  const bool inst = std::any_of(mids.mids.begin(), mids.mids.end(), [](const auto& m) { return m.time >= 0; });
  if (inst) {
    for (const auto& m : mids.mids)
      if (m.time >= 0) impl->times.push_back(m.time);
    std::sort(impl->times.begin(), impl->times.end());
    impl->times.erase(std::unique(impl->times.begin(), impl->times.end()), impl->times.end());
    impl->natural_start = !options.natural_abundance.empty();
    impl->inst_tolerance = options.inst_tolerance;
  }
  for (const auto& m : mids.mids) {
    const std::string label = m.name.empty() ? m.fragment : m.name;
    if (inst && m.time < 0) {
      md.error("'" + label + "' (experiment " + m.experiment + ") has no time, but other MIDs are a time course; give every MID its time", m.line, 0);
      continue;
    }
    const int time_index =
        inst ? static_cast<int>(std::lower_bound(impl->times.begin(), impl->times.end(), m.time) - impl->times.begin()) : -1;
    auto x = experiment_index.find(m.experiment);
    if (x == experiment_index.end()) {
      md.error("experiment '" + m.experiment + "' of '" + label + "' is not in the tracer table", m.line, 0);
      continue;
    }
    const std::size_t e = element_index.at(m.element);
    const auto& list = fragments.at(m.element);
    const auto k = static_cast<std::size_t>(std::find(list.begin(), list.end(), m.fragment) - list.begin());
    const int atoms = impl->emus[e].measured_atoms()[k];
    if (static_cast<int>(m.fraction.size()) > atoms + 1) {
      md.error("'" + label + "' has " + std::to_string(atoms) + " traced atoms, so M+0..M+" + std::to_string(atoms) +
                  ", but M+" + std::to_string(m.fraction.size() - 1) + " is given",
              m.line, 0);
      continue;
    }
    const std::size_t first = impl->entries.size();
    for (std::size_t i = 0; i < m.fraction.size(); ++i) {
      if (std::isnan(m.fraction[i])) continue;
      double sd = i < m.sd.size() ? m.sd[i] : std::nan("");
      if (std::isnan(sd)) sd = options.default_mid_sd;
      if (!(sd > 0)) {
        md.error("M+" + std::to_string(i) + " of '" + label + "' (experiment " + m.experiment +
                    ") has no standard deviation; give an sd column or a default (--mid-sd)",
                m.line, 0);
        break;
      }
      const auto row = static_cast<Eigen::Index>(x->second * blocks[e] + offsets[e][k] + i);
      impl->entries.push_back({e, row, m.fraction[i], sd, m.experiment, label, static_cast<int>(i), time_index});
    }
    if (m.scaled && impl->entries.size() > first) impl->groups.push_back({first, impl->entries.size() - first, m.experiment, label});
  }
  d.append(md.items());

  // the pools of a time course: every pool an element simulates needs a size
  const Eigen::Index nf = space.n_free(), nnet = space.n_free_net();
  std::vector<MeasuredFlux> pool_measurements;
  std::vector<Eigen::Index> measured_pool_params;  // the parameter of each
  if (inst) {
    std::map<std::string, std::size_t> met_index;
    for (std::size_t i = 0; i < model.metabolites.size(); ++i) met_index[model.metabolites[i].id] = i;
    std::map<std::size_t, const FitPool*> given;
    for (const auto& p : pools) {
      Diagnostics pd(p.source.empty() ? std::string("pools") : p.source);
      auto it = met_index.find(p.metabolite);
      if (it == met_index.end()) pd.error("'" + p.metabolite + "' is not a metabolite of model '" + model.id + "'", p.line, 1);
      else if (given.count(it->second)) pd.error("the pool of '" + p.metabolite + "' is given twice", p.line, 1);
      else if (!(p.size > 0) || !std::isfinite(p.size)) pd.error("the pool of '" + p.metabolite + "' needs a size > 0", p.line, 0);
      else if (p.fitted && !(p.lower > 0 && p.lower < p.upper && std::isfinite(p.upper) && p.size >= p.lower && p.size <= p.upper))
        pd.error("the fitted pool of '" + p.metabolite + "' needs 0 < lower < upper < inf with its size between them (lower " + format_short(p.lower) +
                     ", size " + format_short(p.size) + ", upper " + format_short(p.upper) + ")",
                 p.line, 0);
      else if (p.sd > 0 && !p.fitted)
        pd.error("the pool of '" + p.metabolite + "' is measured (sd " + format_short(p.sd) + ") but fixed; a measured pool is fitted", p.line, 0);
      else given[it->second] = &p;
      d.append(pd.items());
    }
    std::set<std::size_t> used;
    for (const auto& emu : impl->emus)
      for (std::size_t m : emu.pool_metabolites()) used.insert(m);
    impl->pool_sizes.assign(model.metabolites.size(), 0.0);
    std::vector<Eigen::Index> param_of(model.metabolites.size(), -1);
    std::vector<std::string> missing;
    for (std::size_t m : used) {
      auto it = given.find(m);
      if (it == given.end()) {
        missing.push_back(model.metabolites[m].id);
        continue;
      }
      const FitPool& p = *it->second;
      impl->simulated_pools.push_back(m);
      impl->pool_specs.push_back(p);
      impl->pool_sizes[m] = p.size;
      if (p.fitted) {
        param_of[m] = static_cast<Eigen::Index>(impl->pool_params.size());
        impl->pool_params.push_back(m);
        if (p.sd > 0) {
          pool_measurements.push_back({p.metabolite, {}, p.size, p.sd, p.line, p.source});
          measured_pool_params.push_back(param_of[m]);
        }
      }
    }
    if (!missing.empty()) {
      std::string list;
      for (std::size_t k = 0; k < missing.size() && k < 8; ++k) list += (k ? ", " : "") + missing[k];
      if (missing.size() > 8) list += ", … (" + std::to_string(missing.size()) + " in all)";
      d.error("no pool size for " + list + " (the time course simulates them); give --pools or --default-pool", 0, 0);
    }
    for (const auto& [m, p] : given)
      if (!used.count(m) && !p->optional)
        d.warning("the pool of '" + p->metabolite + "' is not used: no measured MID depends on it", 0, 0);
    for (const auto& emu : impl->emus) {
      std::vector<Eigen::Index> cols;
      for (std::size_t m : emu.pool_metabolites()) cols.push_back(param_of[m]);
      impl->pool_columns.push_back(std::move(cols));
    }
    impl->n_pool_measurements = pool_measurements.size();
    impl->fluxes.insert(impl->fluxes.end(), pool_measurements.begin(), pool_measurements.end());
  } else if (!pools.empty()) {
    d.warning("pool sizes are used only with time-course MIDs (a time column); the fit is at steady state", 0, 0);
  }
  const Eigen::Index np = static_cast<Eigen::Index>(impl->pool_params.size()), nx = nf + np;
  // measured fluxes (and pools) as rows over the parameters
  impl->flux_rows = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(impl->fluxes.size()), nx);
  for (std::size_t k = 0; k < measured_pool_params.size(); ++k)
    impl->flux_rows(static_cast<Eigen::Index>(measured_fluxes.size() + k), nf + measured_pool_params[k]) = 1.0;
  for (std::size_t i = 0; i < measured_fluxes.size(); ++i) {
    const auto& f = measured_fluxes[i];
    auto flux_error = [&](const std::string& message) {  // a problem of the measured-flux file's line
      Diagnostics fd(f.source.empty() ? std::string("measured fluxes") : f.source);
      fd.error(message, f.line, 0);
      d.append(fd.items());
    };
    if (!(f.sd > 0)) flux_error("measured flux '" + f.name + "' needs sd > 0");
    for (const auto& t : f.terms) {
      if (t.column < 0 || t.column >= space.n_columns()) {
        flux_error("measured flux '" + f.name + "' names a column outside the model");
        continue;
      }
      if (!t.exchange) {
        impl->flux_rows.row(static_cast<Eigen::Index>(i)).head(nnet) += t.coefficient * space.net_kernel().row(t.column);
        continue;
      }
      const auto& ex = space.exchange_columns();
      auto it = std::lower_bound(ex.begin(), ex.end(), t.column);
      if (it == ex.end() || *it != t.column) {
        flux_error("measured flux '" + f.name + "' names the exchange flux of a column without one");
        continue;
      }
      impl->flux_rows(static_cast<Eigen::Index>(i), nnet + (it - ex.begin())) += t.coefficient;
    }
  }
  if (impl->entries.empty() && measured_fluxes.empty()) d.error("nothing measured to fit", 0, 0);
  if (polytope.dimension() != nf) d.error("the constraints are not over this model's free fluxes", 0, 0);
  if (d.has_errors()) return Result<FitProblem>::failure(d);
  // fitted pools: coordinates after the fluxes, each with its bounds
  if (np > 0) {
    const Eigen::Index nr = polytope.n_rows();
    Eigen::MatrixXd rows = Eigen::MatrixXd::Zero(nr + np, nx);
    rows.topLeftCorner(nr, nf) = polytope.rows();
    rows.bottomRightCorner(np, np).setIdentity();
    Eigen::VectorXd lower(nr + np), upper(nr + np);
    lower.head(nr) = polytope.lower();
    upper.head(nr) = polytope.upper();
    std::vector<std::string> names = polytope.row_names(), coordinates = polytope.coordinate_names();
    for (Eigen::Index k = 0; k < np; ++k) {
      const auto& id = model.metabolites[impl->pool_params[static_cast<std::size_t>(k)]].id;
      const auto it = std::find_if(impl->pool_specs.begin(), impl->pool_specs.end(), [&](const FitPool& p) { return p.metabolite == id; });
      lower(nr + k) = it->lower;
      upper(nr + k) = it->upper;
      names.push_back("bounds of pool " + id);
      coordinates.push_back("pool(" + id + ")");
    }
    impl->polytope = sampling::FluxPolytope::from_rows(std::move(rows), std::move(lower), std::move(upper), std::move(names), std::move(coordinates));
  }
  const sampling::FluxPolytope& poly = impl->polytope;

  // Equalities E·x = e are eliminated: x = x0 + null·z with null orthonormal (to_z = nullᵀ
  // projects a point of the equalities back). (Scaling x by the polytope's widths first
  // was tried: SLSQP then stops after its first step.)
  const auto& a = poly.rows();
  std::vector<Eigen::Index> eq, ineq;
  for (Eigen::Index i = 0; i < a.rows(); ++i) (poly.lower()(i) == poly.upper()(i) ? eq : ineq).push_back(i);
  Eigen::VectorXd y0 = Eigen::VectorXd::Zero(nx);
  Eigen::MatrixXd n_y = Eigen::MatrixXd::Identity(nx, nx);
  if (!eq.empty()) {
    Eigen::MatrixXd e(static_cast<Eigen::Index>(eq.size()), nx);
    Eigen::VectorXd rhs(e.rows());
    for (std::size_t k = 0; k < eq.size(); ++k) {
      e.row(static_cast<Eigen::Index>(k)) = a.row(eq[k]);
      rhs(static_cast<Eigen::Index>(k)) = poly.lower()(eq[k]);
    }
    Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> cod(e);
    y0 = cod.solve(rhs);
    if ((e * y0 - rhs).lpNorm<Eigen::Infinity>() > 1e-8 * (1 + rhs.lpNorm<Eigen::Infinity>())) {
      d.error("the fixed fluxes and equality constraints contradict each other", 0, 0);
      return Result<FitProblem>::failure(d);
    }
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(e, Eigen::ComputeFullV);
    const double tol = 1e-10 * std::max(1.0, svd.singularValues().size() ? svd.singularValues()(0) : 1.0);
    Eigen::Index rank = 0;
    for (Eigen::Index i = 0; i < svd.singularValues().size(); ++i)
      if (svd.singularValues()(i) > tol) ++rank;
    n_y = svd.matrixV().rightCols(nx - rank);
  }
  impl->x0 = y0;
  impl->null = n_y;
  impl->to_z = n_y.transpose();
  const Eigen::Index nz = impl->null.cols();
  // The ratio scale for exchange fluxes: each exchange flux that no equality and no other
  // flux's row constrains, with bounds 0 <= lower < upper < inf, is fitted as y = x/(β + x);
  // its bound rows become bounds on y (the map is increasing), all else stays linear.
  impl->ratio = Eigen::VectorXd::Zero(nx);
  impl->exchange_parameters = options.exchange_parameters;
  std::vector<Eigen::Index> ratio_row(static_cast<std::size_t>(a.rows()), -1);  // the ratio column a row bounds
  if (options.exchange_parameters == "ratio") {
    // Exchange fluxes tied to each other (x_a = x_b: parallel-tracer copies of a network)
    // are one group: the tie holds for their y as well, and a group's bounds are all of
    // its members' bounds.
    std::vector<bool> eligible(static_cast<std::size_t>(nx), true);
    std::vector<Eigen::Index> group(static_cast<std::size_t>(nx));
    for (Eigen::Index k = 0; k < nx; ++k) group[static_cast<std::size_t>(k)] = k;
    std::function<Eigen::Index(Eigen::Index)> root = [&](Eigen::Index k) {
      auto& g = group[static_cast<std::size_t>(k)];
      return g == k ? k : (g = root(g));
    };
    for (Eigen::Index k = 0; k < nnet; ++k) eligible[static_cast<std::size_t>(k)] = false;
    for (Eigen::Index k = 0; k < nx; ++k)  // a measured exchange flux stays linear (the pre-fit's QP needs it so)
      if (impl->flux_rows.rows() > 0 && impl->flux_rows.col(k).lpNorm<Eigen::Infinity>() > 0) eligible[static_cast<std::size_t>(k)] = false;
    Eigen::VectorXd lo = Eigen::VectorXd::Constant(nx, -kInfinity), hi = Eigen::VectorXd::Constant(nx, kInfinity);
    for (Eigen::Index i = 0; i < a.rows(); ++i) {
      std::vector<Eigen::Index> touched;
      for (Eigen::Index k = 0; k < nx; ++k)
        if (a(i, k) != 0) touched.push_back(k);
      const bool equality = poly.lower()(i) == poly.upper()(i);
      if (touched.size() == 2 && equality && poly.lower()(i) == 0 && a(i, touched[0]) == -a(i, touched[1])) {
        group[static_cast<std::size_t>(root(touched[0]))] = root(touched[1]);  // a tie
        continue;
      }
      if (touched.size() == 1 && !equality) {
        const Eigen::Index k = touched[0];
        const double c = a(i, k), l = poly.lower()(i) / c, u = poly.upper()(i) / c;
        lo(k) = std::max(lo(k), std::min(l, u));
        hi(k) = std::min(hi(k), std::max(l, u));
        ratio_row[static_cast<std::size_t>(i)] = k;
        continue;
      }
      for (Eigen::Index k : touched) eligible[static_cast<std::size_t>(k)] = false;
    }
    std::map<Eigen::Index, std::pair<double, double>> group_bounds;  // root: (lower, upper) of all members
    std::map<Eigen::Index, bool> group_ok;
    for (Eigen::Index k = 0; k < nx; ++k) {
      const Eigen::Index r = root(k);
      auto [it, fresh] = group_bounds.try_emplace(r, lo(k), hi(k));
      if (!fresh) it->second = {std::max(it->second.first, lo(k)), std::min(it->second.second, hi(k))};
      auto [ok, first] = group_ok.try_emplace(r, eligible[static_cast<std::size_t>(k)]);
      if (!first) ok->second = ok->second && eligible[static_cast<std::size_t>(k)];
    }
    double beta = options.exchange_scale;
    if (!(beta > 0)) {  // automatic: the median size of the measured fluxes, else 1
      std::vector<double> sizes;
      for (const auto& f : measured_fluxes)
        if (std::fabs(f.value) > 0) sizes.push_back(std::fabs(f.value));
      std::sort(sizes.begin(), sizes.end());
      beta = sizes.empty() ? 1.0 : sizes[sizes.size() / 2];
    }
    for (Eigen::Index k = nnet; k < nf; ++k) {
      const Eigen::Index r = root(k);
      const auto [l, u] = group_bounds[r];
      if (group_ok[r] && l >= 0 && std::isfinite(u) && u > l) {
        impl->ratio(k) = beta;
        impl->exchange_scale = beta;
      }
    }
  }
  // a fitted pool on the ratio scale of its start: y = c/(size + c), its bounds as bounds on y
  for (Eigen::Index k = 0; k < np; ++k) {
    const Eigen::Index i = poly.n_rows() - np + k;
    impl->ratio(nf + k) = impl->pool_sizes[impl->pool_params[static_cast<std::size_t>(k)]];
    ratio_row[static_cast<std::size_t>(i)] = nf + k;
  }
  std::vector<Eigen::RowVectorXd> grow;
  std::vector<double> hrow;
  for (Eigen::Index i : ineq) {
    Eigen::RowVectorXd row = a.row(i);
    double lower = poly.lower()(i), upper = poly.upper()(i);
    if (const Eigen::Index k = ratio_row[static_cast<std::size_t>(i)]; k >= 0 && impl->ratio(k) > 0) {
      // c·x_k in [lower, upper] as y_k in [y(l), y(u)]; a bound below 0 binds nothing (x_k >= 0 holds)
      const double c = row(k), l = std::min(lower / c, upper / c), u = std::max(lower / c, upper / c);
      row = Eigen::RowVectorXd::Unit(nx, k);
      lower = l > 0 ? impl->y_of(k, l) : l == 0 ? 0.0 : -kInfinity;
      upper = std::isfinite(u) && u >= 0 ? impl->y_of(k, u) : u < 0 ? -kInfinity : kInfinity;
    }
    const Eigen::RowVectorXd an = row * impl->null;
    const double ax0 = row.dot(impl->x0);
    if (an.lpNorm<Eigen::Infinity>() < 1e-14) continue;  // constant on the plane (feasibility is the sampler's to check)
    if (std::isfinite(upper)) {
      grow.push_back(an);
      hrow.push_back(upper - ax0);
    }
    if (std::isfinite(lower)) {
      grow.push_back(-an);
      hrow.push_back(ax0 - lower);
    }
  }
  impl->g.resize(static_cast<Eigen::Index>(grow.size()), nz);
  impl->h.resize(static_cast<Eigen::Index>(grow.size()));
  for (std::size_t i = 0; i < grow.size(); ++i) {
    impl->g.row(static_cast<Eigen::Index>(i)) = grow[i];
    impl->h(static_cast<Eigen::Index>(i)) = hrow[i];
  }
  FitProblem p;
  p.impl_ = std::move(impl);
  return Result<FitProblem>::success(std::move(p), d.items());
}

Eigen::VectorXd FitProblem::reduced(const Eigen::VectorXd& x) const { return impl_->z_of(x); }
Eigen::VectorXd FitProblem::point(const Eigen::VectorXd& z) const { return impl_->x_of(z); }
bool FitProblem::reduced_residuals(const Eigen::VectorXd& z, Workspace& work, Eigen::VectorXd& r, Eigen::MatrixXd* jacobian) const {
  return residuals_in_z(*this, *impl_, work)(z, r, jacobian);
}

std::unique_ptr<FitProblem::Workspace> FitProblem::workspace() const {
  auto w = std::make_unique<Workspace>();
  for (const auto& emu : impl_->emus) w->sims.emplace_back(emu);
  w->out.resize(impl_->emus.size());
  w->jac.resize(impl_->emus.size());
  w->out_t.resize(impl_->emus.size());
  w->jac_t.resize(impl_->emus.size());
  return w;
}

bool FitProblem::residuals(const Eigen::VectorXd& x, Workspace& w, Eigen::VectorXd& r, Eigen::MatrixXd* jacobian) const {
  const auto& im = *impl_;
  const Eigen::Index nf = im.space.n_free(), nx = im.nx();
  const FluxVector v = im.fluxes_of(x);
  if (im.times.empty()) {
    for (std::size_t e = 0; e < im.emus.size(); ++e)
      if (w.sims[e].simulate(v, im.inputs[e], w.out[e], jacobian ? &w.jac[e] : nullptr) != isotope::SimulationStatus::ok) return false;
  } else {
    // a time course: the pools at x, the labelling at every measured time, and the
    // Jacobian's pool columns moved to the fitted pools' parameters (fixed pools dropped)
    w.pools = im.pool_sizes;
    for (std::size_t k = 0; k < im.pool_params.size(); ++k) w.pools[im.pool_params[k]] = std::max(x(nf + static_cast<Eigen::Index>(k)), 1e-300);
    isotope::InstationaryOptions io;
    io.times = im.times;
    io.tolerance = im.inst_tolerance;
    io.natural_abundance = im.natural_start;
    for (std::size_t e = 0; e < im.emus.size(); ++e) {
      const auto& cols = im.pool_columns[e];
      io.pool_sensitivities.assign(cols.size(), false);
      for (std::size_t c = 0; c < cols.size(); ++c) io.pool_sensitivities[c] = cols[c] >= 0;
      try {
        if (w.sims[e].simulate_instationary(v, w.pools, im.inputs[e], io, w.out_t[e], jacobian ? &w.jac_t[e] : nullptr) !=
            isotope::SimulationStatus::ok)
          return false;
      } catch (const std::invalid_argument&) {
        return false;
      }
      if (!jacobian) continue;
      for (auto& j : w.jac_t[e]) {
        Eigen::MatrixXd folded = Eigen::MatrixXd::Zero(j.rows(), nx);
        folded.leftCols(nf) = j.leftCols(nf);
        Eigen::Index column = nf;  // the selected pools' columns, in pool_metabolites() order
        for (std::size_t c = 0; c < cols.size(); ++c)
          if (cols[c] >= 0) folded.col(nf + cols[c]) = j.col(column++);
        j = std::move(folded);
      }
    }
  }
  auto value = [&](const Entry& en) {
    return en.time < 0 ? w.out[en.element].values[static_cast<std::size_t>(en.row)]
                       : w.out_t[en.element][static_cast<std::size_t>(en.time)].values[static_cast<std::size_t>(en.row)];
  };
  auto derivative = [&](const Entry& en) {
    return en.time < 0 ? w.jac[en.element].row(en.row) : w.jac_t[en.element][static_cast<std::size_t>(en.time)].row(en.row);
  };
  const auto nm = static_cast<Eigen::Index>(im.entries.size());
  r.resize(n_measurements());
  if (jacobian) jacobian->resize(n_measurements(), nx);
  for (Eigen::Index i = 0; i < nm; ++i) {
    const auto& en = im.entries[static_cast<std::size_t>(i)];
    r(i) = (value(en) - en.measured) / en.sd;
    if (jacobian) jacobian->row(i) = derivative(en) / en.sd;
  }
  // a scaled group: simulated x scaled by s = Σ w·m·x / Σ w·x² (w = 1/sd²), the factor that
  // minimises its SSR at these fluxes; r = (s·x − m)/sd and, with s a function of the
  // fluxes, dr = (s·dx + x·ds)/sd where ds = (Σ w·m·dx − 2s·Σ w·x·dx) / Σ w·x²
  w.scales.assign(im.groups.size(), 1.0);
  for (std::size_t g = 0; g < im.groups.size(); ++g) {
    const auto& grp = im.groups[g];
    double a = 0, b = 0;
    for (std::size_t k = grp.first; k < grp.first + grp.count; ++k) {
      const auto& en = im.entries[k];
      const double x_k = value(en), wk = 1 / (en.sd * en.sd);
      a += wk * en.measured * x_k;
      b += wk * x_k * x_k;
    }
    if (!(b > 1e-300)) continue;  // nothing simulated in the group: unscaled
    const double s = a / b;
    w.scales[g] = s;
    Eigen::RowVectorXd ds;
    if (jacobian) {
      ds = Eigen::RowVectorXd::Zero(nx);
      for (std::size_t k = grp.first; k < grp.first + grp.count; ++k) {
        const auto& en = im.entries[k];
        const double x_k = value(en), wk = 1 / (en.sd * en.sd);
        ds += wk * (en.measured - 2 * s * x_k) * derivative(en);
      }
      ds /= b;
    }
    for (std::size_t k = grp.first; k < grp.first + grp.count; ++k) {
      const auto& en = im.entries[k];
      const auto i = static_cast<Eigen::Index>(k);
      const double x_k = value(en);
      r(i) = (s * x_k - en.measured) / en.sd;
      if (jacobian) jacobian->row(i) = (s * derivative(en) + x_k * ds) / en.sd;
    }
  }
  for (std::size_t k = 0; k < im.fluxes.size(); ++k) {
    const auto i = nm + static_cast<Eigen::Index>(k);
    const Eigen::RowVectorXd row = im.flux_rows.row(static_cast<Eigen::Index>(k));
    r(i) = (row.dot(x) - im.fluxes[k].value) / im.fluxes[k].sd;
    if (jacobian) jacobian->row(i) = row / im.fluxes[k].sd;
  }
  return true;
}

namespace {

struct Callback {
  const FitProblem* problem;
  const FitProblem::Impl* impl;
  FitProblem::Workspace* work;
  Eigen::VectorXd r;
  Eigen::MatrixXd jac;
  int evaluations = 0;
  // SLSQP's first quasi-Newton step is −gradient (identity Hessian): with an SSR of 1e6
  // at a poor start it overshoots so far that the line search gives up after one step;
  // dividing the objective by √SSR of the start tames it (but slows smaller problems).
  double scale = 1.0;  // 0: set from the first evaluation's SSR
};

constexpr int kStalled = 50;  // a start that ends in fewer evaluations stalled

double objective(unsigned n, const double* z, double* grad, void* data) {
  auto& c = *static_cast<Callback*>(data);
  ++c.evaluations;
  const Eigen::Map<const Eigen::VectorXd> zv(z, n);
  const Eigen::VectorXd x = c.impl->x_of(zv);
  if (!c.problem->residuals(x, *c.work, c.r, grad ? &c.jac : nullptr)) {
    if (grad) std::fill(grad, grad + n, 0.0);
    return kFailedSsr / std::max(1.0, c.scale);
  }
  const double ssr = c.r.squaredNorm();
  if (c.scale == 0) c.scale = std::max(1.0, std::sqrt(ssr));
  if (grad) {
    Eigen::Map<Eigen::VectorXd> g(grad, n);
    g = (2.0 / c.scale) * (c.impl->dx_dz(zv).transpose() * (c.jac.transpose() * c.r));
  }
  return ssr / c.scale;
}

void inequalities(unsigned m, double* result, unsigned n, const double* z, double* grad, void* data) {
  const auto& im = *static_cast<const FitProblem::Impl*>(data);
  const Eigen::Map<const Eigen::VectorXd> zv(z, n);
  Eigen::Map<Eigen::VectorXd>(result, m) = im.g * zv - im.h;
  if (grad)  // row-major m × n
    Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(grad, m, n) = im.g;
}

// The fit of one start as a nonlinear program for Ipopt (interior point), with the
// Gauss–Newton Hessian 2·JᵀJ of the SSR from the EMU sensitivities; the inequalities
// g·z <= h are linear. A point whose labelling cannot be simulated is an evaluation error
// (Ipopt steps back).
class GaussNewtonNlp final : public Ipopt::TNLP {
 public:
  GaussNewtonNlp(const FitProblem& problem, const FitProblem::Impl& im, FitProblem::Workspace& work, const Eigen::VectorXd& start)
      : problem_(problem), im_(im), work_(work), z_(start) {
    for (Eigen::Index i = 0; i < im.g.rows(); ++i)
      for (Eigen::Index j = 0; j < im.g.cols(); ++j)
        if (im.g(i, j) != 0) rows_.push_back(i), cols_.push_back(j);
  }
  bool get_nlp_info(Ipopt::Index& n, Ipopt::Index& m, Ipopt::Index& nnz_jac, Ipopt::Index& nnz_h, IndexStyleEnum& style) override {
    n = static_cast<Ipopt::Index>(z_.size());
    m = static_cast<Ipopt::Index>(im_.g.rows());
    nnz_jac = static_cast<Ipopt::Index>(rows_.size());
    nnz_h = n * (n + 1) / 2;
    style = C_STYLE;
    return true;
  }
  bool get_bounds_info(Ipopt::Index n, Ipopt::Number* xl, Ipopt::Number* xu, Ipopt::Index m, Ipopt::Number* gl, Ipopt::Number* gu) override {
    std::fill(xl, xl + n, -2e19);
    std::fill(xu, xu + n, 2e19);
    for (Ipopt::Index i = 0; i < m; ++i) gl[i] = -2e19, gu[i] = im_.h(i);
    return true;
  }
  bool get_starting_point(Ipopt::Index n, bool, Ipopt::Number* x, bool, Ipopt::Number*, Ipopt::Number*, Ipopt::Index, bool, Ipopt::Number*) override {
    std::copy(z_.data(), z_.data() + n, x);
    return true;
  }
  bool eval_f(Ipopt::Index n, const Ipopt::Number* x, bool new_x, Ipopt::Number& f) override {
    if (!at(n, x, new_x)) return false;
    f = r_.squaredNorm();
    return true;
  }
  bool eval_grad_f(Ipopt::Index n, const Ipopt::Number* x, bool new_x, Ipopt::Number* g) override {
    if (!at(n, x, new_x)) return false;
    Eigen::Map<Eigen::VectorXd>(g, n) = 2.0 * (jz_.transpose() * r_);
    return true;
  }
  // new_x is true on the first call of any eval_* at a new point: this one may take it
  bool eval_g(Ipopt::Index n, const Ipopt::Number* x, bool new_x, Ipopt::Index m, Ipopt::Number* g) override {
    if (new_x) valid_ = false;
    Eigen::Map<Eigen::VectorXd>(g, m) = im_.g * Eigen::Map<const Eigen::VectorXd>(x, n);
    return true;
  }
  bool eval_jac_g(Ipopt::Index, const Ipopt::Number*, bool new_x, Ipopt::Index, Ipopt::Index nele, Ipopt::Index* irow, Ipopt::Index* jcol,
                  Ipopt::Number* values) override {
    if (new_x) valid_ = false;
    for (Ipopt::Index e = 0; e < nele; ++e) {
      const auto k = static_cast<std::size_t>(e);
      if (!values) irow[e] = static_cast<Ipopt::Index>(rows_[k]), jcol[e] = static_cast<Ipopt::Index>(cols_[k]);
      else values[e] = im_.g(rows_[k], cols_[k]);
    }
    return true;
  }
  bool eval_h(Ipopt::Index n, const Ipopt::Number* x, bool new_x, Ipopt::Number obj_factor, Ipopt::Index, const Ipopt::Number*, bool, Ipopt::Index,
              Ipopt::Index* irow, Ipopt::Index* jcol, Ipopt::Number* values) override {
    Ipopt::Index e = 0;
    if (!values) {
      for (Ipopt::Index i = 0; i < n; ++i)
        for (Ipopt::Index j = 0; j <= i; ++j) irow[e] = i, jcol[e] = j, ++e;
      return true;
    }
    if (!at(n, x, new_x)) return false;
    const Eigen::MatrixXd h = 2.0 * obj_factor * (jz_.transpose() * jz_);
    for (Ipopt::Index i = 0; i < n; ++i)
      for (Ipopt::Index j = 0; j <= i; ++j) values[e++] = h(i, j);
    return true;
  }
  void finalize_solution(Ipopt::SolverReturn, Ipopt::Index n, const Ipopt::Number* x, const Ipopt::Number*, const Ipopt::Number*, Ipopt::Index,
                         const Ipopt::Number*, const Ipopt::Number*, Ipopt::Number, const Ipopt::IpoptData*, Ipopt::IpoptCalculatedQuantities*) override {
    z_ = Eigen::Map<const Eigen::VectorXd>(x, n);
  }
  const Eigen::VectorXd& solution() const { return z_; }
  int evaluations = 0;

 private:
  // residuals and their Jacobian in z at x, computed once per point
  bool at(Ipopt::Index n, const Ipopt::Number* x, bool new_x) {
    if (!new_x && valid_ && std::equal(x, x + n, point_.data())) return ok_;
    point_ = Eigen::Map<const Eigen::VectorXd>(x, n);
    valid_ = true;
    ++evaluations;
    const Eigen::VectorXd zv = Eigen::Map<const Eigen::VectorXd>(x, n);
    ok_ = problem_.residuals(im_.x_of(zv), work_, r_, &jac_);
    if (ok_) jz_ = jac_ * im_.dx_dz(zv);
    return ok_;
  }
  const FitProblem& problem_;
  const FitProblem::Impl& im_;
  FitProblem::Workspace& work_;
  Eigen::VectorXd z_, r_, point_;
  Eigen::MatrixXd jac_, jz_;
  std::vector<Eigen::Index> rows_, cols_;
  bool valid_ = false, ok_ = false;
};

std::string describe(Ipopt::ApplicationReturnStatus st) {
  switch (st) {
    case Ipopt::Solve_Succeeded: return "converged";
    case Ipopt::Solved_To_Acceptable_Level: return "converged (acceptable level)";
    case Ipopt::Maximum_Iterations_Exceeded: return "max evaluations";
    case Ipopt::Search_Direction_Becomes_Too_Small: return "converged (step too small)";
    case Ipopt::Restoration_Failed: return "failed: restoration";
    case Ipopt::Error_In_Step_Computation: return "failed: step computation";
    case Ipopt::Invalid_Number_Detected: return "failed: invalid number";
    default: return "failed (Ipopt status " + std::to_string(static_cast<int>(st)) + ")";
  }
}

}  // namespace

Result<FitResult> FitProblem::fit(const FitOptions& options, const std::vector<Eigen::VectorXd>& extra_starts,
                                  const ProgressHook& progress) const {
  Diagnostics d("fit");
  if (auto problems = options.validate(); !problems.empty()) return Result<FitResult>::failure(problems);
  const auto& im = *impl_;
  const Eigen::Index nf = im.space.n_free(), nx = im.nx(), nz = im.null.cols();
  // starting points in z
  std::vector<Eigen::VectorXd> starts;
  for (const auto& given : extra_starts) {
    Eigen::VectorXd x = given;
    if (x.size() == nf && nx > nf) {  // free fluxes only: the fitted pools start at their given sizes
      x.conservativeResize(nx);
      for (Eigen::Index k = nf; k < nx; ++k) x(k) = im.pool_sizes[im.pool_params[static_cast<std::size_t>(k - nf)]];
    }
    if (x.size() != nx) {
      d.error("a given start has " + std::to_string(x.size()) + " free parameters, the model " + std::to_string(nx), 0, 0);
      return Result<FitResult>::failure(d);
    }
    starts.push_back(im.z_of(x));
  }
  // A given start outside the polytope (an ML-Flux prediction can break a bound or an
  // exchange cap) would leave SLSQP infeasible: it is moved towards an interior point
  // (the centre of the sampler's warm-up points) until every inequality holds.
  if (!starts.empty() && im.g.rows() > 0) {
    std::optional<Eigen::VectorXd> centre;
    for (auto& z : starts) {
      if (((im.g * z - im.h).array() <= 1e-6).all()) continue;  // a flux table's rounding is no violation
      if (!centre) {
        auto sampler = sampling::AchrSampler::create(im.polytope);
        if (!sampler) return Result<FitResult>::failure(sampler.diagnostics());
        Eigen::VectorXd c = Eigen::VectorXd::Zero(nx);
        for (const auto& w : sampler.value().warmup()) c += w;
        c /= static_cast<double>(std::max<std::size_t>(1, sampler.value().warmup().size()));
        centre = im.z_of(c);
      }
      z = *centre + 0.999 * feasible_fraction(im, *centre, z) * (z - *centre);
    }
  }
  if (options.starts > 0) {
    sampling::AchrOptions ao;
    ao.seed = options.seed;
    auto sampler = sampling::AchrSampler::create(im.polytope, ao);
    if (!sampler) return Result<FitResult>::failure(sampler.diagnostics());
    // Uniform points put most exchange fluxes near the top of their range, where the
    // MIDs have equilibrated and hardly respond: each exchange flux is redrawn
    // log-uniformly between max(lower, exchange_floor·upper) and upper where the point stays feasible.
    // Equalities may tie exchange fluxes together (parallel-tracer copies of a network):
    // a flux is moved along its direction projected onto them (null·nullᵀ·e_k), which
    // moves the fluxes tied to it alike.
    std::mt19937_64 rng(options.seed ^ 0x9e3779b97f4a7c15ULL);
    std::normal_distribution<double> pool_normal(0.0, 1.0);
    const Eigen::Index nnet = im.space.n_free_net();
    auto box = im.polytope.bounding_box();
    const Eigen::MatrixXd along = im.null * im.null.middleRows(nnet, nx - nnet).transpose();  // column k − nnet: P·e_k
    for (int s = 0; s < options.starts; ++s) {
      Eigen::VectorXd x = sampler.value().next();
      // exchange fluxes log-uniformly in their ranges; fitted pools around their given size
      // (a factor e^N(0,1), within the bounds: the size a user gives is a measured or
      // literature value, and a pool 100 times off makes the labelling far too fast or slow)
      if (box.ok())
        for (Eigen::Index k = nnet; k < nx; ++k) {
          const double hi = box.value().upper(k), lo = k < nf ? std::max(box.value().lower(k), options.exchange_floor * hi) : box.value().lower(k);
          const double reach = along(k, k - nnet);
          if (!(hi > lo) || !(lo > 0) || !(reach > 1e-9)) continue;  // fixed, or fixed by the equalities
          const double target = k < nf ? lo * std::pow(hi / lo, sampling::uniform01(rng))
                                       : std::clamp(im.pool_sizes[im.pool_params[static_cast<std::size_t>(k - nf)]] * std::exp(pool_normal(rng)), lo, hi);
          const Eigen::VectorXd y = x + along.col(k - nnet) * ((target - x(k)) / reach);
          if (im.polytope.contains(y, 1e-9)) x = y;
        }
      starts.push_back(im.z_of(x));
    }
    // the cheap pre-fit: each sampled start moved (least, in z) to where it fits the measured
    // fluxes, which are linear in the parameters, so one quadratic program does it; then 1 %
    // of the way back, so that it stays off the polytope's faces
    const std::size_t n_measured_fluxes = im.fluxes.size() - im.n_pool_measurements;  // pools may be on a ratio scale: not linear in z
    if (options.prefit && n_measured_fluxes > 0 && nz > 0) {
      Eigen::MatrixXd fz(static_cast<Eigen::Index>(n_measured_fluxes), nz);
      Eigen::VectorXd f0(fz.rows());
      for (std::size_t k = 0; k < n_measured_fluxes; ++k) {
        const auto i = static_cast<Eigen::Index>(k);
        fz.row(i) = im.flux_rows.row(i) * im.null / im.fluxes[k].sd;
        f0(i) = (im.flux_rows.row(i).dot(im.x0) - im.fluxes[k].value) / im.fluxes[k].sd;
      }
      Eigen::MatrixXd hq = fz.transpose() * fz;
      const double eps = 1e-6 * std::max(1.0, hq.diagonal().maxCoeff());
      hq.diagonal().array() += eps;
      for (std::size_t s = extra_starts.size(); s < starts.size(); ++s) {
        Eigen::VectorXd& z = starts[s];
        const QpSolution moved = solve_convex_qp(hq, fz.transpose() * f0 - eps * z, im.g, im.h);
        if (moved.ok) z += 0.99 * (moved.x - z);
      }
    }
  }
  if (starts.empty()) {
    d.error("no starting points (starts = 0 and none given)", 0, 0);
    return Result<FitResult>::failure(d);
  }
  FitResult result;
  result.solver = options.solver;
  result.starts.resize(starts.size());
  const int n_threads = std::max(1, std::min<int>(options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency()),
                                                  static_cast<int>(starts.size())));
  std::atomic<std::size_t> next{0};
  std::atomic<int> done{0};
  std::atomic<bool> stop{false};
  std::mutex progress_mutex;
  for (std::size_t s = 0; s < starts.size(); ++s) {  // until it runs
    result.starts[s].start = static_cast<int>(s);
    result.starts[s].extra = s < extra_starts.size();
    result.starts[s].status = "not run";
    result.starts[s].ssr = kInfinity;
  }
  const Kinks kinks = options.solver == "lm" ? one_way_kinks(im) : Kinks{};
  const auto t0 = std::chrono::steady_clock::now();
  auto worker = [&] {
    auto work = workspace();
    for (std::size_t s = next++; s < starts.size() && !stop; s = next++) {
      const auto s0 = std::chrono::steady_clock::now();
      // SLSQP's quasi-Newton model goes stale where the one-way fluxes kink (net = 0)
      // and on flat exchange directions, and it then stops early: restart it from where
      // it stopped, with a fresh model, while that still lowers the SSR. If it stalls at
      // once (its first steps overshoot on large problems: CCM with 20 experiments), the
      // start is run again with the objective divided by √SSR of the start.
      Callback cb{this, &im, work.get(), {}, {}, 0, 1.0};
      std::vector<double> z;
      nlopt_result status = NLOPT_SUCCESS;
      std::string ipopt_status;  // the status of a solver other than SLSQP
      int evaluations = 0;
      if (options.solver == "lm") {
        LeastSquaresOptions lo;
        lo.max_evaluations = options.max_evaluations;
        lo.relative_tolerance = options.relative_tolerance;
        const ResidualFunction in_z = residuals_in_z(*this, im, *work);
        const LeastSquaresResult lm = constrained_levenberg_marquardt(in_z, starts[s], im.g, im.h, lo, kinks);
        z.assign(lm.z.data(), lm.z.data() + nz);
        ipopt_status = lm.status;
        evaluations = lm.evaluations;
      } else if (options.solver == "ipopt-gn") {
        // one solve at a time: Debian's Ipopt factors with MUMPS, whose sequential build
        // shares state between instances
        static std::mutex ipopt_mutex;
        std::lock_guard ipopt_lock(ipopt_mutex);
        Ipopt::SmartPtr<Ipopt::IpoptApplication> app = IpoptApplicationFactory();
        app->Options()->SetIntegerValue("print_level", 0);
        app->Options()->SetStringValue("sb", "yes");
        app->Options()->SetStringValue("jac_c_constant", "yes");
        app->Options()->SetStringValue("jac_d_constant", "yes");
        app->Options()->SetStringValue("mu_strategy", "adaptive");
        app->Options()->SetNumericValue("tol", 1e-8);
        app->Options()->SetIntegerValue("max_iter", options.max_evaluations);
        Ipopt::SmartPtr<GaussNewtonNlp> nlp = new GaussNewtonNlp(*this, im, *work, starts[s]);
        if (app->Initialize() != Ipopt::Solve_Succeeded) {
          ipopt_status = "failed: Ipopt did not start";
          z.assign(starts[s].data(), starts[s].data() + nz);
        } else {
          ipopt_status = describe(app->OptimizeTNLP(Ipopt::SmartPtr<Ipopt::TNLP>(GetRawPtr(nlp))));
          z.assign(nlp->solution().data(), nlp->solution().data() + nz);
        }
        evaluations = nlp->evaluations;
      }
      for (int attempt = 0; ipopt_status.empty() && attempt < 2; ++attempt) {
        cb.scale = attempt == 0 ? 1.0 : 0.0;  // 0: set from the start's SSR
        cb.evaluations = 0;
        nlopt_opt opt = nlopt_create(NLOPT_LD_SLSQP, static_cast<unsigned>(nz));
        nlopt_set_min_objective(opt, objective, &cb);
        if (im.g.rows() > 0) {
          const std::vector<double> tol(static_cast<std::size_t>(im.g.rows()), 1e-9);
          nlopt_add_inequality_mconstraint(opt, static_cast<unsigned>(im.g.rows()), inequalities, const_cast<Impl*>(&im), tol.data());
        }
        nlopt_set_ftol_rel(opt, options.relative_tolerance);
        nlopt_set_xtol_rel(opt, 1e-10);
        z.assign(starts[s].data(), starts[s].data() + nz);
        double f = 0, previous = kInfinity;
        for (int round = 0; nz > 0 && round < options.restarts + 1 && cb.evaluations < options.max_evaluations; ++round) {
          nlopt_set_maxeval(opt, options.max_evaluations - cb.evaluations);
          status = nlopt_optimize(opt, z.data(), &f);
          if (status < 0 || !(f < previous * (1 - 1e-6))) break;
          previous = f;
        }
        nlopt_destroy(opt);
        evaluations += cb.evaluations;
        if (cb.evaluations >= kStalled) break;
      }
      cb.evaluations = evaluations;
      StartResult& out = result.starts[s];
      out.start = static_cast<int>(s);
      out.extra = s < extra_starts.size();
      out.status = ipopt_status.empty() ? describe(status) : ipopt_status;
      out.x = im.x_of(Eigen::Map<const Eigen::VectorXd>(z.data(), nz));
      // the final point's own SSR (SLSQP may report an earlier one); a point whose labelling
      // cannot be simulated (metabolites in a cycle that no flux enters) has none and is never the best
      Eigen::VectorXd r;
      if (residuals(out.x, *work, r, nullptr)) {
        out.ssr = r.squaredNorm();
      } else {
        out.ssr = kInfinity;
        out.status = "failed: the labelling cannot be simulated at its end point (metabolites in a cycle that no flux enters)";
      }
      out.evaluations = cb.evaluations;
      out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
      const int k = ++done;
      if (progress) {
        std::lock_guard lock(progress_mutex);
        if (!progress(Progress{k, static_cast<long>(starts.size()), "starts"})) stop = true;
      }
    }
  };
  auto run_pool = [&] {
    std::vector<std::thread> pool;
    for (int t = 1; t < n_threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
  };
  run_pool();
  // basin hopping: the best start so far perturbed, and fitted again
  const int perturbed_starts = options.perturbed_starts < 0 ? options.starts : options.perturbed_starts;
  if (perturbed_starts > 0 && !stop) {
    int best_so_far = -1;
    for (const auto& s : result.starts)
      if (std::isfinite(s.ssr) && s.ssr < kFailedSsr && (best_so_far < 0 || s.ssr < result.starts[static_cast<std::size_t>(best_so_far)].ssr) &&
          im.polytope.violation(s.x) <= 1e-6 * (1 + s.x.lpNorm<Eigen::Infinity>()))
        best_so_far = s.start;
    if (best_so_far >= 0) {
      sampling::AchrOptions ao;
      ao.seed = options.seed ^ 0x5bd1e995ULL;
      auto sampler = sampling::AchrSampler::create(im.polytope, ao);
      if (!sampler) return Result<FitResult>::failure(sampler.diagnostics());
      auto box = im.polytope.bounding_box();
      std::mt19937_64 rng(options.seed ^ 0x2545f4914f6cdd1dULL);
      std::normal_distribution<double> normal(0.0, 1.0);
      const Eigen::Index nnet = im.space.n_free_net();
      const Eigen::VectorXd x_best = result.starts[static_cast<std::size_t>(best_so_far)].x;
      const Eigen::VectorXd z_best = im.z_of(x_best);
      const std::size_t first = starts.size();
      for (int k = 0; k < perturbed_starts; ++k) {
        Eigen::VectorXd x = x_best;
        const Eigen::VectorXd uniform = sampler.value().next();
        x.head(nnet) += 0.1 * (uniform.head(nnet) - x_best.head(nnet));
        if (box.ok())
          for (Eigen::Index j = nnet; j < nx; ++j) {
            const double hi = box.value().upper(j), lo = j < nf ? std::max(box.value().lower(j), options.exchange_floor * hi) : box.value().lower(j);
            if (!(hi > lo) || !(lo > 0)) continue;
            x(j) = std::clamp(std::max(x(j), lo) * std::exp(0.5 * normal(rng)), lo, hi);
          }
        // onto the equalities, then towards the best point until every inequality holds
        const Eigen::VectorXd z = im.z_of(x);
        starts.push_back(z_best + feasible_fraction(im, z_best, z) * (z - z_best));
      }
      result.starts.resize(starts.size());
      for (std::size_t s = first; s < starts.size(); ++s) {
        result.starts[s].start = static_cast<int>(s);
        result.starts[s].perturbed = true;
        result.starts[s].status = "not run";
        result.starts[s].ssr = kInfinity;
      }
      next = first;
      run_pool();
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // the best feasible start
  double best = kInfinity;
  for (const auto& s : result.starts)
    if (s.ssr < best && im.polytope.violation(s.x) <= 1e-6 * (1 + s.x.lpNorm<Eigen::Infinity>())) {
      best = s.ssr;
      result.best_start = s.start;
    }
  if (result.best_start < 0) {
    d.error("no start ended at a feasible point with a finite SSR", 0, 0);
    return Result<FitResult>::failure(d);
  }
  {
    const StartResult& b = result.starts[static_cast<std::size_t>(result.best_start)];
    const bool converged = b.status.rfind("converged", 0) == 0;
    result.summary.termination = stop ? Termination::stopped : converged ? Termination::converged : Termination::no_convergence;
    result.summary.message = (stop ? "after " + std::to_string(done.load()) + " of " + std::to_string(starts.size()) + " starts; " : std::string()) +
                             "the best start (" + std::to_string(b.start) + ") ended " + b.status;
    result.summary.details = {{"starts run", std::to_string(done.load())}, {"best SSR", format_short(b.ssr)}};
  }
  result.x = result.starts[static_cast<std::size_t>(result.best_start)].x;
  // exchange fluxes at their bound 0 come back as ±1e-15 from x0 + null·z: exactly 0
  for (Eigen::Index k = im.space.n_free_net(); k < nf; ++k)
    if (result.x(k) < 0 && result.x(k) > -1e-9) result.x(k) = 0;
  auto work = workspace();
  Eigen::VectorXd r;
  Eigen::MatrixXd jac;
  if (!residuals(result.x, *work, r, &jac)) {  // the rounding of exchange fluxes to 0 made a pool unsimulatable
    result.x = result.starts[static_cast<std::size_t>(result.best_start)].x;
    if (!residuals(result.x, *work, r, &jac)) {
      d.error("the labelling at the best start's end point cannot be simulated with its derivatives", 0, 0);
      return Result<FitResult>::failure(d);
    }
  }
  result.fluxes = im.space.free_to_full(result.x.head(nf));
  result.ssr = r.squaredNorm();
  result.n_measurements = static_cast<int>(n_measurements());
  result.n_parameters = static_cast<int>(nz + static_cast<Eigen::Index>(im.groups.size()));
  for (std::size_t g = 0; g < im.groups.size(); ++g)
    result.scale_factors.push_back({im.groups[g].experiment, im.groups[g].name, work->scales[g]});
  result.exchange_parameters = im.exchange_parameters;
  result.exchange_scale = im.exchange_scale;
  result.ratio_exchanges = static_cast<int>((im.ratio.array() > 0).count());
  result.dof = result.n_measurements - result.n_parameters;
  if (result.dof > 0) {
    result.chi2_critical = chi_squared_critical(result.dof, 0.05);
    result.p_value = chi_squared_upper_tail(result.ssr, result.dof);
  }
  // residuals per measurement
  for (std::size_t i = 0; i < im.entries.size(); ++i) {
    const auto& en = im.entries[i];
    result.residuals.push_back({"mid", en.experiment, en.name, en.isotopologue, en.time < 0 ? -1.0 : im.times[static_cast<std::size_t>(en.time)],
                                en.measured, en.sd, en.measured + r(static_cast<Eigen::Index>(i)) * en.sd});
  }
  for (std::size_t k = 0; k < im.fluxes.size(); ++k) {
    const auto& f = im.fluxes[k];
    const bool pool = k >= im.fluxes.size() - im.n_pool_measurements;
    result.residuals.push_back({pool ? "pool" : "flux", "", f.name, -1, -1.0, f.value, f.sd,
                                f.value + r(static_cast<Eigen::Index>(im.entries.size() + k)) * f.sd});
  }
  // linearised standard errors in the reduced parameters
  // (none when the equalities fix every parameter: Eigen's SVD cannot take zero columns,
  // and every flux then has standard error 0)
  const Eigen::MatrixXd dxz = im.dx_dz(im.z_of(result.x));
  const Eigen::MatrixXd jz = jac * dxz;
  Eigen::VectorXd sv;
  Eigen::MatrixXd v(nz, 0);
  if (nz > 0 && jz.rows() > 0) {
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(jz, Eigen::ComputeThinV);
    sv = svd.singularValues();
    v = svd.matrixV();
  }
  const double cut = 1e-10 * (sv.size() ? sv(0) : 0.0);
  Eigen::Index rank = 0;
  for (Eigen::Index i = 0; i < sv.size(); ++i)
    if (sv(i) > cut) ++rank;
  Eigen::MatrixXd covz_half = v.leftCols(rank);  // Cov_z = W·Wᵀ with W = V_r·S_r⁻¹
  for (Eigen::Index i = 0; i < rank; ++i) covz_half.col(i) /= sv(i);
  const Eigen::MatrixXd unseen = v.rightCols(nz - rank);
  auto se_of = [&](const Eigen::RowVectorXd& dx) {  // d(flux)/dx
    const Eigen::RowVectorXd dz = dx * dxz;
    const double scale = dz.norm();
    if (scale == 0) return 0.0;
    if (unseen.cols() > 0 && (dz * unseen).norm() > 1e-6 * scale) return kInfinity;
    return (dz * covz_half).norm();
  };
  const Eigen::Index nc = im.space.n_columns(), nnet = im.space.n_free_net();
  result.net_se = Eigen::VectorXd::Zero(nc);
  result.exchange_se = Eigen::VectorXd::Zero(nc);
  for (Eigen::Index j = 0; j < nc; ++j) {
    Eigen::RowVectorXd dx = Eigen::RowVectorXd::Zero(nx);
    dx.head(nnet) = im.space.net_kernel().row(j);
    result.net_se(j) = se_of(dx);
  }
  const auto& ex = im.space.exchange_columns();
  for (std::size_t k = 0; k < ex.size(); ++k) {
    Eigen::RowVectorXd dx = Eigen::RowVectorXd::Zero(nx);
    dx(nnet + static_cast<Eigen::Index>(k)) = 1.0;
    result.exchange_se(ex[k]) = se_of(dx);
  }
  // the pools of a time course
  result.times = im.times;
  for (std::size_t k = 0; k < im.simulated_pools.size(); ++k) {
    const FitPool& spec = im.pool_specs[k];
    PoolEstimate pe{spec.metabolite, spec.size, spec.fitted, 0.0, spec.fitted ? spec.lower : spec.size, spec.fitted ? spec.upper : spec.size};
    const auto it = std::find(im.pool_params.begin(), im.pool_params.end(), im.simulated_pools[k]);
    if (it != im.pool_params.end()) {
      const Eigen::Index j = nf + (it - im.pool_params.begin());
      pe.size = result.x(j);
      pe.se = se_of(Eigen::RowVectorXd::Unit(nx, j));
    }
    result.pools.push_back(pe);
  }
  return Result<FitResult>::success(std::move(result), d.items());
}

namespace {

struct LinearEquality {
  Eigen::RowVectorXd c;  // in z
  double rhs = 0;
};

double linear_equality(unsigned n, const double* z, double* grad, void* data) {
  const auto& e = *static_cast<const LinearEquality*>(data);
  if (grad) std::copy(e.c.data(), e.c.data() + n, grad);
  return e.c.dot(Eigen::Map<const Eigen::VectorXd>(z, n)) - e.rhs;
}

}  // namespace

Result<std::vector<ProfileInterval>> FitProblem::profile(const FitResult& best, const std::vector<FluxTarget>& targets, double confidence,
                                                         const FitOptions& options, const ProgressHook& progress) const {
  using R = Result<std::vector<ProfileInterval>>;
  Diagnostics d("profile");
  const auto& im = *impl_;
  const Eigen::Index nf = im.nx(), nnet = im.space.n_free_net(), nz = im.null.cols();  // nf: every parameter (fitted pools too)
  if (!(confidence > 0 && confidence < 1)) {
    d.error("confidence must be in (0, 1)", 0, 0);
    return R::failure(d);
  }
  if (best.x.size() != nf) {
    d.error("the best fit does not belong to this problem", 0, 0);
    return R::failure(d);
  }
  const double threshold = chi_squared_quantile(confidence, 1);
  const auto& ex = im.space.exchange_columns();
  std::vector<ProfileInterval> out(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    if (t.pool >= 0) {  // a fitted pool
      if (t.pool >= static_cast<int>(im.pool_params.size())) {
        d.error("a profiled pool is not fitted", 0, 0);
        return R::failure(d);
      }
      out[i].target = t;
      const auto j = std::find(im.simulated_pools.begin(), im.simulated_pools.end(), im.pool_params[static_cast<std::size_t>(t.pool)]) - im.simulated_pools.begin();
      out[i].name = "pool(" + im.pool_specs[static_cast<std::size_t>(j)].metabolite + ")";
      continue;
    }
    if (t.column < 0 || t.column >= im.space.n_columns()) {
      d.error("a profiled flux is outside the model", 0, 0);
      return R::failure(d);
    }
    if (t.exchange && !std::binary_search(ex.begin(), ex.end(), t.column)) {
      d.error("'" + im.space.column_ids()[static_cast<std::size_t>(t.column)] + "' has no exchange flux to profile", 0, 0);
      return R::failure(d);
    }
    out[i].target = t;
    const std::string& id = im.space.column_ids()[static_cast<std::size_t>(t.column)];
    out[i].name = t.exchange ? "xch(" + id + ")" : id;
  }
  auto direction = [&](const FluxTarget& t) {  // d(flux)/dx
    Eigen::RowVectorXd c = Eigen::RowVectorXd::Zero(nf);
    if (t.pool >= 0) c(im.space.n_free() + t.pool) = 1.0;
    else if (t.exchange) c(nnet + (std::lower_bound(ex.begin(), ex.end(), t.column) - ex.begin())) = 1.0;
    else c.head(nnet) = im.space.net_kernel().row(t.column);
    return c;
  };
  const Eigen::VectorXd z_best = im.z_of(best.x);
  const Eigen::MatrixXd dxz_best = im.dx_dz(z_best);
  const Kinks kinks = options.solver == "lm" ? one_way_kinks(im) : Kinks{};
  // linearised SE of a flux at the best fit: the first step of its continuation
  Eigen::MatrixXd covz_half, unseen;
  {
    auto work = workspace();
    Eigen::VectorXd r;
    Eigen::MatrixXd jac;
    if (!residuals(best.x, *work, r, &jac)) {
      d.error("the best fit cannot be simulated", 0, 0);
      return R::failure(d);
    }
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(jac * dxz_best, Eigen::ComputeThinV);
    const auto& sv = svd.singularValues();
    Eigen::Index rank = 0;
    for (Eigen::Index k = 0; k < sv.size(); ++k)
      if (sv(k) > 1e-10 * sv(0)) ++rank;
    covz_half = svd.matrixV().leftCols(rank);
    for (Eigen::Index k = 0; k < rank; ++k) covz_half.col(k) /= sv(k);
    unseen = svd.matrixV().rightCols(nz - rank);
  }
  auto linearised_se = [&](const Eigen::RowVectorXd& cx) {
    const Eigen::RowVectorXd dz = cx * dxz_best;
    if (unseen.cols() > 0 && (dz * unseen).norm() > 1e-6 * dz.norm()) return kInfinity;
    return (dz * covz_half).norm();
  };
  const int n_threads = std::max(1, std::min<int>(options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency()),
                                                  static_cast<int>(targets.size())));
  std::atomic<std::size_t> next{0};
  std::atomic<int> done{0};
  std::atomic<bool> stop{false};
  std::mutex progress_mutex;
  auto worker = [&] {
    auto work = workspace();
    std::optional<sampling::AchrSampler> sampler;  // fresh starts for the refits at the ends
    if (options.solver == "lm" && options.profile_starts > 0) {
      sampling::AchrOptions ao;
      ao.seed = options.seed ^ 0x7f4a7c159e3779b9ULL;
      if (auto s = sampling::AchrSampler::create(im.polytope, ao)) sampler.emplace(std::move(s.value()));
    }
    for (std::size_t i = next++; i < targets.size() && !stop; i = next++) {
      ProfileInterval& pi = out[i];
      const Eigen::RowVectorXd cx = direction(pi.target);
      // the flux held at t is one linear equality in z: on an exchange flux's ratio
      // scale (FitOptions::exchange_parameters) its coordinate is held at y(t)
      LinearEquality eq{cx * im.null, 0.0};
      const double offset = cx.dot(im.x0);
      const Eigen::Index ratio_k = pi.target.pool >= 0 ? im.space.n_free() + pi.target.pool
                                   : pi.target.exchange ? nnet + (std::lower_bound(ex.begin(), ex.end(), pi.target.column) - ex.begin())
                                                        : -1;
      auto held = [&](double t) { return ratio_k >= 0 ? im.y_of(ratio_k, t) : t; };
      pi.value = cx.dot(best.x);
      pi.lowest_ssr = best.ssr;
      // the SSR of the best fit with the flux held at t, from z (updated in place);
      // `converged` says whether the solver stopped at a minimum
      bool converged = true;
      // Levenberg-Marquardt: the flux held by two opposite rows beside the inequalities,
      // from the point of them nearest to z
      Eigen::MatrixXd g_held(im.g.rows() + 2, nz);
      g_held << im.g, eq.c, -eq.c;
      Eigen::VectorXd h_held(im.g.rows() + 2);
      h_held.head(im.g.rows()) = im.h;
      auto held_at_lm = [&](double rhs, Eigen::VectorXd& z) {
        const double band = 1e-9 * (1 + std::fabs(rhs));  // a flux held at the polytope's end stays feasible in rounding
        h_held(im.g.rows()) = rhs + band;
        h_held(im.g.rows() + 1) = -rhs + band;
        const QpSolution nearest = solve_convex_qp(Eigen::MatrixXd::Identity(nz, nz), Eigen::VectorXd::Zero(nz), g_held, h_held - g_held * z);
        if (!nearest.ok) return kInfinity;  // the flux cannot be held there
        LeastSquaresOptions lo;
        lo.max_evaluations = options.max_evaluations;
        lo.relative_tolerance = options.relative_tolerance;
        const ResidualFunction in_z = residuals_in_z(*this, im, *work);
        const LeastSquaresResult lm = constrained_levenberg_marquardt(in_z, z + nearest.x, g_held, h_held, lo, kinks);
        if (!std::isfinite(lm.ssr)) return kInfinity;
        converged = lm.status.rfind("converged", 0) == 0;
        z = lm.z;
        pi.lowest_ssr = std::min(pi.lowest_ssr, lm.ssr);
        return lm.ssr;
      };
      // scaled: the objective divided by √SSR of the start (SLSQP's first step, −gradient,
      // overshoots on large SSRs; see fit())
      auto held_at = [&](double t, Eigen::VectorXd& z, bool scaled = false) {
        ++pi.fits;
        converged = false;
        if (options.solver == "lm") return held_at_lm(held(t) - offset, z);
        Callback cb{this, &im, work.get(), {}, {}, 0, scaled ? 0.0 : 1.0};
        nlopt_opt opt = nlopt_create(NLOPT_LD_SLSQP, static_cast<unsigned>(nz));
        nlopt_set_min_objective(opt, objective, &cb);
        if (im.g.rows() > 0) {
          const std::vector<double> tol(static_cast<std::size_t>(im.g.rows()), 1e-9);
          nlopt_add_inequality_mconstraint(opt, static_cast<unsigned>(im.g.rows()), inequalities, const_cast<Impl*>(&im), tol.data());
        }
        eq.rhs = held(t) - offset;
        nlopt_add_equality_constraint(opt, linear_equality, &eq, 1e-9 * (1 + std::fabs(t)));
        nlopt_set_ftol_rel(opt, options.relative_tolerance);
        nlopt_set_xtol_rel(opt, 1e-10);
        std::vector<double> zz(z.data(), z.data() + nz);
        double f = kFailedSsr, previous = kInfinity;
        nlopt_result status = NLOPT_FAILURE;
        for (int round = 0; round < 3 && cb.evaluations < options.max_evaluations; ++round) {
          nlopt_set_maxeval(opt, options.max_evaluations - cb.evaluations);
          status = nlopt_optimize(opt, zz.data(), &f);
          if (status < 0 || !(f < previous * (1 - 1e-6))) break;
          previous = f;
        }
        nlopt_destroy(opt);
        converged = status > 0 && status != NLOPT_MAXEVAL_REACHED && status != NLOPT_MAXTIME_REACHED;
        const Eigen::VectorXd zn = Eigen::Map<const Eigen::VectorXd>(zz.data(), nz);
        const Eigen::VectorXd x = im.x_of(zn);
        Eigen::VectorXd r;
        if (std::fabs(cx.dot(x) - t) > 1e-6 * (1 + std::fabs(t)) || im.polytope.violation(x) > 1e-6 * (1 + x.lpNorm<Eigen::Infinity>()) ||
            !residuals(x, *work, r, nullptr)) {
          converged = false;
          return kInfinity;  // the solver could not hold the flux there
        }
        z = zn;
        pi.lowest_ssr = std::min(pi.lowest_ssr, r.squaredNorm());
        return r.squaredNorm();
      };
      // a point on the segment from the feasible `from` towards `to`, as far as every
      // inequality holds
      auto towards = [&](const Eigen::VectorXd& from, const Eigen::VectorXd& to) {
        return Eigen::VectorXd(from + feasible_fraction(im, from, to) * (to - from));
      };
      const Eigen::RowVectorXd dzc = cx * im.null;
      const Eigen::VectorXd cov_dz = covz_half * (covz_half.transpose() * dzc.transpose());
      const double dz_cov_dz = dzc.dot(cov_dz);
      const bool seen = unseen.cols() == 0 || (dzc * unseen).norm() <= 1e-6 * dzc.norm();
      // the refit at t from z; above the threshold, again from the linearised optimum along
      // the constraint (z moved by Cov·dzᵀ, or by the least change where the flux is not
      // identifiable) and from the best fit moved onto the constraint; the lowest wins
      bool side_converged = true;
      // (`all`: every other start; else only the linearised optimum, for the bisection's
      // refits, which start next to a point already inside)
      auto refit = [&](double t, double t_from, Eigen::VectorXd& z, bool all = true) {
        const Eigen::VectorXd z0 = z;
        double ssr = held_at(t, z);
        bool ok = converged;
        if (ssr - best.ssr <= threshold) return ssr;
        const double dn = dzc.squaredNorm();
        const double dt = held(t) - held(t_from);
        const Eigen::VectorXd linear = seen && dz_cov_dz > 0 ? Eigen::VectorXd(z0 + cov_dz * (dt / dz_cov_dz))
                                                            : Eigen::VectorXd(z0 + dzc.transpose() * (dt / dn));
        const Eigen::VectorXd shifted = z_best + dzc.transpose() * ((held(t) - held(pi.value)) / dn);
        // (the first, SLSQP's scaled objective, is SLSQP's own remedy: not for "lm")
        for (int alt = all && options.solver != "lm" ? 0 : 1; alt < (all ? 3 : 2) && ssr - best.ssr > threshold; ++alt) {
          Eigen::VectorXd za = alt == 0 ? z0 : towards(z0, alt == 1 ? linear : shifted);
          const double s2 = held_at(t, za, alt == 0);
          if (s2 < ssr) ssr = s2, z = za, ok = converged;
        }
        // then from points drawn uniformly in the polytope (Levenberg-Marquardt moves each
        // onto the constraint first): a continuation can follow a branch of local minima
        // that ends while the profile goes on (mfapy's E. coli: TKT1 = 0.8 and RPI = 5 fit
        // within the threshold from fresh starts, not along the branch)
        if (all && options.solver == "lm" && sampler)
          for (int k = 0; k < options.profile_starts && ssr - best.ssr > threshold; ++k) {
            Eigen::VectorXd za = im.z_of(sampler->next());
            const double s2 = held_at(t, za);
            if (s2 < ssr) ssr = s2, z = za, ok = converged;
          }
        if (ssr - best.ssr <= threshold) ++pi.rescued;
        side_converged = ok;
        return ssr;
      };
      for (int side : {-1, 1}) {
        const LpSolution lp = im.polytope.optimize(cx.transpose(), side > 0);
        const double limit = lp.status == LpStatus::optimal ? lp.objective : side * kInfinity;
        const double room = std::fabs(limit - pi.value);
        double bound = pi.value;
        bool at_bound = false, open = false;
        if (room <= 1e-9 * (1 + std::fabs(pi.value))) {
          at_bound = true;
        } else {
          // first step: half the linearised half-width of the interval
          const double curvature_se = std::sqrt(threshold) * linearised_se(cx);
          double step = std::isfinite(curvature_se) && curvature_se > 0 ? 0.5 * curvature_se : 0.1 * std::min(room, 1.0 + std::fabs(pi.value));
          step = std::max(step, 1e-6 * (1 + std::fabs(pi.value)));
          Eigen::VectorXd z = z_best;
          double t_prev = pi.value;
          open = true;
          side_converged = true;
          for (int k = 0; k < 40; ++k) {
            const double t = std::fabs(t_prev + side * step - pi.value) >= room ? limit : t_prev + side * step;
            Eigen::VectorXd z_try = z;
            const double ssr = refit(t, t_prev, z_try);
            if (ssr - best.ssr > threshold) {
              // the threshold lies between t_prev and t: bisect
              const bool crossing_converged = side_converged;
              // until the bracket is within 1 % of the half-width found (five halvings left a
              // first step that overshot by far with a bracket as wide as the half-width)
              double inside = t_prev, outside = t;
              for (int b = 0; b < 30 && std::fabs(outside - inside) > 0.01 * std::fabs(inside - pi.value) + 1e-6 * (1 + std::fabs(pi.value));
                   ++b) {
                const double mid = 0.5 * (inside + outside);
                Eigen::VectorXd zm = z;
                if (refit(mid, inside, zm, false) - best.ssr > threshold) outside = mid;
                else {
                  inside = mid;
                  z = zm;
                }
              }
              side_converged = side_converged && crossing_converged;
              bound = 0.5 * (inside + outside);
              open = false;
              break;
            }
            z = z_try;
            t_prev = t;
            bound = t;
            if (t == limit) {
              at_bound = true;
              open = false;
              break;
            }
            if (ssr - best.ssr < 0.25 * threshold) step *= 2;
          }
        }
        const bool unconverged = !at_bound && !open && !side_converged;
        if (side < 0) {
          pi.low = bound;
          pi.low_at_bound = at_bound;
          pi.low_open = open;
          pi.low_unconverged = unconverged;
        } else {
          pi.high = bound;
          pi.high_at_bound = at_bound;
          pi.high_open = open;
          pi.high_unconverged = unconverged;
        }
      }
      const int k = ++done;
      if (progress) {
        std::lock_guard lock(progress_mutex);
        if (!progress(Progress{k, static_cast<long>(targets.size()), "fluxes"})) stop = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < n_threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (stop && done < static_cast<int>(targets.size())) {
    d.error("stopped after " + std::to_string(done.load()) + " of " + std::to_string(targets.size()) + " profiles", 0, 0);
    return R::failure(d);
  }
  return R::success(std::move(out), d.items());
}

Result<FitProblem::MonteCarlo> FitProblem::monte_carlo(const FitResult& best, int replicates, const FitOptions& options,
                                                      const ProgressHook& progress) const {
  using R = Result<MonteCarlo>;
  Diagnostics d("monte carlo");
  const auto& im = *impl_;
  if (replicates < 2) {
    d.error("at least 2 replicates", 0, 0);
    return R::failure(d);
  }
  if (best.residuals.size() != im.entries.size() + im.fluxes.size()) {
    d.error("the best fit does not belong to this problem", 0, 0);
    return R::failure(d);
  }
  const Eigen::Index nc = im.space.n_columns(), npool = static_cast<Eigen::Index>(im.simulated_pools.size());
  Eigen::MatrixXd net(replicates, nc), xch(replicates, nc), pool_sizes(replicates, npool);
  std::vector<bool> ok(static_cast<std::size_t>(replicates), false);
  const int n_threads = std::max(1, std::min(options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency()), replicates));
  std::atomic<int> next{0}, done{0};
  std::atomic<bool> stop{false};
  std::mutex progress_mutex;
  auto worker = [&] {
    for (int k = next++; k < replicates && !stop; k = next++) {
      // a data set around the best fit: one seeded stream per replicate
      std::mt19937_64 rng(options.seed * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(k) + 1);
      std::normal_distribution<double> normal;
      auto copy = std::make_shared<Impl>(im);
      for (std::size_t i = 0; i < copy->entries.size(); ++i)
        copy->entries[i].measured = best.residuals[i].simulated + copy->entries[i].sd * normal(rng);
      for (std::size_t i = 0; i < copy->fluxes.size(); ++i)
        copy->fluxes[i].value = best.residuals[im.entries.size() + i].simulated + copy->fluxes[i].sd * normal(rng);
      FitProblem replica;
      replica.impl_ = copy;
      FitOptions fo = options;
      fo.starts = 0;
      fo.threads = 1;
      auto fit = replica.fit(fo, {best.x});
      if (fit) {
        net.row(k) = fit.value().fluxes.net.transpose();
        xch.row(k) = fit.value().fluxes.exchange.transpose();
        for (Eigen::Index j = 0; j < npool; ++j) pool_sizes(k, j) = fit.value().pools[static_cast<std::size_t>(j)].size;
        ok[static_cast<std::size_t>(k)] = true;
      }
      const int n = ++done;
      if (progress) {
        std::lock_guard lock(progress_mutex);
        if (!progress(Progress{n, replicates, "replicates"})) stop = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < n_threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (stop && done < replicates) {
    d.error("stopped after " + std::to_string(done.load()) + " of " + std::to_string(replicates) + " replicates", 0, 0);
    return R::failure(d);
  }
  MonteCarlo mc;
  mc.replicates = replicates;
  std::vector<Eigen::Index> good;
  for (int k = 0; k < replicates; ++k)
    if (ok[static_cast<std::size_t>(k)]) good.push_back(k);
  mc.failed = replicates - static_cast<int>(good.size());
  if (good.size() < 2) {
    d.error("fewer than 2 replicates could be refitted", 0, 0);
    return R::failure(d);
  }
  auto summarise = [&](const Eigen::MatrixXd& m, Eigen::VectorXd& low, Eigen::VectorXd& high, Eigen::VectorXd& sd) {
    low.resize(m.cols());
    high.resize(m.cols());
    sd.resize(m.cols());
    std::vector<double> v(good.size());
    for (Eigen::Index c = 0; c < m.cols(); ++c) {
      double mean = 0;
      for (std::size_t i = 0; i < good.size(); ++i) mean += (v[i] = m(good[i], c)) / static_cast<double>(good.size());
      double ss = 0;
      for (double x : v) ss += (x - mean) * (x - mean);
      sd(c) = std::sqrt(ss / static_cast<double>(good.size() - 1));
      std::sort(v.begin(), v.end());
      auto quantile = [&](double q) {  // linear interpolation between order statistics
        const double pos = q * static_cast<double>(v.size() - 1);
        const auto i = static_cast<std::size_t>(pos);
        return i + 1 < v.size() ? v[i] + (pos - static_cast<double>(i)) * (v[i + 1] - v[i]) : v.back();
      };
      low(c) = quantile(0.025);
      high(c) = quantile(0.975);
    }
  };
  summarise(net, mc.net_low, mc.net_high, mc.net_sd);
  summarise(xch, mc.exchange_low, mc.exchange_high, mc.exchange_sd);
  summarise(pool_sizes, mc.pool_low, mc.pool_high, mc.pool_sd);
  return R::success(std::move(mc), d.items());
}

}  // namespace fluxion::mfa
