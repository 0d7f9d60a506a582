// The fluxion command line: each command group registers its subcommands here.
// Commands only parse arguments, call the libraries and print; their exit codes are
// core/exit_status.hpp's.
#pragma once

#include <CLI/CLI.hpp>
#include <Eigen/Dense>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/exit_status.hpp"  // kExitOk, kExitFailure, kExitInput
#include "fluxion/core/model.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/core/options.hpp"

namespace fluxion::cbm {
class Projector;
}
namespace fluxion::io {
class RunInfo;
}

namespace fluxion::cli {

// FBApro projections on a LibTorch device (learn/projection_device.hpp): set by
// fluxion-learn's main; null in fluxion, which hands `project --device cpu|cuda` over.
using ProjectOnDevice = Result<Eigen::MatrixXd> (*)(const cbm::Projector&, const Eigen::MatrixXd&, const std::string&);
extern ProjectOnDevice project_on_device;


struct Context {
  int exit_code = kExitOk;
  // each command's declared options (bind_options in option_binding.hpp), by command path
  // ("fit", "dynamics train"): the web forms and docs/options.md read them
  std::map<std::string, std::vector<OptionInfo>> declarations;
};

// A number as a person writes it in a message: 0.01, 1000, 1e+06 (not 0.010000 or 309 digits).
template <typename T>
std::string number_text(T v) {
  if constexpr (std::is_integral_v<T>) return std::to_string(v);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", static_cast<double>(v));
  return buffer;
}

// A number in [lo, hi], both included: CLI::Range with messages a person reads ("must be
// between 1 and 1000, not 5000"). The description stays CLI11's "FLOAT in [1 - 1000]", from
// which the web forms take their limits.
class Range : public CLI::Validator {
 public:
  template <typename T>
  Range(T lo, T hi) : CLI::Validator(std::string{}) {
    std::ostringstream d;
    d << CLI::detail::type_name<T>() << " in [" << number_text(lo) << " - " << number_text(hi) << "]";
    description(d.str());
    func_ = [lo, hi](std::string& input) -> std::string {
      T v;
      if (!CLI::detail::lexical_cast(input, v)) return "'" + input.substr(0, 40) + "' is not a number";
      if constexpr (std::is_floating_point_v<T>)
        if (!std::isfinite(v)) return "'" + input.substr(0, 40) + "' is not a finite number";
      if (!(v >= lo && v <= hi)) return "must be between " + number_text(lo) + " and " + number_text(hi) + ", not " + input.substr(0, 40);
      return {};
    };
  }
};

// A number > 0, and one >= 0 (CLI::PositiveNumber and NonNegativeNumber, with plain messages).
inline CLI::Validator sign_check(bool zero_allowed) {
  return CLI::Validator(
      [zero_allowed](std::string& input) -> std::string {
        double v;
        if (!CLI::detail::lexical_cast(input, v)) return "'" + input.substr(0, 40) + "' is not a number";
        if (!std::isfinite(v)) return "'" + input.substr(0, 40) + "' is not a finite number";
        if (zero_allowed ? !(v >= 0) : !(v > 0)) return std::string(zero_allowed ? "must be 0 or more" : "must be greater than 0") + ", not " + input.substr(0, 40);
        return {};
      },
      zero_allowed ? "NONNEGATIVE" : "POSITIVE");
}
inline const CLI::Validator PositiveNumber = sign_check(false);
inline const CLI::Validator NonNegativeNumber = sign_check(true);

// --format means one thing wherever a command has it: what the command prints on standard
// output. The files it writes are the same under every format.
//   summary  a few lines on how the run went (the default of the analyses)
//   table    those lines and the results, aligned for reading
//   tsv      the results only, tab-separated as in the output file (the summary goes to stderr)
//   json     the results only, as JSON
// Each command offers the forms it has; format_help says which, in those words.
std::string format_help(const std::vector<std::string>& allowed);
// Where the summary lines go under FORMAT: stdout, or stderr when stdout carries the results.
inline std::FILE* summary_stream(const std::string& format) { return format == "tsv" || format == "json" ? stderr : stdout; }

// Prints diagnostics (errors and warnings) to stderr.
void print_diagnostics(const std::vector<Diagnostic>& items);

// Prints "WHERE: error: WHAT" and sets exit 2 (bad input); commands `return input_error(...)`.
void input_error(Context& ctx, const std::string& where, const std::string& what);

// Prints a result's diagnostics; on failure marks bad input (exit 2) and returns false.
template <class T>
bool accept(const Result<T>& r, Context& ctx) {
  print_diagnostics(r.diagnostics());
  if (!r.ok()) ctx.exit_code = kExitInput;
  return r.ok();
}

// Writes a command's output files (name, content) into DIR, each path into run_info's
// outputs. A directory that cannot be made is bad input (exit 2); a file that cannot be
// written, a failure (exit 1).
bool write_outputs(Context& ctx, io::RunInfo& info, const std::string& directory, const std::vector<std::pair<std::string, std::string>>& files);
// `files` with map.json, the model drawn as an Escher map (io/escher_map.hpp), when the model
// is small enough for one: the results can be drawn on it (`fluxion model map` for more).
std::vector<std::pair<std::string, std::string>> with_map(std::vector<std::pair<std::string, std::string>> files, const Model& model);

void add_model_commands(CLI::App& app, Context& ctx);
void add_mids_commands(CLI::App& app, Context& ctx);
void add_correct_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);
// `argv` is the whole command line, recorded in run_info.json.
void add_simulate_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);
void add_sample_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);
void add_train_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);
void add_predict_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);
void add_score_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);
void add_keras_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);  // import-keras
void add_ensemble_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);
void add_fba_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);
void add_project_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);
void add_cbm_commands(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);  // moma, imat, expression
void add_scflux_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);  // scFEA
void add_fit_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);
void add_dataset_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);
void add_dynamics_commands(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);  // dynamics train, predict
// Every command but version, serve and worker.
void add_analysis_commands(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);
// serve, worker: the web forms are the declarations (Context::declarations) of the commands added before
void add_serve_commands(CLI::App& app, Context& ctx);
// options: every command's options as Markdown (docs/options.md), from the commands added before
void add_options_command(CLI::App& app, Context& ctx);

}  // namespace fluxion::cli
