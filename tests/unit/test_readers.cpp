// Readers: each format's own error reporting on small hand-made inputs.
#include <gtest/gtest.h>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/constraint_table.hpp"
#include "fluxion/io/freeflux.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/isotope/emu.hpp"
#include "fluxion/sampling/polytope.hpp"

using namespace fluxion;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const char* kFluxml = R"(<?xml version="1.0"?>
<fluxml xmlns="http://www.13cflux.net/fluxml">
<info><name>t</name></info>
<reactionnetwork>
  <metabolitepools>
    <pool id="A" C="2" H="1"/>
    <pool id="B" C="2" H="1"/>
    <pool id="N" atoms="3" cfg="C2N1"/>
    <pool id="M" atoms="3" cfg="C2N1"/>
  </metabolitepools>
  <reaction id="in"><reduct id="A" cfg="abx"/><rproduct id="B" cfg="bax"/></reaction>
  <reaction id="n1"><reduct id="N" cfg="C#1@1 C#2@1 N#3@1"/><rproduct id="M" cfg="C#2@1 C#1@1 N#3@1"/></reaction>
  <reaction id="out" bidirectional="false"><reduct id="B" cfg="abc"/></reaction>
  <reaction id="out2"><reduct id="M" cfg="abc"/></reaction>
</reactionnetwork>
<constraints><net><textual>in=1; out&lt;=5</textual></net><xch><textual>in=0;</textual></xch></constraints>
</fluxml>
)";

}  // namespace

TEST(FluxmlReader, DialectsAndNotations) {
  auto r = io::read_fluxml(kFluxml, "t.fml");
  ASSERT_TRUE(r.ok()) << r.message();
  const Model& m = r.value();
  const Reaction& in = m.reactions[0];
  EXPECT_EQ(in.reactants[0].atoms[0], "ab");  // carbons first, by position
  EXPECT_EQ(in.reactants[0].atoms[1], "x");   // then hydrogens
  EXPECT_EQ(in.products[0].atoms[0], "ba");
  EXPECT_EQ(in.lower_bound, 1.0);
  EXPECT_EQ(in.upper_bound, 1.0);
  EXPECT_EQ(in.exchange_upper_bound, 0.0);
  const Reaction& n1 = m.reactions[1];
  EXPECT_EQ(n1.reactants[0].atoms[0].size(), 2u);
  EXPECT_EQ(n1.reactants[0].atoms[2].size(), 1u);  // nitrogen
  EXPECT_EQ(n1.products[0].atoms[0][0], n1.reactants[0].atoms[0][1]);
  EXPECT_FALSE(m.reactions[2].reversible);
  EXPECT_EQ(m.reactions[2].upper_bound, 5.0);
  EXPECT_TRUE(m.metabolites[*m.metabolite_index("A")].boundary);
  EXPECT_TRUE(m.metabolites[*m.metabolite_index("N")].boundary);
}

TEST(FluxmlReader, Errors) {
  auto bad_xml = io::read_fluxml("<fluxml>\n<reactionnetwork>\n</fluxml>", "x.fml");
  ASSERT_FALSE(bad_xml.ok());
  EXPECT_TRUE(has(bad_xml.message(), "x.fml:3: error: malformed XML")) << bad_xml.message();
  std::string doc = kFluxml;
  doc.replace(doc.find("<rproduct id=\"B\" cfg=\"bax\"/>"), 28, "<rproduct id=\"Q\" cfg=\"bax\"/>");
  auto unknown = io::read_fluxml(doc, "x.fml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(has(unknown.message(), "x.fml:11: error: <reaction id=\"in\">: unknown pool 'Q' in <rproduct>")) << unknown.message();
  doc = kFluxml;
  doc.replace(doc.find("cfg=\"bax\""), 9, "cfg=\"ba\"");
  auto length = io::read_fluxml(doc, "x.fml");
  ASSERT_FALSE(length.ok());
  EXPECT_TRUE(has(length.message(), "atom string \"ba\" of 'B' has 2 atoms but the pool has 3")) << length.message();
  EXPECT_FALSE(io::read_fluxml("<sbml/>", "x.fml").ok());
}

