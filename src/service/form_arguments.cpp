// A submission's form fields turned into the arguments of the analysis's command
// (service_internal.hpp): each field checked against the option it names, uploads placed
// under input/, models and predictors looked up.
#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

#include "fluxion/io/run_info.hpp"
#include "fluxion/service/server.hpp"
#include "form_arguments.hpp"
#include "service_internal.hpp"

namespace fluxion::service {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The files of a series field: each must be named d<N>.csv|tsv[.gz], one per day; they are moved
// into input/<field>/ under those names and the directory is the argument.
void add_series(const FormPart& first, const std::vector<const FormPart*>& parts, const fs::path& staging, std::vector<std::string>& args, json& inputs,
                       Diagnostics& errors) {
  static const std::regex day_file(R"(d(\d{1,4})\.(csv|tsv)(\.gz)?)", std::regex::icase);
  const fs::path dir = staging / "input" / first.name;
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::set<int> days;
  std::size_t count = 0;
  for (const FormPart* p : parts) {
    if (p->name != first.name) continue;
    if (p->stored.empty()) {
      if (!p->value.empty()) errors.error("takes uploaded per-day tables, not text", 0, 0, p->name);
      continue;
    }
    std::smatch m;
    if (!std::regex_match(p->filename, m, day_file)) {
      errors.error("the file '" + p->filename + "' is not named as a day's table (d0.csv.gz, d1.csv, d2.tsv, …)", 0, 0, p->name);
      continue;
    }
    const int day = std::stoi(m[1].str());
    if (!days.insert(day).second) {
      errors.error("two files for day " + std::to_string(day), 0, 0, p->name);
      continue;
    }
    if (p->bytes == 0) {
      errors.error("the file '" + p->filename + "' is empty", 0, 0, p->name);
      continue;
    }
    std::string lower = m[0].str();
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    fs::rename(p->stored, dir / lower, ec);
    if (ec) {
      errors.error("cannot store '" + p->filename + "': " + ec.message(), 0, 0, p->name);
      continue;
    }
    ++count;
    inputs.push_back({{"option", p->name}, {"name", p->filename}, {"size", p->bytes}, {"sha256", io::sha256_file((dir / lower).string())}});
  }
  if (count == 0 && !errors.has_errors()) errors.error("upload the per-day tables (d0.csv.gz, d1.csv.gz, …)", 0, 0, first.name);
  args.push_back("--" + first.name);
  args.push_back(fs::relative(dir, staging).string());
}

}  // namespace

