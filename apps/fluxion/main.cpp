// fluxion: determine metabolic fluxes from the data biologists have.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>

#include <unistd.h>

#include "commands.hpp"
#include "fluxion/core/version.hpp"
#include "fluxion/io/escher_map.hpp"
#include "fluxion/io/output_guard.hpp"
#include "fluxion/io/run_info.hpp"
#include "learned_commands.hpp"
#ifndef FLUXION_LIGHT
#include "fluxion/learn/flux_predictor.hpp"     // torch_has_cuda
#include "fluxion/learn/projection_device.hpp"  // project --device cpu|cuda
#endif

namespace fluxion::cli {

// At most 50 errors and 50 warnings are printed, the first ones (the rest are counted): a
// table with 300,000 bad rows has one mistake repeated, not 300,000 to read.
void print_diagnostics(const std::vector<Diagnostic>& items) {
  constexpr std::size_t kShown = 50;
  std::size_t errors = 0, warnings = 0, hidden_errors = 0, hidden_warnings = 0;
  for (const auto& d : items) {
    const bool error = d.severity == Severity::error;
    std::size_t& shown = error ? errors : warnings;
    if (shown++ < kShown) std::cerr << d.to_string() << '\n';
    else ++(error ? hidden_errors : hidden_warnings);
  }
  if (hidden_errors > 0) std::cerr << "… and " << hidden_errors << " more error" << (hidden_errors > 1 ? "s" : "") << " like these (the first " << kShown << " are shown)\n";
  if (hidden_warnings > 0) std::cerr << "… and " << hidden_warnings << " more warning" << (hidden_warnings > 1 ? "s" : "") << " (the first " << kShown << " are shown)\n";
}

std::string format_help(const std::vector<std::string>& allowed) {
  static const std::map<std::string, std::string> meaning = {{"summary", "how the run went"},
                                                             {"table", "that and the results, aligned"},
                                                             {"tsv", "the results only, tab-separated"},
                                                             {"json", "the results only, as JSON"}};
  std::string text = "What to print on standard output: ";
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    if (i > 0) text += "; ";
    text += allowed[i];
    text += " (";
    text += meaning.at(allowed[i]);
    text += ")";
  }
  return text;
}

bool write_outputs(Context& ctx, io::RunInfo& info, const std::string& directory, const std::vector<std::pair<std::string, std::string>>& files) {
  if (auto made = io::make_output_directory(directory); !accept(made, ctx)) return false;
  auto written = io::write_output_files(directory, files);
  if (!written) {
    print_diagnostics(written.diagnostics());
    ctx.exit_code = kExitFailure;
    return false;
  }
  for (const auto& path : written.value()) info.add_output(path);
  return true;
}

std::vector<std::pair<std::string, std::string>> with_map(std::vector<std::pair<std::string, std::string>> files, const Model& model) {
  if (auto map = io::output_map_json(model)) files.emplace_back("map.json", std::move(*map));
  return files;
}

void input_error(Context& ctx, const std::string& where, const std::string& what) {
  print_diagnostics({Diagnostic{Severity::error, where, 0, 0, {}, what}});
  ctx.exit_code = fluxion::kExitInput;
}

// Every numeric option of every command refuses NaN, infinities and numbers beyond a
// double's range. CLI11 (through strtod) accepts "nan" and "inf", and a range check lets NaN
// through, since every comparison with it is false. Added here, once, it holds for the
// command line and for the web forms, whose values are parsed by these same declarations.
void require_finite_numbers(CLI::App& app) {
  const CLI::Validator finite(
      [](std::string& text) -> std::string {
        const char* begin = text.c_str();
        char* end = nullptr;
        errno = 0;
        const double v = std::strtod(begin, &end);
        if (end == begin) return {};  // not a number at all: the option's own conversion says so
        if (!std::isfinite(v) || (errno == ERANGE && std::fabs(v) > 1))
          return "'" + text.substr(0, 40) + "' is not a finite number";
        return {};
      },
      "", "finite");
  for (CLI::Option* o : app.get_options()) {
    const std::string type = o->get_type_name();
    if (type.rfind("FLOAT", 0) == 0 || type.rfind("INT", 0) == 0 || type.rfind("UINT", 0) == 0 || type.rfind("NUMBER", 0) == 0) o->check(finite);
  }
  for (CLI::App* sub : app.get_subcommands({})) require_finite_numbers(*sub);
}

