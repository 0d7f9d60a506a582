// Isotopically non-stationary EMU simulation (EmuSimulator::simulate_instationary):
// closed-form labelling curves, the steady-state limit of every built-in model, the
// tolerance, and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/pool_table.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/isotope/emu.hpp"

using namespace fluxion;

namespace {

struct Network {
  Model model;
  std::optional<FluxSpace> space;
  std::optional<isotope::EmuModel> emu;
};

Network compile(Model model, std::vector<std::string> measured = {}) {
  Network n;
  n.model = std::move(model);
  auto fs = FluxSpace::build(n.model);
  EXPECT_TRUE(fs.ok()) << fs.message();
  n.space = fs.value();
  isotope::EmuOptions o;
  o.measured = std::move(measured);
  auto emu = isotope::EmuModel::compile(n.model, *n.space, o);
  EXPECT_TRUE(emu.ok()) << emu.message();
  n.emu = emu.value();
  return n;
}

std::vector<double> pools_of(const Model& m, const std::map<std::string, double>& given, double otherwise) {
  std::vector<double> pools(m.metabolites.size(), otherwise);
  for (std::size_t i = 0; i < m.metabolites.size(); ++i)
    if (auto it = given.find(m.metabolites[i].id); it != given.end()) pools[i] = it->second;
  return pools;
}

isotope::TracerExperiment labelled(const std::string& substrate, const std::string& label) {
  auto l = isotope::parse_label(label);
  EXPECT_TRUE(l.ok()) << l.message();
  return {"e", {{substrate, l.value(), 1.0, 1.0}}};
}

// A built-in model compiled for carbon, with the inputs of its built-in tracer experiments.
Network builtin(const std::string& name, isotope::EmuInputs& inputs) {
  auto m = io::load_model(name);
  EXPECT_TRUE(m.ok()) << m.message();
  Network n = compile(m.value());
  auto table = io::load_tracer_table(name);
  EXPECT_TRUE(table.ok()) << table.message();
  auto in = n.emu->inputs(table.value().experiments);
  EXPECT_TRUE(in.ok()) << in.message();
  if (in.ok()) inputs = in.value();
  return n;
}

// Free fluxes drawn in the model's bounds (net in [-10, 10], exchange log-uniform in
// [e^lo, e^hi]) until the directions hold, the steady state can be simulated and, with
// `off_kinks`, no reversible net flux is within 0.05 of 0 (the one-way fluxes kink there).
Eigen::VectorXd random_fluxes(const Network& n, std::mt19937_64& rng, isotope::EmuSimulator& sim, const isotope::EmuInputs& inputs,
                              isotope::MidSet& steady, double lo, double hi, bool off_kinks) {
  Eigen::VectorXd free(n.space->n_free());
  for (int attempt = 0; attempt < 100000; ++attempt) {
    for (Eigen::Index k = 0; k < n.space->n_free_net(); ++k) {
      const auto& r = n.model.reactions[n.space->column_reaction(n.space->free_net_columns()[static_cast<std::size_t>(k)])];
      free(k) = std::uniform_real_distribution<double>(std::max(r.lower_bound, -10.0), std::min(r.upper_bound, 10.0))(rng);
    }
    for (Eigen::Index k = n.space->n_free_net(); k < n.space->n_free(); ++k) free(k) = std::exp(std::uniform_real_distribution<double>(lo, hi)(rng));
    const FluxVector v = n.space->free_to_full(free);
    bool ok = true;
    for (Eigen::Index c = 0; c < n.space->n_reactions(); ++c) {
      const auto& r = n.model.reactions[static_cast<std::size_t>(c)];
      if ((!r.reversible && r.lower_bound >= 0 && v.net(c) < 0) || (off_kinks && r.reversible && std::fabs(v.net(c)) < 0.05)) ok = false;
    }
    if (ok && sim.simulate(v, inputs, steady) == isotope::SimulationStatus::ok) return free;
  }
  ADD_FAILURE() << "no flux point found";
  return free;
}

// A two-pool chain Ain -> A -> B -> (out) at flux v, [1-13C]Ain from t = 0:
//   c_A·dA/dt = v·(1 − A),  c_B·dB/dt = v·(A − B)
//   A(t) = 1 − e^(−a·t),  B(t) = 1 − (a·e^(−b·t) − b·e^(−a·t)) / (a − b),  a = v/c_A, b = v/c_B
const char* kChain =
    "id\tequation\tlb\tub\n"
    "in\tAin (C:a) -> A (C:a)\t0\t10\n"
    "r\tA (C:a) -> B (C:a)\t0\t10\n"
    "out\tB (C:a) ->\t0\t10\n";

}  // namespace

