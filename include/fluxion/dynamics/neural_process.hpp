// Distributions of expression, flux or metabolite balance at unseen times and under unseen
// knockouts: neural processes trained on destructively sampled single-cell time series
// (SNODEP, Rathod et al.; ../shared/papers/snodep_rathod-et-al.txt, ../shared/notes/snodep.md).
//
// Models: NP (neural process), NODEP (neural ODE process) and SNODEP (structured NODEP: a
// backward LSTM encoder for regular sampling, a backward GRU-ODE encoder for irregular
// sampling, a LogNormal latent and a Poisson likelihood on gene counts). A model encodes the
// points it is shown (the context) into a latent L0 (initial state) and a control D, integrates
// dL/dt = f(L, D, t) with an adaptive Dormand–Prince solver, and reads out p(y | t).
//
// Training follows the reference: 1000 pseudo-trajectories (one random cell per day) drawn
// once; batches of 100; loss −log p(y_target | z ~ q(z | target)) + KL(q(z | target) ‖
// q(z | context)); context = the first 8 days, target = the first 12; RMSprop. The "paper"
// test MSE is its evaluation: the last 200 training trajectories, all 16 days, context days
// included — so it is also reported split by day group, beside the per-day variance floor, and
// on fresh trajectories of held-out cells (`holdout`), with 1-Wasserstein distances.
#pragma once

#include <Eigen/Dense>
#include <nlohmann/json.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/core/run.hpp"
#include "fluxion/dynamics/time_series.hpp"

namespace fluxion::dynamics {

struct NeuralProcessOptions {
  std::string model = "snodep";     // np | nodep | snodep
  std::string data_kind = "expression";  // expression (counts) | flux | balance
  std::string encoder = "auto";     // auto | mlp | lstm | gru-ode (auto: mlp for np/nodep; snodep lstm, gru-ode when irregular)
  std::string likelihood = "auto";  // auto | normal | poisson (auto: poisson for snodep on expression)
  std::string latent = "auto";      // auto | normal | lognormal (auto: lognormal for snodep on expression)
  int epochs = 500;                 // ≥ 1
  int trajectories = 1000;          // pseudo-trajectories drawn once, ≥ batch_size
  int batch_size = 100;             // trajectories per optimiser step
  int test_trajectories = 200;      // the last ones of the training set (the paper's test set)
  int context_points = 8;           // the first days shown to the encoder, ≥ 1
  int target_points = 12;           // the first days trained on, ≥ context_points, ≤ days
  double learning_rate = 0;         // RMSprop; 0: 1e-3 (1e-4 with the gru-ode encoder)
  double frequency = 1.0;           // (0, 1]: share of days 1…target_points−1 observed; < 1 masks int(T(1 − f)) of them per batch
  double holdout = 0.2;             // [0, 0.9]: share of each day's cells kept out of training, for fresh-trajectory metrics
  double time_scale = 0.1;          // t = day × time_scale
  std::string solver = "dopri5";    // dopri5 | rk4 | euler (decoder)
  double rtol = 1e-7, atol = 1e-9;  // dopri5 tolerances
  double step = 0.01;               // rk4, euler: the step in t
  std::string test_configuration;   // knockouts: the configuration held out for testing ("" = none)
  std::uint64_t seed = 42;
  // draw the pseudo-trajectories as the reference implementation does (numpy RandomState(42),
  // pandas DataFrame.sample): the paper's exact training and test trajectories; one series,
  // holdout 0. `seed` still sets the weights, the batches and the latent samples.
  bool reference_draw = false;
  std::uint32_t reference_draw_seed = 42;  // numpy's seed for that draw (42 is the reference's)
  int threads = 1;                  // intra-op threads (1 is fastest for these small networks)
  int eval_every = 1;               // epochs between test evaluations (the last epoch is always evaluated)
  int w1_samples = 200;             // model samples per day for the Wasserstein distances
  // after every epoch: done = epochs so far, loss = the training loss, score = the test MSE
  // (NaN between evaluations); false stops early
  ProgressHook progress;
  std::vector<Diagnostic> validate(std::size_t n_days) const;  // n_days 0: not known yet
  static const OptionTable<NeuralProcessOptions>& table();  // the options a front end offers
};

struct EpochRecord {
  int epoch = 0;
  double train_loss = 0;     // mean over the epoch's batches
  double test_mse = 0;       // NaN when not evaluated this epoch
  double seconds = 0;        // wall time of the epoch (training and evaluation)
  double ode_evaluations = 0;  // decoder right-hand-side calls per forward pass, averaged
};

// Per-day metrics; the *_mean fields average them over days.
struct DayMetrics {
  std::vector<int> days;
  std::vector<double> mse;         // ((y − E[y | z]))², one z ~ q(z | context) per trajectory
  std::vector<double> floor;       // per-day variance of the cells scored against (the lowest MSE without knowing the cell)
  std::vector<double> day_mean;    // MSE of predicting each day's mean cell on these very trajectories: the floor as this
                                   // finite test set realises it (200 trajectories move it by about ±3%)
  std::vector<double> w1_sum;      // Σ over features of the 1-D 1-Wasserstein distance (model samples vs cells); empty if not computed
  std::vector<double> w1_exact;    // exact Euclidean earth mover's distance, equal sample sizes; empty if not computed
  std::vector<double> mse_by_feature;  // per feature, averaged over trajectories and days
  double mse_mean() const;
  // mean over the days [first, last) (indices into `days`)
  double mse_mean(std::size_t first, std::size_t last) const;
  double floor_mean(std::size_t first, std::size_t last) const;
  double day_mean_mean(std::size_t first, std::size_t last) const;
};

struct NeuralProcessEvaluation {
  DayMetrics paper;  // the paper's test set (test ⊂ train), or the test configuration's trajectories
  DayMetrics fresh;  // fresh trajectories from the held-out cells; empty days when holdout = 0 and no test configuration
  double paper_mse = 0;  // the paper's number: masked when frequency < 1
};

// summary.json's scores of one set: the MSE, floor and day-mean MSE over all days and by group
// of days (the context, the training target beyond it, days never trained on), by kind of
// feature (measured, presence indicators) and the Wasserstein distances.
nlohmann::json day_metrics_summary(const DayMetrics& m, const std::vector<std::string>& features, int context, int target);
// day_metrics.csv: set (paper, fresh), day, mse, floor, day_mean_mse, w1_sum_over_features, w1_exact
std::string day_metrics_csv(const NeuralProcessEvaluation& ev);

struct NeuralProcessResult;

class NeuralProcess {
 public:
  NeuralProcess();
  ~NeuralProcess();
  NeuralProcess(NeuralProcess&&) noexcept;
  NeuralProcess& operator=(NeuralProcess&&) noexcept;

