// The inputs of a simulation (io/simulation_inputs.hpp).
#include "fluxion/io/simulation_inputs.hpp"

#include <cmath>

#include "fluxion/core/diagnostic_log.hpp"
#include "fluxion/core/format.hpp"
#include "fluxion/io/flux_table.hpp"
#include "fluxion/io/ftbl.hpp"
#include "fluxion/io/mfapy_data.hpp"
#include "fluxion/io/pool_table.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/text_file.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/isotope/tracer.hpp"
#include "text.hpp"

namespace fluxion::io {

const OptionTable<SimulationInputFiles>& SimulationInputFiles::table() {
  using F = SimulationInputFiles;
  static const OptionTable<F> t = [] {
    OptionTable<F> t;
    t.add("model", &F::model, "Model file or built-in model name").short_name("m").required().kind(OptionKind::model).label("Model").web("Inputs");
    t.add("fluxes", &F::fluxes, "Flux table: reaction, net, exchange (every reaction, or the free net fluxes)")
        .short_name("f")
        .required()
        .file(".tsv,.csv,.txt")
        .label("Fluxes")
        .web("Inputs");
    t.add("experiments", &F::experiments, "Tracer table (experiment, substrate, label, fraction, purity); default: the built-in experiments of a built-in model, or an FTBL file's LABEL_INPUT")
        .short_name("e")
        .file(".tsv,.csv,.txt")
        .label("Tracer experiments")
        .web("Inputs");
    t.add("element", &F::elements, "Traced elements to simulate (C, H, N, O); default: those the experiments label").no_default();
    // split at commas outside [...] (split_outside_brackets)
    t.add("measured", &F::measured, "Metabolites to report (comma-separated; Ala[2,3] is one); default: the model's measured metabolites")
        .no_default()
        .no_split();
    t.add("natural-abundance", &F::natural, "Natural abundance of the traced element at unlabelled substrate atoms: none, all, or substrate ids")
        .label("Natural abundance")
        .web("Advanced");
    t.add("sensitivities", &F::sensitivities, "Also write jacobian.tsv: d(MID)/d(free flux) for every free net and exchange flux");
    t.add("mfapy-status", &F::mfapy_status,
          "mfapy status sheet: its pseudo reactions (G-value dilution) are balanced as in fit --mfapy-status; other rows are not used")
        .file();
    t.add("fragment-formulas", &F::fragment_formulas,
          "TSV fragment<TAB>ion formula (derivative included): MIDs then include the natural isotopes of every atom but the traced ones")
        .file();
    t.add("times", &F::times,
          "Non-stationary labelling: MIDs at these times after the switch to the tracers (comma-separated, ascending; the unit of the pool sizes "
          "over the fluxes), from the unlabelled state; needs --pools or --default-pool")
        .no_default()
        .label("Times (non-stationary labelling)")
        .web("Time course");
    t.add("pools", &F::pools, "With --times: pool sizes, metabolite<TAB>size (amounts in flux units × time)")
        .file(".tsv,.txt")
        .label("Pool sizes")
        .web("Time course");
    t.add("default-pool", &F::default_pool, "With --times: the pool size of every balanced metabolite that --pools leaves out (0: none, an error)")
        .range(0, 1e15)
        .label("Pool size of the others")
        .web("Time course");
    t.add("tolerance", &F::tolerance, "With --times: absolute tolerance of every simulated MID fraction").range(1e-14, 1e-1);
    return t;
  }();
  return t;
}

namespace {

Diagnostic error(const std::string& where, const std::string& what) { return Diagnostic{Severity::error, where, 0, 0, {}, what}; }

}  // namespace

Result<SimulationInputs> load_simulation_inputs(const SimulationInputFiles& f) {
  DiagnosticLog log;
  SimulationInputs in;
  auto model = load_model(f.model);
  if (!log.take(model)) return log.failure<SimulationInputs>();
  in.model = std::move(model.value());
  if (!f.mfapy_status.empty()) {  // its pseudo reactions draw nothing from their substrates' pools, as in fit
    auto model_text = read_text_file(f.model);
    if (!model_text || format_from_path(f.model, model_text.value()) != ModelFormat::mfapy)
      return log.failure<SimulationInputs>({error(f.model, "--mfapy-status needs the model as an mfapy model file (.txt)")});
    auto status = read_text_file(f.mfapy_status);
    if (!log.take(status)) return log.failure<SimulationInputs>();
    auto rows = read_mfapy_status(status.value(), f.mfapy_status);
    if (!log.take(rows)) return log.failure<SimulationInputs>();
    if (auto pseudo = apply_mfapy_pseudo(rows.value(), f.mfapy_status, in.model); !log.take(pseudo)) return log.failure<SimulationInputs>();
  }
  auto space = FluxSpace::build(in.model);
  if (!log.take(space)) return log.failure<SimulationInputs>();
  in.space = std::move(space.value());
  in.tracer_source = f.experiments.empty() ? f.model : f.experiments;
  std::vector<int> tracer_lines;
  if (f.experiments.empty() && format_from_path(f.model) == ModelFormat::ftbl) {  // an FTBL file's own LABEL_INPUT
    auto text = read_text_file(f.model);
    if (!log.take(text)) return log.failure<SimulationInputs>();
    auto ftbl = read_ftbl(text.value(), f.model, ftbl_experiment_id(f.model));
    if (!ftbl) return log.failure<SimulationInputs>(ftbl.diagnostics());  // its warnings came with the model
    in.experiments = {ftbl.value().experiment};
    tracer_lines = ftbl.value().tracer_lines;
  } else {
    if (f.experiments.empty() && !has_builtin_tracer_table(f.model))
      return log.failure<SimulationInputs>({error(f.model, "no built-in tracer experiments for this model; give --experiments")});
    auto table = load_tracer_table(in.tracer_source);
    if (!log.take(table)) return log.failure<SimulationInputs>();
    in.experiments = table.value().experiments;
    tracer_lines = table.value().lines;
  }
  auto problems = isotope::validate_experiments(in.model, in.experiments, in.tracer_source, tracer_lines);
  for (const auto& p : problems)
    if (p.severity == Severity::error) return log.failure<SimulationInputs>(problems);
  log.add(problems);
  auto fluxes = load_flux_table(f.fluxes, in.model, *in.space);
  if (!log.take(fluxes)) return log.failure<SimulationInputs>();
  in.fluxes = std::move(fluxes.value());
  auto labelling = isotope::natural_abundance_labelling(in.model, f.natural);
  if (!log.take(labelling)) return log.failure<SimulationInputs>();
  in.labelling = labelling.value();
  auto elements = isotope::traced_element_list(f.elements, in.experiments);  // as asked, or those the experiments label
  if (!log.take(elements)) return log.failure<SimulationInputs>();
  in.request.elements = elements.value();
  in.request.measured = split_outside_brackets(f.measured);
  in.request.sensitivities = f.sensitivities;
  if (!f.fragment_formulas.empty()) {
    auto ff = load_fragment_formulas(f.fragment_formulas);
    if (!log.take(ff)) return log.failure<SimulationInputs>();
    in.formulas = ff.value();
    for (const auto& [fragment, formula] : in.formulas) in.request.fragment_formulas[fragment] = formula.formula;
    in.request.formulas_source = f.fragment_formulas;
    in.formulas_source = f.fragment_formulas;
  }
  if (f.times.empty()) {
    if (!f.pools.empty() || f.default_pool > 0)
      return log.failure<SimulationInputs>({error("--pools", "pool sizes are for non-stationary labelling: give --times as well")});
  } else {
    for (const auto& item : f.times) {
      const auto t = detail::parse_number(item);
      if (!t || !std::isfinite(*t) || *t < 0) return log.failure<SimulationInputs>({error("--times", "'" + item.substr(0, 40) + "' is not a time >= 0")});
      if (!in.request.times.empty() && *t < in.request.times.back())
        return log.failure<SimulationInputs>({error("--times", "times must be ascending (" + item + " after " + format_number(in.request.times.back()) + ")")});
      in.request.times.push_back(*t);
    }
    if (f.pools.empty() && !(f.default_pool > 0))
      return log.failure<SimulationInputs>({error("--times", "non-stationary labelling needs pool sizes: give --pools or --default-pool")});
    std::map<std::string, PoolSize> table;
    if (!f.pools.empty()) {
      auto read = load_pool_table(f.pools);
      if (!log.take(read)) return log.failure<SimulationInputs>();
      table = read.value();
    }
    auto pools = pool_sizes(in.model, table, f.default_pool, f.pools.empty() ? "--default-pool" : f.pools);
    if (!log.take(pools)) return log.failure<SimulationInputs>();
    in.request.pools = pools.value();
    in.request.tolerance = f.tolerance;
  }
  return log.success<SimulationInputs>(std::move(in));
}

std::vector<Diagnostic> SimulationInputs::unused_formulas(const isotope::SimulatedMids& sim) const {
  std::string simulated;
  for (const auto& id : sim.fragments) {
    if (!simulated.empty()) simulated += ", ";
    simulated += id;
  }
  Diagnostics unused(formulas_source);
  for (const auto& [fragment, ff] : formulas)
    if (!sim.formulas_used.count(fragment)) unused.error("'" + fragment + "' is not a measured fragment of the simulation (" + simulated + ")", ff.line, 1);
  return unused.items();
}

std::vector<std::pair<std::string, std::string>> SimulationInputs::settings(const SimulationInputFiles& files) const {
  return {{"natural_abundance_at_unlabelled_substrate_atoms", isotope::natural_abundance_text(files.natural)},
          {"measured_data_convention", files.fragment_formulas.empty()
                                           ? "MIDs of the traced element only: no natural isotopes of other atoms"
                                           : "fragments in --fragment-formulas include the natural isotopes of their other atoms"}};
}

std::vector<std::string> split_outside_brackets(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const auto& a : args) {
    std::string item;
    int depth = 0;
    for (char c : a) {
      if (c == '[') ++depth;
      if (c == ']' && depth > 0) --depth;
      if (c == ',' && depth == 0) {
        if (!item.empty()) out.push_back(item);
        item.clear();
      } else {
        item += c;
      }
    }
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace fluxion::io
