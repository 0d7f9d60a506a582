// The plan of a projection run (cbm/projection_plan.hpp).
#include "fluxion/cbm/projection_plan.hpp"
#include "fluxion/core/diagnostic_log.hpp"

#include <chrono>
#include <tuple>

namespace fluxion::cbm {

using Eigen::Index;

const OptionTable<ProjectionRequest>& ProjectionRequest::table() {
  using R = ProjectionRequest;
  static const OptionTable<R> t = [] {
    OptionTable<R> t;
    t.add("references", &R::references,
          "Reference fluxes: TSV/CSV with 'reaction', optional 'confidence' (fixed, noisy, unmeasured), then one column per sample")
        .short_name("r")
        .required()
        .file(".tsv,.csv,.txt")
        .label("Reference fluxes")
        .web("Inputs");
    t.add("variant", &R::variant,
          "full: fixed exact, noisy in least squares; fixed: fixed exact, all others in least squares; partial: fixed and "
          "noisy in least squares; basic: every reaction in least squares; all: the four")
        .choices({"full", "fixed", "partial", "basic", "all"})
        .label("FBApro variant")
        .web();
    t.add("fixed", &R::fixed, "Reactions whose reference is reproduced exactly (overrides the table's confidence)").no_default();
    t.add("noisy", &R::noisy, "Reactions matched in least squares (overrides the table's confidence)").no_default();
    t.add("unmeasured", &R::unmeasured, "Reactions whose reference is ignored (overrides the table's confidence)").no_default();
    t.add("default-confidence", &R::default_confidence, "Confidence of rows without a 'confidence' value")
        .choices({"fixed", "noisy", "unmeasured"})
        .label("Default confidence")
        .web();
    t.add("projector", &R::projector, "Apply a projector saved by --save-projector instead of building one").file();
    t.add("save-projector", &R::save_projector, "Save the projector (one variant) to reuse on new samples with the same sets");
    return t;
  }();
  return t;
}

namespace {

Diagnostic error(const std::string& where, const std::string& what) { return Diagnostic{Severity::error, where, 0, 0, {}, what}; }

bool same_sets(const ProjectionSets& a, const ProjectionSets& b) { return a.high == b.high && a.medium == b.medium; }

}  // namespace

Result<ProjectionPlan> plan_projection(const Model& model, const ProjectionRequest& q, const ProjectorOptions& options) {
  DiagnosticLog log;
  ProjectionPlan plan;
  plan.options = options;
  const auto default_confidence = q.default_confidence == "fixed"   ? io::Confidence::fixed
                                  : q.default_confidence == "noisy" ? io::Confidence::noisy
                                                                    : io::Confidence::unmeasured;
  auto table = io::load_reference_table(q.references, model, default_confidence);
  if (!log.take(table)) return log.failure<ProjectionPlan>();
  plan.references = std::move(table.value());
  io::ReferenceTable& ref = plan.references;
  for (auto [ids, confidence, flag] : {std::tuple{&q.fixed, io::Confidence::fixed, "--fixed"}, std::tuple{&q.noisy, io::Confidence::noisy, "--noisy"},
                                       std::tuple{&q.unmeasured, io::Confidence::unmeasured, "--unmeasured"}}) {
    for (const auto& id : *ids) {
      const auto r = model.reaction_index(id);
      if (!r) return log.failure<ProjectionPlan>({error(flag, "'" + id + "' is not a reaction of model '" + model.id + "'")});
      if (auto set = io::set_confidence(ref, model, *r, confidence, q.references); !log.take(set)) return log.failure<ProjectionPlan>();
    }
  }
  if (!io::has_measured(ref)) return log.failure<ProjectionPlan>({error(q.references, "every reaction is unmeasured: there is nothing to project (mark rows fixed or noisy)")});
  for (std::size_t j = 0; j < model.reactions.size(); ++j) {
    if (ref.confidence[j] == io::Confidence::fixed) plan.fixed.push_back(static_cast<Index>(j));
    if (ref.confidence[j] == io::Confidence::noisy) plan.noisy.push_back(static_cast<Index>(j));
  }
  if (q.variant == "all")
    plan.variants = {ProjectionVariant::basic, ProjectionVariant::partial, ProjectionVariant::fixed, ProjectionVariant::full};
  else if (auto v = parse_projection_variant(q.variant))
    plan.variants = {*v};
  else
    return log.failure<ProjectionPlan>({error("--variant", "'" + q.variant + "' is not full, fixed, partial, basic or all")});
  if ((!q.save_projector.empty() || !q.projector.empty()) && plan.variants.size() != 1)
    return log.failure<ProjectionPlan>({error("--variant", "a projector file holds one variant: choose one instead of 'all'")});
  if (!q.save_projector.empty() && !q.projector.empty())
    return log.failure<ProjectionPlan>({error("--save-projector", "the projector given by --projector is already saved")});
  const Index n = static_cast<Index>(model.reactions.size());
  for (const auto& reaction : model.reactions) plan.reaction_ids.push_back(reaction.id);
  plan.stoichiometry = balanced_stoichiometry(model);
  if (!q.projector.empty()) {
    auto p = Projector::load(q.projector);
    if (!log.take(p)) return log.failure<ProjectionPlan>();
    auto& l = p.value();
    if (l.reaction_ids != plan.reaction_ids)
      return log.failure<ProjectionPlan>({error(q.projector, "this projector was built for model '" + l.model_id + "' with other reactions than model '" + model.id + "' (" +
                                                std::to_string(l.reaction_ids.size()) + " vs " + std::to_string(plan.reaction_ids.size()) +
                                                " reactions, or another order)")});
    if (l.variant != plan.variants[0])
      return log.failure<ProjectionPlan>({error(q.projector, "this projector is the '" + std::string(to_string(l.variant)) + "' variant, not '" + q.variant + "'")});
    if (!same_sets(l.projector.sets(), variant_sets(plan.variants[0], plan.fixed, plan.noisy, n)))
      return log.failure<ProjectionPlan>({error(q.projector, "the fixed and noisy reactions of " + q.references + " differ from those this projector was built for; build a new one")});
    plan.rank = n - l.projector.kernel_dimension();
    plan.saved = std::move(l.projector);
  }
  return log.success<ProjectionPlan>(std::move(plan));
}

Result<bool> ProjectionPlan::compute_basis() {
  if (saved || basis.size() > 0) return Result<bool>::success(true);
  const auto t0 = std::chrono::steady_clock::now();
  auto k = orthonormal_kernel(stoichiometry);
  if (!k) return Result<bool>::failure(k.diagnostics());
  basis_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  basis = std::move(k.value().basis);
  rank = k.value().rank;
  return Result<bool>::success(true);
}

Result<Projector> ProjectionPlan::projector(ProjectionVariant variant) {
  if (saved) {
    Projector p = std::move(*saved);
    saved.reset();
    return Result<Projector>::success(std::move(p));
  }
  return Projector::build(basis, variant_sets(variant, fixed, noisy, static_cast<Index>(reaction_ids.size())), options);
}

}  // namespace fluxion::cbm
