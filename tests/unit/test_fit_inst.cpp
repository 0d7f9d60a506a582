// Least-squares fits of time-course (non-stationary) labelling: the residual Jacobian with
// fitted pools against finite differences, recovery of known fluxes and pool sizes from
// exact data, mfapy's INST tutorial against its recorded fit, and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/ftbl.hpp"
#include "fluxion/io/pool_table.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/isotope/emu.hpp"
#include "fluxion/mfa/fit.hpp"
#include "fluxion/mfa/fit_inputs.hpp"
#include "fluxion/sampling/samplers.hpp"
#include "simple_truth.hpp"

using namespace fluxion;

namespace {

// The built-in toy ("simple", six tracers of molA) at a flux point drawn in its polytope,
// with pool sizes, and its exact MIDs at a few times after the switch to the tracers as
// measurements with sd 0.01.
struct TimeCourseTruth {
  Model model;
  std::optional<FluxSpace> space;
  std::optional<sampling::FluxPolytope> polytope;
  std::vector<isotope::TracerExperiment> experiments;
  Eigen::VectorXd truth;
  std::map<std::string, double> pools{{"molB", 0.5}, {"molC", 2.0}, {"molD", 1.0}, {"molE", 0.3}, {"molF", 1.5}};
  std::vector<double> times{0.25, 0.5, 1, 2, 4};
  isotope::MidTable table;

  bool load(unsigned seed) {
    // net fluxes within ±5 and exchange fluxes up to 5: turnover times of the pools near
    // the measured times
    auto model_only = io::load_model("simple");
    if (!model_only.ok()) return false;
    auto fs = FluxSpace::build(model_only.value());
    if (!fs.ok()) return false;
    std::vector<LinearConstraint> box;
    for (Eigen::Index c = 0; c < fs.value().n_columns(); ++c) box.push_back({"box", {FluxTerm{c, false, 1.0}}, -5, 5});
    for (Eigen::Index c : fs.value().exchange_columns()) box.push_back({"box", {FluxTerm{c, true, 1.0}}, 0, 5});
    testing_support::SimpleNetwork n;
    if (!n.load(seed, 1, box)) return false;
    model = n.model;
    space = n.space;
    polytope = n.polytope;
    experiments = n.experiments;
    truth = n.points[0];
    const isotope::EmuModel& emu = *n.emu;
    const isotope::EmuInputs& inputs = *n.inputs;
    isotope::EmuSimulator sim(emu);
    std::vector<isotope::MidSet> out;
    isotope::InstationaryOptions io;
    io.times = times;
    io.tolerance = 1e-10;
    if (sim.simulate_instationary(space->free_to_full(truth), pool_vector(), inputs, io, out) != isotope::SimulationStatus::ok) return false;
    const auto ids = emu.measured_ids();
    for (std::size_t t = 0; t < times.size(); ++t)
      for (int x = 0; x < out[t].n_experiments; ++x)
        for (std::size_t k = 0; k < ids.size(); ++k) {
          isotope::MeasuredMid mid;
          mid.experiment = experiments[static_cast<std::size_t>(x)].id;
          mid.fragment = ids[k];
          mid.time = times[t];
          const auto f = out[t].mid(x, k);
          mid.fraction.assign(f.begin(), f.end());
          mid.sd.assign(f.size(), 0.01);
          table.mids.push_back(mid);
        }
    return true;
  }
  std::vector<double> pool_vector() const {
    std::vector<double> v(model.metabolites.size(), 1.0);
    for (std::size_t i = 0; i < model.metabolites.size(); ++i)
      if (auto it = pools.find(model.metabolites[i].id); it != pools.end()) v[i] = it->second;
    return v;
  }
  // every pool fitted in [0.05, 20] from `start`, except those in `fixed` (at the truth)
  std::vector<mfa::FitPool> fit_pools(double start, const std::vector<std::string>& fixed = {}) const {
    std::vector<mfa::FitPool> out;
    for (const auto& [id, size] : pools) {
      const bool fit = std::find(fixed.begin(), fixed.end(), id) == fixed.end();
      out.push_back({id, fit ? start : size, fit, fit ? 0.05 : 0.0, fit ? 20.0 : 0.0, 0.0, 0, "test", false});
    }
    return out;
  }
};

}  // namespace

