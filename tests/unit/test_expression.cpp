// Genes → reactions: canonical gene ids, gene knockouts through GPR rules, reaction
// activity from expression (filter, quantile normalisation, AND/OR rules) and the mapping
// of activities into flux ranges, each against values worked out by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "fluxion/cbm/expression.hpp"
#include "fluxion/io/expression_table.hpp"

using namespace fluxion;
using Eigen::Index;

namespace {

Model with_rules(const std::vector<std::pair<std::string, std::string>>& rules) {
  Model m;
  m.id = "rules";
  const auto a = m.ensure_metabolite("A");
  for (const auto& [id, gpr] : rules) {
    Reaction r;
    r.id = id;
    r.products.push_back(Participant{a, 1.0, {}});
    r.gpr = gpr;
    m.add_reaction(r);
  }
  return m;
}

}  // namespace

TEST(Expression, CanonicalGeneIds) {
  EXPECT_EQ(cbm::canonical_gene_id("1594_AT1"), "1594");
  EXPECT_EQ(cbm::canonical_gene_id("G_b0001"), "b0001");
  EXPECT_EQ(cbm::canonical_gene_id("2597.2"), "2597");
  EXPECT_EQ(cbm::canonical_gene_id("HLA_ATX"), "HLA_ATX");  // not a transcript suffix
  EXPECT_EQ(cbm::canonical_gene_id("b0001"), "b0001");
}

