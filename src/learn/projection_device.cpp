#include "fluxion/learn/projection_device.hpp"

#include <torch/torch.h>

namespace fluxion::learn {

namespace {

torch::Tensor to_tensor(const Eigen::MatrixXd& m) {
  // Eigen is column-major: the transpose of a row-major tensor of the transposed shape
  return torch::from_blob(const_cast<double*>(m.data()), {m.cols(), m.rows()}, torch::kFloat64).t();
}

}  // namespace

Result<Eigen::MatrixXd> apply_projection_on(const cbm::Projector& projector, const Eigen::MatrixXd& references, const std::string& device) {
  Diagnostics d("projection on " + device);
  if (device != "cpu" && device != "cuda") {
    d.error("unknown device '" + device + "' (cpu or cuda)");
    return Result<Eigen::MatrixXd>::failure(d);
  }
  if (device == "cuda" && !torch::cuda::is_available()) {
    d.error("no CUDA device: this LibTorch has no GPU support or the machine has no GPU");
    return Result<Eigen::MatrixXd>::failure(d);
  }
  if (references.rows() != projector.n_reactions()) {
    d.error("expected " + std::to_string(projector.n_reactions()) + " reactions, got " + std::to_string(references.rows()));
    return Result<Eigen::MatrixXd>::failure(d);
  }
  const torch::Device dev(device == "cuda" ? torch::kCUDA : torch::kCPU);
  const auto& cols = projector.columns();
  Eigen::MatrixXd picked(static_cast<Eigen::Index>(cols.size()), references.cols());
  for (std::size_t c = 0; c < cols.size(); ++c) picked.row(static_cast<Eigen::Index>(c)) = references.row(cols[c]);
  torch::NoGradGuard no_grad;
  const torch::Tensor a = to_tensor(projector.basis()).to(dev);
  const torch::Tensor k = to_tensor(projector.factor()).to(dev);
  const torch::Tensor v = to_tensor(picked).to(dev);
  const torch::Tensor x = torch::mm(a, torch::mm(k, v)).to(torch::kCPU).contiguous();
  // x is row-major r × n: copy through its transpose's column-major view
  Eigen::MatrixXd out(projector.n_reactions(), references.cols());
  out = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(x.data_ptr<double>(), x.size(0), x.size(1));
  return Result<Eigen::MatrixXd>::success(std::move(out));
}

}  // namespace fluxion::learn
