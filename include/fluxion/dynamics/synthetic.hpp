// SYN-SNODEP: a synthetic, destructively sampled single-cell time series with known dynamics,
// for fast tests of the dynamics models (../shared/notes/snodep.md §7, configuration
// "syn-small"): 24 genes (4 per module), 6 modules, 4 metabolites (M1 ∅→A, M2 A→B, M3 B→C,
// M4 B→D, M5 C→∅, M6 D→∅).
//
// Each cell runs a two-gene toggle switch (two fates) that drives transcription; its counts are
// Poisson draws at the day it is observed; its enzymes follow the noise-free expression; its
// metabolites follow Michaelis–Menten kinetics with product inhibition of M2; its observed
// module fluxes are computed scFEA-like from the counts and the true metabolite levels, and its
// balances are S·flux. Every day observes fresh cells (sampling is destructive). Deterministic
// for a seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/dynamics/time_series.hpp"

namespace fluxion::dynamics {

struct SyntheticOptions {
  int days = 16;                  // observations 0 … days−1 (the files' day numbers)
  double library_scale = 1.0;     // multiplies every cell's library size (> 0; larger = deeper sequencing, fewer zeros)
  double interval = 1.0;          // simulated days between observations (> 0; < 1 samples the fast start more densely)
  double cells_per_day_scale = 0.125;  // cells on day t = round(scale × the real data's cells on day t) (847, 782, …; day ≥ 16 repeats day 15)
  int truth_cells = 0;            // extra fresh cells per day for the true per-day means (the notes use 20,000; 0 = none)
  std::vector<int> knockout_genes;  // genes (0-based) whose transcription is 0 for the whole simulation
  std::uint64_t seed = 1;
  std::vector<Diagnostic> validate() const;  // each names its option; empty when valid
  static const OptionTable<SyntheticOptions>& table();  // the options a front end offers
};

struct SyntheticData {
  TimeSeries expression;  // counts, genes G1…G24
  TimeSeries flux;        // module fluxes M_1…M_6
  TimeSeries balance;     // metabolite balances A, B, C, D
  std::vector<std::vector<double>> true_expression_mean;  // per day, per gene: E[count] from truth_cells (empty when 0)
  std::vector<std::vector<double>> true_flux_mean;        // per day, per module
  std::string module_genes_gmt;  // the scFEA network of the synthetic data (.gmt text)
  std::string stoichiometry_csv; // its cmMat (metabolites × modules)
  double zero_fraction = 0;      // share of zero counts
};

Result<SyntheticData> make_synthetic(const SyntheticOptions& options);

}  // namespace fluxion::dynamics
