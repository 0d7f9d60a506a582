// scFEA: network files in their three layouts and their traps, and the trainer: a tiny
// network whose optimum is known, determinism, batch and chunk sizes, all-zero cells,
// and scFEA's example (M168 on Melissa_full.csv) against scFEA's own final loss.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "fluxion/io/cell_matrix.hpp"
#include "fluxion/io/scfea_network.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/scflux/derive_network.hpp"
#include "fluxion/scflux/groups.hpp"
#include "fluxion/scflux/results.hpp"
#include "fluxion/scflux/magic.hpp"
#include "fluxion/scflux/scfea.hpp"
#include "module_layer.hpp"

using namespace fluxion;
namespace fs = std::filesystem;

namespace {

const std::string kData = FLUXION_SHARED_DATA;

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("fluxion_scflux_" + std::to_string(std::random_device{}()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return (path / name).string();
  }
};

// A → (M_1) → B → (M_2) → C, and B → (M_3) → D: B is the one intermediate, so the
// balance says M_1 = M_2 + M_3.
io::ScfeaNetwork chain(const TempDir& dir) {
  io::ScfeaNetworkFiles f;
  f.module_genes = dir.write("module_gene_chain.csv", "1,A,A,A\nM_1,G1,G2\nM_2,G3\nM_3,G4,G4,G5\n");
  f.stoichiometry = dir.write("cmMat_chain.csv", "1,-1,-1\n");
  f.compound_names = dir.write("cName_chain.csv", "\"B\"\n\"C00001\"\n");
  auto net = io::load_scfea_network(f);
  EXPECT_TRUE(net.ok()) << net.message();
  return std::move(net).value();
}

TEST(ScfeaNetworkReader, JsonNumberOverflowIsAnError) {
  auto net = io::read_scfea_network({"f_modules_genes.json", "cmMat_f.csv", "", ""}, R"({"M_1": [1e999]})", "1\n");
  ASSERT_FALSE(net.ok());
  EXPECT_NE(net.message().find("not JSON"), std::string::npos) << net.message();
}

// cells drawn with a fixed seed; genes G1..G5 plus one off-network gene. `shared`: every
// gene follows one activity per cell (5 % noise), so that balanced fluxes exist.
scflux::CellMatrix cells(std::size_t n, std::uint64_t seed, bool zero_first = false, bool shared = false) {
  scflux::CellMatrix c;
  c.genes = {"G1", "G2", "G3", "G4", "G5", "OTHER"};
  std::mt19937_64 rng(seed);
  std::gamma_distribution<float> gamma(2.0f, 2.0f);
  std::vector<Eigen::Triplet<float>> t;
  for (std::size_t i = 0; i < n; ++i) {
    c.cells.push_back("cell" + std::to_string(i));
    if (zero_first && i == 0) continue;
    const float activity = gamma(rng);
    std::normal_distribution<float> noise(1.0f, 0.05f);
    for (int g = 0; g < 6; ++g) t.emplace_back(static_cast<int>(i), g, shared ? activity * std::max(0.0f, noise(rng)) : gamma(rng));
  }
  c.values.resize(static_cast<Eigen::Index>(n), 6);
  c.values.setFromTriplets(t.begin(), t.end());
  return c;
}

}  // namespace

// Reading only the network's genes (what `fluxion scflux` does without --impute) gives the
// fluxes of the whole matrix, for every normalisation: the left-out genes
// still count in library sizes and in scFEA's total activity through their per-cell totals.
TEST(ScfeaOnlyNetworkGenes, SameFluxesAsTheWholeMatrix) {
  TempDir dir;
  const auto net = chain(dir);
  auto whole = cells(40, 9);
  for (Eigen::Index k = 0; k < whole.values.nonZeros(); ++k) whole.values.valuePtr()[k] *= 40.0f;  // above 50: auto takes log2
  std::string csv = "gene";
  for (const auto& c : whole.cells) csv += "," + c;
  csv += "\n";
  const Eigen::MatrixXf dense = Eigen::MatrixXf(whole.values);
  for (std::size_t g = 0; g < whole.genes.size(); ++g) {
    csv += whole.genes[g];
    for (Eigen::Index i = 0; i < dense.rows(); ++i) {
      char buf[32];
      std::snprintf(buf, sizeof buf, ",%.9g", static_cast<double>(dense(i, static_cast<Eigen::Index>(g))));
      csv += buf;
    }
    csv += "\n";
  }
  const std::string path = dir.write("cells.csv", csv);
  io::CellMatrixOptions all, only;
  only.only_genes = {"G1", "G2", "G3", "G4", "G5"};
  auto a = io::load_cell_matrix(path, all), b = io::load_cell_matrix(path, only);
  ASSERT_TRUE(a.ok() && b.ok()) << a.message() << b.message();
  ASSERT_EQ(b.value().genes.size(), 5u);
  ASSERT_EQ(b.value().others.n_genes, 1u);
  for (auto norm : {scflux::Normalisation::automatic, scflux::Normalisation::none, scflux::Normalisation::cpm, scflux::Normalisation::log_cpm}) {
    {  // scfea mode: the total activity over every gene (paper mode takes the network's genes only)
      scflux::ScfeaOptions o;
      o.epochs = 150;  // long enough for the L1 scale term to reach its targets (its gradient is a sign)
      o.threads = 1;
      o.normalisation = norm;
      auto ra = scflux::run_scfea(net, a.value(), o), rb = scflux::run_scfea(net, b.value(), o);
      ASSERT_TRUE(ra.ok() && rb.ok()) << ra.message() << rb.message();
      EXPECT_EQ(ra.value().normalisation_applied, rb.value().normalisation_applied);
      const double scale = std::max(1e-6f, ra.value().flux.cwiseAbs().maxCoeff());
      EXPECT_LT((ra.value().flux - rb.value().flux).cwiseAbs().maxCoeff(), 1e-4 * scale) << scflux::to_string(norm);
    }
  }
  // the test has power: without the left-out gene's totals the fluxes differ
  io::CellMatrix forgetful = b.value();
  forgetful.others = {};
  scflux::ScfeaOptions o;
  o.epochs = 150;  // long enough for the L1 scale term to reach its targets (its gradient is a sign)
  o.threads = 1;
  auto ra = scflux::run_scfea(net, a.value(), o), rc = scflux::run_scfea(net, forgetful, o);
  ASSERT_TRUE(ra.ok() && rc.ok());
  EXPECT_GT((ra.value().flux - rc.value().flux).cwiseAbs().maxCoeff(), 1e-2 * ra.value().flux.cwiseAbs().maxCoeff());
  scflux::ScfeaOptions impute;
  impute.impute = true;
  auto refused = scflux::run_scfea(net, b.value(), impute);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("MAGIC imputation needs every gene"), std::string::npos) << refused.message();
}

