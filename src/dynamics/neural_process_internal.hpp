// What the neural-process files share (neural_process.cpp, _persistence.cpp, _training.cpp):
// the model's state and the tensor helpers.
#pragma once

#include <torch/torch.h>

#include <Eigen/Dense>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "fluxion/dynamics/neural_process.hpp"
#include "process_model.hpp"

namespace fluxion::dynamics {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct NeuralProcess::Impl {
  ProcessSpec spec;
  ProcessModel net{nullptr};
  std::vector<std::string> features;
  std::vector<int> days;
  int context_points = 8;
  double time_scale = 0.1;
  std::string data_kind;

  std::vector<double> times_of(const std::vector<int>& d, std::size_t n) const {
    std::vector<double> t;
    for (std::size_t i = 0; i < n; ++i) t.push_back(d[i] * time_scale);
    return t;
  }
};

// [n × days × y] → one tensor
torch::Tensor to_tensor(std::vector<float> values, long n, long days, long y);
// one day of [n × days × y]: [n × y]
Eigen::MatrixXd day_slice(const torch::Tensor& y, long day);
// A day's cells from a pool: [cells × features].
Eigen::MatrixXd pool_cells(const TimeSeries& s, std::size_t day, const std::vector<int>& pool);
// "dopri5", "rk4", "euler"
std::optional<OdeMethod> ode_method(const std::string& name);

}  // namespace fluxion::dynamics
