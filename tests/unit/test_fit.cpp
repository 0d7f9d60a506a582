// Least-squares MFA: the residual Jacobian equals finite differences; exact data are
// fitted to SSR ≈ 0 at the true fluxes; mfapy's E. coli GC-MS data (Okahashi 2017) are
// fitted below their χ² threshold and below mfapy's own SSR; mfapy's files give clear
// errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/freeflux.hpp"
#include "fluxion/io/ftbl.hpp"
#include "fluxion/io/mfapy_data.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/mfa/fit.hpp"
#include "fluxion/mfa/fit_inputs.hpp"
#include "fluxion/mfa/fit_report.hpp"
#include "fluxion/sampling/samplers.hpp"
#include "dead_end_model.hpp"
#include "model_compare.hpp"
#include "simple_truth.hpp"

using namespace fluxion;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kMfapy = std::string(FLUXION_SHARED_DATA) + "/mfa/mfapy/";

// mfapy's Example 2 as `fluxion fit` reads it: model, pseudo reactions, status sheet,
// MDVs, 70 % [1-13C] + 28 % [U-13C] glucose with natural 13C on the unlabelled atoms
// of glucose and the amino acids (mfapy's correction = 'yes'; not on CO2).
struct EcoliProblem {
  Model model;
  std::optional<FluxSpace> space;
  std::optional<mfa::FitProblem> problem;
  std::optional<sampling::FluxPolytope> polytope;
  mfa::FitOptions options;

  bool load() {
    const std::string model_text = slurp(kMfapy + "Example_2_Ecoli_model.txt");
    if (model_text.empty()) return false;
    auto m = io::read_mfapy(model_text, "Example_2_Ecoli_model.txt");
    EXPECT_TRUE(m.ok());
    model = m.value();
    auto rows = io::read_mfapy_status(slurp(kMfapy + "Example_2_Ecoli_status.csv"), "status");
    EXPECT_TRUE(rows.ok());
    EXPECT_TRUE(io::apply_mfapy_pseudo(rows.value(), "status", model).ok());
    auto fs = FluxSpace::build(model);
    EXPECT_TRUE(fs.ok());
    space = fs.value();
    auto c = io::mfapy_status_constraints(rows.value(), "status", model_text, model, *space);
    EXPECT_TRUE(c.ok());
    EXPECT_EQ(c.value().measured.size(), 4u);  // glucose uptake, acetone, IPA, acetate
    auto poly = sampling::FluxPolytope::build(model, *space, c.value().constraints);
    EXPECT_TRUE(poly.ok());
    auto mids = io::read_mfapy_mdv(slurp(kMfapy + "Example_2_Ecoli_mdv.txt"), "mdv", model_text, "ex1");
    EXPECT_TRUE(mids.ok());
    EXPECT_EQ(mids.value().mids.size(), 24u);
    auto tracers = io::read_tracer_table("experiment\tsubstrate\tlabel\tfraction\nex1\tSubsGlc\t[1-13C1]\t0.7\nex1\tSubsGlc\t[U-13C6]\t0.28\n", "tracers");
    EXPECT_TRUE(tracers.ok());
    options.natural_abundance = {"SubsGlc", "SubsAla", "SubsAsp", "SubsThr", "SubsGlu", "SubsPhe", "SubsTyr", "SubsIle", "SubsLeu", "SubsVal"};
    polytope = poly.value();
    auto p = mfa::FitProblem::create(model, *space, poly.value(), tracers.value().experiments, mids.value(), c.value().measured, options);
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.diagnostics().front().message);
    if (!p.ok()) return false;
    problem = p.value();
    return true;
  }
};

// Simulated MIDs as measurements with sd 0.01, one per experiment and measured fragment.
io::MidTable as_measured(const isotope::EmuModel& emu, const isotope::MidSet& out, const std::vector<isotope::TracerExperiment>& experiments) {
  io::MidTable table;
  const auto ids = emu.measured_ids();
  for (int x = 0; x < out.n_experiments; ++x)
    for (std::size_t k = 0; k < ids.size(); ++k) {
      io::MeasuredMid m;
      m.experiment = experiments[static_cast<std::size_t>(x)].id;
      m.fragment = ids[k];
      const auto mid = out.mid(x, k);
      m.fraction.assign(mid.begin(), mid.end());
      m.sd.assign(mid.size(), 0.01);
      table.mids.push_back(m);
    }
  return table;
}

// The built-in toy ("simple") with its tracers, a flux point drawn in its polytope (ACHR,
// `seed`) and the exact MIDs there as measurements with sd 0.01.
struct SimpleTruth {
  Model model;
  std::optional<FluxSpace> space;
  std::optional<sampling::FluxPolytope> polytope;
  std::vector<isotope::TracerExperiment> experiments;
  Eigen::VectorXd truth, other;  // the truth, and a second point of the same chain
  io::MidTable table;

  bool load(unsigned seed) {
    testing_support::SimpleNetwork n;
    if (!n.load(seed, 2)) return false;
    model = n.model;
    space = n.space;
    polytope = n.polytope;
    experiments = n.experiments;
    truth = n.points[0];
    other = n.points[1];
    isotope::EmuSimulator sim(*n.emu);
    isotope::MidSet out;
    if (sim.simulate(space->free_to_full(truth), *n.inputs, out) != isotope::SimulationStatus::ok) return false;
    table = as_measured(*n.emu, out, experiments);
    return true;
  }
};

}  // namespace

