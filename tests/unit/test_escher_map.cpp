// Escher maps drawn by fluxion: the hand layouts of the built-in models, the automatic
// layout, cofactors beside their reactions, layout files and their errors.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "fluxion/io/escher_map.hpp"
#include "fluxion/io/model_io.hpp"

using namespace fluxion;
using nlohmann::json;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// What a test needs to know of a drawn map, with the checks every map must pass: each
// segment joins existing nodes, and each reaction's segments reach exactly its metabolites.
struct DrawnMap {
  json nodes, reactions;
  std::map<std::string, int> primary_count;  // metabolite id → primary nodes drawn
  std::map<std::string, std::array<double, 2>> primary_at;
  std::vector<std::array<double, 2>> midmarkers;
};

DrawnMap check_map(const Model& model, const std::string& text) {
  DrawnMap d;
  const json doc = json::parse(text);
  EXPECT_TRUE(doc.is_array());
  EXPECT_EQ(doc.size(), 2u);
  EXPECT_EQ(doc[0]["schema"], "https://escher.github.io/escher/jsonschema/1-0-0#");
  d.nodes = doc[1]["nodes"];
  d.reactions = doc[1]["reactions"];
  for (const auto& [id, n] : d.nodes.items()) {
    (void)id;
    if (n["node_type"] == "metabolite" && n["node_is_primary"].get<bool>()) {
      ++d.primary_count[n["bigg_id"].get<std::string>()];
      d.primary_at[n["bigg_id"].get<std::string>()] = {n["x"].get<double>(), n["y"].get<double>()};
    }
    if (n["node_type"] == "midmarker") d.midmarkers.push_back({n["x"].get<double>(), n["y"].get<double>()});
  }
  std::set<std::string> drawn_reactions, segment_ids;
  for (const auto& [key, r] : d.reactions.items()) {
    (void)key;
    const std::string id = r["bigg_id"];
    EXPECT_TRUE(drawn_reactions.insert(id).second) << id << " is drawn twice";
    const auto index = model.reaction_index(id);
    EXPECT_TRUE(index.has_value()) << id;
    if (!index) continue;
    std::set<std::string> reached, expected;
    for (const auto& [sid, s] : r["segments"].items()) {
      EXPECT_TRUE(segment_ids.insert(sid).second) << "segment id " << sid << " is used twice (Escher needs them unique in the map)";
      for (const char* end : {"from_node_id", "to_node_id"}) {
        const std::string node = s[end];
        EXPECT_TRUE(d.nodes.contains(node)) << id << " segment " << sid << " names node " << node;
        if (d.nodes.contains(node) && d.nodes[node]["node_type"] == "metabolite") reached.insert(d.nodes[node]["bigg_id"].get<std::string>());
      }
    }
    const auto& rx = model.reactions[*index];
    for (const auto* side : {&rx.reactants, &rx.products})
      for (const auto& p : *side) expected.insert(model.metabolites[p.metabolite].id);
    EXPECT_EQ(reached, expected) << id;
  }
  EXPECT_EQ(drawn_reactions.size(), model.reactions.size());
  return d;
}

double distance(const std::array<double, 2>& a, const std::array<double, 2>& b) { return std::hypot(a[0] - b[0], a[1] - b[1]); }

// The closest two primary metabolites, and the closest midmarker to a primary metabolite.
std::pair<double, double> clearances(const DrawnMap& d) {
  double metabolites = 1e300, markers = 1e300;
  for (auto a = d.primary_at.begin(); a != d.primary_at.end(); ++a) {
    for (auto b = std::next(a); b != d.primary_at.end(); ++b) metabolites = std::min(metabolites, distance(a->second, b->second));
    for (const auto& m : d.midmarkers) markers = std::min(markers, distance(a->second, m));
  }
  return {metabolites, markers};
}

}  // namespace

