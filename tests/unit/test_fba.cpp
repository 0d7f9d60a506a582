// FBA, pFBA and FVA: a toy with answers by hand, solver outcomes as statuses, and
// e_coli_core against cobrapy's published numbers (growth 0.8739215, pFBA Σ|v| 518.4221).
#include <gtest/gtest.h>

#include <filesystem>

#include "fluxion/cbm/fba.hpp"
#include "fluxion/io/model_io.hpp"

using namespace fluxion;

namespace {

const std::string kData = FLUXION_SHARED_DATA;

// in: → A (≤ 10); r1: A → B; r2a: A → C; r2b: C → B; out: B → (the objective)
Model toy() {
  Model m;
  m.id = "toy";
  const auto a = m.ensure_metabolite("A"), b = m.ensure_metabolite("B"), c = m.ensure_metabolite("C");
  auto reaction = [&](const std::string& id, std::vector<std::size_t> from, std::vector<std::size_t> to, double lb, double ub) {
    Reaction r;
    r.id = id;
    for (auto x : from) r.reactants.push_back(Participant{x, 1.0, {}});
    for (auto x : to) r.products.push_back(Participant{x, 1.0, {}});
    r.lower_bound = lb;
    r.upper_bound = ub;
    m.add_reaction(r);
  };
  reaction("in", {}, {a}, 0, 10);
  reaction("r1", {a}, {b}, 0, 1000);
  reaction("r2a", {a}, {c}, 0, 1000);
  reaction("r2b", {c}, {b}, 0, 1000);
  reaction("out", {b}, {}, 0, 1000);
  m.reactions[4].objective_coefficient = 1.0;
  return m;
}

cbm::FbaModel make(const Model& m) {
  auto f = cbm::FbaModel::create(m);
  EXPECT_TRUE(f.ok()) << f.message();
  return std::move(f.value());
}

}  // namespace

TEST(Fba, ToyOptimumRangesAndParsimony) {
  // within 1e-5: the objective is held at the optimum less 1e-7 of it (relative)
  auto f = make(toy());
  const auto s = f.optimize();
  ASSERT_EQ(s.status, LpStatus::optimal);
  EXPECT_NEAR(s.objective, 10.0, 1e-5);
  EXPECT_NEAR(s.fluxes(0), 10.0, 1e-5);

  const auto v = f.fva(1.0);
  ASSERT_EQ(v.status, LpStatus::optimal);
  EXPECT_NEAR(v.ranges[1].minimum, 0.0, 1e-5);   // r1: either route carries it all
  EXPECT_NEAR(v.ranges[1].maximum, 10.0, 1e-5);
  EXPECT_NEAR(v.ranges[2].maximum, 10.0, 1e-5);
  EXPECT_NEAR(v.ranges[4].minimum, 10.0, 1e-5);  // the objective is held at its optimum
  const auto half = f.fva(0.5);
  EXPECT_NEAR(half.ranges[4].minimum, 5.0, 1e-5);
  EXPECT_NEAR(half.ranges[4].maximum, 10.0, 1e-5);
  EXPECT_NEAR(half.ranges[0].minimum, 5.0, 1e-5);

  const auto p = f.pfba();  // the one-step route: Σ|v| 30 against 40
  ASSERT_EQ(p.status, LpStatus::optimal);
  EXPECT_NEAR(p.fluxes(1), 10.0, 1e-5);
  EXPECT_NEAR(p.fluxes(2), 0.0, 1e-5);
  EXPECT_NEAR(p.objective, 10.0, 1e-5);

  f.set_bounds(1, 0, 0);  // knock out r1: the detour still carries it
  EXPECT_NEAR(f.optimize().objective, 10.0, 1e-5);
  f.set_bounds(2, 0, 0);
  EXPECT_NEAR(f.optimize().objective, 0.0, 1e-5);
}

TEST(Fba, SolverOutcomesAreStatuses) {
  Model m = toy();
  m.reactions[0].lower_bound = 5;  // at least 5 in, at most 1 out
  m.reactions[4].upper_bound = 1;
  auto infeasible = make(m);
  EXPECT_EQ(infeasible.optimize().status, LpStatus::infeasible);
  EXPECT_EQ(infeasible.fva().status, LpStatus::infeasible);
  EXPECT_EQ(infeasible.pfba().status, LpStatus::infeasible);

  m = toy();
  for (auto& r : m.reactions) r.upper_bound = kInfinity;
  EXPECT_EQ(make(m).optimize().status, LpStatus::unbounded);

  m = toy();
  m.reactions[4].objective_coefficient = 0.0;
  auto none = cbm::FbaModel::create(m);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.message().find("the model has no objective"), std::string::npos) << none.message();
}

