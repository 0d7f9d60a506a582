// The traced elements of an analysis, built once for every engine that simulates MIDs
// (simulate, dataset, fit, predict): which elements, which metabolites each one measures,
// the EMU network of each, and the substrate MIDs of the tracer experiments, with natural
// abundance at the unlabelled substrate atoms where asked.
#pragma once

#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/isotope/emu.hpp"
#include "fluxion/isotope/tracer.hpp"

namespace fluxion::isotope {

// One traced element: its EMU network and the substrate MIDs of every experiment.
struct TracedElement {
  EmuModel model;
  EmuInputs inputs;
};

// What to build for one element: the metabolites or fragments ("Ala[2,3]") it measures, in
// output order (empty: EmuOptions' default).
struct TracedElementSpec {
  Element element = Element::C;
  std::vector<std::string> measured;
};

// The natural-abundance option: "none", "all" (every substrate) or metabolite ids, each
// item on its own or comma-separated. An id that is not a metabolite of the model is an
// error whose source is `option`.
Result<SubstrateLabelling> natural_abundance_labelling(const Model& model, const std::vector<std::string>& items,
                                                       const std::string& option = "--natural-abundance");
// The items as one comma-separated text, as run_info and dataset provenance record them.
std::string natural_abundance_text(const std::vector<std::string>& items);

// Elements by symbol (C, H, N, O); none given: those the experiments label (carbon when
// none is). An unknown symbol is an error whose source is `option`.
Result<std::vector<Element>> traced_element_list(const std::vector<std::string>& symbols, const std::vector<TracerExperiment>& experiments,
                                                 const std::string& option = "--element");

// Compiles each element's EMU network and its substrate MIDs for the experiments.
Result<std::vector<TracedElement>> build_traced_elements(const Model& model, const FluxSpace& space, const std::vector<TracedElementSpec>& specs,
                                                         const std::vector<TracerExperiment>& experiments, const SubstrateLabelling& labelling);

}  // namespace fluxion::isotope
