// The web app's analyses and the checks on a submission (service/analyses.hpp).
#include "fluxion/service/analyses.hpp"

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "fluxion/io/bounds_table.hpp"
#include "fluxion/io/freeflux.hpp"
#include "fluxion/io/measurements.hpp"
#include "fluxion/io/mid_table.hpp"
#include "fluxion/io/text_file.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"

namespace fluxion::service {

namespace fs = std::filesystem;

namespace {

// An analysis of the web app: the command it runs and how its results are drawn. Its form
// fields are the command's declared options marked for the web (core/options.hpp).
struct WebAnalysis {
  std::string id, command, title, summary;
  std::vector<std::string> fixed_args;
  std::vector<ResultView> views;
  std::vector<service::SampleInput> samples;
  std::vector<std::pair<std::string, std::string>> sample_values;
  std::string sample_set;
};

std::vector<WebAnalysis> web_analyses(const std::string& source_dir) {
  auto source_file = [&](const std::string& rel) { return source_dir + "/" + rel; };
  const std::string shared_data = source_dir + "/../shared/data";
  std::vector<WebAnalysis> list;
  list.push_back({"predict", "predict", "MIDs → fluxes (ML-Flux)",
                  "Net and exchange fluxes, ΔG and standard errors from measured mass isotopomer distributions, by a neural network "
                  "trained on simulated labelling; unmeasured MIDs are imputed. A time-course package (simple_time_course) takes MIDs "
                  "with a time column and predicts the pool sizes too.",
                  {},
                  {{"fluxes.tsv", "map", "The prediction on the model's map (metabolites: mean labelled atoms, first experiment)", "reaction", "net", "", ""},
                   {"fluxes.tsv", "bars", "Net fluxes (± standard error)", "reaction", "net", "net_se", ""},
                   {"delta_g.tsv", "bars", "ΔG per reaction, kJ/mol (± standard error)", "reaction", "delta_g_kj_per_mol", "se", ""},
                   {"mids.tsv", "scatter", "Measured vs. simulated MIDs", "measured", "simulated", "", "metabolite"},
                   {"fluxes.tsv", "table", "Fluxes", "", "", "", ""},
                   // a time-course package: the predicted pool sizes
                   {"pools.tsv", "bars", "Predicted pool sizes (± standard error)", "metabolite", "size", "se", "", true},
                   {"pools.tsv", "table", "Pool sizes", "", "", "", "", true}},
                  {{"mids", source_file("examples/glycolysis/mids.tsv"), "glycolysis MIDs, 3 replicates"}},
                  {{"predictor", "glycolysis"}},
                  "glycolysis with [1,2-13C2]glucose and 2H tracers"});
  list.push_back({"fit", "fit", "MIDs → fluxes (least-squares ¹³C-MFA)",
                  "Classical ¹³C-MFA: fluxes that best reproduce the measured MIDs on the EMU simulator (multistart Levenberg–Marquardt), with a χ² "
                  "test and linearised confidence intervals. MIDs with a time column are a time course (non-stationary MFA): give the pool sizes "
                  "under Time course.",
                  {"--threads", "{threads}"},
                  {{"fluxes.tsv", "map", "The fit on the model's map", "reaction", "net", "", ""},
                   {"fluxes.tsv", "bars", "Fitted net fluxes (± standard error)", "reaction", "net", "net_se", ""},
                   {"residuals.tsv", "scatter", "Measured vs. simulated", "measured", "simulated", "", "name"},
                   {"fluxes.tsv", "table", "Fluxes", "", "", "", ""},
                   // a time course (MIDs with a time column): the pool sizes
                   {"pools.tsv", "bars", "Pool sizes (± standard error; fixed pools without)", "metabolite", "size", "se", "", true},
                   {"pools.tsv", "table", "Pool sizes", "", "", "", "", true}},
                  {{"mids", source_file("examples/glycolysis/mids.tsv"), "glycolysis MIDs, 3 replicates"}},
                  {{"model", "glycolysis"}},
                  "glycolysis with its built-in tracer experiment"});
  list.push_back({"scflux", "scflux", "Expression → per-cell flux (scFEA)",
                  "Per-cell (or per-sample) module fluxes and metabolite balances from single-cell or bulk RNA-seq, on scFEA's "
                  "module networks or on a network derived from a model with gene rules.",
                  {"--threads", "{threads}", "--quiet"},
                  {{"loss.csv", "line", "Training loss: the total and its terms", "epoch", "", "", ""},
                   {"flux.csv", "matrix", "Module flux per cell (mean and spread over cells)", "", "", "", ""},
                   {"balance.csv", "matrix", "Metabolite balance per cell (mean and spread over cells)", "", "", "", ""},
                   // with cell groups: the comparison drawn and tabled
                   {"groups_heatmap.svg", "image", "Module flux by group (the modules that differ most)", "", "", "", "", true},
                   {"groups_volcano.svg", "image", "Each group against the other cells: effect and significance", "", "", "", "", true},
                   {"groups_modules.csv", "table", "Module flux: each group against the other cells", "", "", "", "", true},
                   {"groups_balance.csv", "table", "Metabolite balance per group: accumulated or depleted", "", "", "", "", true},
                   {"module_info.csv", "table", "Modules", "", "", "", ""}},
                  {},
                  {},
                  ""});
  {
    const std::string d = shared_data + "/scfea/changwn_scFEA";
    if (fs::exists(d + "/input/Melissa_full.csv")) {
      list.back().samples = {{"expression", d + "/input/Melissa_full.csv", "Melissa: 381 genes × 162 cells (scFEA's example)"},
                             {"module-genes", d + "/data/module_gene_m168.csv", "M168 module genes"},
                             {"stoichiometry", d + "/data/cmMat_c70_m168.csv", "M168 compound × module matrix"},
                             {"compound-names", d + "/data/cName_c70_m168.csv", "M168 compound names"},
                             {"module-info", d + "/data/Human_M168_information.symbols.csv", "M168 module information (names)"}};
      list.back().sample_values = {{"epochs", "100"}};
      list.back().sample_set = "scFEA's example (from ../shared/data/scfea)";
    }
  }
  list.push_back({"dynamics", "dynamics train", "Time series → distributions over time (SNODEP)",
                  "NP, NODEP and SNODEP on a destructively sampled single-cell time series (one table per day): expression, flux or "
                  "balance at every day from the first days' cells, scored beside the per-day variance floor and on held-out cells.",
                  {"--threads", "1", "--quiet"},
                  {{"day_metrics.csv", "line", "MSE by day: the paper's test set, fresh held-out trajectories", "day", "mse", "", "set"},
                   {"day_metrics.csv", "line", "The per-day variance floor (the lowest MSE without knowing the cell)", "day", "floor", "", "set"},
                   {"history.csv", "line", "Test MSE by epoch (the paper's protocol)", "epoch", "test_mse", "", ""},
                   {"history.csv", "line", "Training loss by epoch (−ELBO per trajectory)", "epoch", "train_loss", "", ""},
                   {"day_metrics.csv", "table", "Metrics by day", "", "", "", ""}},
                  {},
                  {{"epochs", "20"}, {"trajectories", "500"}},
                  "SYN-SNODEP syn-small: 24 genes, 16 days, 1335 cells (fluxion dynamics synthesize --seed 1)"});
  for (int day = 0; day < 16; ++day)
    list.back().samples.push_back({"data", source_file("examples/dynamics/syn-small/d" + std::to_string(day) + ".csv.gz"), "syn-small counts, day " + std::to_string(day)});
  list.push_back({"project", "project", "Reference fluxes → steady state (FBApro)",
                  "The closest steady-state flux vector to partial, noisy reference fluxes, in closed form (the Basic, Partial, "
                  "Fixed and Full variants), for many samples at once.",
                  {"--threads", "{threads}"},
                  {{"fluxes.tsv", "map", "Flux map (first sample)", "reaction", "", "", ""},
                   {"fluxes.tsv", "bars", "Projected fluxes", "reaction", "", "", ""},
                   {"summary.tsv", "table", "Projection summary", "", "", "", ""},
                   {"fluxes.tsv", "table", "Fluxes", "", "", "", ""}},
                  {{"model", source_file("examples/fbapro_toy/toy.tsv"), "the FBApro paper's toy network"},
                   {"references", source_file("examples/fbapro_toy/references.tsv"), "its reference fluxes"}},
                  {},
                  "the FBApro paper's toy network (Table 1)"});
  list.push_back({"fba", "fba", "Flux balance and variability (FBA, FVA)",
                  "The optimal flux distribution of a model (FBA or parsimonious FBA) and each reaction's range at a fraction of "
                  "the optimum (FVA), with reaction and gene knockouts.",
                  {"--threads", "{threads}"},
                  {{"run_info.json", "facts", "The optimum",
                    "settings.objective_value=Objective value (the growth rate when the objective is biomass);settings.method=Method;"
                    "settings.objective=Objective reaction;settings.fraction_of_optimum=Fraction of the optimum (FVA, pFBA);"
                    "settings.knockouts=Knockout reactions;settings.knockout_genes=Knockout genes;settings.blocked_by_gene_knockouts=Reactions the gene knockouts block",
                    "", "", ""},
                   {"fluxes.tsv", "map", "Flux map", "reaction", "net", "", ""},
                   {"fluxes.tsv", "bars", "Fluxes at the optimum", "reaction", "net", "", "open-bound"},
                   {"fva.tsv", "ranges", "Flux variability: each reaction's range", "reaction", "minimum", "maximum", ""},
                   {"fva.tsv", "table", "Flux variability", "", "", "", ""},
                   {"fluxes.tsv", "table", "Fluxes", "", "", "", ""}},
                  {},
                  {},
                  ""});
  if (fs::exists(shared_data + "/bigg/e_coli_core.xml.gz")) {
    list.back().samples = {{"model", shared_data + "/bigg/e_coli_core.xml.gz", "E. coli core (BiGG)"}};
    list.back().sample_values = {{"fva", "true"}};
    list.back().sample_set = "E. coli core metabolism (from ../shared/data/bigg)";
  }
  list.push_back({"simulate", "simulate", "Fluxes → simulated MIDs",
                  "The mass isotopomer distributions that given fluxes produce under given tracers (EMU simulation).",
                  {},
                  {{"fluxes.tsv", "map", "The fluxes simulated on the model's map (metabolites: mean labelled atoms, first experiment)", "reaction", "net", "", ""},
                   {"mids.tsv", "table", "Simulated MIDs", "", "", "", ""},
                   {"fluxes.tsv", "table", "The fluxes simulated (every reaction)", "", "", "", ""}},
                  {{"fluxes", source_file("examples/glycolysis/true_fluxes.tsv"), "glycolysis fluxes"}},
                  {{"model", "glycolysis"}},
                  "glycolysis with its built-in tracer experiment"});
  return list;
}

}  // namespace

std::vector<AnalysisSpec> standard_analyses(const CommandDeclarations& declarations, const std::string& source_dir) {
  std::vector<AnalysisSpec> out;
  for (const auto& w : web_analyses(source_dir)) {
    auto declared = declarations.find(w.command);
    if (declared == declarations.end()) throw std::logic_error("the web offers `fluxion " + w.command + "`, whose options are not declared");
    AnalysisSpec a;
    a.id = w.id;
    a.command = w.command;
    a.title = w.title;
    a.summary = w.summary;
    a.fixed_args = w.fixed_args;
    a.views = w.views;
    a.sample_values = w.sample_values;
    a.example_value_set = w.sample_set;
    for (const auto& s : w.samples)
      if (fs::exists(s.path)) a.samples.push_back(s);
    for (const auto& o : declared->second)
      if (o.web) {
        a.options.push_back(o);
        a.options.back().required = o.required || o.web_required;
      }
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<Diagnostic> check_job_inputs(const AnalysisSpec& a, const std::vector<std::string>& args, const std::string& job_dir,
                                         const SeriesReader& read_series) {
  std::vector<Diagnostic> out;
  // the uploaded files this server can read cheaply before queueing
  auto arg_of = [&](const std::string& name) -> std::string {
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == "--" + name) return args[i + 1];
    return {};
  };
  auto upload = [&](const std::string& name) -> std::string {
    const std::string v = arg_of(name);
    return v.rfind("input/", 0) == 0 ? job_dir + "/" + v : std::string();
  };
  auto report = [&](const std::string& field, const std::string& shown, const std::vector<Diagnostic>& ds) {
    for (auto d : ds) {
      if (d.severity != Severity::error) continue;
      d.context = field;
      if (d.source.find(job_dir) == 0 || d.source.rfind("input/", 0) == 0) d.source = shown;
      out.push_back(d);
    }
  };
  std::optional<Model> model;
  if (const std::string m = upload("model"); !m.empty()) {
    auto r = io::load_model(m);
    if (!r) report("model", "the uploaded model", r.diagnostics());
    else model = r.value();
  }
  if (const std::string f = upload("mids"); !f.empty()) {
    // fluxion's table (fit and predict read time courses: a time column) or FreeFlux's MDV sheet, as the
    // commands read them
    auto text = io::read_text_file(f);
    auto r = !text ? Result<isotope::MidTable>::failure(text.diagnostics())
             : io::detect_mid_format(text.value()) == io::MidFileFormat::freeflux
                 ? io::read_freeflux_mdvs(text.value(), f, "e1", a.command == "fit")
                 : io::read_mid_table(text.value(), f, a.command == "fit" || a.command == "predict");
    if (!r) report("mids", "the uploaded MID table", r.diagnostics());
    else if (r.value().mids.empty())
      out.push_back(Diagnostic{Severity::error, "the uploaded MID table", 0, 0, "mids", "has a header but no rows: there is nothing to analyse"});
  }
  // a built-in model by name, for the checks on reaction and gene ids below
  if (!model && !arg_of("model").empty() && upload("model").empty()) {
    auto r = io::load_model(arg_of("model"));
    if (r) model = r.value();
  }
  if (model && a.command == "fba") {
    auto ids = [&](const std::string& name) {
      std::vector<std::string> v;
      for (std::size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == "--" + name) {
          std::stringstream list(args[i + 1]);
          for (std::string id; std::getline(list, id, ',');) {
            id.erase(0, id.find_first_not_of(" \t"));
            id.erase(id.find_last_not_of(" \t") + 1);
            if (!id.empty()) v.push_back(id);
          }
        }
      return v;
    };
    for (const auto& id : ids("knockout"))
      if (!model->reaction_index(id))
        out.push_back(Diagnostic{Severity::error, "", 0, 0, "knockout", "'" + id.substr(0, 60) + "' is not a reaction of the model"});
    for (const auto& id : ids("knockout-genes"))
      if (!model->gene_index(id))
        out.push_back(Diagnostic{Severity::error, "", 0, 0, "knockout-genes", "'" + id.substr(0, 60) + "' is not a gene of the model"});
    for (const auto& id : ids("objective"))
      if (!model->reaction_index(id))
        out.push_back(Diagnostic{Severity::error, "", 0, 0, "objective", "'" + id.substr(0, 60) + "' is not a reaction of the model"});
  }
  if (a.command == "scflux") {  // the form's ways to give a network (the CLI's --network DIR is not one of them)
    const bool genes = !arg_of("module-genes").empty(), stoichiometry = !arg_of("stoichiometry").empty();
    if (genes != stoichiometry)
      out.push_back(Diagnostic{Severity::error, "", 0, 0, genes ? "stoichiometry" : "module-genes",
                               "upload both the module genes and the stoichiometry of the module network"});
    else if (!genes && arg_of("model").empty())
      out.push_back(Diagnostic{Severity::error, "", 0, 0, "module-genes",
                               "give a module network: upload its module genes and stoichiometry, or choose a model with gene rules"});
  }
  if (const std::string f = upload("experiments"); !f.empty()) {
    auto r = io::load_tracer_table(f);
    if (!r) report("experiments", "the uploaded tracer table", r.diagnostics());
  }
  for (const auto& o : a.options) {
    if (o.kind != OptionKind::series) continue;
    if (const std::string dir = upload(o.name); !dir.empty() && read_series) {
      auto ds = read_series(dir);
      report(o.name, "the uploaded tables", ds);
    }
  }
  if (const std::string f = upload("set-bounds"); !f.empty() && model) {
    auto r = io::load_bounds_table(f, *model);
    if (!r) report("set-bounds", "the uploaded bounds table", r.diagnostics());
  }
  return out;
}

std::string find_web_root(const std::string& build_dist) {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("FLUXION_WEB_ROOT"); env && *env) candidates.emplace_back(env);
  if (!build_dist.empty()) candidates.emplace_back(build_dist);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share" / "fluxion" / "web");
  for (const auto& c : candidates)
    if (fs::is_regular_file(c / "index.html")) return c.string();
  return "";
}

std::vector<std::pair<std::string, std::string>> model_reaction_choices(const std::string& source) {
  std::vector<std::pair<std::string, std::string>> out;
  auto r = io::load_model(source);
  if (!r) return out;
  for (int pass = 0; pass < 2; ++pass)  // the model's objective first
    for (const auto& reaction : r.value().reactions)
      if ((reaction.objective_coefficient != 0.0) == (pass == 0)) out.emplace_back(reaction.id, reaction.name);
  return out;
}

ServiceCatalogue standard_catalogue(const CommandDeclarations& declarations, const CatalogueSources& sources) {
  ServiceCatalogue c;
  c.analyses = standard_analyses(declarations, sources.source_dir);
  for (const auto& name : io::builtin_model_names()) c.builtin_models.emplace_back(name, "built-in model");
  c.builtin_predictors = sources.builtin_predictors;
  c.model_reactions = model_reaction_choices;
  c.validate = [read_series = sources.read_series](const AnalysisSpec& a, const std::vector<std::string>& args, const std::string& dir) {
    return check_job_inputs(a, args, dir, read_series);
  };
  c.openapi_json = sources.openapi_json;
  c.version = sources.version;
  return c;
}

}  // namespace fluxion::service
