// isotope::simulate_mids: the MIDs and Jacobian of one call over several traced elements, each
// fraction summing to 1 per fragment, and the Jacobian against central finite differences.
#include <gtest/gtest.h>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/flux_table.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/isotope/simulation.hpp"

using namespace fluxion;

namespace {

struct Glycolysis {
  Model model;
  std::unique_ptr<FluxSpace> space;
  std::vector<isotope::TracerExperiment> experiments;
  isotope::SubstrateLabelling labelling;
  FluxVector fluxes;
};

Glycolysis load() {
  Glycolysis g;
  g.model = io::load_model("glycolysis").value();
  g.space = std::make_unique<FluxSpace>(FluxSpace::build(g.model).value());
  g.experiments = io::load_tracer_table("glycolysis").value().experiments;
  g.labelling = isotope::natural_abundance_labelling(g.model, {"none"}).value();
  g.fluxes = io::load_flux_table(FLUXION_SOURCE_DIR "/examples/glycolysis/true_fluxes.tsv", g.model, *g.space).value();
  return g;
}

}  // namespace

TEST(SimulateMids, TwoElementsWithTheirJacobianMatchFiniteDifferences) {
  const Glycolysis g = load();
  isotope::SimulationRequest request;
  request.elements = {Element::C, Element::H};
  request.sensitivities = true;
  auto sim = isotope::simulate_mids(g.model, *g.space, g.fluxes, g.experiments, g.labelling, request);
  ASSERT_TRUE(sim.ok()) << sim.message();
  const auto& s = sim.value();
  ASSERT_TRUE(s.failed.empty()) << s.failed;
  bool carbon = false, hydrogen = false;
  Eigen::Index fractions = 0;
  for (const auto& m : s.mids) {
    carbon = carbon || m.element == Element::C;
    hydrogen = hydrogen || m.element == Element::H;
    double sum = 0;
    for (double f : m.fractions) sum += f;
    EXPECT_NEAR(sum, 1.0, 1e-9) << m.experiment << " " << m.metabolite;
    fractions += static_cast<Eigen::Index>(m.fractions.size());
  }
  EXPECT_TRUE(carbon && hydrogen);
  ASSERT_EQ(s.jacobian.rows(), fractions);
  ASSERT_EQ(s.jacobian.cols(), static_cast<Eigen::Index>(s.parameters.size()));

  // central differences in the free parameters (free net fluxes, then exchange fluxes)
  const Eigen::VectorXd x0 = g.space->full_to_free(g.fluxes);
  request.sensitivities = false;
  for (Eigen::Index p = 0; p < x0.size(); ++p) {
    const double h = 1e-6 * std::max(1.0, std::abs(x0(p)));
    Eigen::VectorXd up = x0, down = x0;
    up(p) += h;
    down(p) -= h;
    auto a = isotope::simulate_mids(g.model, *g.space, g.space->free_to_full(up), g.experiments, g.labelling, request);
    auto b = isotope::simulate_mids(g.model, *g.space, g.space->free_to_full(down), g.experiments, g.labelling, request);
    ASSERT_TRUE(a.ok() && b.ok());
    Eigen::Index row = 0;
    for (std::size_t m = 0; m < s.mids.size(); ++m)
      for (std::size_t i = 0; i < s.mids[m].fractions.size(); ++i, ++row) {
        const double fd = (a.value().mids[m].fractions[i] - b.value().mids[m].fractions[i]) / (2 * h);
        EXPECT_NEAR(s.jacobian(row, p), fd, 1e-5 + 1e-4 * std::abs(fd)) << s.parameters[static_cast<std::size_t>(p)] << " row " << row;
      }
  }
  // the tables hold every fraction once, with the Jacobian's columns
  const std::string tsv = s.mids_tsv(), jac = s.jacobian_tsv();
  EXPECT_EQ(std::count(tsv.begin(), tsv.end(), '\n'), fractions + 1);
  EXPECT_EQ(std::count(jac.begin(), jac.end(), '\n'), fractions + 1);
  EXPECT_NE(jac.find("\t" + s.parameters.front()), std::string::npos);
}

TEST(SimulateMids, AFragmentFormulaWithTooFewTracedAtomsIsAnError) {
  const Glycolysis g = load();
  auto plain = isotope::simulate_mids(g.model, *g.space, g.fluxes, g.experiments, g.labelling, {});
  ASSERT_TRUE(plain.ok()) << plain.message();
  isotope::SimulationRequest request;
  request.fragment_formulas[plain.value().fragments.front()] = isotope::parse_formula("H2O").value();
  request.formulas_source = "formulas.tsv";
  auto sim = isotope::simulate_mids(g.model, *g.space, g.fluxes, g.experiments, g.labelling, request);
  ASSERT_FALSE(sim.ok());
  EXPECT_NE(sim.message().find("formulas.tsv"), std::string::npos) << sim.message();
  EXPECT_NE(sim.message().find("has fewer C atoms"), std::string::npos) << sim.message();
}
