#include "distributions.hpp"

#include <cmath>

namespace fluxion::dynamics {

torch::Tensor normal_log_prob(const torch::Tensor& x, const torch::Tensor& mu, const torch::Tensor& sigma) {
  const double half_log_2pi = 0.5 * std::log(2 * M_PI);
  return -((x - mu) / sigma).pow(2) / 2 - sigma.log() - half_log_2pi;
}

torch::Tensor poisson_log_prob(const torch::Tensor& k, const torch::Tensor& rate) {
  return torch::xlogy(k, rate) - rate - torch::lgamma(k + 1);
}

torch::Tensor normal_kl(const torch::Tensor& mu_q, const torch::Tensor& sigma_q, const torch::Tensor& mu_p, const torch::Tensor& sigma_p) {
  return (sigma_p / sigma_q).log() + (sigma_q.pow(2) + (mu_q - mu_p).pow(2)) / (2 * sigma_p.pow(2)) - 0.5;
}

torch::Tensor sample_normal(const torch::Tensor& mu, const torch::Tensor& sigma) { return mu + sigma * torch::randn_like(mu); }

}  // namespace fluxion::dynamics
