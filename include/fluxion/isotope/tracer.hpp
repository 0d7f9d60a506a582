// Tracers: which atoms of which substrate are heavy, in which tracer experiment.
//
// A label is written as isotope chemists write it: "[1,2-13C2]" (carbons 1 and 2 are
// 13C), "[U-13C6]" (all six carbons), "[5-2H1]" (hydrogen 5 is deuterium). Positions are
// 1-based atom positions in the substrate's atom string for that element (for the
// ML-Flux glucose: C1..C6; hydrogens H1, H2, H3, H4, H5, H6, H6'). A molecule labelled
// with two elements joins its labels with ';': "[1,2-13C2;5-2H1]".
//
// An experiment feeds one or more substrates; each substrate is a mixture of labelled
// species (fraction of the pool, isotopic purity per labelled position) and, for the
// rest of the pool, unlabelled substrate.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"

namespace fluxion::isotope {

// Heavy atoms of one element.
struct ElementLabel {
  Element element = Element::C;
  int mass_number = 13;        // 13 for 13C, 2 for 2H, 15 for 15N, 18 for 18O
  bool uniform = false;        // "U": every atom of the element
  std::vector<int> positions;  // 1-based, ascending, unique; empty when uniform
  int count = 0;               // the subscript as written (0 = not written)
};

// A labelled species: zero labels means unlabelled.
struct Label {
  std::vector<ElementLabel> elements;  // at most one per element

  bool unlabelled() const { return elements.empty(); }
  // Heavy flags (1 = heavy) for the atoms of `element`, given the substrate's atom count;
  // an error when a position exceeds the count or a uniform subscript differs from it.
  Result<std::vector<std::uint8_t>> bits(Element element, int n_atoms) const;
};

// Parses "[1,2-13C2]", "1,2-13C2", "[U-13C6]", "[U-13C]", "[5-2H1]", "[1,2-13C2;5-2H1]",
// "unlabelled" / "unlabeled" / "natural" / "[]". Errors give the 1-based column.
Result<Label> parse_label(std::string_view text);
// Canonical text: "[1,2-13C2]", "[U-13C6]", "[1,2-13C2;5-2H1]", "unlabelled".
std::string format_label(const Label& label);

struct TracerComponent {
  std::string substrate;  // id of an input (boundary) metabolite of the model
  Label label;
  double fraction = 1.0;  // share of the substrate pool, (0, 1]
  double purity = 1.0;    // probability that a labelled position is heavy, (0, 1]
};

struct TracerExperiment {
  std::string id;
  std::vector<TracerComponent> components;  // grouped by substrate, in input order
};

// Checks experiments against a model: substrates exist, are boundary metabolites that
// carry atoms of each labelled element, positions fit, fractions of one substrate sum to
// at most 1, purities in (0, 1]. `lines[i]` (optional) is the input line of component i
// of all experiments in order, to point diagnostics at it.
std::vector<Diagnostic> validate_experiments(const Model& model, const std::vector<TracerExperiment>& experiments,
                                             const std::string& source, const std::vector<int>& lines = {});

// The elements some experiment labels, in C, H, N, O order; carbon when none is.
std::vector<Element> labelled_elements(const std::vector<TracerExperiment>& experiments);

}  // namespace fluxion::isotope
