// A trained predictor package (.fluxpkg) opened for use: the network, the model it was
// trained on (checked against the package's hash of its reaction table), the flux space and
// the kernels from free to full fluxes, the MID layout of its inputs, its error tables, its
// imputers, and a simulator of the MIDs of predicted fluxes. What `fluxion predict` and
// `fluxion score` do with a package is a few calls on this class:
//
//   auto package = learn::PredictorPackage::open("glycolysis");        // a built-in name or a file
//   auto table = io::load_mid_table("mids.tsv");
//   auto observations = package.value().observations(table.value(), "mids.tsv");
//   auto report = package.value().predict(observations.value(), {});  // fluxes, ΔG, SEs, χ²
//   package.value().write_results("out", observations.value(), report.value(), {});
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/isotope/measured_mids.hpp"
#include "fluxion/learn/flux_predictor.hpp"
#include "fluxion/learn/scoring.hpp"
#include "fluxion/learn/imputation.hpp"
#include "fluxion/learn/prediction.hpp"

namespace fluxion::learn {

// Where the packages of the built-in models are found, first match first:
// $FLUXION_PREDICTORS, share/fluxion/predictors beside the running executable, then the
// models/predictors directory of the source tree the library was built from.
std::vector<std::string> predictor_directories();
// The package file of a path or of a built-in name; empty when there is none.
std::string find_predictor(const std::string& name_or_path);
// The built-in names found in predictor_directories(), sorted.
std::vector<std::string> builtin_predictors();
// The same, comma-separated, or "none found" (for messages and help texts).
std::string builtin_predictor_list();

// A training dataset opened with the model it was made from: the model its provenance
// names (or `model_override`) must have the reactions the dataset's hash records, and its
// flux columns must be the dataset's. `path`: the dataset's directory or its dataset.h5.
// Errors name the dataset or the model; a directory of MPI shards is refused (training
// reads one merged file).
struct TrainingData {
  std::string file;  // the dataset.h5 read
  sampling::DatasetContents contents;  // MIDs in float32, as training reads them
  sampling::DatasetProvenance provenance;
  std::unique_ptr<Model> model;
  std::unique_ptr<FluxSpace> space;
  std::unique_ptr<FluxExpansion> expansion;

  static Result<TrainingData> open(const std::string& path, const std::string& model_override = {});
  // Fills what a caller left to the model and the data (TrainOptions' "auto"): hidden layers
  // empty → ML-Flux's for its models, else sized from the input; batch ≤ 0 → 32 (1024 for
  // the simple model); loss "auto" → weighted_mse for ccm, else mae; the kernels the loss
  // needs; the default loss weights of weighted_mse when none are given.
  void resolve(TrainOptions& options) const;
};

// Which rows of a dataset a package is scored on, and how (`fluxion score`).
struct ScoreRows {
  std::string subset = "test";      // test: the dataset's held-out rows; all: every row (a fresh dataset)
  std::string where;                // "FLUX<VALUE" or "FLUX>VALUE": only the rows where a flux lies below or above
  long rows = 0;                    // at most this many, evenly spaced (0: all)
  long identifiability_rows = 100;  // rows whose MID sensitivities decide identifiability (0: every flux counts)
  double mid_noise = 0;             // Gaussian noise of this SD on every measured MID fraction (0: exact MIDs)
  std::uint64_t seed = 1;           // of the noise
  static const OptionTable<ScoreRows>& table();
};

struct PackageScore {
  PredictorScore score;
  double predict_seconds = 0, identifiability_seconds = 0;

  // Per flux the MAE and bias beside the training mean's and the skill, then the paper's
  // metrics beside the mean's and their targets: what `fluxion score --format table` prints.
  std::string table() const;
  // One line: the rows, the median skill (all, net, exchange), the fluxes at or below the mean.
  std::string summary() const;
};

// The imputers a prediction used: "pcnn", "knn", "knn and pcnn", or "none" (complete MIDs).
std::string imputers_used(const PredictionReport& report);

// The options that name a package: -p/--predictor (required) and -m/--model.
struct PackageRef {
  std::string predictor, model;
  static const OptionTable<PackageRef>& table();
};

class PredictorPackage {
 public:
  // Opens a package by built-in name or path, with the model it names (or
  // `model_override`: a built-in model's name or a model file). Errors name the package or
  // the model: no such package, a damaged file or manifest, a model whose reactions are not
  // the ones the package was trained on, outputs that are not the model's free fluxes.
  static Result<PredictorPackage> open(const std::string& name_or_path, const std::string& model_override = {});

