// Golden: EMU simulation against closed forms and published values.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <bit>
#include <cmath>
#include <map>
#include <random>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/isotope/emu.hpp"

using namespace fluxion;

namespace {

const std::string kData = FLUXION_SHARED_DATA;

struct Network {
  Model model;
  FluxSpace space;
  isotope::EmuModel emu;
};

Network network(const std::string& source, Element element = Element::C, std::vector<std::string> measured = {}) {
  auto m = io::load_model(source);
  EXPECT_TRUE(m.ok()) << m.message();
  auto fs = FluxSpace::build(m.value());
  EXPECT_TRUE(fs.ok()) << fs.message();
  isotope::EmuOptions o;
  o.element = element;
  o.measured = std::move(measured);
  auto emu = isotope::EmuModel::compile(m.value(), fs.value(), o);
  EXPECT_TRUE(emu.ok()) << emu.message();
  return {m.value(), fs.value(), emu.value()};
}

isotope::TracerExperiment experiment(const std::string& id, std::vector<std::tuple<std::string, std::string, double>> parts) {
  isotope::TracerExperiment ex{id, {}};
  for (auto& [substrate, label, fraction] : parts) {
    auto l = isotope::parse_label(label);
    EXPECT_TRUE(l.ok()) << l.message();
    ex.components.push_back({substrate, l.value(), fraction, 1.0});
  }
  return ex;
}

// The fluxes of the EMU paper's TCA toy network (mfapy Example 0 status file) times `scale`.
FluxVector tca_toy_fluxes(const Network& s, double scale) {
  FluxVector v{Eigen::VectorXd::Zero(s.space.n_columns()), Eigen::VectorXd::Zero(s.space.n_columns())};
  const std::map<std::string, std::pair<double, double>> fluxes = {
      {"v1", {100, 0}}, {"v2", {100, 0}}, {"v3", {50, 0}}, {"v4", {50, 0}}, {"v5", {50, 0}},
      {"FUM", {50, 75}}, {"v8", {50, 0}}, {"v9", {50, 0}}};
  for (const auto& [id, nx] : fluxes) {
    const auto c = std::find(s.space.column_ids().begin(), s.space.column_ids().end(), id) - s.space.column_ids().begin();
    EXPECT_LT(c, s.space.n_columns()) << id;
    v.net(c) = scale * nx.first;
    v.exchange(c) = scale * nx.second;
  }
  return v;
}

}  // namespace

// ML-Flux toy network (paper Fig. 1; notes §2.1): with [1-13C]A and the M+1 fractions
// B1 and D1 of B and D, v2(backward)/v1 = (1 − B1)/(B1 − D1) and v3/v1 = (1 − D1)/(2·B1 − D1).
TEST(Emu, SimpleToyMatchesClosedFormOverAGrid) {
  Network s = network("simple");
  auto inputs = s.emu.inputs({experiment("e1", {{"molA", "[1-13C1]", 1.0}})});
  ASSERT_TRUE(inputs.ok()) << inputs.message();
  isotope::EmuSimulator sim(s.emu);
  isotope::MidSet mids;
  const auto ids = s.emu.measured_ids();
  const auto b = static_cast<std::size_t>(std::find(ids.begin(), ids.end(), "molB") - ids.begin());
  const auto dd = static_cast<std::size_t>(std::find(ids.begin(), ids.end(), "molD") - ids.begin());
  int checked = 0;
  for (double ex_e : {0.3, 0.9, 1.5, 2.4})      // E efflux; v3 = v4 = E/3
    for (double ex_f : {0.05, 0.2, 0.5})        // F efflux
      for (double xch2 : {0.0, 0.5, 3.0, 40.0}) {  // exchange of v2
        Eigen::VectorXd free(s.space.n_free());
        free << ex_e, ex_f, xch2, 0.0, 0.0, 0.0;
        FluxVector v = s.space.free_to_full(free);
        const double v1 = v.net(0);
        v.net /= v1;  // v1 = 1
        v.exchange /= v1;
        ASSERT_EQ(sim.simulate(v, inputs.value(), mids), isotope::SimulationStatus::ok) << sim.message();
        const double b1 = mids.mid(0, b)[1], d1 = mids.mid(0, dd)[1];
        const double v2_net = v.net(1), v2_rev = v.exchange(1) - std::min(0.0, v2_net);
        EXPECT_NEAR((1 - b1) / (b1 - d1), v2_rev, 1e-9 * std::max(1.0, v2_rev));
        EXPECT_NEAR((1 - d1) / (2 * b1 - d1), v.net(2), 1e-9);
        ++checked;
      }
  EXPECT_EQ(checked, 48);
}

