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
#include "fluxion/io/svg_plot.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/scflux/derive_network.hpp"
#include "fluxion/scflux/groups.hpp"
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

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + '"';
}

// rows × columns of `m` (samples × things) written in the orientation asked for
std::string matrix_csv(const Eigen::MatrixXf& m, const std::vector<std::string>& samples, const std::vector<std::string>& things,
                       const std::string& corner, bool things_as_rows) {
  std::string out = csv_cell(corner);
  if (things_as_rows) {
    for (const auto& s : samples) out += ',' + csv_cell(s);
    out += '\n';
    for (Eigen::Index t = 0; t < m.cols(); ++t) {
      out += csv_cell(things[static_cast<std::size_t>(t)]);
      for (Eigen::Index s = 0; s < m.rows(); ++s) out += ',' + num(m(s, t));
      out += '\n';
    }
  } else {
    for (const auto& t : things) out += ',' + csv_cell(t);
    out += '\n';
    for (Eigen::Index s = 0; s < m.rows(); ++s) {
      out += csv_cell(samples[static_cast<std::size_t>(s)]);
      for (Eigen::Index t = 0; t < m.cols(); ++t) out += ',' + num(m(s, t));
      out += '\n';
    }
  }
  return out;
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
    // the network
    std::string derived_summary;
    Result<io::ScfeaNetwork> network = [&] {
      if (!o.model.empty()) {
        if (!o.network.empty() || !o.module_genes.empty() || !o.stoichiometry.empty())
          return Result<io::ScfeaNetwork>::failure(
              {Diagnostic{Severity::error, "--model", 0, 0, {}, "give one network: --model, --network, or --module-genes with --stoichiometry"}});
        auto model = io::load_model(o.model);
        if (!model) return Result<io::ScfeaNetwork>::failure(model.diagnostics());
        scflux::DeriveOptions dopt;
        dopt.max_degree = o.max_degree;
        dopt.currency = o.currency;
        auto derived = scflux::derive_network(model.value(), dopt);
        if (!derived) return Result<io::ScfeaNetwork>::failure(derived.diagnostics());
        const auto& dn = derived.value();
        std::size_t chained = 0, reactions = 0;
        for (const auto& r : dn.reactions) chained += r.size() > 1, reactions += r.size();
        derived_summary = "network derived from " + o.model + ": " + std::to_string(dn.network.modules.size()) + " modules (" +
                          std::to_string(chained) + " chains of several reactions, " + std::to_string(reactions) + " reactions), " +
                          std::to_string(dn.network.compounds.size()) + " intermediates, " + std::to_string(dn.currency.size()) +
                          " currency metabolites left out, " + std::to_string(dn.modules_without_genes) + " chains without genes left out\n";
        auto net = dn.network;
        return Result<io::ScfeaNetwork>::success(std::move(net), derived.diagnostics());
      }
      if (!o.network.empty()) {
        if (!o.module_genes.empty() || !o.stoichiometry.empty())
          return Result<io::ScfeaNetwork>::failure(
              {Diagnostic{Severity::error, "--network", 0, 0, {}, "give either --network or --module-genes with --stoichiometry, not both"}});
        return io::load_scfea_network_directory(o.network);
      }
      if (o.module_genes.empty() || o.stoichiometry.empty())
        return Result<io::ScfeaNetwork>::failure({Diagnostic{
            Severity::error, "scflux", 0, 0, {},
            "no network: give --network DIR, --model FILE, or --module-genes and --stoichiometry (with --compound-names, --module-info)"}});
      return io::load_scfea_network({o.module_genes, o.stoichiometry, o.compound_names, o.module_info});
    }();
    if (!accept(network, ctx)) return;
    const io::ScfeaNetwork& net = network.value();
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

    auto dir = io::make_output_directory(o.output);
    if (!accept(dir, ctx)) return;
    std::vector<std::string> module_ids, compounds;
    for (const auto& m : net.modules) module_ids.push_back(m.id);
    compounds = net.compounds;
    const bool rows_are_things = o.orientation == "modules-by-samples";
    std::string loss = "epoch,total,balance,nonnegative,scale,correlation\n";
    std::vector<double> epochs;
    std::vector<io::PlotSeries> curves{{"total", {}}, {"balance", {}}, {"non-negativity", {}}, {"scale", {}}, {"correlation", {}}};
    for (std::size_t e = 0; e < r.loss.size(); ++e) {
      const auto& l = r.loss[e];
      loss += std::to_string(e + 1) + ',' + num(l.total) + ',' + num(l.balance) + ',' + num(l.nonnegative) + ',' + num(l.scale) + ',' +
              num(l.correlation) + '\n';
      epochs.push_back(static_cast<double>(e + 1));
      const double v[] = {l.total, l.balance, l.nonnegative, l.scale, l.correlation};
      for (std::size_t s = 0; s < curves.size(); ++s) curves[s].y.push_back(v[s]);
    }
    std::vector<std::pair<std::string, std::string>> group_files;
    std::string group_summary;
    if (!labels.empty()) {
      auto g = scflux::compare_groups(r.flux, r.balance, labels);
      if (!accept(g, ctx)) return;
      const auto& cmp = g.value();
      std::string mods = "group,module,name,cells_in_group,cells_in_other_groups,mean_in_group,mean_in_other_groups,effect_rank_biserial,p,q\n";
      std::size_t differ = 0;
      for (const auto& m : cmp.modules) {
        mods += csv_cell(m.group) + ',' + module_ids[m.module] + ',' + csv_cell(net.modules[m.module].name) + ',' + std::to_string(m.n_in) + ',' +
                std::to_string(m.n_out) + ',' + num(m.mean_in) + ',' + num(m.mean_out) + ',' + num(m.effect) + ',' + num(m.p) + ',' + num(m.q) + '\n';
        differ += m.q < 0.05;
      }
      std::string bal = "group,compound,cells,mean_balance,median_balance,share_above_zero,p,q,call\n";
      std::size_t acc = 0, dep = 0;
      for (const auto& b : cmp.balances) {
        bal += csv_cell(b.group) + ',' + csv_cell(net.compounds[b.compound]) + ',' + std::to_string(b.n) + ',' + num(b.mean) + ',' + num(b.median) + ',' +
               num(b.positive) + ',' + num(b.p) + ',' + num(b.q) + ',' + b.call + '\n';
        acc += b.call == "accumulated";
        dep += b.call == "depleted";
      }
      group_files = {{"groups_modules.csv", mods}, {"groups_balance.csv", bal}};
      group_summary = std::to_string(cmp.groups.size()) + " groups: " + std::to_string(differ) +
                      " (group, module) pairs differ at q < 0.05; " + std::to_string(acc) + " (group, compound) pairs accumulated, " + std::to_string(dep) +
                      " depleted\n";
    }
    std::string genes = "module\tgenes_listed\tgenes_found\n";
    for (std::size_t m = 0; m < net.modules.size(); ++m)
      genes += net.modules[m].id + '\t' + std::to_string(net.modules[m].genes.size()) + '\t' + std::to_string(r.genes_found[m]) + '\n';
    const std::vector<std::pair<std::string, std::string>> files{
        {"flux.csv", matrix_csv(r.flux, cells.cells, module_ids, rows_are_things ? "module" : "sample", rows_are_things)},
        {"balance.csv", matrix_csv(r.balance, cells.cells, compounds,
                                   rows_are_things ? "compound (balance = produced - consumed; > 0 accumulates)" : "sample (balance = produced - consumed)",
                                   rows_are_things)},
        {"module_info.csv", io::write_module_info(net)},
        {"modules.gmt", io::write_gmt(net)},
        {"cmMat.csv", io::write_stoichiometry(net)},
        {"cName.csv", io::write_compound_names(net)},
        {"genes_per_module.tsv", genes},
        {"loss.csv", loss},
        {"loss.svg", io::line_chart_svg("scFEA training loss (" + std::string(options.mode == scflux::LossMode::paper ? "paper" : "scfea") + " mode)", "epoch", "loss, summed over samples", epochs, curves, true)},
    };
    auto all_files = files;
    all_files.insert(all_files.end(), group_files.begin(), group_files.end());
    for (const auto& [name, content] : all_files) {
      const std::string path = o.output + "/" + name;
      if (auto w = io::write_output_file(path, content); !w) {
        print_diagnostics(w.diagnostics());
        ctx.exit_code = kExitFailure;
        return;
      }
      info.add_output(path);
    }
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
    std::fputs(derived_summary.c_str(), stdout);
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
