// `fluxion fba` as one call: FBA or pFBA with cobrapy's semantics, optionally FVA, on a model
// with a bounds table, an objective and knockouts applied; the files it writes and what it
// says. The CLI, the web workers and notebooks get the same tables.
//
//   cbm::FbaRequest q;
//   q.fva = true;
//   q.knockout_genes = {"b1723"};
//   auto run = cbm::run_fba(model, q);
//   if (run && run.value().optimal()) io::write_output_files("out", run.value().files());
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "fluxion/cbm/fba.hpp"
#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/core/options.hpp"

namespace fluxion::cbm {

struct FbaRequest {
  std::string set_bounds;  // a bounds table applied to the model first (io/bounds_table.hpp)
  std::string objective;   // a reaction to maximise instead of the model's objective
  bool pfba = false, fva = false, loopless = false;
  double fraction = 1.0;  // of the optimum, kept by FVA and pFBA
  std::vector<std::string> knockouts, knockout_genes;
  int threads = 0;  // FVA's (0 = all cores)

  static const OptionTable<FbaRequest>& table();
};

struct FbaRun {
  FbaSolution solution;
  FvaResult variability;  // with fva
  std::vector<std::string> reaction_ids;
  std::vector<double> net;                // per reaction, solver noise below 1e-12 as 0
  std::vector<std::string> gene_blocked;  // reactions the gene knockouts block
  std::size_t n_reactions = 0, n_balanced = 0;
  long fva_not_optimal = 0;
  double load_seconds = 0, fba_seconds = 0, fva_seconds = 0;

  bool optimal() const { return solution.status == LpStatus::optimal; }
  std::string failure() const;  // "the FBA problem is infeasible: …"; "" when optimal
  std::string fluxes_tsv() const;  // reaction, net
  std::string fva_tsv() const;     // reaction, minimum, maximum, status
  std::vector<std::pair<std::string, std::string>> files() const;  // fluxes.tsv, and fva.tsv with FVA
  std::vector<std::pair<std::string, std::string>> settings() const;  // for run_info.json
  std::string summary() const;  // the objective, and the FVA's counts
  std::string table() const;    // the fluxes aligned, with the FVA ranges when there are any

  FbaRequest request;
};

// Errors: a bounds table that does not fit the model, an objective or a knockout that names
// no reaction or gene of it, a model the LP cannot be built for. A solve that is not optimal
// is not an error: optimal() is false and failure() says why.
Result<FbaRun> run_fba(Model model, const FbaRequest& request);

}  // namespace fluxion::cbm
