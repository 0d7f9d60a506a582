// A trained neural process: its options, what it is, and its predictions. Training is in
// neural_process_training.cpp, saving and loading in neural_process_persistence.cpp.
#include "fluxion/dynamics/neural_process.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
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

double mean_of(const std::vector<double>& v, std::size_t first, std::size_t last) {
  last = std::min(last, v.size());
  if (first >= last) return kNaN;
  return std::accumulate(v.begin() + static_cast<std::ptrdiff_t>(first), v.begin() + static_cast<std::ptrdiff_t>(last), 0.0) /
         static_cast<double>(last - first);
}

}  // namespace

double DayMetrics::mse_mean() const { return mean_of(mse, 0, mse.size()); }
double DayMetrics::mse_mean(std::size_t first, std::size_t last) const { return mean_of(mse, first, last); }
double DayMetrics::floor_mean(std::size_t first, std::size_t last) const { return mean_of(floor, first, last); }
double DayMetrics::day_mean_mean(std::size_t first, std::size_t last) const { return mean_of(day_mean, first, last); }

const OptionTable<NeuralProcessOptions>& NeuralProcessOptions::table() {
  using O = NeuralProcessOptions;
  static const OptionTable<O> t = [] {
    OptionTable<O> t;
    t.add("test-configuration", &O::test_configuration, "--configurations: the configuration held out for testing (an unseen knockout)");
    t.add("model", &O::model, "np, nodep, snodep, or the baselines lode (Latent ODE) and rnn-vae (latent_ode's defaults, a fluxion configuration)")
        .choices({"np", "nodep", "snodep", "lode", "rnn-vae"})
        .label("Model")
        .web();
    t.add("data-kind", &O::data_kind, "expression (raw counts), flux or balance").choices({"expression", "flux", "balance"}).label("Kind of data").web();
    t.add("encoder", &O::encoder, "auto (np, nodep: mlp; snodep: lstm, or gru-ode when --frequency < 1), mlp, lstm, gru-ode")
        .choices({"auto", "mlp", "lstm", "gru-ode"})
        .label("Encoder")
        .web("Advanced");
    t.add("likelihood", &O::likelihood, "auto (poisson for snodep on expression, else normal), normal, poisson")
        .choices({"auto", "normal", "poisson"})
        .label("Likelihood")
        .web("Advanced");
    t.add("latent", &O::latent, "auto (lognormal for snodep on expression, else normal), normal, lognormal").choices({"auto", "normal", "lognormal"});
    t.add("epochs", &O::epochs, "Training epochs (the paper: 500)").range(1, 100000).label("Training epochs").web();
    t.add("trajectories", &O::trajectories, "Pseudo-trajectories drawn once (one cell per day)").range(1, 10000000).label("Trajectories").web("Advanced");
    t.add("batch-size", &O::batch_size, "Trajectories per optimiser step").range(1, 1000000);
    t.add("test-trajectories", &O::test_trajectories, "The paper's test set: the last trajectories of the training set").range(1, 1000000);
    t.add("context", &O::context_points, "Context: the first days the encoder sees").range(1, 10000).label("Context days").web();
    t.add("target", &O::target_points, "Training target: the first days the loss scores").range(1, 10000).label("Days to predict").web();
    t.add("learning-rate", &O::learning_rate, "RMSprop's learning rate (0: 1e-3, or 1e-4 with the gru-ode encoder); lode, rnn-vae: Adamax's (0: 1e-2)")
        .range(0.0, 10.0)
        .label("Learning rate")
        .web("Advanced");
    t.add("frequency", &O::frequency, "Irregular sampling: the share of days 1…target−1 observed (1 = regular)").range(0.01, 1.0).label("Sampling frequency").web();
    t.add("holdout", &O::holdout, "Share of each day's cells kept out of training, scored as fresh trajectories (0 = the paper's protocol only)")
        .range(0.0, 0.9)
        .label("Held-out share")
        .web();
    t.add("time-scale", &O::time_scale, "t = day × this").positive();
    t.add("solver", &O::solver, "Decoder ODE solver: dopri5 (adaptive), rk4, euler").choices({"dopri5", "rk4", "euler"}).label("ODE solver").web("Advanced");
    t.add("rtol", &O::rtol, "dopri5 relative tolerance (lode: latent_ode's 1e-3 and 1e-4 always)").positive();
    t.add("atol", &O::atol, "dopri5 absolute tolerance").positive();
    t.add("step", &O::step, "rk4, euler: the step in t").positive();
    t.add("seed", &O::seed, "Random seed (weights, trajectories, batches)").label("Random seed").web("Advanced");
    t.add("reference-draw", &O::reference_draw,
          "Draw the pseudo-trajectories exactly as the reference implementation does (numpy RandomState(42), pandas sample): the paper's "
          "training and test trajectories; needs --holdout 0");
    t.add("reference-draw-seed", &O::reference_draw_seed, "numpy's seed for --reference-draw (42 is the reference's)");
    t.add("threads", &O::threads, "Intra-op threads (1 is fastest for these small networks; run several trainings in parallel instead)").range(1, 1024);
    t.add("eval-every", &O::eval_every, "Epochs between test evaluations").range(1, 100000);
    t.add("w1-samples", &O::w1_samples, "Model samples per day for the Wasserstein distances (0 = none)").range(0, 100000);
    return t;
  }();
  return t;
}

