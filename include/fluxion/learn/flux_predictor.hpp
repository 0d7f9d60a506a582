// ML-Flux's flux predictor: a fully connected network from the complete MID vector of a
// dataset (sampling/dataset.hpp layout) to the free fluxes (net, then exchange), trained
// on transformed fluxes (learn/transforms.hpp) with Adam and an MAE loss, keeping the
// weights of the best validation epoch. LibTorch stays behind this header.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/run.hpp"
#include "fluxion/learn/imputation.hpp"
#include "fluxion/learn/pcnn.hpp"
#include "fluxion/sampling/dataset_contents.hpp"

namespace fluxion::learn {

// Package format versions: 1 holds one network, 2 an ensemble of networks (ensemble()).
// This fluxion reads both and writes 1 unless the package is an ensemble.
inline constexpr int kSingleNetworkFormatVersion = 1;
inline constexpr int kPredictorFormatVersion = 2;

struct TrainOptions {
  std::vector<int> hidden;  // sizes of the hidden ReLU layers
  int epochs = 200;
  int batch = 32;
  double learning_rate = 1e-3;
  int patience = 20;        // epochs without a better validation loss before stopping
  // Halve the learning rate after this many epochs without a better validation loss
  // (0: never); at most 8 times.
  int lr_decay_after = 0;
  std::uint64_t seed = 1;   // initial weights and batch order
  int threads = 1;          // intra-op threads (the same count gives the same weights)
  // "cpu", "cuda", or "auto" (CUDA when LibTorch has a GPU). The package is the same
  // either way; on a GPU, weights are reproducible only up to its kernels' nondeterminism.
  std::string device = "cpu";
  bool progress = true;     // draw a progress bar on stderr
  // after every epoch: done = the epoch, loss = its training loss, score = its validation
  // loss; false pauses the training there, as a time limit does (the checkpoint, when there
  // is one, is written first; the best weights so far are returned)
  ProgressHook on_progress;
  // "mae": ML-Flux's first four models, the MAE of transformed free fluxes. "weighted_mse":
  // ML-Flux's CCM, the network outputs raw free fluxes and the loss is the mean over
  // rows and full fluxes (every net and exchange flux, through the kernels) of
  // w_j (v_j − v̂_j)².
  std::string loss = "mae";
  // Standardise each network output over the training rows (in the space the loss sees:
  // transformed free fluxes for "mae", raw free fluxes for "weighted_mse"): the network
  // predicts (y − mean) / sd and the package keeps mean and sd. Every output then starts
  // at its training mean and weighs alike in the MAE.
  bool standardize_outputs = true;
  // Standardise the inputs: MID entries that never vary over the training rows (padding,
  // isotopologues no flux set labels) are dropped, the others become (x − mean) / scale
  // with scale = max(SD, input_scale_floor): the floor keeps entries that vary less than a
  // measurement can resolve from being magnified. The package keeps the three.
  bool standardize_inputs = true;
  double input_scale_floor = 0.01;
  // "hybrid" and "balanced_mae" weigh each raw flux by 1 / max(SD, loss_spread_floor), its
  // SD over the training rows. A larger floor moves weight from the fluxes that barely vary
  // to the wide ones; the weights are then rescaled to sum as they do with the default
  // floor, so the net part of the loss keeps its share against the exchange part.
  double loss_spread_floor = 0.01;
  // Two networks instead of one: one for the net outputs, one for the exchange outputs
  // (each with `hidden`), sharing no weights.
  bool two_heads = false;
  // SD of Gaussian noise added to every input MID fraction of each training batch
  // (augmentation at the measurement error; 0: none).
  double input_noise = 0;
  // "fixed": every row gets noise of SD input_noise. "ranged": each row of each batch draws
  // its own SD uniformly from [0, input_noise], so that the network sees exact MIDs, MIDs at
  // the measurement error and everything between, and stays sharp on exact inputs.
  std::string input_noise_mode = "fixed";
  // "plateau": halve the learning rate on validation plateaus (lr_decay_after);
  // "cosine": a fixed budget, lr = lr₀ · ½(1 + cos(π · (epoch − 1) / epochs)).
  std::string schedule = "plateau";
  // Resumable training. With a checkpoint path, the whole state (weights, the best
  // weights, Adam's moments, the schedule, the history, both random streams) is written
  // there after every epoch (to a temporary file, then renamed); `resume` continues from
  // it, refusing one made with other settings or data. A run split this way gives the
  // same weights as one unbroken run on the same device and threads.
  std::string checkpoint;
  bool resume = false;
  double time_limit_seconds = 0;  // > 0: pause after the epoch that passes it (needs a checkpoint)
  int stop_after_epochs = 0;      // > 0: pause after this many epochs of this run (needs a checkpoint)
  // ML-Flux's second CCM stage: after the main training, fine_tune_epochs more epochs in
  // which every weight is frozen except the output layer's weights and bias of these free
  // flux columns ("net:tal": the free flux that sets the pentose phosphate fluxes). Same
  // loss, a tenth of the learning rate, the best validation loss kept (never worse than
  // before the stage). Off when empty or 0 epochs; not checkpointed (it is short).
  std::vector<std::string> fine_tune_columns;
  int fine_tune_epochs = 0;
  Eigen::MatrixXd kernel;            // weighted_mse: full × free (FluxExpansion::kernel)
  std::vector<double> flux_weights;  // weighted_mse: one per full column