// The residuals' Jacobian of a time course (free fluxes and fitted pools, one pool fixed)
// against central differences, in the parameters and in the solver's coordinates (exchange
// fluxes and pools on their ratio scales).
TEST(FitInst, ResidualJacobianWithPoolsMatchesFiniteDifferences) {
  TimeCourseTruth tc;
  ASSERT_TRUE(tc.load(3));
  mfa::FitOptions options;
  options.inst_tolerance = 1e-9;
  auto problem = mfa::FitProblem::create(tc.model, *tc.space, *tc.polytope, tc.experiments, tc.table, {}, options, tc.fit_pools(1.0, {"molE"}));
  ASSERT_TRUE(problem.ok()) << problem.message();
  const auto& p = problem.value();
  ASSERT_TRUE(p.time_course());
  ASSERT_EQ(p.n_pool_parameters(), 4);
  ASSERT_EQ(p.n_parameters(), tc.space->n_free() + 4);
  Eigen::VectorXd x(p.n_parameters());
  x.head(tc.space->n_free()) = tc.truth;
  x.tail(4) << 0.7, 1.3, 0.9, 2.2;  // molB, molC, molD, molF (metabolite order)
  auto work = p.workspace();
  Eigen::VectorXd r, rp, rm;
  Eigen::MatrixXd jac;
  ASSERT_TRUE(p.residuals(x, *work, r, &jac));
  ASSERT_EQ(jac.cols(), p.n_parameters());
  double worst = 0;
  for (Eigen::Index k = 0; k < x.size(); ++k) {
    const double h = 1e-6 * std::max(1.0, std::fabs(x(k)));
    Eigen::VectorXd xp = x, xm = x;
    xp(k) += h;
    xm(k) -= h;
    ASSERT_TRUE(p.residuals(xp, *work, rp, nullptr));
    ASSERT_TRUE(p.residuals(xm, *work, rm, nullptr));
    const Eigen::VectorXd fd = (rp - rm) / (2 * h);
    worst = std::max(worst, (fd - jac.col(k)).lpNorm<Eigen::Infinity>() / (1.0 + jac.col(k).lpNorm<Eigen::Infinity>()));
  }
  EXPECT_LT(worst, 1e-5);
  // a pool column is not zero: the data see the pools
  EXPECT_GT(jac.col(tc.space->n_free()).lpNorm<Eigen::Infinity>(), 1.0);
  // in the solver's coordinates
  const Eigen::VectorXd z = p.reduced(x);
  ASSERT_LT((p.point(z) - x).cwiseAbs().maxCoeff(), 1e-9);
  Eigen::MatrixXd jz;
  ASSERT_TRUE(p.reduced_residuals(z, *work, r, &jz));
  double worst_z = 0;
  for (Eigen::Index k = 0; k < z.size(); ++k) {
    const double h = 1e-6;
    Eigen::VectorXd zp = z, zm = z;
    zp(k) += h;
    zm(k) -= h;
    ASSERT_TRUE(p.reduced_residuals(zp, *work, rp, nullptr));
    ASSERT_TRUE(p.reduced_residuals(zm, *work, rm, nullptr));
    worst_z = std::max(worst_z, ((rp - rm) / (2 * h) - jz.col(k)).lpNorm<Eigen::Infinity>() / (1.0 + jz.col(k).lpNorm<Eigen::Infinity>()));
  }
  EXPECT_LT(worst_z, 1e-5);
}

