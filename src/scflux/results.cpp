#include "fluxion/scflux/results.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

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
void matrix_rows(std::ostream& out, const Eigen::MatrixXf& m, const std::vector<std::string>& samples, const std::vector<std::string>& things,
                 const std::string& corner, bool things_as_rows) {
  std::string line = csv_cell(corner);
  if (things_as_rows) {
    for (const auto& s : samples) line += ',' + csv_cell(s);
    out << line << '\n';
    for (Eigen::Index t = 0; t < m.cols(); ++t) {
      line = csv_cell(things[static_cast<std::size_t>(t)]);
      for (Eigen::Index s = 0; s < m.rows(); ++s) line += ',' + num(m(s, t));
      out << line << '\n';
    }
  } else {
    for (const auto& t : things) line += ',' + csv_cell(t);
    out << line << '\n';
    for (Eigen::Index s = 0; s < m.rows(); ++s) {
      line = csv_cell(samples[static_cast<std::size_t>(s)]);
      for (Eigen::Index t = 0; t < m.cols(); ++t) line += ',' + num(m(s, t));
      out << line << '\n';
    }
  }
}

std::string matrix_csv(const Eigen::MatrixXf& m, const std::vector<std::string>& samples, const std::vector<std::string>& things,
                       const std::string& corner, bool things_as_rows) {
  std::ostringstream out;
  matrix_rows(out, m, samples, things, corner, things_as_rows);
  return out.str();
}

const char* kFluxCorner[] = {"sample", "module"};
const char* kBalanceCorner[] = {"sample (balance = produced - consumed)", "compound (balance = produced - consumed; > 0 accumulates)"};

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
                                                              const ScfeaOptions& options, bool modules_as_rows, bool with_matrices) {
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
  std::vector<std::pair<std::string, std::string>> files;
  if (with_matrices) {
    files.emplace_back("flux.csv", matrix_csv(r.flux, samples, module_ids, kFluxCorner[modules_as_rows], modules_as_rows));
    files.emplace_back("balance.csv", matrix_csv(r.balance, samples, net.compounds, kBalanceCorner[modules_as_rows], modules_as_rows));
  }
  std::vector<std::pair<std::string, std::string>> rest{
      {"module_info.csv", io::write_module_info(net)},
      {"modules.gmt", io::write_gmt(net)},
      {"cmMat.csv", io::write_stoichiometry(net)},
      {"cName.csv", io::write_compound_names(net)},
      {"genes_per_module.tsv", genes},
      {"loss.csv", loss},
      {"loss.svg", io::line_chart_svg("scFEA training loss (" + mode + " mode)", "epoch", "loss, summed over samples", epochs, curves, true)},
  };
  for (auto& f : rest) files.push_back(std::move(f));
  return files;
}

