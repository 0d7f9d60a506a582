// MoMA, quadratic (Ipopt) and linear (CLP): answers by hand on the FBApro toy network,
// the quadratic one against an exhaustive active-set oracle with a binding bound and
// against the Basic projection when no bound binds, and e_coli_core knockouts (each
// solution no farther from the reference than the other method's).
#include <gtest/gtest.h>

#include <filesystem>

#include "fluxion/cbm/moma.hpp"
#include "fluxion/cbm/projection.hpp"
#include "fluxion/io/model_io.hpp"
#include "small_models.hpp"

using namespace fluxion;
using Eigen::Index;
using test_models::vec;

namespace {

const std::string kData = FLUXION_SHARED_DATA;

cbm::Moma make(const Model& m) {
  auto r = cbm::Moma::create(m);
  EXPECT_TRUE(r.ok()) << r.message();
  return std::move(r.value());
}

// min ‖v − ref‖² s.t. S·v = 0, lb ≤ v ≤ ub, by trying every assignment of each flux to
// free / at its lower bound / at its upper bound (3^r equality-constrained problems).
Eigen::VectorXd oracle(const Eigen::MatrixXd& s, const Eigen::VectorXd& lb, const Eigen::VectorXd& ub, const Eigen::VectorXd& ref) {
  const Index r = s.cols();
  double best = INFINITY;
  Eigen::VectorXd best_v;
  Index combos = 1;
  for (Index i = 0; i < r; ++i) combos *= 3;
  for (Index code = 0; code < combos; ++code) {
    std::vector<int> state(static_cast<std::size_t>(r));
    Index c = code;
    for (Index i = 0; i < r; ++i, c /= 3) state[static_cast<std::size_t>(i)] = static_cast<int>(c % 3);
    // KKT of min ‖v − ref‖² s.t. S v = 0, v_i = bound for fixed i
    std::vector<std::pair<Index, double>> fixed;
    for (Index i = 0; i < r; ++i)
      if (state[static_cast<std::size_t>(i)] != 0) fixed.emplace_back(i, state[static_cast<std::size_t>(i)] == 1 ? lb(i) : ub(i));
    const Index q = s.rows() + static_cast<Index>(fixed.size());
    Eigen::MatrixXd c_mat = Eigen::MatrixXd::Zero(q, r);
    Eigen::VectorXd d = Eigen::VectorXd::Zero(q);
    c_mat.topRows(s.rows()) = s;
    for (std::size_t k = 0; k < fixed.size(); ++k) {
      c_mat(s.rows() + static_cast<Index>(k), fixed[k].first) = 1.0;
      d(s.rows() + static_cast<Index>(k)) = fixed[k].second;
    }
    Eigen::MatrixXd kkt = Eigen::MatrixXd::Zero(r + q, r + q);
    kkt.topLeftCorner(r, r) = 2 * Eigen::MatrixXd::Identity(r, r);
    kkt.topRightCorner(r, q) = c_mat.transpose();
    kkt.bottomLeftCorner(q, r) = c_mat;
    Eigen::VectorXd rhs(r + q);
    rhs << 2 * ref, d;
    const Eigen::VectorXd sol = kkt.completeOrthogonalDecomposition().solve(rhs);
    const Eigen::VectorXd v = sol.head(r);
    if ((c_mat * v - d).cwiseAbs().maxCoeff() > 1e-9) continue;  // inconsistent active set
    if ((v.array() < lb.array() - 1e-9).any() || (v.array() > ub.array() + 1e-9).any()) continue;
    const double f = (v - ref).squaredNorm();
    if (f < best) {
      best = f;
      best_v = v;
    }
  }
  return best_v;
}

}  // namespace

TEST(Moma, KnockoutByHand) {
  // reference (7, 4, 3, 4, 6) at steady state; without v3 the fluxes are (t, t, 0, t, 0):
  // quadratic: (t−7)² + 2(t−4)² + 9 + 36 is least at t = 5 (distance 51);
  // linear: |t−7| + 2|t−4| + 3 + 6 is least at t = 4 (distance 12)
  auto mo = make(test_models::fbapro_toy());
  const Eigen::VectorXd ref = vec({7, 4, 3, 4, 6});
  const auto same = mo.solve(ref);
  ASSERT_EQ(same.status, LpStatus::optimal);
  EXPECT_LT((same.fluxes - ref).cwiseAbs().maxCoeff(), 1e-6);
  mo.set_bounds(2, 0, 0);
  const auto q = mo.solve(ref);
  ASSERT_EQ(q.status, LpStatus::optimal);
  EXPECT_LT((q.fluxes - vec({5, 5, 0, 5, 0})).cwiseAbs().maxCoeff(), 1e-6) << q.fluxes.transpose();
  EXPECT_NEAR(q.distance, 51.0, 1e-5);
  const auto l = mo.solve(ref, {}, {.linear = true});
  ASSERT_EQ(l.status, LpStatus::optimal);
  EXPECT_LT((l.fluxes - vec({4, 4, 0, 4, 0})).cwiseAbs().maxCoeff(), 1e-7) << l.fluxes.transpose();
  EXPECT_NEAR(l.distance, 12.0, 1e-7);
  // only v1 and v4 measured: both can be met exactly
  const auto part = mo.solve(vec({6, 0, 0, 6, 0}), {0, 3});
  ASSERT_EQ(part.status, LpStatus::optimal);
  EXPECT_NEAR(part.fluxes(1), 6.0, 1e-6);
  EXPECT_NEAR(part.distance, 0.0, 1e-8);
}

