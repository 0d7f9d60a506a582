// What `fluxion simulate` reads, read and checked in one call: the model (with an mfapy
// status sheet's pseudo reactions), the fluxes, the tracer experiments, the traced elements
// and the fragment formulas; isotope::simulate_mids then runs on them.
//
//   io::SimulationInputFiles f;
//   f.model = "glycolysis";
//   f.fluxes = "examples/glycolysis/true_fluxes.tsv";
//   auto in = io::load_simulation_inputs(f);
//   auto mids = isotope::simulate_mids(in.value().model, *in.value().space, in.value().fluxes,
//                                      in.value().experiments, in.value().labelling, in.value().request);
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/io/fragment_formulas.hpp"
#include "fluxion/isotope/simulation.hpp"
#include "fluxion/isotope/traced_elements.hpp"

namespace fluxion::io {

struct SimulationInputFiles {
  std::string model;        // built-in name or file
  std::string fluxes;       // reaction, net, exchange
  std::string experiments;  // tracer table; "": the built-in experiments of a built-in model
  std::vector<std::string> elements;         // traced elements; empty: those the experiments label
  std::vector<std::string> measured;         // fragments, one per item (split_outside_brackets); empty: the model's measured
  std::vector<std::string> natural{"none"};  // natural abundance at unlabelled substrate atoms
  bool sensitivities = false;
  std::string fragment_formulas;  // fragment<TAB>ion formula
  std::string mfapy_status;       // an mfapy status sheet, for its pseudo reactions (the model as an mfapy file)
  // non-stationary labelling: output times (numbers, comma-separated), pool sizes
  // (metabolite<TAB>size, io/pool_table.hpp), the size of metabolites the table leaves out
  // (0: none, an error), and the tolerance of the MIDs
  std::vector<std::string> times;
  std::string pools;
  double default_pool = 0;
  double tolerance = 1e-5;
  static const OptionTable<SimulationInputFiles>& table();
};

struct SimulationInputs {
  Model model;
  std::optional<FluxSpace> space;
  std::string tracer_source;  // the tracer table's file, or the model's name
  std::vector<isotope::TracerExperiment> experiments;
  FluxVector fluxes;
  isotope::SubstrateLabelling labelling;
  isotope::SimulationRequest request;
  std::map<std::string, FragmentFormula> formulas;
  std::string formulas_source;

  // A formula for a fragment the simulation did not produce would silently correct nothing:
  // an error per such formula, at its line.
  std::vector<Diagnostic> unused_formulas(const isotope::SimulatedMids& simulated) const;
  // run_info.json's settings: the natural abundance, and the convention of the MIDs
  std::vector<std::pair<std::string, std::string>> settings(const SimulationInputFiles& files) const;
};

// Errors name the file, line and column, or the option; the warnings of every file read
// come with the result.
Result<SimulationInputs> load_simulation_inputs(const SimulationInputFiles& files);

// A comma-separated list whose items may hold commas inside brackets: fragment specs such as
// "Ala[2,3],Glu" are two items, not three. Each argument of a repeatable option is split.
std::vector<std::string> split_outside_brackets(const std::vector<std::string>& args);

}  // namespace fluxion::io
