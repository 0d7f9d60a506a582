// scFEA: per-cell module fluxes and metabolite balances from gene expression
// (Alghamdi et al. 2021; the scFLUX server, ../shared/papers/scflux_web-server.txt).
//
// One small network per module reads the expression of that module's genes in a cell and
// returns the module's flux: G → 8 → 1 with Tanhshrink (x − tanh x) after each layer, the
// first layer without bias. The balance of intermediate k in cell j is
// C_jk = Σ_m cm[k, m]·F_jm (production − consumption: > 0 accumulates, < 0 depletes).
// Training minimises, summed over cells,
//   w_bal·Σ_k C_jk² + w_neg·Σ_m (|F_jm| − F_jm) + w_scale·scale_j + w_cor·(1 − |r_j|)
// with Adam. Two modes (../shared/notes/scfea.md §6, §11):
//   scfea  what scFEA's code does: scale_j = |Σ_m F_jm − s_j| with s_j the cell's total
//          expression over all genes of the input divided by its mean over cells; r_j the
//          Pearson correlation across modules of (F_j·, E_j·), E_jm = Σ of the module's genes
//          found / the number of genes it lists; weights 1, 1, 1, 0.01; layer-1 weights drawn
//          with the fan-in of all G genes used (as scFEA's G-wide layers); lr 0.008, full
//          batch, 100 epochs; log2(x + 1) when the largest value exceeds 50.
//   paper  what the papers write: scale_j = (Σ_m F_jm − TA_j)², TA_j the cell's total
//          expression of the network's genes over its mean; r_j across super-modules (sums
//          of module fluxes against sums of module expression); w_cor = 0.1; layer-1 fan-in
//          the module's own genes.
// Fixed against scFEA: every cell is predicted whatever the batch size (scFEA returned
// zeros for all but the last batch); a cell whose fluxes or expressions do not vary across
// modules contributes 0 to the correlation term instead of NaN; a module with no gene in
// the data keeps its place; memory grows with cells × genes in modules (cells are streamed
// through the networks in chunks; gradients of a batch are accumulated over its chunks, so a
// full batch of 100k cells is the exact full-batch step).
#pragma once

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/core/run.hpp"
#include "fluxion/io/cell_matrix.hpp"
#include "fluxion/io/expression_table.hpp"
#include "fluxion/io/scfea_network.hpp"
#include "fluxion/scflux/magic.hpp"

namespace fluxion::scflux {

// Cells × genes, sparse, with names: what every expression reader gives (io/cell_matrix.hpp).
using CellMatrix = io::CellMatrix;

// A genes × samples table as cells × genes.
CellMatrix cells_from_table(const io::ExpressionTable& table);

enum class Normalisation {
  automatic,  // scFEA: log2(x + 1) when the largest value exceeds 50, else none
  none,
  log,        // log2(x + 1)
  cpm,        // counts per million of the cell's total
  log_cpm,    // log2(CPM + 1)
};
enum class LossMode { scfea, paper };

struct ScfeaOptions {
  LossMode mode = LossMode::scfea;
  Normalisation normalisation = Normalisation::automatic;
  int epochs = 100;
  double learning_rate = 0.008;
  std::size_t batch_size = 0;     // cells per optimiser step; 0 = all cells (scFEA)
  std::size_t chunk_size = 512;  // cells per forward pass (memory and cache only; results do not depend on it)
  int hidden = 8;
  double w_balance = 1.0, w_nonnegative = 1.0, w_scale = 1.0;
  double w_correlation = -1.0;  // < 0: the mode's (0.01 scfea, 0.1 paper)
  std::uint64_t seed = 16;
  int threads = 0;  // 0: all cores
  std::size_t min_cells = 25;
  // Return the weights of the epoch with the lowest loss instead of the last ones (Adam at
  // scFEA's learning rate still oscillates at epoch 100: the last epoch's loss on Melissa
  // spreads over 7.6–14 with the seed).
  bool keep_best = false;
  // MAGIC imputation of the raw values before normalisation (scFEA's --sc_imputation);
  // the automatic log decision is taken on the values before imputation
  bool impute = false;
  MagicOptions magic;
  // after every epoch: done = epochs so far, loss = the epoch's total loss; false stops
  ProgressHook progress;

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
  static const OptionTable<ScfeaOptions>& table();  // the options a front end offers
};

struct LossTerms {
  double total = 0, balance = 0, nonnegative = 0, scale = 0, correlation = 0;
};

struct ScfeaResult {
  Eigen::MatrixXf flux;     // cells × modules
  Eigen::MatrixXf balance;  // cells × compounds
  std::vector<LossTerms> loss;  // per epoch, summed over cells (weighted terms)
  std::vector<std::size_t> genes_found;  // per module: distinct listed genes present in the data
  std::size_t genes_used = 0;            // distinct network genes present in the data
  std::string normalisation_applied;     // "log2(x + 1)", "none", …
  int epoch_returned = 0;                // the epoch whose weights gave flux (the last, or the best)
  double seconds_training = 0.0;
  RunSummary summary;                    // completed, or stopped by the progress hook
};

const char* to_string(Normalisation n);
const char* to_string(LossMode m);

// Validates (cell count, genes found) and trains. Errors: fewer than min_cells cells, no
// network gene in the data, paper mode without super-modules.
Result<ScfeaResult> run_scfea(const io::ScfeaNetwork& network, const CellMatrix& expression, const ScfeaOptions& options);

}  // namespace fluxion::scflux