TEST(EmuInstationary, TwoPoolChainFollowsItsClosedForm) {
  auto m = io::read_reaction_tsv(kChain, "chain.tsv");
  ASSERT_TRUE(m.ok()) << m.message();
  Network n = compile(m.value(), {"A", "B"});
  auto inputs = n.emu->inputs({labelled("Ain", "[1-13C1]")});
  ASSERT_TRUE(inputs.ok()) << inputs.message();
  const double v = 2.0, ca = 3.0, cb = 0.5, a = v / ca, b = v / cb;
  FluxVector flux{Eigen::VectorXd::Constant(n.space->n_columns(), v), Eigen::VectorXd::Zero(n.space->n_columns())};
  isotope::InstationaryOptions o;
  o.times = {0, 0.1, 0.5, 1, 2, 5, 10, 40};
  o.tolerance = 1e-9;
  isotope::EmuSimulator sim(*n.emu);
  std::vector<isotope::MidSet> out;
  ASSERT_EQ(sim.simulate_instationary(flux, pools_of(n.model, {{"A", ca}, {"B", cb}}, 1.0), inputs.value(), o, out), isotope::SimulationStatus::ok)
      << sim.message();
  ASSERT_EQ(out.size(), o.times.size());
  for (std::size_t k = 0; k < o.times.size(); ++k) {
    const double t = o.times[k];
    const double want_a = 1 - std::exp(-a * t), want_b = 1 - (a * std::exp(-b * t) - b * std::exp(-a * t)) / (a - b);
    EXPECT_NEAR(out[k].mid(0, 0)[1], want_a, 1e-8) << "t = " << t;
    EXPECT_NEAR(out[k].mid(0, 1)[1], want_b, 1e-8) << "t = " << t;
    EXPECT_NEAR(out[k].mid(0, 1)[0] + out[k].mid(0, 1)[1], 1.0, 1e-12);
  }
  // a coarse tolerance is met too, with fewer steps
  o.tolerance = 1e-4;
  ASSERT_EQ(sim.simulate_instationary(flux, pools_of(n.model, {{"A", ca}, {"B", cb}}, 1.0), inputs.value(), o, out), isotope::SimulationStatus::ok);
  for (std::size_t k = 0; k < o.times.size(); ++k) {
    const double t = o.times[k];
    EXPECT_NEAR(out[k].mid(0, 1)[1], 1 - (a * std::exp(-b * t) - b * std::exp(-a * t)) / (a - b), 1e-4) << "t = " << t;
  }
}