  // Problems of the options alone, each naming its field; train() adds those that depend on
  // the dataset (fine-tuning columns, the kernel's shape).
  std::vector<Diagnostic> validate() const;
};

struct TrainingHistory {
  std::vector<double> train_loss, validation_loss;  // per epoch, MAE of transformed fluxes
  int best_epoch = 0;                               // 1-based
  bool stopped_early = false;
  bool paused = false;    // a time or epoch limit, or the progress hook, ended it; resume from the checkpoint
  int resumed_from = 0;   // the epoch the checkpoint held (0: a fresh start)
  double seconds = 0;     // this run's
  // the fine-tuning stage: per epoch, and the validation loss before it
  std::vector<double> fine_tune_train_loss, fine_tune_validation_loss;
  double fine_tune_start_validation = 0;
  int fine_tune_best_epoch = 0;  // 0: no epoch improved on the main training's weights
  // completed (every epoch), converged (no better validation loss for `patience` epochs) or
  // stopped (paused)
  RunSummary summary;

  std::string loss_tsv() const;       // loss.tsv: epoch, train_mae, validation_mae
  std::string fine_tune_tsv() const;  // fine_tune_loss.tsv (epoch 0: before it); "" without fine-tuning
};

// Errors on the test rows (raw fluxes): per free flux, the mean absolute error, the
// half width of the central 68 % of errors, and the same two for a trivial predictor
// (the training mean).
struct TestErrors {
  std::vector<std::string> columns;
  std::vector<double> mae, half_width_68, trivial_mae, trivial_half_width_68;
  long rows = 0;

  double mean_mae() const;          // over the free fluxes
  double mean_trivial_mae() const;  // the training mean's
  // test_errors.tsv: flux, mae, half_width_68, trivial_mae, trivial_half_width_68, skill
  std::string tsv() const;
};

// ML-Flux's loss weights of a built-in model (training/CCM_Weights.txt: net fluxes by
// reaction, every exchange flux 1), one per full column ("net:<id>", "xch:<id>"); empty
// for models without published weights.
std::vector<double> default_loss_weights(const std::string& model_id, const std::vector<std::string>& full_columns);

// Whether this LibTorch was built with CUDA and sees a GPU.
bool torch_has_cuda();

// The default hidden layers: ML-Flux's deployed sizes for its five models (by model id),
// otherwise funnel layers sized from the input.
std::vector<int> default_hidden_layers(const std::string& model_id, std::size_t inputs);

class FluxPredictor {
 public:
  ~FluxPredictor();
  FluxPredictor(FluxPredictor&&) noexcept;
  FluxPredictor& operator=(FluxPredictor&&) noexcept;

  // Trains on the dataset's train rows, validating on its validation rows.
  static Result<FluxPredictor> train(const sampling::DatasetContents& data, const TrainOptions& options, TrainingHistory& history);

  // A predictor from given weights: per layer out × in weights and out biases, ReLU
  // between layers, a linear output. `manifest` needs "inputs", "columns", "outputs"
  // ("transformed" or "raw") and "hidden"; the shapes must agree with it.
  static Result<FluxPredictor> from_dense_layers(const std::vector<Eigen::MatrixXf>& weights, const std::vector<Eigen::VectorXf>& biases,
                                                 nlohmann::json manifest);

  // Several predictors of the same MID layout and free fluxes as one package, whose
  // predict() is the mean of the members' raw free fluxes. The first member gives the
  // package its imputers, manifest and training mean; the others add their networks
  // (shapes, standardisations, weights). The single networks' error tables are dropped:
  // compute the ensemble's (learn::ensemble_package does). Errors name the member: by
  // `names` (its file, say) where given, else by its place.
  static Result<FluxPredictor> ensemble(std::vector<FluxPredictor> members, const std::vector<std::string>& names = {});
  std::size_t members() const;  // 1 for a single network

  // Free fluxes (raw, columns()) for MID vectors (rows × inputs); an ensemble's mean.
  Eigen::MatrixXd predict(const Eigen::MatrixXd& mids) const;
  TestErrors test_errors(const sampling::DatasetContents& data) const;

  const std::vector<std::string>& columns() const;
  std::size_t inputs() const;
  // Dataset manifest, network shape and training provenance; saved with the weights.
  nlohmann::json& manifest();
  const nlohmann::json& manifest() const;

  // Complete reference patterns for KNN imputation (rows × inputs), saved with the weights.
  void set_knn_reference(MidMatrix patterns);
  const MidMatrix& knn_reference() const;
  // The PCNN imputer trained for this predictor's inputs, saved with the weights.
  void set_pcnn(PcnnImputer pcnn);
  const PcnnImputer* pcnn() const;

  // One file: format, version, manifest (JSON) and the weights (a LibTorch archive).
  Result<bool> save(const std::string& path) const;
  static Result<FluxPredictor> load(const std::string& path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  FluxPredictor();
  static Result<FluxPredictor> train_network(FluxPredictor p, const sampling::DatasetContents& data, const TrainOptions& options,
                                             TrainingHistory& history);
};

}  // namespace fluxion::learn