TEST(ScfeaNetwork, ReferenceLayout) {
  TempDir dir;
  const auto net = chain(dir);
  ASSERT_EQ(net.modules.size(), 3u);
  EXPECT_EQ(net.modules[2].genes, (std::vector<std::string>{"G4", "G4", "G5"}));  // as listed
  EXPECT_EQ(net.n_genes(), 5u);
  EXPECT_EQ(net.compounds, std::vector<std::string>{"B"});
  EXPECT_EQ(net.compound_ids, std::vector<std::string>{"C00001"});
  EXPECT_EQ(net.matrix(0, 0), 1.0);
  EXPECT_EQ(net.matrix(0, 2), -1.0);
}

TEST(ScfeaNetwork, ScfluxLayoutNamesRowsFromModuleInformation) {
  TempDir dir;
  // GMT with CRLF and a BOM, a module without genes (left out, as the matrix leaves it out);
  // module information with names under C_in and ids under C_in_name (the usual swap)
  dir.write("scFEA.Chain.human.v1.symbols.gmt", "\xEF\xBB\xBFM_1\tA_B\tG1\tG2\r\nM_9\tempty\r\nM_2\tB_C\tG3\r\nM_3\tB_D\tG4\r\n");
  dir.write("cmMat_Chain_human_c1_m3.csv", "1.0,-1.0,-1.0\r\n");
  dir.write("scFEA.Chain.human.moduleinfo.csv",
            "\"M_id\",\"M_name\",\"C_in\",\"C_in_name\",\"C_out\",\"C_out_name\",\"SM_id\"\n"
            "\"M_1\",\"A_B\",\"Alpha\",\"C00010\",\"Beta\",\"C00020\",1\n"
            "\"M_2\",\"B_C\",\"Beta\",\"C00020\",\"Gamma\",\"C00030\",1\n"
            "\"M_3\",\"B_D\",\"Beta\",\"C00020\",\"Delta+Epsilon\",\"C00040+C00050\",2\n");
  auto net = io::load_scfea_network_directory(dir.path.string());
  ASSERT_TRUE(net.ok()) << net.message();
  ASSERT_EQ(net.value().modules.size(), 3u);
  EXPECT_EQ(net.value().modules[1].id, "M_2");
  EXPECT_EQ(net.value().compounds, std::vector<std::string>{"Beta"});
  EXPECT_EQ(net.value().compound_ids, std::vector<std::string>{"C00020"});
  EXPECT_EQ(net.value().modules[2].outputs, (std::vector<std::string>{"Delta", "Epsilon"}));
  EXPECT_EQ(net.value().modules[2].supermodule, 2);
  EXPECT_EQ(net.value().name, dir.path.filename().string());
}

TEST(ScfeaNetwork, NamedMatrixAndJsonGenes) {
  TempDir dir;
  io::ScfeaNetworkFiles f;
  f.module_genes = dir.write("X_modules_genes.json", R"({"M_1": ["G1", "G2"], "M_2": ["G3"], "M_3": ["G4"]})");
  // columns in another order than the modules: they are put in module order
  f.stoichiometry = dir.write("X_cmMat.csv", ",M_3,M_1,M_2\nB,-1,1,-1\n");
  auto net = io::load_scfea_network(f);
  ASSERT_TRUE(net.ok()) << net.message();
  EXPECT_EQ(net.value().compounds, std::vector<std::string>{"B"});
  EXPECT_EQ(net.value().matrix(0, 0), 1.0);
  EXPECT_EQ(net.value().matrix(0, 2), -1.0);
}