// Every built-in model, at random fluxes and pool sizes, with its tracers: MIDs are
// distributions at every time, the start is unlabelled (or at natural abundance), and
// long after the switch the labelling is the steady state's.
TEST(EmuInstationary, BuiltinModelsReachTheirSteadyState) {
  std::mt19937_64 rng(11);
  for (const char* name : {"simple", "upper_glycolysis", "glycolysis", "glyppp", "ccm"}) {
    SCOPED_TRACE(name);
    isotope::EmuInputs inputs;
    Network n = builtin(name, inputs);
    isotope::EmuSimulator sim(*n.emu);
    isotope::MidSet steady;
    int done = 0;
    while (done < 3) {
      const FluxVector v = n.space->free_to_full(random_fluxes(n, rng, sim, inputs, steady, -3, 2, false));
      ++done;
      std::vector<double> pools(n.model.metabolites.size());
      for (double& c : pools) c = std::exp(std::uniform_real_distribution<double>(-1, 1)(rng));
      isotope::InstationaryOptions o;
      o.times = {0, 0.5, 3, 1e7};
      o.natural_abundance = done == 2;
      std::vector<isotope::MidSet> out;
      ASSERT_EQ(sim.simulate_instationary(v, pools, inputs, o, out), isotope::SimulationStatus::ok) << sim.message();
      const double p = o.natural_abundance ? isotope::natural_heavy_abundance(Element::C) : 0.0;
      for (std::size_t t = 0; t < out.size(); ++t)
        for (int x = 0; x < out[t].n_experiments; ++x)
          for (std::size_t k = 0; k < out[t].offsets.size(); ++k) {
            const auto mid = out[t].mid(x, k);
            double sum = 0;
            for (double f : mid) {
              EXPECT_GE(f, -1e-9);
              sum += f;
            }
            EXPECT_NEAR(sum, 1.0, 1e-10);
            if (t == 0) {
              EXPECT_NEAR(mid[0], std::pow(1 - p, static_cast<double>(mid.size() - 1)), 1e-12);
            }
            if (t + 1 == out.size()) {
              for (std::size_t q = 0; q < mid.size(); ++q) EXPECT_NEAR(mid[q], steady.mid(x, k)[q], 1e-7) << k << " M+" << q;
            }
          }
    }
    EXPECT_EQ(done, 3);
  }
}

// The tolerance holds against a much finer solution on CCM (many pools, condensations).
TEST(EmuInstationary, ToleranceHoldsAgainstAFinerSolution) {
  isotope::EmuInputs inputs;
  Network n = builtin("ccm", inputs);
  // a feasible flux point: the steady-state golden tests' way, fixed seed
  std::mt19937_64 rng(3);
  isotope::EmuSimulator sim(*n.emu);
  isotope::MidSet steady;
  const FluxVector v = n.space->free_to_full(random_fluxes(n, rng, sim, inputs, steady, -3, 2, false));
  const std::vector<double> pools(n.model.metabolites.size(), 1.5);
  isotope::InstationaryOptions coarse, fine;
  coarse.times = fine.times = {0.2, 1, 4};
  coarse.tolerance = 1e-5;
  fine.tolerance = 1e-8;
  std::vector<isotope::MidSet> a, b;
  ASSERT_EQ(sim.simulate_instationary(v, pools, inputs, coarse, a), isotope::SimulationStatus::ok) << sim.message();
  ASSERT_EQ(sim.simulate_instationary(v, pools, inputs, fine, b), isotope::SimulationStatus::ok) << sim.message();
  double worst = 0, moved = 0;
  for (std::size_t t = 0; t < a.size(); ++t)
    for (std::size_t i = 0; i < a[t].values.size(); ++i) {
      worst = std::max(worst, std::fabs(a[t].values[i] - b[t].values[i]));
      moved = std::max(moved, std::fabs(b[t].values[i] - steady.values[i]));
    }
  EXPECT_LT(worst, 1e-5);
  EXPECT_GT(moved, 1e-2);  // the times lie in the transient
}

