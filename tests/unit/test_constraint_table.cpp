// Constraint files (ML-Flux's constraint sheets as text): parsing, meaning and errors.
#include <gtest/gtest.h>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/constraint_table.hpp"
#include "fluxion/io/flux_table.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/sampling/polytope.hpp"

using namespace fluxion;

namespace {

struct Network {
  Model model;
  FluxSpace space;
};

Network simple() {
  auto m = io::load_model("simple");
  EXPECT_TRUE(m.ok());
  auto fs = FluxSpace::build(m.value());
  EXPECT_TRUE(fs.ok());
  return {m.value(), fs.value()};
}

Eigen::Index col(const FluxSpace& fs, const std::string& id) {
  return std::find(fs.column_ids().begin(), fs.column_ids().end(), id) - fs.column_ids().begin();
}

}  // namespace

TEST(ConstraintTable, ReadsTheSheetForms) {
  Network s = simple();
  const std::string text =
      "# ML-Flux Simple_Constraints, as text\n"
      "v1 <= 1.000001\n"
      "0.999999 <= v1\n"
      "xch(v2) <= 100\n"
      "xch(v3) = 0\n"
      "2*v2 - net(v5) + 0.5 >= 0   # coefficients and a constant\n"
      "0.2 <= 'v2' <= 0.9\n";
  auto r = io::read_constraint_table(text, "c.txt", s.space);
  ASSERT_TRUE(r.ok()) << r.message();
  const auto& c = r.value();
  ASSERT_EQ(c.size(), 7u);
  EXPECT_EQ(c[0].upper, 1.000001);
  EXPECT_EQ(c[0].lower, -kInfinity);
  EXPECT_EQ(c[1].lower, 0.999999);  // 0.999999 <= v1 is kept as v1 >= 0.999999
  EXPECT_EQ(c[1].terms[0].coefficient, 1.0);
  ASSERT_EQ(c[2].terms.size(), 1u);
  EXPECT_TRUE(c[2].terms[0].exchange);
  EXPECT_EQ(c[2].terms[0].column, col(s.space, "v2"));
  EXPECT_EQ(c[3].lower, 0.0);
  EXPECT_EQ(c[3].upper, 0.0);
  ASSERT_EQ(c[4].terms.size(), 2u);
  EXPECT_EQ(c[4].terms[0].coefficient, 2.0);
  EXPECT_EQ(c[4].terms[1].coefficient, -1.0);
  EXPECT_EQ(c[4].lower, -0.5);
  EXPECT_NE(c[4].name.find("c.txt line 6"), std::string::npos) << c[4].name;
  // the meaning, checked through the polytope: v2 ends up in [0.2, 0.9]
  auto p = sampling::FluxPolytope::build(s.model, s.space, c);
  ASSERT_TRUE(p.ok()) << p.message();
  Eigen::VectorXd v2 = Eigen::VectorXd::Zero(p.value().dimension());
  v2.head(s.space.n_free_net()) = s.space.net_kernel().row(col(s.space, "v2")).transpose();
  const LpSolution hi = p.value().optimize(v2, true), lo = p.value().optimize(v2, false);
  ASSERT_EQ(hi.status, LpStatus::optimal);
  ASSERT_EQ(lo.status, LpStatus::optimal);
  EXPECT_NEAR(hi.objective, 0.9, 1e-9);
  EXPECT_NEAR(lo.objective, 0.2, 1e-9);
}

TEST(ConstraintTable, ErrorsSayWhereAndWhat) {
  Network s = simple();
  auto expect_error = [&](const std::string& text, const std::string& where, const std::string& what) {
    auto r = io::read_constraint_table(text, "c.txt", s.space);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.message().find(where), std::string::npos) << r.message();
    EXPECT_NE(r.message().find(what), std::string::npos) << r.message();
  };
  expect_error("v1 <= 1\nvx <= 2\n", "c.txt:2:1", "'vx' is not a reaction of the model");
  expect_error("xch(v1) <= 2\n", "c.txt:1:5", "'v1' has no exchange flux");
  expect_error("v1 + v2\n", "c.txt:1", "no comparison");
  expect_error("1 <= 2\n", "c.txt:1", "no flux in it");
  expect_error("0 <= v2 >= 1\n", "c.txt:1:9", "must go one way");
  expect_error("v2 <= 1 $\n", "c.txt:1:9", "unexpected character '$'");
  expect_error("'v2 <= 1\n", "c.txt:1:1", "unterminated quoted id");
  expect_error("v2 <= <= 1\n", "c.txt:1:7", "expected a number or a reaction id");
  // a number glued to letters is an id (as 6PGD), never a coefficient
  expect_error("2v2 <= 1\n", "c.txt:1:1", "'2v2' is not a reaction of the model");
}

TEST(MeasuredFluxes, LinearCombinations) {
  Network s = simple();
  auto m = io::read_measured_fluxes("flux\tvalue\tsd\nv2 - v3\t0.5\t0.1\nxch(v2)\t3\t1\n", "m.tsv", s.space);
  ASSERT_TRUE(m.ok()) << m.message();
  ASSERT_EQ(m.value().size(), 2u);
  const auto& diff = m.value()[0];
  EXPECT_EQ(diff.name, "v2 - v3");
  ASSERT_EQ(diff.terms.size(), 2u);
  EXPECT_EQ(diff.terms[0].column, col(s.space, "v2"));
  EXPECT_EQ(diff.terms[1].column, col(s.space, "v3"));
  EXPECT_EQ(diff.terms[1].coefficient, -1.0);
  EXPECT_TRUE(m.value()[1].terms[0].exchange);
  auto bad = io::read_measured_fluxes("flux\tvalue\tsd\nv2 - q\t0.5\t0.1\n", "m.tsv", s.space);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("m.tsv:2:6: error: flux 'v2 - q': 'q' is not a reaction of the model"), std::string::npos) << bad.message();
  auto constant = io::read_measured_fluxes("flux\tvalue\tsd\nv2 + 1\t0.5\t0.1\n", "m.tsv", s.space);
  ASSERT_FALSE(constant.ok());
  EXPECT_NE(constant.message().find("a constant term"), std::string::npos) << constant.message();
}
