// Slow (label `slow`, about 80 s on 2 cores): FreeFlux's synthetic Synechocystis time course
// fitted from sampled starts as bench/fit_inst.sh does — 50 % [1-13C]CO2, net fluxes in
// [-100, 100] and pools in [0.1, 100] as FreeFlux's tutorial sets them, the biomass term
// "0.133 GAP" that FreeFlux did not read removed (docs/benchmarks.md) — is accepted by the
// χ² test with every identifiable true net flux inside its linearised 95 % interval.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/freeflux.hpp"
#include "fluxion/io/pool_table.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/mfa/fit.hpp"

using namespace fluxion;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

TEST(FitInstSlow, FreefluxSynechocystisTrueFluxesLieInTheIntervals) {
  const std::string dir = std::string(FLUXION_SHARED_DATA) + "/mfa/freeflux/synechocystis/synthetic_data/";
  if (!std::filesystem::exists(dir + "reactions.csv")) GTEST_SKIP() << dir << " not found (../shared/data)";
  std::string reactions = slurp(dir + "reactions.csv");
  const auto gap = reactions.find("+0.133 GAP");
  ASSERT_NE(gap, std::string::npos);
  reactions.erase(gap, std::string("+0.133 GAP").size());
  auto model = io::read_freeflux(reactions, "reactions.csv");
  ASSERT_TRUE(model.ok()) << model.message();
  auto space = FluxSpace::build(model.value());
  ASSERT_TRUE(space.ok()) << space.message();
  const FluxSpace& fs = space.value();
  auto tracers = io::read_tracer_table("experiment\tsubstrate\tlabel\tfraction\tpurity\ne1\tCO2.ex\t[1-13C1]\t0.5\t0.997\n", "tracers");
  ASSERT_TRUE(tracers.ok());
  auto mids = io::read_freeflux_mdvs(slurp(dir + "measured_inst_MDVs.csv"), "measured_inst_MDVs.csv", "e1", true);
  ASSERT_TRUE(mids.ok()) << mids.message();
  auto fluxes = io::read_freeflux_fluxes(slurp(dir + "measured_fluxes.csv"), "measured_fluxes.csv", fs);
  ASSERT_TRUE(fluxes.ok()) << fluxes.message();
  std::vector<LinearConstraint> bounds;
  for (Eigen::Index c = 0; c < fs.n_columns(); ++c) bounds.push_back({"net in [-100, 100]", {FluxTerm{c, false, 1.0}}, -100, 100});
  for (Eigen::Index c : fs.exchange_columns()) bounds.push_back({"xch <= 1000", {FluxTerm{c, true, 1.0}}, -kInfinity, 1000});
  auto polytope = sampling::FluxPolytope::build(model.value(), fs, bounds);
  ASSERT_TRUE(polytope.ok()) << polytope.message();
  auto concentrations = io::read_pool_table(slurp(dir + "concentrations.csv"), "concentrations.csv");
  ASSERT_TRUE(concentrations.ok()) << concentrations.message();
  std::vector<mfa::FitPool> pools;
  for (const auto& [id, p] : concentrations.value()) pools.push_back({id, p.size, true, 0.1, 100, 0, p.line, "concentrations.csv", false});
  mfa::FitOptions options;
  options.natural_abundance = {"*"};
  options.starts = 8;
  options.max_evaluations = 400;
  options.threads = 2;
  auto problem = mfa::FitProblem::create(model.value(), fs, polytope.value(), tracers.value().experiments, mids.value(), fluxes.value(), options, pools);
  ASSERT_TRUE(problem.ok()) << problem.message();
  EXPECT_EQ(problem.value().n_pool_parameters(), 31);
  auto fit = problem.value().fit(options);
  ASSERT_TRUE(fit.ok()) << fit.message();
  EXPECT_TRUE(fit.value().accepted()) << "SSR " << fit.value().ssr;
  // the true net fluxes: forward − backward of the reversible ones
  std::map<std::string, double> one_way;
  std::stringstream truth(slurp(dir + "fluxes.csv"));
  for (std::string line; std::getline(truth, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto comma = line.find(',');
    one_way[line.substr(0, comma)] = std::stod(line.substr(comma + 1));
  }
  int identifiable = 0;
  for (Eigen::Index c = 0; c < fs.n_columns(); ++c) {
    const std::string& id = fs.column_ids()[static_cast<std::size_t>(c)];
    const double t = one_way.count(id) ? one_way.at(id) : one_way.at(id + "_f") - one_way.at(id + "_b");
    const double se = fit.value().net_se(c);
    if (!std::isfinite(se)) continue;
    ++identifiable;
    EXPECT_LE(std::fabs(fit.value().fluxes.net(c) - t), 1.96 * se + 1e-6) << id << " fitted " << fit.value().fluxes.net(c) << " true " << t;
  }
  EXPECT_GE(identifiable, 30);
}