TEST(Fba, EcoliCoreMatchesCobrapy) {
  const std::string path = kData + "/bigg/e_coli_core.xml.gz";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present";
  auto model = io::load_model(path);
  ASSERT_TRUE(model.ok()) << model.message();
  auto f = make(model.value());
  const auto s = f.optimize();
  ASSERT_EQ(s.status, LpStatus::optimal);
  EXPECT_NEAR(s.objective, 0.8739215069684307, 1e-6);  // cobrapy's e_coli_core growth rate
  const auto p = f.pfba();
  ASSERT_EQ(p.status, LpStatus::optimal);
  EXPECT_NEAR(p.fluxes.cwiseAbs().sum(), 518.4220855, 1e-3);  // cobrapy's pFBA total flux
  EXPECT_NEAR(p.objective, s.objective, 1e-6);
  const auto v = f.fva(1.0);
  ASSERT_EQ(v.status, LpStatus::optimal);
  const auto biomass = *model.value().reaction_index("BIOMASS_Ecoli_core_w_GAM");
  EXPECT_NEAR(v.ranges[biomass].minimum, s.objective, 1e-6);
  for (std::size_t j = 0; j < v.ranges.size(); ++j) {
    ASSERT_EQ(v.ranges[j].status, LpStatus::optimal) << model.value().reactions[j].id;
    EXPECT_LE(v.ranges[j].minimum, p.fluxes(static_cast<Eigen::Index>(j)) + 1e-6) << model.value().reactions[j].id;
    EXPECT_GE(v.ranges[j].maximum, p.fluxes(static_cast<Eigen::Index>(j)) - 1e-6) << model.value().reactions[j].id;
  }
  // at 90 % of the optimum every range contains the range at 100 %; two threads give
  // the ranges of one
  const auto wide = f.fva(0.9);
  const auto wide2 = f.fva(0.9, {}, 2);
  for (std::size_t j = 0; j < v.ranges.size(); ++j) {
    EXPECT_NEAR(wide2.ranges[j].minimum, wide.ranges[j].minimum, 1e-6) << model.value().reactions[j].id;
    EXPECT_NEAR(wide2.ranges[j].maximum, wide.ranges[j].maximum, 1e-6) << model.value().reactions[j].id;
  }
  for (std::size_t j = 0; j < v.ranges.size(); ++j) {
    EXPECT_LE(wide.ranges[j].minimum, v.ranges[j].minimum + 1e-6);
    EXPECT_GE(wide.ranges[j].maximum, v.ranges[j].maximum - 1e-6);
  }
}

TEST(Fba, LooplessFvaRemovesCycles) {
  // in → A (≤ 10); ab: A → B; bc: B → C and cb: C → B form a loop; out: B → (objective).
  // Plain FVA lets the loop carry up to 1000; loopless FVA finds no loop-free flux there.
  Model m = toy();
  const auto b = *m.metabolite_index("B");
  const auto c = m.ensure_metabolite("D");
  Reaction bc, cb;
  bc.id = "bd";
  bc.reactants.push_back(Participant{b, 1.0, {}});
  bc.products.push_back(Participant{c, 1.0, {}});
  cb.id = "db";
  cb.reactants.push_back(Participant{c, 1.0, {}});
  cb.products.push_back(Participant{b, 1.0, {}});
  m.add_reaction(bc);
  m.add_reaction(cb);
  auto f = make(m);
  const auto plain = f.fva(1.0);
  const auto ll = f.fva(1.0, {}, 1, true);
  ASSERT_EQ(ll.status, LpStatus::optimal);
  const auto bd = *m.reaction_index("bd");
  EXPECT_NEAR(plain.ranges[bd].maximum, 1000.0, 1e-6);
  EXPECT_NEAR(ll.ranges[bd].maximum, 0.0, 1e-7);
  EXPECT_NEAR(ll.ranges[bd + 1].maximum, 0.0, 1e-7);
  // the two routes A → B (r1, and r2a + r2b) are alternatives, not a loop
  EXPECT_NEAR(ll.ranges[1].maximum, 10.0, 1e-5);
  EXPECT_NEAR(ll.ranges[2].maximum, 10.0, 1e-5);
  for (std::size_t j = 0; j < ll.ranges.size(); ++j) {
    EXPECT_GE(ll.ranges[j].minimum, plain.ranges[j].minimum - 1e-6);
    EXPECT_LE(ll.ranges[j].maximum, plain.ranges[j].maximum + 1e-6);
  }
}

