// Downstream of scFEA: what differs between groups of cells (cell types, conditions).
//
// Modules: each group against all other labelled cells, per module, the Mann–Whitney U
// test (two-sided; normal approximation with tie and continuity corrections, as R's
// wilcox.test(exact = FALSE)), the effect as the rank-biserial correlation
// r = 2U / (n_group · n_rest) − 1 (+1: every cell of the group above every other cell), and
// Benjamini–Hochberg q-values over all (group, module) pairs.
// Metabolites: per group and compound, the balance's mean, median and share of cells above
// zero, the Wilcoxon signed-rank test of a zero median (two-sided, normal approximation,
// zeros dropped, tie and continuity corrections), BH over all (group, compound) pairs, and a
// call: "accumulated" (q < alpha, median > 0), "depleted" (q < alpha, median < 0) or "neither".
// With fewer than ~10 cells in a group the normal approximation is rough; groups under
// `min_cells` are left out with a warning.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"

namespace fluxion::scflux {

// Each cell's group from a two-column table (cell, group; a header row; CSV or TSV), in the
// order of `cells`; cells without a row stay unlabelled (""). Warns of labelled cells not in
// `cells` and of unlabelled cells; fails when no cell has a label.
Result<std::vector<std::string>> load_cell_groups(const std::string& path, const std::vector<std::string>& cells);

struct ModuleDifference {
  std::string group;
  std::size_t module = 0;
  std::size_t n_in = 0, n_out = 0;
  double mean_in = 0, mean_out = 0, effect = 0, p = 1, q = 1;
};

struct BalanceCall {
  std::string group;
  std::size_t compound = 0;
  std::size_t n = 0;
  double mean = 0, median = 0, positive = 0, p = 1, q = 1;
  std::string call;
};

struct GroupComparison {
  std::vector<std::string> groups;       // in order of first appearance
  std::vector<std::size_t> group_sizes;
  std::vector<ModuleDifference> modules;  // group-major, module order within
  std::vector<BalanceCall> balances;
};

// Two-sided p-values (normal approximation with tie and continuity corrections).
double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b, double* u = nullptr);
double signed_rank_p(const std::vector<double>& x, double* w_plus = nullptr);
// Benjamini–Hochberg adjusted p-values, in the input order.
std::vector<double> benjamini_hochberg(const std::vector<double>& p);

// flux: cells × modules, balance: cells × compounds; labels: one per cell ("" = no label).
Result<GroupComparison> compare_groups(const Eigen::MatrixXf& flux, const Eigen::MatrixXf& balance, const std::vector<std::string>& labels,
                                       std::size_t min_cells = 3, double alpha = 0.05);

}  // namespace fluxion::scflux