TEST(Moma, QuadraticAgainstOracleAndProjection) {
  const Model m = test_models::fbapro_toy();
  const Eigen::MatrixXd s(cbm::balanced_stoichiometry(m));
  const Eigen::VectorXd ref = vec({7, 0, 2.2, 3.6, 0});
  // no bound binds: MoMA is FBApro's Basic projection, (4.2, 3.2, 1, 3.2, 2)
  auto mo = make(m);
  const auto free = mo.solve(ref);
  ASSERT_EQ(free.status, LpStatus::optimal);
  EXPECT_LT((free.fluxes - vec({4.2, 3.2, 1, 3.2, 2})).cwiseAbs().maxCoeff(), 1e-6) << free.fluxes.transpose();
  // v2 ≤ 1 and v5 ≥ 4 bind
  mo.set_bounds(1, 0, 1);
  mo.set_bounds(4, 4, 1000);
  Eigen::VectorXd lb = Eigen::VectorXd::Zero(5), ub = Eigen::VectorXd::Constant(5, 1000);
  ub(1) = 1;
  lb(4) = 4;
  const auto bound = mo.solve(ref);
  ASSERT_EQ(bound.status, LpStatus::optimal);
  const Eigen::VectorXd expect = oracle(s, lb, ub, ref);
  ASSERT_EQ(expect.size(), 5);
  EXPECT_LT((bound.fluxes - expect).cwiseAbs().maxCoeff(), 1e-6) << bound.fluxes.transpose() << " vs " << expect.transpose();
  // infeasible: v2 ≥ 5 but v4 ≤ 1
  mo.set_bounds(1, 5, 1000);
  mo.set_bounds(3, 0, 1);
  EXPECT_EQ(mo.solve(ref).status, LpStatus::infeasible);
  EXPECT_EQ(mo.solve(ref, {}, {.linear = true}).status, LpStatus::infeasible);
}

TEST(Moma, EcoliCoreKnockouts) {
  const std::string path = kData + "/bigg/e_coli_core.xml.gz";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  auto model = io::load_model(path);
  ASSERT_TRUE(model.ok());
  const Model& m = model.value();
  auto fba = cbm::FbaModel::create(m);
  ASSERT_TRUE(fba.ok());
  const auto wild = fba.value().pfba();  // cobrapy's default reference
  ASSERT_EQ(wild.status, LpStatus::optimal);
  const auto s = cbm::balanced_stoichiometry(m);
  for (const char* ko : {"PGI", "PFK", "CS"}) {
    auto mo = make(m);
    const auto j = *m.reaction_index(ko);
    mo.set_bounds(j, 0, 0);
    const auto q = mo.solve(wild.fluxes);
    const auto l = mo.solve(wild.fluxes, {}, {.linear = true});
    ASSERT_EQ(q.status, LpStatus::optimal) << ko;
    ASSERT_EQ(l.status, LpStatus::optimal) << ko;
    for (const auto* v : {&q.fluxes, &l.fluxes}) {
      EXPECT_LT((s * *v).cwiseAbs().maxCoeff(), 1e-6) << ko;
      EXPECT_NEAR((*v)(static_cast<Index>(j)), 0.0, 1e-7) << ko;
      for (std::size_t r = 0; r < m.reactions.size(); ++r) {
        EXPECT_GE((*v)(static_cast<Index>(r)), m.reactions[r].lower_bound - 1e-7) << ko << " " << m.reactions[r].id;
        EXPECT_LE((*v)(static_cast<Index>(r)), (r == j ? 0.0 : m.reactions[r].upper_bound) + 1e-7) << ko << " " << m.reactions[r].id;
      }
    }
    // each method's answer is no farther than the other's in its own distance
    EXPECT_LE(q.distance, (l.fluxes - wild.fluxes).squaredNorm() * (1 + 1e-6) + 1e-6) << ko;
    EXPECT_LE(l.distance, (q.fluxes - wild.fluxes).lpNorm<1>() * (1 + 1e-9) + 1e-7) << ko;
    EXPECT_GT(q.distance, 1e-3) << ko;  // the knockout moved the fluxes
  }
}