TEST(EscherMap, EveryBuiltInModelIsDrawnWholeOnItsHandLayout) {
  for (const auto& name : io::builtin_model_names()) {
    SCOPED_TRACE(name);
    const auto model = io::load_model(name);
    ASSERT_TRUE(model.ok()) << model.message();
    const auto layout = io::builtin_map_layout(name);
    ASSERT_TRUE(layout.has_value()) << "models/maps/" << name << ".tsv is missing";
    io::EscherMapOptions o;
    o.layout = layout;
    const auto map = io::escher_map_json(model.value(), o);
    ASSERT_TRUE(map.ok()) << map.message();
    EXPECT_TRUE(map.diagnostics().empty()) << map.message();  // every placed metabolite is the model's
    const DrawnMap d = check_map(model.value(), map.value());
    // each metabolite drawn once where the layout puts it
    for (const auto& [id, count] : d.primary_count) EXPECT_EQ(count, 1) << id;
    for (const auto& [id, at] : layout->positions) {
      ASSERT_TRUE(d.primary_at.count(id)) << id << " is placed by the layout but not drawn as a primary metabolite";
      EXPECT_EQ(d.primary_at.at(id), at) << id;
    }
    // the layout places every metabolite of the network it draws (drains aside)
    for (const auto& [id, at] : d.primary_at) {
      const bool placed = std::any_of(layout->positions.begin(), layout->positions.end(), [&](const auto& p) { return p.first == id; });
      const auto& m = model.value().metabolites[*model.value().metabolite_index(id)];
      EXPECT_TRUE(placed || m.boundary) << id << " is placed automatically: add it to models/maps/" << name << ".tsv";
    }
    const auto [metabolites, markers] = clearances(d);
    EXPECT_GT(metabolites, 100.0);
    EXPECT_GT(markers, 40.0);
  }
}

TEST(EscherMap, AnAutomaticLayoutKeepsItsNodesApartAndIsTheSameEveryTime) {
  std::vector<Model> models;
  for (const auto& name : io::builtin_model_names()) models.push_back(io::load_model(name).value());
  const std::string ecoli = std::string(FLUXION_SHARED_DATA) + "/bigg/e_coli_core.xml.gz";
  if (std::filesystem::exists(ecoli))
    models.push_back(io::load_model(ecoli).value());
  else
    std::printf("E. coli core left out: no %s\n", ecoli.c_str());
  for (const auto& model : models) {
    SCOPED_TRACE(model.id);
    io::EscherMapOptions o;  // no layout: automatic
    const auto map = io::escher_map_json(model, o);
    ASSERT_TRUE(map.ok()) << map.message();
    EXPECT_EQ(map.value(), io::escher_map_json(model, o).value());
    const DrawnMap d = check_map(model, map.value());
    for (const auto& [id, count] : d.primary_count) EXPECT_EQ(count, 1) << id;
    const auto [metabolites, markers] = clearances(d);
    EXPECT_GT(metabolites, 0.2 * o.spacing);
    EXPECT_GT(markers, 0.1 * o.spacing);
  }
}

TEST(EscherMap, CofactorsAreDrawnBesideEachReactionAndHubsApart) {
  Model m;
  m.id = "cofactors";
  auto reaction = [&](const std::string& id, std::vector<std::string> in, std::vector<std::string> out) {
    Reaction r;
    r.id = id;
    for (const auto& x : in) r.reactants.push_back({m.ensure_metabolite(x), 1.0, {}});
    for (const auto& x : out) r.products.push_back({m.ensure_metabolite(x), 1.0, {}});
    m.add_reaction(r);
  };
  reaction("UP", {}, {"A_c"});
  reaction("R1", {"A_c", "atp_c"}, {"B_c", "adp_c"});
  reaction("R2", {"B_c", "atp_c"}, {"C_c", "adp_c"});
  reaction("R3", {"C_c", "nadh[c]"}, {"D_c", "nad[c]"});
  reaction("ATPM", {"atp_c"}, {"adp_c"});
  std::vector<std::string> all{"A_c", "B_c", "C_c", "D_c"};
  for (int k = 0; k < 6; ++k) all.push_back("X" + std::to_string(k));
  reaction("BIOMASS", all, {});
  const auto map = io::escher_map_json(m);
  ASSERT_TRUE(map.ok()) << map.message();
  const DrawnMap d = check_map(m, map.value());
  int atp = 0;
  for (const auto& [id, n] : d.nodes.items()) {
    (void)id;
    if (n["node_type"] == "metabolite" && n["bigg_id"] == "atp_c") {
      ++atp;
      EXPECT_FALSE(n["node_is_primary"].get<bool>());
    }
  }
  EXPECT_EQ(atp, 3);  // beside R1, R2 and ATPM
  EXPECT_FALSE(d.primary_count.count("nadh[c]"));
  EXPECT_EQ(d.primary_count.at("A_c"), 1);  // in the network; small in the biomass fan drawn apart
  int fanned = 0;
  for (const auto& [id, n] : d.nodes.items()) {
    (void)id;
    fanned += n["node_type"] == "metabolite" && n["bigg_id"] == "A_c" && !n["node_is_primary"].get<bool>();
  }
  EXPECT_EQ(fanned, 1);
  EXPECT_EQ(d.primary_count.at("X0"), 1);  // only the hub has it
  // the pathway runs downwards from the uptake
  EXPECT_LT(d.primary_at.at("A_c")[1], d.primary_at.at("D_c")[1]);
}

