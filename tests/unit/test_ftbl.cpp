// FTBL (13CFLUX / influx_si): the toy file's network, reversibility, relations, label
// input, MS groups and measured fluxes come out as influx_si reads them; bad files give
// errors that name the line and the column.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/constraint_table.hpp"
#include "fluxion/io/ftbl.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/isotope/tracer.hpp"

using namespace fluxion;

namespace {

std::string toy() {
  std::ifstream in(std::string(FLUXION_SOURCE_DIR) + "/tests/fuzz/corpus/ftbl/toy.ftbl");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool has_relation(const Model& m, const std::string& text) {
  return std::any_of(m.relations.begin(), m.relations.end(), [&](const FluxRelation& r) { return r.expression == text; });
}

// The first error of reading `text`, as "line:column: message".
std::string first_error(const std::string& text) {
  auto f = io::read_ftbl(text, "bad.ftbl", "x");
  for (const auto& d : f.diagnostics())
    if (d.severity == Severity::error) return std::to_string(d.line) + ":" + std::to_string(d.column) + ": " + d.message;
  return "no error";
}

}  // namespace

TEST(Ftbl, ToyFileReadsAsInfluxSiDoes) {
  const std::string text = toy();
  ASSERT_FALSE(text.empty());
  auto f = io::read_ftbl(text, "toy.ftbl", "toy");
  ASSERT_TRUE(f.ok()) << f.message();
  const Model& m = f.value().model;
  ASSERT_EQ(m.reactions.size(), 5u);
  // v1 consumes the input A_in, v4/v5 make outputs: irreversible; v3's XCH is fixed at 0
  const auto& v1 = m.reactions[*m.reaction_index("v1")];
  const auto& v2 = m.reactions[*m.reaction_index("v2")];
  const auto& v3 = m.reactions[*m.reaction_index("v3")];
  EXPECT_FALSE(v1.reversible);
  EXPECT_EQ(v1.lower_bound, 0);
  EXPECT_TRUE(v2.reversible);
  EXPECT_EQ(v2.lower_bound, -1000);
  EXPECT_EQ(v2.exchange_upper_bound, io::kFtblExchangeMax);
  EXPECT_FALSE(v3.reversible);
  EXPECT_TRUE(m.metabolites[*m.metabolite_index("A_in")].boundary);
  EXPECT_TRUE(m.metabolites[*m.metabolite_index("E")].boundary);
  EXPECT_FALSE(m.metabolites[*m.metabolite_index("B")].boundary);
  // v3: B (ab) -> D (a) + D (b): D has one carbon
  EXPECT_EQ(m.metabolites[*m.metabolite_index("D")].atoms[0], 1);
  // fixed net flux, NET and XCH inequalities (0.9 on [0, 1) = 9)
  EXPECT_TRUE(has_relation(m, "v1 == 1"));
  EXPECT_TRUE(has_relation(m, "0.1 <= v2"));
  ASSERT_EQ(m.relations.size(), 3u);
  EXPECT_NE(m.relations[2].expression.find(">= xch(v2)"), std::string::npos) << m.relations[2].expression;
  auto space = FluxSpace::build(m);
  ASSERT_TRUE(space.ok());
  auto rel = io::model_relations(m, space.value(), "toy.ftbl");
  ASSERT_TRUE(rel.ok()) << rel.message();
  EXPECT_NEAR(rel.value()[2].upper, 9.0, 1e-12);
  // label input: 50 % [1-13C], 25 % [U-13C2]; the unlabelled 25 % is implied
  const auto& ex = f.value().experiment;
  EXPECT_EQ(ex.id, "toy");
  ASSERT_EQ(ex.components.size(), 2u);
  EXPECT_EQ(isotope::format_label(ex.components[0].label), "[1-13C1]");
  EXPECT_EQ(ex.components[0].fraction, 0.5);
  EXPECT_EQ(isotope::format_label(ex.components[1].label), "[U-13C2]");
  EXPECT_TRUE(isotope::validate_experiments(m, {ex}, "toy.ftbl").empty());
  // MS groups: C (both carbons, M+2 NA) and D; --noscale in OPTIONS: not scaled
  const auto& mids = f.value().mids.mids;
  ASSERT_EQ(mids.size(), 2u);
  EXPECT_EQ(mids[0].fragment, "C");
  ASSERT_EQ(mids[0].fraction.size(), 3u);
  EXPECT_DOUBLE_EQ(mids[0].fraction[1], 0.35);
  EXPECT_TRUE(std::isnan(mids[0].fraction[2]));
  EXPECT_FALSE(mids[0].scaled);
  EXPECT_EQ(mids[1].fragment, "D");
  ASSERT_EQ(f.value().fluxes.size(), 1u);
  EXPECT_EQ(f.value().fluxes[0].reaction, "v4");
  EXPECT_DOUBLE_EQ(f.value().fluxes[0].sd, 0.01);
  // without --noscale every group is scaled (influx_si's default)
  std::string scaled = text;
  scaled.replace(scaled.find("--noscale"), 9, "--TIMEIT");
  auto g = io::read_ftbl(scaled, "toy.ftbl", "toy");
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(g.value().mids.mids[0].scaled);
  // load_model reads .ftbl files
  EXPECT_EQ(io::format_from_path("e_coli.ftbl"), io::ModelFormat::ftbl);
  EXPECT_DOUBLE_EQ(io::ftbl_exchange_to_unit(io::ftbl_exchange_from_unit(0.42)), 0.42);
}

TEST(Ftbl, ErrorsNameTheLineAndColumn) {
  const std::string head = "NETWORK\n\tFLUX_NAME\tEDUCT_1\tEDUCT_2\tPRODUCT_1\tPRODUCT_2\n\tv1\tA\t\tB\n\t\t#ab\t\t#ab\n\tv2\tB\t\tC\n\t\t#ab\t\t#ba\n\tv3\tC\t\tD\n\t\t#ab\t\t#ab\n";
  const std::string fluxes = "FLUXES\n\tNET\n\t\tNAME\tFCD\tVALUE(F/C)\n\t\tv1\tC\t1\n\t\tv2\tD\n\t\tv3\tD\n\tXCH\n\t\tNAME\tFCD\tVALUE(F/C)\n\t\tv1\tD\n\t\tv2\tF\t0.5\n\t\tv3\tD\n";
  EXPECT_TRUE(io::read_ftbl(head + fluxes, "ok.ftbl", "x").ok());
  // a carbon-map row missing
  EXPECT_EQ(first_error("NETWORK\n\tv1\tA\t\tB\n\tv2\tB\t\tC\n\t\t#a\t\t#a\n"), "2:1: reaction 'v1' has no row of carbon maps (#ABC) under it");
  // a carbon map without '#'
  EXPECT_EQ(first_error("NETWORK\n\tv1\tA\t\tB\n\t\tab\t\t#ab\n"), "3:3: 'A' of reaction 'v1' needs a carbon map such as #ABC (# alone: no carbon), not 'ab'");
  // an FCD that is none of F, C, D
  std::string bad = fluxes;
  bad.replace(bad.find("v2\tD"), 4, "v2\tX");
  EXPECT_EQ(first_error(head + bad), "13:6: FCD of 'v2' is 'X': write F (free), C (constrained) or D (dependent)");
  // an XCH value off influx_si's [0, 1) scale
  bad = fluxes;
  bad.replace(bad.find("0.5"), 3, "1.5");
  EXPECT_EQ(first_error(head + bad), "18:8: XCH value 1.5 of 'v2' is outside [0, 1) (influx_si's scale: xch / (1 + xch))");
  // a constant inside a formula, pointing at the term
  EXPECT_EQ(first_error(head + fluxes + "EQUALITIES\n\tNET\n\t\tVALUE\tFORMULA\n\t\t0\tv1 - 2\n"),
            "23:10: formula 'v1 - 2': a constant in the formula (write the value in the VALUE column, and coefficients as 2*flux)");
  // a flux the network lacks
  EXPECT_EQ(first_error(head + fluxes + "FLUX_MEASUREMENTS\n\tFLUX_NAME\tVALUE\tDEVIATION\n\tv9\t1\t0.1\n"),
            "22:2: measured flux 'v9' is not a reaction of the NETWORK section");
  // an MS weight past the fragment's carbons, and a value without a deviation
  EXPECT_EQ(first_error(head + fluxes + "MASS_SPECTROMETRY\n\tMETA_NAME\tFRAGMENT\tWEIGHT\tVALUE\tDEVIATION\n\tC\t1,2\t3\t0.5\t0.01\n"),
            "22:8: WEIGHT '3' is not a mass shift from 0 to 2");
  EXPECT_EQ(first_error(head + fluxes + "MASS_SPECTROMETRY\n\tC\t1~2\t0\t0.5\n"), "21:13: a measured VALUE needs a DEVIATION");
  // an isotopomer of the wrong length
  EXPECT_EQ(first_error(head + fluxes + "LABEL_INPUT\n\tA\t#111\t1\n"), "21:4: isotopomer #111 has 3 positions; A has 2 carbons");
  // exchange-flux constraints must stay linear in xch
  EXPECT_EQ(first_error(head + fluxes + "INEQUALITIES\n\tXCH\n\t\t0.5\t<=\t2*v2\n"),
            "22:10: this exchange-flux inequality is not linear in the exchange fluxes (influx_si states them on [0, 1)); fluxion keeps 'value xch' with "
            "value in [0, 1) and '0 a-b'");
  // rows before any section; a subsection row out of place
  EXPECT_EQ(first_error("\tv1\tA\n"), "1:1: a row before the first section (PROJECT, NETWORK, ...)");
  EXPECT_EQ(first_error(head + "FLUXES\n\tFOO\n"), "10:2: expected NET, XCH or METAB (one tab in), or a row of the FLUXES table (two tabs in)");
  // NMR rows are reported, not silently dropped
  auto nmr = io::read_ftbl(head + fluxes + "LABEL_MEASUREMENTS\n\tMETA_NAME\tCUM_GROUP\tVALUE\n\tB\t1\t0.5\n", "nmr.ftbl", "x");
  ASSERT_TRUE(nmr.ok()) << nmr.message();
  ASSERT_FALSE(nmr.diagnostics().empty());
  EXPECT_EQ(nmr.diagnostics().back().line, 22);
  EXPECT_NE(nmr.diagnostics().back().message.find("not used"), std::string::npos);
}

// 13CFLUX's longer reactions (several rows of one name, "#" for a carbon-less cofactor,
// n*metabolite), NOTRACER_NETWORK equations; instationary files are refused.
TEST(Ftbl, MultiRowReactionsCofactorsAndNotracerReactions) {
  const std::string text =
      "NETWORK\n\tFLUX_NAME\tEDUCT_1\tEDUCT_2\tPRODUCT_1\tPRODUCT_2\n"
      "\tv1\tA\t\tB\n\t\t#ab\t\t#ab\n"
      "\tv2\tB\tC\tD\tE\n\t\t#ab\t#c\t#abc\t#\n"
      "\tv2\t2*ATP\t\tF\n\t\t#\t\t#\n"
      "\tv3\tG\t\tC\n\t\t#a\t\t#a\n"
      "NOTRACER_NETWORK\n\tFLUX_NAME\tEQUATION\n\tv4\tD + 0.5*E = Biomass\n\tv5\tATP_in = ATP\n";
  auto f = io::read_ftbl(text, "multi.ftbl", "x");
  ASSERT_TRUE(f.ok()) << f.message();
  const Model& m = f.value().model;
  ASSERT_EQ(m.reactions.size(), 5u);
  const auto& v2 = m.reactions[*m.reaction_index("v2")];
  ASSERT_EQ(v2.reactants.size(), 3u);  // B, C, 2 ATP
  ASSERT_EQ(v2.products.size(), 3u);   // D, E, F
  EXPECT_EQ(v2.reactants[2].coefficient, 2.0);
  EXPECT_TRUE(v2.reactants[2].atoms[0].empty());
  EXPECT_EQ(v2.products[0].atoms[0], "abc");
  const auto& v4 = m.reactions[*m.reaction_index("v4")];
  EXPECT_FALSE(v4.has_any_atom_map());
  EXPECT_EQ(v4.reactants[1].coefficient, 0.5);
  EXPECT_TRUE(m.metabolites[*m.metabolite_index("Biomass")].boundary);
  // a reaction name used again later is a second definition, not a continuation
  EXPECT_EQ(first_error(text + "NETWORK\n\tv1\tA\t\tB\n\t\t#ab\t\t#ab\n"), "16:2: reaction 'v1' is defined twice");
  // an instationary file names its time course (read by read_ftbl_labcin, tests/unit/test_fit_inst.cpp)
  auto instationary = io::read_ftbl(text + "OPTIONS\n\tOPT_NAME\tOPT_VALUE\n\tfile_labcin\tdata.txt\n", "multi.ftbl", "multi");
  ASSERT_TRUE(instationary.ok()) << instationary.message();
  EXPECT_EQ(instationary.value().labcin, "data.txt");
  EXPECT_EQ(instationary.value().labcin_line, 17);
  EXPECT_EQ(first_error(text + "OPTIONS\n\tOPT_NAME\tOPT_VALUE\n\tfile_labcin\t\n"), "17:13: file_labcin needs a file name");
}
