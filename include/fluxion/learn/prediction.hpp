// From measured MIDs to fluxes with a trained predictor package (ML-Flux):
// measured MIDs -> input vectors (one per replicate) -> imputation of what was not
// measured -> free fluxes -> every net and exchange flux (through the model's kernels,
// so mass balanced by construction) -> ΔG -> standard errors from the package's error
// tables, matched to how much was measured -> replicate mean ± SD -> the MIDs of the
// predicted fluxes, re-simulated, against the measured ones (SSR, χ² test).
#pragma once

#include <Eigen/Dense>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/statistics.hpp"  // chi_squared_critical, chi_squared_upper_tail
#include "fluxion/isotope/emu.hpp"
#include "fluxion/isotope/measured_mids.hpp"
#include "fluxion/learn/flux_predictor.hpp"
#include "fluxion/learn/imputation.hpp"
#include "fluxion/learn/pcnn.hpp"
#include "fluxion/sampling/dataset_contents.hpp"

namespace fluxion::learn {

inline constexpr double kGasConstant = 8.314462618e-3;  // kJ mol⁻¹ K⁻¹
inline constexpr double kDefaultTemperature = 310.15;   // K

// ΔG = RT ln(v_rev / v_fwd) of a reversible reaction in kJ/mol, with the one-way fluxes
// v_fwd = xch + max(0, net), v_rev = xch − min(0, net). NaN when xch <= 0 (irreversible).
double delta_g(double net, double exchange, double temperature = kDefaultTemperature);

// Free fluxes (net, then exchange: the network's outputs) to the dataset's full columns:
// "net:<reaction>" for every reaction, then "xch:<column>" for every exchange column.
class FluxExpansion {
 public:
  // With `model`, predicted exchange fluxes are clamped into its exchange bounds (an
  // exchange the model fixes at 0 is 0, not 1e-7); exchange fluxes are never negative.
  // With a time course (sampling::TimeCourse), its drawn pool sizes follow as columns
  // "pool:<metabolite>" in both lists (identity), clamped into their drawn range.
  explicit FluxExpansion(const FluxSpace& space, const Model* model = nullptr, const sampling::TimeCourse* time_course = nullptr);

  const std::vector<std::string>& columns() const { return columns_; }
  const std::vector<std::string>& free_columns() const { return free_columns_; }
  // Where each free flux sits among the full columns.
  const std::vector<std::size_t>& free_in_full() const { return free_in_full_; }
  // Reversible reactions (exchange columns that are not leaks): ΔG is defined for them.
  const std::vector<std::string>& dg_reactions() const { return dg_reactions_; }

  Eigen::MatrixXd expand(const Eigen::MatrixXd& free) const;  // rows × columns()
  const Eigen::MatrixXd& kernel() const { return matrix_; }  // columns × free, before clamping exchanges
  Eigen::MatrixXd delta_g(const Eigen::MatrixXd& full, double temperature) const;  // rows × dg_reactions()
  // A full flux row as the simulator's flux vector.
  FluxVector flux_vector(const Eigen::VectorXd& full) const;
  // Time courses: the pool sizes of a full row (its trailing "pool:" columns; empty without)
  Eigen::VectorXd pool_sizes(const Eigen::VectorXd& full) const { return full.tail(n_pools_); }
  Eigen::Index n_pools() const { return n_pools_; }

 private:
  Eigen::MatrixXd matrix_;  // columns × free
  std::vector<std::string> columns_, free_columns_, dg_reactions_;
  std::vector<std::size_t> free_in_full_;
  std::vector<std::pair<std::size_t, std::size_t>> dg_columns_;  // (net, exchange) index in columns_
  Eigen::Index n_net_ = 0, n_columns_ = 0, n_pools_ = 0;
  std::vector<Eigen::Index> exchange_columns_;
  Eigen::RowVectorXd exchange_low_, exchange_high_, pool_low_, pool_high_;
};

// Prediction errors on held-out test rows, for complete patterns ("none") and for each
// band of masking with an imputer in front ("knn"). A band holds the rows whose share of
// unmeasured MID entries lies in (masked_from, masked_to] (complete: [0, 0]).
struct ErrorLevel {
  std::string imputer = "none";
  double masked_from = 0, masked_to = 0;
  long rows = 0;
  std::vector<double> half_width_68, mae;        // per full flux column (the standard error and the MAE)
  std::vector<double> within_abs, within_rel;    // per full flux: share of rows with |error| <= 0.05, <= 5 % of |truth|
  std::vector<double> dg_half_width_68, dg_mae;  // per ΔG reaction, kJ/mol, over rows where both ΔG are defined
  std::vector<double> dg_within_1kj;             // share of those rows with |ΔG error| <= 1 kJ/mol
  // Share of rows whose VSSR of free fluxes, Σ((pred − true)/se)², stays under the
  // χ² critical value at α = 0.05 with one degree of freedom per free flux.
  double vssr_acceptance = 0;
};

struct ErrorTables {
  std::vector<std::string> columns, dg_reactions;
  double temperature = kDefaultTemperature;
  std::vector<ErrorLevel> levels;
  // Per full column: the MAE of the trivial baseline (the predictor's training mean) on the
  // complete level's rows; empty in packages made before it was recorded.
  std::vector<double> baseline_mae;

