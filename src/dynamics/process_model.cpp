#include "process_model.hpp"

#include <stdexcept>

#include "distributions.hpp"

namespace fluxion::dynamics {

namespace nn = torch::nn;

const char* to_string(ProcessKind k) {
  switch (k) {
    case ProcessKind::np: return "np";
    case ProcessKind::nodep: return "nodep";
    case ProcessKind::snodep: return "snodep";
    case ProcessKind::latent_ode: return "lode";
    case ProcessKind::rnn_vae: return "rnn-vae";
  }
  return "?";
}
const char* to_string(EncoderKind k) {
  switch (k) {
    case EncoderKind::mlp: return "mlp";
    case EncoderKind::lstm: return "lstm";
    case EncoderKind::gru_ode: return "gru-ode";
    case EncoderKind::gru: return "gru";
  }
  return "?";
}
const char* to_string(Likelihood k) { return k == Likelihood::poisson ? "poisson" : "normal"; }

ProcessSpec default_spec(ProcessKind kind, int y_dim) {
  ProcessSpec s;
  s.kind = kind;
  s.y_dim = y_dim;
  if (kind == ProcessKind::np) {
    s.r_dim = s.z_dim = s.h_dim = 60;
    s.l_dim = 0;
  }
  if (kind == ProcessKind::latent_ode || kind == ProcessKind::rnn_vae) {
    s.r_dim = 20;
    s.z_dim = s.l_dim = 10;
    s.h_dim = 100;
    s.encoder = kind == ProcessKind::latent_ode ? EncoderKind::gru_ode : EncoderKind::gru;
    s.likelihood = Likelihood::normal;
    s.lognormal_latent = false;
    s.mask_input = true;
    s.ode.rtol = 1e-3;
    s.ode.atol = 1e-4;
    return s;
  }
  s.encoder = kind == ProcessKind::snodep ? EncoderKind::lstm : EncoderKind::mlp;
  s.likelihood = kind == ProcessKind::snodep ? Likelihood::poisson : Likelihood::normal;
  s.lognormal_latent = kind == ProcessKind::snodep;
  return s;
}

torch::Tensor ObservationModel::log_prob(const torch::Tensor& y) const {
  return likelihood == Likelihood::poisson ? poisson_log_prob(y, loc) : normal_log_prob(y, loc, scale);
}

torch::Tensor ObservationModel::sample() const {
  torch::NoGradGuard no_grad;
  if (likelihood == Likelihood::poisson) return torch::poisson(loc);
  return loc + scale * torch::randn_like(loc);
}

namespace {

// The GRU-ODE parts start from N(0, 0.1²) weights and zero biases (latent_ode's init_network_weights).
void init_small_normal(nn::Sequential& seq) {
  for (auto& m : seq->modules(/*include_self=*/false)) {
    if (auto* linear = m->as<nn::Linear>()) {
      nn::init::normal_(linear->weight, 0.0, 0.1);
      nn::init::zeros_(linear->bias);
    }
  }
}

nn::Sequential two_layer_tanh(int in, int hidden, int out) {
  return nn::Sequential(nn::Linear(in, hidden), nn::Tanh(), nn::Linear(hidden, out));
}

}  // namespace

ProcessModelImpl::ProcessModelImpl(const ProcessSpec& spec) : spec_(spec) {
  const int x = spec.x_dim(), r = spec.r_dim, z = spec.z_dim, h = spec.h_dim;
  switch (spec.encoder) {
    case EncoderKind::mlp:
      mlp_encoder = register_module("encoder", nn::Sequential(nn::Linear(1 + x, r), nn::ReLU(), nn::Linear(r, r), nn::ReLU(), nn::Linear(r, r)));
      break;
    case EncoderKind::lstm:
      lstm = register_module("lstm", nn::LSTM(nn::LSTMOptions(x, r).batch_first(true)));
      lstm_out = register_module("lstm_out", nn::Linear(r, r));
      break;
    case EncoderKind::gru:
      gru = register_module("gru", nn::GRU(nn::GRUOptions(x + 1, r).batch_first(true)));
      break;
    case EncoderKind::gru_ode: {
      if (baseline())  // latent_ode's recognition ODE: one hidden layer of `units`
        gru_ode_f = register_module("gru_ode_f", nn::Sequential(nn::Linear(r, spec.h_dim), nn::Tanh(), nn::Linear(spec.h_dim, r)));
      else
        gru_ode_f = register_module("gru_ode_f", nn::Sequential(nn::Linear(r, 100), nn::Tanh(), nn::Linear(100, 100), nn::Tanh(), nn::Linear(100, r)));
      gru_update = register_module("gru_update", two_layer_tanh(r + x, 100, r));
      gru_reset = register_module("gru_reset", two_layer_tanh(r + x, 100, r));
      gru_new = register_module("gru_new", two_layer_tanh(r + x, 100, r));
      for (auto* seq : {&gru_ode_f, &gru_update, &gru_reset, &gru_new}) init_small_normal(*seq);
      if (!baseline()) {
        // unused by the computation; kept so that the parameter count is the reference's
        transform_z0 = register_module("transform_z0", nn::Sequential(nn::Linear(2 * r, 100), nn::Tanh(), nn::Linear(100, 2 * r)));
        gru_out = register_module("gru_out", nn::Linear(r, r));
      }
      break;
    }
  }
  if (baseline()) {
    const int l = spec.l_dim, units = spec.h_dim;
    z0_head = register_module("z0_head", nn::Sequential(nn::Linear(r, units), nn::Tanh(), nn::Linear(units, 2 * l)));
    init_small_normal(z0_head);
    if (spec.kind == ProcessKind::latent_ode) {
      latent_f = register_module("latent_f", nn::Sequential(nn::Linear(l, units), nn::Tanh(), nn::Linear(units, l)));
      init_small_normal(latent_f);
    } else {
      decoder_cell = register_module("decoder_cell", nn::GRUCell(nn::GRUCellOptions(1, l)));
    }
    head_loc = register_module("head_loc", nn::Linear(l, spec.y_dim));
    return;
  }
  std::vector<int> latent_sizes;
  if (spec.kind == ProcessKind::np)
    latent_sizes = {z};
  else
    latent_sizes = {spec.l_dim, z - spec.l_dim};
  for (std::size_t i = 0; i < latent_sizes.size(); ++i) {
    const std::string name = "latent" + std::to_string(i);
    latent_hidden.push_back(register_module(name + "_hidden", nn::Sequential(nn::Linear(r, r), nn::ReLU())));
    latent_mu.push_back(register_module(name + "_mu", nn::Linear(r, latent_sizes[i])));
    latent_sigma.push_back(register_module(name + "_sigma", nn::Linear(r, latent_sizes[i])));
  }
  int head_in = h;
  if (spec.kind == ProcessKind::np) {
    np_decoder = register_module("decoder", nn::Sequential(nn::Linear(1 + z, h), nn::ReLU(), nn::Linear(h, h), nn::ReLU(), nn::Linear(h, h), nn::ReLU()));
  } else {
    ode_f = register_module("ode_f", nn::Sequential(nn::Linear(z + 1, h), nn::Tanh(), nn::Linear(h, h), nn::Tanh(), nn::Linear(h, spec.l_dim)));
    readout = register_module("readout", nn::Sequential(nn::Linear(1 + z, h), nn::ReLU(), nn::Linear(h, h), nn::ReLU(), nn::Linear(h, h), nn::ReLU()));
    head_in = spec.l_dim + h;
  }
  head_loc = register_module("head_loc", nn::Linear(head_in, spec.y_dim));
  // the Normal head's scale; the Poisson head's is the reference's unused "alpha" layer
  head_scale = register_module("head_scale", nn::Linear(head_in, spec.y_dim));
}

std::int64_t ProcessModelImpl::parameter_count() const {
  std::int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

torch::Tensor ProcessModelImpl::encode_mlp(const std::vector<double>& times, const torch::Tensor& x) {
  const auto b = x.size(0), t = x.size(1);
  auto tt = torch::tensor(std::vector<float>(times.begin(), times.end()), x.options()).view({1, t, 1}).expand({b, t, 1});
  return mlp_encoder->forward(torch::cat({tt, x}, 2)).mean(1);
}

torch::Tensor ProcessModelImpl::encode_lstm(const torch::Tensor& x) {
  // the sequence read backwards in time; times are not an input
  auto [out, state] = lstm->forward(x.flip({1}));
  return lstm_out->forward(out.select(1, out.size(1) - 1));
}

torch::Tensor ProcessModelImpl::encode_gru_ode(const std::vector<double>& times, const torch::Tensor& x) {
  const auto n = static_cast<long>(times.size());
  auto h = torch::zeros({x.size(0), spec_.r_dim}, x.options());
  double prev_t = times.back() + 0.01;
  const double minimum_step = (times.back() - times.front()) / 50.0;
  for (long i = n - 1; i >= 0; --i) {
    const double ti = times[static_cast<std::size_t>(i)];
    const double gap = prev_t - ti;
    if (gap < minimum_step) {
      h = h + gru_ode_f->forward(h) * (ti - prev_t);
    } else {
      const long points = std::max(2L, static_cast<long>(gap / minimum_step));
      double a = prev_t;
      for (long k = 1; k < points; ++k) {
        const double b = prev_t + (ti - prev_t) * static_cast<double>(k) / static_cast<double>(points - 1);
        h = h + gru_ode_f->forward(h) * (b - a);
        a = b;
      }
    }
    const auto xi = x.select(1, i);
    const auto hx = torch::cat({h, xi}, 1);
    const auto update = torch::sigmoid(gru_update->forward(hx));
    const auto reset = torch::sigmoid(gru_reset->forward(hx));
    const auto candidate = gru_new->forward(torch::cat({h * reset, xi}, 1));
    h = (1 - update) * candidate + update * h;
    prev_t = ti;
  }
  return gru_out ? gru_out->forward(h) : h;
}

torch::Tensor ProcessModelImpl::encode_gru(const std::vector<double>& times, const torch::Tensor& x) {
  // backwards in time, each point with the time to the next one (0 for the last)
  const auto n = static_cast<long>(times.size());
  std::vector<float> dt(static_cast<std::size_t>(n), 0.0f);
  for (long i = 0; i + 1 < n; ++i) dt[static_cast<std::size_t>(i)] = static_cast<float>(times[static_cast<std::size_t>(i + 1)] - times[static_cast<std::size_t>(i)]);
  auto dts = torch::tensor(dt, x.options()).view({1, n, 1}).expand({x.size(0), n, 1});
  auto [out, h] = gru->forward(torch::cat({x, dts}, 2).flip({1}));
  return out.select(1, n - 1);
}

Posterior ProcessModelImpl::encode(const std::vector<double>& times, const torch::Tensor& x) {
  torch::Tensor r;
  switch (spec_.encoder) {
    case EncoderKind::mlp: r = encode_mlp(times, x); break;
    case EncoderKind::lstm: r = encode_lstm(x); break;
    case EncoderKind::gru_ode: r = encode_gru_ode(times, x); break;
    case EncoderKind::gru: r = encode_gru(times, x); break;
  }
  if (baseline()) {
    const auto out = z0_head->forward(r);
    return {out.slice(1, 0, spec_.l_dim), out.slice(1, spec_.l_dim).abs() + 1e-6};
  }
  std::vector<torch::Tensor> mus, sigmas;
  for (std::size_t i = 0; i < latent_hidden.size(); ++i) {
    const auto hidden = latent_hidden[i]->forward(r);
    mus.push_back(latent_mu[i]->forward(hidden));
    sigmas.push_back(0.1 + 0.9 * torch::sigmoid(latent_sigma[i]->forward(hidden)));
  }
  return {torch::cat(mus, 1), torch::cat(sigmas, 1)};
}

torch::Tensor ProcessModelImpl::sample_latent(const Posterior& q) const {
  auto z = sample_normal(q.mu, q.sigma);
  return spec_.lognormal_latent ? torch::exp(z) : z;
}

ObservationModel ProcessModelImpl::decode(const torch::Tensor& z, const std::vector<double>& times, OdeStats* ode_stats) {
  const auto b = z.size(0);
  const auto t = static_cast<long>(times.size());
  auto tt = torch::tensor(std::vector<float>(times.begin(), times.end()), z.options()).view({1, t, 1}).expand({b, t, 1});
  if (baseline()) {
    torch::Tensor states;  // [B × T × l]
    if (spec_.kind == ProcessKind::latent_ode) {
      OdeFunction f = [&](double, const torch::Tensor& state) { return latent_f->forward(state); };
      std::vector<double> solve_times{spec_.initial_t};
      solve_times.insert(solve_times.end(), times.begin(), times.end());
      auto solution = odeint(f, z, solve_times, spec_.ode);
      if (!solution) throw std::invalid_argument(solution.message());
      if (ode_stats != nullptr) *ode_stats = solution.value().stats;
      states = solution.value().ys.slice(0, 1).transpose(0, 1);
    } else {
      std::vector<torch::Tensor> steps;
      auto h = z;
      double prev = spec_.initial_t;
      for (double time : times) {
        h = decoder_cell->forward(torch::full({b, 1}, time - prev, z.options()), h);
        steps.push_back(h);
        prev = time;
      }
      states = torch::stack(steps, 1);
    }
    ObservationModel p;
    p.likelihood = Likelihood::normal;
    p.loc = head_loc->forward(states);
    p.scale = torch::full_like(p.loc, spec_.fixed_sigma);
    return p;
  }
  torch::Tensor features;
  if (spec_.kind == ProcessKind::np) {
    features = np_decoder->forward(torch::cat({tt, z.unsqueeze(1).expand({b, t, z.size(1)})}, 2));
  } else {
    const int l = spec_.l_dim;
    auto constant_part = torch::zeros({b, z.size(1) - l}, z.options());
    OdeFunction f = [&](double time, const torch::Tensor& state) {
      auto dl = ode_f->forward(torch::cat({state, torch::full({b, 1}, time, state.options())}, 1));
      return torch::cat({dl, constant_part}, 1);
    };
    std::vector<double> solve_times;
    solve_times.reserve(times.size() + 1);
    solve_times.push_back(spec_.initial_t);
    solve_times.insert(solve_times.end(), times.begin(), times.end());
    auto solution = odeint(f, z, solve_times, spec_.ode);
    if (!solution) throw std::invalid_argument(solution.message());  // times and options are checked by the caller
    if (ode_stats != nullptr) *ode_stats = solution.value().stats;
    auto states = solution.value().ys.slice(0, 1).transpose(0, 1);  // [B × T × z]
    auto hidden = readout->forward(torch::cat({tt, states}, 2));
    features = torch::cat({states.slice(2, 0, l), hidden}, 2);
  }
  ObservationModel p;
  p.likelihood = spec_.likelihood;
  if (spec_.likelihood == Likelihood::poisson) {
    // a rate that underflows to 0 would make log λ = −∞ at zero counts
    p.loc = torch::nn::functional::softplus(head_loc->forward(features)).clamp_min(1e-12);
  } else {
    p.loc = head_loc->forward(features);
    p.scale = 0.1 + 0.9 * torch::nn::functional::softplus(head_scale->forward(features));
  }
  return p;
}

}  // namespace fluxion::dynamics