TEST(ScfeaNetwork, ErrorsNameFileAndLine) {
  TempDir dir;
  io::ScfeaNetworkFiles f;
  f.module_genes = dir.write("module_gene_x.csv", "M_1,G1\nM_2,G2\nM_1,G3\n");
  f.stoichiometry = dir.write("cmMat_x.csv", "1,-1\n1,x\n0\n");
  auto bad = io::load_scfea_network(f);
  ASSERT_FALSE(bad.ok());
  const auto msg = bad.message();
  EXPECT_NE(msg.find("module_gene_x.csv:3:1: error: module 'M_1' is listed twice"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cmMat_x.csv:2:3: error: 'x' is not a number"), std::string::npos) << msg;  // line 2, column 3
  EXPECT_NE(msg.find("cmMat_x.csv:3:1: error: this row has 1 entries, the first 2"), std::string::npos) << msg;

  // the matrix of another network (scFLUX's swapped glucose-glutamine files): width mismatch
  f.module_genes = dir.write("module_gene_y.csv", "M_1,G1\nM_2,G2\nM_3,G3\n");
  f.stoichiometry = dir.write("cmMat_y.csv", "1,-1\n");
  auto wide = io::load_scfea_network(f);
  ASSERT_FALSE(wide.ok());
  EXPECT_NE(wide.message().find("the matrix has 2 columns but"), std::string::npos) << wide.message();

  f.stoichiometry = dir.write("cmMat_z.csv", "1,-1,0\n");
  f.compound_names = dir.write("cName_z.csv", "A,B\nC1,C2\n");
  auto names = io::load_scfea_network(f);
  ASSERT_FALSE(names.ok());
  EXPECT_NE(names.message().find("2 compound names for the 1 rows"), std::string::npos) << names.message();

  EXPECT_FALSE(io::load_scfea_network_directory((dir.path / "nope").string()).ok());
  auto two = io::load_scfea_network_directory(dir.path.string());  // several cmMat files here
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.message().find("more than one"), std::string::npos) << two.message();
}

TEST(ScfeaNetwork, ReadsEveryShippedNetwork) {
  const std::string base = kData + "/scfea";
  if (!fs::exists(base)) GTEST_SKIP() << base << " not present";
  const std::string ref = base + "/changwn_scFEA/data/";
  struct Case {
    io::ScfeaNetworkFiles files;
    std::size_t modules, compounds;
  };
  const std::vector<Case> cases{
      {{ref + "module_gene_m168.csv", ref + "cmMat_c70_m168.csv", ref + "cName_c70_m168.csv", ref + "Human_M168_information.symbols.csv"}, 168, 70},
      {{ref + "module_gene_complete_mouse_m168.csv", ref + "cmMat_complete_mouse_c70_m168.csv", ref + "cName_complete_mouse_c70_m168.csv", ""}, 168, 70},
      {{ref + "module_gene_glutaminolysis1_m23.csv", ref + "cmMat_glutaminolysis1_c17_m23.csv", ref + "cName_glutaminolysis1_c17_m23.csv",
        ref + "module_info_GLM1.csv"},
       23, 17},
      {{ref + "module_gene_iron_m15.csv", ref + "cmMat_iron_c8_m15.csv", ref + "cName_iron_c8_m15.csv", ""}, 15, 8},
  };
  for (const auto& c : cases) {
    auto net = io::load_scfea_network(c.files);
    ASSERT_TRUE(net.ok()) << net.message();
    EXPECT_EQ(net.value().modules.size(), c.modules) << c.files.module_genes;
    EXPECT_EQ(net.value().compounds.size(), c.compounds) << c.files.module_genes;
  }
  auto m168 = io::load_scfea_network(cases[0].files);
  EXPECT_EQ(m168.value().n_genes(), 663u);  // the notes: 663 human genes
  EXPECT_EQ(m168.value().modules[0].supermodule, 1);

  // scFLUX folders: the orders of intermediates the notes list, derived from moduleinfo
  const std::string sc = base + "/TrustMLRG_SNODEP/GSE_to_di_csv/scFEA_data/";
  const std::vector<std::pair<std::string, std::vector<std::string>>> orders{
      {"dopamine", {"Tyrosine", "L-Dopa", "Noradrenaline", "Adrenaline", "Dopamine"}},
      {"histamine", {"Histidine", "Carnosine", "Histamine"}},
      {"serotonin", {"Tryptophan", "Oxitriptan", "Serotonin", "Melatonin"}},
      {"ironion", {"Fe2_ecm", "Fe2_cyto", "Fe3_lyso", "Heme_phago", "Fe2_mito", "Heme_mito", "OH", "Fe3_cyto"}},
      {"glucose-tcacycle",
       {"2OG", "3PD", "Citrate", "Fumarate", "G3P", "G6P", "Malate", "Oxaloacetate", "Pyruvate", "Succinate", "Succinyl-CoA"}},
  };
  for (const auto& [dir, expected] : orders) {
    auto net = io::load_scfea_network_directory(sc + dir);
    ASSERT_TRUE(net.ok()) << dir << ": " << net.message();
    EXPECT_EQ(net.value().compounds, expected) << dir;
  }
  // M171 in scFLUX's form: the reference M168 (its rows in cName's order, as the notes say)
  auto m171 = io::load_scfea_network_directory(sc + "m171");
  ASSERT_TRUE(m171.ok()) << m171.message();
  EXPECT_EQ(m171.value().modules.size(), 168u);
  ASSERT_EQ(m171.value().compounds.size(), 70u);
  // the same compound (KEGG id) on every row; named as most modules spell it, which is
  // cName's name but for case ("Lysine") and two: "Citruline", "Glucose-6-phosphate" (G6P)
  std::size_t same_name = 0;
  for (std::size_t k = 0; k < 70; ++k) {
    std::string a = m171.value().compounds[k], b = m168.value().compounds[k];
    for (auto* s : {&a, &b})
      for (auto& ch : *s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    same_name += a == b;
    EXPECT_EQ(m171.value().compound_ids[k], m168.value().compound_ids[k]) << k;
  }
  EXPECT_EQ(same_name, 68u);
}

TEST(Scfea, LearnsABalancedChain) {
  TempDir dir;
  const auto net = chain(dir);
  const auto c = cells(60, 1, false, true);
  scflux::ScfeaOptions o;
  o.epochs = 400;
  o.learning_rate = 0.02;
  o.threads = 1;
  auto r = scflux::run_scfea(net, c, o);
  ASSERT_TRUE(r.ok()) << r.message();
  const auto& res = r.value();
  ASSERT_EQ(res.flux.rows(), 60);
  ASSERT_EQ(res.flux.cols(), 3);
  EXPECT_EQ(res.genes_used, 5u);
  EXPECT_EQ(res.genes_found, (std::vector<std::size_t>{2, 1, 2}));
  EXPECT_LT(res.loss.back().total, 0.2 * res.loss.front().total);
  // the balance term drives M_1 ≈ M_2 + M_3 in every cell; balance.csv is F·cmᵀ
  for (Eigen::Index i = 0; i < 60; ++i)
    EXPECT_NEAR(res.balance(i, 0), res.flux(i, 0) - res.flux(i, 1) - res.flux(i, 2), 1e-5);
  // balanced fluxes exist here (every gene follows one activity per cell): with the scale
  // term Σ_m F = s_j (mean 1) and F_1 = F_2 + F_3, F_1 is about s_j / 2
  EXPECT_LT(res.balance.cwiseAbs().mean(), 0.1 * res.flux.col(0).cwiseAbs().mean());
  EXPECT_NEAR(res.flux.col(0).mean(), 0.5, 0.05);
  // the scale term: the fluxes of a cell add up to about its relative total expression
  EXPECT_NEAR(res.flux.sum() / 60.0, 1.0, 0.1);
  EXPECT_EQ(res.loss.back().nonnegative, 0.0);
}

TEST(Scfea, DeterministicAndChunkInvariant) {
  TempDir dir;
  const auto net = chain(dir);
  const auto c = cells(50, 2);
  scflux::ScfeaOptions o;
  o.epochs = 30;
  o.threads = 1;
  auto a = scflux::run_scfea(net, c, o), b = scflux::run_scfea(net, c, o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.value().flux, b.value().flux);  // same seed, same threads: the same bits
  // chunks only split the sum of the full-batch gradient: the same training, up to float rounding
  o.chunk_size = 7;
  auto chunked = scflux::run_scfea(net, c, o);
  ASSERT_TRUE(chunked.ok());
  EXPECT_LT((chunked.value().flux - a.value().flux).cwiseAbs().maxCoeff(), 1e-4);
  EXPECT_NEAR(chunked.value().loss.back().total, a.value().loss.back().total, 1e-3 * a.value().loss.back().total);
  o.chunk_size = 2048;
  o.seed = 17;
  auto other = scflux::run_scfea(net, c, o);
  EXPECT_GT((other.value().flux - a.value().flux).cwiseAbs().maxCoeff(), 1e-3);
}

TEST(Scfea, EveryCellPredictedWhateverTheBatchSize) {
  // scFEA predicted only the last batch and left zeros elsewhere (its issue #35)
  TempDir dir;
  const auto net = chain(dir);
  const auto c = cells(70, 3);
  scflux::ScfeaOptions o;
  o.epochs = 20;
  o.batch_size = 16;
  o.threads = 1;
  auto r = scflux::run_scfea(net, c, o);
  ASSERT_TRUE(r.ok()) << r.message();
  std::size_t zero_rows = 0;
  for (Eigen::Index i = 0; i < 70; ++i) zero_rows += r.value().flux.row(i).cwiseAbs().maxCoeff() == 0.0f;
  EXPECT_EQ(zero_rows, 0u);
  // and they are the networks' answers for those cells: a full inference of the same
  // weights cannot be told apart from a cell's own row (rows differ by cell)
  EXPECT_GT((r.value().flux.row(0) - r.value().flux.row(69)).cwiseAbs().maxCoeff(), 0.0f);
}

TEST(Scfea, AllZeroCellsAndEmptyModulesStayFinite) {
  // scFEA: a cell with no expression made the correlation 0/0 and every weight NaN (#18, #40)
  TempDir dir;
  io::ScfeaNetworkFiles f;
  f.module_genes = dir.write("module_gene_z.csv", "M_1,G1,G2\nM_2,G3\nM_3,G4,G5\nM_4,NOT_MEASURED\n");
  f.stoichiometry = dir.write("cmMat_z.csv", "1,-1,-1,0\n0,0,1,-1\n");
  auto net = io::load_scfea_network(f);
  ASSERT_TRUE(net.ok()) << net.message();
  const auto c = cells(30, 4, /*zero_first=*/true);
  scflux::ScfeaOptions o;
  o.epochs = 40;
  o.threads = 1;
  for (auto mode : {scflux::LossMode::scfea}) {
    o.mode = mode;
    auto r = scflux::run_scfea(net.value(), c, o);
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_TRUE(r.value().flux.allFinite());
    EXPECT_TRUE(r.value().balance.allFinite());
    for (const auto& l : r.value().loss) EXPECT_TRUE(std::isfinite(l.total));
    EXPECT_EQ(r.value().genes_found[3], 0u);
    // a module with no measured gene: one constant flux for every cell
    EXPECT_FLOAT_EQ(r.value().flux.col(3).minCoeff(), r.value().flux.col(3).maxCoeff());
  }
}

TEST(Scfea, ClearErrors) {
  TempDir dir;
  const auto net = chain(dir);
  scflux::ScfeaOptions o;
  o.epochs = 2;
  auto few = scflux::run_scfea(net, cells(10, 5), o);
  ASSERT_FALSE(few.ok());
  EXPECT_NE(few.message().find("10 samples; scFEA needs at least 25"), std::string::npos) << few.message();
  auto c = cells(30, 5);
  for (auto& g : c.genes) g = "x" + g;
  auto none = scflux::run_scfea(net, c, o);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.message().find("none of the network's 5 genes is in the expression data"), std::string::npos) << none.message();
  o.mode = scflux::LossMode::paper;
  auto paper = scflux::run_scfea(net, cells(30, 5), o);
  ASSERT_FALSE(paper.ok());
  EXPECT_NE(paper.message().find("super-modules"), std::string::npos) << paper.message();
}

TEST(Scfea, MelissaM168FinalLossNoWorseThanScfea) {
  // scFEA's example: 162 cells, M168; scFEA's own run ends at a loss of about 12.6 after
  // 100 epochs (../shared/notes/scfea.md). Training oscillates at that learning rate, so
  // the median of three seeds is held to it.
  const std::string ref = kData + "/scfea/changwn_scFEA/";
  if (!fs::exists(ref + "input/Melissa_full.csv")) GTEST_SKIP() << ref << " not present";
  auto net = io::load_scfea_network({ref + "data/module_gene_m168.csv", ref + "data/cmMat_c70_m168.csv", ref + "data/cName_c70_m168.csv",
                                     ref + "data/Human_M168_information.symbols.csv"});
  ASSERT_TRUE(net.ok()) << net.message();
  auto table = io::load_expression_table(ref + "input/Melissa_full.csv");
  ASSERT_TRUE(table.ok()) << table.message();
  const auto c = scflux::cells_from_table(table.value());
  std::vector<double> finals;
  for (std::uint64_t seed : {16, 1, 2}) {
    scflux::ScfeaOptions o;
    o.seed = seed;
    o.threads = 2;
    auto r = scflux::run_scfea(net.value(), c, o);
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r.value().genes_used, 374u);  // the notes: G = 374
    finals.push_back(r.value().loss.back().total);
  }
  std::sort(finals.begin(), finals.end());
  EXPECT_LE(finals[1], 12.6) << finals[0] << " " << finals[1] << " " << finals[2];
}