TEST(Fba, LooplessFvaOnEcoliCore) {
  // cobrapy's loopless FVA of e_coli_core: the FRD7/SUCDi loop closes (FRD7 [0, 0], SUCDi
  // at its growth-coupled value instead of 1000)
  const std::string path = kData + "/bigg/e_coli_core.xml.gz";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present";
  auto model = io::load_model(path);
  ASSERT_TRUE(model.ok());
  auto f = make(model.value());
  const auto plain = f.fva(1.0);
  const auto ll = f.fva(1.0, {}, 2, true);
  ASSERT_EQ(ll.status, LpStatus::optimal);
  const auto frd7 = *model.value().reaction_index("FRD7"), sucdi = *model.value().reaction_index("SUCDi");
  EXPECT_GT(plain.ranges[frd7].maximum, 900.0);
  EXPECT_NEAR(ll.ranges[frd7].maximum, 0.0, 1e-6);
  EXPECT_NEAR(ll.ranges[sucdi].maximum, 5.0644, 1e-3);
  for (std::size_t j = 0; j < ll.ranges.size(); ++j) {
    EXPECT_EQ(ll.ranges[j].status, LpStatus::optimal) << model.value().reactions[j].id;
    EXPECT_GE(ll.ranges[j].minimum, plain.ranges[j].minimum - 1e-6) << model.value().reactions[j].id;
    EXPECT_LE(ll.ranges[j].maximum, plain.ranges[j].maximum + 1e-6) << model.value().reactions[j].id;
  }
}

TEST(Fba, ResolveAfterBoundChangesMatchesFreshSolve) {
  // after set_bounds the re-solve runs the dual simplex from the last basis; it must find
  // what a fresh LP finds (glucose uptake and oxygen swept, knockouts in between)
  const std::string path = kData + "/bigg/e_coli_core.xml.gz";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present";
  auto model = io::load_model(path);
  ASSERT_TRUE(model.ok());
  Model m = model.value();
  auto f = make(m);
  ASSERT_EQ(f.optimize().status, LpStatus::optimal);
  const auto glc = *m.reaction_index("EX_glc__D_e"), o2 = *m.reaction_index("EX_o2_e"), pgi = *m.reaction_index("PGI");
  for (const auto& [g, o, ko] : std::vector<std::tuple<double, double, bool>>{{-5, -1000, false}, {-10, 0, false}, {-2, -3, true}, {-10, -1000, true}, {-10, -1000, false}}) {
    f.set_bounds(glc, g, 1000);
    f.set_bounds(o2, o, 1000);
    f.set_bounds(pgi, ko ? 0 : m.reactions[pgi].lower_bound, ko ? 0 : m.reactions[pgi].upper_bound);
    const auto again = f.optimize();
    Model fresh_model = m;
    fresh_model.reactions[glc].lower_bound = g;
    fresh_model.reactions[o2].lower_bound = o;
    if (ko) fresh_model.reactions[pgi].lower_bound = fresh_model.reactions[pgi].upper_bound = 0;
    auto fresh = make(fresh_model);
    const auto want = fresh.optimize();
    ASSERT_EQ(again.status, want.status) << g << " " << o << " " << ko;
    EXPECT_NEAR(again.objective, want.objective, 1e-7) << g << " " << o << " " << ko;
  }
  // bounds no steady state can meet: infeasible, then feasible again
  f.set_bounds(glc, -10, -10);
  f.set_bounds(o2, 5, 5);  // oxygen secreted
  EXPECT_EQ(f.optimize().status, LpStatus::infeasible);
  f.set_bounds(o2, -1000, 1000);
  EXPECT_EQ(f.optimize().status, LpStatus::optimal);
}