  PredictorPackage(PredictorPackage&&) noexcept;
  PredictorPackage& operator=(PredictorPackage&&) noexcept;
  ~PredictorPackage();

  const std::string& path() const;
  const std::string& model_name() const;  // as given, or as the package names it
  const FluxPredictor& predictor() const;
  const nlohmann::json& manifest() const;
  const sampling::DatasetProvenance& provenance() const;  // how the training dataset was made
  const nlohmann::json& layout_json() const;  // the MID layout, as the manifest holds it
  const Model& model() const;
  const FluxSpace& space() const;
  const FluxExpansion& expansion() const;
  const sampling::MidLayout& layout() const;
  const ErrorTables* error_tables() const;  // null in packages without them
  // Free fluxes of the training mean (the trivial baseline); empty in packages without it.
  const std::vector<double>& training_mean() const;
  int knn_k() const;  // the package's default number of neighbours

  // The measured MIDs of a table placed in the package's input layout, one observation per
  // replicate: the table is checked against the model first (unknown metabolites, MIDs of
  // the wrong length), every error naming `source` and the row.
  Result<std::vector<Observation>> observations(const isotope::MidTable& table, const std::string& source) const;

  // The traced elements of the training dataset, and a simulator of the layout's MIDs.
  Result<std::vector<isotope::TracedElement>> traced_elements() const;
  Result<LayoutSimulator> simulator() const;

  // A KNN imputer over the package's reference patterns (none when it has none), or over
  // these patterns (rows × inputs, e.g. a dataset's training rows); k ≤ 0: the package's.
  std::optional<KnnImputer> knn_imputer(int k = 0) const;
  KnnImputer knn_imputer(MidMatrix reference, int k = 0) const;
  // The same over the training rows of a dataset of the package's layout (its directory or
  // dataset.h5); an error when its layout is not the package's.
  Result<KnnImputer> knn_imputer_from_dataset(const std::string& path, int k = 0) const;

  // The whole prediction: imputation, fluxes, ΔG, standard errors from the error tables,
  // and the re-simulated MIDs against the measured ones (χ²). `knn`: an imputer instead of
  // the package's. Warnings (e.g. net fluxes outside the model's bounds) are in the report.
  Result<PredictionReport> predict(const std::vector<Observation>& observations, const PredictOptions& options,
                                   const KnnImputer* knn = nullptr, const std::string& source = {}) const;

  // A prediction's output files, as `fluxion predict -o DIR` writes them: fluxes.tsv (mean,
  // SE and SD of every net and exchange flux), delta_g.tsv, mids.tsv (measured, network
  // input and re-simulated), replicates.tsv and prediction.json. `options` are the caller's
  // (prediction.json records its imputer choice, temperature and default MID SD).
  std::vector<std::pair<std::string, std::string>> result_files(const std::vector<Observation>& observations, const PredictionReport& report,
                                                                 const PredictOptions& options) const;
  // The prediction aligned, as `fluxion predict --format table` prints it: per reaction the
  // net and exchange fluxes and ΔG with their SEs, then the χ² test of the re-simulated MIDs.
  std::string result_table(const PredictionReport& report) const;
  // Scores the package on a dataset of its model and layout (`source`: the file, for
  // messages), every flux beside the training mean, with identifiability and the paper's
  // metrics. Errors: another layout or model, no training mean, no rows to score, a bad
  // `where`.
  Result<PackageScore> score(const sampling::DatasetContents& data, const std::string& source, const ScoreRows& rows, ScoreOptions options) const;
  // scores.tsv, delta_g_scores.tsv, paper_metrics.tsv and score.json of a score.
  std::vector<std::pair<std::string, std::string>> score_files(const PackageScore& score, const std::string& source, const ScoreRows& rows) const;

  // Writes them into `directory` (made if missing); the paths written.
  Result<std::vector<std::string>> write_results(const std::string& directory, const std::vector<Observation>& observations,
                                                 const PredictionReport& report, const PredictOptions& options) const;

 private:
  struct State;
  std::unique_ptr<State> s_;
  explicit PredictorPackage(std::unique_ptr<State> s);
};

}  // namespace fluxion::learn
