// Golden: EMU simulation against closed forms and published values.
#include <gtest/gtest.h>

#include <filesystem>
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
  EmuModel emu;
};

Network network(const std::string& source, Element element = Element::C, std::vector<std::string> measured = {}) {
  auto m = io::load_model(source);
  EXPECT_TRUE(m.ok()) << m.message();
  auto fs = FluxSpace::build(m.value());
  EXPECT_TRUE(fs.ok()) << fs.message();
  EmuOptions o;
  o.element = element;
  o.measured = std::move(measured);
  auto emu = EmuModel::compile(m.value(), fs.value(), o);
  EXPECT_TRUE(emu.ok()) << emu.message();
  return {m.value(), fs.value(), emu.value()};
}

TracerExperiment experiment(const std::string& id, std::vector<std::tuple<std::string, std::string, double>> parts) {
  TracerExperiment ex{id, {}};
  for (auto& [substrate, label, fraction] : parts) {
    auto l = parse_label(label);
    EXPECT_TRUE(l.ok()) << l.message();
    ex.components.push_back({substrate, l.value(), fraction, 1.0});
  }
  return ex;
}

}  // namespace

// ML-Flux toy network (paper Fig. 1; notes §2.1): with [1-13C]A and the M+1 fractions
// B1 and D1 of B and D, v2(backward)/v1 = (1 − B1)/(B1 − D1) and v3/v1 = (1 − D1)/(2·B1 − D1).
TEST(Emu, SimpleToyMatchesClosedFormOverAGrid) {
  Network s = network("simple");
  auto inputs = s.emu.inputs({experiment("e1", {{"molA", "[1-13C1]", 1.0}})});
  ASSERT_TRUE(inputs.ok()) << inputs.message();
  EmuSimulator sim(s.emu);
  MidSet mids;
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
        ASSERT_EQ(sim.simulate(v, inputs.value(), mids), SimulationStatus::ok) << sim.message();
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
  FluxVector v{Eigen::VectorXd::Zero(s.space.n_columns()), Eigen::VectorXd::Zero(s.space.n_columns())};
  const std::map<std::string, std::pair<double, double>> fluxes = {
      {"v1", {100, 0}}, {"v2", {100, 0}}, {"v3", {50, 0}}, {"v4", {50, 0}}, {"v5", {50, 0}},
      {"FUM", {50, 75}}, {"v8", {50, 0}}, {"v9", {50, 0}}};
  for (const auto& [id, nx] : fluxes) {
    const auto c = std::find(s.space.column_ids().begin(), s.space.column_ids().end(), id) - s.space.column_ids().begin();
    ASSERT_LT(c, s.space.n_columns()) << id;
    v.net(c) = nx.first;
    v.exchange(c) = nx.second;
  }
  EXPECT_LT(s.space.steady_state_residual(v.net), 1e-12);
  auto inputs = s.emu.inputs({experiment("e", {{"AcCoA", "[2-13C1]", 0.25}, {"AcCoA", "[1,2-13C2]", 0.25}})});
  ASSERT_TRUE(inputs.ok()) << inputs.message();
  EmuSimulator sim(s.emu);
  MidSet mids;
  ASSERT_EQ(sim.simulate(v, inputs.value(), mids), SimulationStatus::ok) << sim.message();
  const std::vector<double> published = {0.3464, 0.2695, 0.2708, 0.0807, 0.0286, 0.0039};
  auto glu = mids.mid(0, 0);
  ASSERT_EQ(glu.size(), published.size());
  for (std::size_t k = 0; k < glu.size(); ++k) EXPECT_NEAR(glu[k], published[k], 0.00005) << "M+" << k;
}
