// fluxion model info | convert | tracers | map | list
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/model_summary.hpp"
#include "fluxion/io/escher_map.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/isotope/tracer_report.hpp"

namespace fluxion::cli {

void add_model_commands(CLI::App& app, Context& ctx) {
  auto* model = app.add_subcommand("model", "Inspect, list and convert metabolic models");
  model->require_subcommand(1);

  // model info
  struct InfoOptions {
    std::string input;
    std::string format = "tsv";
    std::string method = "automatic";
    std::vector<std::string> free;
    double rank_tolerance = -1.0;
  };
  static InfoOptions info_opts;
  auto* info = model->add_subcommand("info", "Summarise a model: counts, rank, free fluxes, boundary metabolites, atom maps");
  info->add_option("model", info_opts.input, "Model file (.tsv .fml .xml .sbml .json .txt .csv .ftbl, optionally .gz) or built-in model name")
      ->required();
  info->add_option("--format", info_opts.format, format_help({"tsv", "json"}))->check(CLI::IsMember({"tsv", "json"}))->capture_default_str();
  info->add_option("--null-space", info_opts.method, "Null-space method: exact (rational RREF), orthogonal (sparse QR), automatic")
      ->check(CLI::IsMember({"automatic", "exact", "orthogonal"}))
      ->capture_default_str();
  info->add_option("--free", info_opts.free, "Choose the free net fluxes (comma-separated reaction ids)")->delimiter(',');
  info->add_option("--rank-tolerance", info_opts.rank_tolerance, "Orthogonal method: rank tolerance (< 0: automatic)")
      ->capture_default_str();
  info->callback([&ctx] {
    auto loaded = io::load_model(info_opts.input);
    if (!accept(loaded, ctx)) return;
    FluxSpaceOptions fo;
    fo.method = info_opts.method == "exact" ? NullSpaceMethod::exact
                : info_opts.method == "orthogonal" ? NullSpaceMethod::orthogonal
                                                   : NullSpaceMethod::automatic;
    fo.free_fluxes = info_opts.free;
    fo.rank_tolerance = info_opts.rank_tolerance;
    auto space = FluxSpace::build(loaded.value(), fo);
    if (!accept(space, ctx)) return;
    const auto summary = summarize(loaded.value(), space.value());
    std::cout << (info_opts.format == "json" ? summary.json(info_opts.input) : summary.tsv(info_opts.input));
  });

  // model convert
  static std::string convert_in, convert_out;
  auto* convert = model->add_subcommand("convert", "Convert a model between formats, chosen by the file extensions");
  convert->add_option("input", convert_in, "Input model file or built-in model name")->required();
  convert->add_option("output", convert_out, "Output file: .tsv, .fml, .xml/.sbml (SBML) or .json")->required();
  convert->callback([&ctx] {
    auto loaded = io::load_model(convert_in);
    if (!accept(loaded, ctx)) return;
    auto saved = io::save_model(loaded.value(), convert_out);
    if (!accept(saved, ctx)) return;
    spdlog::info("wrote {} ({} reactions, {} metabolites)", convert_out, loaded.value().reactions.size(),
                 loaded.value().metabolites.size());
  });

  // model tracers
  static std::string tracers_model, tracers_table;
  auto* tracers = model->add_subcommand(
      "tracers", "Check tracer experiments against a model and show which atoms each one labels");
  tracers->add_option("model", tracers_model, "Model file or built-in model name")->required();
  tracers->add_option("tracers", tracers_table,
                      "Tracer table (experiment, substrate, label, fraction, purity); default: the built-in "
                      "experiments of a built-in model");
  tracers->callback([&ctx] {
    auto loaded = io::load_model(tracers_model);
    if (!accept(loaded, ctx)) return;
    const Model& m = loaded.value();
    if (tracers_table.empty() && !io::has_builtin_tracer_table(tracers_model)) {
      std::cerr << tracers_model << ": error: no built-in tracer experiments for this model; give a tracer table "
                   "(experiment, substrate, label, fraction, purity) as the second argument\n";
      ctx.exit_code = kExitInput;
      return;
    }
    const std::string table_name = tracers_table.empty() ? tracers_model : tracers_table;
    auto table = io::load_tracer_table(table_name);
    if (!accept(table, ctx)) return;
    const auto problems = isotope::validate_experiments(m, table.value().experiments, table_name, table.value().lines);
    print_diagnostics(problems);
    for (const auto& p : problems)
      if (p.severity == Severity::error) {
        ctx.exit_code = kExitInput;
        return;
      }
    std::cout << isotope::labelled_atoms_tsv(m, table.value().experiments);
  });

  // model map
  struct MapOptions {
    std::string input, output, layout;
    double spacing = io::EscherMapOptions{}.spacing;
    std::size_t max_reactions = io::EscherMapOptions{}.max_reactions;
  };
  static MapOptions map_opts;
  auto* map = model->add_subcommand("map", "Draw a model as an Escher map (JSON), to show fluxes on: by hand for the built-in models, else laid out automatically");
  map->add_option("model", map_opts.input, "Model file or built-in model name")->required();
  map->add_option("output", map_opts.output, "Output Escher map (.json; load it in Escher with fluxes.tsv as reaction data)")->required();
  map->add_option("--layout", map_opts.layout, "Metabolite positions chosen by hand (metabolite, x, y; docs/formats.md); default: the built-in model's, else automatic");
  map->add_option("--spacing", map_opts.spacing, "Distance between neighbouring metabolites of the automatic layout, map units")
      ->check(CLI::Range(1.0, 1e5))
      ->capture_default_str();
  map->add_option("--max-reactions", map_opts.max_reactions, "Largest model laid out automatically")->check(CLI::Range(1, 100000))->capture_default_str();
  map->callback([&ctx] {
    auto loaded = io::load_model(map_opts.input);
    if (!accept(loaded, ctx)) return;
    io::EscherMapOptions o;
    o.spacing = map_opts.spacing;
    o.max_reactions = map_opts.max_reactions;
    if (!map_opts.layout.empty()) {
      auto layout = io::load_map_layout(map_opts.layout);
      if (!accept(layout, ctx)) return;
      o.layout = layout.value();
    } else {
      o.layout = io::builtin_map_layout(loaded.value().id);
    }
    auto drawn = io::escher_map_json(loaded.value(), o);
    if (!accept(drawn, ctx)) return;
    std::error_code ec;
    for (const auto* given : {&map_opts.input, &map_opts.layout})
      if (!given->empty() && std::filesystem::equivalent(*given, map_opts.output, ec)) {
        input_error(ctx, map_opts.output, "is an input of this command; write the map to another file");
        return;
      }
    std::ofstream out(map_opts.output, std::ios::binary);
    out << drawn.value();
    if (!out.flush()) {
      input_error(ctx, map_opts.output, "cannot write the map here");
      ctx.exit_code = kExitFailure;
      return;
    }
    const bool layout_ignored = std::any_of(drawn.diagnostics().begin(), drawn.diagnostics().end(),
                                            [](const Diagnostic& d) { return d.message.find("not this model's layout") != std::string::npos; });
    spdlog::info("wrote {} ({} reactions, {})", map_opts.output, loaded.value().reactions.size(),
                 o.layout && !layout_ignored ? "metabolites placed by the layout" : "laid out automatically");
  });

  // model list
  auto* list = model->add_subcommand("list", "List the built-in models");
  list->callback([] {
    std::cout << "name\tdescription\n";
    for (const auto& name : io::builtin_model_names()) {
      auto m = io::load_model(name);
      std::cout << name << "\t" << (m ? m.value().name : std::string("(does not load)")) << "\n";
    }
  });
}

}  // namespace fluxion::cli
