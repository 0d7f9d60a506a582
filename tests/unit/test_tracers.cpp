// Tracer labels, tracer tables and their validation against a model.
#include <gtest/gtest.h>

#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/isotope/tracer.hpp"

using namespace fluxion;

namespace {

std::string bits_of(const isotope::Label& l, Element e, int n) {
  auto b = l.bits(e, n);
  if (!b) return "error: " + b.message();
  std::string s;
  for (auto x : b.value()) s += x ? '1' : '0';
  return s;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(Label, ParsesTheUsualNotations) {
  struct Case {
    const char* text;
    const char* canonical;
    Element element;
    int atoms;
    const char* bits;
  };
  for (const Case& c : {Case{"[1,2-13C2]", "[1,2-13C2]", Element::C, 6, "110000"},
                        Case{"1,2-13C2", "[1,2-13C2]", Element::C, 6, "110000"},
                        Case{"[U-13C6]", "[U-13C6]", Element::C, 6, "111111"},
                        Case{"[U-13C]", "[U-13C]", Element::C, 5, "11111"},
                        Case{"[2,1-13C]", "[1,2-13C2]", Element::C, 3, "110"},
                        Case{"[5-2H1]", "[5-2H1]", Element::H, 7, "0000100"},
                        Case{"[5-D]", "[5-2H1]", Element::H, 7, "0000100"},
                        Case{" [1,2-13C2; 5-2H1] ", "[1,2-13C2;5-2H1]", Element::H, 7, "0000100"},
                        Case{"unlabeled", "unlabelled", Element::C, 4, "0000"}}) {
    SCOPED_TRACE(c.text);
    auto l = isotope::parse_label(c.text);
    ASSERT_TRUE(l.ok()) << l.message();
    EXPECT_EQ(isotope::format_label(l.value()), c.canonical);
    EXPECT_EQ(bits_of(l.value(), c.element, c.atoms), c.bits);
    // canonical text parses back to the same label
    auto again = isotope::parse_label(isotope::format_label(l.value()));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(isotope::format_label(again.value()), c.canonical);
  }
  auto dual = isotope::parse_label("[1,2-13C2;5-2H1]");
  EXPECT_EQ(bits_of(dual.value(), Element::C, 6), "110000");
}

TEST(Label, ErrorsSayWhatAndWhere) {
  struct Case {
    const char* text;
    const char* message;
    int column;
  };
  for (const Case& c : {Case{"[1,2-13C3]", "the count 3 differs from the 2 positions", 9},
                        Case{"[0-13C1]", "atom position \"0\" is not a positive number", 2},
                        Case{"[1,1-13C2]", "listed twice", 2},
                        Case{"[1-12C1]", "12C is not a heavy isotope", 4},
                        Case{"[1-13X1]", "must be a mass number and an element", 4},
                        Case{"[1,2]", "must read positions-isotope", 2},
                        Case{"[1-13C1", "without a closing ']'", 1},
                        Case{"[1-13C;2-13C]", "element C is labelled twice", 8},
                        Case{"", "empty label", 1}}) {
    SCOPED_TRACE(c.text);
    auto l = isotope::parse_label(c.text);
    ASSERT_FALSE(l.ok());
    EXPECT_TRUE(has(l.message(), c.message)) << l.message();
    EXPECT_EQ(l.diagnostics().front().column, c.column) << l.message();
  }
}

TEST(Label, BitsCheckTheSubstrate) {
  EXPECT_TRUE(has(bits_of(isotope::parse_label("[7-13C1]").value(), Element::C, 6), "position 7 but the substrate has 6 C atoms"));
  EXPECT_TRUE(has(bits_of(isotope::parse_label("[U-13C6]").value(), Element::C, 5), "uniform label U-13C6 but the substrate has 5"));
  EXPECT_EQ(bits_of(isotope::parse_label("[1-13C1]").value(), Element::H, 3), "000");
}

TEST(TracerTable, ReadsMixturesAndReportsErrors) {
  auto t = io::read_tracer_table(
      "# mixture\nexperiment,substrate,label,fraction,purity\n"
      "e1,GLC_IN,[1,2-13C2],0.5,0.99\n"
      "e2,Gln_IN,[U-13C5],1,\n"
      "e1,GLC_IN,[U-13C6],0.5,\n",
      "t.csv");
  // commas inside a label's brackets do not split a CSV row
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_EQ(isotope::format_label(t.value().experiments[0].components[0].label), "[1,2-13C2]");
  auto quoted = io::read_tracer_table("experiment,substrate,label\n\"e 1\",GLC_IN,\"[1,2-13C2]\"\n", "q.csv");
  ASSERT_TRUE(quoted.ok()) << quoted.message();
  EXPECT_EQ(quoted.value().experiments[0].id, "e 1");

  auto ok = io::read_tracer_table(
      "experiment\tsubstrate\tlabel\tfraction\tpurity\n"
      "e1\tGLC_IN\t[1,2-13C2]\t0.5\t0.99\n"
      "e2\tGln_IN\t[U-13C5]\t1\t\n"
      "e1\tGLC_IN\t[U-13C6]\t0.5\n",
      "t.tsv");
  ASSERT_TRUE(ok.ok()) << ok.message();
  const auto& ex = ok.value().experiments;
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0].id, "e1");
  ASSERT_EQ(ex[0].components.size(), 2u);
  EXPECT_EQ(ex[0].components[0].purity, 0.99);
  EXPECT_EQ(ex[0].components[1].purity, 1.0);
  EXPECT_EQ(ok.value().lines, (std::vector<int>{2, 4, 3}));
  // written and read back
  auto again = io::read_tracer_table(io::write_tracer_table(ex), "again");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(io::write_tracer_table(again.value().experiments), io::write_tracer_table(ex));

