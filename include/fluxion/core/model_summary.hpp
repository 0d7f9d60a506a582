// ModelSummary: the numbers `fluxion model info` reports about a model and its flux space.
#pragma once

#include <string>
#include <vector>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/model.hpp"

namespace fluxion {

struct ModelSummary {
  std::string id;
  std::string name;
  std::size_t n_metabolites = 0;
  std::size_t n_balanced = 0;
  std::size_t n_reactions = 0;
  std::size_t n_genes = 0;
  std::size_t n_compartments = 0;
  long rank = 0;                      // rank of S over the reaction columns
  long n_free = 0;                    // free net fluxes = dim ker S
  long n_exchange = 0;                // exchange fluxes (reversible intracellular + leaks)
  long degrees_of_freedom = 0;        // n_free + n_exchange
  std::string null_space_method;      // "exact" or "orthogonal"
  std::vector<std::string> free_net;  // ids of the free net fluxes
  std::vector<std::string> exchange;  // ids of the exchange fluxes
  std::vector<std::string> boundary_metabolites;
  std::vector<std::string> measured;
  std::vector<std::pair<std::string, std::size_t>> atom_mapped_reactions;  // element -> count
  std::vector<std::string> objective;  // "coefficient reaction" terms
  std::vector<std::string> relations;  // linear constraints between fluxes (FluxML), as written

  // `fluxion model info`'s output: key<TAB>value lines, or a JSON object; `source` is the
  // file or built-in name the model came from.
  std::string tsv(const std::string& source) const;
  std::string json(const std::string& source) const;
};

ModelSummary summarize(const Model& model, const FluxSpace& space);

}  // namespace fluxion
