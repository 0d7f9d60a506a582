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
#include "fluxion/io/bounds_table.hpp"
#include "fluxion/io/expression_table.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/reference_table.hpp"
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

// Sets the bounds of knocked-out reactions to 0 in the model; false (and exit 2) on an unknown id.
bool apply_knockouts(Model& m, const Knockouts& k, Context& ctx, std::vector<std::string>* blocked = nullptr) {
  auto set = cbm::knockout_reactions(m, k.reactions, k.genes);
  if (!accept(set, ctx)) return false;
  for (const auto* list : {&set.value().reactions, &set.value().by_genes})
    for (std::size_t r : *list) {
      m.reactions[r].lower_bound = 0.0;
      m.reactions[r].upper_bound = 0.0;
      if (blocked) blocked->push_back(m.reactions[r].id);
    }
  return true;
}

bool write(Context& ctx, std::vector<std::string>& written, const std::string& path, const std::string& text) {
  written.push_back(path);
  if (auto w = io::write_output_file(path, text); !w) {
    print_diagnostics(w.diagnostics());
    ctx.exit_code = kExitFailure;
    return false;
  }
  return true;
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

struct Activity {
  Eigen::MatrixXd activity;  // reactions × samples
  std::vector<std::string> samples;
};

cbm::ExpressionOptions expression_options(const ExpressionCli& o) {
  cbm::ExpressionOptions e = o.options;
  e.quantile_normalise = !o.no_quantile;
  return e;
}

}  // namespace

