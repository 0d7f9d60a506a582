// The ODE solvers of the dynamics models against analytic solutions; gradients through the
// solver against the analytic derivative and against finite differences of the solver itself.
#include <gtest/gtest.h>

#include <cmath>

#include "ode.hpp"

using fluxion::dynamics::odeint;
using fluxion::dynamics::OdeMethod;
using fluxion::dynamics::OdeOptions;

namespace {

torch::Tensor scalar(double v) { return torch::full({1}, v, torch::kFloat64); }

double max_abs(const torch::Tensor& t) { return t.abs().max().item<double>(); }

TEST(Ode, Dopri5ExponentialDecayAtTheDefaultTolerances) {
  const double k = 1.3;
  const std::vector<double> times{0, 0.1, 0.5, 1, 2, 5};
  auto r = odeint([&](double, const torch::Tensor& y) { return -k * y; }, scalar(1), times);
  ASSERT_TRUE(r.ok());
  const auto& s = r.value();
  EXPECT_TRUE(s.stats.ok);
  ASSERT_EQ(s.ys.size(0), 6);
  for (std::size_t i = 0; i < times.size(); ++i)
    EXPECT_NEAR(s.ys[static_cast<long>(i)][0].item<double>(), std::exp(-k * times[i]), 2e-8) << "t = " << times[i];
  // FSAL: six evaluations per attempted step, one at the start, one for the first-step heuristic
  EXPECT_EQ(s.stats.evaluations, 6 * (s.stats.accepted + s.stats.rejected) + 2);
}

TEST(Ode, Dopri5HarmonicOscillatorAndTimeDependence) {
  // y'' = -y as a system: (cos t, -sin t)
  std::vector<double> times;
  for (int i = 0; i <= 40; ++i) times.push_back(0.25 * i);
  auto r = odeint([](double, const torch::Tensor& y) { return torch::stack({y[1], -y[0]}); }, torch::tensor({1.0, 0.0}, torch::kFloat64), times);
  ASSERT_TRUE(r.ok());
  for (std::size_t i = 0; i < times.size(); ++i) {
    EXPECT_NEAR(r.value().ys[static_cast<long>(i)][0].item<double>(), std::cos(times[i]), 1e-6);
    EXPECT_NEAR(r.value().ys[static_cast<long>(i)][1].item<double>(), -std::sin(times[i]), 1e-6);
  }
  // dy/dt = cos t: the time reaches the right-hand side
  auto s = odeint([](double t, const torch::Tensor& y) { return torch::full_like(y, std::cos(t)); }, scalar(0), {0, 1, 2, 3});
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(s.value().ys[i][0].item<double>(), std::sin(i), 10 * 1e-7);  // global error ≤ 10·rtol
}

TEST(Ode, DenseOutputBetweenStepsIsFourthOrderAccurate) {
  // many outputs inside few steps: the interpolant, not the steps, makes them
  OdeOptions loose;
  loose.rtol = 1e-5;
  loose.atol = 1e-7;
  std::vector<double> times;
  for (int i = 0; i <= 200; ++i) times.push_back(0.01 * i);
  auto r = odeint([](double, const torch::Tensor& y) { return -y; }, scalar(1), times, loose);
  ASSERT_TRUE(r.ok());
  EXPECT_LT(r.value().stats.accepted, 30);
  double worst = 0;
  for (std::size_t i = 0; i < times.size(); ++i) worst = std::max(worst, std::abs(r.value().ys[static_cast<long>(i)][0].item<double>() - std::exp(-times[i])));
  EXPECT_LT(worst, loose.rtol);  // as good as the steps themselves (a wrong mid-point gives ~1e-3)
}

TEST(Ode, BackwardInTime) {
  auto r = odeint([](double, const torch::Tensor& y) { return -y; }, scalar(std::exp(-2.0)), {2, 1, 0});
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r.value().ys[1][0].item<double>(), std::exp(-1.0), 1e-7);
  EXPECT_NEAR(r.value().ys[2][0].item<double>(), 1.0, 1e-7);
}

TEST(Ode, FixedStepMethodsConvergeAtTheirOrders) {
  auto error = [](OdeMethod m, double h) {
    OdeOptions o;
    o.method = m;
    o.step = h;
    auto r = odeint([](double, const torch::Tensor& y) { return -y; }, scalar(1), {0, 0.7, 2}, o);
    return std::abs(r.value().ys[2][0].item<double>() - std::exp(-2.0));
  };
  const double rk4_ratio = error(OdeMethod::rk4, 0.1) / error(OdeMethod::rk4, 0.05);
  const double euler_ratio = error(OdeMethod::euler, 0.02) / error(OdeMethod::euler, 0.01);
  EXPECT_NEAR(rk4_ratio, 16.0, 1.5);
  EXPECT_NEAR(euler_ratio, 2.0, 0.1);
  EXPECT_LT(error(OdeMethod::rk4, 0.05), 1e-6);
  // an output time off the grid is reached exactly
  OdeOptions o;
  o.method = OdeMethod::rk4;
  o.step = 0.3;
  auto r = odeint([](double t, const torch::Tensor& y) { return torch::full_like(y, 1.0) + 0 * t; }, scalar(0), {0, 0.7, 1.0}, o);
  EXPECT_NEAR(r.value().ys[1][0].item<double>(), 0.7, 1e-12);
  EXPECT_NEAR(r.value().ys[2][0].item<double>(), 1.0, 1e-12);
}

