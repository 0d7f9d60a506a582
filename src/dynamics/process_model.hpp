// The networks of the neural process family (../shared/notes/snodep.md §2), in LibTorch:
//
//   NP      MLP encoder [t, x] → mean r (60) → z ~ N (60) → MLP decoder [t, z] → Gaussian head
//   NODEP   MLP encoder → r (50) → L0 (10) and D (40) → ODE decoder → Gaussian head
//   SNODEP  backward LSTM encoder of x (regular sampling) or backward GRU-ODE encoder of
//           [x, mask] (irregular) → L0, D (LogNormal on expression) → ODE decoder → Poisson
//           head (expression) or Gaussian head (flux, balance)
//   LODE    the Latent ODE of Rubanova et al. (latent_ode's defaults; no configuration was
//           published with SNODEP): backward ODE-RNN encoder (GRU state 20, Euler between
//           points) → z0 ~ N (10) → dz/dt = MLP(z) (100 units, dopri5 rtol 1e-3, atol 1e-4) →
//           Linear → Normal with a fixed σ = 0.01
//   RNN-VAE backward GRU encoder of [y, mask, Δt] → z0 ~ N (10) → a GRU cell stepped through
//           the target times with Δt as its input → Linear → Normal (σ = 0.01)
//
// The ODE decoder integrates the state [L, D] from initial_t with dL/dt = f([L, D, t]) and
// dD/dt = 0, then reads out h' = [L(t), MLP([t, L(t), D])] into the head. Layers, sizes and
// initialisations are the reference's, including its unused blocks (the GRU-ODE encoder's
// transform_z0 and the Poisson head's alpha layer), so parameter counts match its runs.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "ode.hpp"

namespace fluxion::dynamics {

enum class ProcessKind { np, nodep, snodep, latent_ode, rnn_vae };
enum class EncoderKind { mlp, lstm, gru_ode, gru };
enum class Likelihood { normal, poisson };

struct ProcessSpec {
  ProcessKind kind = ProcessKind::snodep;
  EncoderKind encoder = EncoderKind::lstm;
  Likelihood likelihood = Likelihood::poisson;
  bool lognormal_latent = true;  // z = exp(μ + σε) (SNODEP on expression)
  bool mask_input = false;       // encoder input [y, mask] (irregular sampling)
  int y_dim = 1;                 // features per time point
  int r_dim = 50, z_dim = 50, h_dim = 50, l_dim = 10;  // NP: 60, 60, 60 (no L); LODE, RNN-VAE: r = 20 (recognition state), z = l = 10, h = 100
  double fixed_sigma = 0.01;     // LODE, RNN-VAE: the observation's standard deviation
  double initial_t = -0.1;       // where the ODE decoder's state starts
  OdeOptions ode;                // decoder solver (dopri5, rtol 1e-7, atol 1e-9)
  int x_dim() const { return mask_input ? 2 * y_dim : y_dim; }
};

// The reference's sizes for a model kind.
ProcessSpec default_spec(ProcessKind kind, int y_dim);

// q(z | points): Normal parameters of the latent (its log for a LogNormal latent). [B × z]
struct Posterior {
  torch::Tensor mu, sigma;
};

// p(y | z) at the decoded times: mean and scale [B × T × y] (Normal), or rate (Poisson; scale empty).
struct ObservationModel {
  torch::Tensor loc, scale;
  Likelihood likelihood = Likelihood::normal;
  torch::Tensor mean() const { return loc; }
  torch::Tensor log_prob(const torch::Tensor& y) const;  // element-wise [B × T × y]
  torch::Tensor sample() const;                           // one draw per element
};

class ProcessModelImpl : public torch::nn::Module {
 public:
  explicit ProcessModelImpl(const ProcessSpec& spec);

  // times: the points' times (shared by the batch, increasing); x: [B × T × x_dim].
  Posterior encode(const std::vector<double>& times, const torch::Tensor& x);
  // A reparameterised draw of z (exp of it for a LogNormal latent). [B × z]
  torch::Tensor sample_latent(const Posterior& q) const;
  // p(y | z) at increasing times; `ode_stats` receives the solver's statistics (ODE decoders).
  ObservationModel decode(const torch::Tensor& z, const std::vector<double>& times, OdeStats* ode_stats = nullptr);

  const ProcessSpec& spec() const { return spec_; }
  std::int64_t parameter_count() const;

 private:
  ProcessSpec spec_;
  // encoders (one of)
  torch::nn::Sequential mlp_encoder{nullptr};
  torch::nn::LSTM lstm{nullptr};
  torch::nn::Linear lstm_out{nullptr};
  torch::nn::Sequential gru_ode_f{nullptr}, gru_update{nullptr}, gru_reset{nullptr}, gru_new{nullptr}, transform_z0{nullptr};
  torch::nn::Linear gru_out{nullptr};
  torch::nn::GRU gru{nullptr};
  torch::nn::Sequential z0_head{nullptr};  // LODE, RNN-VAE: recognition state → [μ, σ] of z0
  torch::nn::Sequential latent_f{nullptr};  // LODE: dz/dt
  torch::nn::GRUCell decoder_cell{nullptr};  // RNN-VAE
  // latent heads: one (NP) or two (L0, D)
  std::vector<torch::nn::Sequential> latent_hidden;
  std::vector<torch::nn::Linear> latent_mu, latent_sigma;
  // decoders
  torch::nn::Sequential ode_f{nullptr}, readout{nullptr}, np_decoder{nullptr};
  torch::nn::Linear head_loc{nullptr}, head_scale{nullptr};

  torch::Tensor encode_mlp(const std::vector<double>& times, const torch::Tensor& x);
  torch::Tensor encode_lstm(const torch::Tensor& x);
  torch::Tensor encode_gru_ode(const std::vector<double>& times, const torch::Tensor& x);
  torch::Tensor encode_gru(const std::vector<double>& times, const torch::Tensor& x);
  bool baseline() const { return spec_.kind == ProcessKind::latent_ode || spec_.kind == ProcessKind::rnn_vae; }
};
TORCH_MODULE(ProcessModel);

const char* to_string(ProcessKind k);
const char* to_string(EncoderKind k);
const char* to_string(Likelihood k);

}  // namespace fluxion::dynamics
