// `fluxion scflux` as calls: the inputs read from what the command takes (an expression
// matrix, a network from files, a directory or a model, cell groups), then scFEA with the
// files, run_info settings and summary every front end shares.
//
//   scflux::ScfluxRequest q;
//   q.expression = "cells.h5ad";
//   q.model = "e_coli_core.xml";
//   auto in = scflux::load_scflux_inputs(q);
//   auto run = scflux::run_scflux(in.value(), q, scflux::ScfeaOptions{});
//   io::write_output_files("out", run.value().files);
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/io/cell_matrix.hpp"
#include "fluxion/io/h5ad_writer.hpp"
#include "fluxion/scflux/results.hpp"
#include "fluxion/scflux/scfea.hpp"

namespace fluxion::scflux {

struct ScfluxRequest {
  std::string expression;  // genes × samples table, 10x directory or .h5, AnnData .h5ad
  bool genes_as_columns = false;
  std::string layer, gene_column, gene_map;  // io::CellMatrixOptions
  // the network: a directory, a model to derive it from, or its files
  std::string network, model;
  std::size_t max_degree = 40;
  std::vector<std::string> currency;
  std::string module_genes, stoichiometry, compound_names, module_info;
  std::string groups;  // cell, group labels
  std::string orientation = "modules-by-samples";  // of flux.csv and balance.csv; or samples-by-modules
  static const OptionTable<ScfluxRequest>& table();
};

struct ScfluxInputs {
  LoadedNetwork network;
  io::CellMatrix cells;
  std::vector<std::string> labels;  // per cell, with groups
};
// `network_genes_only`: read only the network's genes (a CSR .h5ad or 10x .h5 in blocks of
// cells, so that an atlas is never held whole), with the others' per-cell totals kept for
// the normalisation and scFEA's total activity (io::OtherGenes): the same results in a
// fraction of the memory. Not with MAGIC imputation, which needs every gene.
Result<ScfluxInputs> load_scflux_inputs(const ScfluxRequest& request, bool network_genes_only = false);
// The network's genes, sorted, once each (io::CellMatrixOptions::only_genes); {""} when it has none.
std::vector<std::string> network_genes(const io::ScfeaNetwork& network);
// Where the request's network comes from (a directory, a model, or scFEA's files): for a front
// end that hands over the cells itself (Python's AnnData) and loads only the network.
NetworkSource network_source(const ScfluxRequest& request);

struct ScfluxRun {
  ScfeaResult result;
  std::vector<std::pair<std::string, std::string>> files;     // flux.csv, balance.csv, … and the group tables
  std::vector<std::pair<std::string, std::string>> settings;  // for run_info.json
  std::string summary;                                        // what the command prints
  GroupComparison groups;                                     // with cell groups: the tests (else empty)
};
// `options.progress` is called as in run_scfea.
// `matrices_in_files` false: `files` leaves out flux.csv and balance.csv (the caller writes
// them with write_result_matrices).
Result<ScfluxRun> run_scflux(const ScfluxInputs& inputs, const ScfluxRequest& request, const ScfeaOptions& options, bool matrices_in_files = true);

// The results as fluxion's Python `scflux` puts them into an AnnData, for a copy of an .h5ad
// input (`--output-h5ad`, io::write_h5ad_copy): obsm scflux_flux (cells × modules) and
// scflux_balance (cells × compounds), uns scflux {modules, compounds, summary, termination,
// with groups groups_modules and groups_balance, provenance (with `command`)}.
io::H5adAdditions h5ad_additions(const ScfluxInputs& inputs, const ScfluxRun& run, const ScfluxRequest& request, const std::string& command);

}  // namespace fluxion::scflux