TEST(ScfeaModuleLayer, ForwardAndGradientMatchDenseFormulationAndFiniteDifferences) {
  // 3 modules over 5 genes, one gene in two modules, a module with no gene; cells with zeros
  scflux::detail::Packing p;
  p.gene = {0, 2, 2, 3, 4};
  p.module = {0, 0, 1, 1, 1};
  p.modules = 3;
  torch::manual_seed(3);
  auto x = torch::rand({70, 5}, torch::kFloat64);
  x.index_put_({torch::indexing::Slice(0, 70, 3), 2}, 0.0);
  auto w = torch::randn({5, 4}, torch::kFloat64).requires_grad_(true);
  auto h = scflux::detail::module_layer(x, w, p);
  ASSERT_EQ(h.sizes(), (std::vector<std::int64_t>{70, 3, 4}));
  // the dense formulation: h[b, m, k] = Σ_t [module(t) = m] x[b, gene(t)] w[t, k]
  auto onehot = torch::zeros({5, 3}, torch::kFloat64);
  for (int t = 0; t < 5; ++t) onehot[t][p.module[static_cast<std::size_t>(t)]] = 1.0;
  auto picked = x.index_select(1, torch::tensor(p.gene));
  auto w2 = w.detach().clone().requires_grad_(true);
  auto dense = torch::einsum("bt,tm,tk->bmk", {picked, onehot, w2});
  EXPECT_LT((h - dense).abs().max().item<double>(), 1e-12);
  EXPECT_EQ(h.select(1, 2).abs().max().item<double>(), 0.0);  // no gene: no input
  // a scalar of h with an uneven weight per output, through both
  auto weights = torch::randn({70, 3, 4}, torch::kFloat64);
  (h.tanh() * weights).sum().backward();
  (dense.tanh() * weights).sum().backward();
  EXPECT_LT((w.grad() - w2.grad()).abs().max().item<double>(), 1e-10);
  // central finite differences, every weight
  torch::NoGradGuard no_grad;
  auto f = [&](const torch::Tensor& wt) { return (scflux::detail::module_layer(x, wt, p).tanh() * weights).sum().item<double>(); };
  const double eps = 1e-6;
  auto base = w.detach().clone();
  double worst = 0.0;
  for (int t = 0; t < 5; ++t)
    for (int k = 0; k < 4; ++k) {
      auto plus = base.clone(), minus = base.clone();
      plus[t][k] += eps;
      minus[t][k] -= eps;
      const double fd = (f(plus) - f(minus)) / (2 * eps);
      worst = std::max(worst, std::fabs(fd - w.grad()[t][k].item<double>()) / std::max(1.0, std::fabs(fd)));
    }
  EXPECT_LT(worst, 1e-7);
  // the same in float, and the same gradient with 1 and 2 threads (fixed cell ranges)
  const int before = torch::get_num_threads();
  std::vector<torch::Tensor> g;
  for (int threads : {1, 2}) {
    torch::set_num_threads(threads);
    torch::AutoGradMode on(true);
    auto wf = base.to(torch::kFloat32).requires_grad_(true);
    (scflux::detail::module_layer(x.to(torch::kFloat32), wf, p).tanh() * weights.to(torch::kFloat32)).sum().backward();
    g.push_back(wf.grad().to(torch::kFloat64));
  }
  torch::set_num_threads(before);
  EXPECT_LT((g[0] - w.grad()).abs().max().item<double>(), 1e-4);
  EXPECT_LT((g[1] - w.grad()).abs().max().item<double>(), 1e-4);
}