// The EMU paper's TCA toy network (Antoniewicz et al. 2007, as mfapy Example 0):
// AcCoA 25% [2-13C] + 25% [1,2-13C] + 50% unlabelled gives a published Glu MID.
TEST(Emu, EmuPaperToyGlutamate) {
  const std::string path = kData + "/mfa/mfapy/Example_0_toymodel_model.txt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
  Network s = network(path, Element::C, {"Glu"});
  const FluxVector v = tca_toy_fluxes(s, 1.0);
  EXPECT_LT(s.space.steady_state_residual(v.net), 1e-12);
  auto inputs = s.emu.inputs({experiment("e", {{"AcCoA", "[2-13C1]", 0.25}, {"AcCoA", "[1,2-13C2]", 0.25}})});
  ASSERT_TRUE(inputs.ok()) << inputs.message();
  isotope::EmuSimulator sim(s.emu);
  isotope::MidSet mids;
  ASSERT_EQ(sim.simulate(v, inputs.value(), mids), isotope::SimulationStatus::ok) << sim.message();
  const std::vector<double> published = {0.3464, 0.2695, 0.2708, 0.0807, 0.0286, 0.0039};
  auto glu = mids.mid(0, 0);
  ASSERT_EQ(glu.size(), published.size());
  for (std::size_t k = 0; k < glu.size(); ++k) EXPECT_NEAR(glu[k], published[k], 0.00005) << "M+" << k;
}

// mfapy model files may give a one-way '-->' reaction a negative lower bound (ML-Flux's CCM:
// -300 on every line). It stays one-way, read with lower bound 0 and a warning; before, the
// reaction became reversible and its backward direction had no atom map ("v9 (backward)
// produces Glu without an atom map"). The published Glu MID is unchanged.
TEST(Emu, MfapyOneWayReactionWithNegativeLowerBoundStaysOneWay) {
  const std::string path = kData + "/mfa/mfapy/Example_0_toymodel_model.txt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const std::string v9 = "v9\tGlu --> Gluex\tnd\tnd\t(kegg:R00243)\t0.0\t300";
  const auto at = text.find(v9);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, v9.size(), "v9\tGlu --> Gluex\tnd\tnd\t(kegg:R00243)\t-300\t300");
  const auto tmp = std::filesystem::temp_directory_path() / "fluxion_mfapy_negative_lb_model.txt";
  { std::ofstream(tmp) << text; }
  auto m = io::load_model(tmp.string());
  ASSERT_TRUE(m.ok()) << m.message();
  bool warned = false;
  for (const auto& d : m.diagnostics()) warned |= d.message.find("negative lower bound, read as 0") != std::string::npos && d.message.find("v9") != std::string::npos;
  EXPECT_TRUE(warned) << m.message();
  const auto& r = m.value().reactions[*m.value().reaction_index("v9")];
  EXPECT_FALSE(r.reversible);
  EXPECT_EQ(r.lower_bound, 0.0);
  Network s = network(tmp.string(), Element::C, {"Glu"});
  const FluxVector v = tca_toy_fluxes(s, 1.0);
  auto inputs = s.emu.inputs({experiment("e", {{"AcCoA", "[2-13C1]", 0.25}, {"AcCoA", "[1,2-13C2]", 0.25}})});
  ASSERT_TRUE(inputs.ok()) << inputs.message();
  isotope::EmuSimulator sim(s.emu);
  isotope::MidSet mids;
  ASSERT_EQ(sim.simulate(v, inputs.value(), mids), isotope::SimulationStatus::ok) << sim.message();
  EXPECT_NEAR(mids.mid(0, 0)[0], 0.3464, 0.00005);
  std::filesystem::remove(tmp);
}

