// The flux polytope and its linear programs (COIN-OR CLP).
#include <gtest/gtest.h>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/sampling/polytope.hpp"

using namespace fluxion;

namespace {

struct Network {
  Model model;
  FluxSpace space;
};

Network setup(const std::string& name) {
  auto m = io::load_model(name);
  EXPECT_TRUE(m.ok()) << m.message();
  auto fs = FluxSpace::build(m.value());
  EXPECT_TRUE(fs.ok()) << fs.message();
  return {m.value(), fs.value()};
}

Eigen::Index column(const FluxSpace& fs, const std::string& id) {
  const auto& ids = fs.column_ids();
  return std::find(ids.begin(), ids.end(), id) - ids.begin();
}

// An upper bound on every exchange flux, as ML-Flux's constraint sheets give.
std::vector<LinearConstraint> exchange_caps(const FluxSpace& fs, double cap) {
  std::vector<LinearConstraint> out;
  for (Eigen::Index c : fs.exchange_columns()) out.push_back({"cap " + fs.column_ids()[static_cast<std::size_t>(c)], {{c, true, 1.0}}, -kInfinity, cap});
  return out;
}

}  // namespace

// The box of every built-in model is finite once exchange fluxes are capped, and the LP
// optima that define it are points of the polytope where the bound is attained.
TEST(Polytope, BoxesOfBuiltinModels) {
  for (const char* name : {"simple", "upper_glycolysis", "glycolysis", "glyppp", "ccm"}) {
    SCOPED_TRACE(name);
    Network s = setup(name);
    auto p = sampling::FluxPolytope::build(s.model, s.space, exchange_caps(s.space, 10.0));
    ASSERT_TRUE(p.ok()) << p.message();
    EXPECT_EQ(p.value().dimension(), s.space.n_free());
    auto box = p.value().bounding_box();
    ASSERT_TRUE(box.ok()) << box.message();
    for (Eigen::Index j = 0; j < p.value().dimension(); ++j) {
      EXPECT_LE(box.value().lower(j), box.value().upper(j) + 1e-9);
      Eigen::VectorXd c = Eigen::VectorXd::Zero(p.value().dimension());
      c(j) = 1.0;
      const LpSolution hi = p.value().optimize(c, true);
      ASSERT_EQ(hi.status, LpStatus::optimal);
      EXPECT_LE(p.value().violation(hi.x), 1e-7);
      EXPECT_NEAR(hi.x(j), box.value().upper(j), 1e-7 * std::max(1.0, std::fabs(hi.x(j))));
    }
    // exchange fluxes: their own bounds from the model, capped at 10
    for (std::size_t e = 0; e < s.space.exchange_columns().size(); ++e) {
      const Eigen::Index j = s.space.n_free_net() + static_cast<Eigen::Index>(e);
      const Reaction& r = s.model.reactions[s.space.column_reaction(s.space.exchange_columns()[e])];
      EXPECT_NEAR(box.value().lower(j), std::max(0.0, r.exchange_lower_bound), 1e-9);
      EXPECT_NEAR(box.value().upper(j), std::min(10.0, r.exchange_upper_bound), 1e-9);
    }
  }
}

// A hand-checked optimum: in the simple model (v1 = 1 uptake split into v2 and v3), an
// extra constraint v2 <= 0.25 caps it, and maximising v2 reaches exactly 0.25.
TEST(Polytope, ExtraConstraintsBind) {
  Network s = setup("simple");
  const Eigen::Index v2 = column(s.space, "v2");
  ASSERT_LT(v2, s.space.n_columns());
  auto caps = exchange_caps(s.space, 100.0);
  caps.push_back({"v2 <= 0.25", {{v2, false, 1.0}}, -kInfinity, 0.25});
  auto p = sampling::FluxPolytope::build(s.model, s.space, caps);
  ASSERT_TRUE(p.ok()) << p.message();
  // v2 as a function of the free parameters: its kernel row
  Eigen::VectorXd c = Eigen::VectorXd::Zero(p.value().dimension());
  c.head(s.space.n_free_net()) = s.space.net_kernel().row(v2).transpose();
  const LpSolution best = p.value().optimize(c, true);
  ASSERT_EQ(best.status, LpStatus::optimal);
  EXPECT_NEAR(best.objective, 0.25, 1e-9);
}

// Conflicting constraints: the error names exactly the rows that cannot hold together.
TEST(Polytope, InfeasibleConstraintsAreNamed) {
  Network s = setup("simple");
  const Eigen::Index v2 = column(s.space, "v2");
  auto caps = exchange_caps(s.space, 100.0);
  caps.push_back({"constraints.tsv line 3", {{v2, false, 1.0}}, 5.0, kInfinity});
  caps.push_back({"constraints.tsv line 4", {{v2, false, 1.0}}, -kInfinity, 1.0});
  auto p = sampling::FluxPolytope::build(s.model, s.space, caps);
  ASSERT_TRUE(p.ok()) << p.message();
  const auto conflict = p.value().conflicting_rows();
  ASSERT_EQ(conflict.size(), 2u);
  EXPECT_EQ(conflict[0], "constraints.tsv line 3");
  EXPECT_EQ(conflict[1], "constraints.tsv line 4");
  auto box = p.value().bounding_box();
  ASSERT_FALSE(box.ok());
  EXPECT_NE(box.message().find("constraints.tsv line 3"), std::string::npos) << box.message();
  EXPECT_NE(box.message().find("constraints.tsv line 4"), std::string::npos);
  EXPECT_EQ(box.message().find("cap "), std::string::npos) << "unrelated rows are not blamed: " << box.message();
}

TEST(Polytope, UnboundedCoordinateIsNamed) {
  Network s = setup("simple");
  ASSERT_FALSE(s.space.exchange_columns().empty());
  const Eigen::Index c = s.space.exchange_columns().front();
  s.model.reactions[s.space.column_reaction(c)].exchange_upper_bound = kInfinity;  // no bound of its own
  auto p = sampling::FluxPolytope::build(s.model, s.space);
  ASSERT_TRUE(p.ok());
  auto box = p.value().bounding_box();
  ASSERT_FALSE(box.ok());
  EXPECT_NE(box.message().find("has no upper bound"), std::string::npos) << box.message();
  EXPECT_NE(box.message().find("xch(" + s.space.column_ids()[static_cast<std::size_t>(c)] + ")"), std::string::npos) << box.message();
}

TEST(Polytope, BadConstraintsAreErrors) {
  Network s = setup("simple");
  const Eigen::Index v1 = column(s.space, "v1");
  ASSERT_LT(v1, s.space.n_columns());
  auto p = sampling::FluxPolytope::build(s.model, s.space, {{"xch of uptake", {{v1, true, 1.0}}, 0.0, 1.0}});
  if (s.model.reactions[s.space.column_reaction(v1)].reversible) GTEST_SKIP() << "v1 is reversible in this model";
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.message().find("has no exchange flux"), std::string::npos) << p.message();
  auto q = sampling::FluxPolytope::build(s.model, s.space, {{"upside down", {{v1, false, 1.0}}, 2.0, 1.0}});
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.message().find("is above upper bound"), std::string::npos) << q.message();
}