TEST(ScfeaGroups, RankTestsMatchHandComputedValues) {
  // U = 0 for fully separated samples of 4 and 5: z = (0 − 10 + 0.5) / √(50/3); R's
  // wilcox.test(exact = FALSE) gives p = 0.01996
  double u = -1;
  EXPECT_NEAR(scflux::mann_whitney_p({1.1, 2.2, 3.3, 4.4}, {5.5, 6.6, 7.7, 8.8, 9.9}, &u), std::erfc(9.5 / std::sqrt(50.0 / 3) / std::sqrt(2.0)), 1e-12);
  EXPECT_NEAR(scflux::mann_whitney_p({1.1, 2.2, 3.3, 4.4}, {5.5, 6.6, 7.7, 8.8, 9.9}), 0.01996, 1e-5);
  EXPECT_EQ(u, 0.0);
  // ties: a = {1, 2, 2}, b = {2, 3}: ranks 1, 3, 3 | 3, 5; U = 7 − 6 = 1; Σ(t³ − t) = 24;
  // var = 6/12 · (6 − 24/20) = 2.4; z = (1 − 3 + 0.5)/√2.4
  EXPECT_NEAR(scflux::mann_whitney_p({1, 2, 2}, {2, 3}, &u), std::erfc(std::fabs(-1.5 / std::sqrt(2.4)) / std::sqrt(2.0)), 1e-12);
  EXPECT_EQ(u, 1.0);
  // signed rank, 1..5: W+ = 15, z = (15 − 7.5 − 0.5)/√13.75 → p = 0.05906 (R, exact = FALSE)
  double w = 0;
  EXPECT_NEAR(scflux::signed_rank_p({1, 2, 3, 4, 5}, &w), std::erfc(7.0 / std::sqrt(13.75) / std::sqrt(2.0)), 1e-12);
  EXPECT_NEAR(scflux::signed_rank_p({1, 2, 3, 4, 5}), 0.05906, 1e-5);
  EXPECT_EQ(w, 15.0);
  // zeros dropped, ties: {0, 1, 1, 2, −3}: W+ = 6, var = 7.5 − 6/48, z = 0.5/√7.375
  EXPECT_NEAR(scflux::signed_rank_p({0, 1, 1, 2, -3}, &w), std::erfc(0.5 / std::sqrt(7.375) / std::sqrt(2.0)), 1e-12);
  EXPECT_EQ(w, 6.0);
  EXPECT_EQ(scflux::signed_rank_p({0, 0}), 1.0);
  const auto q = scflux::benjamini_hochberg({0.01, 0.04, 0.03, 0.5});
  EXPECT_NEAR(q[0], 0.04, 1e-12);
  EXPECT_NEAR(q[1], 0.04 * 4 / 3, 1e-12);
  EXPECT_NEAR(q[2], 0.04 * 4 / 3, 1e-12);
  EXPECT_NEAR(q[3], 0.5, 1e-12);
}