Result<std::vector<std::string>> write_result_matrices(const std::string& directory, const io::ScfeaNetwork& net, const std::vector<std::string>& samples,
                                                       const ScfeaResult& r, bool modules_as_rows) {
  using R = Result<std::vector<std::string>>;
  std::vector<std::string> module_ids, paths;
  for (const auto& m : net.modules) module_ids.push_back(m.id);
  for (int k = 0; k < 2; ++k) {
    const std::string path = (std::filesystem::path(directory) / (k == 0 ? "flux.csv" : "balance.csv")).string();
    const std::string partial = path + ".partial";
    {
      std::ofstream out(partial, std::ios::binary);
      std::vector<char> buffer(1 << 20);
      out.rdbuf()->pubsetbuf(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      if (k == 0) matrix_rows(out, r.flux, samples, module_ids, kFluxCorner[modules_as_rows], modules_as_rows);
      else matrix_rows(out, r.balance, samples, net.compounds, kBalanceCorner[modules_as_rows], modules_as_rows);
      out.flush();
      if (!out) {
        std::error_code ec;
        std::filesystem::remove(partial, ec);
        return R::failure({Diagnostic{Severity::error, path, 0, 0, {}, "cannot be written (disk full?)"}});
      }
    }
    std::error_code ec;
    std::filesystem::rename(partial, path, ec);
    if (ec) return R::failure({Diagnostic{Severity::error, path, 0, 0, {}, "cannot be written: " + ec.message()}});
    paths.push_back(path);
  }
  return R::success(std::move(paths));
}

namespace {

std::string module_label(const io::ScfeaNetwork& net, std::size_t m) {
  const auto& mod = net.modules[m];
  return mod.name.empty() || mod.name == mod.id ? mod.id : mod.id + " " + mod.name;
}

}  // namespace

std::string group_heatmap(const io::ScfeaNetwork& net, const GroupComparison& cmp, std::size_t max_rows) {
  const std::size_t ng = cmp.groups.size(), nm = net.modules.size();
  std::vector<const ModuleDifference*> at(ng * nm, nullptr);  // [group][module]
  for (const auto& d : cmp.modules) {
    const auto g = static_cast<std::size_t>(std::find(cmp.groups.begin(), cmp.groups.end(), d.group) - cmp.groups.begin());
    if (g < ng && d.module < nm) at[g * nm + d.module] = &d;
  }
  // the modules that differ most: smallest q over the groups, then the largest |effect|
  std::vector<std::size_t> order;
  std::vector<double> best_q(nm, 2.0), best_effect(nm, 0.0);
  for (std::size_t m = 0; m < nm; ++m) {
    bool any = false;
    for (std::size_t g = 0; g < ng; ++g)
      if (const auto* d = at[g * nm + m]) {
        any = true;
        best_q[m] = std::min(best_q[m], d->q);
        best_effect[m] = std::max(best_effect[m], std::fabs(d->effect));
      }
    if (any) order.push_back(m);
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return best_q[a] != best_q[b] ? best_q[a] < best_q[b] : best_effect[a] > best_effect[b];
  });
  if (order.size() > max_rows) order.resize(max_rows);
  // each cell: the group's rank-biserial effect against the other cells (+1: every cell of
  // the group above every other), rows ordered by the group where it is highest
  std::vector<std::vector<double>> z(order.size(), std::vector<double>(ng, std::nan("")));
  std::vector<std::size_t> peak(order.size(), 0);
  for (std::size_t r = 0; r < order.size(); ++r)
    for (std::size_t g = 0; g < ng; ++g)
      if (const auto* d = at[g * nm + order[r]]) {
        z[r][g] = d->effect;
        if (!std::isfinite(z[r][peak[r]]) || z[r][g] > z[r][peak[r]]) peak[r] = g;
      }
  std::vector<std::size_t> rows(order.size());
  std::iota(rows.begin(), rows.end(), 0);
  std::stable_sort(rows.begin(), rows.end(), [&](std::size_t a, std::size_t b) { return peak[a] < peak[b]; });
  std::vector<std::string> labels, tips;
  std::vector<double> values;
  std::vector<char> marked;
  for (std::size_t r : rows) {
    labels.push_back(module_label(net, order[r]));
    for (std::size_t g = 0; g < ng; ++g) {
      const auto* d = at[g * nm + order[r]];
      values.push_back(z[r][g]);
      marked.push_back(d && d->q < 0.05);
      char buf[160];
      if (d)
        std::snprintf(buf, sizeof buf, "mean flux %.4g in %s (%zu cells), %.4g in the others; effect %.3f, q %.3g", d->mean_in, d->group.c_str(), d->n_in,
                      d->mean_out, d->effect, d->q);
      tips.push_back(labels.back() + ": " + (d ? std::string(buf) : "not tested"));
    }
  }
  const std::string title = "Module flux by group: the " + std::to_string(order.size()) + (order.size() < nm ? " most different" : "") + " of " +
                            std::to_string(nm) + " modules";
  return io::heatmap_svg(title, labels, cmp.groups, values, 1.0, "effect against the other cells", tips, marked, "q < 0.05");
}

std::string group_volcano(const io::ScfeaNetwork& net, const GroupComparison& cmp) {
  std::vector<io::ScatterPoint> points;
  for (const auto& d : cmp.modules) {
    io::ScatterPoint p;
    p.x = d.effect;
    p.y = -std::log10(std::max(d.q, 1e-300));
    p.series = static_cast<std::size_t>(std::find(cmp.groups.begin(), cmp.groups.end(), d.group) - cmp.groups.begin());
    char buf[120];
    std::snprintf(buf, sizeof buf, " in %s: effect %.3f, p %.3g, q %.3g", d.group.c_str(), d.effect, d.p, d.q);
    p.tip = module_label(net, d.module) + buf;
    points.push_back(std::move(p));
  }
  // the ten most significant differences are labelled
  std::vector<std::size_t> idx(points.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    return points[a].y != points[b].y ? points[a].y > points[b].y : std::fabs(points[a].x) > std::fabs(points[b].x);
  });
  for (std::size_t k = 0; k < idx.size() && k < 10; ++k) {
    const auto& d = cmp.modules[idx[k]];
    if (d.q < 0.05) points[idx[k]].label = net.modules[d.module].id + " (" + d.group + ")";
  }
  return io::scatter_svg("Module flux, each group against the other cells", "effect (rank-biserial: +1 every cell of the group higher)",
                         "−log10 q (Benjamini–Hochberg)", points, cmp.groups, -std::log10(0.05), "q = 0.05");
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
  return {{"groups_modules.csv", mods}, {"groups_balance.csv", bal}, {"groups_heatmap.svg", group_heatmap(net, cmp)}, {"groups_volcano.svg", group_volcano(net, cmp)}};
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
