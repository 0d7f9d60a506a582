// Genes → reactions: gene knockouts through GPR rules (cobrapy's semantics), and gene
// expression → reaction activity → reference fluxes (FBApro, Appendix D):
//
//  1. genes non-zero in fewer than 15 % of the samples are dropped;
//  2. per-sample quantile normalisation (the reference distribution is the mean over
//     samples of the i-th smallest value), then the whole matrix scaled to [0, 1];
//  3. each GPR evaluated with AND → geometric mean and OR → arithmetic mean (or min/max,
//     product/sum); genes missing from the data are left out of the means;
//  4. activity a ∈ [0, 1] → reference flux inside the reaction's range [lb, ub] (FVA
//     ranges in the paper): forward (0 ≤ lb) lb + a·(ub − lb); backward (ub ≤ 0)
//     ub + a·(lb − ub); two-way, no rule or no gene found: (lb + ub)/2, unmeasured.
//
// Gene ids match when equal after dropping an SBML "G_" prefix and a transcript-variant
// suffix ("_AT1" in BiGG's RECON1, ".1" in Recon3D): model gene 1594_AT1 is expression row 1594.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/core/options.hpp"

namespace fluxion::cbm {

std::string canonical_gene_id(std::string_view id);

// Reactions whose rule is false once `genes` are switched off (matched by canonical id).
// Errors: a gene no rule of the model names, a rule that does not parse.
Result<std::vector<std::size_t>> gene_knockout_reactions(const Model& model, const std::vector<std::string>& genes);

// The reactions a knockout blocks (bounds 0, 0): the named reactions, and those whose rule
// fails without the named genes (cobrapy's semantics). Errors name the option (--knockout,
// --knockout-genes) and the unknown id.
struct KnockoutSet {
  std::vector<std::size_t> reactions;  // named
  std::vector<std::size_t> by_genes;   // blocked by the gene knockouts
};
Result<KnockoutSet> knockout_reactions(const Model& model, const std::vector<std::string>& reactions, const std::vector<std::string>& genes);

enum class AndRule { geometric_mean, minimum, product };
enum class OrRule { arithmetic_mean, maximum, sum };

struct ExpressionOptions {
  double min_nonzero_fraction = 0.15;  // genes non-zero in fewer samples are dropped
  bool quantile_normalise = true;
  AndRule and_rule = AndRule::geometric_mean;
  OrRule or_rule = OrRule::arithmetic_mean;

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
  static const OptionTable<ExpressionOptions>& table();  // the options a front end offers
};

struct ReactionActivity {
  Eigen::MatrixXd activity;      // reactions × samples in [0, 1]; NaN: no rule or no gene found
  std::size_t genes_in_data = 0;      // rows of the expression table
  std::size_t genes_kept = 0;         // after the non-zero filter
  std::size_t model_genes = 0;        // distinct genes the model's rules name
  std::size_t model_genes_found = 0;  // of those, found among the kept genes
  std::size_t reactions_scored = 0;   // reactions with an activity
};

// `expression`: genes × samples (non-negative), `genes` its row ids.
Result<ReactionActivity> reaction_activity(const Model& model, const std::vector<std::string>& genes,
                                           const Eigen::MatrixXd& expression, const ExpressionOptions& options = {});

// Step 4: reference fluxes from activities and ranges; `scored[i]` says whether reaction
// i got a reference from its activity (one-way range and an activity).
Eigen::MatrixXd activity_to_flux(const Eigen::MatrixXd& activity, const Eigen::VectorXd& lower, const Eigen::VectorXd& upper,
                                 std::vector<bool>& scored);

}  // namespace fluxion::cbm
