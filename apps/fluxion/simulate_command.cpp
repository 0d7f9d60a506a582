// fluxion simulate: MIDs of the measured metabolites for given fluxes and tracers.
#include <set>
#include <sstream>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "option_binding.hpp"
#include "fluxion/io/text_file.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/flux_table.hpp"
#include "fluxion/io/fragment_formulas.hpp"
#include "fluxion/io/mfapy_data.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/isotope/emu.hpp"
#include "fluxion/isotope/natural_abundance.hpp"
#include "fluxion/isotope/simulation.hpp"
#include "fluxion/isotope/traced_elements.hpp"

namespace fluxion::cli {

namespace {

struct SimulateOptions {
  std::string model;
  std::string fluxes;
  std::string experiments;
  std::string output;
  std::vector<std::string> elements;
  std::vector<std::string> measured;
  std::vector<std::string> natural = {"none"};
  bool sensitivities = false;
  std::string fragment_formulas;
  std::string mfapy_status;
};

const OptionTable<SimulateOptions>& simulate_cli_table() {
  static const OptionTable<SimulateOptions> t = [] {
    OptionTable<SimulateOptions> t;
    t.add("model", &SimulateOptions::model, "Model file or built-in model name").short_name("m").required().kind(OptionKind::model).label("Model").web("Inputs");
    t.add("fluxes", &SimulateOptions::fluxes, "Flux table: reaction, net, exchange (every reaction, or the free net fluxes)")
        .short_name("f")
        .required()
        .file(".tsv,.csv,.txt")
        .label("Fluxes")
        .web("Inputs");
    t.add("output", &SimulateOptions::output, "Output directory").short_name("o").required();
    t.add("experiments", &SimulateOptions::experiments,
          "Tracer table (experiment, substrate, label, fraction, purity); default: the built-in experiments of a built-in model")
        .short_name("e")
        .file(".tsv,.csv,.txt")
        .label("Tracer experiments")
        .web("Inputs");
    t.add("element", &SimulateOptions::elements, "Traced elements to simulate (C, H, N, O); default: those the experiments label").no_default();
    // split by the callback at commas outside [...]
    t.add("measured", &SimulateOptions::measured, "Metabolites to report (comma-separated; Ala[2,3] is one); default: the model's measured metabolites")
        .no_default()
        .no_split();
    t.add("natural-abundance", &SimulateOptions::natural, "Natural abundance of the traced element at unlabelled substrate atoms: none, all, or substrate ids")
        .label("Natural abundance")
        .web("Advanced");
    t.add("sensitivities", &SimulateOptions::sensitivities, "Also write jacobian.tsv: d(MID)/d(free flux) for every free net and exchange flux");
    t.add("mfapy-status", &SimulateOptions::mfapy_status,
          "mfapy status sheet: its pseudo reactions (G-value dilution) are balanced as in fit --mfapy-status; other rows are not used")
        .file();
    t.add("fragment-formulas", &SimulateOptions::fragment_formulas,
          "TSV fragment<TAB>ion formula (derivative included): MIDs then include the natural isotopes of every atom but the traced ones")
        .file();
    return t;
  }();
  return t;
}


}  // namespace

void add_simulate_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static SimulateOptions o;
  auto* cmd = app.add_subcommand("simulate", "Simulate the MIDs of the measured metabolites for given fluxes and tracer experiments");
  bind_options(cmd, simulate_cli_table(), o, ctx);
  cmd->callback([&ctx, argv] {
    o.measured = split_outside_brackets(o.measured);
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    auto fail = [&ctx](const std::vector<Diagnostic>& d) {
      print_diagnostics(d);
      ctx.exit_code = kExitInput;
    };
    auto model = io::load_model(o.model);
    print_diagnostics(model.diagnostics());
    if (!model) return fail({});
    if (!o.mfapy_status.empty()) {  // its pseudo reactions draw nothing from their substrates' pools, as in fit
      auto model_text = io::read_text_file(o.model);
      if (!model_text || io::format_from_path(o.model, model_text.value()) != io::ModelFormat::mfapy)
        return fail({Diagnostic{Severity::error, o.model, 0, 0, {}, "--mfapy-status needs the model as an mfapy model file (.txt)"}});
      auto status = io::read_text_file(o.mfapy_status);
      if (!status) return fail(status.diagnostics());
      auto rows = io::read_mfapy_status(status.value(), o.mfapy_status);
      if (!rows) return fail(rows.diagnostics());
      print_diagnostics(rows.diagnostics());
      if (auto pseudo = io::apply_mfapy_pseudo(rows.value(), o.mfapy_status, model.value()); !pseudo) return fail(pseudo.diagnostics());
    }
    auto space = FluxSpace::build(model.value());
    if (!space) return fail(space.diagnostics());
    const std::string tracer_source = o.experiments.empty() ? o.model : o.experiments;
    if (o.experiments.empty()) {
      if (!io::has_builtin_tracer_table(o.model))
        return fail({Diagnostic{Severity::error, o.model, 0, 0, {}, "no built-in tracer experiments for this model; give --experiments"}});
    }
    auto table = io::load_tracer_table(tracer_source);
    if (!table) return fail(table.diagnostics());
    const auto problems = isotope::validate_experiments(model.value(), table.value().experiments, tracer_source, table.value().lines);
    print_diagnostics(problems);
    for (const auto& p : problems)
      if (p.severity == Severity::error) return fail({});
    auto fluxes = io::load_flux_table(o.fluxes, model.value(), space.value());
    if (!fluxes) return fail(fluxes.diagnostics());
    print_diagnostics(fluxes.diagnostics());
    auto labelling = isotope::natural_abundance_labelling(model.value(), o.natural);
    if (!labelling) return fail(labelling.diagnostics());
    // elements: as asked, or those the experiments label
    auto elements = isotope::traced_element_list(o.elements, table.value().experiments);
    if (!elements) return fail(elements.diagnostics());
    std::map<std::string, io::FragmentFormula> fragment_formulas;
    isotope::SimulationRequest request;
    request.elements = elements.value();
    request.measured = o.measured;
    request.sensitivities = o.sensitivities;
    if (!o.fragment_formulas.empty()) {
      auto ff = io::load_fragment_formulas(o.fragment_formulas);
      if (!ff) return fail(ff.diagnostics());
      fragment_formulas = ff.value();
      for (const auto& [fragment, f] : fragment_formulas) request.fragment_formulas[fragment] = f.formula;
      request.formulas_source = o.fragment_formulas;
    }
    auto made = io::make_output_directory(o.output);
    if (!made) return fail(made.diagnostics());
    const auto t1 = std::chrono::steady_clock::now();
    auto simulated = isotope::simulate_mids(model.value(), space.value(), fluxes.value(), table.value().experiments, labelling.value(), request);
    if (!simulated) return fail(simulated.diagnostics());
    const isotope::SimulatedMids& sim = simulated.value();
    if (!sim.failed.empty()) {
      std::cerr << o.fluxes << ": error: " << sim.failed << "\n";
      ctx.exit_code = kExitFailure;
      return;
    }
    for (const auto& line : sim.log) spdlog::info("{}", line);
    {  // a formula for a fragment that is not simulated would silently correct nothing
      std::string simulated_list;
      for (const auto& id : sim.fragments) simulated_list += (simulated_list.empty() ? "" : ", ") + id;
      Diagnostics unused(o.fragment_formulas);
      for (const auto& [fragment, ff] : fragment_formulas)
        if (!sim.formulas_used.count(fragment))
          unused.error("'" + fragment + "' is not a measured fragment of the simulation (" + simulated_list + ")", ff.line, 1);
      if (unused.has_errors()) return fail(unused.items());
    }
    std::vector<std::pair<std::string, std::string>> files{{"mids.tsv", sim.mids_tsv()}, {"mids.json", sim.mids_json(model.value().id)}};
    if (o.sensitivities) files.emplace_back("jacobian.tsv", sim.jacobian_tsv());
    if (!write_outputs(ctx, info, o.output, files)) return;
    info.add_input("model", o.model);
    info.add_input("fluxes", o.fluxes);
    info.add_input("experiments", tracer_source);
    if (!o.mfapy_status.empty()) info.add_input("mfapy_status", o.mfapy_status);
    info.set("natural_abundance_at_unlabelled_substrate_atoms", isotope::natural_abundance_text(o.natural));
    info.set("measured_data_convention", o.fragment_formulas.empty()
                                             ? "MIDs of the traced element only: no natural isotopes of other atoms"
                                             : "fragments in --fragment-formulas include the natural isotopes of their other atoms");
    if (!o.fragment_formulas.empty()) info.add_input("fragment_formulas", o.fragment_formulas);
    info.add_timing("load", std::chrono::duration<double>(t1 - t0).count());
    info.add_timing("simulate", sim.seconds);
    auto written = info.write(o.output);
    if (!written) return fail(written.diagnostics());
    spdlog::info("wrote {}/mids.tsv and {}/mids.json", o.output, o.output);
  });
}

}  // namespace fluxion::cli
