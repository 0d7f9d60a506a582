// fluxion model info | convert | list
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/model_summary.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"

namespace fluxion::cli {

namespace {

std::string join(const std::vector<std::string>& v, const char* sep = ",") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

void print_summary_tsv(const ModelSummary& s, const std::string& source) {
  std::cout << "key\tvalue\n";
  std::cout << "model\t" << s.id << "\n";
  std::cout << "source\t" << source << "\n";
  std::cout << "n_metabolites\t" << s.n_metabolites << "\n";
  std::cout << "n_balanced\t" << s.n_balanced << "\n";
  std::cout << "n_reactions\t" << s.n_reactions << "\n";
  std::cout << "n_genes\t" << s.n_genes << "\n";
  std::cout << "rank\t" << s.rank << "\n";
  std::cout << "n_free\t" << s.n_free << "\n";
  std::cout << "n_exchange\t" << s.n_exchange << "\n";
  std::cout << "degrees_of_freedom\t" << s.degrees_of_freedom << "\n";
  std::cout << "null_space_method\t" << s.null_space_method << "\n";
  std::cout << "free_net\t" << join(s.free_net) << "\n";
  std::cout << "exchange\t" << join(s.exchange) << "\n";
  std::cout << "boundary_metabolites\t" << join(s.boundary_metabolites) << "\n";
  std::cout << "measured\t" << join(s.measured) << "\n";
  for (const auto& [e, n] : s.atom_mapped_reactions) std::cout << "atom_mapped_reactions_" << e << "\t" << n << "\n";
  std::cout << "objective\t" << join(s.objective, " + ") << "\n";
  std::cout << "relations\t" << join(s.relations, "; ") << "\n";
}

void print_summary_json(const ModelSummary& s, const std::string& source) {
  nlohmann::json j = {{"model", s.id},
                      {"name", s.name},
                      {"source", source},
                      {"n_metabolites", s.n_metabolites},
                      {"n_balanced", s.n_balanced},
                      {"n_reactions", s.n_reactions},
                      {"n_genes", s.n_genes},
                      {"rank", s.rank},
                      {"n_free", s.n_free},
                      {"n_exchange", s.n_exchange},
                      {"degrees_of_freedom", s.degrees_of_freedom},
                      {"null_space_method", s.null_space_method},
                      {"free_net", s.free_net},
                      {"exchange", s.exchange},
                      {"boundary_metabolites", s.boundary_metabolites},
                      {"measured", s.measured},
                      {"objective", s.objective},
                      {"relations", s.relations}};
  nlohmann::json mapped = nlohmann::json::object();
  for (const auto& [e, n] : s.atom_mapped_reactions) mapped[e] = n;
  j["atom_mapped_reactions"] = mapped;
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace

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
  info->add_option("model", info_opts.input, "Model file (.tsv .fml .xml .sbml .json .txt, optionally .gz) or built-in model name")
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
    if (info_opts.format == "json") print_summary_json(summary, info_opts.input);
    else print_summary_tsv(summary, info_opts.input);
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
    std::cout << "experiment\tsubstrate\tlabel\tfraction\tpurity\theavy_atoms\n";
    for (const auto& ex : table.value().experiments)
      for (const auto& c : ex.components) {
        const Metabolite& sub = m.metabolites[*m.metabolite_index(c.substrate)];
        std::string atoms;
        for (Element e : kElements) {
          const int n = sub.atoms[static_cast<std::size_t>(e)];
          if (n == 0) continue;
          const auto heavy = c.label.bits(e, n);
          std::string bits;
          for (auto b : heavy.value()) bits += b ? '1' : '0';
          atoms += (atoms.empty() ? "" : " ") + std::string(element_symbol(e)) + ":" + bits;
        }
        std::cout << ex.id << '\t' << c.substrate << '\t' << format_label(c.label) << '\t' << c.fraction << '\t'
                  << c.purity << '\t' << atoms << '\n';
      }
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
