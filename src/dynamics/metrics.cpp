#include "fluxion/dynamics/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace fluxion::dynamics {

double wasserstein1(std::vector<double> a, std::vector<double> b) {
  if (a.empty() || b.empty()) throw std::invalid_argument("wasserstein1: an empty sample");
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  // walk the merged support; between consecutive points both CDFs are constant
  std::size_t i = 0, j = 0;
  double x = std::min(a[0], b[0]), total = 0;
  while (i < a.size() || j < b.size()) {
    const double next = j >= b.size() || (i < a.size() && a[i] <= b[j]) ? a[i] : b[j];
    total += std::abs(static_cast<double>(i) / na - static_cast<double>(j) / nb) * (next - x);
    x = next;
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
  }
  return total;
}

double wasserstein1_sum_over_dimensions(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  if (a.cols() != b.cols()) throw std::invalid_argument("wasserstein1: the samples have different dimensions");
  double sum = 0;
  for (Eigen::Index c = 0; c < a.cols(); ++c) {
    std::vector<double> x(a.col(c).data(), a.col(c).data() + a.rows()), y(b.col(c).data(), b.col(c).data() + b.rows());
    sum += wasserstein1(std::move(x), std::move(y));
  }
  return sum;
}

std::vector<int> optimal_assignment(const Eigen::MatrixXd& cost) {
  // the Hungarian algorithm with potentials (rows 1..n, columns 1..n; column 0 is a sentinel)
  const int n = static_cast<int>(cost.rows());
  if (cost.cols() != n) throw std::invalid_argument("optimal_assignment: the cost matrix is not square");
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(static_cast<std::size_t>(n) + 1, 0), v(static_cast<std::size_t>(n) + 1, 0);
  std::vector<int> row_of(static_cast<std::size_t>(n) + 1, 0), way(static_cast<std::size_t>(n) + 1, 0);
  for (int i = 1; i <= n; ++i) {
    row_of[0] = i;
    int j0 = 0;
    std::vector<double> minv(static_cast<std::size_t>(n) + 1, inf);
    std::vector<char> used(static_cast<std::size_t>(n) + 1, 0);
    do {
      used[static_cast<std::size_t>(j0)] = 1;
      const int i0 = row_of[static_cast<std::size_t>(j0)];
      double delta = inf;
      int j1 = 0;
      for (int j = 1; j <= n; ++j) {
        if (used[static_cast<std::size_t>(j)]) continue;
        const double cur = cost(i0 - 1, j - 1) - u[static_cast<std::size_t>(i0)] - v[static_cast<std::size_t>(j)];
        if (cur < minv[static_cast<std::size_t>(j)]) {
          minv[static_cast<std::size_t>(j)] = cur;
          way[static_cast<std::size_t>(j)] = j0;
        }
        if (minv[static_cast<std::size_t>(j)] < delta) {
          delta = minv[static_cast<std::size_t>(j)];
          j1 = j;
        }
      }
      for (int j = 0; j <= n; ++j) {
        if (used[static_cast<std::size_t>(j)]) {
          u[static_cast<std::size_t>(row_of[static_cast<std::size_t>(j)])] += delta;
          v[static_cast<std::size_t>(j)] -= delta;
        } else {
          minv[static_cast<std::size_t>(j)] -= delta;
        }
      }
      j0 = j1;
    } while (row_of[static_cast<std::size_t>(j0)] != 0);
    do {
      const int j1 = way[static_cast<std::size_t>(j0)];
      row_of[static_cast<std::size_t>(j0)] = row_of[static_cast<std::size_t>(j1)];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> column_of(static_cast<std::size_t>(n));
  for (int j = 1; j <= n; ++j) column_of[static_cast<std::size_t>(row_of[static_cast<std::size_t>(j)] - 1)] = j - 1;
  return column_of;
}

double wasserstein1_exact(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) throw std::invalid_argument("wasserstein1_exact: the samples must have the same shape");
  if (a.rows() == 0) throw std::invalid_argument("wasserstein1_exact: empty samples");
  Eigen::MatrixXd cost(a.rows(), b.rows());
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < b.rows(); ++j) cost(i, j) = (a.row(i) - b.row(j)).norm();
  const auto match = optimal_assignment(cost);
  double total = 0;
  for (Eigen::Index i = 0; i < a.rows(); ++i) total += cost(i, match[static_cast<std::size_t>(i)]);
  return total / static_cast<double>(a.rows());
}

}  // namespace fluxion::dynamics
