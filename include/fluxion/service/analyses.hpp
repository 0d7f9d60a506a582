// The analyses the web app offers, and the checks on a submission's inputs before it is
// queued. Each analysis is a fluxion command; its form fields are the command's declared
// options marked for the web (core/options.hpp), so the CLI, the forms and docs/options.md
// come from one declaration. `fluxion serve` and `fluxion worker` build their catalogue here.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/service/server.hpp"

namespace fluxion::service {

// Every command's declared options, by command path ("fit", "dynamics train").
using CommandDeclarations = std::map<std::string, std::vector<OptionSpec>>;

// Reads a directory of per-day tables (the dynamics engine's reader, which sits above this
// module, so the caller passes it in); its diagnostics, empty when the tables read, each
// naming its day's file by name only (not its place on the server).
using SeriesReader = std::function<std::vector<Diagnostic>(const std::string& directory)>;

struct CatalogueSources {
  std::string source_dir;  // the source tree: examples/ for the sample inputs, ../shared/data beside it
  std::vector<std::pair<std::string, std::string>> builtin_predictors;  // name, description
  SeriesReader read_series;  // for the options of kind `series`; none: not checked before queueing
  std::string openapi_json;
  std::string version;
};

// The web app's analyses (predict, fit, scflux, dynamics, project, fba, simulate) with their
// result views and sample inputs (those present on this machine). Throws std::logic_error
// when an analysis's command has no declared options: a programming error.
std::vector<AnalysisSpec> standard_analyses(const CommandDeclarations& declarations, const std::string& source_dir);

// The check of a submission beyond each value's own (type, range and choices, which the
// service checks against the declarations): the uploaded tables whose readers are cheap are
// read, and the reaction and gene ids a model must have are looked up. Each error's
// `context` names the form field; the server's paths are replaced by "the uploaded …".
std::vector<Diagnostic> check_job_inputs(const AnalysisSpec& analysis, const std::vector<std::string>& args, const std::string& job_dir,
                                         const SeriesReader& read_series = {});

// A model's reactions (id, name), its objective first, for the forms' choice lists; empty
// when `source` (a built-in name or a model file) cannot be read.
std::vector<std::pair<std::string, std::string>> model_reaction_choices(const std::string& source);

// The catalogue `fluxion serve` and `fluxion worker` run: the standard analyses, the
// built-in models, the given predictors, the input checks and the API description.
ServiceCatalogue standard_catalogue(const CommandDeclarations& declarations, const CatalogueSources& sources);

// The built front end (a directory with index.html): $FLUXION_WEB_ROOT, then `build_dist`
// (the build tree's web/), then <prefix>/share/fluxion/web beside the running binary; ""
// when there is none.
std::string find_web_root(const std::string& build_dist);

}  // namespace fluxion::service
