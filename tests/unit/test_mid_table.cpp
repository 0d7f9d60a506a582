// Measured MID tables: fluxion's long format, IsoCor's output, validation against a model.
#include <gtest/gtest.h>

#include <cmath>

#include "fluxion/io/mid_table.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"

using namespace fluxion;

namespace {
bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST(MidTable, ReadsTheLongFormat) {
  auto t = io::read_mid_table(
      "experiment\tmetabolite\tisotopologue\tfraction\tsd\n"
      "e1\tpyr\t0\t0.5\t0.01\n"
      "e1\tpyr\t2\t0.2\t0.01\n"
      "e1\tpyr\t1\t0.3\t0.01\n"
      "e2\tpyr[2,3]\t0\t1\t\n",
      "m.tsv");
  ASSERT_TRUE(t.ok()) << t.message();
  ASSERT_EQ(t.value().mids.size(), 2u);
  EXPECT_EQ(t.value().mids[0].fraction, (std::vector<double>{0.5, 0.3, 0.2}));
  EXPECT_EQ(t.value().mids[0].line, 2);
  EXPECT_TRUE(std::isnan(t.value().mids[1].sd[0]));
  EXPECT_FALSE(t.value().isocor);
}

// A time column (time courses of non-stationary labelling): read where the caller takes
// time courses, one MID per time; an error at the header elsewhere.
TEST(MidTable, TimeCoursesAreReadOnlyWhereAsked) {
  const char* text =
      "experiment\tmetabolite\ttime\tisotopologue\tfraction\n"
      "e1\tpyr\t0.5\t0\t0.9\n"
      "e1\tpyr\t0.5\t1\t0.1\n"
      "e1\tpyr\t2\t0\t0.6\n"
      "e1\tpyr\t2\t1\t0.4\n";
  auto plain = io::read_mid_table(text, "t.tsv");
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.message().find("t.tsv:1:23"), std::string::npos) << plain.message();
  auto timed = io::read_mid_table(text, "t.tsv", true);
  ASSERT_TRUE(timed.ok()) << timed.message();
  ASSERT_EQ(timed.value().mids.size(), 2u);
  EXPECT_EQ(timed.value().mids[0].time, 0.5);
  EXPECT_EQ(timed.value().mids[1].time, 2.0);
  EXPECT_EQ(timed.value().mids[1].fraction, (std::vector<double>{0.6, 0.4}));
  auto bad = io::read_mid_table("experiment\tmetabolite\ttime\tisotopologue\tfraction\ne1\tpyr\t-1\t0\t1\n", "b.tsv", true);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("b.tsv:2:8"), std::string::npos) << bad.message();
  // steady-state MIDs read as before: time < 0
  auto steady = io::read_mid_table("experiment\tmetabolite\tisotopologue\tfraction\ne1\tpyr\t0\t1\n", "s.tsv", true);
  ASSERT_TRUE(steady.ok());
  EXPECT_LT(steady.value().mids[0].time, 0);
}

TEST(MidTable, ReadsIsocorOutputAsItIs) {
  auto t = io::read_mid_table(
      "sample\tmetabolite\tderivative\tisotopologue\tarea\tcorrected_area\tisotopologue_fraction\tresiduum\tmean_enrichment\n"
      "s1\tpyr\t\t0\t100\t98\t0.6\t0.001\t0.2\n"
      "s1\tpyr\t\t1\t50\t49\t0.3\t0.001\t0.2\n"
      "s1\tpyr\t\t2\t10\t9\t0.05\t0\t0.2\n"
      "s1\tpyr\t\t3\t10\t9\t0.05\t0\t0.2\n",
      "isocor.tsv");
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_TRUE(t.value().isocor);
  ASSERT_EQ(t.value().mids.size(), 1u);
  EXPECT_EQ(t.value().mids[0].experiment, "s1");
  EXPECT_EQ(t.value().mids[0].fraction, (std::vector<double>{0.6, 0.3, 0.05, 0.05}));
}