  const std::vector<std::string>& features() const;
  const std::vector<int>& days() const;  // the training days
  int context_points() const;
  std::int64_t parameter_count() const;
  std::string description() const;  // "snodep (encoder lstm, latent lognormal, likelihood poisson, y 84)"

  // model.pt and model.json in `directory`
  Result<bool> save(const std::string& directory) const;
  static Result<NeuralProcess> load(const std::string& directory);

  // Predictions for `n` pseudo-trajectories whose context days are drawn from `context` (its
  // first context_points() days, matched by day number) at the days `predict_days` (any
  // increasing numbers, unseen ones included): [n × days × features] means and samples.
  struct Prediction {
    std::vector<double> days;
    std::vector<Eigen::MatrixXf> mean;    // per day: [n × features] E[y | z]
    std::vector<Eigen::MatrixXf> sample;  // per day: [n × features] y ~ p(y | z)
  };
  Result<Prediction> predict(const TimeSeries& context, const std::vector<double>& predict_days, int n, std::uint64_t seed) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  friend Result<NeuralProcessResult> train_neural_process(const std::vector<NamedSeries>& configurations, const NeuralProcessOptions& options);
};

struct NeuralProcessResult {
  NeuralProcess model;
  std::vector<EpochRecord> history;
  NeuralProcessEvaluation evaluation;
  double seconds_training = 0;
  // completed; stopped (the progress hook); or failed, not usable: training diverged (a
  // non-finite loss or a solver failure), the message says where
  RunSummary summary;
  std::string protocol;  // one line: how the numbers were made
};

// Trains on one series (configurations of size 1), or on a knockout experiment's configurations
// with `test_configuration` held out. Errors: bad options, too few days, mismatched features.
Result<NeuralProcessResult> train_neural_process(const std::vector<NamedSeries>& configurations, const NeuralProcessOptions& options);

}  // namespace fluxion::dynamics
