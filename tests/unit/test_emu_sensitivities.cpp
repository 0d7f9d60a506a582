// EMU sensitivities: the analytic Jacobian of the MIDs with respect to the free fluxes
// equals central finite differences, for every built-in model (carbon and hydrogen).
#include <algorithm>
#include <filesystem>
#include <gtest/gtest.h>

#include <random>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/isotope/emu.hpp"
#include "fluxion/isotope/natural_abundance.hpp"
#include "dead_end_model.hpp"

using namespace fluxion;

namespace {

// A random point of the flux space with every reaction in its allowed direction and
// every net flux away from 0, where the one-way fluxes are smooth.
Eigen::VectorXd interior_point(const Model& m, const FluxSpace& fs, std::mt19937_64& rng) {
  for (int attempt = 0; attempt < 200000; ++attempt) {
    Eigen::VectorXd free(fs.n_free());
    for (Eigen::Index k = 0; k < fs.n_free_net(); ++k) {
      const auto& r = m.reactions[fs.column_reaction(fs.free_net_columns()[static_cast<std::size_t>(k)])];
      // fixed fluxes (lb = ub) sit at their value; the rest anywhere in their bounds
      free(k) = r.lower_bound == r.upper_bound
                    ? r.lower_bound
                    : std::uniform_real_distribution<double>(std::max(r.lower_bound, -10.0), std::min(r.upper_bound, 10.0))(rng);
    }
    for (Eigen::Index k = fs.n_free_net(); k < fs.n_free(); ++k) free(k) = std::exp(std::uniform_real_distribution<double>(-3, 1)(rng));
    const FluxVector v = fs.free_to_full(free);
    bool ok = true;
    for (Eigen::Index c = 0; c < fs.n_reactions() && ok; ++c) {
      const auto& r = m.reactions[static_cast<std::size_t>(c)];
      if (!r.reversible && r.lower_bound >= 0 && v.net(c) < 0) ok = false;
      const bool fixed = r.lower_bound == r.upper_bound;
      if (!fixed && std::fabs(v.net(c)) < 1e-3 && fs.net_kernel().row(c).norm() > 0) ok = false;
    }
    if (ok) return free;
  }
  // Models with many coupled bounds (the mfapy E. coli model) rarely give one by chance:
  // alternate projections between ker S and a box that keeps every reaction at least
  // 0.05 inside its allowed direction.
  const Eigen::MatrixXd basis = fs.orthonormal_null_space().topRows(fs.n_reactions());
  const Eigen::Index n = fs.n_reactions();
  Eigen::VectorXd lo(n), hi(n), v(n);
  for (Eigen::Index c = 0; c < n; ++c) {
    const auto& r = m.reactions[static_cast<std::size_t>(c)];
    lo(c) = std::max(r.lower_bound, -10.0);
    hi(c) = std::min(r.upper_bound, 10.0);
    if (lo(c) >= 0 && hi(c) > lo(c)) lo(c) = std::max(lo(c), std::min(0.05, hi(c)));
    v(c) = std::uniform_real_distribution<double>(0.5, 1.5)(rng);
  }
  for (int it = 0; it < 20000; ++it) v = basis * (basis.transpose() * v.cwiseMax(lo).cwiseMin(hi));
  FluxVector full{Eigen::VectorXd::Zero(fs.n_columns()), Eigen::VectorXd::Zero(fs.n_columns())};
  full.net.head(n) = v;
  Eigen::VectorXd free = fs.full_to_free(full);
  for (Eigen::Index k = fs.n_free_net(); k < fs.n_free(); ++k) free(k) = std::exp(std::uniform_real_distribution<double>(-3, 1)(rng));
  bool ok = fs.steady_state_residual(fs.free_to_full(free).net) < 1e-8;
  for (Eigen::Index c = 0; c < n && ok; ++c) {
    const auto& r = m.reactions[static_cast<std::size_t>(c)];
    if (v(c) < lo(c) - 1e-6 || v(c) > hi(c) + 1e-6) ok = false;
    if (r.lower_bound != r.upper_bound && std::fabs(v(c)) < 1e-3 && fs.net_kernel().row(c).norm() > 0) ok = false;
  }
  if (ok) return free;
  ADD_FAILURE() << "no interior point found";
  return Eigen::VectorXd::Zero(fs.n_free());
}

// `name` is a built-in model with its tracer table, or a model file with `tracers` (a
// tracer table's text).
void check(const std::string& name, Element element, const isotope::SubstrateLabelling& labelling = {},
           const std::string& tracers = {}) {
  SCOPED_TRACE(name + " " + std::string(element_symbol(element)));
  auto m = io::load_model(name);
  ASSERT_TRUE(m.ok());
  auto fs = FluxSpace::build(m.value());
  ASSERT_TRUE(fs.ok());
  isotope::EmuOptions o;
  o.element = element;
  auto emu = isotope::EmuModel::compile(m.value(), fs.value(), o);
  ASSERT_TRUE(emu.ok()) << emu.message();
  auto table = tracers.empty() ? io::load_tracer_table(name) : io::read_tracer_table(tracers, "tracers");
  ASSERT_TRUE(table.ok()) << table.message();
  auto experiments = table.value().experiments;
  if (experiments.size() > 3) experiments.resize(3);
  auto inputs = emu.value().inputs(experiments, labelling);
  ASSERT_TRUE(inputs.ok()) << inputs.message();
  isotope::EmuSimulator sim(emu.value());
  std::mt19937_64 rng(11);
  const Eigen::VectorXd free = interior_point(m.value(), fs.value(), rng);
  isotope::MidSet mids, plus, minus;
  Eigen::MatrixXd jac;
  ASSERT_EQ(sim.simulate(fs.value().free_to_full(free), inputs.value(), mids, &jac), isotope::SimulationStatus::ok) << sim.message();
  ASSERT_EQ(jac.rows(), static_cast<Eigen::Index>(mids.values.size()));
  ASSERT_EQ(jac.cols(), fs.value().n_free());
  double worst = 0.0;
  for (Eigen::Index p = 0; p < fs.value().n_free(); ++p) {
    if (p < fs.value().n_free_net()) {  // a fixed flux at 0 sits on the kink: one-sided, skip it
      const auto& r = m.value().reactions[fs.value().column_reaction(fs.value().free_net_columns()[static_cast<std::size_t>(p)])];
      if (r.lower_bound == r.upper_bound && free(p) == 0.0) continue;
    }
    const double h = 1e-6 * std::max(1.0, std::fabs(free(p)));
    Eigen::VectorXd fp = free, fm = free;
    fp(p) += h;
    fm(p) -= h;
    ASSERT_EQ(sim.simulate(fs.value().free_to_full(fp), inputs.value(), plus), isotope::SimulationStatus::ok);
    ASSERT_EQ(sim.simulate(fs.value().free_to_full(fm), inputs.value(), minus), isotope::SimulationStatus::ok);
    for (std::size_t i = 0; i < mids.values.size(); ++i) {
      const double fd = (plus.values[i] - minus.values[i]) / (2 * h);
      const double err = std::fabs(fd - jac(static_cast<Eigen::Index>(i), p));
      worst = std::max(worst, err / std::max(1.0, std::fabs(fd)));
      EXPECT_NEAR(jac(static_cast<Eigen::Index>(i), p), fd, 1e-6 * std::max(1.0, std::fabs(fd)))
          << "row " << i << ", parameter " << p;
    }
  }
  ::testing::Test::RecordProperty("worst_relative_error", std::to_string(worst));

  // every experiment simulated alone gives the rows of the joint simulation (the joint
  // path solves all experiments as one block of right-hand sides)
  for (std::size_t x = 0; x < experiments.size(); ++x) {
    auto alone = emu.value().inputs({experiments[x]}, labelling);
    ASSERT_TRUE(alone.ok());
    isotope::MidSet single;
    Eigen::MatrixXd single_jac;
    ASSERT_EQ(sim.simulate(fs.value().free_to_full(free), alone.value(), single, &single_jac), isotope::SimulationStatus::ok);
    ASSERT_EQ(single.block, mids.block);
    for (std::size_t i = 0; i < single.block; ++i) {
      const std::size_t row = x * mids.block + i;
      EXPECT_NEAR(single.values[i], mids.values[row], 1e-13) << "experiment " << x << ", value " << i;
      for (Eigen::Index p = 0; p < jac.cols(); ++p)
        EXPECT_NEAR(single_jac(static_cast<Eigen::Index>(i), p), jac(static_cast<Eigen::Index>(row), p),
                    1e-11 * std::max(1.0, std::fabs(jac(static_cast<Eigen::Index>(row), p))));
    }
  }
}

}  // namespace

