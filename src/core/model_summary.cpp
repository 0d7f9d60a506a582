#include "fluxion/core/model_summary.hpp"

#include <cstdio>

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

}  // namespace fluxion
