// A submission's form fields turned into the command's arguments (form_arguments.cpp),
// for the HTTP API's submit route.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "fluxion/core/diagnostics.hpp"

namespace fluxion::service {

struct ServiceCatalogue;
struct AnalysisSpec;

// One part of a submitted multipart form: a field's text, or an upload stored on disk.
struct FormPart {
  std::string name, filename, value;  // value: the text of a field
  std::filesystem::path stored;       // a file: where it was written
  std::uintmax_t bytes = 0;
};

// A submission's fields as the command's arguments (form_arguments.cpp): every field checked
// against the option it names (type, range, choices, files where files go, models and
// predictors of this server), per-day uploads moved into input/<field>/, and required
// options present. `inputs` lists the uploads (name, size, SHA-256), `parameters` the values.
struct FormArguments {
  std::vector<std::string> args;
  nlohmann::json inputs = nlohmann::json::array(), parameters = nlohmann::json::object();
  Diagnostics errors;
};
FormArguments form_arguments(const AnalysisSpec& analysis, const std::vector<const FormPart*>& parts, const std::filesystem::path& staging,
                             const ServiceCatalogue& catalogue, const std::vector<std::pair<std::string, std::filesystem::path>>& library_models);

}  // namespace fluxion::service
