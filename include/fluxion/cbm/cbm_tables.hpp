// The tables that the constraint-based commands write (moma, imat, expression), made here so
// that every front end writes the same.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "fluxion/cbm/expression.hpp"
#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"

namespace fluxion::cbm {

// A flux as these tables write it: %.10g, NA, ±inf, and solver noise below 1e-12 as 0.
std::string flux_text(double v);

// fluxes.tsv of several samples: reaction, then one column per sample (NA where a sample's
// vector is empty: a solve that gave no fluxes).
std::string flux_samples_tsv(const Model& model, const std::vector<std::string>& samples, const std::vector<Eigen::VectorXd>& fluxes);

// The one-way ranges that reaction activities are mapped into: the model's bounds, or with
// `fva` its FVA ranges at `fraction` of the optimum (the bounds, with a warning naming
// `source`, where FBA or a range fails).
struct FluxRanges {
  Eigen::VectorXd lower, upper;
  std::string description;  // "model bounds", "FVA at 0.9 of the optimum"
  std::vector<Diagnostic> warnings;
};
FluxRanges flux_ranges(const Model& model, bool fva, double fraction, int threads, bool loopless, const std::string& source);

// references.tsv for `fluxion project` (reaction, confidence: noisy where the activity
// scores the reaction, else unmeasured; then one flux per sample) and activity.tsv
// (reaction, the range, then the activity per sample).
struct ExpressionReferences {
  std::string references_tsv, activity_tsv;
  std::size_t reactions_with_reference = 0;
};
ExpressionReferences expression_references(const Model& model, const ReactionActivity& activity, const std::vector<std::string>& samples,
                                           const FluxRanges& ranges);

}  // namespace fluxion::cbm