TEST(EscherMap, ModelsItCannotDrawAreRefusedAndForeignLayoutsIgnored) {
  const auto glycolysis = io::load_model("glycolysis").value();
  io::EscherMapOptions o;
  o.max_reactions = 5;
  const auto refused = io::escher_map_json(glycolysis, o);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(has(refused.message(), "21 reactions")) << refused.message();
  EXPECT_FALSE(io::escher_map_json(Model{}).ok());
  o = {};
  o.spacing = 0;
  EXPECT_FALSE(io::escher_map_json(glycolysis, o).ok());

  o = {};
  o.layout = io::builtin_map_layout("ccm");
  const auto foreign = io::escher_map_json(io::load_model("simple").value(), o);
  ASSERT_TRUE(foreign.ok()) << foreign.message();
  EXPECT_TRUE(has(foreign.message(), "not this model's layout")) << foreign.message();

  o.layout = io::builtin_map_layout("glyppp");  // a larger variant of glycolysis: its extra metabolites are left out
  const auto larger = io::escher_map_json(glycolysis, o);
  ASSERT_TRUE(larger.ok()) << larger.message();
  EXPECT_TRUE(has(larger.message(), "not in the model (pg6")) << larger.message();
  const DrawnMap d = check_map(glycolysis, larger.value());  // pyr, which the layout lacks, placed beside pep
  EXPECT_GT(distance(d.primary_at.at("pyr"), d.primary_at.at("pep")), 100.0);
  EXPECT_LT(distance(d.primary_at.at("pyr"), d.primary_at.at("pep")), 450.0);
}

TEST(MapLayout, BytesThatAreNotUtf8StillGiveAMap) {  // found by fuzz_map_layout: the JSON writer threw
  const auto layout = io::read_map_layout("#! name: gly\xef\x6c\x79 map\nmetabolite\tx\ty\ng6p\t0\t0\nf6p\t0\t250\n", "l.tsv");
  ASSERT_TRUE(layout.ok()) << layout.message();
  io::EscherMapOptions o;
  o.layout = layout.value();
  const auto map = io::escher_map_json(io::load_model("glycolysis").value(), o);
  ASSERT_TRUE(map.ok()) << map.message();
  EXPECT_EQ(json::parse(map.value())[0]["map_name"], "gly\xef\xbf\xbdly map");  // U+FFFD in its place
}

TEST(MapLayout, ErrorsNameTheLineAndColumn) {
  const auto good = io::read_map_layout("# comment\n#! name: mine\n#! secondary: h, atp\nmetabolite\tx\ty\nA\t0\t0\nB\t1.5e2\t-3\n", "l.tsv");
  ASSERT_TRUE(good.ok()) << good.message();
  EXPECT_EQ(good.value().name, "mine");
  EXPECT_EQ(good.value().secondary, (std::vector<std::string>{"h", "atp"}));
  ASSERT_EQ(good.value().positions.size(), 2u);
  EXPECT_EQ(good.value().positions[1].second, (std::array<double, 2>{150, -3}));
  EXPECT_EQ(good.value().lines, (std::vector<int>{5, 6}));

  struct Case {
    const char* text;
    const char* message;
    int line, column;
  };
  for (const Case& c : {Case{"metabolite\tx\ty\nA\tleft\t0\n", "x 'left' is not a number", 2, 3},
                        Case{"metabolite\tx\ty\nA\t0\tinf\n", "y 'inf' is not a number", 2, 5},
                        Case{"metabolite\tx\ty\nA\t0\t0\nA\t1\t1\n", "'A' is placed twice (first on line 2)", 3, 1},
                        Case{"metabolite\tx\n", "y", 1, 0},
                        Case{"#! colour: red\nmetabolite\tx\ty\nA\t0\t0\n", "unknown directive 'colour'", 1, 4},
                        Case{"metabolite\tx\ty\n", "no positions", 0, 0},
                        Case{"", "empty table", 0, 0}}) {
    SCOPED_TRACE(c.text);
    const auto r = io::read_map_layout(c.text, "l.tsv");
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(has(r.message(), c.message)) << r.message();
    const auto& first = r.diagnostics().front();
    EXPECT_EQ(first.source, "l.tsv");
    if (c.line) {
      EXPECT_EQ(first.line, c.line) << r.message();
    }
    if (c.column) {
      EXPECT_EQ(first.column, c.column) << r.message();
    }
  }
}
