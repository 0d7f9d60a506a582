// fluxion mids check: read measured MIDs and check them against a model and its tracers.
#include <iostream>

#include "commands.hpp"
#include "fluxion/io/mid_table.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"

namespace fluxion::cli {

void add_mids_commands(CLI::App& app, Context& ctx) {
  auto* mids = app.add_subcommand("mids", "Measured mass isotopomer distributions");
  mids->require_subcommand(1);
  static std::string model_name, table_path, experiments_path;
  static double tolerance = 0.02;
  auto* check = mids->add_subcommand("check", "Check measured MIDs against a model (and its tracer experiments); print a summary");
  check->add_option("mids", table_path, "MID table (experiment, metabolite, isotopologue, fraction, sd) or IsoCor output")->required();
  check->add_option("-m,--model", model_name, "Model file or built-in model name")->required();
  check->add_option("-e,--experiments", experiments_path, "Tracer table; default: the built-in experiments of a built-in model");
  check->add_option("--sum-tolerance", tolerance, "Largest allowed |sum of fractions - 1|")->check(Range(0.0, 1.0))->capture_default_str();
  check->callback([&ctx] {
    auto model = io::load_model(model_name);
    if (!accept(model, ctx)) return;
    auto table = io::load_mid_table(table_path);
    if (!accept(table, ctx)) return;
    std::vector<isotope::TracerExperiment> experiments;
    const bool have_tracers = !experiments_path.empty() || io::has_builtin_tracer_table(model_name);
    if (have_tracers) {
      auto tracers = io::load_tracer_table(experiments_path.empty() ? model_name : experiments_path);
      if (!accept(tracers, ctx)) return;
      experiments = tracers.value().experiments;
    }
    const auto problems = io::validate_mids(model.value(), table.value(), table_path, have_tracers ? &experiments : nullptr, tolerance);
    print_diagnostics(problems);
    for (const auto& p : problems)
      if (p.severity == Severity::error) {
        ctx.exit_code = kExitInput;
        return;
      }
    std::cout << "experiment\telement\tmetabolite\tisotopologues\tsum\n";
    for (const auto& m : table.value().mids) {
      double sum = 0;
      for (double f : m.fraction) sum += f;
      std::cout << m.experiment << '\t' << element_symbol(m.element) << '\t' << m.fragment << '\t' << m.fraction.size() << '\t'
                << sum << '\n';
    }
  });
}

}  // namespace fluxion::cli