TEST(EmuSensitivities, MatchFiniteDifferencesSimple) { check("simple", Element::C); }
TEST(EmuSensitivities, MatchFiniteDifferencesGlycolysisCarbon) { check("glycolysis", Element::C); }
TEST(EmuSensitivities, MatchFiniteDifferencesGlycolysisHydrogen) { check("glycolysis", Element::H); }
TEST(EmuSensitivities, MatchFiniteDifferencesGlyppp) { check("glyppp", Element::C); }
TEST(EmuSensitivities, MatchFiniteDifferencesCcmWithNaturalAbundance) {
  isotope::SubstrateLabelling natural;
  natural.natural_abundance = {"*"};
  check("ccm", Element::C, natural);
}
// The mfapy E. coli model: its levels split into many strongly connected blocks, so the
// block-triangular solve is exercised (the built-in models are mostly one block a level).
TEST(EmuSensitivities, MatchFiniteDifferencesMfapyEcoliFragments) {
  const std::string path = std::string(FLUXION_SHARED_DATA) + "/mfa/mfapy/Example_2_Ecoli_model.txt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present (a clone without ../shared)";
  check(path, Element::C, {},
        "experiment\tsubstrate\tlabel\tfraction\n"
        "glc1\tSubsGlc\t[1-13C1]\t0.70\n"
        "glc1\tSubsGlc\t[U-13C6]\t0.28\n"
        "glc2\tSubsGlc\t[1,2-13C2]\t1.0\n");
}
TEST(EmuSensitivities, MatchFiniteDifferencesGlypppHydrogenWithLeaks) {
  isotope::SubstrateLabelling natural;  // the GlyPPP tracers label carbon only: natural 2H gives the hydrogens something to trace
  natural.natural_abundance = {"*"};
  check("glyppp", Element::H, natural);
}