  // 1 − MAE / baseline MAE of a level's column (NaN without a baseline, or where it is exact).
  double skill(const ErrorLevel& level, std::size_t column) const;

  // The level for an input with this share of unmeasured entries: the band that holds
  // it, else the nearest band with more masking, else the most masked one.
  const ErrorLevel* match(const std::string& imputer, double masked) const;
  nlohmann::json to_json() const;
  static ErrorTables from_json(const nlohmann::json& j);  // throws std::invalid_argument

  // error_tables.tsv: per level and flux (and dG:<reaction>), the SE, MAE, shares within
  // ±0.05 and 5 %, and the skill; vssr_acceptance.tsv: per level, the VSSR acceptance.
  std::string levels_tsv() const;
  std::string acceptance_tsv() const;
};

struct ErrorTableOptions {
  long max_rows = 5000;         // test rows used for the complete level
  long max_masked_rows = 4000;  // test rows masked and imputed (each once)
  std::vector<double> bands = {0.0, 0.25, 0.5, 0.75, 0.9, 1.0};
  double temperature = kDefaultTemperature;
  std::uint64_t seed = 1;
  bool progress = false;

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
};

// Error tables of a predictor on the dataset's test rows: the complete level, and levels
// by masking for each imputer given (`knn`, `pcnn`; either may be null). Masks keep 1..T experiments and each metabolite with a probability drawn
// uniformly from [0.1, 1] (ML-Flux's masks are the case of 1 to 3 experiments and 0.5).
// Errors (a Result, not an exception): the dataset's flux columns are not the model's, the
// dataset has no test rows.
Result<ErrorTables> compute_error_tables(const FluxPredictor& predictor, const FluxExpansion& expansion, const sampling::DatasetContents& data,
                                         const KnnImputer* knn, const ErrorTableOptions& options, const PcnnImputer* pcnn = nullptr);

// One replicate's measurements in the predictor's input layout.
struct Observation {
  std::string replicate;
  Eigen::VectorXd values;   // layout.size(); 0 where not measured
  std::vector<bool> known;  // measured entries, and padding
  Eigen::VectorXd sd;       // NaN where not given
  double masked = 0;        // share of (non-padding) entries not measured
};

// Places measured MIDs into the layout, one observation per replicate (all replicates
// of a table share its unreplicated rows). Unknown metabolites, experiments or elements,
// and MIDs whose length differs from the layout's, are errors naming the row.
Result<std::vector<Observation>> arrange_observations(const isotope::MidTable& table, const sampling::MidLayout& layout, const std::string& source);

struct PredictOptions {
  // "pcnn", "knn", "none" (complete inputs only), or "auto": per replicate, of the imputers
  // the pipeline has, the one whose error table at that replicate's masking is tighter
  // (geometric mean over net fluxes of the ratio of standard errors; PCNN on ties or
  // without tables)
  std::string imputer = "auto";
  int knn_k = 0;  // neighbours of the KNN imputer; 0 = the package's (3 unless it says)
  double temperature = kDefaultTemperature;
  double default_mid_sd = 0.01;  // where the table gives none

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
  static const OptionTable<PredictOptions>& table();  // the options a front end offers
};

struct ReplicatePrediction {
  std::string replicate;
  double masked = 0, delta_n = 0;
  std::string imputer = "none";       // the imputer used ("none": complete pattern)
  Eigen::VectorXd inputs;             // after imputation
  Eigen::VectorXd free, full, dg;     // dg: NaN where undefined
  const ErrorLevel* level = nullptr;  // the error table used
};

struct GoodnessOfFit {
  double ssr = 0;
  long measurements = 0, parameters = 0, dof = 0;
  double critical = 0;  // χ² quantile 0.95 at dof
  double p_value = 1;
  bool accepted = true;
  Eigen::VectorXd simulated;  // layout.size(), at the mean fluxes
};

struct PredictionReport {
  std::vector<std::string> columns, dg_reactions;
  std::vector<ReplicatePrediction> replicates;
  Eigen::VectorXd mean, sd, se;           // per full column: over replicates; se combines table and spread
  Eigen::VectorXd dg_mean, dg_sd, dg_se;  // per ΔG reaction
  std::optional<GoodnessOfFit> fit;
  std::vector<Diagnostic> warnings;
};

// Standard errors: se² = mean over replicates of the table's se² + SD² / n (the model's
// error does not average out over replicates of similar inputs; their spread does).
class PredictionPipeline {
 public:
  PredictionPipeline(const FluxPredictor& predictor, const FluxExpansion& expansion, const ErrorTables* tables,
                     const KnnImputer* imputer, sampling::MidLayout layout);

