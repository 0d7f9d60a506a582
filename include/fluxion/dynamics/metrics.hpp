// Distances between a model's samples and real cells, for the dynamics benchmarks (SNODEP's
// Tables 5–7 report a 1-Wasserstein distance whose code was not published; both readings of
// it are here, see ../shared/notes/snodep.md).
#pragma once

#include <Eigen/Dense>
#include <vector>

namespace fluxion::dynamics {

// 1-D 1-Wasserstein distance between two empirical distributions: ∫ |F_a(x) − F_b(x)| dx,
// which for equal sizes is (1/n) Σ |sort(a)_i − sort(b)_i|. Either sample may be any size ≥ 1.
double wasserstein1(std::vector<double> a, std::vector<double> b);

// The sum over dimensions (columns) of the 1-D distances: samples [n × d] and [m × d].
double wasserstein1_sum_over_dimensions(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b);

// Exact 1-Wasserstein (earth mover's) distance with Euclidean cost between two equally sized
// samples [n × d]: the mean cost of the optimal one-to-one assignment (Hungarian algorithm,
// O(n³); n = 200 takes milliseconds).
double wasserstein1_exact(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b);

// The optimal assignment of a square cost matrix [n × n]: result[i] is the column given to row
// i, minimising Σ cost(i, result[i]).
std::vector<int> optimal_assignment(const Eigen::MatrixXd& cost);

}  // namespace fluxion::dynamics