TEST(Fit, ResidualJacobianMatchesFiniteDifferences) {
  EcoliProblem e;
  if (!e.load()) GTEST_SKIP() << "mfapy data not found";
  // an interior point with no net flux near 0 (the one-way fluxes kink there)
  auto sampler = sampling::AchrSampler::create(*e.polytope, {});
  ASSERT_TRUE(sampler.ok());
  Eigen::VectorXd x;
  for (int tries = 0; tries < 500; ++tries) {
    x = sampler.value().next();
    const FluxVector v = e.space->free_to_full(x);
    bool kink = false;
    for (Eigen::Index c = 0; c < e.space->n_columns(); ++c)
      if (e.model.reactions[e.space->column_reaction(c)].reversible && std::fabs(v.net(c)) < 1e-2) kink = true;
    if (!kink) break;
  }
  auto work = e.problem->workspace();
  Eigen::VectorXd r, rp, rm;
  Eigen::MatrixXd jac;
  ASSERT_TRUE(e.problem->residuals(x, *work, r, &jac));
  ASSERT_EQ(jac.rows(), e.problem->n_measurements());
  ASSERT_EQ(jac.cols(), e.space->n_free());
  double worst = 0;
  for (Eigen::Index k = 0; k < x.size(); ++k) {
    const double h = 1e-6 * std::max(1.0, std::fabs(x(k)));
    Eigen::VectorXd xp = x, xm = x;
    xp(k) += h;
    xm(k) -= h;
    ASSERT_TRUE(e.problem->residuals(xp, *work, rp, nullptr));
    ASSERT_TRUE(e.problem->residuals(xm, *work, rm, nullptr));
    const Eigen::VectorXd fd = (rp - rm) / (2 * h);
    worst = std::max(worst, (fd - jac.col(k)).lpNorm<Eigen::Infinity>() / (1.0 + jac.col(k).lpNorm<Eigen::Infinity>()));
  }
  EXPECT_LT(worst, 1e-5);
}

