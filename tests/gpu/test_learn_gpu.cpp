// The GPU path of training (label gpu): the same training on CUDA when LibTorch has a
// GPU; without one, asking for CUDA is a clear error (and the test is skipped).
#include <gtest/gtest.h>

#include "fluxion/learn/flux_predictor.hpp"
#include "simple_dataset.hpp"

using namespace fluxion;

// A package trained on the GPU predicts on the CPU like one trained there: close, not
// bit for bit (GPU kernels round differently).
TEST(FluxPredictorGpu, TrainsOnCudaAndPredictsOnTheCpu) {
  learn::TrainOptions o;
  o.hidden = {64, 32};
  o.epochs = 10;
  o.batch = 64;
  o.progress = false;
  o.device = "cuda";
  const sampling::DatasetContents d = test_support::simple_dataset(1000);
  learn::TrainingHistory h;
  auto p = learn::FluxPredictor::train(d, o, h);
  if (!learn::torch_has_cuda()) {
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.message().find("no CUDA device"), std::string::npos) << p.message();
    GTEST_SKIP() << "no CUDA device";
  }
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(p.value().manifest()["training"]["device"], "cuda");
  o.device = "cpu";
  learn::TrainingHistory hc;
  auto c = learn::FluxPredictor::train(d, o, hc);
  ASSERT_TRUE(c.ok());
  const Eigen::MatrixXd probe = d.mids.topRows(20);
  EXPECT_LT((p.value().predict(probe) - c.value().predict(probe)).cwiseAbs().maxCoeff(), 0.5);
  EXPECT_NEAR(h.validation_loss.back(), hc.validation_loss.back(), 0.1 * hc.validation_loss.back());
}