TEST(Ode, GradientsFlowThroughTheSolver) {
  // y' = -k y, y(0) = 1: d y(T) / dk = -T exp(-k T)
  const double T = 1.5, k0 = 0.8;
  auto solve = [&](const torch::Tensor& k, OdeMethod m) {
    OdeOptions o;
    o.method = m;
    return odeint([&](double, const torch::Tensor& y) { return -k * y; }, scalar(1), {0, 0.5, T}, o).value().ys[2][0];
  };
  for (OdeMethod m : {OdeMethod::dopri5, OdeMethod::rk4}) {
    torch::Tensor k = torch::full({1}, k0, torch::dtype(torch::kFloat64).requires_grad(true));
    torch::Tensor yT = solve(k, m);
    yT.backward();
    const double autograd = k.grad().item<double>();
    EXPECT_NEAR(autograd, -T * std::exp(-k0 * T), 1e-6) << to_string(m);
    // central differences of the solver itself
    const double eps = 1e-5;
    const double fd = (solve(scalar(k0 + eps), m).item<double>() - solve(scalar(k0 - eps), m).item<double>()) / (2 * eps);
    EXPECT_NEAR(autograd, fd, 1e-6) << to_string(m);
  }
}

TEST(Ode, OneStepSizeServesABatch) {
  // two decays in one batch: both accurate, the steps counted once
  auto batch = odeint([](double, const torch::Tensor& y) { return -torch::tensor({1.0, 3.0}, torch::kFloat64) * y; }, torch::ones({2}, torch::kFloat64), {0, 1});
  ASSERT_TRUE(batch.ok());
  EXPECT_NEAR(batch.value().ys[1][0].item<double>(), std::exp(-1.0), 1e-8);
  EXPECT_NEAR(batch.value().ys[1][1].item<double>(), std::exp(-3.0), 1e-8);
  auto fast = odeint([](double, const torch::Tensor& y) { return -3.0 * y; }, scalar(1), {0, 1});
  EXPECT_GE(batch.value().stats.accepted, fast.value().stats.accepted - 1);
  // float32 states work at float32-sized tolerances
  OdeOptions o;
  o.rtol = 1e-5;
  o.atol = 1e-6;
  auto f32 = odeint([](double, const torch::Tensor& y) { return -y; }, torch::ones({4, 3}), {0, 1}, o);
  ASSERT_TRUE(f32.ok());
  EXPECT_EQ(f32.value().ys.scalar_type(), torch::kFloat32);
  EXPECT_LT(max_abs(f32.value().ys[1] - std::exp(-1.0f)), 2e-5);
}

TEST(Ode, BadInputAndSolverTrouble) {
  auto f = [](double, const torch::Tensor& y) { return -y; };
  OdeOptions bad;
  bad.rtol = 0;
  auto r = odeint(f, scalar(1), {0, 1}, bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("rtol"), std::string::npos);
  EXPECT_FALSE(odeint(f, scalar(1), {0, 1, 1}).ok());
  EXPECT_FALSE(odeint(f, scalar(1), {0, 2, 1}).ok());
  EXPECT_FALSE(odeint(f, scalar(1), {}).ok());
  EXPECT_FALSE(odeint(f, torch::ones({1}, torch::kLong), {0, 1}).ok());
  // a blow-up: y' = y² from 1 reaches infinity at t = 1
  OdeOptions few;
  few.max_steps = 200;
  auto blow = odeint([](double, const torch::Tensor& y) { return y * y; }, scalar(1), {0, 0.5, 2}, few);
  ASSERT_TRUE(blow.ok());
  EXPECT_FALSE(blow.value().stats.ok);
  EXPECT_FALSE(blow.value().stats.message.empty());
  EXPECT_NEAR(blow.value().ys[1][0].item<double>(), 2.0, 1e-6);  // what came before is kept
  EXPECT_TRUE(std::isnan(blow.value().ys[2][0].item<double>()));
  // a right-hand side that returns NaN stops with a message, no hang
  auto nan = odeint([](double, const torch::Tensor& y) { return y * std::nan(""); }, scalar(1), {0, 1});
  EXPECT_FALSE(nan.value().stats.ok);
}

}  // namespace