// The same network with natural 13C on every unlabelled substrate atom (FreeFlux's
// convention) reproduces FreeFlux's toy measurement (fluxes ÷ 10, MIDs unchanged), to
// the 3 decimals it prints; without natural abundance M+0 is 5% higher (0.9893^5).
TEST(Emu, NaturalAbundanceConventionMatchesFreeFluxToy) {
  const std::string path = kData + "/mfa/mfapy/Example_0_toymodel_model.txt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
  Network s = network(path, Element::C, {"Glu"});
  const FluxVector v = tca_toy_fluxes(s, 0.1);
  const auto ex = experiment("e", {{"AcCoA", "[2-13C1]", 0.25}, {"AcCoA", "[1,2-13C2]", 0.25}});
  isotope::SubstrateLabelling natural;
  natural.natural_abundance = {"*"};
  auto inputs = s.emu.inputs({ex}, natural);
  ASSERT_TRUE(inputs.ok()) << inputs.message();
  isotope::EmuSimulator sim(s.emu);
  isotope::MidSet mids;
  ASSERT_EQ(sim.simulate(v, inputs.value(), mids), isotope::SimulationStatus::ok);
  const std::vector<double> freeflux = {0.328, 0.276, 0.274, 0.088, 0.03, 0.004};  // freeflux/toy/measured_MDVs.tsv
  for (std::size_t k = 0; k < freeflux.size(); ++k) EXPECT_NEAR(mids.mid(0, 0)[k], freeflux[k], 0.0005) << "M+" << k;
  // all substrates unlabelled: M+0 is 0.9893^5 with natural abundance, 1 without
  auto plain = s.emu.inputs({isotope::TracerExperiment{"u", {}}}, natural);
  ASSERT_EQ(sim.simulate(v, plain.value(), mids), isotope::SimulationStatus::ok);
  EXPECT_NEAR(mids.mid(0, 0)[0], std::pow(0.9893, 5), 1e-12);
  auto none = s.emu.inputs({isotope::TracerExperiment{"u", {}}});
  ASSERT_EQ(sim.simulate(v, none.value(), mids), isotope::SimulationStatus::ok);
  EXPECT_NEAR(mids.mid(0, 0)[0], 1.0, 1e-12);
}

