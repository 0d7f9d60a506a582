// Constraint-based baselines beside FBApro: fluxion moma, fluxion imat, and fluxion
// expression (gene expression → reaction activity → reference fluxes for project / imat).
// The runs are cbm's (sample_runs.hpp); these commands load the model, write and print.
#include <chrono>
#include <cstdio>

#include "commands.hpp"
#include "option_binding.hpp"
#include "fluxion/cbm/sample_runs.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/run_info.hpp"

namespace fluxion::cli {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// What every one of these commands takes beside its request: the model and the output.
struct ModelAndOutput {
  std::string model, output;
};

OptionTable<ModelAndOutput> model_output_table(const std::string& model_help, const std::string& output_help) {
  OptionTable<ModelAndOutput> t;
  t.add("model", &ModelAndOutput::model, model_help).short_name("m").required().kind(OptionKind::model);
  t.add("output", &ModelAndOutput::output, output_help).short_name("o").required();
  return t;
}

void finish(Context& ctx, io::RunInfo& info, const std::string& output, const cbm::Settings& settings,
            const std::vector<std::pair<std::string, std::string>>& files) {
  for (const auto& [key, value] : settings) info.set(key, value);
  if (!write_outputs(ctx, info, output, files)) return;
  if (auto w = info.write(output); !w) print_diagnostics(w.diagnostics());
}

}  // namespace

void add_cbm_commands(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  const std::string model_help = "Model file or built-in model name", solve_output = "Output directory (fluxes.tsv, summary.tsv, run_info.json)";
  // ---- moma
  {
    static ModelAndOutput mo;
    static cbm::MomaRequest q;
    auto* cmd = app.add_subcommand("moma", "MoMA: the fluxes of a perturbed model closest to a reference (quadratic, or --linear)");
    bind_options(cmd, model_output_table(model_help, solve_output), mo, ctx);
    bind_options(cmd, cbm::MomaRequest::table(), q, ctx);
    bind_options(cmd, cbm::MomaOptions::table(), q.options, ctx);
    bind_options(cmd, cbm::Perturbation::table(), q.perturbation, ctx);
    cmd->callback([&ctx, argv] {
      const auto t0 = Clock::now();
      io::RunInfo info(argv);
      auto model = io::load_model(mo.model);
      if (!accept(model, ctx)) return;
      auto run = cbm::run_moma(std::move(model.value()), q);
      if (!accept(run, ctx)) return;
      const cbm::MomaRun& r = run.value();
      info.add_input("model", mo.model);
      if (!q.references.empty()) info.add_input("references", q.references);
      info.add_timing("solve", r.runs.seconds);
      info.add_timing("total", seconds(t0, Clock::now()));
      finish(ctx, info, mo.output, r.settings, r.runs.files());
      if (ctx.exit_code != kExitOk) return;
      std::fputs(r.summary.c_str(), stdout);
      if (r.runs.not_optimal) ctx.exit_code = kExitFailure;
    });
  }

  // ---- imat
  {
    static ModelAndOutput mo;
    static cbm::ImatRequest q;
    auto* cmd = app.add_subcommand("imat", "iMAT: the steady state that best agrees with reaction scores (mixed-integer LP on CBC)");
    bind_options(cmd, model_output_table(model_help, solve_output), mo, ctx);
    bind_options(cmd, cbm::ImatRequest::table(), q, ctx);
    bind_options(cmd, cbm::ImatOptions::table(), q.options, ctx);
    bind_options(cmd, cbm::Perturbation::table(), q.perturbation, ctx);
    cmd->callback([&ctx, argv] {
      const auto t0 = Clock::now();
      io::RunInfo info(argv);
      auto model = io::load_model(mo.model);
      if (!accept(model, ctx)) return;
      auto run = cbm::run_imat(std::move(model.value()), q, [](const Progress& p) {
        std::fprintf(stderr, "\rimat: sample %ld of %ld", p.done, p.total);
        return true;
      });
      if (run) std::fprintf(stderr, "\n");
      if (!accept(run, ctx)) return;
      const cbm::ImatRun& r = run.value();
      if (!r.genes_found.empty()) std::printf("%s\n", r.genes_found.c_str());
      info.add_input("model", mo.model);
      info.add_input(r.input_role, r.input);
      info.add_timing("solve", r.runs.seconds);
      info.add_timing("total", seconds(t0, Clock::now()));
      finish(ctx, info, mo.output, r.settings, r.runs.files());
      if (ctx.exit_code != kExitOk) return;
      std::fputs(r.summary.c_str(), stdout);
      if (r.runs.not_optimal) ctx.exit_code = kExitFailure;
    });
  }

  // ---- expression
  {
    static ModelAndOutput mo;
    static cbm::ExpressionRequest q;
    auto* cmd = app.add_subcommand("expression",
                                   "Gene expression → reaction activity → reference fluxes for 'fluxion project' (FBApro, Appendix D)");
    bind_options(cmd, model_output_table("Model file or built-in model name (with GPR rules)", "Output directory (references.tsv, activity.tsv, run_info.json)"), mo,
                 ctx);
    bind_options(cmd, cbm::ExpressionRequest::table(), q, ctx);
    bind_options(cmd, cbm::ExpressionOptions::table(), q.options, ctx);
    cmd->callback([&ctx, argv] {
      const auto t0 = Clock::now();
      io::RunInfo info(argv);
      auto model = io::load_model(mo.model);
      if (!accept(model, ctx)) return;
      auto run = cbm::run_expression(std::move(model.value()), q, mo.model);
      if (!accept(run, ctx)) return;
      const cbm::ExpressionRun& r = run.value();
      print_diagnostics(r.warnings);
      info.add_input("model", mo.model);
      info.add_input("expression", q.expression);
      info.add_timing("total", seconds(t0, Clock::now()));
      finish(ctx, info, mo.output, r.settings, r.files());
      if (ctx.exit_code != kExitOk) return;
      std::fputs(r.summary.c_str(), stdout);
    });
  }
}

}  // namespace fluxion::cli
