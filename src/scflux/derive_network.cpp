#include "fluxion/scflux/derive_network.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace fluxion::scflux {

namespace {

// BiGG base ids of cofactors, carriers and inorganic ions
const std::unordered_set<std::string> kCurrency{
    "h",    "h2o",  "atp",  "adp",   "amp",   "nad",   "nadh",  "nadp",  "nadph", "co2",  "pi",   "ppi",  "o2",   "nh4",
    "coa",  "fad",  "fadh2", "gtp",  "gdp",   "gmp",   "utp",   "udp",   "ump",   "ctp",  "cdp",  "cmp",  "h2o2", "na1",
    "k",    "cl",   "so4",  "hco3",  "q8",    "q8h2",  "mqn8",  "mql8",  "2dmmq8", "2dmmql8", "fe2", "fe3", "ca2",  "mg2",
    "zn2",  "cu2",  "mn2",  "cobalt2", "h2s", "no",   "o2s",   "itp",   "idp",   "dttp",  "dtdp", "datp", "dadp", "dgtp",
    "dgdp", "dctp", "dcdp", "fmn",   "fmnh2", "thf",  "10fthf", "mlthf", "5mthf", "trdox", "trdrd", "gthox", "gthrd", "ficytc",
    "focytc", "q10", "q10h2", "acp", "pppi",  "so3",  "no2",   "no3",   "co",    "hco3"};

std::string base_id(const Metabolite& m) {
  std::string id = m.id;
  if (!m.compartment.empty() && id.size() > m.compartment.size() + 1 && id.compare(id.size() - m.compartment.size() - 1, std::string::npos, "_" + m.compartment) == 0)
    id.resize(id.size() - m.compartment.size() - 1);
  if (id.rfind("M_", 0) == 0) id = id.substr(2);
  return id;
}

}  // namespace

std::vector<Diagnostic> DeriveOptions::validate() const {
  Diagnostics d("network derivation options");
  if (max_degree < 1) d.error("must be at least 1", 0, 0, "max-degree");
  return d.items();
}