TEST(JsonReader, ErrorsWithLineColumnAndPath) {
  auto bad = io::read_cobra_json("{\n \"reactions\": [\n  {\"id\": 1,}\n ]\n}", "m.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(has(bad.message(), "m.json:3:")) << bad.message();
  // a number beyond a double's range is an error, not an exception (found by the scFEA network fuzzer)
  auto overflow = io::read_cobra_json(R"({"metabolites": [{"id": "a", "charge": 1e999}], "reactions": [], "genes": []})", "m.json");
  ASSERT_FALSE(overflow.ok());
  EXPECT_TRUE(has(overflow.message(), "malformed JSON")) << overflow.message();
  auto missing = io::read_cobra_json(R"({"metabolites": [{"id": "a"}], "genes": [],
    "reactions": [{"id": "r", "name": "", "metabolites": {"a": -1, "b": 1}, "lower_bound": "x", "upper_bound": "inf", "gene_reaction_rule": ""}]})",
                                     "m.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(has(missing.message(), "reactions[0] 'r': field 'lower_bound' must be a number")) << missing.message();
  EXPECT_TRUE(has(missing.message(), "reactions[0] 'r': unknown metabolite 'b'")) << missing.message();
  auto ok = io::read_cobra_json(R"({"id": "m", "metabolites": [{"id": "a"}, {"id": "b"}], "genes": [],
    "reactions": [{"id": "r", "name": "", "metabolites": {"a": -1, "b": 1}, "lower_bound": "-inf", "upper_bound": "inf", "gene_reaction_rule": "g1 or g2"}]})",
                                "m.json");
  ASSERT_TRUE(ok.ok()) << ok.message();
  EXPECT_EQ(ok.value().reactions[0].lower_bound, -kInfinity);
  EXPECT_EQ(ok.value().genes.size(), 2u);
}

