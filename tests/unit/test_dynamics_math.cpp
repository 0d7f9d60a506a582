// The dynamics models' distributions and metrics against closed forms, Monte Carlo, brute
// force and finite differences.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "distributions.hpp"
#include "fluxion/dynamics/metrics.hpp"

using namespace fluxion::dynamics;

namespace {

torch::Tensor d(double v) { return torch::full({1}, v, torch::kFloat64); }

TEST(DynamicsDistributions, LogDensitiesMatchTheirFormulas) {
  EXPECT_NEAR(normal_log_prob(d(1.5), d(0.5), d(2)).item<double>(), -0.5 * 0.25 - std::log(2.0) - 0.5 * std::log(2 * M_PI), 1e-14);
  EXPECT_NEAR(poisson_log_prob(d(3), d(2.5)).item<double>(), 3 * std::log(2.5) - 2.5 - std::log(6.0), 1e-13);
  EXPECT_NEAR(poisson_log_prob(d(0), d(0.7)).item<double>(), -0.7, 1e-14);
  // the Poisson probabilities sum to one
  const auto k = torch::arange(0, 200, torch::kFloat64);
  EXPECT_NEAR(poisson_log_prob(k, torch::full_like(k, 7.3)).exp().sum().item<double>(), 1.0, 1e-12);
}

TEST(DynamicsDistributions, KlDivergenceClosedFormMonteCarloAndGradient) {
  EXPECT_NEAR(normal_kl(d(0.3), d(0.8), d(0.3), d(0.8)).item<double>(), 0.0, 1e-15);
  const double mq = 0.4, sq = 0.7, mp = -0.2, sp = 1.3;
  const double closed = std::log(sp / sq) + (sq * sq + (mq - mp) * (mq - mp)) / (2 * sp * sp) - 0.5;
  EXPECT_NEAR(normal_kl(d(mq), d(sq), d(mp), d(sp)).item<double>(), closed, 1e-14);
  // E_q[log q − log p] by sampling
  torch::manual_seed(7);
  const auto x = sample_normal(torch::full({400000}, mq, torch::kFloat64), torch::full({400000}, sq, torch::kFloat64));
  const double mc = (normal_log_prob(x, d(mq), d(sq)) - normal_log_prob(x, d(mp), d(sp))).mean().item<double>();
  EXPECT_NEAR(mc, closed, 0.005);
  // ∂KL/∂μq = (μq − μp)/σp², ∂KL/∂σq = −1/σq + σq/σp²; and central differences
  auto mu = d(mq).requires_grad_(true), sigma = d(sq).requires_grad_(true);
  normal_kl(mu, sigma, d(mp), d(sp)).sum().backward();
  EXPECT_NEAR(mu.grad().item<double>(), (mq - mp) / (sp * sp), 1e-12);
  EXPECT_NEAR(sigma.grad().item<double>(), -1 / sq + sq / (sp * sp), 1e-12);
  const double h = 1e-6;
  const double fd = (normal_kl(d(mq), d(sq + h), d(mp), d(sp)).item<double>() - normal_kl(d(mq), d(sq - h), d(mp), d(sp)).item<double>()) / (2 * h);
  EXPECT_NEAR(sigma.grad().item<double>(), fd, 1e-8);
  // the Poisson log-probability's rate gradient k/λ − 1
  auto rate = d(2.5).requires_grad_(true);
  poisson_log_prob(d(4), rate).sum().backward();
  EXPECT_NEAR(rate.grad().item<double>(), 4 / 2.5 - 1, 1e-12);
}

TEST(DynamicsMetrics, OneDimensionalWasserstein) {
  EXPECT_NEAR(wasserstein1({0, 1, 2}, {0, 1, 2}), 0.0, 1e-15);
  EXPECT_NEAR(wasserstein1({0, 1, 2}, {3, 4, 5}), 3.0, 1e-15);  // a shift moves every point by 3
  EXPECT_NEAR(wasserstein1({0, 1}, {0, 0, 1, 1}), 0.0, 1e-15);  // different sizes, same distribution
  EXPECT_NEAR(wasserstein1({0}, {0, 1}), 0.5, 1e-15);
  // equal sizes: the mean gap between sorted samples
  std::mt19937 rng(3);
  std::normal_distribution<double> n01;
  std::vector<double> a(300), b(300);
  for (auto& x : a) x = n01(rng);
  for (auto& x : b) x = 2 * n01(rng) + 1;
  auto sa = a, sb = b;
  std::sort(sa.begin(), sa.end());
  std::sort(sb.begin(), sb.end());
  double sorted_gap = 0;
  for (std::size_t i = 0; i < sa.size(); ++i) sorted_gap += std::abs(sa[i] - sb[i]) / 300.0;
  EXPECT_NEAR(wasserstein1(a, b), sorted_gap, 1e-12);
  EXPECT_THROW(wasserstein1({}, {1}), std::invalid_argument);
}

TEST(DynamicsMetrics, ExactAssignmentMatchesBruteForce) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 20; ++trial) {
    const int n = 2 + trial % 5;
    Eigen::MatrixXd cost(n, n);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) cost(i, j) = u(rng);
    std::vector<int> perm(static_cast<std::size_t>(n));
    std::iota(perm.begin(), perm.end(), 0);
    double best = 1e300;
    do {
      double c = 0;
      for (int i = 0; i < n; ++i) c += cost(i, perm[static_cast<std::size_t>(i)]);
      best = std::min(best, c);
    } while (std::next_permutation(perm.begin(), perm.end()));
    const auto match = optimal_assignment(cost);
    double got = 0;
    for (int i = 0; i < n; ++i) got += cost(i, match[static_cast<std::size_t>(i)]);
    EXPECT_NEAR(got, best, 1e-12) << "n = " << n;
  }
  // a translated cloud: exact W1 = the translation's length; per-dimension sum = the L1 length
  Eigen::MatrixXd a = Eigen::MatrixXd::Random(50, 3), b = a;
  b.rowwise() += Eigen::RowVector3d(0.3, -0.4, 0.0);
  EXPECT_NEAR(wasserstein1_exact(a, b), 0.5, 1e-9);
  EXPECT_NEAR(wasserstein1_sum_over_dimensions(a, b), 0.7, 1e-9);
}

}  // namespace