// FreeFlux's TCA toy: its fluxes (fluxes.tsv), pool sizes (concentrations.tsv), 25 % [2-13C]
// and 25 % [1,2-13C2]acetyl-CoA, natural abundance everywhere, the start at natural
// abundance. Glutamate's MID agrees with FreeFlux's own time course (measured_inst_MDVs.tsv,
// 3 decimals) up to t = 0.2; later FreeFlux's values lag by up to 0.0043 (t = 2, M+0).
// An independent algorithm, full isotopomer balances integrated by explicit Runge-Kutta
// (bench/isotopomer_reference.py --times, step 2.5e-4; tests/python compares the two at
// every time), gives fluxion's values: at t = 2 the reference values below, to 1e-6.
TEST(EmuInstationary, FreefluxToyTimeCourseAgreesWithIsotopomerBalances) {
  const std::string dir = std::string(FLUXION_SHARED_DATA) + "/mfa/freeflux/toy/";
  if (!std::filesystem::exists(dir + "reactions.tsv")) GTEST_SKIP() << dir << " not found (../shared/data)";
  auto m = io::load_model(dir + "reactions.tsv");
  ASSERT_TRUE(m.ok()) << m.message();
  Network n = compile(m.value(), {"Glu"});
  auto pools_table = io::load_pool_table(dir + "concentrations.tsv");
  ASSERT_TRUE(pools_table.ok()) << pools_table.message();
  auto pools = io::pool_sizes(n.model, pools_table.value(), 0.0, "concentrations.tsv");
  ASSERT_TRUE(pools.ok()) << pools.message();
  isotope::TracerExperiment ex{"e", {}};
  for (const char* label : {"[2-13C1]", "[1,2-13C2]"}) ex.components.push_back({"AcCoA", isotope::parse_label(label).value(), 0.25, 1.0});
  isotope::SubstrateLabelling natural;
  natural.natural_abundance = {"*"};
  auto inputs = n.emu->inputs({ex}, natural);
  ASSERT_TRUE(inputs.ok()) << inputs.message();
  FluxVector v{Eigen::VectorXd::Zero(n.space->n_columns()), Eigen::VectorXd::Zero(n.space->n_columns())};
  const std::map<std::string, std::pair<double, double>> fluxes = {{"v1", {10, 0}}, {"v2", {10, 0}}, {"v3", {5, 0}}, {"v4", {5, 0}},
                                                                   {"v5", {5, 0}},  {"v6", {5, 7.5}}, {"v7", {5, 0}}};
  for (const auto& [id, nx] : fluxes) {
    const auto c = std::find(n.space->column_ids().begin(), n.space->column_ids().end(), id) - n.space->column_ids().begin();
    ASSERT_LT(c, n.space->n_columns()) << id;
    v.net(c) = nx.first;
    v.exchange(c) = nx.second;
  }
  isotope::InstationaryOptions o;
  o.times = {0, 0.1, 0.2, 0.5, 1, 2};
  o.natural_abundance = true;
  const std::vector<std::vector<double>> freeflux = {{0.948, 0.051, 0.001, 0.0, 0.0, 0.0},   {0.928, 0.06, 0.012, 0.0, 0.0, 0.0},
                                                     {0.873, 0.085, 0.041, 0.001, 0.0, 0.0}, {0.697, 0.162, 0.131, 0.008, 0.001, 0.0},
                                                     {0.518, 0.234, 0.213, 0.028, 0.006, 0.0}, {0.381, 0.274, 0.262, 0.063, 0.018, 0.001}};
  isotope::EmuSimulator sim(*n.emu);
  std::vector<isotope::MidSet> out;
  ASSERT_EQ(sim.simulate_instationary(v, pools.value(), inputs.value(), o, out), isotope::SimulationStatus::ok) << sim.message();
  for (std::size_t t = 0; t < 3; ++t)
    for (std::size_t q = 0; q < 6; ++q) EXPECT_NEAR(out[t].mid(0, 0)[q], freeflux[t][q], 6e-4) << "t = " << o.times[t] << " M+" << q;
  const std::vector<double> isotopomer_ode = {0.376664911157, 0.274270403304, 0.262677103487, 0.065694828797, 0.019234213621, 0.001458539635};
  for (std::size_t q = 0; q < 6; ++q) EXPECT_NEAR(out[5].mid(0, 0)[q], isotopomer_ode[q], 1e-6) << "t = 2 M+" << q;
  EXPECT_GT(std::fabs(out[5].mid(0, 0)[0] - freeflux[5][0]), 0.004);  // FreeFlux's lag, as recorded in docs/benchmarks.md
}