// Exact time-course MIDs: the fit from sampled starts (pools from 1, not the truth) reaches
// SSR ~ 0 with the true identifiable fluxes and the true pool sizes; pools.tsv's values
// and the residuals carry their times.
TEST(FitInst, ExactTimeCourseRecoversFluxesAndPools) {
  TimeCourseTruth tc;
  ASSERT_TRUE(tc.load(5));
  mfa::FitOptions options;
  options.starts = 6;
  options.threads = 2;
  options.inst_tolerance = 1e-8;
  auto problem = mfa::FitProblem::create(tc.model, *tc.space, *tc.polytope, tc.experiments, tc.table, {}, options, tc.fit_pools(1.0));
  ASSERT_TRUE(problem.ok()) << problem.message();
  auto fit = problem.value().fit(options);
  ASSERT_TRUE(fit.ok()) << fit.message();
  const auto& f = fit.value();
  EXPECT_LT(f.ssr, 1e-4);
  EXPECT_EQ(f.times, tc.times);
  ASSERT_EQ(f.pools.size(), 5U);
  for (const auto& pe : f.pools) {
    EXPECT_TRUE(pe.fitted) << pe.metabolite;
    EXPECT_NEAR(pe.size, tc.pools.at(pe.metabolite), 2e-3 * tc.pools.at(pe.metabolite)) << pe.metabolite;
    EXPECT_TRUE(std::isfinite(pe.se)) << pe.metabolite;
  }
  const FluxVector v = tc.space->free_to_full(tc.truth);
  int identifiable = 0;
  for (Eigen::Index c = 0; c < tc.space->n_columns(); ++c) {
    if (!std::isfinite(f.net_se(c))) continue;
    ++identifiable;
    EXPECT_NEAR(f.fluxes.net(c), v.net(c), 2e-3 * (1 + std::fabs(v.net(c)))) << tc.space->column_ids()[static_cast<std::size_t>(c)];
  }
  EXPECT_GT(identifiable, 0);
  ASSERT_FALSE(f.residuals.empty());
  EXPECT_EQ(f.residuals.front().time, 0.25);
  EXPECT_EQ(f.residuals.back().time, 4.0);
  // parameters: free fluxes, then the five pools (less the equalities: v1 = 1)
  EXPECT_EQ(f.n_parameters, static_cast<int>(problem.value().n_fitted()));
  EXPECT_EQ(problem.value().n_parameters(), tc.space->n_free() + 5);
}

// Problems of a time course's pools and MIDs are errors that say what is wrong.
TEST(FitInst, BadPoolsAndTimesAreRefused) {
  TimeCourseTruth tc;
  ASSERT_TRUE(tc.load(3));
  mfa::FitOptions options;
  auto create = [&](const isotope::MidTable& table, const std::vector<mfa::FitPool>& pools) {
    return mfa::FitProblem::create(tc.model, *tc.space, *tc.polytope, tc.experiments, table, {}, options, pools);
  };
  auto pools = tc.fit_pools(1.0);
  pools.erase(pools.begin());  // molB has no size
  auto missing = create(tc.table, pools);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("no pool size for molB"), std::string::npos) << missing.message();
  pools = tc.fit_pools(1.0);
  pools[1].fitted = false;
  pools[1].sd = 0.1;  // measured but fixed
  auto measured_fixed = create(tc.table, pools);
  ASSERT_FALSE(measured_fixed.ok());
  EXPECT_NE(measured_fixed.message().find("measured"), std::string::npos) << measured_fixed.message();
  pools = tc.fit_pools(1.0);
  pools[2].lower = 2.0;  // the start below the bounds
  auto outside = create(tc.table, pools);
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.message().find("lower < upper"), std::string::npos) << outside.message();
  pools = tc.fit_pools(1.0);
  pools[0].metabolite = "nope";
  auto unknown = create(tc.table, pools);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.message().find("'nope' is not a metabolite"), std::string::npos) << unknown.message();
  isotope::MidTable mixed = tc.table;
  mixed.mids[3].time = -1;  // one MID without a time
  mixed.mids[3].line = 12;
  mixed.source = "mids.tsv";
  auto no_time = create(mixed, tc.fit_pools(1.0));
  ASSERT_FALSE(no_time.ok());
  EXPECT_EQ(no_time.diagnostics().front().line, 12);
  EXPECT_NE(no_time.message().find("has no time"), std::string::npos) << no_time.message();
  // pool sizes on a steady-state fit: a warning, and they are not used
  isotope::MidTable steady = tc.table;
  for (auto& m : steady.mids) m.time = -1;
  auto at_steady_state = create(steady, tc.fit_pools(1.0));
  ASSERT_TRUE(at_steady_state.ok()) << at_steady_state.message();
  EXPECT_FALSE(at_steady_state.value().time_course());
  EXPECT_EQ(at_steady_state.value().n_pool_parameters(), 0);
}