TEST(ScfeaGroups, ModulesAndMetabolitesThatDiffer) {
  // 12 cells of A, 12 of B, 2 of C (too few: left out), 1 unlabelled. Module 0 is higher in
  // A than anywhere else; module 1 does not differ. Compound 0 accumulates in A (balance
  // > 0 in every A cell), depletes in B; compound 1 hovers around 0.
  const int n = 27;
  Eigen::MatrixXf flux(n, 2), balance(n, 2);
  std::vector<std::string> labels;
  for (int c = 0; c < n; ++c) {
    const std::string g = c < 12 ? "A" : c < 24 ? "B" : c < 26 ? "C" : "";
    labels.push_back(g);
    flux(c, 0) = g == "A" ? 10.0f + static_cast<float>(c) : static_cast<float>(c % 5);
    flux(c, 1) = static_cast<float>((c * 7) % 11);
    balance(c, 0) = g == "A" ? 0.5f + 0.1f * static_cast<float>(c) : -1.0f - 0.1f * static_cast<float>(c);
    balance(c, 1) = (c % 2 ? 1.0f : -1.0f) * static_cast<float>(c % 3 + 1);
  }
  auto r = scflux::compare_groups(flux, balance, labels);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_NE(r.message().find("group 'C' has 2 cells"), std::string::npos) << r.message();
  const auto& g = r.value();
  ASSERT_EQ(g.groups, (std::vector<std::string>{"A", "B"}));
  ASSERT_EQ(g.modules.size(), 4u);
  EXPECT_EQ(g.modules[0].group, "A");
  EXPECT_EQ(g.modules[0].n_in, 12u);
  EXPECT_EQ(g.modules[0].n_out, 12u);  // B only: C and the unlabelled cell take no part
  EXPECT_DOUBLE_EQ(g.modules[0].effect, 1.0);
  EXPECT_LT(g.modules[0].q, 1e-3);
  EXPECT_DOUBLE_EQ(g.modules[2].effect, -1.0);  // B against A
  EXPECT_GT(g.modules[1].p, 0.2);
  ASSERT_EQ(g.balances.size(), 4u);
  EXPECT_EQ(g.balances[0].call, "accumulated");
  EXPECT_DOUBLE_EQ(g.balances[0].positive, 1.0);
  EXPECT_EQ(g.balances[1].call, "neither");
  EXPECT_EQ(g.balances[2].call, "depleted");
  auto none = scflux::compare_groups(flux, balance, std::vector<std::string>(n, "A"));
  EXPECT_FALSE(none.ok());

  // drawn: the heat map holds each tested module once per group (effects, q < 0.05
  // marked), the volcano plot every test, with the module that differs labelled
  io::ScfeaNetwork net;
  net.modules = {{"M_1", "up_in_A", {}, {}, {}, 0}, {"M_2", "flat", {}, {}, {}, 0}};
  net.compounds = {"x", "y"};
  const auto files = scflux::group_files(net, g);
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(files[2].first, "groups_heatmap.svg");
  EXPECT_EQ(files[3].first, "groups_volcano.svg");
  const std::string& heat = files[2].second;
  auto count = [](const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count(heat, "<rect x="), 2u * 2u + 24u);  // 2 modules × 2 groups, and the legend's 24 steps
  EXPECT_EQ(count(heat, "r=\"2.5\""), 2u + 1u);       // M_1 differs in A and in B; the legend's mark
  EXPECT_NE(heat.find("M_1 up_in_A: mean flux"), std::string::npos);
  EXPECT_LT(heat.find(">M_1 up_in_A</text>"), heat.find(">M_2 flat</text>")) << "M_1 (lowest q) is the first row";
  const std::string& volcano = files[3].second;
  EXPECT_EQ(count(volcano, "<circle cx="), 4u + 2u);  // 4 tests, 2 legend entries
  EXPECT_NE(volcano.find(">M_1 (A)</text>"), std::string::npos);
  EXPECT_EQ(volcano.find(">M_2 ("), std::string::npos);  // not significant: not labelled
}

TEST(ScfeaDerive, UnbranchedChainsBecomeModules) {
  // glc → (HEX, atp → adp) g6p → (PGI) f6p → (PFK) fdp → (ALD) dhap + g3p; dhap → (TPI)
  // g3p; g3p → (GAPD, nad → nadh) pyr; pyr → (PEX) out of the system; pyr → (LDH) lac →
  // (LEX) out. g6p, f6p and fdp have one maker and one user: HEX…ALD is one chain, ending
  // where ALD branches into two products. pyr has two users (PEX counts though it is no
  // module), so GAPD and LDH stay apart. atp, adp, nad, nadh are currency.
  Model m;
  m.id = "toy";
  auto met = [&](const std::string& id) { return m.ensure_metabolite(id + "_c"); };
  for (const auto& id : {"glc", "g6p", "f6p", "fdp", "dhap", "g3p", "pyr", "lac", "atp", "adp", "nad", "nadh"}) met(id);
  for (auto& x : m.metabolites) x.compartment = "c";
  auto reaction = [&](const std::string& id, std::vector<std::string> from, std::vector<std::string> to, const std::string& gpr) {
    Reaction r;
    r.id = id;
    r.gpr = gpr;
    r.subsystem = id == "LDH" ? "Fermentation" : "Glycolysis";
    for (const auto& x : from) r.reactants.push_back(Participant{*m.metabolite_index(x + "_c"), 1.0, {}});
    for (const auto& x : to) r.products.push_back(Participant{*m.metabolite_index(x + "_c"), 1.0, {}});
    m.add_reaction(r);
  };
  reaction("GEX", {}, {"glc"}, "");
  reaction("HEX", {"glc", "atp"}, {"g6p", "adp"}, "HK1 or HK2");
  reaction("PGI", {"g6p"}, {"f6p"}, "GPI");
  reaction("PFK", {"f6p", "atp"}, {"fdp", "adp"}, "PFKL and PFKM");
  reaction("ALD", {"fdp"}, {"dhap", "g3p"}, "ALDOA");
  reaction("TPI", {"dhap"}, {"g3p"}, "TPI1");
  reaction("GAPD", {"g3p", "nad"}, {"pyr", "nadh"}, "GAPDH");
  reaction("PEX", {"pyr"}, {}, "");
  reaction("LDH", {"pyr", "nadh"}, {"lac", "nad"}, "LDHA");
  reaction("LEX", {"lac"}, {}, "");
  auto r = scflux::derive_network(m);
  ASSERT_TRUE(r.ok()) << r.message();
  const auto& d = r.value();
  ASSERT_EQ(d.reactions.size(), 4u);
  EXPECT_EQ(d.reactions[0], (std::vector<std::string>{"HEX", "PGI", "PFK", "ALD"}));
  EXPECT_EQ(d.reactions[1], std::vector<std::string>{"TPI"});
  EXPECT_EQ(d.reactions[2], std::vector<std::string>{"GAPD"});
  EXPECT_EQ(d.reactions[3], std::vector<std::string>{"LDH"});
  const auto& net = d.network;
  EXPECT_EQ(net.modules[0].genes, (std::vector<std::string>{"ALDOA", "GPI", "HK1", "HK2", "PFKL", "PFKM"}));
  EXPECT_EQ(net.modules[0].inputs, std::vector<std::string>{"glc_c"});
  EXPECT_EQ(net.modules[0].outputs, (std::vector<std::string>{"dhap_c", "g3p_c"}));
  EXPECT_EQ(net.modules[0].name, "HEX+…+ALD (4 reactions)");
  EXPECT_EQ(net.modules[1].name, "TPI");
  EXPECT_EQ(net.modules[0].supermodule, 1);
  EXPECT_EQ(net.modules[3].supermodule, 2);
  // intermediates: dhap (M1 → M2), g3p (M1, M2 → M3), pyr (M3 → M4)
  EXPECT_EQ(net.compound_ids, (std::vector<std::string>{"dhap_c", "g3p_c", "pyr_c"}));
  Eigen::MatrixXd expected(3, 4);
  expected << 1, -1, 0, 0,  //
      1, 1, -1, 0,          //
      0, 0, 1, -1;
  EXPECT_EQ(net.matrix, expected);
  EXPECT_NE(std::find(d.currency.begin(), d.currency.end(), "atp_c"), d.currency.end());
  // written out and read back, it is the same network
  TempDir dir;
  dir.write("modules.gmt", io::write_gmt(net));
  dir.write("cmMat.csv", io::write_stoichiometry(net));
  dir.write("cName.csv", io::write_compound_names(net));
  dir.write("module_info.csv", io::write_module_info(net));
  auto back = io::load_scfea_network_directory(dir.path.string());
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(back.value().matrix, net.matrix);
  EXPECT_EQ(back.value().compounds, net.compounds);
  EXPECT_EQ(back.value().modules[0].genes, net.modules[0].genes);
  EXPECT_EQ(back.value().modules[0].outputs, net.modules[0].outputs);
  EXPECT_EQ(back.value().modules[3].supermodule, 2);
}