// The sensitivities of a time course (free net and exchange fluxes, then pool sizes)
// against central differences of the simulation, on the toy and on glycolysis (13C and 2H
// tracers; reversible steps and condensations), at random fluxes and pools.
TEST(EmuInstationary, SensitivitiesMatchFiniteDifferences) {
  std::mt19937_64 rng(5);
  for (const char* name : {"simple", "glycolysis"}) {
    SCOPED_TRACE(name);
    isotope::EmuInputs inputs;
    Network n = builtin(name, inputs);
    isotope::EmuSimulator sim(*n.emu);
    isotope::MidSet steady;
    const Eigen::VectorXd free = random_fluxes(n, rng, sim, inputs, steady, -2, 1, true);
    std::vector<double> pools(n.model.metabolites.size());
    for (double& c : pools) c = std::exp(std::uniform_real_distribution<double>(-1, 1)(rng));
    const auto pool_list = n.emu->pool_metabolites();
    ASSERT_FALSE(pool_list.empty());
    isotope::InstationaryOptions o;  // a fixed number of steps: the derivative of one discrete solution
    o.times = {0.3, 1.5};
    o.steps = 40;
    std::vector<isotope::MidSet> base, plus, minus;
    std::vector<Eigen::MatrixXd> jac;
    ASSERT_EQ(sim.simulate_instationary(n.space->free_to_full(free), pools, inputs, o, base, &jac), isotope::SimulationStatus::ok);
    ASSERT_EQ(jac.size(), o.times.size());
    ASSERT_EQ(jac[0].cols(), n.space->n_free() + static_cast<Eigen::Index>(pool_list.size()));
    double worst = 0, largest = 0;
    for (Eigen::Index p = 0; p < jac[0].cols(); ++p) {
      Eigen::VectorXd fp = free, fm = free;
      std::vector<double> cp = pools, cm = pools;
      double h = 0;
      if (p < n.space->n_free()) {
        h = 1e-6 * std::max(1.0, std::fabs(free(p)));
        fp(p) += h;
        fm(p) -= h;
      } else {
        const std::size_t met = pool_list[static_cast<std::size_t>(p - n.space->n_free())];
        h = 1e-6 * pools[met];
        cp[met] += h;
        cm[met] -= h;
      }
      ASSERT_EQ(sim.simulate_instationary(n.space->free_to_full(fp), cp, inputs, o, plus), isotope::SimulationStatus::ok);
      ASSERT_EQ(sim.simulate_instationary(n.space->free_to_full(fm), cm, inputs, o, minus), isotope::SimulationStatus::ok);
      for (std::size_t t = 0; t < o.times.size(); ++t)
        for (std::size_t i = 0; i < base[t].values.size(); ++i) {
          const double fd = (plus[t].values[i] - minus[t].values[i]) / (2 * h);
          worst = std::max(worst, std::fabs(fd - jac[t](static_cast<Eigen::Index>(i), p)));
          largest = std::max(largest, std::fabs(fd));
        }
    }
    EXPECT_LT(worst, 1e-6);
    EXPECT_GT(largest, 1e-2);  // the derivatives are not all 0
  }
}

TEST(EmuInstationary, BadInputIsRefused) {
  auto m = io::read_reaction_tsv(kChain, "chain.tsv");
  ASSERT_TRUE(m.ok());
  Network n = compile(m.value(), {"A", "B"});
  auto inputs = n.emu->inputs({labelled("Ain", "[1-13C1]")});
  ASSERT_TRUE(inputs.ok());
  FluxVector flux{Eigen::VectorXd::Constant(n.space->n_columns(), 1.0), Eigen::VectorXd::Zero(n.space->n_columns())};
  isotope::EmuSimulator sim(*n.emu);
  std::vector<isotope::MidSet> out;
  isotope::InstationaryOptions o;
  o.times = {1, 0.5};
  EXPECT_THROW(sim.simulate_instationary(flux, pools_of(n.model, {}, 1.0), inputs.value(), o, out), std::invalid_argument);
  o.times = {1};
  EXPECT_THROW(sim.simulate_instationary(flux, pools_of(n.model, {{"B", 0.0}}, 1.0), inputs.value(), o, out), std::invalid_argument);
  EXPECT_THROW(sim.simulate_instationary(flux, std::vector<double>(1, 1.0), inputs.value(), o, out), std::invalid_argument);
  // a step limit too small for the tolerance is reported, not ignored
  o.times = {5};
  o.tolerance = 1e-14;
  o.max_steps = 8;
  EXPECT_EQ(sim.simulate_instationary(flux, pools_of(n.model, {}, 1.0), inputs.value(), o, out), isotope::SimulationStatus::step_limit);
  EXPECT_NE(sim.message().find("tolerance"), std::string::npos);
}