// The fluxes --profile names: ids, xch(id), net, all.
TEST(Fit, ProfileTargetsByName) {
  auto model = io::load_model("simple");
  ASSERT_TRUE(model.ok());
  auto space = FluxSpace::build(model.value());
  ASSERT_TRUE(space.ok());
  const FluxSpace& fs = space.value();
  auto all = mfa::flux_targets(fs, {"all"});
  ASSERT_TRUE(all.ok()) << all.message();
  EXPECT_EQ(all.value().size(), static_cast<std::size_t>(fs.n_columns()) + fs.exchange_columns().size());
  ASSERT_FALSE(fs.exchange_columns().empty());
  const std::string id = fs.column_ids()[static_cast<std::size_t>(fs.exchange_columns().front())];
  auto one = mfa::flux_targets(fs, {"xch(" + id + ")", id});
  ASSERT_TRUE(one.ok()) << one.message();
  ASSERT_EQ(one.value().size(), 2U);
  EXPECT_TRUE(one.value()[0].exchange);
  EXPECT_FALSE(one.value()[1].exchange);
  auto bad = mfa::flux_targets(fs, {"nope"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("'nope' is not a reaction"), std::string::npos);
}

TEST(Fit, ExactDataAreFittedAtTheTrueFluxes) {
  SimpleTruth st;
  ASSERT_TRUE(st.load(7));
  const Eigen::VectorXd& truth = st.truth;
  const FluxSpace& fs = *st.space;
  const io::MidTable& table = st.table;
  mfa::FitOptions options;
  options.starts = 8;
  options.threads = 2;
  auto problem = mfa::FitProblem::create(st.model, fs, *st.polytope, st.experiments, table, {}, options);
  ASSERT_TRUE(problem.ok());
  auto fit = problem.value().fit(options);
  ASSERT_TRUE(fit.ok());
  EXPECT_LT(fit.value().ssr, 1e-6);
  EXPECT_TRUE(fit.value().accepted());
  // by default as many perturbed starts as sampled ones follow them
  EXPECT_EQ(mfa::FitOptions{}.perturbed_starts, -1);
  ASSERT_EQ(fit.value().starts.size(), 16U);
  EXPECT_EQ(std::count_if(fit.value().starts.begin(), fit.value().starts.end(), [](const auto& s) { return s.perturbed; }), 8);
  // every identifiable net flux is recovered
  const FluxVector v = fs.free_to_full(truth);
  int identifiable = 0;
  for (Eigen::Index c = 0; c < fs.n_columns(); ++c) {
    if (!std::isfinite(fit.value().net_se(c))) continue;
    ++identifiable;
    EXPECT_NEAR(fit.value().fluxes.net(c), v.net(c), 1e-3 * (1 + std::fabs(v.net(c)))) << fs.column_ids()[static_cast<std::size_t>(c)];
  }
  EXPECT_GT(identifiable, 0);
  // the other solvers (Ipopt with a Gauss-Newton Hessian; SLSQP when the default is
  // Levenberg-Marquardt) reach the same optimum
  for (const char* solver : {"ipopt-gn", "slsqp", "lm"}) {
    mfa::FitOptions other = options;
    other.solver = solver;
    auto f = problem.value().fit(other);
    ASSERT_TRUE(f.ok()) << solver << ": " << f.message();
    EXPECT_LT(f.value().ssr, 1e-6) << solver;
    EXPECT_EQ(f.value().solver, solver);
  }
  // perturbed restarts come after the sampled starts, inside the polytope, and reach the
  // optimum they started beside
  options.perturbed_starts = 3;
  auto hopped = problem.value().fit(options);
  ASSERT_TRUE(hopped.ok()) << hopped.message();
  ASSERT_EQ(hopped.value().starts.size(), 11U);
  for (std::size_t s = 0; s < 11; ++s) {
    EXPECT_EQ(hopped.value().starts[s].perturbed, s >= 8) << s;
    EXPECT_NE(hopped.value().starts[s].status, "not run") << s;
  }
  for (std::size_t s = 8; s < 11; ++s) {
    EXPECT_TRUE(st.polytope->contains(hopped.value().starts[s].x, 1e-6)) << s;
    EXPECT_LT(hopped.value().starts[s].ssr, 1e-4) << s;
  }
}

// Exchange fluxes fitted on the ratio scale x/(β + x) reach the fit that the flux scale
// reaches, report it in flux units, and give the same linearised standard errors (as a
// reparametrisation must at the same point) and profile intervals; the residuals'
// Jacobian in the solver's coordinates (through the scale) matches finite differences.
TEST(Fit, ExchangeFluxesOnTheRatioScaleGiveTheSameFitErrorsAndProfiles) {
  SimpleTruth st;
  ASSERT_TRUE(st.load(7));
  const FluxSpace& fs = *st.space;
  // measurements off the truth, so that the fit's SSR is not 0 and the profile has a shape
  io::MidTable noisy = st.table;
  for (std::size_t m = 0; m < noisy.mids.size(); ++m)
    for (std::size_t i = 0; i < noisy.mids[m].fraction.size(); ++i) noisy.mids[m].fraction[i] += 0.004 * std::sin(1.0 + 3.0 * m + 7.0 * i);
  mfa::FitOptions flux;
  flux.starts = 8;
  flux.threads = 2;
  flux.exchange_parameters = "flux";
  mfa::FitOptions ratio = flux;
  ratio.exchange_parameters = "ratio";
  ratio.exchange_scale = 2.0;
  auto p_flux = mfa::FitProblem::create(st.model, fs, *st.polytope, st.experiments, noisy, {}, flux);
  auto p_ratio = mfa::FitProblem::create(st.model, fs, *st.polytope, st.experiments, noisy, {}, ratio);
  ASSERT_TRUE(p_flux.ok() && p_ratio.ok());
  auto f = p_flux.value().fit(flux);
  auto r = p_ratio.value().fit(ratio);
  ASSERT_TRUE(f.ok() && r.ok());
  EXPECT_EQ(r.value().exchange_parameters, "ratio");
  EXPECT_EQ(r.value().ratio_exchanges, 1);  // v2's; the toy fixes v3-v5's exchange fluxes at 0 (equalities: they stay as they are)
  EXPECT_DOUBLE_EQ(r.value().exchange_scale, 2.0);
  EXPECT_EQ(f.value().ratio_exchanges, 0);
  EXPECT_NEAR(r.value().ssr, f.value().ssr, 1e-6 * (1 + f.value().ssr));
  EXPECT_TRUE(st.polytope->contains(r.value().x, 1e-9));
  for (Eigen::Index c = 0; c < fs.n_columns(); ++c) {
    const std::string id = fs.column_ids()[static_cast<std::size_t>(c)];
    const double se = f.value().net_se(c);
    if (!std::isfinite(se)) continue;
    EXPECT_NEAR(r.value().fluxes.net(c), f.value().fluxes.net(c), 1e-4 * (1 + std::fabs(f.value().fluxes.net(c)))) << id;
    EXPECT_NEAR(r.value().net_se(c), se, 1e-3 * se + 1e-9) << id;
  }
  int exchanges_seen = 0;
  Eigen::Index profiled = -1;
  for (Eigen::Index c : fs.exchange_columns()) {
    const double se = f.value().exchange_se(c);
    if (!std::isfinite(se) || se <= 0) continue;
    ++exchanges_seen;
    const std::string id = fs.column_ids()[static_cast<std::size_t>(c)];
    EXPECT_NEAR(r.value().fluxes.exchange(c), f.value().fluxes.exchange(c), 1e-4 * (1 + f.value().fluxes.exchange(c))) << id;
    EXPECT_NEAR(r.value().exchange_se(c), se, 1e-3 * se) << id;
    if (profiled < 0) profiled = c;
  }
  ASSERT_GT(exchanges_seen, 0);
  // the Jacobian in the solver's coordinates, at the fit and at a second point
  auto work = p_ratio.value().workspace();
  for (const Eigen::VectorXd& x : {r.value().x, st.other}) {
    const Eigen::VectorXd z = p_ratio.value().reduced(x);
    ASSERT_EQ(z.size(), p_ratio.value().n_fitted());
    EXPECT_LT((p_ratio.value().point(z) - x).lpNorm<Eigen::Infinity>(), 1e-9 * (1 + x.lpNorm<Eigen::Infinity>()));
    Eigen::VectorXd res, rp, rm;
    Eigen::MatrixXd jz;
    ASSERT_TRUE(p_ratio.value().reduced_residuals(z, *work, res, &jz));
    double worst = 0;
    for (Eigen::Index k = 0; k < z.size(); ++k) {
      const double h = 1e-6;
      Eigen::VectorXd zp = z, zm = z;
      zp(k) += h;
      zm(k) -= h;
      ASSERT_TRUE(p_ratio.value().reduced_residuals(zp, *work, rp, nullptr));
      ASSERT_TRUE(p_ratio.value().reduced_residuals(zm, *work, rm, nullptr));
      worst = std::max(worst, ((rp - rm) / (2 * h) - jz.col(k)).lpNorm<Eigen::Infinity>() / (1 + jz.col(k).lpNorm<Eigen::Infinity>()));
    }
    EXPECT_LT(worst, 1e-5);
  }
  // the profile of an exchange flux: the flux held at t is its scale coordinate held at y(t)
  const std::vector<mfa::FluxTarget> targets{{profiled, true}, {fs.exchange_columns().front(), false}};
  auto pf = p_flux.value().profile(f.value(), targets, 0.95, flux);
  auto pr = p_ratio.value().profile(r.value(), targets, 0.95, ratio);
  ASSERT_TRUE(pf.ok() && pr.ok()) << pf.message() << pr.message();
  for (std::size_t t = 0; t < targets.size(); ++t) {
    const auto &a = pf.value()[t], &b = pr.value()[t];
    const double width = a.high - a.low;
    ASSERT_GT(width, 0) << a.name;
    EXPECT_NEAR(b.low, a.low, 0.03 * width) << a.name;
    EXPECT_NEAR(b.high, a.high, 0.03 * width) << a.name;
  }
}

// A start whose labelling cannot be simulated has no SSR: it is reported as failed and is
// never the best fit; when every start is like it the fit is an error, not a crash. X and Y
// below exchange atoms with each other and reach the rest only through v3; with v3's
// exchange flux at 0 they are a closed cycle whose labelling nothing determines (the EMU
// system is singular). A metabolite without production is not such a point any more: it
// takes its producers' labelling (EmuSensitivities.AMetaboliteNoFluxProducesTakesItsLimit).
TEST(Fit, AStartWhoseLabellingCannotBeSimulatedIsNeverTheBest) {
  const std::string text =
      "#! measured: X F\n"
      "id\tequation\tlb\tub\txch_lb\txch_ub\n"
      "v1\tA (abc) -> B (abc)\t1\t1\t0\t0\n"
      "v2\tB (abc) -> F (cba)\t0\t10\t0\t0\n"
      "v3\tB (abc) <-> X (bca)\t-10\t10\t0\t10\n"
      "v4\tX (abc) <-> Y (cab)\t-10\t10\t0\t10\n"
      "EX_F\tF (abc) ->\t0\t10\t0\t0\n"
      "\n"
      "metabolite\tboundary\tatoms\tsymmetric\n"
      "A\tyes\tC3\tno\nB\tno\tC3\tno\nF\tno\tC3\tno\nX\tno\tC3\tno\nY\tno\tC3\tno\n";
  auto model = io::read_reaction_tsv(text, "cycle.tsv");
  ASSERT_TRUE(model.ok()) << model.message();
  auto space = FluxSpace::build(model.value());
  ASSERT_TRUE(space.ok());
  const FluxSpace& fs = space.value();
  auto tracers = io::read_tracer_table("experiment\tsubstrate\tlabel\tfraction\ne1\tA\t[1-13C1]\t0.5\ne1\tA\t[1,2-13C2]\t0.5\n", "tracers");
  ASSERT_TRUE(tracers.ok()) << tracers.message();
  auto poly = sampling::FluxPolytope::build(model.value(), fs, {});
  ASSERT_TRUE(poly.ok());
  auto sampler = sampling::AchrSampler::create(poly.value(), {});
  ASSERT_TRUE(sampler.ok());
  // a sampled point, with v3's exchange flux at 0 and v4's at 1
  const Eigen::VectorXd a = sampler.value().next();
  Eigen::VectorXd dead = a;
  const auto& xids = fs.exchange_ids();
  for (std::size_t k = 0; k < xids.size(); ++k) dead(fs.n_free_net() + static_cast<Eigen::Index>(k)) = xids[k] == "v3" ? 0.0 : 1.0;
  ASSERT_TRUE(poly.value().contains(dead, 1e-9)) << poly.value().violation(dead);
  // measurements: the MIDs at a live point
  auto emu = isotope::EmuModel::compile(model.value(), fs);
  ASSERT_TRUE(emu.ok());
  auto inputs = emu.value().inputs(tracers.value().experiments);
  ASSERT_TRUE(inputs.ok());
  isotope::EmuSimulator sim(emu.value());
  isotope::MidSet out;
  ASSERT_EQ(sim.simulate(fs.free_to_full(dead), inputs.value(), out), isotope::SimulationStatus::singular);
  ASSERT_EQ(sim.simulate(fs.free_to_full(a), inputs.value(), out), isotope::SimulationStatus::ok);
  const io::MidTable table = as_measured(emu.value(), out, tracers.value().experiments);
  mfa::FitOptions options;
  options.starts = 0;
  options.threads = 1;
  auto problem = mfa::FitProblem::create(model.value(), fs, poly.value(), tracers.value().experiments, table, {}, options);
  ASSERT_TRUE(problem.ok());
  // only the dead start: an error that says so
  auto only = problem.value().fit(options, {dead});
  ASSERT_FALSE(only.ok());
  EXPECT_NE(only.message().find("no start ended at a feasible point with a finite SSR"), std::string::npos) << only.message();
  // beside sampled starts: the dead one is reported failed and another is the best
  options.starts = 2;
  auto mixed = problem.value().fit(options, {dead});
  ASSERT_TRUE(mixed.ok()) << mixed.message();
  const auto& first = mixed.value().starts.front();
  EXPECT_TRUE(first.extra);
  EXPECT_FALSE(std::isfinite(first.ssr));
  EXPECT_EQ(first.status.rfind("failed: the labelling cannot be simulated", 0), 0U) << first.status;
  EXPECT_NE(mixed.value().best_start, 0);
  EXPECT_TRUE(std::isfinite(mixed.value().ssr));
  EXPECT_EQ(mixed.value().residuals.size(), static_cast<std::size_t>(problem.value().n_measurements()));
}

// An irreversible reaction held at its bound 0 comes out of the equalities within rounding
// of it, possibly at −1e-16: the simulation must still take the forward one-way flux's
// slope, the only side the bounds let a step go (the backward slope stopped the fits of
// BayFlux's Toya data with every step "uphill"). The residual Jacobian at v2 = −1e-13
// equals the one-sided difference into the allowed side.
TEST(Fit, AnIrreversibleFluxJustBelowZeroTakesTheForwardSlope) {
  auto model = io::read_reaction_tsv(test_models::kDeadEndModel, "dead_end.tsv");
  ASSERT_TRUE(model.ok()) << model.message();
  auto space = FluxSpace::build(model.value());
  ASSERT_TRUE(space.ok());
  const FluxSpace& fs = space.value();
  auto tracers = io::read_tracer_table(test_models::kDeadEndTracer, "tracers");
  ASSERT_TRUE(tracers.ok());
  auto poly = sampling::FluxPolytope::build(model.value(), fs, {});
  ASSERT_TRUE(poly.ok());
  auto free_at = [&](double t) { return test_models::dead_end_free_fluxes(fs, t); };
  // data: the MIDs at v2 = 0.3
  auto emu = isotope::EmuModel::compile(model.value(), fs);
  ASSERT_TRUE(emu.ok());
  auto inputs = emu.value().inputs(tracers.value().experiments);
  ASSERT_TRUE(inputs.ok());
  isotope::EmuSimulator sim(emu.value());
  isotope::MidSet out;
  ASSERT_EQ(sim.simulate(fs.free_to_full(free_at(0.3)), inputs.value(), out), isotope::SimulationStatus::ok);
  mfa::FitOptions options;
  auto problem = mfa::FitProblem::create(model.value(), fs, poly.value(), tracers.value().experiments,
                                         as_measured(emu.value(), out, tracers.value().experiments), {}, options);
  ASSERT_TRUE(problem.ok()) << problem.message();
  auto work = problem.value().workspace();
  const Eigen::VectorXd below = free_at(-1e-13), direction = free_at(1) - free_at(0);
  Eigen::VectorXd r0, r1;
  Eigen::MatrixXd jac;
  ASSERT_TRUE(problem.value().residuals(below, *work, r0, &jac));
  const double h = 1e-6;
  ASSERT_TRUE(problem.value().residuals(below + h * direction, *work, r1, nullptr));
  const Eigen::VectorXd fd = (r1 - r0) / h, slope = jac * direction;
  ASSERT_GT(fd.lpNorm<Eigen::Infinity>(), 1.0);  // the route through C changes the MIDs
  EXPECT_LT((slope - fd).lpNorm<Eigen::Infinity>(), 1e-4 * fd.lpNorm<Eigen::Infinity>()) << slope.transpose() << "\n" << fd.transpose();
}

TEST(Fit, MfapyEcoliGcmsDataAreFittedBelowTheChiSquareThreshold) {
  EcoliProblem e;
  if (!e.load()) GTEST_SKIP() << "mfapy data not found";
  e.options.starts = 6;
  e.options.threads = 2;
  e.options.seed = 1;
  auto fit = e.problem->fit(e.options);
  ASSERT_TRUE(fit.ok());
  const auto& f = fit.value();
  EXPECT_EQ(f.n_measurements, 120);  // 116 mass isotopomers + 4 measured fluxes
  EXPECT_TRUE(f.accepted()) << "SSR " << f.ssr << " threshold " << f.chi2_critical;
  EXPECT_LT(f.ssr, 25.6);  // mfapy's own protocol (Example 2-1) ends at 25.6
  // the measured glucose uptake is fitted within 2 sd
  for (const auto& r : f.residuals) {
    if (r.kind == "flux" && r.name == "r1") {
      EXPECT_LT(std::fabs(r.weighted()), 2.0);
    }
  }
}

// MIDs measured up to a factor (influx_si's MS groups): exact data times 1.7, some with
// M+0 left out, are fitted to SSR 0 with the factor recovered, and the residual Jacobian
// (variable projection: the factor is a function of the fluxes) equals finite differences.
TEST(Fit, ScaledMidsAreFittedUpToTheirFactorWithAnExactJacobian) {
  SimpleTruth st;
  ASSERT_TRUE(st.load(11));
  const Eigen::VectorXd& other = st.other;
  io::MidTable table = st.table;
  int scaled = 0;
  for (std::size_t k = 0; k < table.mids.size(); k += 2) {
    auto& m = table.mids[k];
    m.scaled = true;
    for (auto& v : m.fraction) v *= 1.7;
    if (scaled++ == 0) m.fraction[0] = std::nan("");  // M+0 not measured
  }
  ASSERT_GT(scaled, 0);
  mfa::FitOptions options;
  options.starts = 8;
  options.threads = 2;
  auto problem = mfa::FitProblem::create(st.model, *st.space, *st.polytope, st.experiments, table, {}, options);
  ASSERT_TRUE(problem.ok()) << problem.message();
  EXPECT_EQ(problem.value().n_scale_factors(), scaled);
  // the Jacobian at a point away from the truth (the factors differ from 1.7 there)
  auto work = problem.value().workspace();
  Eigen::VectorXd r, rp, rm;
  Eigen::MatrixXd jac;
  ASSERT_TRUE(problem.value().residuals(other, *work, r, &jac));
  double worst = 0;
  for (Eigen::Index k = 0; k < other.size(); ++k) {
    const double h = 1e-6 * std::max(1.0, std::fabs(other(k)));
    Eigen::VectorXd xp = other, xm = other;
    xp(k) += h;
    xm(k) -= h;
    ASSERT_TRUE(problem.value().residuals(xp, *work, rp, nullptr));
    ASSERT_TRUE(problem.value().residuals(xm, *work, rm, nullptr));
    const Eigen::VectorXd fd = (rp - rm) / (2 * h);
    worst = std::max(worst, (fd - jac.col(k)).lpNorm<Eigen::Infinity>() / (1.0 + jac.col(k).lpNorm<Eigen::Infinity>()));
  }
  EXPECT_LT(worst, 1e-5);
  EXPECT_GT(r.squaredNorm(), 1.0);  // the other point does not fit
  auto fit = problem.value().fit(options);
  ASSERT_TRUE(fit.ok()) << fit.message();
  EXPECT_LT(fit.value().ssr, 1e-6);
  ASSERT_EQ(fit.value().scale_factors.size(), static_cast<std::size_t>(scaled));
  for (const auto& sf : fit.value().scale_factors) EXPECT_NEAR(sf.value, 1.7, 1e-4) << sf.name;
  EXPECT_EQ(fit.value().n_parameters, problem.value().n_fitted() + scaled);
}

// influx_si's E. coli (e_coli.ftbl, real data, P. Millard): its own result file
// (test/ok/e_coli.pres.csv, commit 003e486) reports cost 61.5141593, 54 measurements,
// 21 parameters (12 free fluxes + 9 MS scale factors), and the free fluxes below.
// fluxion reads the FTBL as influx_si does and reaches the same optimum.
TEST(Fit, InfluxSiEcoliFtblReachesInfluxSiOptimum) {
  const std::string path = std::string(FLUXION_SHARED_DATA) + "/mfa/influx_si/e_coli.ftbl";
  if (slurp(path).empty()) GTEST_SKIP() << "influx_si data not found";
  mfa::FitInputFiles files;
  files.model = path;
  auto in = mfa::load_fit_inputs(files);
  ASSERT_TRUE(in.ok()) << in.message();
  mfa::FitOptions options;
  options.starts = 10;
  options.threads = 2;
  options.seed = 1;
  const auto& i = in.value();
  auto problem = mfa::FitProblem::create(i.model, *i.space, *i.polytope, i.experiments, i.mids, i.measured, options);
  ASSERT_TRUE(problem.ok()) << problem.message();
  auto fit = problem.value().fit(options);
  ASSERT_TRUE(fit.ok()) << fit.message();
  const auto& f = fit.value();
  EXPECT_NEAR(f.ssr, 61.5141593, 1e-4);
  EXPECT_EQ(f.n_measurements, 54);
  EXPECT_EQ(f.n_parameters, 21);
  EXPECT_EQ(f.dof, 33);
  int at_best = 0;
  for (const auto& s : f.starts) at_best += s.ssr < f.ssr * 1.01;
  EXPECT_GE(at_best, 5) << "of 10 starts";
  const auto& ids = i.space->column_ids();
  auto column = [&](const std::string& id) { return static_cast<Eigen::Index>(std::find(ids.begin(), ids.end(), id) - ids.begin()); };
  const std::map<std::string, double> net = {{"Glucupt_1", 0.806513382553415}, {"gnd", 0.142234789861035}, {"out_Ac", 0.21300000512344},
                                             {"pyk", 1.54425507004632},        {"zwf", 0.142334789861035}};
  for (const auto& [id, v] : net) EXPECT_NEAR(f.fluxes.net(column(id)), v, 1e-5) << id;
  // exchange fluxes on influx_si's [0, 1) scale
  const std::map<std::string, double> xch = {{"ald", 0.42028195703618}, {"eno", 0.999},  {"fum_a", 0.301368299726794}, {"ppc", 0.147615336942728},
                                             {"ta", 0.361648085189948}, {"tk1", 0.151671491626991}, {"tk2", 0.0}};
  for (const auto& [id, v] : xch) EXPECT_NEAR(io::ftbl_exchange_to_unit(f.fluxes.exchange(column(id))), v, 1e-5) << id;
  const std::map<std::string, double> scale = {{"Suc", 1.15931584383085}, {"ICit", 0.956198626492927}, {"Rib5P", 0.992990231505747}};
  for (const auto& sf : f.scale_factors)
    if (scale.count(sf.name)) {
      EXPECT_NEAR(sf.value, scale.at(sf.name), 1e-5) << sf.name;
    }
}

TEST(MfapyData, ErrorsNameLineAndColumn) {
  const std::string model_text = slurp(kMfapy + "Example_2_Ecoli_model.txt");
  if (model_text.empty()) GTEST_SKIP() << "mfapy data not found";
  // a fragment the model does not define is left out with a warning (as mfapy: the sheets
  // of Example 3 hold fragments its model has no target for), once per fragment
  auto bad_name = io::read_mfapy_mdv(
      "Name\tSpectrum\tSelect\tMDV\tStd\nAla[M-57]\t0\t1\t0.3\t0.01\nXyz[M-57]\t0\t1\t0.3\t0.01\nXyz[M-57]\tm1\t1\t0.3\t0.01\n", "mdv.txt", model_text, "ex1");
  ASSERT_TRUE(bad_name.ok()) << bad_name.message();
  EXPECT_EQ(bad_name.value().mids.size(), 1u);
  ASSERT_EQ(bad_name.diagnostics().size(), 1u);
  EXPECT_EQ(bad_name.diagnostics().front().severity, Severity::warning);
  EXPECT_EQ(bad_name.diagnostics().front().line, 3);
  EXPECT_NE(bad_name.diagnostics().front().message.find("Xyz[M-57]"), std::string::npos);
  auto no_known = io::read_mfapy_mdv("Name\tSpectrum\tSelect\tMDV\tStd\nXyz[M-57]\t0\t1\t0.3\t0.01\n", "mdv.txt", model_text, "ex1");
  ASSERT_FALSE(no_known.ok());  // nothing left to fit
  auto bad_spectrum = io::read_mfapy_mdv("Name\tSpectrum\tSelect\tMDV\tStd\nAla[M-57]\tmx\t1\t0.3\t0.01\n", "mdv.txt", model_text, "ex1");
  ASSERT_FALSE(bad_spectrum.ok());
  EXPECT_EQ(bad_spectrum.diagnostics().front().column, 11);
  auto bad_value = io::read_mfapy_mdv("Name\tSpectrum\tSelect\tMDV\tStd\nAla[M-57]\t0\t1\tabc\t0.01\n", "mdv.txt", model_text, "ex1");
  ASSERT_FALSE(bad_value.ok());
  EXPECT_EQ(bad_value.diagnostics().front().column, 15);
  auto bad_type = io::read_mfapy_status("State,Id,type,value,stdev,lb,ub\nreaction,r1,measured,100,1,0,1000\n", "status.csv");
  ASSERT_FALSE(bad_type.ok());
  EXPECT_EQ(bad_type.diagnostics().front().line, 2);
  EXPECT_EQ(bad_type.diagnostics().front().column, 3);
  // fixing one direction of a merged reversible pair is refused, naming the pair
  auto m = io::read_mfapy(model_text, "model");
  ASSERT_TRUE(m.ok());
  auto fs = FluxSpace::build(m.value());
  ASSERT_TRUE(fs.ok());
  auto rows = io::read_mfapy_status("State,Id,type,value,stdev,lb,ub\nreaction,r2,fixed,5,1,0,1000\n", "status.csv");
  ASSERT_TRUE(rows.ok());
  auto c = io::mfapy_status_constraints(rows.value(), "status.csv", model_text, m.value(), fs.value());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.diagnostics().front().message.find("PGI"), std::string::npos);
}