std::vector<Diagnostic> NeuralProcessOptions::validate(std::size_t n_days) const {
  Diagnostics d("dynamics options");
  d.append(table().check(*this, "dynamics options"));
  auto bad = [&](const std::string& field, const std::string& what) { d.error("--" + field + " " + what, 0, 0, field); };
  if ((model == "lode" || model == "rnn-vae") && (encoder != "auto" || likelihood != "auto" || latent != "auto"))
    bad("model", "lode and rnn-vae have their own encoder, latent and likelihood (leave --encoder, --likelihood and --latent at auto)");
  if (model == "np" && encoder != "auto" && encoder != "mlp") bad("encoder", "must be mlp for np (its decoder has no ODE and its encoder is order-invariant)");
  if (trajectories < batch_size) bad("trajectories", "is " + std::to_string(trajectories) + "; must be ≥ the batch size (" + std::to_string(batch_size) + ")");
  if (test_trajectories > trajectories) bad("test-trajectories", "is " + std::to_string(test_trajectories) + "; must be in [1, trajectories]");
  if (target_points < context_points) bad("target", "is " + std::to_string(target_points) + "; must be ≥ the context (" + std::to_string(context_points) + ")");
  if (n_days > 0 && static_cast<std::size_t>(target_points) > n_days)
    bad("target", "is " + std::to_string(target_points) + " but the data have " + std::to_string(n_days) + " days");
  if (reference_draw && holdout > 0) bad("reference-draw", "draws from every cell as the reference does; give --holdout 0 with it");
  return d.items();
}


NeuralProcess::NeuralProcess() : impl_(std::make_unique<Impl>()) {}
NeuralProcess::~NeuralProcess() = default;
NeuralProcess::NeuralProcess(NeuralProcess&&) noexcept = default;
NeuralProcess& NeuralProcess::operator=(NeuralProcess&&) noexcept = default;
const std::vector<std::string>& NeuralProcess::features() const { return impl_->features; }
const std::vector<int>& NeuralProcess::days() const { return impl_->days; }
int NeuralProcess::context_points() const { return impl_->context_points; }
std::int64_t NeuralProcess::parameter_count() const { return impl_->net ? impl_->net->parameter_count() : 0; }

std::string NeuralProcess::description() const {
  const ProcessSpec& s = impl_->spec;
  std::ostringstream o;
  o << to_string(s.kind) << " (encoder " << to_string(s.encoder) << (s.mask_input ? " with masks" : "") << ", latent "
    << (s.lognormal_latent ? "lognormal" : "normal") << ", likelihood " << to_string(s.likelihood) << ", " << s.y_dim << " "
    << impl_->data_kind << " features, " << parameter_count() << " parameters)";
  return o.str();
}