TEST(ScfeaDerive, GenomeScaleModel) {
  const std::string path = kData + "/bigg/RECON1.xml.gz";
  if (!fs::exists(path)) GTEST_SKIP() << path << " not present";
  auto model = io::load_model(path);
  ASSERT_TRUE(model.ok()) << model.message();
  auto r = scflux::derive_network(model.value());
  ASSERT_TRUE(r.ok()) << r.message();
  const auto& net = r.value().network;
  // every module has genes (symbols: RECON1's gene names), every matrix column says
  // something about the intermediates it touches, and the files read back
  EXPECT_GT(net.modules.size(), 500u);
  EXPECT_GT(net.compounds.size(), 200u);
  for (const auto& mod : net.modules) EXPECT_FALSE(mod.genes.empty()) << mod.id;
  std::size_t chains = 0;
  for (const auto& c : r.value().reactions) chains += c.size() > 1;
  EXPECT_GT(chains, 10u);
  bool has_symbol = false;
  for (const auto& mod : net.modules)
    for (const auto& g : mod.genes) has_symbol |= g == "HK1";
  EXPECT_TRUE(has_symbol);
}

TEST(ScfeaMagic, PrincipalComponentsMatchExactSvd) {
  std::mt19937_64 rng(5);
  std::gamma_distribution<float> gamma(1.5f, 2.0f);
  std::bernoulli_distribution zero(0.4);
  Eigen::MatrixXd dense(60, 30);
  std::vector<Eigen::Triplet<float>> t;
  for (int i = 0; i < 60; ++i)
    for (int j = 0; j < 30; ++j) {
      const float v = zero(rng) ? 0.0f : gamma(rng) * static_cast<float>(1 + (i % 3) * (j % 4));
      dense(i, j) = v;
      if (v != 0) t.emplace_back(i, j, v);
    }
  Eigen::SparseMatrix<float, Eigen::RowMajor> x(60, 30);
  x.setFromTriplets(t.begin(), t.end());
  Eigen::VectorXd sv;
  const Eigen::MatrixXd pcs = scflux::principal_components(x, 5, 1, &sv);
  const Eigen::MatrixXd centred = dense.rowwise() - dense.colwise().mean();
  Eigen::JacobiSVD<Eigen::MatrixXd> exact(centred, Eigen::ComputeThinU);
  for (int k = 0; k < 5; ++k) EXPECT_NEAR(sv(k), exact.singularValues()(k), 1e-8 * exact.singularValues()(0)) << k;
  // the scores span the same space: |u_k · score_k| = σ_k
  for (int k = 0; k < 5; ++k) EXPECT_NEAR(std::fabs(exact.matrixU().col(k).dot(pcs.col(k))), sv(k), 1e-6 * sv(0)) << k;
}

TEST(ScfeaMagic, DiffusionIsMarkovAndRestoresDropouts) {
  // two cell types of 40 cells with distinct profiles over 40 genes; 30 % of the entries
  // dropped out (set to 0). Diffusing over the cells' neighbour graph brings the values back
  // towards each type's profile.
  std::mt19937_64 rng(8);
  std::normal_distribution<double> noise(0.0, 0.3);
  std::bernoulli_distribution drop(0.3);
  const int n = 80, g = 40;
  Eigen::MatrixXd truth(n, g);
  std::vector<Eigen::Triplet<float>> t;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < g; ++j) {
      truth(i, j) = (i < 40) == (j < 20) ? 10.0 : 1.0;
      const double v = std::max(0.0, truth(i, j) + noise(rng));
      if (!drop(rng)) t.emplace_back(i, j, static_cast<float>(v));
    }
  Eigen::SparseMatrix<float, Eigen::RowMajor> x(n, g);
  x.setFromTriplets(t.begin(), t.end());
  scflux::MagicOptions o;
  o.n_pca = 10;
  auto p = scflux::magic_operator(x, o);
  ASSERT_TRUE(p.ok()) << p.message();
  const auto& P = p.value();
  for (int i = 0; i < n; ++i) EXPECT_NEAR(P.row(i).sum(), 1.0, 1e-12);
  // a symmetric kernel K = D·P with D the row sums of K: P(i, j)·P(j, i) ≥ 0 and the
  // pattern is symmetric
  const Eigen::MatrixXd dense = Eigen::MatrixXd(P);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) EXPECT_EQ(dense(i, j) > 0, dense(j, i) > 0);
  Eigen::MatrixXd before = Eigen::MatrixXd(x.cast<double>());
  Eigen::MatrixXd after = before;
  scflux::magic_diffuse(P, 3, after);
  // each cell's profile correlates with its type's true profile far better after diffusion
  auto mean_correlation = [&](const Eigen::MatrixXd& m) {
    double sum = 0;
    for (int i = 0; i < n; ++i) {
      const Eigen::RowVectorXd a = m.row(i).array() - m.row(i).mean(), b = truth.row(i).array() - truth.row(i).mean();
      sum += a.dot(b) / std::sqrt(a.squaredNorm() * b.squaredNorm());
    }
    return sum / n;
  };
  const double r_before = mean_correlation(before), r_after = mean_correlation(after);
  EXPECT_LT(r_before, 0.8);
  EXPECT_GT(r_after, 0.93) << r_before << " -> " << r_after;
  // most of each cell's weight stays within its type; with MAGIC's default decay (1) the
  // kernel is heavy-tailed, with the original paper's sharper one (decay 15) almost nothing crosses
  auto crossing = [&](const Eigen::SparseMatrix<double, Eigen::RowMajor>& m) {
    double across = 0;
    for (int i = 0; i < n; ++i)
      for (Eigen::SparseMatrix<double, Eigen::RowMajor>::InnerIterator it(m, i); it; ++it)
        if ((i < 40) != (it.col() < 40)) across += it.value();
    return across / n;
  };
  EXPECT_LT(crossing(P), 0.4);
  o.decay = 15;
  auto sharp = scflux::magic_operator(x, o);
  ASSERT_TRUE(sharp.ok());
  EXPECT_LT(crossing(sharp.value()), 0.01);
  Eigen::MatrixXd same = before;
  scflux::magic_diffuse(P, 0, same);
  EXPECT_EQ(same, before);
}