TEST(Fba, CoupledFvaSolvesOneReactionPerClass) {
  // in → A (≤ 10); ab: A → B; bc: B → 2 C; out: C → (objective); dead: A → D with D
  // consumed nowhere, so dead is blocked. in, ab, bc are fully coupled (bc = ab = in)
  // and out = 2·in, so one class carries four reactions.
  Model m;
  m.id = "chain";
  const auto a = m.ensure_metabolite("A"), b = m.ensure_metabolite("B"), c = m.ensure_metabolite("C"),
             d = m.ensure_metabolite("D");
  auto reaction = [&](const std::string& id, std::vector<std::pair<std::size_t, double>> from,
                      std::vector<std::pair<std::size_t, double>> to, double lb, double ub) {
    Reaction r;
    r.id = id;
    for (auto [x, k] : from) r.reactants.push_back(Participant{x, k, {}});
    for (auto [x, k] : to) r.products.push_back(Participant{x, k, {}});
    r.lower_bound = lb;
    r.upper_bound = ub;
    m.add_reaction(r);
  };
  reaction("in", {}, {{a, 1}}, 0, 10);
  reaction("ab", {{a, 1}}, {{b, 1}}, -1000, 1000);
  reaction("bc", {{b, 1}}, {{c, 2}}, 0, 1000);
  reaction("out", {{c, 1}}, {}, 0, 15);
  reaction("dead", {{a, 1}}, {{d, 1}}, 0, 1000);
  m.reactions[3].objective_coefficient = 1.0;
  auto f = make(m);
  const auto v = f.fva(0.5);
  ASSERT_EQ(v.status, LpStatus::optimal);
  EXPECT_NEAR(v.objective, 15.0, 1e-9);  // out ≤ 15 binds before in ≤ 10 (out = 2·in)
  // at half the optimum: out ∈ [7.5, 15], in = ab = bc ∈ [3.75, 7.5], dead = 0
  const double lo[] = {3.75, 3.75, 3.75, 7.5, 0.0}, hi[] = {7.5, 7.5, 7.5, 15.0, 0.0};
  for (std::size_t j = 0; j < 5; ++j) {
    EXPECT_EQ(v.ranges[j].status, LpStatus::optimal) << m.reactions[j].id;
    EXPECT_NEAR(v.ranges[j].minimum, lo[j], 2e-6) << m.reactions[j].id;
    EXPECT_NEAR(v.ranges[j].maximum, hi[j], 2e-6) << m.reactions[j].id;
  }
  EXPECT_EQ(v.from_coupling, 4u);  // three lifted from the class's representative, dead blocked
  // one class left to solve: its minimum by LP, its maximum seen at the class's bound
  // (in ≤ out/2 ≤ 7.5) in the FBA solution
  EXPECT_EQ(v.lps, 1u);
  f.set_fva_coupling(false);
  const auto plain = f.fva(0.5);
  EXPECT_EQ(plain.from_coupling, 0u);
  EXPECT_GT(plain.lps, v.lps);
  for (std::size_t j = 0; j < 5; ++j) {
    EXPECT_NEAR(plain.ranges[j].minimum, lo[j], 2e-6) << m.reactions[j].id;
    EXPECT_NEAR(plain.ranges[j].maximum, hi[j], 2e-6) << m.reactions[j].id;
  }
}

TEST(Fba, CoupledFvaMatchesEveryReactionFva) {
  // The ranges lifted through coupling classes are those of one LP per reaction, on a
  // small and a mid-sized genome-scale model (iND750's fluxes reach 1e6, hence the
  // relative tolerance).
  for (const std::string name : {"e_coli_core", "iND750"}) {
    const std::string path = kData + "/bigg/" + name + ".xml.gz";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present";
    auto model = io::load_model(path);
    ASSERT_TRUE(model.ok()) << model.message();
    auto f = make(model.value());
    const auto coupled = f.fva(0.9, {}, 2);
    f.set_fva_coupling(false);
    const auto plain = f.fva(0.9, {}, 2);
    ASSERT_EQ(coupled.status, LpStatus::optimal) << name;
    EXPECT_GT(coupled.from_coupling, 0u) << name;
    EXPECT_LT(coupled.lps, plain.lps) << name;
    for (std::size_t j = 0; j < plain.ranges.size(); ++j) {
      const auto& id = model.value().reactions[j].id;
      ASSERT_EQ(coupled.ranges[j].status, plain.ranges[j].status) << name << " " << id;
      const auto tol = [](double x) { return 1e-6 * std::max(1.0, std::abs(x)); };
      EXPECT_NEAR(coupled.ranges[j].minimum, plain.ranges[j].minimum, tol(plain.ranges[j].minimum)) << name << " " << id;
      EXPECT_NEAR(coupled.ranges[j].maximum, plain.ranges[j].maximum, tol(plain.ranges[j].maximum)) << name << " " << id;
    }
  }
}
