// fluxion simulate: MIDs of the measured metabolites for given fluxes and tracers.
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>

#include "commands.hpp"
#include "option_binding.hpp"
#include "fluxion/io/flux_table.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/io/simulation_inputs.hpp"
#include "fluxion/isotope/simulation.hpp"

namespace fluxion::cli {

namespace {

struct SimulateCli {
  io::SimulationInputFiles files;  // the library's
  std::string output;
};

const OptionTable<SimulateCli>& simulate_cli_table() {
  static const OptionTable<SimulateCli> t = [] {
    OptionTable<SimulateCli> t;
    t.add("output", &SimulateCli::output, "Output directory (mids.tsv, mids.json, fluxes.tsv: the fluxes simulated, map.json, run_info.json)").short_name("o").required();
    return t;
  }();
  return t;
}

}  // namespace

void add_simulate_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static SimulateCli o;
  auto* cmd = app.add_subcommand("simulate", "Simulate the MIDs of the measured metabolites for given fluxes and tracer experiments");
  bind_options(cmd, io::SimulationInputFiles::table(), o.files, ctx);
  bind_options(cmd, simulate_cli_table(), o, ctx);
  cmd->callback([&ctx, argv] {
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    const io::SimulationInputFiles& f = o.files;
    auto loaded = io::load_simulation_inputs(f);
    if (!accept(loaded, ctx)) return;
    const io::SimulationInputs& in = loaded.value();
    if (auto made = io::make_output_directory(o.output); !accept(made, ctx)) return;
    const auto t1 = std::chrono::steady_clock::now();
    auto simulated = isotope::simulate_mids(in.model, *in.space, in.fluxes, in.experiments, in.labelling, in.request);
    if (!accept(simulated, ctx)) return;
    const isotope::SimulatedMids& sim = simulated.value();
    if (!sim.failed.empty()) {
      std::cerr << f.fluxes << ": error: " << sim.failed << "\n";
      ctx.exit_code = kExitFailure;
      return;
    }
    for (const auto& line : sim.log) spdlog::info("{}", line);
    if (auto unused = in.unused_formulas(sim); !unused.empty()) {
      print_diagnostics(unused);
      ctx.exit_code = kExitInput;
      return;
    }
    // fluxes.tsv: the fluxes simulated, every reaction (the input may give only the free ones)
    std::vector<std::pair<std::string, std::string>> files{
        {"mids.tsv", sim.mids_tsv()}, {"mids.json", sim.mids_json(in.model.id)}, {"fluxes.tsv", io::write_flux_table(*in.space, in.fluxes)}};
    if (f.sensitivities) files.emplace_back("jacobian.tsv", sim.jacobian_tsv());
    if (!write_outputs(ctx, info, o.output, with_map(std::move(files), in.model))) return;
    info.add_input("model", f.model);
    info.add_input("fluxes", f.fluxes);
    info.add_input("experiments", in.tracer_source);
    if (!f.mfapy_status.empty()) info.add_input("mfapy_status", f.mfapy_status);
    for (const auto& [key, value] : in.settings(f)) info.set(key, value);
    if (!f.fragment_formulas.empty()) info.add_input("fragment_formulas", f.fragment_formulas);
    info.add_timing("load", std::chrono::duration<double>(t1 - t0).count());
    info.add_timing("simulate", sim.seconds);
    if (auto written = info.write(o.output); !accept(written, ctx)) return;
    spdlog::info("wrote {}/mids.tsv, mids.json and fluxes.tsv", o.output);
  });
}

}  // namespace fluxion::cli
