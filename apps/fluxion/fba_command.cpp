// fluxion fba: flux balance analysis (FBA), parsimonious FBA and flux variability analysis
// on COIN-OR CLP, with cobrapy's semantics (objective from the model, fraction of the
// optimum for FVA and pFBA).
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "commands.hpp"
#include "option_binding.hpp"
#include "fluxion/cbm/expression.hpp"
#include "fluxion/cbm/fba.hpp"
#include "fluxion/io/flux_table.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/run_info.hpp"

namespace fluxion::cli {

namespace {

struct FbaCli {
  std::string model, output, objective, set_bounds;
  bool pfba = false, fva = false, loopless = false;
  double fraction = 1.0;
  int threads = 0;
  std::vector<std::string> knockouts, knockout_genes;
  std::string format = "summary";
};

const OptionTable<FbaCli>& fba_cli_table() {
  static const OptionTable<FbaCli> t = [] {
    OptionTable<FbaCli> t;
    t.add("model", &FbaCli::model, "Model file or built-in model name (its objective and bounds)").short_name("m").required().kind(OptionKind::model).label("Model").web("Inputs");
    t.add("output", &FbaCli::output, "Output directory (fluxes.tsv, fva.tsv, run_info.json)").short_name("o").required();
    t.add("set-bounds", &FbaCli::set_bounds, "Bounds table (reaction, lower, upper) applied to the model first: a medium, a condition")
        .file(".tsv,.csv,.txt")
        .label("Bounds (medium, condition)")
        .web("Inputs");
    t.add("objective", &FbaCli::objective, "Reaction to maximise instead of the model's objective (as cobrapy's model.objective = id)").label("Objective reaction").web();
    t.add("pfba", &FbaCli::pfba, "Report the optimal fluxes of least total |v| (parsimonious FBA)").label("Parsimonious FBA (pFBA)").web();
    t.add("fva", &FbaCli::fva, "Flux variability: each reaction's range with the objective at least --fraction of the optimum").label("Flux variability (FVA)").web();
    t.add("fraction", &FbaCli::fraction, "Fraction of the optimum kept by --fva and --pfba (cobrapy's fraction_of_optimum)")
        .range(0.0, 1.0)
        .label("Fraction of the optimum")
        .web();
    t.add("knockout", &FbaCli::knockouts, "Reactions to block (bounds 0, 0); repeatable or comma-separated").no_default().label("Knockout reactions").web();
    t.add("knockout-genes", &FbaCli::knockout_genes, "Genes to delete: every reaction whose GPR rule fails without them is blocked (cobrapy's semantics)")
        .no_default()
        .label("Knockout genes")
        .web();
    t.add("loopless", &FbaCli::loopless, "FVA without thermodynamically infeasible loops (cobrapy's loopless=True, CycleFreeFlux)").label("Loopless").web("Advanced");
    t.add("threads", &FbaCli::threads, "Threads for --fva (0 = all cores), each solving its share of the reactions").range(0, 1024);
    t.add("format", &FbaCli::format, format_help({"summary", "table", "tsv"})).choices({"summary", "table", "tsv"});
    return t;
  }();
  return t;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", std::fabs(v) < 1e-12 ? 0.0 : v);
  return buf;
}

}  // namespace

void add_fba_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static FbaCli o;
  auto* cmd = app.add_subcommand("fba", "Flux balance analysis: the optimum, pFBA (--pfba) and flux variability (--fva)");
  bind_options(cmd, fba_cli_table(), o, ctx);
  cmd->callback([&ctx, argv] {
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    auto model = io::load_model(o.model);
    if (!accept(model, ctx)) return;
    Model& m = model.value();
    if (!apply_bounds_file(m, o.set_bounds, ctx)) return;
    if (!o.objective.empty()) {
      const auto r = m.reaction_index(o.objective);
      if (!r) {
        print_diagnostics({Diagnostic{Severity::error, "--objective", 0, 0, {}, "'" + o.objective + "' is not a reaction of the model"}});
        ctx.exit_code = kExitInput;
        return;
      }
      for (auto& reaction : m.reactions) reaction.objective_coefficient = 0.0;
      m.reactions[*r].objective_coefficient = 1.0;
      m.objective_sense = ObjectiveSense::maximize;
    }
    auto problem = cbm::FbaModel::create(m);
    if (!accept(problem, ctx)) return;
    cbm::FbaModel& fba = problem.value();
    auto knockouts = cbm::knockout_reactions(m, o.knockouts, o.knockout_genes);
    if (!accept(knockouts, ctx)) return;
    for (std::size_t r : knockouts.value().reactions) fba.set_bounds(r, 0.0, 0.0);
    std::vector<std::string> gene_blocked;
    for (std::size_t r : knockouts.value().by_genes) {
      fba.set_bounds(r, 0.0, 0.0);
      gene_blocked.push_back(m.reactions[r].id);
    }
    const auto t1 = std::chrono::steady_clock::now();
    const cbm::FbaSolution solution = o.pfba ? fba.pfba(o.fraction) : fba.optimize();
    const auto t2 = std::chrono::steady_clock::now();
    if (solution.status != LpStatus::optimal) {
      print_diagnostics({Diagnostic{Severity::error, o.model, 0, 0, {},
                                    std::string("the FBA problem is ") + to_string(solution.status) +
                                        (solution.status == LpStatus::infeasible ? ": no flux vector satisfies the bounds at steady state" : "")}});
      ctx.exit_code = kExitFailure;
      return;
    }
    cbm::FvaResult variability;
    if (o.fva) variability = fba.fva(o.fraction, {}, o.threads, o.loopless);
    const auto t3 = std::chrono::steady_clock::now();
    auto dir = io::make_output_directory(o.output);
    if (!accept(dir, ctx)) return;
    std::vector<std::string> reaction_ids;
    io::FluxResultColumn net{"net", {}};
    for (std::size_t j = 0; j < m.reactions.size(); ++j) {
      reaction_ids.push_back(m.reactions[j].id);
      const double v = solution.fluxes(static_cast<Eigen::Index>(j));
      net.values.push_back(std::fabs(v) < 1e-12 ? 0.0 : v);  // solver noise around 0
    }
    const std::string fluxes = io::write_flux_results(reaction_ids, {net});
    std::vector<std::string> written{o.output + "/fluxes.tsv"};
    if (auto w = io::write_output_file(written.back(), fluxes); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    long failed = 0;
    if (o.fva) {
      std::string table = "reaction\tminimum\tmaximum\tstatus\n";
      for (std::size_t j = 0; j < m.reactions.size(); ++j) {
        const auto& r = variability.ranges[j];
        if (r.status != LpStatus::optimal) ++failed;
        table += m.reactions[j].id + '\t' + number(r.minimum) + '\t' + number(r.maximum) + '\t' + to_string(r.status) + '\n';
      }
      written.push_back(o.output + "/fva.tsv");
      if (auto w = io::write_output_file(written.back(), table); !w) {
        print_diagnostics(w.diagnostics());
        ctx.exit_code = kExitFailure;
        return;
      }
    }
    info.add_input("model", o.model);
    info.set("method", o.pfba ? "parsimonious FBA" : "FBA");
    if (!o.objective.empty()) info.set("objective", o.objective);
    info.set("solver", "COIN-OR CLP");
    info.set("objective_value", number(solution.objective));
    info.set("fraction_of_optimum", number(o.fraction));
    if (o.fva) {
      info.set("loopless", o.loopless ? "true" : "false");
      info.set("fva_lps", std::to_string(variability.lps));
      info.set("fva_ranges_from_coupling", std::to_string(variability.from_coupling));
    }
    info.set("threads", std::to_string(o.threads));
    std::string ko;
    for (const auto& k : o.knockouts) ko += (ko.empty() ? "" : ",") + k;
    info.set("knockouts", ko);
    std::string gko, gblocked;
    for (const auto& k : o.knockout_genes) gko += (gko.empty() ? "" : ",") + k;
    for (const auto& k : gene_blocked) gblocked += (gblocked.empty() ? "" : ",") + k;
    if (!o.knockout_genes.empty()) {
      info.set("knockout_genes", gko);
      info.set("blocked_by_gene_knockouts", gblocked);
    }
    for (const auto& w : written) info.add_output(w);
    info.add_timing("load", std::chrono::duration<double>(t1 - t0).count());
    info.add_timing("fba", std::chrono::duration<double>(t2 - t1).count());
    if (o.fva) info.add_timing("fva", std::chrono::duration<double>(t3 - t2).count());
    if (auto w = info.write(o.output); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    std::FILE* out = summary_stream(o.format);
    std::fprintf(out, "objective %s (%s, %zu reactions, %zu balanced metabolites)\n", number(solution.objective).c_str(), o.pfba ? "pFBA" : "FBA",
                fba.n_reactions(), fba.n_balanced());
    if (o.fva)
      std::fprintf(out, "%sFVA of %zu reactions at %s of the optimum in %.3f s (%zu LPs, %zu ranges from fully coupled or blocked reactions)%s\n",
                  o.loopless ? "loopless " : "", m.reactions.size(), number(o.fraction).c_str(), std::chrono::duration<double>(t3 - t2).count(),
                  variability.lps, variability.from_coupling, failed ? (", " + std::to_string(failed) + " not optimal").c_str() : "");
    if (o.format == "tsv") std::fputs(fluxes.c_str(), stdout);
    if (o.format == "table") {
      std::printf("\n%-20s %12s%s\n", "reaction", "flux", o.fva ? "      FVA minimum      maximum" : "");
      for (std::size_t j = 0; j < reaction_ids.size(); ++j) {
        std::printf("%-20s %12s", reaction_ids[j].c_str(), number(net.values[j]).c_str());
        if (o.fva) std::printf(" %16s %12s", number(variability.ranges[j].minimum).c_str(), number(variability.ranges[j].maximum).c_str());
        std::printf("\n");
      }
    }
    if (failed) ctx.exit_code = kExitFailure;
  });
}

}  // namespace fluxion::cli