FormArguments form_arguments(const AnalysisSpec& analysis, const std::vector<const FormPart*>& option_parts, const fs::path& staging,
                             const ServiceCatalogue& catalogue, const std::vector<std::pair<std::string, fs::path>>& library_models) {
  FormArguments out;
  Diagnostics& errors = out.errors;
  std::vector<std::string>& args = out.args;
  json& inputs = out.inputs;
  json& parameters = out.parameters;
  std::vector<std::string> seen;
  std::set<std::string> files_for;
  for (const FormPart* p : option_parts)
    if (!p->stored.empty()) files_for.insert(p->name);
  for (const FormPart* p : option_parts) {
    const auto spec = std::find_if(analysis.options.begin(), analysis.options.end(), [&](const OptionSpec& o) { return o.name == p->name; });
    if (spec == analysis.options.end()) {
      errors.error("'" + p->name + "' is not an option of " + analysis.id, 0, 0, p->name);
      continue;
    }
    const bool is_file = !p->stored.empty();
    if (!is_file && files_for.count(p->name)) continue;  // an uploaded file beats the field's text (a model upload)
    if (spec->kind == OptionKind::series) {
      if (std::find(seen.begin(), seen.end(), p->name) != seen.end()) continue;  // all of its files are taken at its first
      seen.push_back(p->name);
      add_series(*p, option_parts, staging, args, inputs, errors);
      continue;
    }
    if (std::find(seen.begin(), seen.end(), p->name) != seen.end()) {
      errors.error(is_file ? "takes one file" : "given twice", 0, 0, p->name);
      continue;
    }
    std::string value = p->value;
    value.erase(0, value.find_first_not_of(" \t\r\n"));
    value.erase(value.find_last_not_of(" \t\r\n") + 1);
    if (is_file) {
      if (spec->kind != OptionKind::file && spec->kind != OptionKind::model && spec->kind != OptionKind::predictor) {
        errors.error("'" + p->name + "' takes a value, not a file", 0, 0, p->name);
        continue;
      }
      if (p->bytes == 0) {
        errors.error("the file '" + p->filename + "' is empty", 0, 0, p->name);
        continue;
      }
      seen.push_back(p->name);
      args.push_back("--" + p->name);
      args.push_back(fs::relative(p->stored, staging).string());
      inputs.push_back({{"option", p->name}, {"name", p->filename}, {"size", p->bytes}, {"sha256", io::sha256_file(p->stored.string())}});
      continue;
    }
    if (value.empty()) continue;  // an empty form field: the default
    seen.push_back(p->name);
    switch (spec->kind) {
      case OptionKind::flag:
        if (value == "true" || value == "on" || value == "1" || value == "yes") args.push_back("--" + p->name);
        else if (value != "false" && value != "off" && value != "0" && value != "no")
          errors.error("'" + value.substr(0, 40) + "' is not on or off", 0, 0, p->name);
        break;
      case OptionKind::file: errors.error("'" + p->name + "' takes an uploaded file", 0, 0, p->name); break;
      case OptionKind::series: break;  // handled above
      case OptionKind::model: {
        const auto& lib = library_models;
        const auto hit = std::find_if(lib.begin(), lib.end(), [&](const auto& m) { return m.first == value; });
        const bool builtin = std::any_of(catalogue.builtin_models.begin(), catalogue.builtin_models.end(), [&](const auto& m) { return m.first == value; });
        if (hit != lib.end()) {
          // linked into the job's input directory, so that the job, its messages and its
          // run_info.json name the model, not where the server keeps it
          const fs::path link = staging / "input" / hit->first;
          std::error_code lec;
          fs::create_symlink(hit->second, link, lec);
          args.push_back("--" + p->name);
          args.push_back(lec ? hit->second.string() : link.lexically_relative(staging).string());  // not fs::relative: it follows the link
        } else if (builtin) {
          args.push_back("--" + p->name);
          args.push_back(value);
        } else
          errors.error("'" + value.substr(0, 60) + "' is not a model of this server; choose one from /api/models or upload a model file", 0, 0, p->name);
        break;
      }
      case OptionKind::predictor: {
        const bool builtin = std::any_of(catalogue.builtin_predictors.begin(), catalogue.builtin_predictors.end(), [&](const auto& m) { return m.first == value; });
        if (!builtin) errors.error("'" + value.substr(0, 60) + "' is not a predictor of this server; choose one or upload a .fluxpkg", 0, 0, p->name);
        else {
          args.push_back("--" + p->name);
          args.push_back(value);
        }
        break;
      }
      case OptionKind::list:
      case OptionKind::value:
        if (value.find('\n') != std::string::npos) {
          errors.error("a value must be one line", 0, 0, p->name);
          break;
        }
        if (const std::string why = check_option_value(*spec, value); !why.empty()) {  // type, range, choices
          errors.error("--" + p->name + ": " + why, 0, 0, p->name);
          break;
        }
        args.push_back("--" + p->name);
        args.push_back(value);
        break;
    }
    parameters[p->name] = value;
  }
  for (const auto& o : analysis.options)
    if (o.required && std::find(seen.begin(), seen.end(), o.name) == seen.end())
      errors.error(o.kind == OptionKind::file ? "upload a file" : o.kind == OptionKind::series ? "upload the per-day tables (d0.csv.gz, d1.csv.gz, …)" : "required", 0, 0, o.name);
  return out;
}

}  // namespace fluxion::service
