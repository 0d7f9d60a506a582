// FBApro's projected fluxes checked against their references, per variant: what `fluxion
// project` reports in summary.tsv and its warnings, so that every front end reports the same.
#pragma once

#include <string>
#include <vector>

#include "fluxion/cbm/projection.hpp"
#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/io/reference_table.hpp"

namespace fluxion::cbm {

struct ProjectionOutcome {
  ProjectionVariant variant = ProjectionVariant::full;
  Eigen::MatrixXd fluxes;          // reactions × samples
  ProjectionCheck check;
  long outside_bounds = 0;         // values outside the model's bounds (beyond 1e-9)
  std::size_t fixed = 0, noisy = 0;  // reactions reproduced exactly, matched in least squares
  ProjectorReport report;
  double setup_seconds = 0, apply_seconds = 0;
  // warnings, each naming the variant: fixed fluxes that contradict steady state (with the
  // largest miss, its reaction, sample and line of `source`), and directions of the
  // steady-state space that no measured reaction sees
  std::vector<Diagnostic> notes;
};

// Checks `projected` (the projector applied to the table's references) and collects the
// warnings. `source` names the reference file in them.
ProjectionOutcome assess_projection(const Model& model, const Eigen::SparseMatrix<double>& stoichiometry, const Projector& projector,
                                    const io::ReferenceTable& references, const std::string& source, ProjectionVariant variant,
                                    Eigen::MatrixXd projected);

// summary.tsv: one row per variant (sets, ranks, gaps, residuals, values outside the
// bounds, seconds).
std::string projection_summary_tsv(const std::vector<ProjectionOutcome>& outcomes);

}  // namespace fluxion::cbm
