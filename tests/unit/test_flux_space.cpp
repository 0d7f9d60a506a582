// FluxSpace: stoichiometry, rank, kernels, free <-> full fluxes.
#include <gtest/gtest.h>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"

using namespace fluxion;

namespace {

Model load(const std::string& name) {
  auto r = io::load_model(name);
  EXPECT_TRUE(r.ok()) << r.message();
  return r.value();
}

FluxSpace build(const Model& m, FluxSpaceOptions o = {}) {
  auto r = FluxSpace::build(m, o);
  EXPECT_TRUE(r.ok()) << r.message();
  return r.value();
}

}  // namespace

// ML-Flux toy network, closed form (notes §2.1): v1 = E/3 + F, v2 = F - E/3,
// v3 = v4 = E/3, v5 = F with E, F the effluxes.
TEST(FluxSpace, SimpleKernelMatchesClosedForm) {
  const Model m = load("simple");
  const FluxSpace fs = build(m);
  EXPECT_EQ(fs.rank(), 5);
  ASSERT_EQ(fs.free_net_ids(), (std::vector<std::string>{"EX_molE", "EX_molF"}));
  EXPECT_EQ(fs.exchange_ids(), (std::vector<std::string>{"v2", "v3", "v4", "v5"}));
  Eigen::MatrixXd expected(7, 2);
  expected << 1.0 / 3, 1, -1.0 / 3, 1, 1.0 / 3, 0, 1.0 / 3, 0, 0, 1, 1, 0, 0, 1;
  EXPECT_LT((fs.net_kernel() - expected).cwiseAbs().maxCoeff(), 1e-15);
}

TEST(FluxSpace, FreeToFullRoundTripsAndIsSteady) {
  const Model m = load("ccm");
  const FluxSpace fs = build(m);
  Eigen::VectorXd free = Eigen::VectorXd::LinSpaced(fs.n_free(), 0.1, 3.0);
  const FluxVector full = fs.free_to_full(free);
  EXPECT_LT(fs.steady_state_residual(full.net), 1e-12);
  EXPECT_LT((fs.full_to_free(full) - free).cwiseAbs().maxCoeff(), 1e-15);
  EXPECT_THROW(fs.free_to_full(Eigen::VectorXd::Zero(3)), std::invalid_argument);
}

TEST(FluxSpace, OrthogonalMethodSpansTheSameSpace) {
  const Model m = load("glyppp");
  const FluxSpace exact = build(m);
  FluxSpaceOptions o;
  o.method = NullSpaceMethod::orthogonal;
  const FluxSpace orth = build(m, o);
  EXPECT_EQ(orth.rank(), exact.rank());
  EXPECT_EQ(orth.n_free_net(), exact.n_free_net());
  const Eigen::MatrixXd s = exact.stoichiometry_dense();
  EXPECT_LT((s * orth.net_kernel()).cwiseAbs().maxCoeff(), 1e-10);
  // same column space: stacking both kernels does not raise the rank
  Eigen::MatrixXd both(exact.n_columns(), 2 * exact.n_free_net());
  both << exact.net_kernel(), orth.net_kernel();
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(both);
  EXPECT_EQ(qr.rank(), exact.n_free_net());
  // orthonormal basis
  const Eigen::MatrixXd n = exact.orthonormal_null_space();
  EXPECT_EQ(n.cols(), exact.n_free_net());
  EXPECT_LT((n.transpose() * n - Eigen::MatrixXd::Identity(n.cols(), n.cols())).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LT((s * n).cwiseAbs().maxCoeff(), 1e-12);
}

TEST(FluxSpace, LeakColumnsAreExchangeOnly) {
  const Model m = load("glyppp");
  const FluxSpace fs = build(m);
  EXPECT_EQ(fs.n_columns(), 36);  // 34 reactions + PGI_leak + RPI_leak
  EXPECT_EQ(fs.column_ids()[34], "PGI_leak");
  EXPECT_TRUE(fs.net_kernel().row(34).isZero());
  const auto x = fs.exchange_ids();
  EXPECT_EQ(x.back(), "RPI_leak");
}

TEST(FluxSpace, UserChoiceOfFreeFluxes) {
  const Model m = load("upper_glycolysis");
  FluxSpaceOptions o;
  o.free_fluxes = {"GLC_IN", "G6P_EX", "F6P_EX", "DHAP_EX"};
  for (auto method : {NullSpaceMethod::exact, NullSpaceMethod::orthogonal}) {
    o.method = method;
    const FluxSpace fs = build(m, o);
    EXPECT_EQ(fs.free_net_ids(), (std::vector<std::string>{"GLC_IN", "G6P_EX", "F6P_EX", "DHAP_EX"}));
    EXPECT_LT((fs.stoichiometry_dense() * fs.net_kernel()).cwiseAbs().maxCoeff(), 1e-12);
    // identity on the free rows
    for (Eigen::Index f = 0; f < fs.n_free_net(); ++f)
      EXPECT_EQ(fs.net_kernel()(fs.free_net_columns()[static_cast<std::size_t>(f)], f), 1.0);
  }
}

TEST(FluxSpace, ImpossibleChoicesAreErrors) {
  const Model m = load("upper_glycolysis");
  FluxSpaceOptions o;
  o.free_fluxes = {"GLC_IN"};
  auto r = FluxSpace::build(m, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("the model has 4 free net fluxes (9 reactions, rank 5) but 1 were chosen"), std::string::npos) << r.message();
  // g6p balance ties GLC_IN, PGI and G6P_EX: they cannot all be free
  o.free_fluxes = {"GLC_IN", "PGI", "G6P_EX", "F6P_EX"};
  for (auto method : {NullSpaceMethod::exact, NullSpaceMethod::orthogonal}) {
    o.method = method;
    r = FluxSpace::build(m, o);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.message().find("this choice of free fluxes is impossible"), std::string::npos) << r.message();
  }
  o.free_fluxes = {"nope", "PGI", "G6P_EX", "F6P_EX"};
  r = FluxSpace::build(m, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("free flux 'nope' is not a reaction of the model"), std::string::npos);
  o.free_fluxes = {"PGI", "PGI"};
  EXPECT_FALSE(FluxSpace::build(m, o).ok());
}