TEST(SbmlReader, Errors) {
  auto bad = io::read_sbml("<sbml xmlns=\"http://www.sbml.org/sbml/level3/version1/core\" level=\"3\" version=\"1\">\n<model id=\"m\">\n</sbml>", "m.xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(has(bad.message(), "m.xml:")) << bad.message();
}

TEST(MfapyReader, MergesReversiblePairs) {
  const char* text =
      "//Reactions\n"
      "v1\tA --> B\tA --> B\tAB --> AB\t(x)\t0\t300\n"
      "v2\tB --> C + D\tB --> C + D\tAB --> A + B\t(x)\t0\t300\n"
      "v3\tC + D --> B\tC + D --> B\tA + B --> AB\t(x)\t0\t300\n"
      "v4\tC --> E\tnd\tnd\t(x)\t0\t300\n"
      "v5\tD --> F\tD --> F\tA --> A\t(x)\t0\t300\n"
      "//Metabolites\n"
      "A\t2\tno\tcarbonsource\tno\t(x)\t0\t300\n"
      "B\t2\tno\tno\tno\t(x)\t0\t300\n"
      "C\t1\tno\tno\tno\t(x)\t0\t300\n"
      "D\t1\tno\tno\tno\t(x)\t0\t300\n"
      "E\t1\tno\tno\texcreted\t(x)\t0\t300\n"
      "F\t1\tno\tno\texcreted\t(x)\t0\t300\n"
      "//Reversible_reactions\n"
      "R\tv2\tv3\t(x)\t-300\t300\n"
      "//End\n";
  auto r = io::read_mfapy(text, "m.txt");
  ASSERT_TRUE(r.ok()) << r.message();
  const Model& m = r.value();
  EXPECT_EQ(m.reactions.size(), 4u);
  const auto ri = m.reaction_index("R");
  ASSERT_TRUE(ri);
  EXPECT_TRUE(m.reactions[*ri].reversible);
  EXPECT_EQ(m.reactions[*ri].lower_bound, -300.0);
  EXPECT_TRUE(m.metabolites[*m.metabolite_index("A")].boundary);
  auto bad = io::read_mfapy("//Reactions\nv1\tA --> B\tA --> B\tABC --> AB C\n", "m.txt");
  EXPECT_FALSE(bad.ok());
}

TEST(ModelIo, FormatDetectionAndMissingFiles) {
  EXPECT_EQ(io::format_from_path("a.xml", "<?xml version='1.0'?>\n<fluxml>"), io::ModelFormat::fluxml);
  EXPECT_EQ(io::format_from_path("a.xml.gz", "<sbml>"), io::ModelFormat::sbml);
  EXPECT_EQ(io::format_from_path("a.json"), io::ModelFormat::cobra_json);
  EXPECT_EQ(io::format_from_path("a.csv"), io::ModelFormat::freeflux);
  EXPECT_EQ(io::format_from_path("a.tsv", "#reaction_ID\tsubstrate_IDs(atom)"), io::ModelFormat::freeflux);
  EXPECT_EQ(io::format_from_path("a.tsv", "id\tequation"), io::ModelFormat::reaction_tsv);
  EXPECT_FALSE(io::format_from_path("a.dat").has_value());
  auto missing = io::load_model("/nonexistent/model.tsv");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(has(missing.message(), "no such file"));
}

namespace {

// Two parallel routes tied to each other (as the Park et al. 2016 networks tie their
// per-tracer copies), an efflux left bidirectional by default, and an inflow fixed by a sum.
const char* kTied = R"(<?xml version="1.0"?>
<fluxml xmlns="http://www.13cflux.net/fluxml">
<info><name>tied</name></info>
<reactionnetwork>
  <metabolitepools>
    <pool id="X_IN" atoms="2"/><pool id="A" atoms="2"/><pool id="B" atoms="2"/>
  </metabolitepools>
  <reaction id="in"><reduct id="X_IN" cfg="ab"/><rproduct id="A" cfg="ab"/></reaction>
  <reaction id="r1"><reduct id="A" cfg="ab"/><rproduct id="B" cfg="ab"/></reaction>
  <reaction id="r2"><reduct id="A" cfg="ab"/><rproduct id="B" cfg="ba"/></reaction>
  <reaction id="out"><reduct id="B" cfg="ab"/></reaction>
</reactionnetwork>
<constraints>
  <net><textual>r1 = r2; in = 0.5+0.5;</textual></net>
  <xch><textual>r1 = r2;</textual></xch>
</constraints>
</fluxml>
)";

}  // namespace

