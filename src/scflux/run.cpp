// `fluxion scflux` as calls (scflux/run.hpp).
#include "fluxion/scflux/run.hpp"

#include <algorithm>

#include <cstdio>

#include "fluxion/core/diagnostic_log.hpp"
#include "fluxion/scflux/groups.hpp"

namespace fluxion::scflux {

const OptionTable<ScfluxRequest>& ScfluxRequest::table() {
  using R = ScfluxRequest;
  static const OptionTable<R> t = [] {
    const std::string tables = ".tsv,.csv,.txt";
    OptionTable<R> t;
    t.add("expression", &R::expression,
          "Expression: a genes × samples table (CSV, TSV, space-separated TXT), a 10x matrix directory or .h5, or an AnnData .h5ad")
        .short_name("e")
        .required()
        .file(".csv,.tsv,.txt,.h5,.h5ad,.gz")
        .label("Gene expression")
        .web("Inputs");
    t.add("genes-as-columns", &R::genes_as_columns, "The table has samples as rows and genes as columns").label("Genes are columns").web();
    t.add("layer", &R::layer, ".h5ad: the matrix to read (default X; 'raw' for raw/X; otherwise layers/<name>, e.g. counts)");
    t.add("gene-column", &R::gene_column, ".h5ad: the var column with gene symbols (default the var index); 10x: 'id' for feature ids");
    t.add("gene-map", &R::gene_map, "TSV gene id -> symbol (Ensembl ids to the network's symbols), applied after reading").file();
    t.add("network", &R::network, "Directory holding one scFEA network (module genes or .gmt, cmMat, optional cName and module information)").short_name("n");
    t.add("model", &R::model, "Derive the network from a metabolic model with GPR rules (SBML, COBRA JSON, …): modules are unbranched reaction chains")
        .short_name("m")
        .kind(OptionKind::model)
        .label("Model")
        .web("Inputs");
    t.add("max-degree", &R::max_degree, "--model: metabolites in more reactions than this are currency (left out of the graph)");
    t.add("currency", &R::currency, "--model: more currency metabolites (ids, with or without compartment)").no_default();
    t.add("module-genes", &R::module_genes, "Module → genes file (scFEA's module_gene_*.csv, a .gmt, or a JSON object)")
        .file(".csv,.gmt,.json")
        .label("Module genes")
        .web("Inputs");
    t.add("stoichiometry", &R::stoichiometry, "Compound × module matrix (scFEA's cmMat_*.csv: +1 produced, -1 consumed)")
        .file(".csv")
        .label("Compound × module matrix")
        .web("Inputs");
    t.add("compound-names", &R::compound_names, "Compound names (scFEA's cName_*.csv: names, then ids)").file(".csv").label("Compound names").web("Inputs");
    t.add("module-info", &R::module_info, "Module information (compounds in and out, super-module)").file(".csv").label("Module information").web("Inputs");
    t.add("groups", &R::groups,
          "Cell labels (CSV or TSV: cell, group; a header row): modules that differ between groups and metabolites each group "
          "accumulates or depletes (groups_modules.csv, groups_balance.csv; drawn in groups_heatmap.svg and groups_volcano.svg)")
        .file(tables)
        .label("Sample groups")
        .web("Inputs");
    t.add("orientation", &R::orientation,
          "flux.csv and balance.csv: modules-by-samples (rows are modules, as scFLUX) or samples-by-modules (rows are cells, as scFEA)")
        .choices({"modules-by-samples", "samples-by-modules"});
    return t;
  }();
  return t;
}

NetworkSource network_source(const ScfluxRequest& q) {
  NetworkSource source;
  source.model = q.model;
  source.derive.max_degree = q.max_degree;
  source.derive.currency = q.currency;
  source.directory = q.network;
  source.files = {q.module_genes, q.stoichiometry, q.compound_names, q.module_info};
  return source;
}

std::vector<std::string> network_genes(const io::ScfeaNetwork& network) {
  std::vector<std::string> genes;
  for (const auto& m : network.modules) genes.insert(genes.end(), m.genes.begin(), m.genes.end());
  std::sort(genes.begin(), genes.end());
  genes.erase(std::unique(genes.begin(), genes.end()), genes.end());
  if (genes.empty()) genes.push_back("");  // a network without genes: keep none (run_scfea says so)
  return genes;
}

Result<ScfluxInputs> load_scflux_inputs(const ScfluxRequest& q, bool network_genes_only) {
  DiagnosticLog log;
  auto network = load_network(network_source(q));
  if (!log.take(network)) return log.failure<ScfluxInputs>();
  io::CellMatrixOptions read;
  read.layer = q.layer;
  read.gene_column = q.gene_column;
  read.gene_map = q.gene_map;
  read.genes_as_columns = q.genes_as_columns;
  if (network_genes_only) read.only_genes = network_genes(network.value().network);
  auto matrix = io::load_cell_matrix(q.expression, read);
  if (!log.take(matrix)) return log.failure<ScfluxInputs>();
  ScfluxInputs in{std::move(network.value()), std::move(matrix.value()), {}};
  if (!q.groups.empty()) {
    auto labels = load_cell_groups(q.groups, in.cells.cells);
    if (!log.take(labels)) return log.failure<ScfluxInputs>();
    in.labels = std::move(labels.value());
  }
  return log.success<ScfluxInputs>(std::move(in));
}

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", v);
  return buf;
}

}  // namespace