// A command must not write its results over what it reads: every file named on the command
// line (an option's value or a positional) that lies inside the output directory is refused
// before anything runs, and replacing an earlier run's results is said. A failed run marks
// what it leaves there (io/output_guard.hpp). Added here, once, for every command with an
// --output directory.
io::OutputRun& output_run() {
  static io::OutputRun run;
  return run;
}

void mark_output(int exit_code) {
  if (const std::size_t older = output_run().finish(exit_code); older > 0)
    spdlog::warn("{} keeps {} file(s) of an earlier run; this run failed (see FAILED_RUN.txt there)", output_run().directory().string(), older);
}

void guard_outputs(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands({})) {
    guard_outputs(*sub);
    CLI::Option* output = sub->get_option_no_throw("--output");
    if (!output) continue;
    sub->parse_complete_callback([sub, output] {
      if (output->count() == 0) return;
      namespace fs = std::filesystem;
      std::error_code ec;
      const std::string out_text = output->results().front();
      const fs::path out = fs::weakly_canonical(out_text, ec);
      if (ec || out.empty() || fs::is_regular_file(out, ec)) return;  // a file as output: make_output_directory says so
      std::vector<std::string> inputs;
      for (const CLI::Option* o : sub->get_options())
        if (o != output) inputs.insert(inputs.end(), o->results().begin(), o->results().end());
      if (const std::string in = io::input_inside_output(out_text, inputs); !in.empty())
        throw CLI::ValidationError(output->get_name(), "'" + out_text + "' holds the input " + in + ", which the results could overwrite; choose another output directory");
      if (fs::is_directory(out, ec) && !fs::is_empty(out, ec))
        spdlog::warn("{} holds files already; results of this run replace those of the same name", out_text);
      std::string command = "fluxion";
      for (const CLI::App* a = sub; a && a->get_parent(); a = a->get_parent()) command.insert(7, " " + a->get_name());
      output_run() = io::OutputRun(out.string(), command);
    });
  }
}

void add_analysis_commands(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  add_model_commands(app, ctx);
  add_mids_commands(app, ctx);
  add_correct_command(app, ctx, argv);
  add_simulate_command(app, ctx, argv);
  add_sample_command(app, ctx, argv);
  add_dataset_command(app, ctx, argv);
#ifdef FLUXION_LIGHT
  // listed for --help; main() hands them to fluxion-learn before parsing
  for (const char* name : {"train", "predict", "score", "import-keras", "ensemble"}) app.add_subcommand(name, learned_description(name))->allow_extras()->prefix_command();
#else
  add_train_command(app, ctx, argv);
  add_predict_command(app, ctx, argv);
  add_score_command(app, ctx, argv);
  add_keras_command(app, ctx, argv);
  add_ensemble_command(app, ctx, argv);
#endif
  add_fit_command(app, ctx, argv);
  add_fba_command(app, ctx, argv);
  add_project_command(app, ctx, argv);
  add_cbm_commands(app, ctx, argv);
#ifdef FLUXION_LIGHT
  for (const char* name : {"scflux", "dynamics"}) app.add_subcommand(name, learned_description(name))->allow_extras()->prefix_command();
#else
  add_scflux_command(app, ctx, argv);
  add_dynamics_commands(app, ctx, argv);
#endif
  require_finite_numbers(app);
  guard_outputs(app);
}

#ifdef FLUXION_LIGHT
// The learned commands (and FBApro on a LibTorch device, and `version --cuda`) run in
// fluxion-learn beside this executable, with the same arguments; nothing returns on success.
bool needs_learn(int argc, char** argv) {
  int first = 1;
  while (first < argc && argv[first][0] == '-') ++first;  // -v, -q before the command
  if (first >= argc) return false;
  const std::string command = argv[first];
  for (const auto& c : kLearnedCommands)
    if (command == c.name) return true;
  for (int i = first + 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (command == "version" && a == "--cuda") return true;
    if (command == "project" && (a == "--device=cpu" || a == "--device=cuda" ||
                                 (a == "--device" && i + 1 < argc && (std::string(argv[i + 1]) == "cpu" || std::string(argv[i + 1]) == "cuda"))))
      return true;
  }
  return false;
}

