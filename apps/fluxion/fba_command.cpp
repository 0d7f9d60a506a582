// fluxion fba: flux balance analysis (FBA), parsimonious FBA and flux variability analysis
// on COIN-OR CLP, with cobrapy's semantics (objective from the model, fraction of the
// optimum for FVA and pFBA); the run itself is cbm::run_fba.
#include <cstdio>

#include "commands.hpp"
#include "option_binding.hpp"
#include "fluxion/cbm/fba_run.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/run_info.hpp"

namespace fluxion::cli {

namespace {

struct FbaCli {
  std::string model, output;
  cbm::FbaRequest request;  // the library's
  std::string format = "summary";
};

const OptionTable<FbaCli>& fba_cli_table() {
  static const OptionTable<FbaCli> t = [] {
    OptionTable<FbaCli> t;
    t.add("model", &FbaCli::model, "Model file or built-in model name (its objective and bounds)").short_name("m").required().kind(OptionKind::model).label("Model").web("Inputs");
    t.add("output", &FbaCli::output, "Output directory (fluxes.tsv, fva.tsv, run_info.json)").short_name("o").required();
    return t;
  }();
  return t;
}

const OptionTable<FbaCli>& fba_format_table() {
  static const OptionTable<FbaCli> t = [] {
    OptionTable<FbaCli> t;
    t.add("format", &FbaCli::format, format_help({"summary", "table", "tsv"})).choices({"summary", "table", "tsv"});
    return t;
  }();
  return t;
}

}  // namespace

void add_fba_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static FbaCli o;
  auto* cmd = app.add_subcommand("fba", "Flux balance analysis: the optimum, pFBA (--pfba) and flux variability (--fva)");
  bind_options(cmd, fba_cli_table(), o, ctx);
  bind_options(cmd, cbm::FbaRequest::table(), o.request, ctx);
  bind_options(cmd, fba_format_table(), o, ctx);
  cmd->callback([&ctx, argv] {
    io::RunInfo info(argv);
    auto model = io::load_model(o.model);
    if (!accept(model, ctx)) return;
    auto map = with_map({}, model.value());
    auto result = cbm::run_fba(std::move(model.value()), o.request);
    if (!accept(result, ctx)) return;
    const cbm::FbaRun& run = result.value();
    if (!run.optimal()) {
      print_diagnostics({Diagnostic{Severity::error, o.model, 0, 0, {}, run.failure()}});
      ctx.exit_code = kExitFailure;
      return;
    }
    info.add_input("model", o.model);
    for (const auto& [key, value] : run.settings()) info.set(key, value);
    info.add_timing("load", run.load_seconds);
    info.add_timing("fba", run.fba_seconds);
    if (o.request.fva) info.add_timing("fva", run.fva_seconds);
    auto files = run.files();
    files.insert(files.end(), map.begin(), map.end());
    if (!write_outputs(ctx, info, o.output, files)) return;
    if (auto w = info.write(o.output); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    std::fputs(run.summary().c_str(), summary_stream(o.format));
    if (o.format == "tsv") std::fputs(run.fluxes_tsv().c_str(), stdout);
    if (o.format == "table") std::fputs(run.table().c_str(), stdout);
    if (run.fva_not_optimal) ctx.exit_code = kExitFailure;
  });
}

}  // namespace fluxion::cli
