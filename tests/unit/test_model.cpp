// Model validation, GPR rules and reaction equations.
#include <gtest/gtest.h>

#include "fluxion/core/model.hpp"
#include "fluxion/io/model_io.hpp"

using namespace fluxion;

namespace {

std::string errors_of(const Result<Model>& r) { return r.ok() ? std::string() : r.message(); }

Result<Model> tsv(const std::string& body) { return io::read_reaction_tsv("id\tequation\tlb\tub\n" + body, "m.tsv"); }

}  // namespace

TEST(Gpr, ParsesAndOrWithPrecedence) {
  auto r = parse_gpr("b1 and b2 or (b3 AND b4) or b5");
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_TRUE(r.value().has_value());
  const GprNode& n = *r.value();
  EXPECT_EQ(n.kind, GprNode::Kind::any_of);
  ASSERT_EQ(n.children.size(), 3u);
  EXPECT_EQ(n.children[0].kind, GprNode::Kind::all_of);
  EXPECT_EQ(format_gpr(n), "(b1 and b2) or (b3 and b4) or b5");
  auto genes = gpr_genes("b1 and b2 or (b3 AND b4) or b5 or b1");
  ASSERT_TRUE(genes.ok());
  EXPECT_EQ(genes.value(), (std::vector<std::string>{"b1", "b2", "b3", "b4", "b5"}));
}

TEST(Gpr, EmptyRuleIsNoRule) {
  auto r = parse_gpr("   ");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.value().has_value());
}

TEST(Gpr, ErrorsNameTheColumn) {
  auto r = parse_gpr("b1 and (b2 or b3");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("expected ')'"), std::string::npos) << r.message();
  auto r2 = parse_gpr("b1 and or b2");
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.diagnostics().front().column, 8);
  EXPECT_FALSE(parse_gpr("b1 b2").ok());
  EXPECT_FALSE(parse_gpr(")").ok());
}

TEST(Validation, UnknownDuplicateAndBounds) {
  EXPECT_NE(errors_of(tsv("r1\tA -> B\t0\t1\nr1\tB -> C\t0\t1\n")).find("m.tsv:3:1: error: duplicate reaction id 'r1'"), std::string::npos);
  EXPECT_NE(errors_of(tsv("r1\tA -> B\t5\t1\n")).find("lower bound 5 exceeds upper bound 1"), std::string::npos);
  EXPECT_NE(errors_of(tsv("r1\tA -> B\tx\t1\n")).find("m.tsv:2:11: error: reaction 'r1': lb 'x' is not a number"), std::string::npos);
}

TEST(Validation, UnknownMetaboliteWhenTheTableListsThem) {
  auto r = io::read_reaction_tsv(
      "id\tequation\n"
      "r1\tA -> B\n"
      "r2\tB -> c\n"
      "\nmetabolite\tboundary\nA\tyes\nB\tno\nC\tyes\n",
      "m.tsv");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("m.tsv:3:9: error: unknown metabolite 'c': the metabolites section does not list it"), std::string::npos)
      << r.message();
}

TEST(Validation, AtomMapProblemsNameTheReaction) {
  // wrong length against the declared count
  auto r = io::read_reaction_tsv(
      "id\tequation\n"
      "r1\tA (abc) -> B (ab)\n"
      "\nmetabolite\tatoms\nA\tC3\nB\tC3\n",
      "m.tsv");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("m.tsv:2: error: reaction 'r1': C atom string \"ab\" of product 'B' has 2 atoms but the metabolite has 3 C atoms"),
            std::string::npos)
      << r.message();
  // product atom without a source
  auto r2 = tsv("r1\tA (ab) -> B (ax)\t0\t1\n");
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.message().find("product atom 'x' has no source"), std::string::npos) << r2.message();
  // label used twice on one side
  auto r3 = tsv("r1\tA (aa) -> B (ab)\t0\t1\n");
  ASSERT_FALSE(r3.ok());
  EXPECT_NE(r3.message().find("appears more than once among the reactants"), std::string::npos) << r3.message();
  // inconsistent lengths of one metabolite across reactions
  auto r4 = tsv("r1\tA (abc) -> B (abc)\t0\t1\nr2\tB (ab) -> C (ab)\t0\t1\n");
  ASSERT_FALSE(r4.ok());
  EXPECT_NE(r4.message().find("reaction 'r2'"), std::string::npos) << r4.message();
}

