// The fluxion command line: each command group registers its subcommands here.
// Commands only parse arguments, call the libraries and print; exit codes:
//   0 success, 1 the computation failed, 2 bad input (files, values, usage).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"

namespace fluxion::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitInput = 2;

struct Context {
  int exit_code = kExitOk;
};

// Prints diagnostics (errors and warnings) to stderr.
void print_diagnostics(const std::vector<Diagnostic>& items);

// Prints a result's diagnostics; on failure marks bad input (exit 2) and returns false.
template <class T>
bool accept(const Result<T>& r, Context& ctx) {
  print_diagnostics(r.diagnostics());
  if (!r.ok()) ctx.exit_code = kExitInput;
  return r.ok();
}

// Applies a bounds table (--set-bounds: a medium, a condition) to the model; false and exit
// 2 on bad input. An empty path does nothing.
bool apply_bounds_file(Model& model, const std::string& path, Context& ctx);

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
void add_fba_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);
void add_project_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);
void add_cbm_commands(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);  // moma, imat, expression
void add_scflux_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);  // scFEA
void add_fit_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);
void add_dataset_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);
void add_dynamics_commands(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);  // dynamics train, predict
// Every command but serve and worker (the web's checker builds its own copy of them).
void add_analysis_commands(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);
void add_serve_commands(CLI::App& app, Context& ctx, const std::vector<std::string>& argv);  // serve, worker

}  // namespace fluxion::cli
