// `fluxion fba` as one call (cbm/fba_run.hpp).
#include "fluxion/cbm/fba_run.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "fluxion/core/diagnostic_log.hpp"
#include "fluxion/cbm/cbm_tables.hpp"
#include "fluxion/cbm/expression.hpp"
#include "fluxion/cbm/sample_runs.hpp"
#include "fluxion/io/flux_table.hpp"

namespace fluxion::cbm {

const OptionTable<FbaRequest>& FbaRequest::table() {
  using R = FbaRequest;
  static const OptionTable<R> t = [] {
    OptionTable<R> t;
    t.add("set-bounds", &R::set_bounds, "Bounds table (reaction, lower, upper) applied to the model first: a medium, a condition")
        .file(".tsv,.csv,.txt")
        .label("Bounds (medium, condition)")
        .web("Inputs");
    t.add("objective", &R::objective, "Reaction to maximise instead of the model's objective (as cobrapy's model.objective = id)").label("Objective reaction").web();
    t.add("pfba", &R::pfba, "Report the optimal fluxes of least total |v| (parsimonious FBA)").label("Parsimonious FBA (pFBA)").web();
    t.add("fva", &R::fva, "Flux variability: each reaction's range with the objective at least --fraction of the optimum").label("Flux variability (FVA)").web();
    t.add("fraction", &R::fraction, "Fraction of the optimum kept by --fva and --pfba (cobrapy's fraction_of_optimum)")
        .range(0.0, 1.0)
        .label("Fraction of the optimum")
        .web();
    t.add("knockout", &R::knockouts, "Reactions to block (bounds 0, 0); repeatable or comma-separated").no_default().label("Knockout reactions").web();
    t.add("knockout-genes", &R::knockout_genes, "Genes to delete: every reaction whose GPR rule fails without them is blocked (cobrapy's semantics)")
        .no_default()
        .label("Knockout genes")
        .web();
    t.add("loopless", &R::loopless, "FVA without thermodynamically infeasible loops (cobrapy's loopless=True, CycleFreeFlux)").label("Loopless").web("Advanced");
    t.add("threads", &R::threads, "Threads for --fva (0 = all cores), each solving its share of the reactions").range(0, 1024);
    return t;
  }();
  return t;
}

namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& item : items) {
    if (!s.empty()) s += ',';
    s += item;
  }
  return s;
}

}  // namespace

Result<FbaRun> run_fba(Model m, const FbaRequest& q) {
  DiagnosticLog log;
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  if (auto b = apply_bounds_table(m, q.set_bounds); !log.take(b)) return log.failure<FbaRun>();
  if (!q.objective.empty()) {
    const auto r = m.reaction_index(q.objective);
    if (!r) return log.failure<FbaRun>({Diagnostic{Severity::error, "--objective", 0, 0, {}, "'" + q.objective + "' is not a reaction of the model"}});
    for (auto& reaction : m.reactions) reaction.objective_coefficient = 0.0;
    m.reactions[*r].objective_coefficient = 1.0;
    m.objective_sense = ObjectiveSense::maximize;
  }
  auto problem = FbaModel::create(m);
  if (!log.take(problem)) return log.failure<FbaRun>();
  FbaModel& fba = problem.value();
  auto knockouts = knockout_reactions(m, q.knockouts, q.knockout_genes);
  if (!log.take(knockouts)) return log.failure<FbaRun>();
  FbaRun run;
  run.request = q;
  for (std::size_t r : knockouts.value().reactions) fba.set_bounds(r, 0.0, 0.0);
  for (std::size_t r : knockouts.value().by_genes) {
    fba.set_bounds(r, 0.0, 0.0);
    run.gene_blocked.push_back(m.reactions[r].id);
  }
  run.n_reactions = fba.n_reactions();
  run.n_balanced = fba.n_balanced();
  for (const auto& reaction : m.reactions) run.reaction_ids.push_back(reaction.id);
  const auto t1 = Clock::now();
  run.solution = q.pfba ? fba.pfba(q.fraction) : fba.optimize();
  const auto t2 = Clock::now();
  run.load_seconds = std::chrono::duration<double>(t1 - t0).count();
  run.fba_seconds = std::chrono::duration<double>(t2 - t1).count();
  if (!run.optimal()) return log.success<FbaRun>(std::move(run));
  for (Eigen::Index j = 0; j < run.solution.fluxes.size(); ++j) {
    const double v = run.solution.fluxes(j);
    run.net.push_back(std::fabs(v) < 1e-12 ? 0.0 : v);  // solver noise around 0
  }
  if (q.fva) {
    run.variability = fba.fva(q.fraction, {}, q.threads, q.loopless);
    for (const auto& r : run.variability.ranges)
      if (r.status != LpStatus::optimal) ++run.fva_not_optimal;
    run.fva_seconds = std::chrono::duration<double>(Clock::now() - t2).count();
  }
  return log.success<FbaRun>(std::move(run));
}

