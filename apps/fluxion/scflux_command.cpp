// fluxion scflux: per-cell (or per-sample) module fluxes and metabolite balances from gene
// expression with scFEA's per-module networks (src/scflux).
#include <chrono>
#include <cmath>
#include <cstdio>

#include "commands.hpp"
#include "option_binding.hpp"
#include "learned_commands.hpp"
#include "fluxion/core/progress.hpp"
#include "fluxion/io/cell_matrix.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/io/scfea_network.hpp"
#include "fluxion/scflux/groups.hpp"
#include "fluxion/scflux/results.hpp"
#include "fluxion/scflux/scfea.hpp"


namespace fluxion::cli {

namespace {

struct ScfluxCli {
  std::string expression, network, module_genes, stoichiometry, compound_names, module_info, output;
  std::string orientation = "modules-by-samples";
  std::string layer, gene_column, gene_map, groups, model;
  std::size_t max_degree = 40;
  std::vector<std::string> currency;
  bool genes_as_columns = false, quiet = false;
  scflux::ScfeaOptions options;  // the library's: its defaults are the command's
};

// The command's own options (inputs, network, output), beside the library's ScfeaOptions.
const OptionTable<ScfluxCli>& scflux_cli_table() {
  static const OptionTable<ScfluxCli> t = [] {
    const std::string tables = ".tsv,.csv,.txt";
    OptionTable<ScfluxCli> t;
    t.add("expression", &ScfluxCli::expression,
          "Expression: a genes × samples table (CSV, TSV, space-separated TXT), a 10x matrix directory or .h5, or an AnnData .h5ad")
        .short_name("e")
        .required()
        .file(".csv,.tsv,.txt,.h5,.h5ad,.gz")
        .label("Gene expression")
        .web("Inputs");
    t.add("genes-as-columns", &ScfluxCli::genes_as_columns, "The table has samples as rows and genes as columns").label("Genes are columns").web();
    t.add("layer", &ScfluxCli::layer, ".h5ad: the matrix to read (default X; 'raw' for raw/X; otherwise layers/<name>, e.g. counts)");
    t.add("gene-column", &ScfluxCli::gene_column, ".h5ad: the var column with gene symbols (default the var index); 10x: 'id' for feature ids");
    t.add("gene-map", &ScfluxCli::gene_map, "TSV gene id -> symbol (Ensembl ids to the network's symbols), applied after reading").file();
    t.add("network", &ScfluxCli::network, "Directory holding one scFEA network (module genes or .gmt, cmMat, optional cName and module information)")
        .short_name("n");
    t.add("model", &ScfluxCli::model,
          "Derive the network from a metabolic model with GPR rules (SBML, COBRA JSON, …): modules are unbranched reaction chains")
        .short_name("m")
        .kind(OptionKind::model)
        .label("Model")
        .web("Inputs");
    t.add("max-degree", &ScfluxCli::max_degree, "--model: metabolites in more reactions than this are currency (left out of the graph)");
    t.add("currency", &ScfluxCli::currency, "--model: more currency metabolites (ids, with or without compartment)").no_default();
    t.add("module-genes", &ScfluxCli::module_genes, "Module → genes file (scFEA's module_gene_*.csv, a .gmt, or a JSON object)")
        .file(".csv,.gmt,.json")
        .label("Module genes")
        .web("Inputs");
    t.add("stoichiometry", &ScfluxCli::stoichiometry, "Compound × module matrix (scFEA's cmMat_*.csv: +1 produced, -1 consumed)")
        .file(".csv")
        .label("Compound × module matrix")
        .web("Inputs");
    t.add("compound-names", &ScfluxCli::compound_names, "Compound names (scFEA's cName_*.csv: names, then ids)").file(".csv").label("Compound names").web("Inputs");
    t.add("module-info", &ScfluxCli::module_info, "Module information (compounds in and out, super-module)").file(".csv").label("Module information").web("Inputs");
    t.add("groups", &ScfluxCli::groups,
          "Cell labels (CSV or TSV: cell, group; a header row): modules that differ between groups and metabolites each group "
          "accumulates or depletes (groups_modules.csv, groups_balance.csv)")
        .file(tables)
        .label("Sample groups")
        .web("Inputs");
    t.add("output", &ScfluxCli::output, "Output directory (flux.csv, balance.csv, module_info.csv, modules.gmt, loss.csv, loss.svg)").short_name("o").required();
    t.add("orientation", &ScfluxCli::orientation,
          "flux.csv and balance.csv: modules-by-samples (rows are modules, as scFLUX) or samples-by-modules (rows are cells, as scFEA)")
        .choices({"modules-by-samples", "samples-by-modules"});
    t.add("quiet", &ScfluxCli::quiet, "No progress bar").short_name("q");
    return t;
  }();
  return t;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", v);
  return buf;
}

}  // namespace

void add_scflux_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static ScfluxCli o;
  auto* cmd = app.add_subcommand("scflux", learned_description("scflux"));
  bind_options(cmd, scflux_cli_table(), o, ctx);
  bind_options(cmd, scflux::ScfeaOptions::table(), o.options, ctx);
  cmd->callback([&ctx, argv] {
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    scflux::NetworkSource source;
    source.model = o.model;
    source.derive.max_degree = o.max_degree;
    source.derive.currency = o.currency;
    source.directory = o.network;
    source.files = {o.module_genes, o.stoichiometry, o.compound_names, o.module_info};
    auto network = scflux::load_network(source);
    if (!accept(network, ctx)) return;
    const io::ScfeaNetwork& net = network.value().network;
    io::CellMatrixOptions read;
    read.layer = o.layer;
    read.gene_column = o.gene_column;
    read.gene_map = o.gene_map;
    read.genes_as_columns = o.genes_as_columns;
    auto matrix = io::load_cell_matrix(o.expression, read);
    if (!accept(matrix, ctx)) return;
    const io::CellMatrix& cells = matrix.value();
    std::vector<std::string> labels;
    if (!o.groups.empty()) {
      auto l = scflux::load_cell_groups(o.groups, cells.cells);
      if (!accept(l, ctx)) return;
      labels = std::move(l).value();
    }
    const auto t1 = std::chrono::steady_clock::now();

    scflux::ScfeaOptions options = o.options;
    ProgressBar bar("training", options.epochs, "epochs", !o.quiet);
    options.progress = [&](const Progress& p) {
      bar.update(p.done);
      return true;
    };
    auto result = scflux::run_scfea(net, cells, options);
    bar.finish();
    if (!accept(result, ctx)) return;
    const scflux::ScfeaResult& r = result.value();
    const auto t2 = std::chrono::steady_clock::now();

    auto files = scflux::result_files(net, cells.cells, r, options, o.orientation == "modules-by-samples");
    std::string group_summary;
    if (!labels.empty()) {
      auto g = scflux::compare_groups(r.flux, r.balance, labels);
      if (!accept(g, ctx)) return;
      for (auto& f : scflux::group_files(net, g.value())) files.push_back(std::move(f));
      group_summary = scflux::group_summary(g.value()) + "\n";
    }
    if (!write_outputs(ctx, info, o.output, files)) return;
    info.add_input("expression", o.expression);
    if (!o.gene_map.empty()) info.add_input("gene_map", o.gene_map);
    if (!o.groups.empty()) {
      info.add_input("groups", o.groups);
      info.set("group_tests", "one group against the other labelled cells: Mann-Whitney U (modules), Wilcoxon signed-rank against 0 (balance); "
                              "two-sided, normal approximation; Benjamini-Hochberg");
    }
    if (!o.layer.empty()) info.set("layer", o.layer);
    if (!o.model.empty()) {
      info.add_input("model", o.model);
      info.set("network", "derived from the model: unbranched reaction chains (max degree " + std::to_string(o.max_degree) + ")");
    } else {
      for (const auto& s : net.sources) info.add_input("network", s);
    }
    info.set("method", "scFEA (per-module networks, flux balance loss)");
    info.set("mode", options.mode == scflux::LossMode::paper ? "paper" : "scfea");
    info.set("normalisation", r.normalisation_applied);
    info.set("imputation", options.impute ? "MAGIC: knn " + std::to_string(options.magic.knn) + ", decay 1, t " + std::to_string(options.magic.t) +
                                          ", 100 principal components, up to 100 neighbours, kernel cut at 1e-4"
                                    : "none");
    info.set("epochs", std::to_string(r.loss.size()));
    info.set("learning_rate", num(options.learning_rate));
    info.set("batch_size", options.batch_size == 0 ? "all samples" : std::to_string(options.batch_size));
    info.set("seed", std::to_string(options.seed));
    info.set("threads", std::to_string(options.threads));
    info.set("samples", std::to_string(cells.cells.size()));
    info.set("modules", std::to_string(net.modules.size()));
    info.set("compounds", std::to_string(net.compounds.size()));
    info.set("network_genes", std::to_string(net.n_genes()));
    info.set("network_genes_found", std::to_string(r.genes_used));
    info.set("final_loss", r.loss.empty() ? "" : num(r.loss.back().total));
    info.set("fluxes_from_epoch", std::to_string(r.epoch_returned));
    info.set("orientation", o.orientation);
    info.set("balance_sign", "produced - consumed: > 0 accumulates, < 0 depletes");
    info.add_timing("load", std::chrono::duration<double>(t1 - t0).count());
    info.add_timing("train", std::chrono::duration<double>(t2 - t1).count());
    if (auto w = info.write(o.output); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    std::size_t empty = 0;
    for (auto f : r.genes_found) empty += f == 0;
    if (!network.value().description.empty()) std::printf("%s\n", network.value().description.c_str());
    std::printf("%zu samples, %zu modules (%zu with no gene in the data), %zu of the network's %zu genes found; %s\n", cells.cells.size(),
                net.modules.size(), empty, r.genes_used, net.n_genes(), r.normalisation_applied.c_str());
    if (!r.loss.empty())
      std::printf("loss %s after %zu epochs (balance %s, non-negativity %s, scale %s, correlation %s) in %.2f s\n", num(r.loss.back().total).c_str(),
                  r.loss.size(), num(r.loss.back().balance).c_str(), num(r.loss.back().nonnegative).c_str(), num(r.loss.back().scale).c_str(),
                  num(r.loss.back().correlation).c_str(), r.seconds_training);
    std::fputs(group_summary.c_str(), stdout);
    if (options.keep_best && r.epoch_returned > 0 && static_cast<std::size_t>(r.epoch_returned) != r.loss.size())
      std::printf("fluxes from epoch %d, the lowest loss (%s)\n", r.epoch_returned, num(r.loss[static_cast<std::size_t>(r.epoch_returned) - 1].total).c_str());
  });
}

}  // namespace fluxion::cli
