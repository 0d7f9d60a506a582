// Constraint-based baselines beside FBApro: fluxion moma, fluxion imat, and fluxion
// expression (gene expression → reaction activity → reference fluxes for project / imat).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

#include "commands.hpp"
#include "option_binding.hpp"
#include "fluxion/cbm/cbm_tables.hpp"
#include "fluxion/cbm/expression.hpp"
#include "fluxion/cbm/fba.hpp"
#include "fluxion/cbm/imat.hpp"
#include "fluxion/cbm/moma.hpp"
#include "fluxion/cbm/sample_runs.hpp"
#include "fluxion/io/expression_table.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/run_info.hpp"

namespace fluxion::cli {

namespace {

using Clock = std::chrono::steady_clock;
using Eigen::Index;

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

std::string num(double v) { return cbm::flux_text(v); }

struct Knockouts {
  std::vector<std::string> reactions, genes;
  std::string bounds;  // --set-bounds
};

const OptionTable<Knockouts>& knockout_table() {
  static const OptionTable<Knockouts> t = [] {
    OptionTable<Knockouts> t;
    t.add("set-bounds", &Knockouts::bounds, "Bounds table (reaction, lower, upper) applied to the model first: a medium, a condition").file();
    t.add("knockout", &Knockouts::reactions, "Reactions to block (bounds 0, 0); repeatable or comma-separated").no_default();
    t.add("knockout-genes", &Knockouts::genes, "Genes to delete: every reaction whose GPR rule fails without them is blocked (cobrapy's semantics)").no_default();
    return t;
  }();
  return t;
}

// ----------------------------------------------------------------------------------------

struct MomaCli {
  std::string model, references, output;
  Knockouts knockouts;
  cbm::MomaOptions options;  // the library's
};

struct ImatCli {
  std::string model, references, expression, output;
  Knockouts knockouts;
  cbm::ImatOptions options;  // the library's
};

struct ExpressionCli {
  std::string model, expression, output, bounds = "fva";
  double fraction = 0.9;
  bool no_quantile = false, loopless = false;
  int threads = 0;
  std::string set_bounds;
  cbm::ExpressionOptions options;  // the library's (quantile_normalise: --no-quantile)
};

const OptionTable<MomaCli>& moma_cli_table() {
  static const OptionTable<MomaCli> t = [] {
    OptionTable<MomaCli> t;
    t.add("model", &MomaCli::model, "Model file or built-in model name").short_name("m").required().kind(OptionKind::model);
    t.add("references", &MomaCli::references,
          "Reference fluxes (reaction, optional confidence, samples); unmeasured reactions are left out of the distance. "
          "Default: pFBA of the unperturbed model, as cobrapy")
        .short_name("r")
        .file();
    t.add("output", &MomaCli::output, "Output directory (fluxes.tsv, summary.tsv, run_info.json)").short_name("o").required();
    return t;
  }();
  return t;
}

const OptionTable<ImatCli>& imat_cli_table() {
  static const OptionTable<ImatCli> t = [] {
    OptionTable<ImatCli> t;
    t.add("model", &ImatCli::model, "Model file or built-in model name").short_name("m").required().kind(OptionKind::model);
    t.add("references", &ImatCli::references, "Reaction scores: a reference table (unmeasured reactions unscored)").short_name("r").file();
    t.add("expression", &ImatCli::expression, "Gene expression (genes × samples), scored through the GPR rules instead").short_name("e").file();
    t.add("output", &ImatCli::output, "Output directory (fluxes.tsv, summary.tsv, run_info.json)").short_name("o").required();
    return t;
  }();
  return t;
}

const OptionTable<ExpressionCli>& expression_cli_table() {
  static const OptionTable<ExpressionCli> t = [] {
    OptionTable<ExpressionCli> t;
    t.add("model", &ExpressionCli::model, "Model file or built-in model name (with GPR rules)").short_name("m").required().kind(OptionKind::model);
    t.add("expression", &ExpressionCli::expression, "Gene expression: genes × samples (TSV or CSV), counts or TPM").short_name("e").required().file();
    t.add("output", &ExpressionCli::output, "Output directory (references.tsv, activity.tsv, run_info.json)").short_name("o").required();
    t.add("bounds", &ExpressionCli::bounds, "Flux ranges the activities are mapped into: fva (FVA at --fraction of the optimum) or model").choices({"fva", "model"});
    t.add("fraction", &ExpressionCli::fraction, "Fraction of the optimum for the FVA ranges").range(0.0, 1.0);
    t.add("no-quantile", &ExpressionCli::no_quantile, "Skip the per-sample quantile normalisation");
    t.add("loopless", &ExpressionCli::loopless, "Loopless FVA ranges (as the FBApro paper's real-data experiments)");
    t.add("set-bounds", &ExpressionCli::set_bounds, "Bounds table (reaction, lower, upper) applied to the model first: a medium, a condition").file();
    t.add("threads", &ExpressionCli::threads, "Threads for the FVA (0 = all cores)").range(0, 1024);
    return t;
  }();
  return t;
}

// the names of the GPR rules as the options give them
std::string rule_names(const cbm::ExpressionOptions& e) {
  const auto& t = cbm::ExpressionOptions::table();
  std::string and_name, or_name;
  for (const auto& entry : t.entries()) {
    if (entry.info.name == "and") and_name = t.value_text(e, entry.target);
    if (entry.info.name == "or") or_name = t.value_text(e, entry.target);
  }
  return "AND " + and_name + ", OR " + or_name;
}

cbm::ExpressionOptions expression_options(const ExpressionCli& o) {
  cbm::ExpressionOptions e = o.options;
  e.quantile_normalise = !o.no_quantile;
  return e;
}

}  // namespace

bool apply_bounds_file(Model& model, const std::string& path, Context& ctx) { return accept(cbm::apply_bounds_table(model, path), ctx); }

void add_cbm_commands(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  // ---- moma
  {
    static MomaCli o;
    auto* cmd = app.add_subcommand("moma", "MoMA: the fluxes of a perturbed model closest to a reference (quadratic, or --linear)");
    bind_options(cmd, moma_cli_table(), o, ctx);
    bind_options(cmd, cbm::MomaOptions::table(), o.options, ctx);
    bind_options(cmd, knockout_table(), o.knockouts, ctx);
    cmd->callback([&ctx, argv] {
      const auto t0 = Clock::now();
      io::RunInfo info(argv);
      auto loaded = io::load_model(o.model);
      if (!accept(loaded, ctx)) return;
      Model m = loaded.value();
      if (!apply_bounds_file(m, o.knockouts.bounds, ctx)) return;  // the medium holds for the reference too
      auto refs = cbm::moma_references(m, o.references);
      if (!accept(refs, ctx)) return;
      auto blocked = cbm::apply_knockouts(m, o.knockouts.reactions, o.knockouts.genes);
      if (!accept(blocked, ctx)) return;
      auto moma = cbm::Moma::create(m);
      if (!accept(moma, ctx)) return;
      auto dir = io::make_output_directory(o.output);
      if (!accept(dir, ctx)) return;
      const auto runs = cbm::moma_samples(m, moma.value(), refs.value(), o.options);
      info.add_input("model", o.model);
      if (!o.references.empty()) info.add_input("references", o.references);
      info.set("method", cbm::moma_method(o.options));
      info.set("reference", refs.value().description);
      std::string ko;
      for (const auto& b : blocked.value()) ko += (ko.empty() ? "" : ",") + b;
      info.set("blocked_reactions", ko);
      info.add_timing("solve", runs.seconds);
      info.add_timing("total", seconds(t0, Clock::now()));
      if (!write_outputs(ctx, info, o.output, runs.files())) return;
      if (auto w = info.write(o.output); !w) print_diagnostics(w.diagnostics());
      std::printf("%s MoMA: %zu samples, %zu blocked reactions, %d not optimal, %.3g s\n", o.options.linear ? "linear" : "quadratic", runs.samples,
                  blocked.value().size(), runs.not_optimal, runs.seconds);
      if (runs.not_optimal) ctx.exit_code = kExitFailure;
    });
  }

  // ---- imat
  {
    static ImatCli o;
    auto* cmd = app.add_subcommand("imat", "iMAT: the steady state that best agrees with reaction scores (mixed-integer LP on CBC)");
    bind_options(cmd, imat_cli_table(), o, ctx);
    bind_options(cmd, cbm::ImatOptions::table(), o.options, ctx);
    bind_options(cmd, knockout_table(), o.knockouts, ctx);
    cmd->callback([&ctx, argv] {
      const auto t0 = Clock::now();
      io::RunInfo info(argv);
      if (o.references.empty() == o.expression.empty()) return input_error(ctx, "imat", "give either --references or --expression");
      if (auto problems = o.options.validate(); !problems.empty()) {  // --lower above --upper
        print_diagnostics(problems);
        ctx.exit_code = kExitInput;
        return;
      }
      auto loaded = io::load_model(o.model);
      if (!accept(loaded, ctx)) return;
      Model m = loaded.value();
      if (!apply_bounds_file(m, o.knockouts.bounds, ctx)) return;
      auto scores = cbm::imat_scores(m, o.references, o.expression);
      if (!accept(scores, ctx)) return;
      if (!scores.value().genes_found.empty()) std::printf("%s\n", scores.value().genes_found.c_str());
      auto blocked = cbm::apply_knockouts(m, o.knockouts.reactions, o.knockouts.genes);
      if (!accept(blocked, ctx)) return;
      auto dir = io::make_output_directory(o.output);
      if (!accept(dir, ctx)) return;
      const auto runs = cbm::imat_samples(m, scores.value(), o.options, [](const Progress& p) {
        std::fprintf(stderr, "\rimat: sample %ld of %ld", p.done, p.total);
        return true;
      });
      std::fprintf(stderr, "\n");
      info.add_input("model", o.model);
      info.add_input(o.references.empty() ? "expression" : "references", scores.value().source);
      info.set("method", cbm::imat_method());
      info.set("lower_percentile", num(o.options.lower_quantile));
      info.set("upper_percentile", num(o.options.upper_quantile));
      info.set("epsilon", num(o.options.epsilon));
      info.set("time_limit_s", num(o.options.time_limit));
      info.add_timing("solve", runs.seconds);
      info.add_timing("total", seconds(t0, Clock::now()));
      if (!write_outputs(ctx, info, o.output, runs.files())) return;
      if (auto w = info.write(o.output); !w) print_diagnostics(w.diagnostics());
      std::printf("iMAT: %zu samples, %d not proven optimal, %.3g s\n", runs.samples, runs.not_optimal, runs.seconds);
      if (runs.not_optimal) ctx.exit_code = kExitFailure;
    });
  }

  // ---- expression
  {
    static ExpressionCli o;
    auto* cmd = app.add_subcommand("expression",
                                   "Gene expression → reaction activity → reference fluxes for 'fluxion project' (FBApro, Appendix D)");
    bind_options(cmd, expression_cli_table(), o, ctx);
    bind_options(cmd, cbm::ExpressionOptions::table(), o.options, ctx);
    cmd->callback([&ctx, argv] {
      const auto t0 = Clock::now();
      io::RunInfo info(argv);
      auto loaded = io::load_model(o.model);
      if (!accept(loaded, ctx)) return;
      Model& m = loaded.value();
      if (!apply_bounds_file(m, o.set_bounds, ctx)) return;
      auto e = io::load_expression_table(o.expression);
      if (!accept(e, ctx)) return;
      auto a = cbm::reaction_activity(m, e.value().genes, e.value().values, expression_options(o));
      if (!accept(a, ctx)) return;
      const auto& act = a.value();
      const auto ranges = cbm::flux_ranges(m, o.bounds == "fva", o.fraction, o.threads, o.loopless, o.model);
      print_diagnostics(ranges.warnings);
      const auto tables = cbm::expression_references(m, act, e.value().samples, ranges);
      auto dir = io::make_output_directory(o.output);
      if (!accept(dir, ctx)) return;
      info.add_input("model", o.model);
      info.add_input("expression", o.expression);
      info.set("method", "GPR rules: " + rule_names(o.options) + (o.no_quantile ? "" : "; quantile-normalised") +
                             "; activities mapped into " + ranges.description);
      info.set("genes_in_data", std::to_string(act.genes_in_data));
      info.set("genes_kept", std::to_string(act.genes_kept));
      info.set("model_genes_found", std::to_string(act.model_genes_found) + " of " + std::to_string(act.model_genes));
      info.set("reactions_with_reference", std::to_string(tables.reactions_with_reference));
      info.add_timing("total", seconds(t0, Clock::now()));
      if (!write_outputs(ctx, info, o.output, {{"references.tsv", tables.references_tsv}, {"activity.tsv", tables.activity_tsv}})) return;
      if (auto w = info.write(o.output); !w) print_diagnostics(w.diagnostics());
      std::printf("%zu genes (%zu kept), %zu of the model's %zu genes found; %zu reactions scored, %zu with a reference flux "
                  "(one-way in %s)\n",
                  act.genes_in_data, act.genes_kept, act.model_genes_found, act.model_genes, act.reactions_scored, tables.reactions_with_reference,
                  ranges.description.c_str());
    });
  }
}

}  // namespace fluxion::cli
