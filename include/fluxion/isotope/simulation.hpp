// MIDs of measured metabolites for given fluxes, tracers and traced elements, in one call:
// what `fluxion simulate` computes and writes (mids.tsv, mids.json, jacobian.tsv).
//
//   auto sim = isotope::simulate_mids(model, space, fluxes, experiments, labelling, {});
//   for (const auto& m : sim.value().mids) ...  // experiment, element, metabolite, fractions
#pragma once

#include <Eigen/Dense>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/isotope/natural_abundance.hpp"
#include "fluxion/isotope/traced_elements.hpp"
#include "fluxion/isotope/tracer.hpp"

namespace fluxion::isotope {

struct SimulationRequest {
  std::vector<Element> elements{Element::C};  // traced_element_list() gives those the experiments label
  std::vector<std::string> measured;          // fragments to report; empty: the model's measured metabolites
  bool sensitivities = false;                 // ∂MID/∂(free net, exchange fluxes; with times also pool sizes)
  // Ion formulas of fragments (their traced atoms included): the MIDs of these fragments then
  // include the natural isotopes of every other atom.
  std::map<std::string, Formula> fragment_formulas;
  std::string formulas_source = "fragment formulas";  // names them in errors (a file)
  // Isotopically non-stationary labelling (EmuSimulator::simulate_instationary): MIDs at
  // these times after the switch to the tracers (empty: the steady state), with the pool
  // size of every model metabolite (Model::metabolites order) and this tolerance. The
  // start is unlabelled, at natural abundance when SubstrateLabelling asks for it.
  std::vector<double> times;
  std::vector<double> pools;
  double tolerance = 1e-5;
};

struct SimulatedMid {
  std::string experiment;
  Element element = Element::C;
  std::string metabolite;
  std::vector<double> fractions;
  double time = -1;  // after the switch to the tracers; < 0: the steady state
};

struct SimulatedMids {
  std::vector<SimulatedMid> mids;         // per element, experiment and fragment
  Eigen::MatrixXd jacobian;               // one row per fraction of `mids`, in order; empty without sensitivities
  std::vector<std::string> parameters;    // the Jacobian's columns: net:<free net flux>, xch:<exchange flux>, then (time courses) pool:<metabolite>
  std::vector<std::string> fragments;     // the fragments simulated, over all elements
  std::set<std::string> formulas_used;    // the fragment formulas applied
  std::vector<std::string> log;           // per element: EMUs, levels, experiments
  double seconds = 0;                     // the simulations' wall time
  // A simulation that failed (a singular EMU system: fluxes the network cannot carry): the
  // solver's message; the MIDs are then those of the elements before it.
  std::string failed;

  std::string mids_tsv() const;           // experiment, element, metabolite, [time,] isotopologue, fraction
  std::string jacobian_tsv() const;       // the same keys, then one column per parameter
  std::string mids_json(const std::string& model_id) const;
};

// Errors (bad input): a measured fragment the model does not have, a fragment formula with
// fewer traced atoms than its fragment, invalid times or pool sizes. A simulation that fails is an outcome: `failed`.
Result<SimulatedMids> simulate_mids(const Model& model, const FluxSpace& space, const FluxVector& fluxes, const std::vector<TracerExperiment>& experiments,
                                    const SubstrateLabelling& labelling, const SimulationRequest& request);

}  // namespace fluxion::isotope
