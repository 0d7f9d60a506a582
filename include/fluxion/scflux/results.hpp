// scFEA's inputs and outputs around run_scfea: the network from whichever source the user
// names, and the output files (flux, balance, the network as written, loss curve, group
// tests) as `fluxion scflux -o DIR` writes them, so that every front end writes the same.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/io/scfea_network.hpp"
#include "fluxion/scflux/derive_network.hpp"
#include "fluxion/scflux/groups.hpp"
#include "fluxion/scflux/scfea.hpp"

namespace fluxion::scflux {

// Exactly one of: a model to derive the network from, a network directory, or the
// module-genes and stoichiometry files (with the optional compound names and module info).
struct NetworkSource {
  std::string model;
  DeriveOptions derive;
  std::string directory;
  io::ScfeaNetworkFiles files;
};

struct LoadedNetwork {
  io::ScfeaNetwork network;
  std::string description;  // a derived network: what was derived (modules, chains, currency); else empty
};

// Errors name the option of the source that is missing or given twice (--model, --network,
// --module-genes), or the file that is wrong.
Result<LoadedNetwork> load_network(const NetworkSource& source);

// Output files, by name, in the order they are written: flux.csv and balance.csv (modules
// or compounds as rows when `modules_as_rows`, else samples as rows), module_info.csv,
// modules.gmt, cmMat.csv, cName.csv, genes_per_module.tsv, loss.csv and loss.svg.
// `with_matrices` false: without flux.csv and balance.csv, for a caller that streams them to
// disk with write_result_matrices (at a million cells they are gigabytes of text).
std::vector<std::pair<std::string, std::string>> result_files(const io::ScfeaNetwork& network, const std::vector<std::string>& samples,
                                                              const ScfeaResult& result, const ScfeaOptions& options, bool modules_as_rows,
                                                              bool with_matrices = true);
// flux.csv and balance.csv written into `directory` row by row, the same bytes as
// result_files gives them; each written beside its name and renamed when complete. Their paths.
Result<std::vector<std::string>> write_result_matrices(const std::string& directory, const io::ScfeaNetwork& network, const std::vector<std::string>& samples,
                                                       const ScfeaResult& result, bool modules_as_rows);
// The group comparison drawn (SVG): a heat map of the modules that differ most (at most
// `max_rows`; per group its rank-biserial effect against the other cells, q < 0.05 marked;
// the group means in each cell's tooltip), and a volcano
// plot of every (group, module) test (rank-biserial effect against −log10 q).
std::string group_heatmap(const io::ScfeaNetwork& network, const GroupComparison& comparison, std::size_t max_rows = 40);
std::string group_volcano(const io::ScfeaNetwork& network, const GroupComparison& comparison);
// groups_modules.csv, groups_balance.csv, groups_heatmap.svg and groups_volcano.svg of a group comparison.
std::vector<std::pair<std::string, std::string>> group_files(const io::ScfeaNetwork& network, const GroupComparison& comparison);
// One line: the groups, the (group, module) pairs that differ at q < 0.05, and the
// (group, compound) pairs accumulated and depleted.
std::string group_summary(const GroupComparison& comparison);

}  // namespace fluxion::scflux