  Result<PredictionReport> run(const std::vector<Observation>& observations, const PredictOptions& options) const;

  // MIDs of full fluxes in the layout (every experiment), for the goodness of fit.
  using Simulate = std::function<std::optional<Eigen::VectorXd>(const Eigen::VectorXd& full)>;
  void set_simulator(Simulate simulate) { simulate_ = std::move(simulate); }
  void set_pcnn(const PcnnImputer* pcnn) { pcnn_ = pcnn; }

 private:
  const FluxPredictor& predictor_;
  const FluxExpansion& expansion_;
  const ErrorTables* tables_;
  const KnnImputer* imputer_;
  const PcnnImputer* pcnn_ = nullptr;
  sampling::MidLayout layout_;
  Simulate simulate_;
};

// Simulates the MIDs of a layout (every field of every experiment) for a flux vector:
// one EMU simulator per traced element, outputs placed by element and metabolite. A
// time-course layout simulates the time course (sampling::TimeCourse: its times, its
// tolerance, its fixed pools) with the drawn pools' sizes given per call.
class LayoutSimulator {
 public:
  // Throws std::invalid_argument when a layout field is not an output of the elements, or
  // a time course's pools are not the model's.
  LayoutSimulator(sampling::MidLayout layout, std::vector<isotope::TracedElement> elements);
  LayoutSimulator(sampling::MidLayout layout, std::vector<isotope::TracedElement> elements, const Model& model,
                  const sampling::TimeCourse& time_course);
  std::optional<Eigen::VectorXd> simulate(const FluxVector& v);
  // With `jacobian`: also ∂MIDs/∂(free parameters of the FluxSpace: free net fluxes, then
  // exchange fluxes; then, in a time course, the drawn pool sizes), [layout.size() ×
  // parameters]; padding rows are 0. `pools`: the drawn pool sizes (FluxExpansion::pool_sizes
  // of a full row); empty for steady-state layouts.
  std::optional<Eigen::VectorXd> simulate(const FluxVector& v, Eigen::MatrixXd* jacobian);
  std::optional<Eigen::VectorXd> simulate(const FluxVector& v, const Eigen::VectorXd& pools, Eigen::MatrixXd* jacobian = nullptr);
  bool time_course() const { return !inst_.times.empty(); }
 private:
  sampling::MidLayout layout_;
  std::vector<isotope::TracedElement> elements_;
  std::vector<isotope::EmuSimulator> simulators_;
  std::vector<std::vector<std::size_t>> field_of_;  // per element, per output
  // time courses
  isotope::InstationaryOptions inst_;
  std::vector<double> pool_sizes_;                   // per model metabolite: fixed sizes, drawn ones per call
  std::vector<std::size_t> drawn_metabolites_;       // model index of each drawn pool, in output order
  std::vector<std::vector<Eigen::Index>> pool_column_of_;  // per element: output column of each of its Jacobian's pool columns
  std::vector<isotope::InstationaryOptions> element_inst_;  // per element: its pool_sensitivities mask
};

// The traced elements a dataset was made with (its manifest's settings.provenance): the
// EMU network of each element, measuring the layout's metabolites, and the substrate
// MIDs of its tracer experiments (natural abundance as the dataset configured it).
Result<std::vector<isotope::TracedElement>> package_traced_elements(const Model& model, const FluxSpace& space, const sampling::DatasetProvenance& provenance,
                                                           const sampling::MidLayout& layout);


}  // namespace fluxion::learn