namespace {

std::string num(double v) {  // day_metrics.csv's numbers; "" when not finite
  if (!std::isfinite(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", v);
  return buf;
}

}  // namespace

nlohmann::json day_metrics_summary(const DayMetrics& m, const std::vector<std::string>& features, int context, int target) {
  using nlohmann::json;
  auto finite_or_null = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  const std::size_t n = m.days.size(), c = static_cast<std::size_t>(context), t = static_cast<std::size_t>(target);
  auto mean = [](const std::vector<double>& v) {
    if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
  };
  json groups = json::array();
  auto group = [&](const std::string& name, std::size_t a, std::size_t b) {
    if (a >= b || b > n) return;
    groups.push_back({{"days", name},
                      {"first_day", m.days[a]},
                      {"last_day", m.days[b - 1]},
                      {"mse", finite_or_null(m.mse_mean(a, b))},
                      {"floor", finite_or_null(m.floor_mean(a, b))},
                      {"day_mean_mse", finite_or_null(m.day_mean_mean(a, b))}});
  };
  group("context", 0, c);
  group("training target beyond the context", c, t);
  group("never trained on", t, n);
  // knockout series: the measured features and the presence indicators (present:<gene>) apart
  json by_kind = json::object();
  if (!m.mse_by_feature.empty() && features.size() == m.mse_by_feature.size()) {
    double measured = 0, indicators = 0;
    std::size_t n_measured = 0, n_indicators = 0;
    for (std::size_t f = 0; f < features.size(); ++f) {
      if (features[f].rfind("present:", 0) == 0) indicators += m.mse_by_feature[f], ++n_indicators;
      else measured += m.mse_by_feature[f], ++n_measured;
    }
    if (n_indicators > 0)
      by_kind = {{"measured_features", n_measured}, {"mse_measured", finite_or_null(measured / std::max<std::size_t>(1, n_measured))},
                 {"presence_indicators", n_indicators}, {"mse_presence_indicators", finite_or_null(indicators / static_cast<double>(n_indicators))}};
  }
  return {{"mse", finite_or_null(m.mse_mean())},
          {"by_feature_kind", by_kind},
          {"floor", finite_or_null(m.floor_mean(0, n))},
          {"day_mean_mse", finite_or_null(m.day_mean_mean(0, n))},
          {"w1_sum_over_features", finite_or_null(mean(m.w1_sum))},
          {"w1_exact", finite_or_null(mean(m.w1_exact))},
          {"groups", groups}};
}

std::string day_metrics_csv(const NeuralProcessEvaluation& ev) {
  std::string out = "set,day,mse,floor,day_mean_mse,w1_sum_over_features,w1_exact\n";
  auto rows = [&](const char* set, const DayMetrics& m) {
    for (std::size_t k = 0; k < m.days.size(); ++k)
      out += std::string(set) + ',' + std::to_string(m.days[k]) + ',' + num(m.mse[k]) + ',' + num(m.floor[k]) + ',' +
             (k < m.day_mean.size() ? num(m.day_mean[k]) : "") + ',' +
             (k < m.w1_sum.size() ? num(m.w1_sum[k]) : "") + ',' + (k < m.w1_exact.size() ? num(m.w1_exact[k]) : "") + '\n';
  };
  rows("paper", ev.paper);
  rows("fresh", ev.fresh);
  return out;
}

// ---- helpers shared with the training and persistence files (neural_process_internal.hpp)

std::optional<OdeMethod> ode_method(const std::string& name) {
  if (name == "dopri5") return OdeMethod::dopri5;
  if (name == "rk4") return OdeMethod::rk4;
  if (name == "euler") return OdeMethod::euler;
  return std::nullopt;
}

torch::Tensor to_tensor(std::vector<float> values, long n, long days, long y) {
  return torch::from_blob(values.data(), {n, days, y}, torch::kFloat32).clone();
}

Eigen::MatrixXd day_slice(const torch::Tensor& y, long day) {
  const auto t = y.select(1, day).to(torch::kFloat64).contiguous();
  return Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(t.data_ptr<double>(), t.size(0), t.size(1));
}

// A day's cells from a pool: [cells × features].
Eigen::MatrixXd pool_cells(const TimeSeries& s, std::size_t day, const std::vector<int>& pool) {
  Eigen::MatrixXd x(static_cast<Eigen::Index>(pool.size()), s.cells[day].cols());
  for (std::size_t i = 0; i < pool.size(); ++i) x.row(static_cast<Eigen::Index>(i)) = s.cells[day].row(pool[i]).cast<double>();
  return x;
}

Result<NeuralProcess::Prediction> NeuralProcess::predict(const TimeSeries& context, const std::vector<double>& predict_days, int n, std::uint64_t seed) const {
  Diagnostics d("prediction");
  const Impl& im = *impl_;
  if (context.features != im.features) {
    d.error("the context data's features differ from the model's (" + std::to_string(context.features.size()) + " vs " +
            std::to_string(im.features.size()) + "); give the same features in the same order as in training");
  }
  std::vector<std::vector<int>> pools;
  TimeSeries ctx;
  ctx.features = context.features;
  for (int k = 0; k < im.context_points; ++k) {
    const int day = im.days[static_cast<std::size_t>(k)];
    auto it = std::find(context.days.begin(), context.days.end(), day);
    if (it == context.days.end()) {
      d.error("the context data have no day " + std::to_string(day) + "; the model reads days " + std::to_string(im.days.front()) + "…" +
              std::to_string(im.days[static_cast<std::size_t>(im.context_points - 1)]) + " as its context");
      continue;
    }
    const auto idx = static_cast<std::size_t>(it - context.days.begin());
    ctx.days.push_back(day);
    ctx.cells.push_back(context.cells[idx]);
    std::vector<int> all(static_cast<std::size_t>(context.cells[idx].rows()));
    std::iota(all.begin(), all.end(), 0);
    pools.push_back(std::move(all));
  }
  if (predict_days.empty()) d.error("no days to predict");
  for (std::size_t i = 0; i < predict_days.size(); ++i) {
    if (!std::isfinite(predict_days[i]) || predict_days[i] * im.time_scale <= im.spec.initial_t)
      d.error("day " + std::to_string(predict_days[i]) + " is before the model's start (" + std::to_string(im.spec.initial_t / im.time_scale) + ")");
    if (i > 0 && predict_days[i] <= predict_days[i - 1]) d.error("the days to predict must increase");
  }
  if (n < 1) d.error("the number of trajectories must be ≥ 1");
  if (d.has_errors()) return Result<Prediction>::failure(d);

  std::mt19937_64 rng(seed);
  torch::manual_seed(seed);
  const long c = im.context_points, y = static_cast<long>(im.features.size());
  auto yc = to_tensor(draw_trajectories(ctx, pools, n, rng), n, c, y);
  if (im.spec.mask_input) yc = torch::cat({yc, torch::ones_like(yc)}, 2);
  std::vector<double> times;
  for (double day : predict_days) times.push_back(day * im.time_scale);
  torch::NoGradGuard no_grad;
  ProcessModel net = im.net;  // shares the module
  net->eval();
  const auto q = net->encode(im.times_of(im.days, static_cast<std::size_t>(c)), yc);
  const auto z = net->sample_latent(q);
  OdeStats stats;
  const auto p = net->decode(z, times, &stats);
  if (!stats.ok) {
    d.error("the decoder's ODE solver stopped: " + stats.message);
    return Result<Prediction>::failure(d);
  }
  const auto mean = p.mean().contiguous(), sample = p.sample().contiguous();
  Prediction out;
  out.days = predict_days;
  for (long k = 0; k < static_cast<long>(times.size()); ++k) {
    out.mean.push_back(day_slice(mean, k).cast<float>());
    out.sample.push_back(day_slice(sample, k).cast<float>());
  }
  return Result<Prediction>::success(std::move(out));
}

}  // namespace fluxion::dynamics
