#include "fluxion/dynamics/flux_series.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <random>
#include <set>

#include "fluxion/core/diagnostic_log.hpp"
#include "fluxion/io/run_info.hpp"

namespace fluxion::dynamics {

namespace {

// every day's cells stacked into one sparse cells × genes matrix; genes in `knocked` set to 0
io::CellMatrix pooled_cells(const TimeSeries& expression, const std::set<std::size_t>& knocked) {
  io::CellMatrix m;
  m.genes = expression.features;
  std::vector<Eigen::Triplet<float>> entries;
  Eigen::Index row = 0;
  for (std::size_t k = 0; k < expression.days.size(); ++k) {
    const Eigen::MatrixXf& x = expression.cells[k];
    for (Eigen::Index c = 0; c < x.rows(); ++c, ++row) {
      m.cells.push_back(std::string(1, 'd').append(std::to_string(expression.days[k])).append(1, '_').append(std::to_string(c + 1)));
      for (Eigen::Index g = 0; g < x.cols(); ++g)
        if (x(c, g) != 0.0f && !knocked.count(static_cast<std::size_t>(g))) entries.emplace_back(row, g, x(c, g));
    }
  }
  m.values.resize(row, static_cast<Eigen::Index>(expression.n_features()));
  m.values.setFromTriplets(entries.begin(), entries.end());
  return m;
}

// the pooled rows [cells × things] cut back into days
TimeSeries split_by_day(const Eigen::MatrixXf& pooled, const TimeSeries& like, std::vector<std::string> features) {
  TimeSeries s;
  s.features = std::move(features);
  s.days = like.days;
  Eigen::Index row = 0;
  for (const auto& x : like.cells) {
    s.cells.emplace_back(pooled.middleRows(row, x.rows()));
    row += x.rows();
  }
  return s;
}

// appends the indicator rows b^g (1 present, 0 knocked out)
void append_presence(TimeSeries& s, const std::vector<std::string>& genes, const std::set<std::size_t>& knocked) {
  const auto base = static_cast<Eigen::Index>(s.features.size());
  for (const auto& g : genes) s.features.push_back("present:" + g);
  for (auto& x : s.cells) {
    Eigen::MatrixXf wider(x.rows(), base + static_cast<Eigen::Index>(genes.size()));
    wider.leftCols(base) = x;
    for (std::size_t g = 0; g < genes.size(); ++g) wider.col(base + static_cast<Eigen::Index>(g)).setConstant(knocked.count(g) ? 0.0f : 1.0f);
    x = std::move(wider);
  }
}

}  // namespace

Result<FluxSeries> estimate_flux_series(const TimeSeries& expression, const io::ScfeaNetwork& network, scflux::ScfeaOptions options) {
  options.normalisation = scflux::Normalisation::log;
  auto fit = scflux::run_scfea(network, pooled_cells(expression, {}), options);
  if (!fit) return Result<FluxSeries>::failure(fit.diagnostics());
  const auto& r = fit.value();
  FluxSeries out;
  std::vector<std::string> modules;
  for (const auto& m : network.modules) modules.push_back(m.id);
  out.flux = split_by_day(r.flux, expression, modules);
  out.balance = split_by_day(r.balance, expression, network.compounds);
  out.final_loss = r.loss.empty() ? 0.0 : r.loss.back().total;
  out.normalisation = r.normalisation_applied;
  return Result<FluxSeries>::success(std::move(out), fit.diagnostics());
}

std::vector<Diagnostic> KnockoutOptions::validate(std::size_t n_genes) const {
  Diagnostics d("knockout options");
  if (top_genes < 1 || static_cast<std::size_t>(top_genes) > n_genes)
    d.error("is " + std::to_string(top_genes) + "; must be in [1, " + std::to_string(n_genes) + "] (the genes in the data)", 0, 0, "top_genes");
  if (sets < 1 || sets > 1000) d.error("is " + std::to_string(sets) + "; must be in [1, 1000]", 0, 0, "sets");
  if (max_size < 1 || max_size > top_genes) d.error("is " + std::to_string(max_size) + "; must be in [1, top_genes]", 0, 0, "max_size");
  return d.items();
}

Result<std::vector<KnockoutSet>> draw_knockouts(const TimeSeries& expression, const KnockoutOptions& options) {
  if (auto v = options.validate(expression.n_features()); !v.empty()) return Result<std::vector<KnockoutSet>>::failure(v);
  // rank by counts pooled over every day
  std::vector<double> total(expression.n_features(), 0.0);
  for (const auto& x : expression.cells)
    for (Eigen::Index g = 0; g < x.cols(); ++g) total[static_cast<std::size_t>(g)] += x.col(g).cast<double>().sum();
  std::vector<std::size_t> order(total.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return total[a] > total[b]; });
  order.resize(static_cast<std::size_t>(options.top_genes));
  std::mt19937_64 rng(options.seed);
  std::uniform_int_distribution<int> size(1, options.max_size);
  std::vector<KnockoutSet> sets;
  for (int s = 0; s < options.sets; ++s) {
    auto pool = order;
    std::shuffle(pool.begin(), pool.end(), rng);
    pool.resize(static_cast<std::size_t>(size(rng)));
    std::sort(pool.begin(), pool.end());
    KnockoutSet set;
    set.name = "ko_" + std::to_string(s + 1);
    for (std::size_t g : pool) set.genes.push_back(expression.features[g]);
    sets.push_back(std::move(set));
  }
  return Result<std::vector<KnockoutSet>>::success(std::move(sets));
}

