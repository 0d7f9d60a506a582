// Expression matrices of single cells or bulk samples, in every layout users bring, as one
// in-memory sparse matrix of cells × genes (../shared/notes/formats.md §4):
//
//   dense table   genes × samples, CSV, TSV or space-separated TXT (gzip is fine); the
//                 first column gene names, the header sample names (`--genes-as-columns`
//                 for samples × genes);
//   10x MEX       a filtered_feature_bc_matrix directory: matrix.mtx(.gz), features.tsv(.gz)
//                 (or Cell Ranger 2's genes.tsv), barcodes.tsv(.gz); only "Gene Expression"
//                 features are kept;
//   10x HDF5      filtered_feature_bc_matrix.h5 (group `matrix`, or Cell Ranger 2's one group
//                 per genome);
//   AnnData       .h5ad: X (or a layer, or raw/X) dense or sparse (CSR or CSC), current
//                 (encoding-type) and legacy (h5sparse_format) layouts; gene names from the
//                 var index or a var column, variable- or fixed-length strings, categoricals;
//                 AnnData < 0.7's compound obs/var tables (codes into uns/<column>_categories).
//
// Genes named more than once are summed (10x files map several ids to one symbol), with a
// warning that names them. A gene map (TSV: id, symbol) renames genes, Ensembl ids to
// symbols; ids it does not know keep their name. Values must be finite and ≥ 0.
#pragma once

#include <cstdint>

#include <Eigen/SparseCore>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"

namespace fluxion::io {

// Per-cell statistics of the genes a reader left out (CellMatrixOptions::only_genes), so
// that library sizes and scFEA's total activity still count every gene.
struct OtherGenes {
  std::size_t n_genes = 0;             // genes left out
  std::vector<double> total;           // per cell: Σ x over them
  std::vector<double> log_total;       // Σ log2(x + 1)
  std::vector<double> log_cpm_total;   // Σ log2(x·10⁶/T + 1), T the cell's total over every gene
  float largest = 0.0f;                // their largest value
};

struct CellMatrix {
  std::vector<std::string> genes;
  std::vector<std::string> cells;
  Eigen::SparseMatrix<float, Eigen::RowMajor> values;  // cells × genes
  OtherGenes others;                                   // empty unless genes were left out
};

struct CellMatrixOptions {
  std::string layer;          // h5ad: "" = X, "raw" = raw/X, otherwise layers/<layer>
  std::string gene_column;    // h5ad: a var column for gene names (default: the var index);
                              // 10x: "id" for feature ids (default: names)
  std::string gene_map;       // TSV id → symbol, applied after reading
  bool genes_as_columns = false;  // dense tables: samples × genes
  // Keep only these genes (names after the gene map; empty: all), with the per-cell
  // statistics of the others in CellMatrix::others. A CSR .h5ad or a 10x .h5 is then read in
  // blocks of `block_rows` cells, so that only the kept genes' entries are ever held.
  std::vector<std::string> only_genes;
  std::size_t block_rows = 16384;

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
};

// The layout is told by the path: a directory is 10x MEX, .h5 10x HDF5, .h5ad AnnData,
// anything else a dense table.
Result<CellMatrix> load_cell_matrix(const std::string& path, const CellMatrixOptions& options = {});

// A cell matrix from CSR arrays, as scipy's csr_matrix holds AnnData's X (cells × genes):
// indptr [n_cells + 1] from 0, gene indices in range and increasing within each cell (scipy's
// sum_duplicates gives that), values finite and ≥ 0 — each checked as a file reader checks
// it, the error naming the cell and gene. With `only_genes` the other genes are left out and
// counted in CellMatrix::others, as load_cell_matrix does; the arrays are only read.
struct CsrArrays {
  const std::int64_t* indptr = nullptr;  // [n_cells + 1]
  const std::int32_t* indices = nullptr;  // [nnz]
  const float* data = nullptr;            // [nnz]
  std::size_t nnz = 0, indptr_size = 0;
};
Result<CellMatrix> cell_matrix_from_csr(std::vector<std::string> genes, std::vector<std::string> cells, const CsrArrays& csr,
                                        const std::vector<std::string>& only_genes = {}, const std::string& source = "expression");

// A dense genes × samples (or samples × genes) table from text; `source` names it in messages.
Result<CellMatrix> read_dense_cell_matrix(std::string_view text, const std::string& source, bool genes_as_columns = false);

// Cell labels: a CSV or TSV with a header, the cell name in the first column and its group
// (cell type, condition) in the second. A cell listed twice is an error.
Result<std::vector<std::pair<std::string, std::string>>> load_cell_labels(const std::string& path);

}  // namespace fluxion::io
