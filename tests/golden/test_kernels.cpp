// Golden: tracer bit strings (end of file); free fluxes and net kernels of the ML-Flux models equal the reference
// kernels shipped with ML-Flux (../shared/data/mlflux/trained_models/ann/kernels),
// to the 9 significant digits they are printed with.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"

using namespace fluxion;

namespace {

const std::string kData = FLUXION_SHARED_DATA;

Eigen::MatrixXd read_matrix(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<double>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::vector<double> row;
    double v;
    while (ls >> v) row.push_back(v);
    if (!row.empty()) rows.push_back(row);
  }
  Eigen::MatrixXd m(static_cast<Eigen::Index>(rows.size()), rows.empty() ? 0 : static_cast<Eigen::Index>(rows[0].size()));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < rows[i].size(); ++j) m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = rows[i][j];
  return m;
}

struct Case {
  const char* builtin;    // fluxion's built-in model
  const char* reference;  // ML-Flux FluxML file
  const char* kernel;     // kernel file stem
};

class Kernels : public ::testing::TestWithParam<Case> {};

void expect_kernel(const FluxSpace& fs, const std::string& stem) {
  const Eigen::MatrixXd net = read_matrix(kData + "/mlflux/trained_models/ann/kernels/KernelNet_" + stem + ".txt");
  ASSERT_EQ(net.rows(), fs.n_columns());
  ASSERT_EQ(net.cols(), fs.n_free_net());
  for (Eigen::Index i = 0; i < net.rows(); ++i)
    for (Eigen::Index j = 0; j < net.cols(); ++j)
      EXPECT_NEAR(fs.net_kernel()(i, j), net(i, j), 1e-9 * std::max(1.0, std::fabs(net(i, j))))
          << stem << " net kernel (" << fs.column_ids()[static_cast<std::size_t>(i)] << ", " << j << ")";
  const Eigen::MatrixXd xch = read_matrix(kData + "/mlflux/trained_models/ann/kernels/KernelXch_" + stem + ".txt");
  ASSERT_EQ(xch.cols(), fs.n_exchange());
  // the Glycolysis exchange kernel file lacks its last (all-zero) row
  ASSERT_LE(xch.rows(), fs.n_columns());
  EXPECT_EQ(fs.exchange_kernel().topRows(xch.rows()), xch) << stem << " exchange kernel";
  EXPECT_TRUE(fs.exchange_kernel().bottomRows(fs.n_columns() - xch.rows()).isZero());
}

}  // namespace

TEST_P(Kernels, ReferenceFluxmlAndBuiltinMatchMlFlux) {
  if (!std::filesystem::exists(kData + "/mlflux")) GTEST_SKIP() << "shared data not found at " << kData;
  const Case c = GetParam();
  for (const std::string& source : {kData + "/mlflux/models/" + c.reference, std::string(c.builtin)}) {
    SCOPED_TRACE(source);
    auto model = io::load_model(source);
    ASSERT_TRUE(model.ok()) << model.message();
    FluxSpaceOptions o;
    o.method = NullSpaceMethod::exact;
    auto fs = FluxSpace::build(model.value(), o);
    ASSERT_TRUE(fs.ok()) << fs.message();
    expect_kernel(fs.value(), c.kernel);
  }
}

INSTANTIATE_TEST_SUITE_P(MlFlux, Kernels,
                         ::testing::Values(Case{"simple", "Simple.xml", "Simple"}, Case{"glycolysis", "Glycolysis.xml", "Glycolysis"},
                                           Case{"glyppp", "GlyPPP.xml", "GlyPPP"}, Case{"ccm", "CCM.xml", "CCM"}),
                         [](const auto& info) { return std::string(info.param.kernel); });

// The mfapy text version of CCM has the same flux space as the FluxML one.
TEST(Kernels, MfapyCcmMatchesFluxml) {
  if (!std::filesystem::exists(kData + "/mlflux")) GTEST_SKIP() << "shared data not found at " << kData;
  auto model = io::load_model(kData + "/mlflux/models/CCM_Model.txt");
  ASSERT_TRUE(model.ok()) << model.message();
  auto fs = FluxSpace::build(model.value());
  ASSERT_TRUE(fs.ok()) << fs.message();
  EXPECT_EQ(fs.value().rank(), 31);
  EXPECT_EQ(fs.value().n_free_net(), 21);
  EXPECT_EQ(fs.value().n_exchange(), 34);
}

// The built-in tracer experiments label the atoms ML-Flux's simulation scripts label
// (../shared/data/mlflux/derived/tracers.tsv: bit strings per experiment).
TEST(Tracers, BuiltinExperimentsMatchMlFluxBitStrings) {
  const std::string path = kData + "/mlflux/derived/tracers.tsv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
  std::ifstream in(path);
  std::map<std::string, std::vector<std::vector<std::string>>> rows;  // model -> rows
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells;
    std::stringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, '\t')) cells.push_back(cell);
    rows[cells[0]].push_back(cells);
  }
  struct Case {
    const char* reference;
    const char* builtin;
    std::vector<std::string> substrates;  // bit-string columns 2 and 4
  };
  for (const Case& c : {Case{"Simple", "simple", {"molA"}}, Case{"GlyPPP", "glyppp", {"GLC_IN"}},
                        Case{"CCM", "ccm", {"GLC_IN", "Gln_IN"}}}) {
    SCOPED_TRACE(c.builtin);
    auto model = io::load_model(c.builtin);
    ASSERT_TRUE(model.ok());
    auto table = io::load_tracer_table(c.builtin);
    ASSERT_TRUE(table.ok()) << table.message();
    const auto& ref = rows[c.reference];
    const auto& ex = table.value().experiments;
    ASSERT_EQ(ex.size(), ref.size());
    for (std::size_t i = 0; i < ex.size(); ++i) {
      for (std::size_t s = 0; s < c.substrates.size(); ++s) {
        const std::string expected = ref[i][2 + 2 * s];
        std::string actual(expected.size(), '0');
        for (const auto& comp : ex[i].components) {
          if (comp.substrate != c.substrates[s]) continue;
          auto bits = comp.label.bits(Element::C, static_cast<int>(expected.size()));
          ASSERT_TRUE(bits.ok());
          for (std::size_t k = 0; k < expected.size(); ++k) actual[k] = bits.value()[k] ? '1' : '0';
        }
        EXPECT_EQ(actual, expected) << "experiment " << i << ", " << c.substrates[s];
      }
    }
  }
  // glycolysis: [1,2-13C2] on the carbons, deuterium on hydrogen 5 (atom 'e' of glucose)
  auto glyc = io::load_tracer_table("glycolysis");
  ASSERT_TRUE(glyc.ok());
  const isotope::Label& l = glyc.value().experiments.at(0).components.at(0).label;
  EXPECT_EQ(l.bits(Element::C, 6).value(), (std::vector<std::uint8_t>{1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(l.bits(Element::H, 7).value(), (std::vector<std::uint8_t>{0, 0, 0, 0, 1, 0, 0}));
}