namespace {

// Independent reference: full isotopomer balances solved by fixed-point iteration.
// Every metabolite's state is the distribution over all 2^n labelling patterns of its
// atoms; each one-way reaction maps reactant patterns to product patterns bit by bit.
std::map<std::string, std::vector<double>> isotopomer_mids(const Model& m, const FluxSpace& fs, const FluxVector& v,
                                                           const isotope::TracerExperiment& ex,
                                                           const std::vector<std::string>& fragments) {
  const std::size_t C = static_cast<std::size_t>(Element::C);
  std::vector<std::vector<double>> x(m.metabolites.size());
  for (std::size_t i = 0; i < m.metabolites.size(); ++i) {
    const int n = m.metabolites[i].atoms[C];
    x[i].assign(std::size_t{1} << n, 0.0);
    x[i][0] = 1.0;
    if (!m.metabolites[i].boundary) continue;
    double rest = 1.0;
    std::vector<double> mix(x[i].size(), 0.0);
    for (const auto& c : ex.components) {
      if (c.substrate != m.metabolites[i].id) continue;
      auto bits = c.label.bits(Element::C, n).value();
      std::size_t pattern = 0;
      for (int k = 0; k < n; ++k)
        if (bits[static_cast<std::size_t>(k)]) pattern |= std::size_t{1} << k;
      mix[pattern] += c.fraction;
      rest -= c.fraction;
    }
    mix[0] += rest;
    x[i] = mix;
  }
  struct Step {
    double flux;
    const std::vector<Participant>* in;
    const std::vector<Participant>* out;
  };
  std::vector<Step> steps;
  for (Eigen::Index c = 0; c < fs.n_reactions(); ++c) {
    const Reaction& r = m.reactions[static_cast<std::size_t>(c)];
    steps.push_back({v.exchange(c) + std::max(0.0, v.net(c)), &r.reactants, &r.products});
    steps.push_back({v.exchange(c) - std::min(0.0, v.net(c)), &r.products, &r.reactants});
  }
  for (int iter = 0; iter < 20000; ++iter) {
    double change = 0.0;
    for (std::size_t mi = 0; mi < m.metabolites.size(); ++mi) {
      if (m.metabolites[mi].boundary || m.metabolites[mi].atoms[C] == 0) continue;
      const int n = m.metabolites[mi].atoms[C];
      std::vector<double> next(x[mi].size(), 0.0);
      double production = 0.0;
      for (const Step& s : steps) {
        if (s.flux <= 0) continue;
        for (const Participant& prod : *s.out) {
          if (prod.metabolite != mi) continue;
          production += s.flux;
          // enumerate joint reactant patterns
          std::vector<std::size_t> counts;
          std::size_t total = 1;
          for (const auto& p : *s.in) {
            counts.push_back(x[p.metabolite].size());
            total *= x[p.metabolite].size();
          }
          const int alternatives = m.metabolites[mi].symmetric ? 2 : 1;
          for (std::size_t joint = 0; joint < total; ++joint) {
            double p = 1.0;
            std::size_t rem = joint;
            std::vector<std::size_t> pattern(counts.size());
            for (std::size_t j = 0; j < counts.size(); ++j) {
              pattern[j] = rem % counts[j];
              rem /= counts[j];
              p *= x[(*s.in)[j].metabolite][pattern[j]];
            }
            if (p == 0) continue;
            for (int alt = 0; alt < alternatives; ++alt) {
              std::size_t out = 0;
              for (int k = 0; k < n; ++k) {
                const char label = prod.atoms[C][static_cast<std::size_t>(alt ? n - 1 - k : k)];
                for (std::size_t j = 0; j < counts.size(); ++j) {
                  const auto pos = (*s.in)[j].atoms[C].find(label);
                  if (pos != std::string::npos && (pattern[j] >> pos & 1)) out |= std::size_t{1} << k;
                }
              }
              next[out] += s.flux * p / alternatives;
            }
          }
        }
      }
      for (std::size_t k = 0; k < next.size(); ++k) {
        next[k] /= production;
        change = std::max(change, std::fabs(next[k] - x[mi][k]));
      }
      x[mi] = next;
    }
    if (change < 1e-15) break;
  }
  // MIDs of every metabolite and of the fragments asked for
  std::map<std::string, std::vector<double>> mids;
  for (std::size_t mi = 0; mi < m.metabolites.size(); ++mi) {
    const int n = m.metabolites[mi].atoms[C];
    std::vector<double> mid(static_cast<std::size_t>(n) + 1, 0.0);
    for (std::size_t k = 0; k < x[mi].size(); ++k) mid[static_cast<std::size_t>(std::popcount(k))] += x[mi][k];
    mids[m.metabolites[mi].id] = mid;
  }
  for (const auto& spec : fragments) {
    const FragmentSpec f = parse_fragment(spec).value();
    if (f.atoms.empty()) continue;  // a whole metabolite, done above
    const std::size_t mi = *m.metabolite_index(f.metabolite);
    std::size_t mask = 0;
    for (int a : f.atoms) mask |= std::size_t{1} << (a - 1);
    std::vector<double> mid(f.atoms.size() + 1, 0.0);
    for (std::size_t k = 0; k < x[mi].size(); ++k) mid[static_cast<std::size_t>(std::popcount(k & mask))] += x[mi][k];
    mids[spec] = mid;
  }
  return mids;
}

void expect_matches_isotopomers(Network& s, const FluxVector& v, const isotope::TracerExperiment& ex) {
  auto inputs = s.emu.inputs({ex});
  ASSERT_TRUE(inputs.ok()) << inputs.message();
  isotope::EmuSimulator sim(s.emu);
  isotope::MidSet mids;
  ASSERT_EQ(sim.simulate(v, inputs.value(), mids), isotope::SimulationStatus::ok) << sim.message();
  const auto reference = isotopomer_mids(s.model, s.space, v, ex, s.emu.measured_ids());
  const auto ids = s.emu.measured_ids();
  for (std::size_t k = 0; k < ids.size(); ++k) {
    const auto mid = mids.mid(0, k);
    const auto& ref = reference.count(ids[k]) ? reference.at(ids[k]) : reference.at(parse_fragment(ids[k]).value().metabolite);
    ASSERT_EQ(mid.size(), ref.size());
    for (std::size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(mid[i], ref[i], 1e-10) << ids[k] << " M+" << i;
  }
}

}  // namespace

TEST(Emu, AgreesWithFullIsotopomerBalancesOnTheToyNetwork) {
  Network s = network("simple");
  Eigen::VectorXd free(s.space.n_free());
  free << 0.9, 0.7, 3.0, 0.0, 0.0, 0.0;
  for (const char* label : {"[1-13C1]", "[2,3-13C2]", "[U-13C3]"})
    expect_matches_isotopomers(s, s.space.free_to_full(free), experiment("e", {{"molA", label, 0.6}}));
}

TEST(Emu, AgreesWithFullIsotopomerBalancesOnTheTcaToyWithSymmetry) {
  const std::string path = kData + "/mfa/mfapy/Example_0_toymodel_model.txt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
  Network s = network(path, Element::C, {"Glu", "Suc", "Fum", "OAC", "Cit", "AKG", "Glu[2,3,4,5]", "Cit[1-3]", "Suc[2]", "Fum[1,4]"});
  const FluxVector v = tca_toy_fluxes(s, 1.0);
  expect_matches_isotopomers(s, v, experiment("e", {{"AcCoA", "[2-13C1]", 0.25}, {"AcCoA", "[1,2-13C2]", 0.25}}));
  expect_matches_isotopomers(s, v, experiment("e", {{"AcCoA", "[1-13C1]", 1.0}, {"Asp", "[U-13C4]", 0.5}}));
}

// Random flux vectors that respect every reaction's direction (irreversible reactions
// forward): every MID is a distribution, for every built-in model and experiment.
TEST(Emu, BuiltinModelsGiveDistributions) {
  std::mt19937_64 rng(7);
  for (const char* name : {"simple", "upper_glycolysis", "glycolysis", "glyppp", "ccm"}) {
    SCOPED_TRACE(name);
    Network s = network(name);
    auto table = io::load_tracer_table(name);
    ASSERT_TRUE(table.ok());
    auto inputs = s.emu.inputs(table.value().experiments);
    ASSERT_TRUE(inputs.ok()) << inputs.message();
    isotope::EmuSimulator sim(s.emu);
    isotope::MidSet mids;
    int accepted = 0;
    for (int attempt = 0; attempt < 200000 && accepted < 20; ++attempt) {
      Eigen::VectorXd free(s.space.n_free());
      for (Eigen::Index k = 0; k < s.space.n_free_net(); ++k) {
        const auto& r = s.model.reactions[s.space.column_reaction(s.space.free_net_columns()[static_cast<std::size_t>(k)])];
        const double lo = std::max(r.lower_bound, -10.0), hi = std::min(r.upper_bound, 10.0);
        free(k) = std::uniform_real_distribution<double>(lo, hi)(rng);
      }
      for (Eigen::Index k = s.space.n_free_net(); k < s.space.n_free(); ++k)
        free(k) = std::exp(std::uniform_real_distribution<double>(-5, 2)(rng));
      const FluxVector v = s.space.free_to_full(free);
      bool directions = true;
      for (Eigen::Index c = 0; c < s.space.n_reactions(); ++c) {
        const auto& r = s.model.reactions[static_cast<std::size_t>(c)];
        if (!r.reversible && r.lower_bound >= 0 && v.net(c) < 0) directions = false;
      }
      if (!directions) continue;
      if (sim.simulate(v, inputs.value(), mids) != isotope::SimulationStatus::ok) continue;
      ++accepted;
      for (int x = 0; x < mids.n_experiments; ++x)
        for (std::size_t k = 0; k < mids.offsets.size(); ++k) {
          const auto mid = mids.mid(x, k);
          double sum = 0;
          for (double f : mid) {
            EXPECT_GE(f, -1e-12);
            sum += f;
          }
          EXPECT_NEAR(sum, 1.0, 1e-10);
        }
    }
    EXPECT_EQ(accepted, 20);
  }
}

// Hydrogen leak (FluxML leak="a"): the reaction also runs, forward and backward at its
// leak exchange flux x, with hydrogen a swapped with the solvent pool H. With unlabelled
// A fed at 1, solvent fed at 50 and labelled at fraction h, r: A <-> B at net 1 and
// exchange e (v_f = 1 + e, v_b = e), the 2H fractions of atom a solve
//   (50 + 2x)·H = 50·h + x·A + x·B       (H takes the atoms A and B release)
//   (1 + v_b + x)·A = v_b·B + x·H
//   (v_f + x)·B = v_f·A + x·H
TEST(Emu, HydrogenLeakExchangesWithSolvent) {
  const char* text =
      "id\tequation\tlb\tub\tleak\n"
      "in\tAin (H:ab) -> A (H:ab)\t1\t1\t\n"
      "r\tA (H:ab) <-> B (H:ab)\t-10\t10\ta\n"
      "out\tB (H:ab) ->\t0\t10\t\n"
      "hin\tHin (H:a) -> H (H:a)\t0\t100\t\n"
      "hout\tH (H:a) ->\t0\t100\t\n";
  auto m = io::read_reaction_tsv(text, "leak.tsv");
  ASSERT_TRUE(m.ok()) << m.message();
  auto fs = FluxSpace::build(m.value());
  ASSERT_TRUE(fs.ok()) << fs.message();
  isotope::EmuOptions o;
  o.element = Element::H;
  o.measured = {"A[1]", "B[1]", "B[2]"};
  auto emu = isotope::EmuModel::compile(m.value(), fs.value(), o);
  ASSERT_TRUE(emu.ok()) << emu.message();
  const double h = 0.4, e = 0.7, x = 2.5;
  auto inputs = emu.value().inputs({experiment("e", {{"Hin", "[1-2H1]", h}})});
  ASSERT_TRUE(inputs.ok()) << inputs.message();
  // columns: in, r, out, hin, hout, r_leak
  ASSERT_EQ(fs.value().column_ids().back(), "r_leak");
  FluxVector v{Eigen::VectorXd::Zero(6), Eigen::VectorXd::Zero(6)};
  v.net << 1, 1, 1, 50, 50, 0;
  v.exchange(1) = e;
  v.exchange(5) = x;
  isotope::EmuSimulator sim(emu.value());
  isotope::MidSet mids;
  ASSERT_EQ(sim.simulate(v, inputs.value(), mids), isotope::SimulationStatus::ok) << sim.message();
  const double vf = 1 + e, vb = e;
  Eigen::Matrix3d a;  // unknowns A, B, H
  a << 1 + vb + x, -vb, -x,  //
      -vf, vf + x, -x,       //
      -x, -x, 50 + 2 * x;
  const Eigen::Vector3d sol = a.lu().solve(Eigen::Vector3d(0, 0, 50 * h));
  EXPECT_NEAR(mids.mid(0, 0)[1], sol(0), 1e-12);
  EXPECT_NEAR(mids.mid(0, 1)[1], sol(1), 1e-12);
  EXPECT_NEAR(mids.mid(0, 2)[1], 0.0, 1e-15);  // hydrogen b never meets the solvent
}
