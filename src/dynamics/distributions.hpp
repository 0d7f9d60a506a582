// The probability pieces of the dynamics models, written out (LibTorch's C++ API has no
// torch.distributions): element-wise log-densities, the Normal–Normal KL divergence and
// reparameterised sampling, all differentiable.
#pragma once

#include <torch/torch.h>

namespace fluxion::dynamics {

// log N(x; μ, σ²), element-wise (σ > 0).
torch::Tensor normal_log_prob(const torch::Tensor& x, const torch::Tensor& mu, const torch::Tensor& sigma);

// log Poisson(k; λ) = k log λ − λ − log k!, element-wise (k ≥ 0 counts, λ > 0).
torch::Tensor poisson_log_prob(const torch::Tensor& k, const torch::Tensor& rate);

// KL(N(μq, σq²) ‖ N(μp, σp²)) = log(σp/σq) + (σq² + (μq − μp)²) / (2σp²) − ½, element-wise.
torch::Tensor normal_kl(const torch::Tensor& mu_q, const torch::Tensor& sigma_q, const torch::Tensor& mu_p, const torch::Tensor& sigma_p);

// μ + σ·ε with ε ~ N(0, 1): a sample that carries gradients to μ and σ. exp() of it is the
// LogNormal sample of the same parameters.
torch::Tensor sample_normal(const torch::Tensor& mu, const torch::Tensor& sigma);

}  // namespace fluxion::dynamics
