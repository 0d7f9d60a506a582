// Golden: free fluxes and net kernels of the ML-Flux models equal the reference
// kernels shipped with ML-Flux (../shared/data/mlflux/trained_models/ann/kernels),
// to the 9 significant digits they are printed with.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"

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
