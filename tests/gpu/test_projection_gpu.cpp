// FBApro on CUDA (label gpu): the paper's recommendation, batches applied on a GPU, give
// the CPU's answer; without a GPU asking for CUDA is a clear error (and the test skips).
#include <gtest/gtest.h>

#include <random>

#include "fluxion/cbm/projection.hpp"
#include "fluxion/learn/flux_predictor.hpp"  // torch_has_cuda
#include "fluxion/learn/projection_device.hpp"
#include "small_models.hpp"

using namespace fluxion;

TEST(ProjectionGpu, CudaMatchesCpu) {
  const Model m = test_models::fbapro_toy();
  auto k = cbm::orthonormal_kernel(cbm::balanced_stoichiometry(m));
  ASSERT_TRUE(k.ok());
  auto p = cbm::Projector::build(k.value().basis, cbm::variant_sets(cbm::ProjectionVariant::full, {0}, {2, 3}, 5));
  ASSERT_TRUE(p.ok());
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 10.0);
  const Eigen::MatrixXd refs = Eigen::MatrixXd::NullaryExpr(5, 1000, [&] { return u(rng); });
  auto g = learn::apply_projection_on(p.value(), refs, "cuda");
  if (!learn::torch_has_cuda()) {
    ASSERT_FALSE(g.ok());
    EXPECT_NE(g.message().find("no CUDA device"), std::string::npos) << g.message();
    GTEST_SKIP() << "no CUDA device";
  }
  ASSERT_TRUE(g.ok()) << g.message();
  EXPECT_LT((g.value() - p.value().apply(refs)).cwiseAbs().maxCoeff(), 1e-10);
}
