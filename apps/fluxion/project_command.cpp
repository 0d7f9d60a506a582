// fluxion project: FBApro, the closed-form projection of reference fluxes (reactions ×
// samples) onto the model's steady-state space, in the paper's four variants.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>

#include "commands.hpp"
#include "option_binding.hpp"
#include "fluxion/cbm/projection.hpp"
#include "fluxion/cbm/projection_plan.hpp"
#include "fluxion/cbm/projection_report.hpp"
#include "fluxion/io/escher_map.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/reference_table.hpp"
#include "fluxion/io/run_info.hpp"

namespace fluxion::cli {

ProjectOnDevice project_on_device = nullptr;

namespace {

using Clock = std::chrono::steady_clock;
using Eigen::Index;

struct ProjectCli {
  std::string model, output, device = "blas";
  int threads = 0;
  cbm::ProjectionRequest request;           // the library's
  cbm::ProjectorOptions projector_options;  // the library's
};

const OptionTable<ProjectCli>& project_cli_table() {
  static const OptionTable<ProjectCli> t = [] {
    OptionTable<ProjectCli> t;
    t.add("model", &ProjectCli::model, "Model file or built-in model name").short_name("m").required().kind(OptionKind::model).label("Model").web("Inputs");
    t.add("output", &ProjectCli::output, "Output directory (fluxes.tsv, summary.tsv, run_info.json)").short_name("o").required();
    t.add("device", &ProjectCli::device, "Where to apply: blas (the CPU's BLAS), cpu or cuda (LibTorch; cuda: the paper's GPU batches)")
        .choices({"blas", "cpu", "cuda"});
    t.add("threads", &ProjectCli::threads, "BLAS threads applying the projection (0 = all cores)").range(0, 1024);
    return t;
  }();
  return t;
}

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

bool failed(Context& ctx, const std::vector<Diagnostic>& problems) {
  print_diagnostics(problems);
  ctx.exit_code = kExitFailure;
  return false;
}

// The projection on the chosen device: the CPU's BLAS here, LibTorch through fluxion-learn.
std::optional<Eigen::MatrixXd> apply(const cbm::Projector& projector, const Eigen::MatrixXd& references, const std::string& device, Context& ctx) {
  if (device == "blas") return projector.apply(references);
  if (!project_on_device)  // fluxion hands --device cpu|cuda to fluxion-learn before it gets here
    return failed(ctx, {Diagnostic{Severity::error, "--device", 0, 0, {}, device + " needs LibTorch: run it with fluxion-learn"}}), std::nullopt;
  auto on = project_on_device(projector, references, device);
  if (!on.ok()) return failed(ctx, on.diagnostics()), std::nullopt;
  return std::move(on.value());
}

}  // namespace

void add_project_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static ProjectCli o;
  auto* cmd = app.add_subcommand("project", "FBApro: project reference fluxes onto the steady-state space (Basic, Partial, Fixed, Full)");
  bind_options(cmd, project_cli_table(), o, ctx);
  bind_options(cmd, cbm::ProjectionRequest::table(), o.request, ctx);
  bind_options(cmd, cbm::ProjectorOptions::table(), o.projector_options, ctx);
  cmd->callback([&ctx, argv] {
    const auto t0 = Clock::now();
    io::RunInfo info(argv);
    auto loaded = io::load_model(o.model);
    if (!accept(loaded, ctx)) return;
    const Model& model = loaded.value();
    const cbm::ProjectionRequest& q = o.request;
    auto planned = cbm::plan_projection(model, q, o.projector_options);
    if (!accept(planned, ctx)) return;
    cbm::ProjectionPlan& plan = planned.value();
    cbm::set_blas_threads(o.threads);
    if (auto k = plan.compute_basis(); !k.ok()) return (void)failed(ctx, k.diagnostics());
    auto dir = io::make_output_directory(o.output);
    if (!accept(dir, ctx)) return;

    std::vector<cbm::ProjectionOutcome> outcomes;
    std::vector<std::string> written;
    for (auto variant : plan.variants) {
      const std::string name(to_string(variant));
      const auto ts = Clock::now();
      auto built = plan.projector(variant);
      if (!accept(built, ctx)) return;
      const cbm::Projector& projector = built.value();
      const auto ta = Clock::now();
      auto x = apply(projector, plan.references.values, o.device, ctx);
      if (!x) return;
      const auto te = Clock::now();
      auto outcome = cbm::assess_projection(model, plan.stoichiometry, projector, plan.references, q.references, variant, std::move(*x));
      outcome.setup_seconds = seconds(ts, ta);
      outcome.apply_seconds = seconds(ta, te);
      if (!q.save_projector.empty()) {
        if (auto w = projector.save(q.save_projector, plan.reaction_ids, model.id, variant); !w.ok()) return (void)failed(ctx, w.diagnostics());
        written.push_back(q.save_projector);
      }
      written.push_back(o.output + (plan.variants.size() == 1 ? "/fluxes.tsv" : "/fluxes_" + name + ".tsv"));
      if (auto w = io::write_output_file(written.back(), io::write_reference_table(plan.reaction_ids, plan.references.samples, outcome.fluxes)); !w)
        return (void)failed(ctx, w.diagnostics());
      std::printf("%s: %ld samples, %zu fixed and %zu least-squares reactions of %zu; max |S·x|/|x| %s, max |x_H - v_H| %s; %ld values "
                  "outside the model's bounds; setup %s s, apply %s s\n",
                  name.c_str(), static_cast<long>(outcome.fluxes.cols()), outcome.fixed, outcome.noisy, plan.reaction_ids.size(),
                  fmt(outcome.check.steady_state).c_str(), fmt(outcome.check.fixed_deviation).c_str(), outcome.outside_bounds,
                  fmt(outcome.setup_seconds).c_str(), fmt(outcome.apply_seconds).c_str());
      outcomes.push_back(std::move(outcome));
    }
    for (const auto& outcome : outcomes) print_diagnostics(outcome.notes);
    if (auto map = io::output_map_json(model)) {
      written.push_back(o.output + "/map.json");
      if (auto w = io::write_output_file(written.back(), *map); !w) return (void)failed(ctx, w.diagnostics());
    }
    written.push_back(o.output + "/summary.tsv");
    if (auto w = io::write_output_file(written.back(), cbm::projection_summary_tsv(outcomes)); !w) return (void)failed(ctx, w.diagnostics());
    info.add_input("model", o.model);
    info.add_input("references", q.references);
    if (!q.projector.empty()) info.add_input("projector", q.projector);
    info.set("method", "FBApro (Bruner & Singh 2026), null-space formulation");
    info.set("variant", q.variant);
    info.set("device", o.device);
    info.set("fixed_reactions", std::to_string(plan.fixed.size()));
    info.set("noisy_reactions", std::to_string(plan.noisy.size()));
    info.set("rank_S", std::to_string(plan.rank));
    info.set("relative_cutoff", fmt(o.projector_options.relative_cutoff));
    info.set("samples", std::to_string(plan.references.samples.size()));
    for (const auto& w : written) info.add_output(w);
    info.add_timing("basis", plan.basis_seconds);
    info.add_timing("total", seconds(t0, Clock::now()));
    if (auto w = info.write(o.output); !w) failed(ctx, w.diagnostics());
  });
}

}  // namespace fluxion::cli