std::string FbaRun::failure() const {
  if (optimal()) return {};
  return std::string("the FBA problem is ") + to_string(solution.status) +
         (solution.status == LpStatus::infeasible ? ": no flux vector satisfies the bounds at steady state" : "");
}

std::string FbaRun::fluxes_tsv() const { return io::write_flux_results(reaction_ids, {io::FluxResultColumn{"net", net}}); }

std::string FbaRun::fva_tsv() const {
  std::string table = "reaction\tminimum\tmaximum\tstatus\n";
  for (std::size_t j = 0; j < reaction_ids.size() && j < variability.ranges.size(); ++j) {
    const auto& r = variability.ranges[j];
    table += reaction_ids[j] + '\t' + flux_text(r.minimum) + '\t' + flux_text(r.maximum) + '\t' + to_string(r.status) + '\n';
  }
  return table;
}

std::vector<std::pair<std::string, std::string>> FbaRun::files() const {
  std::vector<std::pair<std::string, std::string>> out{{"fluxes.tsv", fluxes_tsv()}};
  if (request.fva) out.emplace_back("fva.tsv", fva_tsv());
  return out;
}

std::vector<std::pair<std::string, std::string>> FbaRun::settings() const {
  const FbaRequest& q = request;
  std::vector<std::pair<std::string, std::string>> s;
  s.emplace_back("method", q.pfba ? "parsimonious FBA" : "FBA");
  if (!q.objective.empty()) s.emplace_back("objective", q.objective);
  s.emplace_back("solver", "COIN-OR CLP");
  s.emplace_back("objective_value", flux_text(solution.objective));
  s.emplace_back("fraction_of_optimum", flux_text(q.fraction));
  if (q.fva) {
    s.emplace_back("loopless", q.loopless ? "true" : "false");
    s.emplace_back("fva_lps", std::to_string(variability.lps));
    s.emplace_back("fva_ranges_from_coupling", std::to_string(variability.from_coupling));
  }
  s.emplace_back("threads", std::to_string(q.threads));
  s.emplace_back("knockouts", joined(q.knockouts));
  if (!q.knockout_genes.empty()) {
    s.emplace_back("knockout_genes", joined(q.knockout_genes));
    s.emplace_back("blocked_by_gene_knockouts", joined(gene_blocked));
  }
  return s;
}

std::string FbaRun::summary() const {
  char line[512];
  std::snprintf(line, sizeof line, "objective %s (%s, %zu reactions, %zu balanced metabolites)\n", flux_text(solution.objective).c_str(),
                request.pfba ? "pFBA" : "FBA", n_reactions, n_balanced);
  std::string out = line;
  if (request.fva) {
    std::string not_optimal;
    if (fva_not_optimal) not_optimal = ", " + std::to_string(fva_not_optimal) + " not optimal";
    std::snprintf(line, sizeof line, "%sFVA of %zu reactions at %s of the optimum in %.3f s (%zu LPs, %zu ranges from fully coupled or blocked reactions)%s\n",
                  request.loopless ? "loopless " : "", reaction_ids.size(), flux_text(request.fraction).c_str(), fva_seconds, variability.lps,
                  variability.from_coupling, not_optimal.c_str());
    out += line;
  }
  return out;
}

std::string FbaRun::table() const {
  char line[256];
  std::snprintf(line, sizeof line, "\n%-20s %12s%s\n", "reaction", "flux", request.fva ? "      FVA minimum      maximum" : "");
  std::string out = line;
  for (std::size_t j = 0; j < reaction_ids.size(); ++j) {
    std::snprintf(line, sizeof line, "%-20s %12s", reaction_ids[j].c_str(), flux_text(net[j]).c_str());
    out += line;
    if (request.fva) {
      std::snprintf(line, sizeof line, " %16s %12s", flux_text(variability.ranges[j].minimum).c_str(), flux_text(variability.ranges[j].maximum).c_str());
      out += line;
    }
    out += '\n';
  }
  return out;
}

}  // namespace fluxion::cbm