[[noreturn]] void run_learn(char** argv) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::string learn = (ec ? std::filesystem::path(argv[0]).parent_path() : self.parent_path()) / kLearnExecutable;
  execv(learn.c_str(), argv);
  std::cerr << "error: this command runs in " << learn << " (the learned engines, with LibTorch), which cannot be started: " << std::strerror(errno)
            << "\n(build it with scripts/build.sh, or install it beside fluxion)\n";
  std::exit(fluxion::kExitFailure);
}
#endif

}  // namespace fluxion::cli

int main(int argc, char** argv) {
  using namespace fluxion::cli;
#ifdef FLUXION_LIGHT
  if (needs_learn(argc, argv)) run_learn(argv);
#else
  project_on_device = &fluxion::learn::apply_projection_on;
#endif
  auto logger = spdlog::stderr_color_mt("fluxion");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("[%H:%M:%S] %^%l%$ %v");
  spdlog::set_level(spdlog::level::info);

  CLI::App app{"fluxion: metabolic fluxes from isotope tracing, expression and constraint-based models"};
  app.set_version_flag("--version", std::string(fluxion::version()) + " (" + std::string(fluxion::git_hash()) + ")");
  app.require_subcommand(0, 1);
  bool verbose = false, quiet = false;
  app.add_flag("-v,--verbose", verbose, "Log details (debug level)");
  app.add_flag("-q,--quiet", quiet, "Log only errors");
  app.parse_complete_callback([&] {
    if (verbose) spdlog::set_level(spdlog::level::debug);
    if (quiet) spdlog::set_level(spdlog::level::err);
  });

  Context ctx;
  auto* version = app.add_subcommand("version", "Print the version and the git commit it was built from (--cuda: and whether LibTorch sees a GPU)");
  static bool cuda = false;
  version->add_flag("--cuda", cuda, "Also say whether the learned engines' LibTorch sees a GPU (loads LibTorch)");
  version->callback([] {
    std::cout << "fluxion " << fluxion::version() << " (git " << fluxion::git_hash() << ")\n";
#ifndef FLUXION_LIGHT
    std::cout << "cuda: " << (fluxion::learn::torch_has_cuda() ? "yes" : "no") << "\n";
#endif
  });
  add_analysis_commands(app, ctx, std::vector<std::string>(argv, argv + argc));
#ifdef FLUXION_LIGHT
  for (const char* name : {"serve", "worker", "options"}) app.add_subcommand(name, learned_description(name))->allow_extras()->prefix_command();
#else
  add_serve_commands(app, ctx);
  add_options_command(app, ctx);
#endif
  // global flags (-v, -q) are accepted after any subcommand
  std::function<void(CLI::App*)> fall = [&](CLI::App* a) {
    for (auto* sub : a->get_subcommands({})) {
      sub->fallthrough();
      fall(sub);
    }
  };
  fall(&app);

  if (argc == 1) {
    std::cout << app.help();
    return fluxion::kExitOk;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // a command given with nothing else prints its usage; a wrong option says what is
    // wrong and where the options are listed, without burying the error under them
    const CLI::App* sub = &app;
    std::string path = "fluxion";
    while (!sub->get_subcommands().empty()) {
      sub = sub->get_subcommands().front();
      path += " " + sub->get_name();
    }
    const int words = static_cast<int>(std::count(path.begin(), path.end(), ' ')) + 1;
    // the command's shape is wrong (no subcommand, a word too many): its usage helps
    const std::string what = e.what();
    const bool shape = dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr || what.find("subcommand") != std::string::npos ||
                       what.find("is required") != std::string::npos;
    if (argc <= words || shape) std::cerr << "error: " << e.what() << "\n\n" << sub->help();
    else std::cerr << "error: " << e.what() << "\n(" << path << " --help lists the options)\n";
    return fluxion::kExitInput;
  }
  mark_output(ctx.exit_code);
  return ctx.exit_code;
}
