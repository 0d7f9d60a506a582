// fluxion fit: least-squares 13C-MFA. The fluxes whose simulated MIDs (and measured
// fluxes) best fit the measurements, from many starting points in parallel, with a χ²
// test, residuals and linearised confidence intervals (mfa/fit_run.hpp).
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "option_binding.hpp"
#include "fluxion/core/progress.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/mfa/fit_run.hpp"

namespace fluxion::cli {

namespace {

struct FitCli {
  // bound straight to the library's structs: their defaults are the command's
  mfa::FitInputFiles files;
  mfa::FitOptions fit;
  mfa::FitRunOptions run;
  std::string output, format = "summary";
};

// The command's own options, beside the library's.
const OptionTable<FitCli>& fit_cli_table() {
  static const OptionTable<FitCli> t = [] {
    OptionTable<FitCli> t;
    t.add("output", &FitCli::output, "Output directory (fluxes.tsv, residuals.tsv, starts.tsv, fit.json, run_info.json)").short_name("o").required();
    return t;
  }();
  return t;
}

const OptionTable<FitCli>& fit_format_table() {
  static const OptionTable<FitCli> t = [] {
    OptionTable<FitCli> t;
    t.add("format", &FitCli::format, format_help({"summary", "table", "tsv"})).choices({"summary", "table", "tsv"});
    return t;
  }();
  return t;
}

}  // namespace

void add_fit_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static FitCli o;
  auto* cmd = app.add_subcommand("fit", "Least-squares 13C-MFA: fit fluxes to measured MIDs and fluxes (multistart Levenberg–Marquardt, χ² test, confidence intervals)");
  bind_options(cmd, mfa::FitInputFiles::table(), o.files, ctx);
  bind_options(cmd, fit_cli_table(), o, ctx);
  bind_options(cmd, mfa::FitRunOptions::table(), o.run, ctx);
  bind_options(cmd, fit_format_table(), o, ctx);
  bind_options(cmd, mfa::FitOptions::table(), o.fit, ctx);
  cmd->callback([&ctx, argv] {
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    auto loaded = mfa::load_fit_inputs(o.files);
    if (!accept(loaded, ctx)) return;
    const mfa::FitInputs& inputs = loaded.value();
    auto planned = mfa::plan_fit(inputs, o.fit, o.run);
    if (!accept(planned, ctx)) return;
    const mfa::FitPlan& plan = planned.value();
    if (auto made = io::make_output_directory(o.output); !accept(made, ctx)) return;
    const auto t1 = std::chrono::steady_clock::now();
    print_diagnostics(plan.notes);
    spdlog::info("{}", plan.description());
    auto report = mfa::run_fit(plan, inputs.model.id, [](const std::string& phase, long total, const std::string& unit) -> ProgressHook {
      auto bar = std::make_shared<ProgressBar>(phase, total, unit);
      return [bar](const Progress& p) { return bar->update(p.done), true; };
    });
    if (!report) {
      print_diagnostics(report.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    const mfa::FitReport& r = report.value();
    const FluxSpace& space = *inputs.space;
    if (!write_outputs(ctx, info, o.output, with_map(r.files(space), inputs.model))) return;
    info.add_input("model", o.files.model);
    info.add_input("experiments", inputs.experiments_source);
    for (std::size_t k = 0; k < inputs.mids_sources.size(); ++k) info.add_input(k == 0 ? "mids" : "mids " + std::to_string(k + 1), inputs.mids_sources[k]);
    if (!o.files.mfapy_status.empty()) info.add_input("mfapy_status", o.files.mfapy_status);
    if (!o.files.constraints.empty()) info.add_input("constraints", o.files.constraints);
    if (!o.files.measured_fluxes.empty()) info.add_input("measured_fluxes", o.files.measured_fluxes);
    for (const auto& p : o.run.starts_from) info.add_input("start_from", p);
    for (const auto& [key, value] : mfa::fit_settings(plan, o.files, o.run)) info.set(key, value);
    info.add_timing("load", std::chrono::duration<double>(t1 - t0).count());
    info.add_timing("fit", r.fit.seconds);
    if (!r.profile.empty()) info.add_timing("profile", r.profile_seconds);
    if (r.monte_carlo) info.add_timing("monte_carlo", r.monte_carlo_seconds);
    if (auto w = info.write(o.output); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitInput;
      return;
    }
    std::fputs(r.summary().c_str(), summary_stream(o.format));
    if (o.format == "table") std::fputs(r.table(space).c_str(), stdout);
    if (o.format == "tsv") std::fputs(r.fluxes_tsv(space).c_str(), stdout);
  });
}

}  // namespace fluxion::cli
