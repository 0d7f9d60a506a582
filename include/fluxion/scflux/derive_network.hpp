// scFEA module networks derived from any metabolic model with GPR rules (SBML, COBRA JSON,
// FluxML …), so that users are not limited to the curated networks.
//
// The scFLUX paper's definition: a module is a chain of reactions with one input end and one
// output end and no branch from its intermediates. Here:
//   1. Currency metabolites leave the graph: a built-in list of cofactors and ions (h, h2o,
//      atp, adp, amp, nad(h), nadp(h), co2, pi, ppi, o2, nh4, coa, fad(h2), gtp, gdp, …; BiGG
//      ids, any compartment) and every metabolite in more than `max_degree` reactions.
//   2. Exchange, demand and sink reactions (non-currency participants on one side only) and
//      the objective (biomass) leave too. Reactions keep their written direction.
//   3. Reactions r1 and r2 are chained through metabolite m when m is r1's only product,
//      r2's only substrate, and no other reaction makes or uses m. Maximal chains are the
//      modules; their genes the union of their reactions' GPR genes (gene names where the
//      model has them, else ids); modules without genes are left out (as scFEA's files
//      leave them out).
//   4. Intermediates are the metabolites some module makes and some module uses: +1 for the
//      modules whose output they are, −1 for those whose input they are. Subsystems become
//      super-modules (for --mode paper).
#pragma once

#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/io/scfea_network.hpp"

namespace fluxion::scflux {

struct DeriveOptions {
  std::size_t max_degree = 40;        // a metabolite in more reactions is currency
  std::vector<std::string> currency;  // extra currency metabolites (ids, with or without compartment)
  bool gene_ids = false;              // genes by id, not by name

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
};

struct DerivedNetwork {
  io::ScfeaNetwork network;
  std::vector<std::vector<std::string>> reactions;  // per module, its chain of reaction ids
  std::vector<std::string> currency;                // the metabolites left out as currency
  std::size_t modules_without_genes = 0;            // chains left out
};

Result<DerivedNetwork> derive_network(const Model& model, const DeriveOptions& options = {});

}  // namespace fluxion::scflux
