// What `fluxion project` does before it applies a projector: the reference table read with
// the confidence overrides, the variants, and the null-space basis or a saved projector
// checked against them. One projector per variant then comes from the plan.
//
//   cbm::ProjectionRequest q;
//   q.references = "references.tsv";
//   auto plan = cbm::plan_projection(model, q);
//   plan.value().compute_basis();
//   for (auto v : plan.value().variants) {
//     auto p = plan.value().projector(v);
//     Eigen::MatrixXd x = p.value().apply(plan.value().references.values);
//   }
#pragma once

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <optional>
#include <string>
#include <vector>

#include "fluxion/cbm/projection.hpp"
#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/io/reference_table.hpp"

namespace fluxion::cbm {

struct ProjectionRequest {
  std::string references;        // reaction, optional confidence, then one column per sample
  std::string variant = "full";  // full | fixed | partial | basic | all
  std::vector<std::string> fixed, noisy, unmeasured;  // reactions whose confidence these override
  std::string default_confidence = "noisy";           // of rows without one
  std::string projector;       // a saved projector to apply instead of building one
  std::string save_projector;  // where to save the projector built (one variant)

  static const OptionTable<ProjectionRequest>& table();
};

struct ProjectionPlan {
  io::ReferenceTable references;      // with the overrides applied
  std::vector<Eigen::Index> fixed, noisy;
  std::vector<ProjectionVariant> variants;
  std::vector<std::string> reaction_ids;
  Eigen::SparseMatrix<double> stoichiometry;  // balanced_stoichiometry
  Eigen::MatrixXd basis;                      // of ker S, after compute_basis(); empty with a saved projector
  Eigen::Index rank = 0;                      // of S
  std::optional<Projector> saved;
  double basis_seconds = 0;
  ProjectorOptions options;

  // The orthonormal null-space basis (nothing to do with a saved projector). An error when
  // the factorisation fails: a failure of the computation, not of the input.
  Result<bool> compute_basis();
  // The projector of a variant: the saved one (taken once), or one built on the basis.
  Result<Projector> projector(ProjectionVariant variant);
};

// Errors name the option or file: the reference table, an override naming no reaction of
// the model, no measured reaction, 'all' with a projector file, a saved projector of other
// reactions, another variant or other fixed and noisy sets.
Result<ProjectionPlan> plan_projection(const Model& model, const ProjectionRequest& request, const ProjectorOptions& options = {});

}  // namespace fluxion::cbm
