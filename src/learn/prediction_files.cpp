// A prediction's output files (PredictorPackage::result_files): the tables and the JSON that
// `fluxion predict` writes, made here so that every front end writes the same bytes.
#include <nlohmann/json.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "fluxion/core/format.hpp"
#include "fluxion/io/flux_table.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/learn/predictor_package.hpp"

namespace fluxion::learn {

namespace {

std::string number_or_na(double v) { return std::isfinite(v) ? format_number(v) : std::string("NA"); }
nlohmann::json json_number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace

std::string imputers_used(const PredictionReport& report) {
  std::set<std::string> used;
  for (const auto& r : report.replicates)
    if (r.imputer != "none") used.insert(r.imputer);
  std::string out = used.empty() ? std::string("none") : "";
  for (const auto& u : used) out += (out.empty() ? "" : " and ") + u;
  return out;
}

std::vector<std::pair<std::string, std::string>> PredictorPackage::result_files(const std::vector<Observation>& obs, const PredictionReport& rep,
                                                                                 const PredictOptions& options) const {
  const FluxSpace& fs = space();
  const auto& ids = fs.column_ids();
  const auto& free = expansion().free_columns();
  const sampling::MidLayout& l = layout();

  // fluxes: the prediction's columns are the free net fluxes' full net, then exchange
  const Eigen::Index n_net = fs.n_reactions();
  const auto& xcols = fs.exchange_columns();
  std::vector<Eigen::Index> xch_of(static_cast<std::size_t>(fs.n_columns()), -1);
  for (std::size_t i = 0; i < xcols.size(); ++i) xch_of[static_cast<std::size_t>(xcols[i])] = n_net + static_cast<Eigen::Index>(i);
  std::vector<io::FluxResultColumn> columns{{"net", {}}, {"exchange", {}}, {"net_se", {}}, {"exchange_se", {}}, {"net_sd", {}}, {"exchange_sd", {}}};
  nlohmann::json jfluxes = nlohmann::json::array();
  for (Eigen::Index c = 0; c < fs.n_columns(); ++c) {
    const bool has_net = c < n_net;
    const Eigen::Index x = xch_of[static_cast<std::size_t>(c)];
    const double net = has_net ? rep.mean(c) : 0.0, xch = x >= 0 ? rep.mean(x) : 0.0;
    const double se_net = has_net ? rep.se(c) : 0.0, se_x = x >= 0 ? rep.se(x) : 0.0;
    const double sd_net = has_net ? rep.sd(c) : 0.0, sd_x = x >= 0 ? rep.sd(x) : 0.0;
    const double row[] = {net, xch, se_net, se_x, sd_net, sd_x};
    for (std::size_t k = 0; k < columns.size(); ++k) columns[k].values.push_back(row[k]);
    const std::string id = ids[static_cast<std::size_t>(c)];
    jfluxes.push_back({{"reaction", id},
                       {"net", net},
                       {"exchange", xch},
                       {"net_se", json_number(se_net)},
                       {"exchange_se", json_number(se_x)},
                       {"net_sd", sd_net},
                       {"exchange_sd", sd_x},
                       {"free", std::find(free.begin(), free.end(), (has_net ? "net:" : "xch:") + id) != free.end()}});
  }
  std::string fluxes = io::write_flux_results(ids, columns);

  std::string dg = "reaction\tdelta_g_kj_per_mol\tse\tsd\n";
  nlohmann::json jdg = nlohmann::json::array();
  for (std::size_t j = 0; j < rep.dg_reactions.size(); ++j) {
    const auto i = static_cast<Eigen::Index>(j);
    dg += rep.dg_reactions[j] + '\t' + number_or_na(rep.dg_mean(i)) + '\t' + number_or_na(rep.dg_se(i)) + '\t' + number_or_na(rep.dg_sd(i)) + '\n';
    jdg.push_back({{"reaction", rep.dg_reactions[j]}, {"delta_g", json_number(rep.dg_mean(i))}, {"se", json_number(rep.dg_se(i))}, {"sd", json_number(rep.dg_sd(i))}});
  }

  // pool sizes of a time-course predictor: the columns after the fluxes
  const Eigen::Index n_pools = expansion().n_pools(), first_pool = static_cast<Eigen::Index>(rep.columns.size()) - n_pools;
  std::string pools = "metabolite\tsize\tse\tsd\n";
  nlohmann::json jpools = nlohmann::json::array();
  for (Eigen::Index j = first_pool; j < first_pool + n_pools; ++j) {
    const std::string id = rep.columns[static_cast<std::size_t>(j)].substr(5);  // "pool:"
    pools += id + '\t' + format_number(rep.mean(j)) + '\t' + number_or_na(rep.se(j)) + '\t' + format_number(rep.sd(j)) + '\n';
    jpools.push_back({{"metabolite", id}, {"size", rep.mean(j)}, {"se", json_number(rep.se(j))}, {"sd", rep.sd(j)}});
  }

  // MIDs: measured (mean over replicates), what the network saw, simulated at the mean fluxes
  // (a time course: each experiment's block at a time, the time in its own column)
  const bool timed = !l.times.empty();
  std::string mids = std::string("experiment\t") + (timed ? "time\t" : "") + "metabolite\telement\tisotopologue\tmeasured\tsd\tinput\tsimulated\tstatus\n";
  nlohmann::json jmids = nlohmann::json::array();
  for (std::size_t f = 0; f < l.fields.size(); ++f)
    for (std::size_t x = 0; x < l.experiments.size(); ++x)
      for (int q = 0; q < l.fields[f].isotopologues; ++q) {
        const auto i = static_cast<Eigen::Index>(l.index(f, x, q));
        double measured = 0, input = 0, sd = NAN;
        int count = 0;
        for (std::size_t r = 0; r < obs.size(); ++r) {
          input += rep.replicates[r].inputs(i) / static_cast<double>(obs.size());
          if (!obs[r].known[static_cast<std::size_t>(i)]) continue;
          measured += obs[r].values(i);
          if (!std::isnan(obs[r].sd(i))) sd = obs[r].sd(i);
          ++count;
        }
        const bool was_measured = count > 0;
        if (was_measured) measured /= count;
        const double simulated = rep.fit ? rep.fit->simulated(i) : NAN;
        const std::string el(element_symbol(l.fields[f].element));
        const std::string experiment = timed ? l.experiments[x].substr(0, l.experiments[x].rfind('@')) : l.experiments[x];
        const std::string time = timed ? format_number(l.times[x % l.times.size()]) : std::string();
        mids += experiment + '\t' + (timed ? time + '\t' : std::string()) + l.fields[f].metabolite + '\t' + el + '\t' + std::to_string(q) + '\t' +
                (was_measured ? format_number(measured) : std::string("NA")) + '\t' + number_or_na(sd) + '\t' + format_number(input) + '\t' +
                number_or_na(simulated) + '\t' + (was_measured ? "measured" : "imputed") + '\n';
        jmids.push_back({{"experiment", experiment},
                         {"metabolite", l.fields[f].metabolite},
                         {"element", el},
                         {"isotopologue", q},
                         {"measured", was_measured ? json_number(measured) : nlohmann::json(nullptr)},
                         {"input", input},
                         {"simulated", json_number(simulated)}});
        if (timed) jmids.back()["time"] = l.times[x % l.times.size()];
      }

  std::string replicates = "replicate\tmasked_fraction\tdelta_n\terror_table\tflux\tvalue\n";
  nlohmann::json jrep = nlohmann::json::array();
  for (const auto& r : rep.replicates) {
    const std::string level = r.level ? r.level->imputer + ":" + format_number(r.level->masked_from) + "-" + format_number(r.level->masked_to) : "NA";
    nlohmann::json values = nlohmann::json::object();
    for (std::size_t j = 0; j < rep.columns.size(); ++j) {
      replicates += (r.replicate.empty() ? std::string("-") : r.replicate) + '\t' + format_number(r.masked) + '\t' + format_number(r.delta_n) + '\t' +
                    level + '\t' + rep.columns[j] + '\t' + format_number(r.full(static_cast<Eigen::Index>(j))) + '\n';
      values[rep.columns[j]] = r.full(static_cast<Eigen::Index>(j));
    }
    jrep.push_back({{"replicate", r.replicate}, {"masked_fraction", r.masked}, {"delta_n", r.delta_n}, {"imputer", r.imputer}, {"error_table", level}, {"fluxes", values}});
  }

  nlohmann::json jfit = nullptr;
  if (rep.fit)
    jfit = {{"ssr", rep.fit->ssr},
            {"measurements", rep.fit->measurements},
            {"parameters", rep.fit->parameters},
            {"dof", rep.fit->dof},
            {"chi2_critical_0.95", rep.fit->critical},
            {"p_value", rep.fit->p_value},
            {"accepted", rep.fit->accepted},
            {"mid_sd_default", options.default_mid_sd}};
  nlohmann::json out = {{"predictor", {{"file", path()}, {"sha256", io::sha256_file(path())}, {"model", model().id}, {"networks", predictor().members()}}},
                              {"imputer", imputers_used(rep)},
                              {"imputer_option", options.imputer},
                              {"temperature", options.temperature},
                              {"fluxes", jfluxes},
                              {"delta_g", jdg},
                              {"replicates", jrep},
                              {"goodness_of_fit", jfit},
                              {"mids", jmids}};
  if (n_pools > 0) out["pools"] = jpools;  // time-course predictors (steady-state files stay as they were)
  std::vector<std::pair<std::string, std::string>> files{{"fluxes.tsv", std::move(fluxes)},
                                                         {"delta_g.tsv", std::move(dg)},
                                                         {"mids.tsv", std::move(mids)},
                                                         {"replicates.tsv", std::move(replicates)},
                                                         {"prediction.json", out.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"}};
  if (n_pools > 0) files.insert(files.begin() + 2, {"pools.tsv", std::move(pools)});
  return files;
}

Result<std::vector<std::string>> PredictorPackage::write_results(const std::string& directory, const std::vector<Observation>& observations,
                                                                 const PredictionReport& report, const PredictOptions& options) const {
  return io::write_output_files(directory, result_files(observations, report, options));
}

namespace {

// value ± se, aligned for the table
std::string plus_minus(double v, double se) {
  char buf[64];
  if (!std::isfinite(v)) return "NA";
  if (std::isfinite(se)) std::snprintf(buf, sizeof buf, "%10.4g ± %-9.3g", v, se);
  else std::snprintf(buf, sizeof buf, "%10.4g", v);
  return buf;
}

}  // namespace

std::string PredictorPackage::result_table(const PredictionReport& rep) const {
  const FluxSpace& sp = space();
  const auto& ids = sp.column_ids();
  const double masked = rep.replicates.front().masked;
  std::string out = "fluxes (" + model().id + ", " + std::to_string(rep.replicates.size()) + " replicate(s), " +
                    (masked > 0 ? format_number(std::round(1000 * masked) / 10) + " % of MID fractions imputed by " + imputers_used(rep)
                                : std::string("every MID measured")) +
                    ")\n";
  char line[512];
  std::snprintf(line, sizeof line, "%-16s %-22s %-22s %s\n", "reaction", "net ± se", "exchange ± se", "ΔG kJ/mol ± se");
  out += line;
  // the report's columns: every net flux, then the exchange fluxes of the space's exchange columns
  const Eigen::Index n_net = sp.n_reactions();
  std::vector<Eigen::Index> xch_of(static_cast<std::size_t>(sp.n_columns()), -1);
  for (std::size_t i = 0; i < sp.exchange_columns().size(); ++i) xch_of[static_cast<std::size_t>(sp.exchange_columns()[i])] = n_net + static_cast<Eigen::Index>(i);
  for (Eigen::Index c = 0; c < n_net; ++c) {
    const Eigen::Index x = xch_of[static_cast<std::size_t>(c)];
    std::string g;
    for (std::size_t j = 0; j < rep.dg_reactions.size(); ++j)
      if (rep.dg_reactions[j] == ids[static_cast<std::size_t>(c)]) g = plus_minus(rep.dg_mean(static_cast<Eigen::Index>(j)), rep.dg_se(static_cast<Eigen::Index>(j)));
    std::snprintf(line, sizeof line, "%-16s %-22s %-22s %s\n", ids[static_cast<std::size_t>(c)].c_str(), plus_minus(rep.mean(c), rep.se(c)).c_str(),
                  x >= 0 ? plus_minus(rep.mean(x), rep.se(x)).c_str() : "", g.c_str());
    out += line;
  }
  const Eigen::Index n_pools = expansion().n_pools();
  if (n_pools > 0) {
    std::snprintf(line, sizeof line, "\n%-16s %-22s\n", "pool", "size ± se");
    out += line;
    for (Eigen::Index j = static_cast<Eigen::Index>(rep.columns.size()) - n_pools; j < static_cast<Eigen::Index>(rep.columns.size()); ++j) {
      std::snprintf(line, sizeof line, "%-16s %-22s\n", rep.columns[static_cast<std::size_t>(j)].substr(5).c_str(), plus_minus(rep.mean(j), rep.se(j)).c_str());
      out += line;
    }
  }
  if (rep.fit) {
    std::snprintf(line, sizeof line,
                  "\nMIDs of the predicted fluxes against the measured: SSR %.4g, %ld measurements, %ld %s, χ² 0.95 critical %.4g (dof %ld): %s (p = %.3g)\n",
                  rep.fit->ssr, rep.fit->measurements, rep.fit->parameters, n_pools > 0 ? "free fluxes and pools" : "free fluxes", rep.fit->critical, rep.fit->dof, rep.fit->accepted ? "consistent" : "NOT consistent",
                  rep.fit->p_value);
    out += line;
  }
  return out;
}

}  // namespace fluxion::learn
