// Golden: every reference model loads; the BiGG models have their published shapes;
// FluxML -> TSV -> FluxML and SBML -> JSON -> SBML preserve the model.
#include <gtest/gtest.h>

#include <filesystem>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "model_compare.hpp"

using namespace fluxion;
namespace fs = std::filesystem;

namespace {

const std::string kData = FLUXION_SHARED_DATA;

struct Shape {
  const char* file;
  long metabolites, reactions, rank, kernel;
};

class BiggShapes : public ::testing::TestWithParam<Shape> {};

std::vector<std::string> files_under(const std::string& dir, const std::vector<std::string>& suffixes) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string p = e.path().string();
    for (const auto& s : suffixes)
      if (p.size() >= s.size() && p.compare(p.size() - s.size(), s.size(), s) == 0) out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_P(BiggShapes, MatchPublishedShape) {
  const Shape s = GetParam();
  const std::string path = kData + "/bigg/" + s.file;
  if (!fs::exists(path)) GTEST_SKIP() << path << " not found";
  auto model = io::load_model(path);
  ASSERT_TRUE(model.ok()) << model.message();
  const Model& m = model.value();
  EXPECT_EQ(static_cast<long>(m.metabolites.size()), s.metabolites);
  EXPECT_EQ(static_cast<long>(m.reactions.size()), s.reactions);
  auto space = FluxSpace::build(m);
  ASSERT_TRUE(space.ok()) << space.message();
  EXPECT_EQ(space.value().rank(), s.rank);
  EXPECT_EQ(space.value().n_free_net(), s.kernel);
  // the kernel is a basis of ker S
  EXPECT_LT((space.value().stoichiometry() * space.value().net_kernel()).cwiseAbs().maxCoeff(), 1e-8);
  // bounds, objective and GPRs arrive
  std::size_t with_gpr = 0, objective = 0;
  for (const auto& r : m.reactions) {
    with_gpr += !r.gpr.empty();
    objective += r.objective_coefficient != 0.0;
  }
  EXPECT_GT(with_gpr, m.reactions.size() / 2);
  EXPECT_LE(objective, 1u);  // iMM1415 ships an empty objective
  EXPECT_GT(m.genes.size(), 100u);
}

INSTANTIATE_TEST_SUITE_P(Bigg, BiggShapes,
                         ::testing::Values(Shape{"e_coli_core.xml.gz", 72, 95, 67, 28}, Shape{"iND750.xml.gz", 1059, 1266, 982, 284},
                                           Shape{"iML1515.xml.gz", 1877, 2712, 1845, 867},
                                           Shape{"iMM1415.xml.gz", 2775, 3726, 2685, 1041},
                                           Shape{"RECON1.xml.gz", 2766, 3741, 2674, 1067}),
                         [](const auto& info) {
                           std::string n = info.param.file;
                           return n.substr(0, n.find('.'));
                         });

TEST(Bigg, EcoliCoreDetails) {
  const std::string path = kData + "/bigg/e_coli_core.xml.gz";
  if (!fs::exists(path)) GTEST_SKIP() << path << " not found";
  auto model = io::load_model(path);
  ASSERT_TRUE(model.ok()) << model.message();
  const Model& m = model.value();
  const auto glc = m.reaction_index("EX_glc__D_e");
  ASSERT_TRUE(glc);
  EXPECT_EQ(m.reactions[*glc].lower_bound, -10.0);
  const auto atpm = m.reaction_index("ATPM");
  ASSERT_TRUE(atpm);
  EXPECT_DOUBLE_EQ(m.reactions[*atpm].lower_bound, 8.39);
  const auto obj = m.reaction_index("BIOMASS_Ecoli_core_w_GAM");
  ASSERT_TRUE(obj);
  EXPECT_EQ(m.reactions[*obj].objective_coefficient, 1.0);
  const auto pfk = m.reaction_index("PFK");
  ASSERT_TRUE(pfk);
  EXPECT_EQ(m.reactions[*pfk].gpr, "b3916 or b1723");
  const auto g3p = m.metabolite_index("g3p_c");
  ASSERT_TRUE(g3p);
  EXPECT_EQ(m.metabolites[*g3p].formula, "C3H5O6P");
  EXPECT_EQ(m.metabolites[*g3p].charge, -2);
}

TEST(Formats, EveryReferenceIsotopeModelLoads) {
  auto files = files_under(kData + "/mlflux", {".xml", "_Model.txt"});
  for (auto& f : files_under(kData + "/mfa", {".fml", ".xml", "_model.txt", "_Model.txt"})) files.push_back(f);
  if (files.empty()) GTEST_SKIP() << "shared data not found at " << kData;
  EXPECT_GE(files.size(), 30u);
  for (const auto& f : files) {
    auto m = io::load_model(f);
    EXPECT_TRUE(m.ok()) << f << "\n" << m.message();
    if (!m.ok()) continue;
    auto space = FluxSpace::build(m.value());
    EXPECT_TRUE(space.ok()) << f << "\n" << space.message();
  }
}

TEST(Formats, FluxmlTsvFluxmlRoundTrip) {
  auto files = files_under(kData + "/mlflux/models", {".xml"});
  for (auto& f : files_under(kData + "/mfa/fluxml", {".fml"})) files.push_back(f);
  for (auto& f : files_under(kData + "/mfa/park2016", {".xml"})) files.push_back(f);
  if (files.empty()) GTEST_SKIP() << "shared data not found at " << kData;
  for (const auto& f : files) {
    SCOPED_TRACE(f);
    auto original = io::load_model(f);
    ASSERT_TRUE(original.ok()) << original.message();
    auto tsv = io::write_reaction_tsv(original.value());
    ASSERT_TRUE(tsv.ok());
    auto from_tsv = io::read_reaction_tsv(tsv.value(), "round trip TSV");
    ASSERT_TRUE(from_tsv.ok()) << from_tsv.message();
    EXPECT_EQ(test::model_differences(original.value(), from_tsv.value(), true, true), "");
    auto fml = io::write_fluxml(from_tsv.value());
    ASSERT_TRUE(fml.ok()) << fml.message();
    auto back = io::read_fluxml(fml.value(), "round trip FluxML");
    ASSERT_TRUE(back.ok()) << back.message();
    EXPECT_EQ(test::model_differences(original.value(), back.value(), true, false), "");
  }
}

TEST(Formats, SbmlJsonSbmlRoundTrip) {
  for (const char* name : {"e_coli_core.xml.gz", "iND750.xml.gz"}) {
    const std::string path = kData + "/bigg/" + name;
    if (!fs::exists(path)) GTEST_SKIP() << path << " not found";
    SCOPED_TRACE(path);
    auto original = io::load_model(path);
    ASSERT_TRUE(original.ok()) << original.message();
    auto json = io::write_cobra_json(original.value());
    ASSERT_TRUE(json.ok());
    auto from_json = io::read_cobra_json(json.value(), "round trip JSON");
    ASSERT_TRUE(from_json.ok()) << from_json.message();
    EXPECT_EQ(test::model_differences(original.value(), from_json.value(), false, true), "");
    auto sbml = io::write_sbml(from_json.value());
    ASSERT_TRUE(sbml.ok()) << sbml.message();
    auto back = io::read_sbml(sbml.value(), "round trip SBML");
    ASSERT_TRUE(back.ok()) << back.message();
    EXPECT_EQ(test::model_differences(original.value(), back.value(), false, true), "");
    EXPECT_EQ(back.value().genes.size(), original.value().genes.size());
  }
}
