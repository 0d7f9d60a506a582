// MoMA and iMAT over many samples (cbm/sample_runs.hpp).
#include "fluxion/cbm/sample_runs.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "fluxion/core/diagnostic_log.hpp"
#include "fluxion/cbm/cbm_tables.hpp"
#include "fluxion/cbm/expression.hpp"
#include "fluxion/cbm/fba.hpp"
#include "fluxion/io/bounds_table.hpp"
#include "fluxion/io/expression_table.hpp"
#include "fluxion/io/reference_table.hpp"

namespace fluxion::cbm {

using Eigen::Index;

Result<std::size_t> apply_bounds_table(Model& model, const std::string& path) {
  DiagnosticLog log;
  if (path.empty()) return log.success<std::size_t>(0);
  auto b = io::load_bounds_table(path, model);
  if (!log.take(b)) return log.failure<std::size_t>();
  for (const auto& change : b.value()) {
    model.reactions[change.reaction].lower_bound = change.lower;
    model.reactions[change.reaction].upper_bound = change.upper;
  }
  return log.success<std::size_t>(b.value().size());
}

Result<std::vector<std::string>> apply_knockouts(Model& model, const std::vector<std::string>& reactions, const std::vector<std::string>& genes) {
  DiagnosticLog log;
  auto set = knockout_reactions(model, reactions, genes);
  if (!log.take(set)) return log.failure<std::vector<std::string>>();
  std::vector<std::string> blocked;
  for (const auto* list : {&set.value().reactions, &set.value().by_genes})
    for (std::size_t r : *list) {
      model.reactions[r].lower_bound = 0.0;
      model.reactions[r].upper_bound = 0.0;
      blocked.push_back(model.reactions[r].id);
    }
  return log.success<std::vector<std::string>>(blocked);
}

Result<MomaReferences> moma_references(const Model& model, const std::string& path) {
  DiagnosticLog log;
  MomaReferences out;
  if (!path.empty()) {
    auto t = io::load_reference_table(path, model);
    if (!log.take(t)) return log.failure<MomaReferences>();
    if (!io::has_measured(t.value()))
      return log.failure<MomaReferences>(
          {Diagnostic{Severity::error, path, 0, 0, {}, "every reaction is unmeasured: MoMA has no reference to stay close to"}});
    out.samples = t.value().samples;
    for (Index s = 0; s < t.value().values.cols(); ++s) out.fluxes.push_back(t.value().values.col(s));
    for (std::size_t j = 0; j < model.reactions.size(); ++j)
      if (t.value().confidence[j] != io::Confidence::unmeasured) out.measured.push_back(static_cast<Index>(j));
    out.description = path;
    return log.success<MomaReferences>(out);
  }
  auto fba = FbaModel::create(model);
  if (!log.take(fba)) return log.failure<MomaReferences>();
  const auto p = fba.value().pfba();
  if (p.status != LpStatus::optimal)
    return log.failure<MomaReferences>(
        {Diagnostic{Severity::error, model.id, 0, 0, {}, std::string("pFBA of the unperturbed model (the default reference) is ") + to_string(p.status)}});
  out.samples = {"reference"};
  out.fluxes = {p.fluxes};
  out.description = "pFBA of the unperturbed model";
  return log.success<MomaReferences>(out);
}

Result<ImatScores> imat_scores(const Model& model, const std::string& references_path, const std::string& expression_path) {
  DiagnosticLog log;
  ImatScores out;
  if (references_path.empty() == expression_path.empty())
    return log.failure<ImatScores>({Diagnostic{Severity::error, "imat", 0, 0, {}, "give either --references or --expression"}});
  if (!references_path.empty()) {
    auto t = io::load_reference_table(references_path, model);
    if (!log.take(t)) return log.failure<ImatScores>();
    if (!io::has_measured(t.value()))
      return log.failure<ImatScores>({Diagnostic{Severity::error, references_path, 0, 0, {}, "every reaction is unmeasured: iMAT has no scores"}});
    out.samples = t.value().samples;
    out.scores = t.value().values;
    for (std::size_t j = 0; j < model.reactions.size(); ++j)
      if (t.value().confidence[j] == io::Confidence::unmeasured) out.scores.row(static_cast<Index>(j)).setConstant(NAN);
    out.source = references_path;
    return log.success<ImatScores>(out);
  }
  auto e = io::load_expression_table(expression_path);
  if (!log.take(e)) return log.failure<ImatScores>();
  auto a = reaction_activity(model, e.value().genes, e.value().values);
  if (!log.take(a)) return log.failure<ImatScores>();
  if (a.value().reactions_scored == 0)
    return log.failure<ImatScores>({Diagnostic{Severity::error, expression_path, 0, 0, {},
                                                   "no reaction could be scored: none of the model's GPR genes is in the expression table"}});
  out.samples = e.value().samples;
  out.scores = a.value().activity;
  out.source = expression_path;
  out.genes_found = "expression: " + std::to_string(a.value().model_genes_found) + " of the model's " + std::to_string(a.value().model_genes) +
                    " genes found; " + std::to_string(a.value().reactions_scored) + " reactions scored";
  return log.success<ImatScores>(out);
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

// ---- the commands as calls

const OptionTable<Perturbation>& Perturbation::table() {
  static const OptionTable<Perturbation> t = [] {
    OptionTable<Perturbation> t;
    t.add("set-bounds", &Perturbation::bounds, "Bounds table (reaction, lower, upper) applied to the model first: a medium, a condition").file();
    t.add("knockout", &Perturbation::reactions, "Reactions to block (bounds 0, 0); repeatable or comma-separated").no_default();
    t.add("knockout-genes", &Perturbation::genes, "Genes to delete: every reaction whose GPR rule fails without them is blocked (cobrapy's semantics)").no_default();
    return t;
  }();
  return t;
}

const OptionTable<MomaRequest>& MomaRequest::table() {
  static const OptionTable<MomaRequest> t = [] {
    OptionTable<MomaRequest> t;
    t.add("references", &MomaRequest::references,
          "Reference fluxes (reaction, optional confidence, samples); unmeasured reactions are left out of the distance. "
          "Default: pFBA of the unperturbed model, as cobrapy")
        .short_name("r")
        .file();
    return t;
  }();
  return t;
}

const OptionTable<ImatRequest>& ImatRequest::table() {
  static const OptionTable<ImatRequest> t = [] {
    OptionTable<ImatRequest> t;
    t.add("references", &ImatRequest::references, "Reaction scores: a reference table (unmeasured reactions unscored)").short_name("r").file();
    t.add("expression", &ImatRequest::expression, "Gene expression (genes × samples), scored through the GPR rules instead").short_name("e").file();
    return t;
  }();
  return t;
}

const OptionTable<ExpressionRequest>& ExpressionRequest::table() {
  static const OptionTable<ExpressionRequest> t = [] {
    using R = ExpressionRequest;
    OptionTable<R> t;
    t.add("expression", &R::expression, "Gene expression: genes × samples (TSV or CSV), counts or TPM").short_name("e").required().file();
    t.add("bounds", &R::bounds, "Flux ranges the activities are mapped into: fva (FVA at --fraction of the optimum) or model").choices({"fva", "model"});
    t.add("fraction", &R::fraction, "Fraction of the optimum for the FVA ranges").range(0.0, 1.0);
    t.add("no-quantile", &R::no_quantile, "Skip the per-sample quantile normalisation");
    t.add("loopless", &R::loopless, "Loopless FVA ranges (as the FBApro paper's real-data experiments)");
    t.add("set-bounds", &R::set_bounds, "Bounds table (reaction, lower, upper) applied to the model first: a medium, a condition").file();
    t.add("threads", &R::threads, "Threads for the FVA (0 = all cores)").range(0, 1024);
    return t;
  }();
  return t;
}

namespace {

std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// the names of the GPR rules as the options give them
std::string rule_names(const ExpressionOptions& e) {
  const auto& t = ExpressionOptions::table();
  std::string and_name, or_name;
  for (const auto& entry : t.entries()) {
    if (entry.info.name == "and") and_name = t.value_text(e, entry.target);
    if (entry.info.name == "or") or_name = t.value_text(e, entry.target);
  }
  return "AND " + and_name + ", OR " + or_name;
}

}  // namespace

Result<MomaRun> run_moma(Model m, const MomaRequest& q) {
  DiagnosticLog log;
  if (auto b = apply_bounds_table(m, q.perturbation.bounds); !log.take(b)) return log.failure<MomaRun>();
  auto refs = moma_references(m, q.references);
  if (!log.take(refs)) return log.failure<MomaRun>();
  auto blocked = apply_knockouts(m, q.perturbation.reactions, q.perturbation.genes);
  if (!log.take(blocked)) return log.failure<MomaRun>();
  auto moma = Moma::create(m);
  if (!log.take(moma)) return log.failure<MomaRun>();
  MomaRun run;
  run.runs = moma_samples(m, moma.value(), refs.value(), q.options);
  run.blocked = blocked.value();
  std::string ko;
  for (const auto& b : run.blocked) {
    if (!ko.empty()) ko += ',';
    ko += b;
  }
  run.settings = {{"method", moma_method(q.options)}, {"reference", refs.value().description}, {"blocked_reactions", ko}};
  run.summary = std::string(q.options.linear ? "linear" : "quadratic") + " MoMA: " + std::to_string(run.runs.samples) + " samples, " +
                std::to_string(run.blocked.size()) + " blocked reactions, " + std::to_string(run.runs.not_optimal) + " not optimal, " +
                short_number(run.runs.seconds) + " s\n";
  return log.success<MomaRun>(std::move(run));
}

Result<ImatRun> run_imat(Model m, const ImatRequest& q, const ProgressHook& progress) {
  DiagnosticLog log;
  if (q.references.empty() == q.expression.empty())
    return log.failure<ImatRun>({Diagnostic{Severity::error, "imat", 0, 0, {}, "give either --references or --expression"}});
  if (auto problems = q.options.validate(); !problems.empty()) return log.failure<ImatRun>(problems);  // --lower above --upper
  if (auto b = apply_bounds_table(m, q.perturbation.bounds); !log.take(b)) return log.failure<ImatRun>();
  auto scores = imat_scores(m, q.references, q.expression);
  if (!log.take(scores)) return log.failure<ImatRun>();
  auto blocked = apply_knockouts(m, q.perturbation.reactions, q.perturbation.genes);
  if (!log.take(blocked)) return log.failure<ImatRun>();
  ImatRun run;
  run.genes_found = scores.value().genes_found;
  run.input_role = q.references.empty() ? "expression" : "references";
  run.input = scores.value().source;
  run.runs = imat_samples(m, scores.value(), q.options, progress);
  run.settings = {{"method", imat_method()},
                  {"lower_percentile", flux_text(q.options.lower_quantile)},
                  {"upper_percentile", flux_text(q.options.upper_quantile)},
                  {"epsilon", flux_text(q.options.epsilon)},
                  {"time_limit_s", flux_text(q.options.time_limit)}};
  run.summary = "iMAT: " + std::to_string(run.runs.samples) + " samples, " + std::to_string(run.runs.not_optimal) + " not proven optimal, " +
                short_number(run.runs.seconds) + " s\n";
  return log.success<ImatRun>(std::move(run));
}

std::vector<std::pair<std::string, std::string>> ExpressionRun::files() const {
  return {{"references.tsv", tables.references_tsv}, {"activity.tsv", tables.activity_tsv}};
}

Result<ExpressionRun> run_expression(Model m, const ExpressionRequest& q, const std::string& model_source) {
  DiagnosticLog log;
  if (auto b = apply_bounds_table(m, q.set_bounds); !log.take(b)) return log.failure<ExpressionRun>();
  auto e = io::load_expression_table(q.expression);
  if (!log.take(e)) return log.failure<ExpressionRun>();
  ExpressionOptions options = q.options;
  options.quantile_normalise = !q.no_quantile;
  auto a = reaction_activity(m, e.value().genes, e.value().values, options);
  if (!log.take(a)) return log.failure<ExpressionRun>();
  ExpressionRun run;
  run.activity = std::move(a.value());
  const auto ranges = flux_ranges(m, q.bounds == "fva", q.fraction, q.threads, q.loopless, model_source);
  run.warnings = ranges.warnings;
  run.ranges = ranges.description;
  run.tables = expression_references(m, run.activity, e.value().samples, ranges);
  const auto& act = run.activity;
  run.settings = {{"method", "GPR rules: " + rule_names(q.options) + (q.no_quantile ? "" : "; quantile-normalised") + "; activities mapped into " +
                                 ranges.description},
                  {"genes_in_data", std::to_string(act.genes_in_data)},
                  {"genes_kept", std::to_string(act.genes_kept)},
                  {"model_genes_found", std::to_string(act.model_genes_found) + " of " + std::to_string(act.model_genes)},
                  {"reactions_with_reference", std::to_string(run.tables.reactions_with_reference)}};
  char line[512];
  std::snprintf(line, sizeof line,
                "%zu genes (%zu kept), %zu of the model's %zu genes found; %zu reactions scored, %zu with a reference flux (one-way in %s)\n",
                act.genes_in_data, act.genes_kept, act.model_genes_found, act.model_genes, act.reactions_scored, run.tables.reactions_with_reference,
                ranges.description.c_str());
  run.summary = line;
  return log.success<ExpressionRun>(std::move(run));
}

}  // namespace fluxion::cbm