TEST(Validation, CollectsAllErrorsAtOnce) {
  auto r = tsv("r1\tA -> B\tq\t1\nr2\tA -> \t0\tz\nr3\tA B\t0\t1\n");
  ASSERT_FALSE(r.ok());
  std::size_t errors = 0;
  for (const auto& d : r.diagnostics()) errors += d.severity == Severity::error;
  EXPECT_GE(errors, 3u) << r.message();
}

TEST(Equation, ParsesCoefficientsArrowsAndElementMaps) {
  auto r = tsv("r1\t2 A + B (C:ab H:xy) <=> C (C:ba H:yx)\t-1\t1\nr2\tC <- D\t0\t1\n");
  ASSERT_TRUE(r.ok()) << r.message();
  const Model& m = r.value();
  const Reaction& r1 = m.reactions[0];
  EXPECT_TRUE(r1.reversible);
  ASSERT_EQ(r1.reactants.size(), 2u);
  EXPECT_EQ(r1.reactants[0].coefficient, 2.0);
  EXPECT_EQ(r1.reactants[1].atoms[static_cast<int>(Element::H)], "xy");
  EXPECT_EQ(m.metabolites[*m.metabolite_index("B")].atoms[static_cast<int>(Element::C)], 2);
  // backward arrow swaps the sides
  const Reaction& r2 = m.reactions[1];
  EXPECT_EQ(m.metabolites[r2.reactants[0].metabolite].id, "D");
  EXPECT_EQ(m.metabolites[r2.products[0].metabolite].id, "C");
}

TEST(Equation, BadEquationsGiveColumns) {
  auto r = tsv("r1\tA + -> B\t0\t1\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("m.tsv:2:"), std::string::npos);
  EXPECT_NE(r.message().find("'+' is followed by the arrow"), std::string::npos) << r.message();
  EXPECT_NE(errors_of(tsv("r1\tA B\t0\t1\n")).find("expected '+' or an arrow"), std::string::npos);
  EXPECT_NE(errors_of(tsv("r1\tA (ab -> B\t0\t1\n")).find("without a closing ')'"), std::string::npos);
  EXPECT_NE(errors_of(tsv("r1\tA (X:ab) -> B\t0\t1\n")).find("unknown element 'X'"), std::string::npos);
  EXPECT_NE(errors_of(tsv("r1\tA -> B -> C\t0\t1\n")).find("a second arrow"), std::string::npos);
  EXPECT_NE(errors_of(tsv("r1\t-1 A -> B\t0\t1\n")).find("must be positive"), std::string::npos);
}

TEST(Topology, InputAndOutputPoolsAreBoundary) {
  auto r = tsv("in\tX -> A\t0\t1\nr1\tA <-> B\t-1\t1\nout\tB -> Y\t0\t1\n");
  ASSERT_TRUE(r.ok());
  const Model& m = r.value();
  EXPECT_TRUE(m.metabolites[*m.metabolite_index("X")].boundary);
  EXPECT_TRUE(m.metabolites[*m.metabolite_index("Y")].boundary);
  EXPECT_FALSE(m.metabolites[*m.metabolite_index("A")].boundary);
}

TEST(Fragment, ParsesPositionsAndRanges) {
  auto f = parse_fragment("Ala[3,1-2]");
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_EQ(f.value().metabolite, "Ala");
  EXPECT_EQ(f.value().atoms, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(format_fragment(f.value()), "Ala[1,2,3]");
  EXPECT_EQ(format_fragment(parse_fragment("Glu_IN").value()), "Glu_IN");
  EXPECT_FALSE(parse_fragment("Ala[0]").ok());
  EXPECT_FALSE(parse_fragment("Ala[2-1]").ok());
  EXPECT_FALSE(parse_fragment("Ala[1,1]").ok());
  EXPECT_FALSE(parse_fragment("Ala[1").ok());
  EXPECT_FALSE(parse_fragment("[1]").ok());
}
