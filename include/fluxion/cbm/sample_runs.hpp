// MoMA and iMAT over many samples, as `fluxion moma` and `fluxion imat` run them: the inputs
// read from their tables, one solve per sample, and the files written (fluxes.tsv, one column
// per sample; summary.tsv, one status row per sample).
//
//   auto refs = cbm::moma_references(model, "references.tsv");        // or "" for pFBA
//   auto moma = cbm::Moma::create(knocked_out_model);
//   auto runs = cbm::moma_samples(knocked_out_model, moma.value(), refs.value(), {});
//   io::write_output_files("out", runs.files());
#pragma once

#include <Eigen/Dense>
#include <string>
#include <utility>
#include <vector>

#include "fluxion/cbm/cbm_tables.hpp"
#include "fluxion/cbm/expression.hpp"
#include "fluxion/cbm/imat.hpp"
#include "fluxion/cbm/moma.hpp"
#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/core/run.hpp"

namespace fluxion::cbm {

// Reads a model's bounds table (io/bounds_table.hpp) and applies it; "" changes nothing.
// Returns how many reactions it changed.
Result<std::size_t> apply_bounds_table(Model& model, const std::string& path);

// Blocks the given reactions and every reaction whose GPR rule fails without the given genes
// (bounds 0, 0; knockout_reactions' semantics). Returns the ids blocked, reactions first.
Result<std::vector<std::string>> apply_knockouts(Model& model, const std::vector<std::string>& reactions, const std::vector<std::string>& genes);

// The references MoMA stays close to: the columns of a reference table (its unmeasured
// reactions left out of the distance), or, for `path` "", the pFBA fluxes of the model as
// given (cobrapy's default). An error when every reaction is unmeasured or pFBA fails.
struct MomaReferences {
  std::vector<std::string> samples;
  std::vector<Eigen::VectorXd> fluxes;
  std::vector<Eigen::Index> measured;  // empty: every reaction
  std::string description;             // "pFBA of the unperturbed model", or the path
};
Result<MomaReferences> moma_references(const Model& model, const std::string& path);

// iMAT's reaction scores (reactions × samples, NaN = unscored): a reference table's values,
// or gene expression scored through the GPR rules. Exactly one of the paths is given.
struct ImatScores {
  std::vector<std::string> samples;
  Eigen::MatrixXd scores;
  std::string source;       // the file read
  std::string genes_found;  // "expression: 120 of the model's 137 genes found; 95 reactions scored"; "" for references
};
Result<ImatScores> imat_scores(const Model& model, const std::string& references_path, const std::string& expression_path);

// The solves of many samples.
struct SampleRuns {
  std::string fluxes_tsv;   // reaction, then one column per sample (NA where a solve gave none)
  std::string summary_tsv;  // sample, status, the method's measures, seconds
  std::size_t samples = 0;
  int not_optimal = 0;      // samples whose solve is not proven optimal
  double seconds = 0.0;     // solver time over all samples
  std::vector<std::pair<std::string, std::string>> files() const;  // fluxes.tsv, summary.tsv
};

// `moma` solves for `model` (the perturbed model it was created from).
SampleRuns moma_samples(const Model& model, Moma& moma, const MomaReferences& references, const MomaOptions& options);
// Progress counts samples; a hook that returns false stops after the current sample.
SampleRuns imat_samples(const Model& model, const ImatScores& scores, const ImatOptions& options, const ProgressHook& progress = {});

// One line for run_info.json's `method`.
std::string moma_method(const MomaOptions& options);
std::string imat_method();

// ---- the commands as calls: `fluxion moma`, `fluxion imat`, `fluxion expression`

// How the model is changed before a solve: a bounds table (a medium, a condition; it holds
// for MoMA's default reference too), then reaction and gene knockouts.
struct Perturbation {
  std::string bounds;
  std::vector<std::string> reactions, genes;
  static const OptionTable<Perturbation>& table();
};

using Settings = std::vector<std::pair<std::string, std::string>>;  // for run_info.json

struct MomaRequest {
  std::string references;  // "": pFBA of the unperturbed model
  Perturbation perturbation;
  MomaOptions options;
  static const OptionTable<MomaRequest>& table();  // references (the perturbation and options have their own)
};
struct MomaRun {
  SampleRuns runs;
  std::vector<std::string> blocked;  // the reactions knocked out
  Settings settings;
  std::string summary;  // one line
};
Result<MomaRun> run_moma(Model model, const MomaRequest& request);

struct ImatRequest {
  std::string references, expression;  // exactly one
  Perturbation perturbation;
  ImatOptions options;
  static const OptionTable<ImatRequest>& table();  // references and expression
};
struct ImatRun {
  SampleRuns runs;
  std::string input_role, input;  // "references" or "expression", and its path
  std::string genes_found;        // with expression: how many of the model's genes it has
  Settings settings;
  std::string summary;
};
// Progress counts samples, as imat_samples's.
Result<ImatRun> run_imat(Model model, const ImatRequest& request, const ProgressHook& progress = {});

struct ExpressionRequest {
  std::string expression;           // genes × samples, counts or TPM
  std::string bounds = "fva";       // the ranges activities are mapped into: fva or model
  double fraction = 0.9;            // of the optimum, for the FVA ranges
  bool no_quantile = false, loopless = false;
  int threads = 0;                  // FVA's
  std::string set_bounds;           // a bounds table applied first
  ExpressionOptions options;        // quantile_normalise is !no_quantile
  static const OptionTable<ExpressionRequest>& table();  // all but `options`, which has its own
};
struct ExpressionRun {
  ExpressionReferences tables;  // references.tsv and activity.tsv
  ReactionActivity activity;
  std::string ranges;           // where the activities were mapped: "FVA at 0.9 of the optimum"
  std::vector<Diagnostic> warnings;
  Settings settings;
  std::string summary;
  std::vector<std::pair<std::string, std::string>> files() const;
};
// `model_source` names the model in warnings (FBA or a range that fails).
Result<ExpressionRun> run_expression(Model model, const ExpressionRequest& request, const std::string& model_source);

}  // namespace fluxion::cbm