TEST(Expression, GeneKnockouts) {
  const Model m = with_rules({{"r1", "g1 and g2"}, {"r2", "g1 or g3"}, {"r3", "(g1 and g2) or g4"}, {"r4", ""}, {"r5", "7_AT1 or 7_AT2"}});
  auto ko = [&](std::vector<std::string> genes) {
    auto r = cbm::gene_knockout_reactions(m, genes);
    EXPECT_TRUE(r.ok()) << r.message();
    return r.value();
  };
  EXPECT_EQ(ko({"g1"}), (std::vector<std::size_t>{0}));          // r2 keeps g3, r3 keeps g4
  EXPECT_EQ(ko({"g1", "g4"}), (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(ko({"g1", "g3", "g4"}), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(ko({"7"}), (std::vector<std::size_t>{4}));           // both transcripts of gene 7
  auto bad = cbm::gene_knockout_reactions(m, {"g9"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("g9"), std::string::npos);
}

// Reaction and gene knockouts together, as fba, moma and imat take them.
TEST(Expression, KnockoutSets) {
  const Model m = with_rules({{"r1", "g1 and g2"}, {"r2", "g1 or g3"}, {"r3", "(g1 and g2) or g4"}, {"r4", ""}, {"r5", "7_AT1 or 7_AT2"}});
  auto set = cbm::knockout_reactions(m, {"r4", "r2"}, {"g1"});
  ASSERT_TRUE(set.ok()) << set.message();
  EXPECT_EQ(set.value().reactions, (std::vector<std::size_t>{3, 1}));
  EXPECT_EQ(set.value().by_genes, (std::vector<std::size_t>{0}));
  auto bad = cbm::knockout_reactions(m, {"r9"}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.diagnostics().front().source, "--knockout");
  EXPECT_NE(bad.message().find("'r9' is not a reaction"), std::string::npos) << bad.message();
}

TEST(Expression, ActivityByHand) {
  const Model m = with_rules({{"and", "a and b"}, {"or", "a or c"}, {"missing", "zz"}, {"partial", "b and zz"}, {"none", ""}});
  // no quantile normalisation: the whole matrix scales to [0, 1] (min 0, max 16)
  Eigen::MatrixXd x(4, 2);
  x << 4, 16,  // a
      1, 4,    // b
      8, 0,    // c
      0, 0;    // d: never expressed, dropped by the 15 % filter
  auto r = cbm::reaction_activity(m, {"a", "b", "c", "d"}, x, {.quantile_normalise = false});
  ASSERT_TRUE(r.ok()) << r.message();
  const auto& act = r.value();
  EXPECT_EQ(act.genes_kept, 3u);
  EXPECT_EQ(act.model_genes, 4u);        // a, b, c, zz
  EXPECT_EQ(act.model_genes_found, 3u);
  EXPECT_EQ(act.reactions_scored, 3u);   // and, or, partial
  // sample 1: a = 0.25, b = 0.0625, c = 0.5; sample 2: a = 1, b = 0.25, c = 0
  EXPECT_NEAR(act.activity(0, 0), std::sqrt(0.25 * 0.0625), 1e-15);  // geometric mean
  EXPECT_NEAR(act.activity(0, 1), std::sqrt(1 * 0.25), 1e-15);
  EXPECT_NEAR(act.activity(1, 0), (0.25 + 0.5) / 2, 1e-15);           // arithmetic mean
  EXPECT_NEAR(act.activity(1, 1), 0.5, 1e-15);
  EXPECT_TRUE(std::isnan(act.activity(2, 0)));                         // no gene found
  EXPECT_NEAR(act.activity(3, 0), 0.0625, 1e-15);                      // missing genes left out
  EXPECT_TRUE(std::isnan(act.activity(4, 0)));                         // no rule
  // min / max instead
  auto mm = cbm::reaction_activity(m, {"a", "b", "c", "d"}, x,
                                   {.quantile_normalise = false, .and_rule = cbm::AndRule::minimum, .or_rule = cbm::OrRule::maximum});
  ASSERT_TRUE(mm.ok());
  EXPECT_NEAR(mm.value().activity(0, 1), 0.25, 1e-15);
  EXPECT_NEAR(mm.value().activity(1, 0), 0.5, 1e-15);
}

TEST(Expression, QuantileNormalisation) {
  // samples (1, 2, 3) and (30, 10, 20): sorted means (5.5, 11, 16.5), each sample takes
  // them in its own rank order; then [0, 1]
  const Model m = with_rules({{"ra", "a"}, {"rb", "b"}, {"rc", "c"}});
  Eigen::MatrixXd x(3, 2);
  x << 1, 30, 2, 10, 3, 20;
  auto r = cbm::reaction_activity(m, {"a", "b", "c"}, x);
  ASSERT_TRUE(r.ok());
  const auto& a = r.value().activity;
  EXPECT_NEAR(a(0, 0), 0.0, 1e-15);
  EXPECT_NEAR(a(1, 0), 0.5, 1e-15);
  EXPECT_NEAR(a(2, 0), 1.0, 1e-15);
  EXPECT_NEAR(a(0, 1), 1.0, 1e-15);
  EXPECT_NEAR(a(1, 1), 0.0, 1e-15);
  EXPECT_NEAR(a(2, 1), 0.5, 1e-15);
}

TEST(Expression, ActivityToFlux) {
  Eigen::MatrixXd act(4, 1);
  act << 0.25, 0.25, 0.25, std::nan("");
  Eigen::VectorXd lo(4), hi(4);
  lo << 0, -10, -1, 0;
  hi << 8, -2, 1, 5;
  std::vector<bool> scored;
  const Eigen::MatrixXd f = cbm::activity_to_flux(act, lo, hi, scored);
  EXPECT_NEAR(f(0, 0), 2.0, 1e-15);   // forward: lb + a·(ub − lb)
  EXPECT_NEAR(f(1, 0), -4.0, 1e-15);  // backward: ub + a·(lb − ub)
  EXPECT_NEAR(f(2, 0), 0.0, 1e-15);   // two-way: the midpoint, unmeasured
  EXPECT_NEAR(f(3, 0), 2.5, 1e-15);   // no activity: the midpoint, unmeasured
  EXPECT_EQ(scored, (std::vector<bool>{true, true, false, false}));
}

TEST(Expression, TableErrors) {
  auto ok = io::read_expression_table("gene,s1,s2\ng1,1,2\ng2,0,3.5\n", "e.csv");
  ASSERT_TRUE(ok.ok()) << ok.message();
  EXPECT_EQ(ok.value().values(1, 1), 3.5);
  auto bad = io::read_expression_table("gene\ts1\ts2\ng1\t1\t-2\ng1\t1\t2\ng3\tx\t1\n", "e.tsv");
  ASSERT_FALSE(bad.ok());
  const std::string msg = bad.message();
  EXPECT_NE(msg.find("e.tsv:2:6"), std::string::npos) << msg;  // -2
  EXPECT_NE(msg.find("e.tsv:3:1"), std::string::npos) << msg;  // duplicate g1
  EXPECT_NE(msg.find("e.tsv:4:4"), std::string::npos) << msg;  // x
}
