#include "fluxion/core/model_summary.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fluxion {

ModelSummary summarize(const Model& model, const FluxSpace& space) {
  ModelSummary s;
  s.id = model.id;
  s.name = model.name;
  s.n_metabolites = model.metabolites.size();
  s.n_balanced = space.balanced_metabolites().size();
  s.n_reactions = model.reactions.size();
  s.n_genes = model.genes.size();
  s.n_compartments = model.compartments.size();
  s.rank = static_cast<long>(space.rank());
  s.n_free = static_cast<long>(space.n_free_net());
  s.n_exchange = static_cast<long>(space.n_exchange());
  s.degrees_of_freedom = s.n_free + s.n_exchange;
  for (const auto& r : model.relations) s.relations.push_back(r.expression);
  s.null_space_method = std::string(to_string(space.method()));
  s.free_net = space.free_net_ids();
  s.exchange = space.exchange_ids();
  for (auto i : space.boundary_metabolites()) s.boundary_metabolites.push_back(model.metabolites[i].id);
  s.measured = model.measured;
  for (Element e : kElements)
    if (auto n = model.atom_mapped_reactions(e)) s.atom_mapped_reactions.emplace_back(std::string(element_symbol(e)), n);
  for (const auto& r : model.reactions) {
    if (r.objective_coefficient == 0.0) continue;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", r.objective_coefficient);
    s.objective.push_back(std::string(buf) + " " + r.id);
  }
  return s;
}

namespace {

std::string join(const std::vector<std::string>& v, const char* sep = ",") {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

}  // namespace

std::string ModelSummary::tsv(const std::string& source) const {
  std::ostringstream out;
  out << "key\tvalue\n";
  out << "model\t" << id << "\n";
  out << "source\t" << source << "\n";
  out << "n_metabolites\t" << n_metabolites << "\n";
  out << "n_balanced\t" << n_balanced << "\n";
  out << "n_reactions\t" << n_reactions << "\n";
  out << "n_genes\t" << n_genes << "\n";
  out << "rank\t" << rank << "\n";
  out << "n_free\t" << n_free << "\n";
  out << "n_exchange\t" << n_exchange << "\n";
  out << "degrees_of_freedom\t" << degrees_of_freedom << "\n";
  out << "null_space_method\t" << null_space_method << "\n";
  out << "free_net\t" << join(free_net) << "\n";
  out << "exchange\t" << join(exchange) << "\n";
  out << "boundary_metabolites\t" << join(boundary_metabolites) << "\n";
  out << "measured\t" << join(measured) << "\n";
  for (const auto& [e, n] : atom_mapped_reactions) out << "atom_mapped_reactions_" << e << "\t" << n << "\n";
  out << "objective\t" << join(objective, " + ") << "\n";
  out << "relations\t" << join(relations, "; ") << "\n";
  return out.str();
}

std::string ModelSummary::json(const std::string& source) const {
  nlohmann::json j = {{"model", id},
                      {"name", name},
                      {"source", source},
                      {"n_metabolites", n_metabolites},
                      {"n_balanced", n_balanced},
                      {"n_reactions", n_reactions},
                      {"n_genes", n_genes},
                      {"rank", rank},
                      {"n_free", n_free},
                      {"n_exchange", n_exchange},
                      {"degrees_of_freedom", degrees_of_freedom},
                      {"null_space_method", null_space_method},
                      {"free_net", free_net},
                      {"exchange", exchange},
                      {"boundary_metabolites", boundary_metabolites},
                      {"measured", measured},
                      {"objective", objective},
                      {"relations", relations}};
  nlohmann::json mapped = nlohmann::json::object();
  for (const auto& [e, n] : atom_mapped_reactions) mapped[e] = n;
  j["atom_mapped_reactions"] = mapped;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace fluxion
