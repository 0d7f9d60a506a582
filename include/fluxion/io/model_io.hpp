// Model formats: reading and writing metabolic models.
//
//   format          extension(s)              read  write
//   reaction TSV    .tsv                      yes   yes    fluxion's own, readable table
//   FluxML          .fml, .fluxml, .xml(*)    yes   yes    13CFLUX2 / ML-Flux isotope models
//   SBML L3 FBC v2  .xml, .sbml (+ .gz)       yes   yes    constraint-based models (libsbml)
//   COBRA JSON      .json (+ .gz)             yes   yes    cobrapy / BiGG
//   mfapy text      .txt                      yes   no     mfapy model files
//   FreeFlux        .csv, .tsv(**)            yes   no     FreeFlux reaction tables (io/freeflux.hpp)
//   FTBL            .ftbl                     yes   no     13CFLUX / influx_si networks (io/ftbl.hpp)
//   (*) an .xml file is FluxML when its root element is <fluxml>, otherwise SBML.
//   (**) a .tsv file is FreeFlux's when its first line starts with "#reaction_ID".
//
// Every reader returns a Result: the model with warnings, or every error found, each
// naming the file, the line (or XML element) and what is wrong. Readers validate the
// model they build (Model::validate) before returning it.
#pragma once

#include <string>
#include <string_view>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"

namespace fluxion::io {

enum class ModelFormat { reaction_tsv, fluxml, sbml, cobra_json, mfapy, freeflux, ftbl };

std::string_view to_string(ModelFormat f);
// Format from a file name's extension (and, for .xml, its content); nullopt if unknown.
std::optional<ModelFormat> format_from_path(const std::string& path, std::string_view content = {});

// From text; `source` names the input in diagnostics.
Result<Model> read_reaction_tsv(std::string_view text, const std::string& source);
Result<Model> read_fluxml(std::string_view text, const std::string& source);
Result<Model> read_sbml(std::string_view text, const std::string& source);
Result<Model> read_cobra_json(std::string_view text, const std::string& source);
Result<Model> read_mfapy(std::string_view text, const std::string& source);

// To text. Writers never fail on a valid model, but a format may be unable to hold
// something (e.g. SBML has no atom maps); they say so in the returned warnings.
Result<std::string> write_reaction_tsv(const Model& model);
Result<std::string> write_fluxml(const Model& model);
Result<std::string> write_sbml(const Model& model);
Result<std::string> write_cobra_json(const Model& model);

// Reads a model file (gzip-compressed files are inflated) in the format its name says,
// or a built-in model by name (see builtin_model_names()).
Result<Model> load_model(const std::string& path_or_name);
// Writes in the format the output file's extension says.
Result<bool> save_model(const Model& model, const std::string& path);

// Built-in models shipped inside the binary (from models/ in the source tree).
std::vector<std::string> builtin_model_names();
std::optional<std::string_view> builtin_model_text(std::string_view name);

}  // namespace fluxion::io