bool apply_bounds_file(Model& model, const std::string& path, Context& ctx) {
  if (path.empty()) return true;
  auto b = io::load_bounds_table(path, model);
  if (!accept(b, ctx)) return false;
  for (const auto& change : b.value()) {
    model.reactions[change.reaction].lower_bound = change.lower;
    model.reactions[change.reaction].upper_bound = change.upper;
  }
  return true;
}

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
      std::vector<std::string> samples;
      std::vector<Eigen::VectorXd> refs;
      std::vector<Index> measured;
      if (!o.references.empty()) {
        auto t = io::load_reference_table(o.references, m);
        if (!accept(t, ctx)) return;
        if (!io::has_measured(t.value()))
          return input_error(ctx, o.references, "every reaction is unmeasured: MoMA has no reference to stay close to");
        samples = t.value().samples;
        for (Index s = 0; s < t.value().values.cols(); ++s) refs.push_back(t.value().values.col(s));
        for (std::size_t j = 0; j < m.reactions.size(); ++j)
          if (t.value().confidence[j] != io::Confidence::unmeasured) measured.push_back(static_cast<Index>(j));
      } else {
        auto fba = cbm::FbaModel::create(m);
        if (!accept(fba, ctx)) return;
        const auto p = fba.value().pfba();
        if (p.status != LpStatus::optimal) {
          print_diagnostics({Diagnostic{Severity::error, o.model, 0, 0, {}, std::string("pFBA of the unperturbed model (the default reference) is ") + to_string(p.status)}});
          ctx.exit_code = kExitFailure;
          return;
        }
        samples = {"reference"};
        refs = {p.fluxes};
      }
      std::vector<std::string> blocked;
      if (!apply_knockouts(m, o.knockouts, ctx, &blocked)) return;
      auto moma = cbm::Moma::create(m);
      if (!accept(moma, ctx)) return;
      auto dir = io::make_output_directory(o.output);
      if (!accept(dir, ctx)) return;
      std::vector<Eigen::VectorXd> out;
      std::string summary = "sample\tstatus\tdistance\titerations\tseconds\n";
      int failed = 0;
      double total = 0.0;
      for (std::size_t s = 0; s < refs.size(); ++s) {
        const auto ts = Clock::now();
        const auto sol = moma.value().solve(refs[s], measured, o.options);
        const double dt = seconds(ts, Clock::now());
        total += dt;
        if (sol.status != LpStatus::optimal) ++failed;
        out.push_back(sol.fluxes);
        summary += samples[s] + '\t' + to_string(sol.status) + '\t' + num(sol.status == LpStatus::optimal ? sol.distance : NAN) + '\t' +
                   std::to_string(sol.iterations) + '\t' + num(dt) + '\n';
      }
      std::vector<std::string> written;
      if (!write(ctx, written, o.output + "/fluxes.tsv", cbm::flux_samples_tsv(m, samples, out))) return;
      if (!write(ctx, written, o.output + "/summary.tsv", summary)) return;
      info.add_input("model", o.model);
      if (!o.references.empty()) info.add_input("references", o.references);
      info.set("method", o.options.linear ? "linear MoMA (min Σ|v − ref|, COIN-OR CLP)" : "MoMA (min Σ(v − ref)², Ipopt with MUMPS)");
      info.set("reference", o.references.empty() ? "pFBA of the unperturbed model" : o.references);
      std::string ko;
      for (const auto& b : blocked) ko += (ko.empty() ? "" : ",") + b;
      info.set("blocked_reactions", ko);
      for (const auto& w : written) info.add_output(w);
      info.add_timing("solve", total);
      info.add_timing("total", seconds(t0, Clock::now()));
      if (auto w = info.write(o.output); !w) print_diagnostics(w.diagnostics());
      std::printf("%s MoMA: %zu samples, %zu blocked reactions, %d not optimal, %.3g s\n", o.options.linear ? "linear" : "quadratic", refs.size(),
                  blocked.size(), failed, total);
      if (failed) ctx.exit_code = kExitFailure;
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
      Activity scores;
      if (!o.references.empty()) {
        auto t = io::load_reference_table(o.references, m);
        if (!accept(t, ctx)) return;
        if (!io::has_measured(t.value())) return input_error(ctx, o.references, "every reaction is unmeasured: iMAT has no scores");
        scores.samples = t.value().samples;
        scores.activity = t.value().values;
        for (std::size_t j = 0; j < m.reactions.size(); ++j)
          if (t.value().confidence[j] == io::Confidence::unmeasured) scores.activity.row(static_cast<Index>(j)).setConstant(NAN);
      } else {
        auto e = io::load_expression_table(o.expression);
        if (!accept(e, ctx)) return;
        auto a = cbm::reaction_activity(m, e.value().genes, e.value().values);
        if (!accept(a, ctx)) return;
        scores.samples = e.value().samples;
        scores.activity = a.value().activity;
        if (a.value().reactions_scored == 0)
          return input_error(ctx, o.expression, "no reaction could be scored: none of the model's GPR genes is in the expression table");
        std::printf("expression: %zu of the model's %zu genes found; %zu reactions scored\n", a.value().model_genes_found, a.value().model_genes,
                    a.value().reactions_scored);
      }
      std::vector<std::string> blocked;
      if (!apply_knockouts(m, o.knockouts, ctx, &blocked)) return;
      auto dir = io::make_output_directory(o.output);
      if (!accept(dir, ctx)) return;
      std::vector<Eigen::VectorXd> out;
      std::string summary = "sample\tstatus\thigh_active\thigh\tlow_inactive\tlow\tseconds\n";
      int failed = 0;
      double total = 0.0;
      for (std::size_t s = 0; s < scores.samples.size(); ++s) {
        const auto sol = cbm::imat(m, scores.activity.col(static_cast<Index>(s)),
                                   o.options);
        total += sol.seconds;
        if (sol.status != LpStatus::optimal) ++failed;
        out.push_back(sol.fluxes);
        summary += scores.samples[s] + '\t' + to_string(sol.status) + '\t' + std::to_string(sol.high_active) + '\t' + std::to_string(sol.high_total) +
                   '\t' + std::to_string(sol.low_inactive) + '\t' + std::to_string(sol.low_total) + '\t' + num(sol.seconds) + '\n';
        std::fprintf(stderr, "\rimat: sample %zu of %zu", s + 1, scores.samples.size());
      }
      std::fprintf(stderr, "\n");
      std::vector<std::string> written;
      if (!write(ctx, written, o.output + "/fluxes.tsv", cbm::flux_samples_tsv(m, scores.samples, out))) return;
      if (!write(ctx, written, o.output + "/summary.tsv", summary)) return;
      info.add_input("model", o.model);
      info.add_input(o.references.empty() ? "expression" : "references", o.references.empty() ? o.expression : o.references);
      info.set("method", "iMAT (Shlomi et al. 2008), COIN-OR CBC");
      info.set("lower_percentile", num(o.options.lower_quantile));
      info.set("upper_percentile", num(o.options.upper_quantile));
      info.set("epsilon", num(o.options.epsilon));
      info.set("time_limit_s", num(o.options.time_limit));
      for (const auto& w : written) info.add_output(w);
      info.add_timing("solve", total);
      info.add_timing("total", seconds(t0, Clock::now()));
      if (auto w = info.write(o.output); !w) print_diagnostics(w.diagnostics());
      std::printf("iMAT: %zu samples, %d not proven optimal, %.3g s\n", scores.samples.size(), failed, total);
      if (failed) ctx.exit_code = kExitFailure;
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
      std::vector<std::string> written;
      if (!write(ctx, written, o.output + "/references.tsv", tables.references_tsv)) return;
      if (!write(ctx, written, o.output + "/activity.tsv", tables.activity_tsv)) return;
      info.add_input("model", o.model);
      info.add_input("expression", o.expression);
      info.set("method", "GPR rules: " + rule_names(o.options) + (o.no_quantile ? "" : "; quantile-normalised") +
                             "; activities mapped into " + ranges.description);
      info.set("genes_in_data", std::to_string(act.genes_in_data));
      info.set("genes_kept", std::to_string(act.genes_kept));
      info.set("model_genes_found", std::to_string(act.model_genes_found) + " of " + std::to_string(act.model_genes));
      info.set("reactions_with_reference", std::to_string(tables.reactions_with_reference));
      for (const auto& w : written) info.add_output(w);
      info.add_timing("total", seconds(t0, Clock::now()));
      if (auto w = info.write(o.output); !w) print_diagnostics(w.diagnostics());
      std::printf("%zu genes (%zu kept), %zu of the model's %zu genes found; %zu reactions scored, %zu with a reference flux "
                  "(one-way in %s)\n",
                  act.genes_in_data, act.genes_kept, act.model_genes_found, act.model_genes, act.reactions_scored, tables.reactions_with_reference,
                  ranges.description.c_str());
    });
  }
}

}  // namespace fluxion::cli