// Approximate neighbours (HNSW) against exact ones on 3,000 cells of 5 types with noise in 30
// principal dimensions: recall of the 100 nearest >= 0.95, and the imputed values (P³·X)
// correlate with the exact graph's at >= 0.99 — the thresholds the benchmark reports at
// 10k and 100k cells. "auto" is exact below its cell limit.
TEST(ScfeaMagic, ApproximateNeighboursRecallTheExactOnes) {
  std::mt19937_64 rng(21);
  std::normal_distribution<double> normal(0.0, 1.0);
  const int n = 3000, dims = 30, genes = 50;
  Eigen::MatrixXd centres(5, dims);
  for (int c = 0; c < 5; ++c)
    for (int j = 0; j < dims; ++j) centres(c, j) = 4 * normal(rng);
  Eigen::MatrixXd points(n, dims);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < dims; ++j) points(i, j) = centres(i % 5, j) + normal(rng);
  scflux::MagicOptions o;
  o.neighbours = "exact";
  std::string used;
  const auto exact = scflux::nearest_neighbours(points, 100, o, &used);
  EXPECT_EQ(used, "exact");
  o.neighbours = "hnsw";
  const auto approx = scflux::nearest_neighbours(points, 100, o, &used);
  EXPECT_EQ(used, "hnsw");
  std::size_t hits = 0, total = 0;
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(approx[static_cast<std::size_t>(i)].size(), 100U) << i;
    std::vector<Eigen::Index> want;
    for (const auto& [d2, j] : exact[static_cast<std::size_t>(i)]) want.push_back(j);
    std::sort(want.begin(), want.end());
    for (const auto& [d2, j] : approx[static_cast<std::size_t>(i)]) {
      EXPECT_NE(j, i);
      hits += std::binary_search(want.begin(), want.end(), j);
    }
    total += want.size();
    EXPECT_NEAR(approx[static_cast<std::size_t>(i)].front().first, (points.row(i) - points.row(approx[static_cast<std::size_t>(i)].front().second)).squaredNorm(), 1e-3);
  }
  const double recall = static_cast<double>(hits) / static_cast<double>(total);
  EXPECT_GE(recall, 0.95);
  RecordProperty("recall", std::to_string(recall));
  o.neighbours = "auto";
  scflux::nearest_neighbours(points, 10, o, &used);
  EXPECT_EQ(used, "exact");
  o.exact_up_to = 1000;
  scflux::nearest_neighbours(points, 10, o, &used);
  EXPECT_EQ(used, "hnsw");
  // imputed values: a gene matrix from the cells' types, diffused by each graph
  Eigen::MatrixXd profile(5, genes);
  for (int c = 0; c < 5; ++c)
    for (int j = 0; j < genes; ++j) profile(c, j) = std::exp(normal(rng));
  std::vector<Eigen::Triplet<float>> t;
  std::bernoulli_distribution drop(0.5);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < genes; ++j)
      if (!drop(rng)) t.emplace_back(i, j, static_cast<float>(profile(i % 5, j) * std::exp(0.3 * normal(rng))));
  Eigen::SparseMatrix<float, Eigen::RowMajor> x(n, genes);
  x.setFromTriplets(t.begin(), t.end());
  o.n_pca = 20;
  o.neighbours = "exact";
  auto pe = scflux::magic_operator(x, o);
  o.neighbours = "hnsw";
  auto pa = scflux::magic_operator(x, o);
  ASSERT_TRUE(pe.ok() && pa.ok());
  Eigen::MatrixXd ye = Eigen::MatrixXd(x.cast<double>()), ya = ye;
  scflux::magic_diffuse(pe.value(), 3, ye);
  scflux::magic_diffuse(pa.value(), 3, ya);
  const Eigen::ArrayXd a = Eigen::Map<const Eigen::ArrayXd>(ye.data(), ye.size()), b = Eigen::Map<const Eigen::ArrayXd>(ya.data(), ya.size());
  const double r = ((a - a.mean()) * (b - b.mean())).sum() / std::sqrt((a - a.mean()).square().sum() * (b - b.mean()).square().sum());
  EXPECT_GE(r, 0.99);
  RecordProperty("imputed_correlation", std::to_string(r));
  o.neighbours = "nearest";
  EXPECT_FALSE(scflux::magic_operator(x, o).ok());
}

TEST(ScfeaMagic, TrainingWithImputation) {
  TempDir dir;
  const auto net = chain(dir);
  const auto c = cells(40, 6, true);
  scflux::ScfeaOptions o;
  o.epochs = 20;
  o.threads = 1;
  o.impute = true;
  o.magic.n_pca = 4;
  auto r = scflux::run_scfea(net, c, o);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_TRUE(r.value().flux.allFinite());
  EXPECT_NE(r.value().normalisation_applied.find("MAGIC"), std::string::npos);
  // the all-zero first cell gets its neighbours' expression: its fluxes are not the
  // constant of an empty input
  EXPECT_GT(r.value().flux.row(0).cwiseAbs().sum(), 0.0f);
}