// Natural isotopes of a derivatised fragment's other atoms keep MIDs distributions and
// the transformed Jacobian equal to finite differences of the transformed MIDs.
TEST(EmuSensitivities, FragmentNaturalIsotopesTransformTheJacobian) {
  auto m = io::load_model("simple");
  auto fs = FluxSpace::build(m.value());
  auto emu = isotope::EmuModel::compile(m.value(), fs.value());
  ASSERT_TRUE(emu.ok());
  auto inputs = emu.value().inputs(io::load_tracer_table("simple").value().experiments);
  ASSERT_TRUE(inputs.ok());
  isotope::MidSetFormulas formulas;
  for (const auto& id : emu.value().measured_ids())
    formulas.other_atoms.push_back(id == "molB" ? isotope::parse_formula("C8H26N2OSi2").value() : isotope::Formula{});
  isotope::EmuSimulator sim(emu.value());
  Eigen::VectorXd free(fs.value().n_free());
  free << 0.9, 0.7, 3.0, 0.0, 0.0, 0.0;
  auto run = [&](const Eigen::VectorXd& f, Eigen::MatrixXd* jac) {
    isotope::MidSet mids;
    EXPECT_EQ(sim.simulate(fs.value().free_to_full(f), inputs.value(), mids, jac), isotope::SimulationStatus::ok);
    EXPECT_TRUE(isotope::add_natural_isotopes(mids, jac, formulas).ok());
    return mids;
  };
  Eigen::MatrixXd jac;
  const isotope::MidSet base = run(free, &jac);
  for (int x = 0; x < base.n_experiments; ++x) {
    double sum = 0;
    for (double v : base.mid(x, 0)) sum += v;
    EXPECT_NEAR(sum, 1.0, 1e-12);
  }
  for (Eigen::Index p = 0; p < 3; ++p) {
    Eigen::VectorXd fp = free, fm = free;
    fp(p) += 1e-6;
    fm(p) -= 1e-6;
    const isotope::MidSet plus = run(fp, nullptr), minus = run(fm, nullptr);
    for (std::size_t i = 0; i < base.values.size(); ++i)
      EXPECT_NEAR(jac(static_cast<Eigen::Index>(i), p), (plus.values[i] - minus.values[i]) / 2e-6, 1e-7) << i << " " << p;
  }
}

