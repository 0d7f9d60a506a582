// Training a neural process (NP, NODEP, SNODEP and the baselines) on per-day tables, and its
// evaluation by day, on held-out cells and by Wasserstein distances.
#include "fluxion/dynamics/neural_process.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <sstream>

#include "distributions.hpp"
#include "fluxion/dynamics/metrics.hpp"
#include "neural_process_internal.hpp"
#include "process_model.hpp"

namespace fluxion::dynamics {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Adamax (Kingma & Ba; LibTorch 1.13 has none): m ← β1·m + (1 − β1)·g, u ← max(β2·u, |g| + ε),
// θ ← θ − lr/(1 − β1^t)·m/u.
struct Adamax {
  std::vector<torch::Tensor> params, m, u;
  double lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  long t = 0;
  Adamax(std::vector<torch::Tensor> p, double rate) : params(std::move(p)), lr(rate) {
    for (const auto& q : params) {
      m.push_back(torch::zeros_like(q));
      u.push_back(torch::zeros_like(q));
    }
  }
  void zero_grad() {
    for (auto& q : params)
      if (q.grad().defined()) q.mutable_grad().zero_();
  }
  void step() {
    torch::NoGradGuard no_grad;
    ++t;
    const double step = lr / (1 - std::pow(beta1, static_cast<double>(t)));
    for (std::size_t i = 0; i < params.size(); ++i) {
      const auto& g = params[i].grad();
      if (!g.defined()) continue;
      m[i].mul_(beta1).add_(g, 1 - beta1);
      u[i] = torch::maximum(u[i] * beta2, g.abs() + eps);
      params[i].sub_(step * m[i] / u[i]);
    }
  }
};

struct NeuralProcessTrainer {
  const NeuralProcessOptions& o;
  NeuralProcess::Impl& m;
  std::vector<double> context_times, target_times, all_times;
  torch::Tensor mask_all;  // [days] ones, zeros at masked days (the fixed evaluation mask)
  int n_masked = 0;

  torch::Tensor encoder_input(const torch::Tensor& y, const torch::Tensor& mask) const {
    auto ym = y * mask.view({1, -1, 1});
    if (!m.spec.mask_input) return ym;
    return torch::cat({ym, mask.view({1, -1, 1}).expand_as(ym)}, 2);
  }

  torch::Tensor draw_mask(std::mt19937_64& rng) const {
    auto mask = torch::ones({static_cast<long>(all_times.size())});
    if (n_masked == 0) return mask;
    std::vector<int> candidates(static_cast<std::size_t>(o.target_points - 1));
    std::iota(candidates.begin(), candidates.end(), 1);  // day 0 and the days after the training target are never masked
    std::shuffle(candidates.begin(), candidates.end(), rng);
    for (int i = 0; i < n_masked; ++i) mask[candidates[static_cast<std::size_t>(i)]] = 0.0f;
    return mask;
  }

  // One evaluation of the trajectories `y` [n × days × y]: per-day MSE of E[y | z], z ~ q(z | context);
  // optionally samples for the Wasserstein distances. Returns the per-day MSE (masked as the paper's).
  std::vector<double> evaluate(const torch::Tensor& y, const torch::Tensor& mask, torch::Tensor* samples, double* paper_mse,
                               std::vector<double>* per_feature = nullptr) {
    torch::NoGradGuard no_grad;
    m.net->eval();
    const auto x = encoder_input(y, mask);
    const auto q = m.net->encode(context_times, x.slice(1, 0, o.context_points));
    const auto z = m.net->sample_latent(q);
    const auto p = m.net->decode(z, all_times);
    auto err = (y - p.mean()) * mask.view({1, -1, 1});
    const auto sq = err.square();
    if (paper_mse != nullptr) *paper_mse = sq.mean().item<double>();
    const auto per_day = sq.mean(std::vector<int64_t>{0, 2}).to(torch::kFloat64).contiguous();
    if (samples != nullptr) *samples = p.sample();
    if (per_feature != nullptr) {
      const auto f = sq.mean(std::vector<int64_t>{0, 1}).to(torch::kFloat64).contiguous();
      per_feature->assign(f.data_ptr<double>(), f.data_ptr<double>() + f.numel());
    }
    m.net->train();
    return {per_day.data_ptr<double>(), per_day.data_ptr<double>() + per_day.numel()};
  }
};

}  // namespace

