// fluxion scflux: per-cell (or per-sample) module fluxes and metabolite balances from gene
// expression with scFEA's per-module networks (scflux/run.hpp).
#include <chrono>
#include <cstdio>

#include "commands.hpp"
#include "option_binding.hpp"
#include "learned_commands.hpp"
#include "fluxion/core/progress.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/scflux/run.hpp"

namespace fluxion::cli {

namespace {

struct ScfluxCli {
  scflux::ScfluxRequest request;  // the library's
  std::string output;
  std::string output_h5ad;
  bool quiet = false;
  scflux::ScfeaOptions options;  // the library's: its defaults are the command's
};

const OptionTable<ScfluxCli>& scflux_cli_table() {
  static const OptionTable<ScfluxCli> t = [] {
    OptionTable<ScfluxCli> t;
    t.add("output", &ScfluxCli::output, "Output directory (flux.csv, balance.csv, module_info.csv, modules.gmt, loss.csv, loss.svg)").short_name("o").required();
    t.add("output-h5ad", &ScfluxCli::output_h5ad,
          "With an .h5ad input: a copy of it with the results added, as fluxion's Python scflux adds them (obsm['scflux_flux'], "
          "obsm['scflux_balance'], uns['scflux']: modules, compounds, summary, provenance, and with --groups the group tests)");
    t.add("quiet", &ScfluxCli::quiet, "No progress bar").short_name("q");
    return t;
  }();
  return t;
}

}  // namespace

void add_scflux_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static ScfluxCli o;
  auto* cmd = app.add_subcommand("scflux", learned_description("scflux"));
  bind_options(cmd, scflux::ScfluxRequest::table(), o.request, ctx);
  bind_options(cmd, scflux_cli_table(), o, ctx);
  bind_options(cmd, scflux::ScfeaOptions::table(), o.options, ctx);
  cmd->callback([&ctx, argv] {
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    const scflux::ScfluxRequest& q = o.request;
    if (!o.output_h5ad.empty()) {
      auto ends = [](const std::string& s, const std::string& e) { return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0; };
      if (!ends(q.expression, ".h5ad")) return input_error(ctx, "--output-h5ad", "needs an .h5ad expression input (the results go into a copy of it)");
      if (!ends(o.output_h5ad, ".h5ad")) return input_error(ctx, "--output-h5ad", "'" + o.output_h5ad + "' should end in .h5ad");
    }
    auto inputs = scflux::load_scflux_inputs(q, !o.options.impute);  // only the network's genes are held
    if (!accept(inputs, ctx)) return;
    const auto t1 = std::chrono::steady_clock::now();
    scflux::ScfeaOptions options = o.options;
    ProgressBar bar("training", options.epochs, "epochs", !o.quiet);
    options.progress = [&](const Progress& p) {
      bar.update(p.done);
      return true;
    };
    auto run = scflux::run_scflux(inputs.value(), q, options, false);  // flux.csv and balance.csv are streamed below
    bar.finish();
    if (!accept(run, ctx)) return;
    const auto t2 = std::chrono::steady_clock::now();
    if (!write_outputs(ctx, info, o.output, run.value().files)) return;
    auto matrices = scflux::write_result_matrices(o.output, inputs.value().network.network, inputs.value().cells.cells, run.value().result,
                                                  q.orientation == "modules-by-samples");
    if (!matrices) {
      print_diagnostics(matrices.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    for (const auto& path : matrices.value()) info.add_output(path);
    info.add_input("expression", q.expression);
    if (!q.gene_map.empty()) info.add_input("gene_map", q.gene_map);
    if (!q.groups.empty()) info.add_input("groups", q.groups);
    if (!q.model.empty()) info.add_input("model", q.model);
    else
      for (const auto& s : inputs.value().network.network.sources) info.add_input("network", s);
    for (const auto& [key, value] : run.value().settings) info.set(key, value);
    info.add_timing("load", std::chrono::duration<double>(t1 - t0).count());
    info.add_timing("train", std::chrono::duration<double>(t2 - t1).count());
    if (!o.output_h5ad.empty()) {
      std::string command;
      for (const auto& a : argv) command += (command.empty() ? "" : " ") + a;
      const io::H5adAdditions add = scflux::h5ad_additions(inputs.value(), run.value(), q, command);
      if (auto w = io::write_h5ad_copy(q.expression, o.output_h5ad, add); !w) {
        print_diagnostics(w.diagnostics());
        ctx.exit_code = kExitFailure;
        return;
      }
      info.add_output(o.output_h5ad);
    }
    if (auto w = info.write(o.output); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    std::fputs(run.value().summary.c_str(), stdout);
  });
}

}  // namespace fluxion::cli