// mfapy's INST tutorial (Tutorial 2: its toy, six time points, pools fixed by the status
// sheet, 50 % [U-13C]glucose with natural abundance): fluxion's fit reaches mfapy's
// recorded RSS 300.64 (its own SLSQP fit) or better, with the measured flux v15 in the SSR.
TEST(FitInst, MfapyTutorialTwoReachesMfapysRecordedRss) {
  const std::string d = std::string(FLUXION_SHARED_DATA) + "/mfa/mfapy/";
  if (!std::filesystem::exists(d + "Tutorial_2_INST-MFAtoymodel_output.csv")) GTEST_SKIP() << "mfapy data not found (" << d << ")";
  const std::string tracers = testing::TempDir() + "/inst_tracers.tsv";
  {
    std::FILE* f = std::fopen(tracers.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("experiment\tsubstrate\tlabel\tfraction\tpurity\ntc\tSubsGlc\t[U-13C6]\t0.5\t1\n", f);
    std::fclose(f);
  }
  mfa::FitInputFiles files;
  files.model = d + "Tutorial_2_INST-MFAtoymodel_model.txt";
  files.mfapy_status = d + "Tutorial_2_INST-MFAtoymodel_status.csv";
  files.experiments = tracers;
  for (int t : {0, 5, 10, 15, 30, 50}) files.mfapy_mdv.push_back(d + "Tutorial_2_INST-MFAtoymodel_mdvtimecourse" + std::to_string(t) + ".txt@" + std::to_string(t));
  auto inputs = mfa::load_fit_inputs(files);
  ASSERT_TRUE(inputs.ok()) << inputs.message();
  ASSERT_TRUE(inputs.value().time_course());
  mfa::FitOptions options;
  options.natural_abundance = {"*"};
  options.starts = 4;
  options.threads = 2;
  const auto& in = inputs.value();
  auto problem = mfa::FitProblem::create(in.model, *in.space, *in.polytope, in.experiments, in.mids, in.measured, options, in.pools);
  ASSERT_TRUE(problem.ok()) << problem.message();
  EXPECT_EQ(problem.value().n_pool_parameters(), 0);  // the status sheet fixes every pool
  EXPECT_EQ(problem.value().n_measurements(), 76);    // 75 selected fractions and v15
  auto fit = problem.value().fit(options);
  ASSERT_TRUE(fit.ok()) << fit.message();
  EXPECT_LE(fit.value().ssr, 300.64);
  EXPECT_TRUE(fit.value().accepted());
  for (const auto& pe : fit.value().pools) EXPECT_EQ(pe.size, pe.metabolite == "AKG" ? 10.0 : 100.0) << pe.metabolite;
}

// influx_i's instationary FTBL (tests/data/toy_i.ftbl, its file_labcin beside it): pools
// fixed, fitted and measured, the time-course rows matched to the MS groups by metabolite,
// fragment and weight (SDs and scaling from the FTBL), and a fit that reads them.
TEST(FitInst, InfluxSiLabcinIsReadWithTheFtblsGroupsAndPools) {
  const std::string dir = std::string(FLUXION_SOURCE_DIR) + "/tests/data/";
  mfa::FitInputFiles files;
  files.model = dir + "toy_i.ftbl";
  auto inputs = mfa::load_fit_inputs(files);
  ASSERT_TRUE(inputs.ok()) << inputs.message();
  const auto& in = inputs.value();
  ASSERT_TRUE(in.time_course());
  ASSERT_EQ(in.mids.mids.size(), 6U);  // C and D[1] at 0.5, 1 and 2
  const auto& c2 = in.mids.mids[2];  // the rows in order: C at every time, then D
  EXPECT_EQ(c2.fragment, "C");
  EXPECT_EQ(c2.time, 2.0);
  EXPECT_EQ(c2.fraction, (std::vector<double>{0.5, 0.3, 0.2}));
  EXPECT_EQ(c2.sd[1], 0.01);
  EXPECT_FALSE(c2.scaled);                      // --noscale
  EXPECT_TRUE(std::isnan(in.mids.mids[1].fraction[2]));  // NA at t = 1
  ASSERT_EQ(in.pools.size(), 3U);
  std::map<std::string, mfa::FitPool> pools;
  for (const auto& p : in.pools) pools[p.metabolite] = p;
  EXPECT_FALSE(pools.at("B").fitted);
  EXPECT_TRUE(pools.at("D").fitted);
  EXPECT_EQ(pools.at("D").lower, 1e-6);  // commandArgs --clowp
  EXPECT_EQ(pools.at("C").sd, 0.2);      // METAB_MEASUREMENTS, the start at its value
  EXPECT_EQ(pools.at("C").size, 2.1);
  mfa::FitOptions options;
  options.starts = 2;
  options.threads = 1;
  auto problem = mfa::FitProblem::create(in.model, *in.space, *in.polytope, in.experiments, in.mids, in.measured, options, in.pools);
  ASSERT_TRUE(problem.ok()) << problem.message();
  EXPECT_EQ(problem.value().n_pool_parameters(), 2);
  EXPECT_EQ(problem.value().n_measurements(), 11 + 1);  // 11 fractions and the measured pool of C
  auto fit = problem.value().fit(options);
  ASSERT_TRUE(fit.ok()) << fit.message();
  EXPECT_TRUE(std::isfinite(fit.value().ssr));
}

TEST(FitInst, InfluxSiLabcinErrorsNameLineAndColumn) {
  const std::string dir = std::string(FLUXION_SOURCE_DIR) + "/tests/data/";
  std::FILE* f = std::fopen((dir + "toy_i.ftbl").c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::string text(1 << 16, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), f));
  std::fclose(f);
  auto ftbl = io::read_ftbl(text, "toy_i.ftbl", "toy_i");
  ASSERT_TRUE(ftbl.ok()) << ftbl.message();
  auto error_at = [&](const std::string& labcin) {
    auto r = io::read_ftbl_labcin(labcin, "labcin.txt", ftbl.value());
    EXPECT_FALSE(r.ok()) << labcin;
    return r.ok() ? std::make_tuple(0, 0, std::string()) : std::make_tuple(r.diagnostics().front().line, r.diagnostics().front().column, r.message());
  };
  EXPECT_EQ(std::get<0>(error_at("times\t1\n")), 1);
  auto [l1, c1, m1] = error_at("row_col\t1\t0.5\n");
  EXPECT_EQ(l1, 1);
  EXPECT_EQ(c1, 11);
  auto [l2, c2, m2] = error_at("row_col\t1\t2\nm:C:1,2:0:20\t0.5\t0.4\nm:Q:1:0:9\t1\t1\n");
  EXPECT_EQ(l2, 3);
  EXPECT_NE(m2.find("no MASS_SPECTROMETRY row"), std::string::npos) << m2;
  auto [l3, c3, m3] = error_at("row_col\t1\t2\nm:C:1,2:0:20\t0.5\n");
  EXPECT_EQ(l3, 2);
  EXPECT_NE(m3.find("expected 2 values"), std::string::npos) << m3;
  auto [l4, c4, m4] = error_at("row_col\t1\t2\nm:C:1,2:0:20\t0.5\tlots\n");
  EXPECT_EQ(l4, 2);
  EXPECT_EQ(c4, 18);
  auto [l5, c5, m5] = error_at("row_col\t1\t2\nm:C:1,2:0:20\t0.5\t0.4\nm:C:1~2:0:20\t0.5\t0.4\n");
  EXPECT_EQ(l5, 3);
  EXPECT_NE(m5.find("given twice (first on line 2)"), std::string::npos) << m5;
}

// influx_si's own instationary example (e_coli_i.ftbl with e_coli_msen.txt): ten times, the
// MS groups of the FTBL matched although the rows name the lines of another version of it,
// 14 pools fitted (6 of them measured).
TEST(FitInst, InfluxSiEcoliInstationaryFtblIsRead) {
  const std::string file = std::string(FLUXION_SHARED_DATA) + "/mfa/influx_si/e_coli_i.ftbl";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << file << " not found (../shared/data)";
  mfa::FitInputFiles files;
  files.model = file;
  auto inputs = mfa::load_fit_inputs(files);
  ASSERT_TRUE(inputs.ok()) << inputs.message();
  const auto& in = inputs.value();
  ASSERT_TRUE(in.time_course());
  mfa::FitOptions options;
  auto problem = mfa::FitProblem::create(in.model, *in.space, *in.polytope, in.experiments, in.mids, in.measured, options, in.pools);
  ASSERT_TRUE(problem.ok()) << problem.message();
  EXPECT_EQ(problem.value().n_pool_parameters(), 14);
  EXPECT_EQ(problem.value().n_measurements(), 537);
}
