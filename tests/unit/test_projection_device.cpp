// FBApro applied through LibTorch on the CPU gives Projector::apply's answer (the CUDA
// path is the same code on another device: tests/gpu/test_projection_gpu.cpp).
#include <gtest/gtest.h>

#include "fluxion/cbm/projection.hpp"
#include "fluxion/learn/projection_device.hpp"
#include "small_models.hpp"

using namespace fluxion;
using test_models::vec;

TEST(ProjectionDevice, TorchCpuMatchesBlas) {
  const Model m = test_models::fbapro_toy();
  auto k = cbm::orthonormal_kernel(cbm::balanced_stoichiometry(m));
  ASSERT_TRUE(k.ok());
  for (auto variant : {cbm::ProjectionVariant::basic, cbm::ProjectionVariant::partial, cbm::ProjectionVariant::fixed, cbm::ProjectionVariant::full}) {
    auto p = cbm::Projector::build(k.value().basis, cbm::variant_sets(variant, {0}, {2, 3}, 5));
    ASSERT_TRUE(p.ok());
    Eigen::MatrixXd refs(5, 2);
    refs.col(0) = vec({7, 0, 2.2, 3.6, 0});
    refs.col(1) = vec({8, 1, 3, 4, 0.5});
    auto t = learn::apply_projection_on(p.value(), refs, "cpu");
    ASSERT_TRUE(t.ok()) << t.message();
    EXPECT_LT((t.value() - p.value().apply(refs)).cwiseAbs().maxCoeff(), 1e-13) << to_string(variant);
  }
  auto p = cbm::Projector::build(k.value().basis, cbm::variant_sets(cbm::ProjectionVariant::full, {0}, {2, 3}, 5));
  EXPECT_FALSE(learn::apply_projection_on(p.value(), Eigen::MatrixXd::Zero(4, 1), "cpu").ok());
  EXPECT_FALSE(learn::apply_projection_on(p.value(), Eigen::MatrixXd::Zero(5, 1), "tpu").ok());
}