Result<DerivedNetwork> derive_network(const Model& model, const DeriveOptions& options) {
  if (auto problems = options.validate(); !problems.empty()) return Result<DerivedNetwork>::failure(problems);
  Diagnostics d(model.id.empty() ? "model" : model.id);
  const std::size_t n_met = model.metabolites.size(), n_rxn = model.reactions.size();
  std::unordered_set<std::string> extra(options.currency.begin(), options.currency.end());
  // degree of each metabolite over all reactions
  std::vector<std::size_t> degree(n_met, 0);
  for (const auto& r : model.reactions) {
    std::set<std::size_t> seen;
    for (const auto& p : r.reactants) seen.insert(p.metabolite);
    for (const auto& p : r.products) seen.insert(p.metabolite);
    for (auto m : seen) ++degree[m];
  }
  std::vector<char> currency(n_met, 0);
  DerivedNetwork out;
  for (std::size_t m = 0; m < n_met; ++m) {
    const auto& met = model.metabolites[m];
    const std::string base = base_id(met);
    currency[m] = kCurrency.count(base) || extra.count(base) || extra.count(met.id) || degree[m] > options.max_degree;
    if (currency[m]) out.currency.push_back(met.id);
  }
  // the reactions that take part, with their non-currency substrates and products
  std::vector<std::vector<std::size_t>> in(n_rxn), outp(n_rxn);
  std::vector<char> active(n_rxn, 0);
  for (std::size_t r = 0; r < n_rxn; ++r) {
    const auto& rx = model.reactions[r];
    if (rx.objective_coefficient != 0.0) continue;
    for (const auto& p : rx.reactants)
      if (!currency[p.metabolite] && !model.metabolites[p.metabolite].boundary) in[r].push_back(p.metabolite);
    for (const auto& p : rx.products)
      if (!currency[p.metabolite] && !model.metabolites[p.metabolite].boundary) outp[r].push_back(p.metabolite);
    std::sort(in[r].begin(), in[r].end());
    in[r].erase(std::unique(in[r].begin(), in[r].end()), in[r].end());
    std::sort(outp[r].begin(), outp[r].end());
    outp[r].erase(std::unique(outp[r].begin(), outp[r].end()), outp[r].end());
    active[r] = !in[r].empty() && !outp[r].empty() && in[r] != outp[r];
  }
  // every reaction that touches a metabolite counts for branching (an exchange that takes
  // pyruvate out of the system is a branch), though only active ones become modules
  std::vector<std::vector<std::size_t>> producers(n_met), consumers(n_met);
  for (std::size_t r = 0; r < n_rxn; ++r) {
    for (auto m : outp[r]) producers[m].push_back(r);
    for (auto m : in[r]) consumers[m].push_back(r);
  }
  // chain links r1 → m → r2
  std::vector<std::ptrdiff_t> next(n_rxn, -1), prev(n_rxn, -1);
  for (std::size_t m = 0; m < n_met; ++m) {
    if (producers[m].size() != 1 || consumers[m].size() != 1) continue;
    const auto r1 = producers[m][0], r2 = consumers[m][0];
    if (r1 == r2 || !active[r1] || !active[r2] || outp[r1].size() != 1 || in[r2].size() != 1) continue;
    next[r1] = static_cast<std::ptrdiff_t>(r2);
    prev[r2] = static_cast<std::ptrdiff_t>(r1);
  }
  std::vector<char> used(n_rxn, 0);
  std::vector<std::vector<std::size_t>> chains;
  auto walk = [&](std::size_t start) {
    std::vector<std::size_t> chain;
    for (std::ptrdiff_t r = static_cast<std::ptrdiff_t>(start); r >= 0 && !used[static_cast<std::size_t>(r)]; r = next[static_cast<std::size_t>(r)]) {
      used[static_cast<std::size_t>(r)] = 1;
      chain.push_back(static_cast<std::size_t>(r));
    }
    chains.push_back(std::move(chain));
  };
  for (std::size_t r = 0; r < n_rxn; ++r)
    if (active[r] && prev[r] < 0) walk(r);
  for (std::size_t r = 0; r < n_rxn; ++r)  // closed cycles of chained reactions
    if (active[r] && !used[r]) walk(r);

  // modules: genes, inputs, outputs
  std::unordered_map<std::string, std::string> gene_name;
  for (const auto& g : model.genes) gene_name[g.id] = options.gene_ids || g.name.empty() ? g.id : g.name;
  std::map<std::string, int> subsystem_index;
  struct Draft {
    io::ScfeaModule module;
    std::vector<std::size_t> inputs, outputs;
    std::vector<std::string> reactions;
  };
  std::vector<Draft> drafts;
  // one label per metabolite, the same in module information and balance columns
  auto name_of = [&](std::size_t m) {
    const auto& met = model.metabolites[m];
    return met.name.empty() ? met.id : met.name + (met.compartment.empty() ? "" : " [" + met.compartment + "]");
  };
  for (const auto& chain : chains) {
    Draft dr;
    std::set<std::string> genes;
    for (auto r : chain) {
      dr.reactions.push_back(model.reactions[r].id);
      if (model.reactions[r].gpr.empty()) continue;
      auto g = gpr_genes(model.reactions[r].gpr);
      if (!g) {
        d.warning("reaction '" + model.reactions[r].id + "': its GPR rule cannot be read; its genes are left out");
        continue;
      }
      for (const auto& id : g.value()) {
        auto it = gene_name.find(id);
        genes.insert(it != gene_name.end() ? it->second : id);
      }
    }
    if (genes.empty()) {
      ++out.modules_without_genes;
      continue;
    }
    dr.module.genes.assign(genes.begin(), genes.end());
    dr.inputs = in[chain.front()];
    dr.outputs = outp[chain.back()];
    const auto& sub = model.reactions[chain.front()].subsystem;
    if (!sub.empty()) dr.module.supermodule = subsystem_index.emplace(sub, static_cast<int>(subsystem_index.size()) + 1).first->second;
    for (auto m : dr.inputs) dr.module.inputs.push_back(name_of(m));
    for (auto m : dr.outputs) dr.module.outputs.push_back(name_of(m));
    dr.module.name = chain.size() == 1 ? dr.reactions[0]
                     : chain.size() <= 3 ? [&] {
                         std::string s;
                         for (const auto& r : dr.reactions) s += (s.empty() ? "" : "+") + r;
                         return s;
                       }()
                                         : dr.reactions.front() + "+…+" + dr.reactions.back() + " (" + std::to_string(chain.size()) + " reactions)";
    drafts.push_back(std::move(dr));
  }
  if (drafts.empty()) {
    d.error("no module with genes: the model has no GPR rules, or no reaction chains once currency metabolites are left out");
    return Result<DerivedNetwork>::failure(d);
  }
  // intermediates: made by some module and used by some module
  std::vector<int> made(n_met, 0), taken(n_met, 0);
  for (const auto& dr : drafts) {
    for (auto m : dr.outputs) ++made[m];
    for (auto m : dr.inputs) ++taken[m];
  }
  std::vector<std::size_t> intermediates;
  for (std::size_t m = 0; m < n_met; ++m)
    if (made[m] && taken[m]) intermediates.push_back(m);
  io::ScfeaNetwork& net = out.network;
  net.name = model.id.empty() ? "derived" : model.id;
  net.matrix = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(intermediates.size()), static_cast<Eigen::Index>(drafts.size()));
  std::unordered_map<std::size_t, Eigen::Index> row;
  for (std::size_t k = 0; k < intermediates.size(); ++k) {
    row[intermediates[k]] = static_cast<Eigen::Index>(k);
    net.compounds.push_back(name_of(intermediates[k]));
    net.compound_ids.push_back(model.metabolites[intermediates[k]].id);
  }
  for (std::size_t j = 0; j < drafts.size(); ++j) {
    auto& dr = drafts[j];
    dr.module.id = "M_" + std::to_string(j + 1);
    for (auto m : dr.outputs)
      if (auto it = row.find(m); it != row.end()) net.matrix(it->second, static_cast<Eigen::Index>(j)) += 1.0;
    for (auto m : dr.inputs)
      if (auto it = row.find(m); it != row.end()) net.matrix(it->second, static_cast<Eigen::Index>(j)) -= 1.0;
    net.modules.push_back(std::move(dr.module));
    out.reactions.push_back(std::move(dr.reactions));
  }
  net.sources = {"derived from model '" + net.name + "'"};
  return Result<DerivedNetwork>::success(std::move(out), d.items());
}

}  // namespace fluxion::scflux
