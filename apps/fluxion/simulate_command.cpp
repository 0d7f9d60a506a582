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


std::string format_fraction(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", std::fabs(v) < 1e-15 ? 0.0 : v);
  return buf;
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
    std::set<std::string> formulas_used;
    std::string simulated;  // the fragments simulated, for messages
    if (!o.fragment_formulas.empty()) {
      auto ff = io::load_fragment_formulas(o.fragment_formulas);
      if (!ff) return fail(ff.diagnostics());
      fragment_formulas = ff.value();
    }
    auto made = io::make_output_directory(o.output);
    if (!made) return fail(made.diagnostics());
    const auto t1 = std::chrono::steady_clock::now();

    std::string tsv = "experiment\telement\tmetabolite\tisotopologue\tfraction\n";
    std::string jac_tsv = "experiment\telement\tmetabolite\tisotopologue";
    for (const auto& id : space.value().free_net_ids()) jac_tsv += "\tnet:" + id;
    for (const auto& id : space.value().exchange_ids()) jac_tsv += "\txch:" + id;
    jac_tsv += '\n';
    nlohmann::json mids = nlohmann::json::array();
    double simulate_seconds = 0;
    for (Element el : elements.value()) {
      auto built = isotope::build_traced_elements(model.value(), space.value(), {{el, o.measured}}, table.value().experiments, labelling.value());
      if (!built) return fail(built.diagnostics());
      const isotope::TracedElement& traced = built.value().front();
      const isotope::EmuModel& emu_model = traced.model;
      isotope::EmuSimulator sim(emu_model);
      isotope::MidSet out;
      Eigen::MatrixXd jacobian;
      const auto s0 = std::chrono::steady_clock::now();
      if (sim.simulate(fluxes.value(), traced.inputs, out, o.sensitivities ? &jacobian : nullptr) != isotope::SimulationStatus::ok) {
        std::cerr << o.fluxes << ": error: " << sim.message() << "\n";
        ctx.exit_code = kExitFailure;
        return;
      }
      simulate_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
      const auto ids = emu_model.measured_ids();
      const std::string sym(element_symbol(el));
      for (const auto& id : ids) simulated += (simulated.empty() ? "" : ", ") + id;
      if (!fragment_formulas.empty()) {
        isotope::MidSetFormulas formulas;
        for (std::size_t k = 0; k < ids.size(); ++k) {
          isotope::Formula other;
          if (auto it = fragment_formulas.find(ids[k]); it != fragment_formulas.end()) {
            other = it->second.formula;
            formulas_used.insert(ids[k]);
            const int traced = static_cast<int>(out.mid(0, k).size()) - 1;
            if (other[sym] < traced)
              return fail({Diagnostic{Severity::error, o.fragment_formulas, 0, 0, {},
                                      "formula of '" + ids[k] + "' has fewer " + sym + " atoms than the " + std::to_string(traced) + " traced"}});
            other[sym] -= traced;
          }
          formulas.other_atoms.push_back(std::move(other));
        }
        if (auto r = isotope::add_natural_isotopes(out, o.sensitivities ? &jacobian : nullptr, formulas); !r) return fail(r.diagnostics());
      }
      for (int x = 0; x < out.n_experiments; ++x)
        for (std::size_t k = 0; k < ids.size(); ++k) {
          const auto mid = out.mid(x, k);
          nlohmann::json values = nlohmann::json::array();
          for (std::size_t i = 0; i < mid.size(); ++i) {
            const std::string key = table.value().experiments[static_cast<std::size_t>(x)].id + '\t' + sym + '\t' + ids[k] +
                                    '\t' + std::to_string(i);
            tsv += key + '\t' + format_fraction(mid[i]) + '\n';
            values.push_back(mid[i]);
            if (!o.sensitivities) continue;
            jac_tsv += key;
            const auto row = static_cast<Eigen::Index>(static_cast<std::size_t>(x) * out.block + out.offsets[k] + i);
            for (Eigen::Index p = 0; p < jacobian.cols(); ++p) jac_tsv += '\t' + format_fraction(jacobian(row, p));
            jac_tsv += '\n';
          }
          mids.push_back({{"experiment", table.value().experiments[static_cast<std::size_t>(x)].id},
                          {"element", sym},
                          {"metabolite", ids[k]},
                          {"mid", values}});
        }
      spdlog::info("{}: {} EMUs in {} levels, {} experiments", sym, emu_model.n_emus(), emu_model.max_size(), out.n_experiments);
    }
    {  // a formula for a fragment that is not simulated would silently correct nothing
      Diagnostics unused(o.fragment_formulas);
      for (const auto& [fragment, ff] : fragment_formulas)
        if (!formulas_used.count(fragment))
          unused.error("'" + fragment + "' is not a measured fragment of the simulation (" + simulated + ")", ff.line, 1);
      if (unused.has_errors()) return fail(unused.items());
    }
    const std::string tsv_path = o.output + "/mids.tsv", json_path = o.output + "/mids.json";
    for (const auto& [path, text] : {std::pair{tsv_path, tsv},
                                     std::pair{json_path, nlohmann::json{{"model", model.value().id}, {"mids", mids}}.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"}})
      if (auto w = io::write_output_file(path, text); !w) {
        print_diagnostics(w.diagnostics());
        ctx.exit_code = kExitFailure;
        return;
      }
    info.add_input("model", o.model);
    info.add_input("fluxes", o.fluxes);
    info.add_input("experiments", tracer_source);
    if (!o.mfapy_status.empty()) info.add_input("mfapy_status", o.mfapy_status);
    info.set("natural_abundance_at_unlabelled_substrate_atoms", isotope::natural_abundance_text(o.natural));
    info.set("measured_data_convention", o.fragment_formulas.empty()
                                             ? "MIDs of the traced element only: no natural isotopes of other atoms"
                                             : "fragments in --fragment-formulas include the natural isotopes of their other atoms");
    if (!o.fragment_formulas.empty()) info.add_input("fragment_formulas", o.fragment_formulas);
    info.add_output(tsv_path);
    info.add_output(json_path);
    if (o.sensitivities) {
      const std::string jac_path = o.output + "/jacobian.tsv";
      if (auto w = io::write_output_file(jac_path, jac_tsv); !w) {
        print_diagnostics(w.diagnostics());
        ctx.exit_code = kExitFailure;
        return;
      }
      info.add_output(jac_path);
    }
    info.add_timing("load", std::chrono::duration<double>(t1 - t0).count());
    info.add_timing("simulate", simulate_seconds);
    auto written = info.write(o.output);
    if (!written) return fail(written.diagnostics());
    spdlog::info("wrote {} and {}", tsv_path, json_path);
  });
}

}  // namespace fluxion::cli