// FreeFlux's E. coli synthetic data (21 fragments, sd 0.01, glucose uptake and growth
// measured; made from a known flux vector with natural 13C on the unlabelled glucose
// atoms): refitted from random starts, every identifiable net flux's 95% interval holds
// the true value.
TEST(Fit, FreefluxEcoliSyntheticTrueFluxesLieInTheIntervals) {
  const std::string dir = std::string(FLUXION_SHARED_DATA) + "/mfa/freeflux/ecoli/synthetic_data/";
  const std::string truth_text = slurp(dir + "fluxes.csv");
  if (truth_text.empty()) GTEST_SKIP() << "FreeFlux data not found";
  auto model = io::load_model(dir + "reactions.csv");
  ASSERT_TRUE(model.ok());
  auto space = FluxSpace::build(model.value());
  ASSERT_TRUE(space.ok());
  const FluxSpace& fs = space.value();
  auto tracers = io::read_tracer_table(
      "experiment\tsubstrate\tlabel\tfraction\tpurity\ne1\tGlc.ex\t[1-13C1]\t0.754\t0.997\ne1\tGlc.ex\t[U-13C6]\t0.246\t0.994\n", "tracers");
  ASSERT_TRUE(tracers.ok());
  auto mids = io::read_freeflux_mdvs(slurp(dir + "measured_MDVs.csv"), "mdvs", "e1");
  ASSERT_TRUE(mids.ok());
  EXPECT_EQ(mids.value().mids.size(), 21u);
  auto fluxes = io::read_freeflux_fluxes(slurp(dir + "measured_fluxes.csv"), "fluxes", fs);
  ASSERT_TRUE(fluxes.ok());
  std::vector<LinearConstraint> caps;  // exchange fluxes up to 1000, as `fluxion fit` does by default
  for (Eigen::Index c : fs.exchange_columns()) caps.push_back({"cap", {FluxTerm{c, true, 1.0}}, -kInfinity, 1000.0});
  auto poly = sampling::FluxPolytope::build(model.value(), fs, caps);
  ASSERT_TRUE(poly.ok());
  mfa::FitOptions options;
  options.starts = 8;
  options.threads = 2;
  options.natural_abundance = {"Glc.ex"};
  auto problem = mfa::FitProblem::create(model.value(), fs, poly.value(), tracers.value().experiments, mids.value(), fluxes.value(), options);
  ASSERT_TRUE(problem.ok());
  auto fit = problem.value().fit(options);
  ASSERT_TRUE(fit.ok());
  EXPECT_TRUE(fit.value().accepted());
  EXPECT_LT(fit.value().ssr, 1.0);  // the MDVs are exact up to their 3 printed decimals
  // true net fluxes: forward − backward for reversible reactions
  std::map<std::string, double> truth;
  for (const auto& line : [&] {
         std::vector<std::string> lines;
         std::stringstream s(truth_text);
         for (std::string l; std::getline(s, l);) lines.push_back(l);
         return lines;
       }()) {
    if (line.empty() || line[0] == '#') continue;
    const auto comma = line.find(',');
    truth[line.substr(0, comma)] = std::stod(line.substr(comma + 1));
  }
  int identifiable = 0;
  for (Eigen::Index c = 0; c < fs.n_columns(); ++c) {
    const std::string& id = fs.column_ids()[static_cast<std::size_t>(c)];
    const double t = truth.count(id) ? truth[id] : truth.at(id + "_f") - truth.at(id + "_b");
    const double se = fit.value().net_se(c);
    if (!std::isfinite(se)) continue;
    ++identifiable;
    EXPECT_LE(std::fabs(fit.value().fluxes.net(c) - t), 1.96 * se + 1e-6) << id << " fitted " << fit.value().fluxes.net(c) << " true " << t;
  }
  EXPECT_GE(identifiable, 55);  // of 70; malic enzymes, PEP/OAA cycling, cofactor balances are not

  // profile-likelihood intervals hold the truth too, also for a flux the linearisation
  // cannot bound (me1: malic enzymes with the same atom maps)
  std::vector<mfa::FluxTarget> targets;
  for (const char* id : {"pgi", "cs", "glk", "me1"})
    targets.push_back({static_cast<Eigen::Index>(std::find(fs.column_ids().begin(), fs.column_ids().end(), id) - fs.column_ids().begin()), false});
  auto prof = problem.value().profile(fit.value(), targets, 0.95, options);
  ASSERT_TRUE(prof.ok());
  for (const auto& pi : prof.value()) {
    const double t = truth.count(pi.name) ? truth[pi.name] : truth.at(pi.name + "_f") - truth.at(pi.name + "_b");
    EXPECT_FALSE(pi.low_open || pi.high_open) << pi.name;
    EXPECT_LE(pi.low, pi.value) << pi.name;
    EXPECT_GE(pi.high, pi.value) << pi.name;
    EXPECT_LE(pi.low, t + 1e-6) << pi.name;
    EXPECT_GE(pi.high, t - 1e-6) << pi.name;
    EXPECT_GT(pi.fits, 2) << pi.name;
    EXPECT_FALSE(pi.low_unconverged || pi.high_unconverged) << pi.name;
  }
  // refits starved of evaluations stop short of their minimum: the interval says so
  mfa::FitOptions starved = options;
  starved.max_evaluations = 3;
  auto short_prof = problem.value().profile(fit.value(), {targets[0]}, 0.95, starved);
  ASSERT_TRUE(short_prof.ok()) << short_prof.message();
  const auto& sp = short_prof.value().front();
  EXPECT_TRUE(sp.low_unconverged || sp.high_unconverged) << sp.low << " " << sp.high;
  mfa::FitReport report;
  report.fit = fit.value();
  report.profile = short_prof.value();
  EXPECT_NE(report.profile_doubt(sp).find("did not converge"), std::string::npos) << report.profile_doubt(sp);
  EXPECT_NE(report.summary().find("may be too narrow"), std::string::npos) << report.summary();
  EXPECT_NE(report.profile_tsv().find("\tno\tthe refits at its"), std::string::npos) << report.profile_tsv();

  // the progress hook stops a fit: the best of the starts that ran, marked stopped
  EXPECT_NE(fit.value().summary.termination, Termination::stopped);
  mfa::FitOptions serial = options;
  serial.threads = 1;
  auto stopped = problem.value().fit(serial, {}, [](const Progress& p) { return p.done < 2; });
  ASSERT_TRUE(stopped.ok()) << stopped.message();
  EXPECT_EQ(stopped.value().summary.termination, Termination::stopped) << stopped.value().summary.brief();
  int not_run = 0;
  for (const auto& st : stopped.value().starts) not_run += st.status == "not run";
  EXPECT_EQ(not_run, 6);
  auto mc_stopped = problem.value().monte_carlo(fit.value(), 20, serial, [](const Progress&) { return false; });
  ASSERT_FALSE(mc_stopped.ok());
  EXPECT_NE(mc_stopped.message().find("stopped after 1 of 20"), std::string::npos) << mc_stopped.message();

  // Monte-Carlo intervals of well-determined fluxes hold the fitted and the true value
  auto mc = problem.value().monte_carlo(fit.value(), 20, options);
  ASSERT_TRUE(mc.ok());
  EXPECT_EQ(mc.value().failed, 0);
  for (const auto& t : targets) {
    const std::string& id = fs.column_ids()[static_cast<std::size_t>(t.column)];
    if (id == "me1") continue;  // not identifiable: refits started at the best fit stay near it
    const double v = fit.value().fluxes.net(t.column);
    const double tv = truth.count(id) ? truth[id] : truth.at(id + "_f") - truth.at(id + "_b");
    EXPECT_LE(mc.value().net_low(t.column), v) << id;
    EXPECT_GE(mc.value().net_high(t.column), v) << id;
    EXPECT_LE(mc.value().net_low(t.column), tv + 1e-6) << id;
    EXPECT_GE(mc.value().net_high(t.column), tv - 1e-6) << id;
  }
  // beside the Monte-Carlo intervals, a profile narrower than half of one is named
  mfa::FitReport beside;
  beside.fit = fit.value();
  beside.profile = prof.value();
  beside.monte_carlo = mc.value();
  mfa::ProfileInterval narrow = prof.value().front();
  const double mc_width = mc.value().net_high(narrow.target.column) - mc.value().net_low(narrow.target.column);
  EXPECT_EQ(beside.profile_doubt(narrow), "") << "pgi's profile is narrower than half its Monte-Carlo interval";
  narrow.low = narrow.value - 0.2 * mc_width, narrow.high = narrow.value + 0.2 * mc_width;
  EXPECT_EQ(beside.profile_doubt(narrow).rfind("narrower (", 0), 0U) << beside.profile_doubt(narrow);
}

