#include "fluxion/io/model_io.hpp"
#include "fluxion/io/freeflux.hpp"
#include "fluxion/io/ftbl.hpp"

#include <algorithm>
#include <filesystem>

#include "builtin_models.hpp"
#include "text.hpp"

namespace fluxion::io {

using namespace detail;

std::string_view to_string(ModelFormat f) {
  switch (f) {
    case ModelFormat::reaction_tsv: return "reaction TSV";
    case ModelFormat::fluxml: return "FluxML";
    case ModelFormat::sbml: return "SBML";
    case ModelFormat::cobra_json: return "COBRA JSON";
    case ModelFormat::mfapy: return "mfapy text";
    case ModelFormat::freeflux: return "FreeFlux reactions";
    case ModelFormat::ftbl: return "FTBL";
  }
  return "?";
}

std::optional<ModelFormat> format_from_path(const std::string& path, std::string_view content) {
  std::string name = lower(std::filesystem::path(path).filename().string());
  if (ends_with(name, ".gz")) name.resize(name.size() - 3);
  if (ends_with(name, ".csv")) return ModelFormat::freeflux;
  if (ends_with(name, ".tsv"))
    return content.substr(0, 12) == "#reaction_ID" ? ModelFormat::freeflux : ModelFormat::reaction_tsv;
  if (ends_with(name, ".fml") || ends_with(name, ".fluxml")) return ModelFormat::fluxml;
  if (ends_with(name, ".sbml")) return ModelFormat::sbml;
  if (ends_with(name, ".json")) return ModelFormat::cobra_json;
  if (ends_with(name, ".txt")) return ModelFormat::mfapy;
  if (ends_with(name, ".ftbl")) return ModelFormat::ftbl;
  if (ends_with(name, ".xml")) {
    // the first element decides: <fluxml> or <sbml>
    std::size_t pos = 0;
    while ((pos = content.find('<', pos)) != std::string_view::npos) {
      if (pos + 1 < content.size() && (content[pos + 1] == '?' || content[pos + 1] == '!')) {
        ++pos;
        continue;
      }
      return content.substr(pos + 1, 6) == "fluxml" ? ModelFormat::fluxml : ModelFormat::sbml;
    }
    return ModelFormat::sbml;
  }
  return std::nullopt;
}

std::vector<std::string> builtin_model_names() {
  std::vector<std::string> names;
  for (const auto& m : detail::builtin_models()) names.emplace_back(m.name);
  return names;
}

std::optional<std::string_view> builtin_model_text(std::string_view name) {
  for (const auto& m : detail::builtin_models())
    if (m.name == name) return m.text;
  return std::nullopt;
}

namespace {

Result<Model> read_as(ModelFormat f, std::string_view text, const std::string& source) {
  switch (f) {
    case ModelFormat::reaction_tsv: return read_reaction_tsv(text, source);
    case ModelFormat::fluxml: return read_fluxml(text, source);
    case ModelFormat::sbml: return read_sbml(text, source);
    case ModelFormat::cobra_json: return read_cobra_json(text, source);
    case ModelFormat::mfapy: return read_mfapy(text, source);
    case ModelFormat::freeflux: return read_freeflux(text, source);
    case ModelFormat::ftbl: return read_ftbl_model(text, source);
  }
  return Result<Model>::failure({Diagnostic{Severity::error, source, 0, 0, {}, "unknown format"}});
}

std::string known_extensions() { return ".tsv, .fml, .xml, .sbml, .json, .txt, .csv, .ftbl (optionally .gz)"; }

}  // namespace

Result<Model> load_model(const std::string& path_or_name) {
  if (!std::filesystem::exists(path_or_name)) {
    if (auto text = builtin_model_text(path_or_name))
      return read_reaction_tsv(*text, "built-in model '" + path_or_name + "'");
    std::string names;
    for (const auto& n : builtin_model_names()) names += (names.empty() ? "" : ", ") + n;
    return Result<Model>::failure({Diagnostic{Severity::error, path_or_name, 0, 0, {},
                                              "no such file, and no built-in model of that name (built-in: " + names + ")"}});
  }
  std::string error;
  auto text = read_file(path_or_name, error);
  if (!text) return Result<Model>::failure({Diagnostic{Severity::error, path_or_name, 0, 0, {}, error}});
  auto format = format_from_path(path_or_name, *text);
  if (!format)
    return Result<Model>::failure({Diagnostic{Severity::error, path_or_name, 0, 0, {},
                                              "cannot tell the model format from the file name; use one of " + known_extensions()}});
  return read_as(*format, *text, path_or_name);
}

Result<bool> save_model(const Model& model, const std::string& path) {
  const auto format = format_from_path(path, "<sbml");  // a new .xml file is SBML; FluxML is .fml
  if (!format)
    return Result<bool>::failure({Diagnostic{Severity::error, path, 0, 0, {},
                                             "cannot tell the output format from the file name; use .tsv, .fml, .xml/.sbml or .json"}});
  if (ends_with(lower(path), ".gz"))
    return Result<bool>::failure({Diagnostic{Severity::error, path, 0, 0, {}, "writing compressed files is not supported; drop the .gz"}});
  Result<std::string> text = Result<std::string>::failure(std::vector<Diagnostic>{});
  switch (*format) {
    case ModelFormat::reaction_tsv: text = write_reaction_tsv(model); break;
    case ModelFormat::fluxml: text = write_fluxml(model); break;
    case ModelFormat::sbml: text = write_sbml(model); break;
    case ModelFormat::cobra_json: text = write_cobra_json(model); break;
    case ModelFormat::mfapy:
    case ModelFormat::freeflux:
    case ModelFormat::ftbl:
      return Result<bool>::failure({Diagnostic{Severity::error, path, 0, 0, {},
                                               std::string("writing the ") + std::string(to_string(*format)) +
                                                   " format is not supported; write .tsv or .fml"}});
  }
  if (!text) return Result<bool>::failure(text.diagnostics());
  std::string error;
  if (!write_file(path, text.value(), error))
    return Result<bool>::failure({Diagnostic{Severity::error, path, 0, 0, {}, error}});
  std::vector<Diagnostic> warnings = text.diagnostics();
  for (auto& w : warnings) w.source = path;
  if (!model.relations.empty() && *format != ModelFormat::fluxml)
    warnings.push_back({Severity::warning, path, 0, 0, {},
                        std::to_string(model.relations.size()) + " constraints between fluxes (e.g. '" + model.relations.front().expression +
                            "') cannot be written in this format and are left out; write .fml, or pass them with --constraints"});
  return Result<bool>::success(true, warnings);
}

}  // namespace fluxion::io
