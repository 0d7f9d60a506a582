// MoMA and iMAT over many samples (cbm/sample_runs.hpp).
#include "fluxion/cbm/sample_runs.hpp"

#include <chrono>
#include <cmath>

#include "fluxion/cbm/cbm_tables.hpp"
#include "fluxion/cbm/expression.hpp"
#include "fluxion/cbm/fba.hpp"
#include "fluxion/io/bounds_table.hpp"
#include "fluxion/io/expression_table.hpp"
#include "fluxion/io/reference_table.hpp"

namespace fluxion::cbm {

using Eigen::Index;

Result<std::size_t> apply_bounds_table(Model& model, const std::string& path) {
  if (path.empty()) return Result<std::size_t>::success(0);
  auto b = io::load_bounds_table(path, model);
  if (!b) return Result<std::size_t>::failure(b.diagnostics());
  for (const auto& change : b.value()) {
    model.reactions[change.reaction].lower_bound = change.lower;
    model.reactions[change.reaction].upper_bound = change.upper;
  }
  return Result<std::size_t>::success(b.value().size());
}

Result<std::vector<std::string>> apply_knockouts(Model& model, const std::vector<std::string>& reactions, const std::vector<std::string>& genes) {
  auto set = knockout_reactions(model, reactions, genes);
  if (!set) return Result<std::vector<std::string>>::failure(set.diagnostics());
  std::vector<std::string> blocked;
  for (const auto* list : {&set.value().reactions, &set.value().by_genes})
    for (std::size_t r : *list) {
      model.reactions[r].lower_bound = 0.0;
      model.reactions[r].upper_bound = 0.0;
      blocked.push_back(model.reactions[r].id);
    }
  return Result<std::vector<std::string>>::success(blocked);
}

Result<MomaReferences> moma_references(const Model& model, const std::string& path) {
  MomaReferences out;
  if (!path.empty()) {
    auto t = io::load_reference_table(path, model);
    if (!t) return Result<MomaReferences>::failure(t.diagnostics());
    if (!io::has_measured(t.value()))
      return Result<MomaReferences>::failure(
          {Diagnostic{Severity::error, path, 0, 0, {}, "every reaction is unmeasured: MoMA has no reference to stay close to"}});
    out.samples = t.value().samples;
    for (Index s = 0; s < t.value().values.cols(); ++s) out.fluxes.push_back(t.value().values.col(s));
    for (std::size_t j = 0; j < model.reactions.size(); ++j)
      if (t.value().confidence[j] != io::Confidence::unmeasured) out.measured.push_back(static_cast<Index>(j));
    out.description = path;
    return Result<MomaReferences>::success(out);
  }
  auto fba = FbaModel::create(model);
  if (!fba) return Result<MomaReferences>::failure(fba.diagnostics());
  const auto p = fba.value().pfba();
  if (p.status != LpStatus::optimal)
    return Result<MomaReferences>::failure(
        {Diagnostic{Severity::error, model.id, 0, 0, {}, std::string("pFBA of the unperturbed model (the default reference) is ") + to_string(p.status)}});
  out.samples = {"reference"};
  out.fluxes = {p.fluxes};
  out.description = "pFBA of the unperturbed model";
  return Result<MomaReferences>::success(out);
}

Result<ImatScores> imat_scores(const Model& model, const std::string& references_path, const std::string& expression_path) {
  ImatScores out;
  if (references_path.empty() == expression_path.empty())
    return Result<ImatScores>::failure({Diagnostic{Severity::error, "imat", 0, 0, {}, "give either --references or --expression"}});
  if (!references_path.empty()) {
    auto t = io::load_reference_table(references_path, model);
    if (!t) return Result<ImatScores>::failure(t.diagnostics());
    if (!io::has_measured(t.value()))
      return Result<ImatScores>::failure({Diagnostic{Severity::error, references_path, 0, 0, {}, "every reaction is unmeasured: iMAT has no scores"}});
    out.samples = t.value().samples;
    out.scores = t.value().values;
    for (std::size_t j = 0; j < model.reactions.size(); ++j)
      if (t.value().confidence[j] == io::Confidence::unmeasured) out.scores.row(static_cast<Index>(j)).setConstant(NAN);
    out.source = references_path;
    return Result<ImatScores>::success(out);
  }
  auto e = io::load_expression_table(expression_path);
  if (!e) return Result<ImatScores>::failure(e.diagnostics());
  auto a = reaction_activity(model, e.value().genes, e.value().values);
  if (!a) return Result<ImatScores>::failure(a.diagnostics());
  if (a.value().reactions_scored == 0)
    return Result<ImatScores>::failure({Diagnostic{Severity::error, expression_path, 0, 0, {},
                                                   "no reaction could be scored: none of the model's GPR genes is in the expression table"}});
  out.samples = e.value().samples;
  out.scores = a.value().activity;
  out.source = expression_path;
  out.genes_found = "expression: " + std::to_string(a.value().model_genes_found) + " of the model's " + std::to_string(a.value().model_genes) +
                    " genes found; " + std::to_string(a.value().reactions_scored) + " reactions scored";
  return Result<ImatScores>::success(out);
}

std::vector<std::pair<std::string, std::string>> SampleRuns::files() const { return {{"fluxes.tsv", fluxes_tsv}, {"summary.tsv", summary_tsv}}; }

SampleRuns moma_samples(const Model& model, Moma& moma, const MomaReferences& references, const MomaOptions& options) {
  using Clock = std::chrono::steady_clock;
  SampleRuns runs;
  std::vector<Eigen::VectorXd> fluxes;
  runs.summary_tsv = "sample\tstatus\tdistance\titerations\tseconds\n";
  for (std::size_t s = 0; s < references.fluxes.size(); ++s) {
    const auto t0 = Clock::now();
    const auto sol = moma.solve(references.fluxes[s], references.measured, options);
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    runs.seconds += dt;
    if (sol.status != LpStatus::optimal) ++runs.not_optimal;
    fluxes.push_back(sol.fluxes);
    runs.summary_tsv += references.samples[s] + '\t' + to_string(sol.status) + '\t' + flux_text(sol.status == LpStatus::optimal ? sol.distance : NAN) +
                        '\t' + std::to_string(sol.iterations) + '\t' + flux_text(dt) + '\n';
  }
  runs.samples = fluxes.size();
  runs.fluxes_tsv = flux_samples_tsv(model, references.samples, fluxes);
  return runs;
}

SampleRuns imat_samples(const Model& model, const ImatScores& scores, const ImatOptions& options, const ProgressHook& progress) {
  SampleRuns runs;
  std::vector<Eigen::VectorXd> fluxes;
  std::vector<std::string> done;
  runs.summary_tsv = "sample\tstatus\thigh_active\thigh\tlow_inactive\tlow\tseconds\n";
  for (std::size_t s = 0; s < scores.samples.size(); ++s) {
    const auto sol = imat(model, scores.scores.col(static_cast<Index>(s)), options);
    runs.seconds += sol.seconds;
    if (sol.status != LpStatus::optimal) ++runs.not_optimal;
    fluxes.push_back(sol.fluxes);
    done.push_back(scores.samples[s]);
    runs.summary_tsv += scores.samples[s] + '\t' + to_string(sol.status) + '\t' + std::to_string(sol.high_active) + '\t' +
                        std::to_string(sol.high_total) + '\t' + std::to_string(sol.low_inactive) + '\t' + std::to_string(sol.low_total) + '\t' +
                        flux_text(sol.seconds) + '\n';
    if (progress && !progress(Progress{static_cast<long>(s + 1), static_cast<long>(scores.samples.size()), "samples"})) break;
  }
  runs.samples = fluxes.size();
  runs.fluxes_tsv = flux_samples_tsv(model, done, fluxes);
  return runs;
}

std::string moma_method(const MomaOptions& options) {
  return options.linear ? "linear MoMA (min Σ|v − ref|, COIN-OR CLP)" : "MoMA (min Σ(v − ref)², Ipopt with MUMPS)";
}

std::string imat_method() { return "iMAT (Shlomi et al. 2008), COIN-OR CBC"; }

}  // namespace fluxion::cbm
