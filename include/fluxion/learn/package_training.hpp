// Training a predictor package, as `fluxion train` does: the network (FluxPredictor::train),
// then what the package carries beside it: the KNN imputer's reference patterns, the PCNN
// imputer, the error tables by level of masking and the test errors beside the training mean.
//
//   auto data = learn::TrainingData::open("ccm_dataset");
//   learn::PackageTrainOptions o;                       // the command's defaults
//   o.epochs = 50;
//   auto options = o.train_options(data.value(), "out"); // TrainOptions, "auto" resolved
//   auto run = learn::train_package(data.value(), options.value(), o);
//   run.value().predictor.save("out/predictor.fluxpkg");
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/learn/flux_predictor.hpp"
#include "fluxion/learn/pcnn.hpp"
#include "fluxion/learn/prediction.hpp"
#include "fluxion/learn/predictor_package.hpp"

namespace fluxion::learn {

// The options of `fluxion train`, with its defaults: "auto" and negative values leave the
// choice to the model and the data (TrainingData::resolve).
struct PackageTrainOptions {
  std::vector<int> hidden;  // empty: ML-Flux's for its models, else sized from the input
  int epochs = 200, batch = 0, patience = 20, threads = 1;
  int lr_decay_after = -1;  // -1: patience / 5, at least 2
  double learning_rate = 1e-3;
  std::uint64_t seed = 1;
  std::string device = "cpu", loss = "auto", loss_weights, output_scaling = "standard", input_scaling = "standard", schedule = "plateau",
              mid_noise_mode = "fixed";
  double mid_noise = 0, time_limit_minutes = 0, input_scale_floor = 0.01, loss_spread_floor = 0.01;
  bool resume = false;
  int stop_after_epochs = 0, heads = 1, fine_tune_epochs = 0;
  std::vector<std::string> fine_tune;  // "tal" means "net:tal"
  // the package
  long knn_rows = -1;  // -1: as many as fit 4 MB, at most 20,000
  int knn_k = 3;
  int pcnn_epochs = -1;  // -1: 30 where the image is at most 32×32, else none
  int pcnn_batch = 64;
  long error_rows = 5000, masked_rows = 4000;
  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid

  static const OptionTable<PackageTrainOptions>& table();
  // The network's TrainOptions for this dataset, "auto" resolved and the loss weights read;
  // the checkpoint lives in `output`. An error when `output` holds a checkpoint and
  // `resume` is off, or the loss-weights file is wrong (file:line:column).
  Result<TrainOptions> train_options(const TrainingData& data, const std::string& output) const;
};

// weighted_mse's weights: flux<TAB>weight lines (net:<id>, xch:<id>; a header allowed), one
// per full column of `columns`; fluxes not listed weigh 1.
Result<std::vector<double>> read_loss_weights(const std::string& path, const std::vector<std::string>& columns);

struct PackageTraining {
  explicit PackageTraining(FluxPredictor p) : predictor(std::move(p)) {}
  FluxPredictor predictor;  // the package (save() writes it); without its extras when paused
  TrainingHistory history;
  PcnnHistory pcnn;
  std::optional<ErrorTables> tables;
  TestErrors test;
  double pcnn_seconds = 0, table_seconds = 0;
  std::string fine_tuned;  // the fine-tuned columns, comma-separated; "" without

  bool paused() const { return history.paused; }
  // loss.tsv, test_errors.tsv, error_tables.tsv, vssr_acceptance.tsv, pcnn_loss.tsv (with
  // a PCNN) and fine_tune_loss.tsv (with fine-tuning); only loss.tsv when paused
  std::vector<std::pair<std::string, std::string>> files() const;
  // What the training says when it ends: the PCNN's best epoch, the fine-tuning, the shares
  // of fluxes within ±0.05 on complete test patterns, the test MAE beside the training mean.
  std::vector<std::string> report(const std::string& package_path) const;
};

// Trains the network, and unless it paused, the imputers and error tables. `options` is
// train_options()'s; `package` gives the imputers' and tables' settings and the seed.
Result<PackageTraining> train_package(const TrainingData& data, const TrainOptions& options, const PackageTrainOptions& package);

// `fluxion ensemble`: several packages trained on one dataset, joined into one whose
// prediction is the mean of theirs (FluxPredictor::ensemble), with the error tables and test
// errors computed anew on that dataset's test rows.
struct EnsembleOptions {
  std::vector<std::string> members;  // the members' packages, as given (for messages)
  long error_rows = 5000, masked_rows = 4000;
  std::uint64_t seed = 1;
  bool progress = true;
  static const OptionTable<EnsembleOptions>& table();
};

struct PackageEnsemble {
  explicit PackageEnsemble(FluxPredictor p) : predictor(std::move(p)) {}
  FluxPredictor predictor;
  ErrorTables tables;
  TestErrors test;
  std::vector<std::string> member_paths;  // the members' package files, in order
  double table_seconds = 0;
  // test_errors.tsv, error_tables.tsv, vssr_acceptance.tsv
  std::vector<std::pair<std::string, std::string>> files() const;
};

// The members are read from options.members (files or built-in names). Errors name the
// member: fewer than two, one that is no package, one not trained on `training` (its
// manifest records another dataset), one whose layout or free fluxes differ from the first's.
Result<PackageEnsemble> ensemble_package(const TrainingData& training, const EnsembleOptions& options);

}  // namespace fluxion::learn