// A metabolite that no flux produces (C below, made only by v2, at v2 = 0) has no balance
// there; its labelling is the limit of the producing step's (the pathway's first
// opening brings it), so the point simulates, its MIDs are those just beside it, and the
// Jacobian is the one-sided derivative into the pathway. [3-13C]A labels D by the route
// through C (D = C's first two atoms = B's c, b) but not by v4's (B's a, b).
TEST(EmuSensitivities, AMetaboliteNoFluxProducesTakesItsLimit) {
  auto m = io::read_reaction_tsv(test_models::kDeadEndModel, "dead_end.tsv");
  ASSERT_TRUE(m.ok()) << m.message();
  auto fs = FluxSpace::build(m.value());
  ASSERT_TRUE(fs.ok()) << fs.message();
  auto emu = isotope::EmuModel::compile(m.value(), fs.value());
  ASSERT_TRUE(emu.ok()) << emu.message();
  auto table = io::read_tracer_table(test_models::kDeadEndTracer, "tracers");
  ASSERT_TRUE(table.ok()) << table.message();
  auto inputs = emu.value().inputs(table.value().experiments);
  ASSERT_TRUE(inputs.ok()) << inputs.message();
  auto free_at = [&](double t) { return test_models::dead_end_free_fluxes(fs.value(), t); };
  isotope::EmuSimulator sim(emu.value());
  isotope::MidSet at0, beside;
  Eigen::MatrixXd jac;
  ASSERT_EQ(sim.simulate(fs.value().free_to_full(free_at(0)), inputs.value(), at0, &jac), isotope::SimulationStatus::ok) << sim.message();
  const double h = 1e-7;
  ASSERT_EQ(sim.simulate(fs.value().free_to_full(free_at(h)), inputs.value(), beside), isotope::SimulationStatus::ok);
  const Eigen::VectorXd direction = (free_at(1) - free_at(0));
  const Eigen::VectorXd slope = jac * direction;
  bool route_matters = false;
  for (std::size_t i = 0; i < at0.values.size(); ++i) {
    EXPECT_NEAR(at0.values[i], beside.values[i], 1e-6) << "value " << i;
    const double fd = (beside.values[i] - at0.values[i]) / h;
    EXPECT_NEAR(slope(static_cast<Eigen::Index>(i)), fd, 1e-5 * std::max(1.0, std::fabs(fd))) << "value " << i;
    route_matters = route_matters || std::fabs(fd) > 0.5;
  }
  EXPECT_TRUE(route_matters) << "the test's labelling does not see the route through C";
  // C's MID at v2 = 0 is B's (C is B's atoms reversed): [3-13C]A gives M+1 = 1
  const auto& measured = emu.value().measured_ids();
  const auto where = std::find(measured.begin(), measured.end(), "C");
  ASSERT_NE(where, measured.end());
  const auto c = at0.mid(0, static_cast<std::size_t>(where - measured.begin()));
  ASSERT_EQ(c.size(), 4U);
  EXPECT_NEAR(c[1], 1.0, 1e-12);
}