TEST(MidTable, ParseErrorsNameLineAndColumn) {
  auto t = io::read_mid_table(
      "experiment,metabolite,isotopologue,fraction\n"
      "e1,pyr,0,0.5\n"
      "e1,pyr,x,0.5\n"
      "e1,pyr,0,0.4\n"
      "e1,pyr[0],1,0.4\n",
      "m.csv");
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(has(t.message(), "m.csv:3:8: error: isotopologue 'x' is not a whole number")) << t.message();
  EXPECT_TRUE(has(t.message(), "m.csv:4:1: error: M+0 of 'pyr' in experiment 'e1' is given twice")) << t.message();
  EXPECT_TRUE(has(t.message(), "m.csv:5:4: error: fragment \"pyr[0]\"")) << t.message();
  EXPECT_FALSE(io::read_mid_table("a,b\n1,2\n", "x.csv").ok());
}

TEST(MidTable, ValidatesAgainstModelAndTracers) {
  auto model = io::load_model("glycolysis");
  ASSERT_TRUE(model.ok());
  auto tracers = io::load_tracer_table("glycolysis");
  ASSERT_TRUE(tracers.ok());
  auto t = io::read_mid_table(
      "experiment\tmetabolite\tisotopologue\tfraction\tsd\telement\n"
      "e1\tpyr\t0\t0.5\t0.01\tC\n"
      "e1\tpyr\t1\t0.5\t0.01\tC\n"  // M+2, M+3 missing
      "e1\tpyr\t0\t0.9\t0.01\tH\n"
      "e1\tpyr\t1\t0.05\t0\tH\n"    // sd 0; H MID sums to 0.95
      "e1\tpyr\t2\t0\t0.01\tH\n"
      "e1\tpyr\t3\t0\t0.01\tH\n"
      "e1\tnope\t0\t1\t\tC\n"
      "e1\tgap[1,2]\t0\t0.5\t\tC\n"
      "e1\tgap[1,2]\t1\t0.25\t\tC\n"
      "e1\tgap[1,2]\t2\t0.25\t\tC\n"
      "e1\tgap[1,2]\t3\t0\t\tC\n"   // beyond a 2-atom fragment
      "e9\tg6p[7]\t0\t1\t\tC\n"     // no 7th carbon; unknown experiment
      "e1\tf6p\t0\t1\t\tC\n",       // fine (M+1..M+6 missing)
      "m.tsv");
  ASSERT_TRUE(t.ok()) << t.message();
  const std::string msg = format_diagnostics(io::validate_mids(model.value(), t.value(), "m.tsv", &tracers.value().experiments));
  EXPECT_TRUE(has(msg, "m.tsv:2: error: experiment 'e1', pyr: missing M+2, M+3")) << msg;
  EXPECT_TRUE(has(msg, "m.tsv:4: error: experiment 'e1', pyr (H): M+1 sd 0 must be positive")) << msg;
  EXPECT_TRUE(has(msg, "m.tsv:4: error: experiment 'e1', pyr (H): fractions sum to 0.95, not 1")) << msg;
  EXPECT_TRUE(has(msg, "metabolite 'nope' is not in model 'glycolysis'")) << msg;
  EXPECT_TRUE(has(msg, "isotopologue M+3 is impossible: the fragment has 2 C atoms")) << msg;
  EXPECT_TRUE(has(msg, "experiment 'e9' is not in the tracer table")) << msg;
  EXPECT_TRUE(has(msg, "the fragment names atom 7 but 'g6p' has 6 C atoms")) << msg;
  auto ok = io::read_mid_table("experiment\tmetabolite\tisotopologue\tfraction\ne1\tgap[1,2]\t0\t0.5\ne1\tgap[1,2]\t1\t0.3\ne1\tgap[1,2]\t2\t0.21\n", "ok.tsv");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(format_diagnostics(io::validate_mids(model.value(), ok.value(), "ok.tsv", &tracers.value().experiments)), "");
  auto bad_sum = io::read_mid_table("experiment\tmetabolite\tisotopologue\tfraction\ne1\tgap[1,2]\t0\t50\ne1\tgap[1,2]\t1\t30\ne1\tgap[1,2]\t2\t20\n", "i.tsv");
  EXPECT_TRUE(has(format_diagnostics(io::validate_mids(model.value(), bad_sum.value(), "i.tsv")), "fractions sum to 100, not 1"));
}
