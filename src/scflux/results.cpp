#include "fluxion/scflux/results.hpp"

#include "fluxion/core/format.hpp"

#include "fluxion/io/model_io.hpp"
#include "fluxion/io/svg_plot.hpp"

namespace fluxion::scflux {

namespace {

std::string num(double v) { return format_significant(v, 7); }

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

Diagnostic source_error(const std::string& option, const std::string& what) { return Diagnostic{Severity::error, option, 0, 0, {}, what}; }

}  // namespace

Result<LoadedNetwork> load_network(const NetworkSource& source) {
  using R = Result<LoadedNetwork>;
  const bool has_files = !source.files.module_genes.empty() || !source.files.stoichiometry.empty();
  if (!source.model.empty()) {
    if (!source.directory.empty() || has_files) return R::failure({source_error("--model", "give one network: --model, --network, or --module-genes with --stoichiometry")});
    auto model = io::load_model(source.model);
    if (!model) return R::failure(model.diagnostics());
    auto derived = derive_network(model.value(), source.derive);
    if (!derived) return R::failure(derived.diagnostics());
    const auto& dn = derived.value();
    std::size_t chained = 0, reactions = 0;
    for (const auto& r : dn.reactions) chained += r.size() > 1, reactions += r.size();
    LoadedNetwork out{dn.network, "network derived from " + source.model + ": " + std::to_string(dn.network.modules.size()) + " modules (" +
                                      std::to_string(chained) + " chains of several reactions, " + std::to_string(reactions) + " reactions), " +
                                      std::to_string(dn.network.compounds.size()) + " intermediates, " + std::to_string(dn.currency.size()) +
                                      " currency metabolites left out, " + std::to_string(dn.modules_without_genes) + " chains without genes left out"};
    return R::success(std::move(out), derived.diagnostics());
  }
  Result<io::ScfeaNetwork> loaded = [&] {
    if (!source.directory.empty()) {
      if (has_files)
        return Result<io::ScfeaNetwork>::failure({source_error("--network", "give either --network or --module-genes with --stoichiometry, not both")});
      return io::load_scfea_network_directory(source.directory);
    }
    if (source.files.module_genes.empty() || source.files.stoichiometry.empty())
      return Result<io::ScfeaNetwork>::failure({source_error(
          "scflux", "no network: give --network DIR, --model FILE, or --module-genes and --stoichiometry (with --compound-names, --module-info)")});
    return io::load_scfea_network(source.files);
  }();
  if (!loaded) return R::failure(loaded.diagnostics());
  auto warnings = loaded.diagnostics();
  return R::success(LoadedNetwork{std::move(loaded).value(), {}}, std::move(warnings));
}

std::vector<std::pair<std::string, std::string>> result_files(const io::ScfeaNetwork& net, const std::vector<std::string>& samples, const ScfeaResult& r,
                                                              const ScfeaOptions& options, bool modules_as_rows) {
  std::vector<std::string> module_ids;
  for (const auto& m : net.modules) module_ids.push_back(m.id);
  std::string loss = "epoch,total,balance,nonnegative,scale,correlation\n";
  std::vector<double> epochs;
  std::vector<io::PlotSeries> curves{{"total", {}}, {"balance", {}}, {"non-negativity", {}}, {"scale", {}}, {"correlation", {}}};
  for (std::size_t e = 0; e < r.loss.size(); ++e) {
    const auto& l = r.loss[e];
    loss += std::to_string(e + 1) + ',' + num(l.total) + ',' + num(l.balance) + ',' + num(l.nonnegative) + ',' + num(l.scale) + ',' + num(l.correlation) + '\n';
    epochs.push_back(static_cast<double>(e + 1));
    const double v[] = {l.total, l.balance, l.nonnegative, l.scale, l.correlation};
    for (std::size_t s = 0; s < curves.size(); ++s) curves[s].y.push_back(v[s]);
  }
  std::string genes = "module\tgenes_listed\tgenes_found\n";
  for (std::size_t m = 0; m < net.modules.size(); ++m)
    genes += net.modules[m].id + '\t' + std::to_string(net.modules[m].genes.size()) + '\t' + std::to_string(r.genes_found[m]) + '\n';
  const std::string mode = options.mode == LossMode::paper ? "paper" : "scfea";
  return {
      {"flux.csv", matrix_csv(r.flux, samples, module_ids, modules_as_rows ? "module" : "sample", modules_as_rows)},
      {"balance.csv", matrix_csv(r.balance, samples, net.compounds,
                                 modules_as_rows ? "compound (balance = produced - consumed; > 0 accumulates)" : "sample (balance = produced - consumed)",
                                 modules_as_rows)},
      {"module_info.csv", io::write_module_info(net)},
      {"modules.gmt", io::write_gmt(net)},
      {"cmMat.csv", io::write_stoichiometry(net)},
      {"cName.csv", io::write_compound_names(net)},
      {"genes_per_module.tsv", genes},
      {"loss.csv", loss},
      {"loss.svg", io::line_chart_svg("scFEA training loss (" + mode + " mode)", "epoch", "loss, summed over samples", epochs, curves, true)},
  };
}

std::vector<std::pair<std::string, std::string>> group_files(const io::ScfeaNetwork& net, const GroupComparison& cmp) {
  std::string mods = "group,module,name,cells_in_group,cells_in_other_groups,mean_in_group,mean_in_other_groups,effect_rank_biserial,p,q\n";
  for (const auto& m : cmp.modules)
    mods += csv_cell(m.group) + ',' + net.modules[m.module].id + ',' + csv_cell(net.modules[m.module].name) + ',' + std::to_string(m.n_in) + ',' +
            std::to_string(m.n_out) + ',' + num(m.mean_in) + ',' + num(m.mean_out) + ',' + num(m.effect) + ',' + num(m.p) + ',' + num(m.q) + '\n';
  std::string bal = "group,compound,cells,mean_balance,median_balance,share_above_zero,p,q,call\n";
  for (const auto& b : cmp.balances)
    bal += csv_cell(b.group) + ',' + csv_cell(net.compounds[b.compound]) + ',' + std::to_string(b.n) + ',' + num(b.mean) + ',' + num(b.median) + ',' +
           num(b.positive) + ',' + num(b.p) + ',' + num(b.q) + ',' + b.call + '\n';
  return {{"groups_modules.csv", mods}, {"groups_balance.csv", bal}};
}

std::string group_summary(const GroupComparison& cmp) {
  std::size_t differ = 0, accumulated = 0, depleted = 0;
  for (const auto& m : cmp.modules) differ += m.q < 0.05;
  for (const auto& b : cmp.balances) {
    accumulated += b.call == "accumulated";
    depleted += b.call == "depleted";
  }
  return std::to_string(cmp.groups.size()) + " groups: " + std::to_string(differ) + " (group, module) pairs differ at q < 0.05; " +
         std::to_string(accumulated) + " (group, compound) pairs accumulated, " + std::to_string(depleted) + " depleted";
}

}  // namespace fluxion::scflux
