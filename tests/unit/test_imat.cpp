// iMAT on COIN-OR CBC: the percentile sets, a branched toy where the scores decide the
// route, a conflict the MILP must weigh, and e_coli_core scored by its own pFBA fluxes.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "fluxion/cbm/fba.hpp"
#include "fluxion/cbm/imat.hpp"
#include "fluxion/cbm/projection.hpp"
#include "fluxion/io/model_io.hpp"
#include "small_models.hpp"

using namespace fluxion;
using Eigen::Index;
using test_models::vec;

namespace {

const std::string kData = FLUXION_SHARED_DATA;
const double kNaN = std::nan("");

// in: → A (≤ 10); ab: A → B; ac: A → C; bout: B → ; cout: C →
Model branched() {
  return test_models::small_model("branched", {{"in", {{"A", 1}}, 0, 10},
                                           {"ab", {{"A", -1}, {"B", 1}}},
                                           {"ac", {{"A", -1}, {"C", 1}}},
                                           {"bout", {{"B", -1}}},
                                           {"cout", {{"C", -1}}}});
}

}  // namespace

TEST(Imat, PercentileSets) {
  // |scores| 1..6 and one unscored: percentiles 1/6 … 6/6; low < 1/3, high > 2/3
  const auto sets = cbm::imat_sets(vec({3, -1, 6, kNaN, 2, 5, 4}), 1.0 / 3, 2.0 / 3);
  EXPECT_EQ(sets.low, (std::vector<Index>{1}));
  EXPECT_EQ(sets.high, (std::vector<Index>{2, 5}));
  // ties share the percentile of the last of them
  const auto tied = cbm::imat_sets(vec({0, 0, 0, 1, 2, 3}), 0.3, 0.7);
  EXPECT_TRUE(tied.low.empty());  // the zeros sit at 3/6
  EXPECT_EQ(tied.high, (std::vector<Index>{4, 5}));
}

TEST(Imat, ScoresChooseTheRoute) {
  const Model m = branched();
  // high: in, ab, bout; low: ac, cout → everything through B
  auto r = cbm::imat(m, vec({9, 8, 0.1, 7, 0.2}), {.lower_quantile = 0.45, .upper_quantile = 0.35});
  ASSERT_EQ(r.status, LpStatus::optimal);
  EXPECT_EQ(r.high_total, 3);
  EXPECT_EQ(r.low_total, 2);
  EXPECT_EQ(r.high_active, 3);
  EXPECT_EQ(r.low_inactive, 2);
  EXPECT_GE(r.fluxes(1), 1.0 - 1e-6);
  EXPECT_NEAR(r.fluxes(2), 0.0, 1e-6);
  EXPECT_NEAR(r.fluxes(4), 0.0, 1e-6);
  // high: ac, in; low: cout, ab, bout. Flux through ac must leave by cout, so one of the
  // two must give: 4 of 5 agree at best (ac on at the cost of cout, or off at the cost of ac)
  auto c = cbm::imat(m, vec({5, 0.1, 9, 0.2, 0.3}), {.lower_quantile = 0.65, .upper_quantile = 0.55});
  ASSERT_EQ(c.status, LpStatus::optimal);
  EXPECT_EQ(c.high_total, 2);
  EXPECT_EQ(c.low_total, 3);
  EXPECT_EQ(c.high_active + c.low_inactive, 4);
  EXPECT_LT((cbm::balanced_stoichiometry(m) * c.fluxes).cwiseAbs().maxCoeff(), 1e-7);
}

TEST(Imat, InfeasibleBoundsAreAStatus) {
  Model m = branched();
  m.reactions[0].lower_bound = 20;  // in ≥ 20 > its upper bound 10 … made consistent:
  m.reactions[0].upper_bound = 30;
  m.reactions[3].upper_bound = 1;   // but B and C can only take 1 + 1
  m.reactions[4].upper_bound = 1;
  const auto r = cbm::imat(m, vec({9, 8, 0.1, 7, 0.2}));
  EXPECT_EQ(r.status, LpStatus::infeasible);
}

TEST(Imat, EcoliCoreScoredByItsOwnFluxes) {
  const std::string path = kData + "/bigg/e_coli_core.xml.gz";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  auto model = io::load_model(path);
  ASSERT_TRUE(model.ok());
  auto fba = cbm::FbaModel::create(model.value());
  ASSERT_TRUE(fba.ok());
  const auto p = fba.value().pfba();
  ASSERT_EQ(p.status, LpStatus::optimal);
  // zero fluxes tie, and ties share the highest of their percentiles (more than a third of
  // e_coli_core's pFBA fluxes are 0, which would leave no low set): score the others only
  const Eigen::VectorXd scores = p.fluxes.unaryExpr([](double v) { return std::fabs(v) < 1e-9 ? kNaN : v; });
  const auto r = cbm::imat(model.value(), scores, {.epsilon = 0.1, .time_limit = 60});
  ASSERT_EQ(r.status, LpStatus::optimal);
  // cobrapy's pFBA of e_coli_core (ours to 1e-6) has 48 non-zero fluxes: about 16 per third
  EXPECT_GE(r.high_total, 15);
  EXPECT_GE(r.low_total, 15);
  // the pFBA fluxes themselves score: every high reaction with |v| ≥ 0.1 and every zero low one
  int reference_score = 0;
  const auto sets = cbm::imat_sets(scores, 1.0 / 3, 2.0 / 3);
  for (Index i : sets.high) reference_score += std::fabs(p.fluxes(i)) >= 0.1;
  for (Index i : sets.low) reference_score += std::fabs(p.fluxes(i)) <= 1e-6;
  EXPECT_GE(r.high_active + r.low_inactive, reference_score);
  EXPECT_LT((cbm::balanced_stoichiometry(model.value()) * r.fluxes).cwiseAbs().maxCoeff(), 1e-6);
}