TEST(FluxmlReader, ConstraintsBetweenFluxesAreKept) {
  auto r = io::read_fluxml(kTied, "tied.fml");
  ASSERT_TRUE(r.ok()) << r.message();
  const Model& m = r.value();
  ASSERT_EQ(m.relations.size(), 3u);
  EXPECT_EQ(m.relations[0].expression, "r1 = r2");
  EXPECT_EQ(m.relations[1].expression, "in = 0.5+0.5");
  EXPECT_EQ(m.relations[2].expression, "xch(r1) = xch(r2)");
  EXPECT_GT(m.relations[0].line, 0);
  auto fs = FluxSpace::build(m);
  ASSERT_TRUE(fs.ok()) << fs.message();
  auto c = io::model_relations(m, fs.value(), "tied.fml");
  ASSERT_TRUE(c.ok()) << c.message();
  ASSERT_EQ(c.value().size(), 3u);
  const auto& tie = c.value()[0];
  ASSERT_EQ(tie.terms.size(), 2u);
  EXPECT_EQ(tie.terms[0].coefficient, 1.0);
  EXPECT_EQ(tie.terms[1].coefficient, -1.0);
  EXPECT_EQ(tie.lower, 0.0);
  EXPECT_EQ(tie.upper, 0.0);
  EXPECT_EQ(c.value()[1].lower, 1.0);  // in == 1
  EXPECT_EQ(c.value()[1].upper, 1.0);
  EXPECT_TRUE(c.value()[2].terms[0].exchange);
  EXPECT_TRUE(has(tie.name, "tied.fml line")) << tie.name;

  // a polytope can be built with them
  auto p = sampling::FluxPolytope::build(m, fs.value(), c.value());
  ASSERT_TRUE(p.ok()) << p.message();
  // the efflux 'out', bidirectional by default, gets no backward step: B's MID is made
  // from A alone (a backward step would make B's atoms from nothing)
  isotope::EmuOptions eo;
  eo.measured = {"B"};
  auto emu = isotope::EmuModel::compile(m, fs.value(), eo);
  EXPECT_TRUE(emu.ok()) << emu.message();

  // written as FluxML and read back: the same relations
  auto text = io::write_fluxml(m);
  ASSERT_TRUE(text.ok()) << text.message();
  auto back = io::read_fluxml(text.value(), "back.fml");
  ASSERT_TRUE(back.ok()) << back.message();
  ASSERT_EQ(back.value().relations.size(), 3u);
  EXPECT_EQ(back.value().relations[2].expression, "xch(r1) = xch(r2)");
}

TEST(FluxmlReader, ConstraintsNamingUnknownFluxesAreErrors) {
  std::string doc = kTied;
  doc.replace(doc.find("r1 = r2; in"), 7, "r1 = q9");
  auto r = io::read_fluxml(doc, "tied.fml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has(r.message(), "tied.fml:14: error: <constraints>: net constraint 'r1=q9' names 'q9', which is not a reaction")) << r.message();
}

// FreeFlux's non-stationary MDVs (fragment_ID, time, mean, sd): read with their times
// where time courses are asked for, refused at the header elsewhere (not misread as a
// one-entry MID).
TEST(FreefluxReader, TimeCourseMdvs) {
  const char* text =
      "#fragment_ID\ttime\tmean\tsd\n"
      "Glu_12345\t0\t\"0.948,0.051,0.001,0.0,0.0,0.0\"\t\"0.01,0.01,0.01,0.01,0.01,0.01\"\n"
      "Glu_12345\t0.5\t\"0.697,0.162,0.131,0.008,0.001,0.0\"\t\"0.01,0.01,0.01,0.01,0.01,0.01\"\n";
  auto plain = io::read_freeflux_mdvs(text, "inst.tsv", "e");
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.message().find("inst.tsv:1:2"), std::string::npos) << plain.message();
  auto timed = io::read_freeflux_mdvs(text, "inst.tsv", "e", true);
  ASSERT_TRUE(timed.ok()) << timed.message();
  ASSERT_EQ(timed.value().mids.size(), 2u);
  EXPECT_EQ(timed.value().mids[1].time, 0.5);
  EXPECT_EQ(timed.value().mids[1].fragment, "Glu[1,2,3,4,5]");
  EXPECT_EQ(timed.value().mids[1].fraction.size(), 6u);
  EXPECT_DOUBLE_EQ(timed.value().mids[1].fraction[0], 0.697);
  auto bad = io::read_freeflux_mdvs("#fragment_ID\ttime\tmean\tsd\nGlu_12345\tsoon\t\"1,0\"\t\n", "b.tsv", "e", true);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("b.tsv:2:2"), std::string::npos) << bad.message();
  // the steady-state table reads as before
  auto steady = io::read_freeflux_mdvs("#fragment_ID\tmean\tsd\nGlu_12345\t\"0.9,0.1,0,0,0,0\"\t\n", "s.tsv", "e", true);
  ASSERT_TRUE(steady.ok()) << steady.message();
  EXPECT_LT(steady.value().mids[0].time, 0);
}