  auto bad = io::read_tracer_table(
      "experiment\tsubstrate\tlabel\tfraction\tcolour\n"
      "e1\tGLC_IN\t[1,2-13C2]\t2\n",
      "b.tsv");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(has(bad.message(), "b.tsv:1:37: error: unknown column 'colour'")) << bad.message();
  auto bad2 = io::read_tracer_table(
      "experiment\tsubstrate\tlabel\tfraction\n"
      "e1\tGLC_IN\t[1,2-13X2]\t2\n",
      "b.tsv");
  ASSERT_FALSE(bad2.ok());
  EXPECT_TRUE(has(bad2.message(), "b.tsv:2:")) << bad2.message();
  EXPECT_TRUE(has(bad2.message(), "fraction '2' must be a number in (0, 1]")) << bad2.message();
  EXPECT_FALSE(io::read_tracer_table("", "empty").ok());
}

TEST(TracerTable, ValidatesAgainstTheModel) {
  auto model = io::load_model("ccm");
  ASSERT_TRUE(model.ok());
  auto t = io::read_tracer_table(
      "experiment\tsubstrate\tlabel\tfraction\tpurity\n"
      "e1\tGLC_IN\t[1,2-13C2]\t0.7\n"
      "e1\tGLC_IN\t[U-13C6]\t0.5\n"
      "e2\tGLC\t[1-13C1]\t1\n"
      "e3\tnope\t[1-13C1]\t1\n"
      "e4\tGln_IN\t[U-13C6]\t1\n"
      "e5\tGln_IN\t[5-2H1]\t1\n",
      "t.tsv");
  ASSERT_TRUE(t.ok()) << t.message();
  const auto problems = isotope::validate_experiments(model.value(), t.value().experiments, "t.tsv", t.value().lines);
  const std::string text = format_diagnostics(problems);
  EXPECT_TRUE(has(text, "experiment 'e1': the fractions of substrate 'GLC_IN' add up to 1.2")) << text;
  EXPECT_TRUE(has(text, "t.tsv:4: error: experiment 'e2': substrate 'GLC' is not an input pool")) << text;
  EXPECT_TRUE(has(text, "t.tsv:5: error: experiment 'e3': substrate 'nope' is not a metabolite")) << text;
  EXPECT_TRUE(has(text, "t.tsv:6: error: experiment 'e4': [U-13C6] on 'Gln_IN': uniform label U-13C6 but the substrate has 5 C atoms")) << text;
  EXPECT_TRUE(has(text, "t.tsv:7: error: experiment 'e5': substrate 'Gln_IN' has no tracked H atoms")) << text;
}

TEST(TracerTable, BuiltinExperimentsFitTheirModels) {
  for (const auto& name : io::builtin_tracer_table_names()) {
    SCOPED_TRACE(name);
    auto model = io::load_model(name);
    ASSERT_TRUE(model.ok()) << model.message();
    auto t = io::load_tracer_table(name);
    ASSERT_TRUE(t.ok()) << t.message();
    EXPECT_EQ(format_diagnostics(isotope::validate_experiments(model.value(), t.value().experiments, name, t.value().lines)), "");
  }
  EXPECT_EQ(io::builtin_tracer_table_names().size(), io::builtin_model_names().size());
}
