// Scoring a flux predictor so that it cannot flatter itself: on held-out rows, every flux
// is scored beside the trivial baseline (the training mean of that flux), and a flux
// counts only where the MIDs can tell its values apart.
//
// Per full flux column ("net:<reaction>", "xch:<column>"): MAE, bias (mean signed error),
// the share of rows within an absolute and a relative tolerance, the same four for the
// training-mean predictor, and the skill, 1 − MAE / baseline MAE (> 0: better than
// guessing the mean; 1: exact). A column is
//   - constant when its true values do not vary over the rows (fixed by the model);
//   - identifiable when the MIDs, measured with a given SD, at least halve its
//     uncertainty: the free fluxes' covariance over the rows, P = U Λ Uᵀ, is the prior,
//     restricted to the directions in which they vary (U_r: the normalisation to the
//     reference flux, which MIDs cannot see, and the bounds fix the rest); for each of a
//     sample of rows, J = ∂MIDs/∂(free fluxes) at the true fluxes (the EMU engine's
//     analytic sensitivities), the posterior in those directions
//     Σ = ((J U_r)ᵀ(J U_r) / σ² + Λ_r⁻¹)⁻¹ and, through the kernel K, the full column's
//     SD sqrt(diag(K U_r Σ U_rᵀ Kᵀ)) against its prior SD sqrt(diag(K P Kᵀ)); the column
//     is identifiable when the median ratio over the sampled rows is below
//     `identifiable_ratio`. This is the Gaussian, linearised form of "could
//     least-squares MFA recover it from these MIDs".
// The median skill is taken over the columns that are not constant, are identifiable,
// and whose baseline MAE is at least `skill_floor` (a flux that varies less is met by
// guessing within the paper's ±0.05).
//
// The paper's own metrics (Law et al., ML-Flux) are computed per model, each beside the
// baseline's value, because a signed per-reaction mean is passed by the mean predictor
// too.
#pragma once

#include <Eigen/Dense>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fluxion/learn/prediction.hpp"

namespace fluxion::learn {

struct ScoreOptions {
  double tolerance = 0.05;            // absolute, in flux units (the reference uptake is 1)
  double relative_tolerance = 0.05;   // share of |truth|
  double skill_floor = 0.02;          // baseline MAE below which a flux is left out of the median skill
  double identifiable_ratio = 0.5;    // posterior / prior SD below which a flux is identifiable
  double mid_sd = 0.01;               // SD of each measured MID fraction for identifiability
  double temperature = kDefaultTemperature;  // K, for ΔG
  std::string model_id;               // selects the paper's metrics ("" or unknown: none)

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
  static const OptionTable<ScoreOptions>& table();  // the options a front end offers
};

struct FluxScore {
  std::string column;
  bool free = false;      // a network output
  bool constant = false;  // its true value is the same in every row
  double mae = 0, bias = 0, within_abs = 0, within_rel = 0;
  double baseline_mae = 0, baseline_bias = 0, baseline_within_abs = 0, baseline_within_rel = 0;
  double skill = 0;            // 1 − mae / baseline_mae; NaN when the baseline is exact
  double information = NAN;    // median posterior / prior SD; NaN when not computed
  bool identifiable = true;    // information < identifiable_ratio (true when not computed)
  bool counted = false;        // in the median skill
};

// ΔG of one reversible reaction on rows drawn evenly from the paper's three bins of the
// true |ΔG| (≤ 0.5, 0.5–1, > 1 kJ/mol): as many rows from each as the smallest bin has.
struct DeltaGScore {
  std::string reaction;
  long rows = 0;           // rows used (3 × the smallest bin; all defined rows when a bin is empty)
  bool balanced = false;   // every bin had rows
  double mae = NAN, within_1kj = NAN, baseline_mae = NAN, baseline_within_1kj = NAN;
};

// One of the paper's claims, measured for the predictor and for the baseline.
struct PaperMetric {
  std::string name, definition, target;
  double value = NAN, baseline = NAN;
  std::optional<bool> reached;  // unset when the paper gives no number to reach
};

struct PredictorScore {
  long rows = 0;
  double mid_sd = 0;
  long identifiability_rows = 0;
  std::vector<FluxScore> fluxes;
  std::vector<DeltaGScore> delta_g;
  std::vector<PaperMetric> paper;

  // Median skill over the counted columns; `kind` "net", "xch" or "" (both).
  double median_skill(const std::string& kind = "") const;
  // Counted columns with skill <= 0: worse than guessing the mean.
  std::vector<std::string> below_baseline() const;
  nlohmann::json to_json() const;
  std::string fluxes_tsv() const;
  std::string delta_g_tsv() const;
  std::string paper_tsv() const;
};

// Scores predictions of full fluxes (rows × expansion.columns()) against the truth. The
// baseline predicts `baseline` (one value per full column) for every row. `information`,
// when not empty, is identifiability_ratios()'s result.
PredictorScore score_predictions(const FluxExpansion& expansion, const Eigen::MatrixXd& truth, const Eigen::MatrixXd& predicted,
                                 const Eigen::RowVectorXd& baseline, const ScoreOptions& options,
                                 const Eigen::VectorXd& information = {});

// Median over `rows` (full flux rows) of the posterior / prior SD of each full column
// (see above). `prior_covariance` is free × free (the free fluxes' covariance over the
// scored rows). Rows the simulator cannot simulate are skipped; NaN for a column that
// does not vary, and for every column when no row could be simulated.
Eigen::VectorXd identifiability_ratios(LayoutSimulator& simulator, const FluxExpansion& expansion, const Eigen::MatrixXd& rows,
                                       const Eigen::MatrixXd& prior_covariance, double mid_sd);

// The covariance of the columns of `rows` (rows × columns), with n − 1 in the denominator.
Eigen::MatrixXd column_covariance(const Eigen::MatrixXd& rows);

}  // namespace fluxion::learn
