// The output files of the dynamics commands, made by the library so that every front end
// writes the same: a training run's history, summary and plots; a prediction's per-day
// tables and summary; the synthetic series' true per-day means.
#pragma once

#include <nlohmann/json.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/dynamics/neural_process.hpp"
#include "fluxion/dynamics/synthetic.hpp"
#include "fluxion/dynamics/time_series.hpp"

namespace fluxion::dynamics {

using NamedFiles = std::vector<std::pair<std::string, std::string>>;

// The median wall time of an epoch (0 without epochs).
double median_epoch_seconds(const NeuralProcessResult& result);
// summary.json: the model, the protocol, the epochs and their time, the paper's test MSE and
// (a usable run) the scores of the paper's test set and of fresh trajectories by day group.
nlohmann::json training_summary(const NeuralProcessResult& result, const NeuralProcessOptions& options);
// history.csv, summary.json, training.svg, test_mse.svg, and for a usable run day_metrics.csv
// and day_mse.svg (the model itself: NeuralProcess::save).
NamedFiles training_files(const NeuralProcessResult& result, const NeuralProcessOptions& options);

// A prediction as per-day tables in the input layout (days rounded to whole numbers for the
// file names d0, d1, …) and summary.csv (per day and feature: mean and SD of the means and of
// the samples). An error when two days round to the same file name.
struct PredictionTables {
  TimeSeries mean, samples;
  std::string summary_csv;
};
Result<PredictionTables> prediction_tables(const NeuralProcess& model, const NeuralProcess::Prediction& prediction);

// What `dynamics train` learns from: one directory of per-day tables (the configuration
// "data"), or a knockout experiment's directory of configurations; exactly one is given.
struct TrainingInput {
  std::vector<NamedSeries> configurations;
  std::vector<std::pair<std::string, std::string>> inputs;  // role, path: for run_info.json
};
Result<TrainingInput> load_training_input(const std::string& data, const std::string& configurations);

// What a training run prints: the model, the protocol, the epochs and their time, and for a
// usable run the paper's test MSE by day group beside the variance floor, the scores by
// feature kind and those of fresh trajectories.
std::string training_report(const NeuralProcessResult& result, const NeuralProcessOptions& options);

// `fluxion dynamics predict`: a trained model sampled at any days from context cells.
struct PredictRequest {
  std::string model;         // the directory `dynamics train` wrote
  std::string context;       // per-day tables holding at least the model's context days
  std::vector<double> days;  // increasing; empty: the training days
  int trajectories = 200;
  std::uint64_t seed = 1;
  static const OptionTable<PredictRequest>& table();  // all but the output
};
struct PredictionRun {
  PredictionTables tables;
  std::string description;  // the model's
  std::size_t days = 0;
  std::vector<std::pair<std::string, std::string>> settings;  // for run_info.json
  // mean/ and samples/ (per-day tables) and summary.csv; the files' paths (not the tables')
  Result<std::vector<std::string>> write(const std::string& directory) const;
};
Result<PredictionRun> run_prediction(const PredictRequest& request);

// Writes a synthetic series: expression/, flux/, balance/ (per-day tables), network/
// (modules.gmt, cmMat.csv) and the truth files; the files' paths (not the tables').
Result<std::vector<std::string>> write_synthetic(const SyntheticData& data, const std::string& directory);

// truth_expression.csv and truth_flux.csv of a synthetic series (none when it has no truth cells).
NamedFiles truth_files(const SyntheticData& data);

}  // namespace fluxion::dynamics