Result<KnockoutSeries> knockout_series(const TimeSeries& expression, const io::ScfeaNetwork& network, const std::vector<KnockoutSet>& sets,
                                       const scflux::ScfeaOptions& options, const std::function<void(std::size_t)>& on_configuration) {
  Diagnostics d("knockouts");
  std::vector<std::pair<std::string, std::set<std::size_t>>> configurations{{"all_genes", {}}};
  for (const auto& s : sets) {
    std::set<std::size_t> knocked;
    for (const auto& g : s.genes) {
      auto it = std::find(expression.features.begin(), expression.features.end(), g);
      if (it == expression.features.end()) d.error("gene '" + g + "' is not in the expression data", 0, 0, s.name);
      else knocked.insert(static_cast<std::size_t>(it - expression.features.begin()));
    }
    configurations.emplace_back(s.name, std::move(knocked));
  }
  if (d.has_errors()) return Result<KnockoutSeries>::failure(d);
  KnockoutSeries out;
  scflux::ScfeaOptions o = options;
  o.normalisation = scflux::Normalisation::log;
  for (std::size_t i = 0; i < configurations.size(); ++i) {
    if (on_configuration) on_configuration(i);
    const auto& [name, knocked] = configurations[i];
    auto fit = scflux::run_scfea(network, pooled_cells(expression, knocked), o);
    if (!fit) {
      for (auto e : fit.diagnostics()) {
        e.context = name;
        d.add(e);
      }
      continue;
    }
    std::vector<std::string> modules;
    for (const auto& m : network.modules) modules.push_back(m.id);
    TimeSeries flux = split_by_day(fit.value().flux, expression, modules), balance = split_by_day(fit.value().balance, expression, network.compounds);
    append_presence(flux, expression.features, knocked);
    append_presence(balance, expression.features, knocked);
    out.flux.push_back({name, std::move(flux)});
    out.balance.push_back({name, std::move(balance)});
  }
  if (d.has_errors()) return Result<KnockoutSeries>::failure(d);
  return Result<KnockoutSeries>::success(std::move(out));
}

scflux::ScfeaOptions SeriesFluxOptions::scfea() const {
  scflux::ScfeaOptions so;
  so.epochs = epochs;
  so.learning_rate = learning_rate;
  so.seed = seed;
  so.threads = threads;
  return so;
}

std::vector<Diagnostic> SeriesFluxOptions::validate() const { return table().check(*this, "scfea options"); }

const OptionTable<SeriesFluxOptions>& SeriesFluxOptions::table() {
  static const OptionTable<SeriesFluxOptions> t = [] {
    OptionTable<SeriesFluxOptions> t;
    t.add_nested("knockouts", &SeriesFluxOptions::knockouts, &KnockoutOptions::sets, "Knockout configurations to draw (SNODEP's Algorithm 1; 0 = none)")
        .range(0, 1000);
    t.add_nested("top-genes", &SeriesFluxOptions::knockouts, &KnockoutOptions::top_genes, "Knockouts: drawn from this many most expressed genes")
        .range(1, 100000);
    t.add_nested("max-knockout", &SeriesFluxOptions::knockouts, &KnockoutOptions::max_size, "Knockouts: genes per configuration, uniform in 1…this")
        .range(1, 100000);
    t.add_nested("knockout-seed", &SeriesFluxOptions::knockouts, &KnockoutOptions::seed, "Knockouts: random seed of the draw").nonnegative();
    t.add("epochs", &SeriesFluxOptions::epochs, "scFEA epochs").range(1, 100000);
    t.add("learning-rate", &SeriesFluxOptions::learning_rate, "scFEA's Adam learning rate").range(1e-12, 10.0);
    t.add("seed", &SeriesFluxOptions::seed, "scFEA's random seed");
    t.add("threads", &SeriesFluxOptions::threads, "Threads (0 = all cores)").range(0, 1024);
    return t;
  }();
  return t;
}