Result<ScfluxRun> run_scflux(const ScfluxInputs& in, const ScfluxRequest& q, const ScfeaOptions& options, bool matrices_in_files) {
  DiagnosticLog log;
  const io::ScfeaNetwork& net = in.network.network;
  const auto& cells = in.cells;
  auto result = run_scfea(net, cells, options);
  if (!log.take(result)) return log.failure<ScfluxRun>();
  ScfluxRun run;
  run.result = std::move(result.value());
  const ScfeaResult& r = run.result;
  run.files = result_files(net, cells.cells, r, options, q.orientation == "modules-by-samples", matrices_in_files);
  std::string group_text;
  if (!in.labels.empty()) {
    auto g = compare_groups(r.flux, r.balance, in.labels);
    if (!log.take(g)) return log.failure<ScfluxRun>();
    for (auto& f : group_files(net, g.value())) run.files.push_back(std::move(f));
    group_text = group_summary(g.value()) + "\n";
    run.groups = std::move(g.value());
  }
  auto& s = run.settings;
  if (!q.groups.empty())
    s.emplace_back("group_tests", "one group against the other labelled cells: Mann-Whitney U (modules), Wilcoxon signed-rank against 0 (balance); "
                                  "two-sided, normal approximation; Benjamini-Hochberg");
  if (!q.layer.empty()) s.emplace_back("layer", q.layer);
  if (!q.model.empty()) s.emplace_back("network", "derived from the model: unbranched reaction chains (max degree " + std::to_string(q.max_degree) + ")");
  s.emplace_back("method", "scFEA (per-module networks, flux balance loss)");
  s.emplace_back("mode", options.mode == LossMode::paper ? "paper" : "scfea");
  s.emplace_back("normalisation", r.normalisation_applied);
  s.emplace_back("imputation", options.impute ? "MAGIC: knn " + std::to_string(options.magic.knn) + ", decay 1, t " + std::to_string(options.magic.t) +
                                                    ", 100 principal components, up to 100 neighbours (" +
                                                    (options.magic.neighbours == "auto" ? std::string("exact up to 20,000 cells, else HNSW")
                                                     : options.magic.neighbours == "hnsw" ? std::string("HNSW, approximate")
                                                                                          : std::string("exact")) +
                                                    "), kernel cut at 1e-4"
                                              : "none");
  s.emplace_back("epochs", std::to_string(r.loss.size()));
  s.emplace_back("learning_rate", num(options.learning_rate));
  s.emplace_back("batch_size", options.batch_size == 0 ? "all samples" : std::to_string(options.batch_size));
  s.emplace_back("seed", std::to_string(options.seed));
  s.emplace_back("threads", std::to_string(options.threads));
  s.emplace_back("samples", std::to_string(cells.cells.size()));
  s.emplace_back("modules", std::to_string(net.modules.size()));
  s.emplace_back("compounds", std::to_string(net.compounds.size()));
  s.emplace_back("network_genes", std::to_string(net.n_genes()));
  s.emplace_back("network_genes_found", std::to_string(r.genes_used));
  s.emplace_back("final_loss", r.loss.empty() ? "" : num(r.loss.back().total));
  s.emplace_back("fluxes_from_epoch", std::to_string(r.epoch_returned));
  s.emplace_back("orientation", q.orientation);
  s.emplace_back("balance_sign", "produced - consumed: > 0 accumulates, < 0 depletes");

  std::size_t empty = 0;
  for (auto f : r.genes_found) empty += f == 0;
  char line[1024];
  if (!in.network.description.empty()) run.summary += in.network.description + "\n";
  std::snprintf(line, sizeof line, "%zu samples, %zu modules (%zu with no gene in the data), %zu of the network's %zu genes found; %s\n", cells.cells.size(),
                net.modules.size(), empty, r.genes_used, net.n_genes(), r.normalisation_applied.c_str());
  run.summary += line;
  if (!r.loss.empty()) {
    std::snprintf(line, sizeof line, "loss %s after %zu epochs (balance %s, non-negativity %s, scale %s, correlation %s) in %.2f s\n",
                  num(r.loss.back().total).c_str(), r.loss.size(), num(r.loss.back().balance).c_str(), num(r.loss.back().nonnegative).c_str(),
                  num(r.loss.back().scale).c_str(), num(r.loss.back().correlation).c_str(), r.seconds_training);
    run.summary += line;
  }
  run.summary += group_text;
  if (options.keep_best && r.epoch_returned > 0 && static_cast<std::size_t>(r.epoch_returned) != r.loss.size()) {
    std::snprintf(line, sizeof line, "fluxes from epoch %d, the lowest loss (%s)\n", r.epoch_returned,
                  num(r.loss[static_cast<std::size_t>(r.epoch_returned) - 1].total).c_str());
    run.summary += line;
  }
  return log.success<ScfluxRun>(std::move(run));
}

}  // namespace fluxion::scflux
