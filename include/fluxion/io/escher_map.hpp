// Escher flux maps drawn by fluxion (escher.github.io; map schema 1-0-0, the JSON that
// escher@1.8.2 and the BiGG maps use), so that every model's results can be seen on a
// network diagram and not only in tables.
//
// A map places each primary metabolite once and draws each reaction as a midmarker with
// segments to its metabolites; secondary metabolites (cofactors, CO2, protons) are drawn
// small beside every reaction they take part in, as in the BiGG maps, instead of once with
// lines to half the network. Positions come from a layout: by hand for the built-in isotope
// models (models/maps/<model>.tsv, compiled in), else automatic (stress majorisation on the
// metabolite–reaction graph from a top-down start: a pathway runs downwards, each metabolite
// about `spacing` from its neighbours). A layout may place some metabolites; the others are
// placed around them. Reactions whose every metabolite is secondary or occurs nowhere else
// (proton and cofactor exchanges) are drawn in a row under the network.
//
// Reaction and metabolite ids are the map's bigg_id, so Escher colours a reaction by the
// value of fluxes.tsv's row of that id.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"

namespace fluxion::io {

// Where a map draws metabolites (map units: y grows downwards; BiGG maps space neighbouring
// metabolites 200–300 apart).
struct MapLayout {
  std::string name;                                                  // the map's name; empty: "<model id> (fluxion)"
  std::vector<std::pair<std::string, std::array<double, 2>>> positions;  // metabolite id → (x, y)
  std::vector<std::string> secondary;  // metabolites drawn beside each reaction; empty: cofactors by name (h, h2o, co2, atp, nadh, …)
  std::vector<int> lines;              // the line of each position in its file (0: not from a file)
};

// A layout file: '#' comments, `#! name: …` and `#! secondary: id id …` directives, and a
// table with the header `metabolite<TAB>x<TAB>y`. Errors at file:line:column: a missing
// column, a coordinate that is not a finite number, a metabolite given twice.
Result<MapLayout> read_map_layout(std::string_view text, const std::string& source);
Result<MapLayout> load_map_layout(const std::string& path);
// The layout drawn by hand for a built-in model (models/maps/<id>.tsv), if it has one.
std::optional<MapLayout> builtin_map_layout(std::string_view model_id);

struct EscherMapOptions {
  double spacing = 250;              // distance between neighbouring metabolites of the automatic layout, map units (> 0)
  std::size_t max_reactions = 1000;  // larger models get no map (a genome-scale model wants a map drawn by a person: BiGG's)
  std::optional<MapLayout> layout;   // positions chosen by hand; metabolites it lacks are placed automatically
  // A layout whose metabolites the model mostly lacks (under half of them) is not the
  // model's: it is then ignored, with a warning.
};

// The map as Escher's JSON. Errors: the model has no reactions or more than max_reactions;
// a layout that names metabolites the model lacks only warns (the layout may be for a
// larger variant of the model).
Result<std::string> escher_map_json(const Model& model, const EscherMapOptions& options = {});

// The map for a command's output directory (map.json): the built-in layout for a built-in
// model's id, else an automatic one; nullopt (and nothing said) when the model has more than
// kOutputMapReactions reactions (its layout would take longer than the analysis: 13 s at
// 1,266 reactions, under a second at 500) or none.
inline constexpr std::size_t kOutputMapReactions = 500;
std::optional<std::string> output_map_json(const Model& model);

}  // namespace fluxion::io