Result<std::vector<std::string>> SeriesFluxRun::write(const std::string& directory) const {
  std::vector<std::string> written;  // each series' directory (its per-day tables), then the files
  for (const auto& s : series) {
    auto w = write_time_series(s.series, directory + "/" + s.name);
    if (!w) return Result<std::vector<std::string>>::failure(w.diagnostics());
    written.push_back(directory + "/" + s.name);
  }
  auto w = io::write_output_files(directory, files);
  if (!w) return w;
  written.insert(written.end(), w.value().begin(), w.value().end());
  return Result<std::vector<std::string>>::success(std::move(written));
}

Result<SeriesFluxRun> run_series_flux(const TimeSeries& x, const io::ScfeaNetwork& network, const SeriesFluxOptions& options,
                                      const std::function<void(std::size_t)>& on_configuration) {
  DiagnosticLog log;
  SeriesFluxRun run;
  if (auto problems = options.validate(); !problems.empty()) return log.failure<SeriesFluxRun>(problems);
  const auto so = options.scfea();
  const auto& k = options.knockouts;
  if (k.sets == 0) {
    auto fs = estimate_flux_series(x, network, so);
    if (!log.take(fs)) return log.failure<SeriesFluxRun>();
    char line[256];
    std::snprintf(line, sizeof line, "%zu cells over %zu days: %zu module fluxes, %zu balances (scFEA on %s, one fit over all days, loss %.4g)\n", x.n_cells(),
                  x.days.size(), fs.value().flux.n_features(), fs.value().balance.n_features(), fs.value().normalisation.c_str(), fs.value().final_loss);
    run.summary = line;
    run.series.push_back({"flux", std::move(fs.value().flux)});
    run.series.push_back({"balance", std::move(fs.value().balance)});
  } else {
    auto sets = draw_knockouts(x, k);
    if (!log.take(sets)) return log.failure<SeriesFluxRun>();
    auto ko = knockout_series(x, network, sets.value(), so, on_configuration);
    if (!log.take(ko)) return log.failure<SeriesFluxRun>();
    std::string table = "configuration,genes_knocked_out\n";
    for (const auto& s : sets.value()) {
      table += s.name + ',';
      for (std::size_t i = 0; i < s.genes.size(); ++i) table += (i ? ";" : "") + s.genes[i];
      table += '\n';
    }
    run.summary = std::to_string(ko.value().flux.size()) + " configurations (all_genes and " + std::to_string(sets.value().size()) +
                  " knockouts of the top " + std::to_string(k.top_genes) + " expressed genes): " +
                  std::to_string(ko.value().flux.front().series.n_features()) + " flux rows and " +
                  std::to_string(ko.value().balance.front().series.n_features()) + " balance rows per cell (the last " + std::to_string(x.n_features()) +
                  " are the presence indicators)\n";
    for (std::size_t i = 0; i < ko.value().flux.size(); ++i) {
      run.series.push_back({"flux_knockout/" + ko.value().flux[i].name, std::move(ko.value().flux[i].series)});
      run.series.push_back({"balance_knockout/" + ko.value().balance[i].name, std::move(ko.value().balance[i].series)});
    }
    run.files.emplace_back("knockouts.csv", table);
  }
  run.settings.emplace_back("method", "scFEA (scfea mode) on log2(x + 1), one fit over the cells of all days pooled");
  run.settings.emplace_back("epochs", std::to_string(options.epochs));
  run.settings.emplace_back("seed", std::to_string(options.seed));
  if (k.sets > 0)
    run.settings.emplace_back("knockouts", "SNODEP Algorithm 1: " + std::to_string(k.sets) + " sets of 1…" + std::to_string(k.max_size) + " of the top " +
                                               std::to_string(k.top_genes) + " genes, seed " + std::to_string(k.seed));
  return log.success<SeriesFluxRun>(std::move(run));
}

}  // namespace fluxion::dynamics