// A measured flux the readers would refuse, handed to the library directly: the problem names
// the file and line it came from, not "fit".
TEST(Fit, MeasuredFluxProblemsNameTheirFileAndLine) {
  auto model = io::load_model("simple");
  ASSERT_TRUE(model.ok());
  auto space = FluxSpace::build(model.value());
  ASSERT_TRUE(space.ok());
  auto tracers = io::load_tracer_table("simple");
  ASSERT_TRUE(tracers.ok());
  auto poly = sampling::FluxPolytope::build(model.value(), space.value(), {});
  ASSERT_TRUE(poly.ok());
  MeasuredFlux bad;
  bad.name = "v1";
  bad.terms = {FluxTerm{0, false, 1.0}};
  bad.value = 1.0;
  bad.sd = 0.0;
  bad.line = 3;
  bad.source = "fluxes_measured.tsv";
  MeasuredFlux outside = bad;
  outside.sd = 0.1;
  outside.terms = {FluxTerm{space.value().n_columns() + 5, false, 1.0}};
  outside.line = 4;
  outside.source = "";
  auto problem = mfa::FitProblem::create(model.value(), space.value(), poly.value(), tracers.value().experiments, io::MidTable{},
                                         {bad, outside}, mfa::FitOptions{});
  ASSERT_FALSE(problem.ok());
  const auto& ds = problem.diagnostics();
  ASSERT_GE(ds.size(), 2u);
  EXPECT_EQ(ds[0].source, "fluxes_measured.tsv");
  EXPECT_EQ(ds[0].line, 3);
  EXPECT_NE(ds[0].message.find("needs sd > 0"), std::string::npos);
  EXPECT_EQ(ds[1].source, "measured fluxes");  // read from no file: still not "fit"
  EXPECT_EQ(ds[1].line, 4);
}
