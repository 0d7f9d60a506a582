// Destructively sampled time series of single cells: the data the dynamics models (NP, NODEP,
// SNODEP) learn from. Each day holds different cells, so a "trajectory" is a tuple of one cell
// drawn per day (../shared/notes/snodep.md §3).
//
// On disk a series is a directory of per-day tables d0.csv(.gz), d1.csv(.gz), … (also .tsv):
// rows are features (genes, modules or metabolites), columns are cells, the first column the
// feature names — the layout of ../shared/data/snodep/gene_expression/<pathway>/. Every day
// must list the same features in the same order. A knockout experiment is a directory of such
// series, one per configuration (all_genes/, ko_1/, …), each with the knockout indicator rows
// b^g (1 = gene present, 0 = knocked out) after the measured features.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"

namespace fluxion::dynamics {

struct TimeSeries {
  std::vector<std::string> features;   // one per row of the day tables
  std::vector<int> days;               // increasing, e.g. 0…15
  std::vector<Eigen::MatrixXf> cells;  // per day: [cells × features]
  std::vector<std::string> sources;    // the files read, one per day (empty when made in memory)

  std::size_t n_features() const { return features.size(); }
  std::size_t n_cells() const;  // over all days
};

// Reads every d<N>.csv[.gz] / d<N>.tsv[.gz] in `directory`, ordered by N. Errors name the file
// (and line and column for a bad value): no day files, a day with no cells, features that
// differ between days, negative or non-finite values.
Result<TimeSeries> load_time_series(const std::string& directory);

// Writes d<N>.csv.gz files in the same layout, the cells named c1, c2, ….
Result<bool> write_time_series(const TimeSeries& series, const std::string& directory);

// Configurations of a knockout experiment: every sub-directory of `directory` that holds day
// files, sorted by name ("all_genes" first).
struct NamedSeries {
  std::string name;
  TimeSeries series;
};
Result<std::vector<NamedSeries>> load_configurations(const std::string& directory);

// Per day, the indices of its cells split into a training pool and a held-out pool (a fraction
// `holdout` of each day's cells, at least one cell staying on each side when holdout > 0).
struct CellPools {
  std::vector<std::vector<int>> train;  // per day
  std::vector<std::vector<int>> test;   // per day; empty when holdout = 0
};
CellPools split_cells(const TimeSeries& series, double holdout, std::uint64_t seed);

// `n` pseudo-trajectories: for each, one cell per day drawn uniformly (with replacement across
// trajectories) from that day's pool, days drawn independently. [n × days × features], row-major.
std::vector<float> draw_trajectories(const TimeSeries& series, const std::vector<std::vector<int>>& pools, int n, std::mt19937_64& rng);

// The reference implementation's draw of the same thing, reproduced exactly: numpy's legacy
// RandomState(seed) (MT19937, seeded as init_genrand) behind pandas' DataFrame.sample(axis=1),
// which takes the first entry of a Fisher–Yates permutation of the day's cells; trajectory by
// trajectory, day by day, cells in file order. With seed 42 (set when the reference's data
// module is imported) these are the paper's pseudo-trajectories. [n][days] cell indices.
std::vector<std::vector<int>> reference_trajectory_cells(const TimeSeries& series, int n, std::uint32_t seed = 42);

// numpy's legacy permutation(n) from RandomState(seed), for checking the emulation against
// numpy's published outputs (seed 42, n 10: 8 1 5 0 7 2 9 4 3 6).
std::vector<int> numpy_legacy_permutation(int n, std::uint32_t seed);

// Rows `cells` ([n][days] indices) of the series as [n × days × features], row-major.
std::vector<float> gather_trajectories(const TimeSeries& series, const std::vector<std::vector<int>>& cells);

// The lowest MSE a predictor can reach on a day without knowing which cell was drawn: the
// population variance of each feature over that day's cells, averaged over features; one value
// per day (the notes' "memorisation floor"). With `pools`, over each day's pooled cells only.
std::vector<double> day_variance_floor(const TimeSeries& series, const std::vector<std::vector<int>>& pools = {});

}  // namespace fluxion::dynamics