Result<NeuralProcessResult> train_neural_process(const std::vector<NamedSeries>& configurations, const NeuralProcessOptions& o) {
  Diagnostics d("dynamics training");
  if (configurations.empty()) {
    d.error("no data");
    return Result<NeuralProcessResult>::failure(d);
  }
  const TimeSeries& first = configurations.front().series;
  d.append(o.validate(first.days.size()));
  for (const auto& c : configurations)
    if (c.series.features != first.features || c.series.days != first.days) d.error("configuration " + c.name + " has other features or days than " + configurations.front().name);
  int test_index = -1;
  if (!o.test_configuration.empty()) {
    for (std::size_t i = 0; i < configurations.size(); ++i)
      if (configurations[i].name == o.test_configuration) test_index = static_cast<int>(i);
    if (test_index < 0) d.error("is '" + o.test_configuration + "', which is not among the configurations", 0, 0, "test_configuration");
    if (configurations.size() < 2) d.error("needs at least one other configuration to train on", 0, 0, "test_configuration");
  }
  if (o.data_kind == "expression" && (o.likelihood == "poisson" || (o.likelihood == "auto" && o.model == "snodep"))) {
    for (const auto& c : configurations)
      for (const auto& x : c.series.cells)
        if ((x.array() != x.array().round()).any() || (x.array() < 0).any()) {
          d.error("configuration " + c.name + " holds values that are not non-negative integers; the Poisson likelihood needs raw counts (use --likelihood normal for normalised values)");
          break;
        }
  }
  if (d.has_errors()) return Result<NeuralProcessResult>::failure(d);

  // the model
  NeuralProcessResult result;
  auto& m = *result.model.impl_;
  const ProcessKind kind = o.model == "np"        ? ProcessKind::np
                           : o.model == "nodep"   ? ProcessKind::nodep
                           : o.model == "lode"    ? ProcessKind::latent_ode
                           : o.model == "rnn-vae" ? ProcessKind::rnn_vae
                                                  : ProcessKind::snodep;
  const bool baseline = kind == ProcessKind::latent_ode || kind == ProcessKind::rnn_vae;
  const bool irregular = o.frequency < 1.0;
  m.spec = default_spec(kind, static_cast<int>(first.n_features()));
  const bool counts = o.data_kind == "expression";
  if (baseline) {
    m.spec.ode.method = *ode_method(o.solver);
    m.spec.ode.step = o.step;
  } else {
  if (o.encoder == "auto") m.spec.encoder = kind == ProcessKind::snodep ? (irregular ? EncoderKind::gru_ode : EncoderKind::lstm) : EncoderKind::mlp;
  else m.spec.encoder = o.encoder == "mlp" ? EncoderKind::mlp : o.encoder == "lstm" ? EncoderKind::lstm : EncoderKind::gru_ode;
  if (o.likelihood == "auto") m.spec.likelihood = kind == ProcessKind::snodep && counts ? Likelihood::poisson : Likelihood::normal;
  else m.spec.likelihood = o.likelihood == "poisson" ? Likelihood::poisson : Likelihood::normal;
  if (o.latent == "auto") m.spec.lognormal_latent = kind == ProcessKind::snodep && counts;
  else m.spec.lognormal_latent = o.latent == "lognormal";
  m.spec.mask_input = irregular;
  m.spec.ode.method = *ode_method(o.solver);
  m.spec.ode.rtol = o.rtol;
  m.spec.ode.atol = o.atol;
  m.spec.ode.step = o.step;
  }
  m.features = first.features;
  m.days = first.days;
  m.context_points = o.context_points;
  m.time_scale = o.time_scale;
  m.data_kind = o.data_kind;

  torch::set_num_threads(o.threads);
  torch::manual_seed(o.seed);
  m.net = ProcessModel(m.spec);
  m.net->train();
  const double lr = o.learning_rate > 0 ? o.learning_rate : baseline ? 1e-2 : (m.spec.encoder == EncoderKind::gru_ode ? 1e-4 : 1e-3);
  torch::optim::RMSprop optimiser(m.net->parameters(), torch::optim::RMSpropOptions(lr));
  Adamax adamax(m.net->parameters(), lr);  // the baselines' optimiser (latent_ode's)

  NeuralProcessTrainer tr{o, m, {}, {}, {}, {}, 0};
  tr.all_times = m.times_of(m.days, m.days.size());
  tr.context_times = m.times_of(m.days, static_cast<std::size_t>(o.context_points));
  tr.target_times = m.times_of(m.days, static_cast<std::size_t>(o.target_points));
  tr.n_masked = irregular ? static_cast<int>(o.target_points * (1.0 - o.frequency)) : 0;
  tr.n_masked = std::min(tr.n_masked, o.target_points - 1);

  // the data: pools per configuration, trajectories drawn once
  std::mt19937_64 rng(o.seed);
  std::vector<CellPools> pools;
  std::vector<int> train_configs;
  for (std::size_t i = 0; i < configurations.size(); ++i) {
    pools.push_back(split_cells(configurations[i].series, static_cast<int>(i) == test_index ? 0.0 : o.holdout, o.seed + 1000 * i));
    if (static_cast<int>(i) != test_index) train_configs.push_back(static_cast<int>(i));
  }
  for (std::size_t i = 0; i < configurations.size(); ++i)
    for (std::size_t k = 0; k < pools[i].train.size(); ++k)
      if (pools[i].train[k].empty())
        d.error("day " + std::to_string(configurations[i].series.days[k]) + " of " + configurations[i].name + " has " +
                    std::to_string(configurations[i].series.cells[k].rows()) + " cell(s): too few to hold some out; give --holdout 0",
                0, 0, "holdout");
  if (d.has_errors()) return Result<NeuralProcessResult>::failure(d);
  const long n_days = static_cast<long>(m.days.size()), ydim = static_cast<long>(first.n_features());
  std::vector<float> train_values;
  train_values.reserve(static_cast<std::size_t>(o.trajectories * n_days * ydim));
  std::uniform_int_distribution<std::size_t> pick_config(0, train_configs.size() - 1);
  if (o.reference_draw) {
    if (configurations.size() != 1) {
      d.error("covers one series; a knockout experiment's configurations are drawn with fluxion's generator", 0, 0, "reference_draw");
      return Result<NeuralProcessResult>::failure(d);
    }
    train_values = gather_trajectories(first, reference_trajectory_cells(first, o.trajectories, o.reference_draw_seed));
  } else {
    for (int i = 0; i < o.trajectories; ++i) {
      const auto c = static_cast<std::size_t>(train_configs[pick_config(rng)]);
      auto one = draw_trajectories(configurations[c].series, pools[c].train, 1, rng);
      train_values.insert(train_values.end(), one.begin(), one.end());
    }
  }
  const auto train_y = to_tensor(std::move(train_values), o.trajectories, n_days, ydim);

  // the paper's test set (the last trajectories of the training set), or the held-out configuration
  torch::Tensor paper_y;
  const TimeSeries* paper_series = &first;
  std::vector<std::vector<int>> paper_pools;
  if (test_index >= 0) {
    paper_series = &configurations[static_cast<std::size_t>(test_index)].series;
    paper_pools = pools[static_cast<std::size_t>(test_index)].train;
    paper_y = to_tensor(draw_trajectories(*paper_series, paper_pools, o.test_trajectories, rng), o.test_trajectories, n_days, ydim);
  } else {
    paper_pools = pools.front().train;
    paper_y = train_y.slice(0, o.trajectories - o.test_trajectories);
  }
  // fresh trajectories of held-out cells
  torch::Tensor fresh_y;
  const TimeSeries& fresh_series = first;
  if (test_index < 0 && o.holdout > 0)
    fresh_y = to_tensor(draw_trajectories(fresh_series, pools.front().test, o.test_trajectories, rng), o.test_trajectories, n_days, ydim);

  std::mt19937_64 eval_rng(2023);
  const auto eval_mask = tr.draw_mask(eval_rng);
  const auto no_mask = torch::ones({n_days});

  std::ostringstream protocol;
  protocol << m.spec.y_dim << " " << o.data_kind << " features, " << n_days << " days (t = day × " << o.time_scale << "); " << o.trajectories
           << " pseudo-trajectories drawn once" << (o.reference_draw ? " as the reference draws them (numpy RandomState(" + std::to_string(o.reference_draw_seed) + "), pandas sample)" : "") << (o.holdout > 0 ? " from " + std::to_string(static_cast<int>(std::lround(100 * (1 - o.holdout)))) + "% of each day's cells" : "")
           << "; context " << o.context_points << " days, training target " << o.target_points << "; batch " << o.batch_size << (baseline ? "; Adamax lr " : "; RMSprop lr ") << lr
           << (baseline ? " × 0.999 per step (floor lr/10), KL weight 0 for 50 epochs then 1 − 0.993^(epoch − 50), 3 latent samples (IWAE bound), observation σ 0.01 (fluxion configuration of latent_ode's defaults)" : "") << "; "
           << o.epochs << " epochs; decoder ";
  if (kind == ProcessKind::rnn_vae) protocol << "a GRU cell (no ODE)";
  else if (o.solver == "dopri5") protocol << "dopri5 rtol " << m.spec.ode.rtol << " atol " << m.spec.ode.atol;
  else protocol << o.solver << " step " << o.step;
  protocol << "; seed " << o.seed << "; " << o.threads << " thread(s)";
  if (irregular) protocol << "; irregular: " << tr.n_masked << " of days 1–" << o.target_points - 1 << " masked per batch";
  if (test_index >= 0) protocol << "; tested on the held-out configuration " << o.test_configuration;
  else protocol << "; paper test set = the last " << o.test_trajectories << " training trajectories";
  result.protocol = protocol.str();

  const auto t_start = std::chrono::steady_clock::now();
  const long n_batches = o.trajectories / o.batch_size;
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    EpochRecord rec;
    rec.epoch = epoch;
    const auto order = torch::randperm(o.trajectories, torch::kLong);
    double loss_sum = 0, evaluations = 0;
    for (long b = 0; b < n_batches; ++b) {
      const auto idx = order.slice(0, b * o.batch_size, (b + 1) * o.batch_size);
      const auto y = train_y.index_select(0, idx);
      const auto mask = tr.draw_mask(rng);
      const auto x = tr.encoder_input(y, mask);
      OdeStats stats;
      torch::Tensor loss;
      if (baseline) {
        // encode the context, score the target; the bound over 3 latent samples as latent_ode's
        constexpr int kSamples = 3;
        const auto q = m.net->encode(tr.context_times, x.slice(1, 0, o.context_points));
        const auto z = m.net->sample_latent({q.mu.repeat({kSamples, 1}), q.sigma.repeat({kSamples, 1})});
        const auto p = m.net->decode(z, tr.target_times, &stats);
        auto log_p = p.log_prob(y.slice(1, 0, o.target_points).repeat({kSamples, 1, 1}));
        if (irregular) log_p = log_p * mask.slice(0, 0, o.target_points).view({1, -1, 1});
        const auto per_sample = log_p.mean(std::vector<int64_t>{1, 2}).view({kSamples, -1}).mean(1);  // [samples]
        const auto kl = normal_kl(q.mu, q.sigma, torch::zeros_like(q.mu), torch::ones_like(q.sigma)).mean();
        const double kl_weight = epoch <= 50 ? 0.0 : 1.0 - std::pow(0.993, epoch - 50);
        loss = -torch::logsumexp(per_sample - kl_weight * kl, 0);
      } else {
        const auto q_target = m.net->encode(tr.target_times, x.slice(1, 0, o.target_points));
        const auto q_context = m.net->encode(tr.context_times, x.slice(1, 0, o.context_points));
        const auto z = m.net->sample_latent(q_target);
        const auto p = m.net->decode(z, tr.target_times, &stats);
        auto log_p = p.log_prob(y.slice(1, 0, o.target_points));
        if (irregular) log_p = log_p * mask.slice(0, 0, o.target_points).view({1, -1, 1});
        const auto nll = -log_p.sum(std::vector<int64_t>{1, 2}).mean();
        const auto kl = normal_kl(q_target.mu, q_target.sigma, q_context.mu, q_context.sigma).sum(1).mean();
        loss = nll + kl;
      }
      const double value = loss.item<double>();
      if (!std::isfinite(value) || !stats.ok) {
        result.summary = {Termination::failed,
                          "epoch " + std::to_string(epoch) + ", batch " + std::to_string(b + 1) + ": " +
                              (stats.ok ? "the loss is not finite" : "the decoder's ODE solver stopped: " + stats.message) + "; try a smaller learning rate",
                          false,
                          {}};
        break;
      }
      if (baseline) {
        adamax.zero_grad();
        loss.backward();
        adamax.step();
        adamax.lr = std::max(lr / 10, adamax.lr * 0.999);
      } else {
        optimiser.zero_grad();
        loss.backward();
        optimiser.step();
      }
      loss_sum += value;
      evaluations += static_cast<double>(stats.evaluations);
    }
    if (!result.summary.usable) break;
    rec.train_loss = loss_sum / static_cast<double>(n_batches);
    rec.ode_evaluations = evaluations / static_cast<double>(n_batches);
    rec.test_mse = kNaN;
    if (epoch % o.eval_every == 0 || epoch == o.epochs) {
      double mse = 0;
      tr.evaluate(paper_y, irregular ? eval_mask : no_mask, nullptr, &mse);
      rec.test_mse = mse;
    }
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.history.push_back(rec);
    if (o.progress && !o.progress(Progress{epoch, o.epochs, "epochs", rec.train_loss, rec.test_mse})) {
      result.summary = {Termination::stopped, "after " + std::to_string(epoch) + " of " + std::to_string(o.epochs) + " epochs", true, {}};
      break;
    }
  }
  result.seconds_training = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();

  // final evaluation: the paper's metric split by day, the floors, the held-out cells, Wasserstein distances
  auto& ev = result.evaluation;
  if (result.summary.usable) {
    std::mt19937_64 w1_rng(o.seed + 7);
    auto score = [&](const torch::Tensor& y, const torch::Tensor& mask, const TimeSeries& series, const std::vector<std::vector<int>>& pool, DayMetrics& out, double* paper) {
      torch::Tensor samples;
      out.days = m.days;
      out.mse = tr.evaluate(y, mask, o.w1_samples > 0 ? &samples : nullptr, paper, &out.mse_by_feature);
      out.floor = day_variance_floor(series, pool);
      std::vector<Eigen::MatrixXd> day_cells;
      for (long k = 0; k < n_days; ++k) {
        day_cells.push_back(pool_cells(series, static_cast<std::size_t>(k), pool[static_cast<std::size_t>(k)]));
        const Eigen::RowVectorXd centre = day_cells.back().colwise().mean();
        const Eigen::MatrixXd scored = day_slice(y, k);
        const double weight = mask[k].item<double>();
        out.day_mean.push_back(weight * (scored.rowwise() - centre).array().square().mean());
      }
      if (o.w1_samples <= 0) return;
      const long n_samples = std::min<long>(o.w1_samples, samples.size(0));
      for (long k = 0; k < n_days; ++k) {
        const Eigen::MatrixXd model = day_slice(samples.slice(0, 0, n_samples), k);
        const Eigen::MatrixXd& cells = day_cells[static_cast<std::size_t>(k)];
        out.w1_sum.push_back(wasserstein1_sum_over_dimensions(model, cells));
        // equal sizes for the exact distance: a random subset of the larger side
        std::vector<int> rows(static_cast<std::size_t>(cells.rows()));
        std::iota(rows.begin(), rows.end(), 0);
        std::shuffle(rows.begin(), rows.end(), w1_rng);
        const long n_eq = std::min<long>(n_samples, cells.rows());
        Eigen::MatrixXd a = model.topRows(n_eq), b(n_eq, cells.cols());
        for (long i = 0; i < n_eq; ++i) b.row(i) = cells.row(rows[static_cast<std::size_t>(i)]);
        out.w1_exact.push_back(wasserstein1_exact(a, b));
      }
    };
    score(paper_y, irregular ? eval_mask : no_mask, *paper_series, paper_pools, ev.paper, &ev.paper_mse);
    if (fresh_y.defined()) score(fresh_y, no_mask, fresh_series, pools.front().test, ev.fresh, nullptr);
  }
  return Result<NeuralProcessResult>::success(std::move(result));
}
}  // namespace fluxion::dynamics
