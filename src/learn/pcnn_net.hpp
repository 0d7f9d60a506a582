// The PCNN's LibTorch modules, shared by pcnn.cpp and the package code (flux_predictor.cpp).
#pragma once

#include <torch/torch.h>

#include "fluxion/learn/pcnn.hpp"

namespace fluxion::learn::detail {

// A 3×3 partial convolution with a one-channel mask: out = conv(x·m) · 9 / (conv(m, 1) +
// 1e-8) · clip(conv(m, 1), 0, 1) + b; the new mask is clip(conv(m, 1), 0, 1).
struct PartialConvImpl : torch::nn::Module {
  PartialConvImpl(int in, int out, int stride);
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x, const torch::Tensor& m);
  torch::nn::Conv2d conv{nullptr};
  torch::Tensor bias;
  int stride;
};
TORCH_MODULE(PartialConv);

// partial convolution, batch normalisation (Keras momentum 0.99, eps 1e-3), ReLU
struct PConvBlockImpl : torch::nn::Module {
  PConvBlockImpl(int in, int out, int stride);
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x, const torch::Tensor& m);
  PartialConv pconv{nullptr};
  torch::nn::BatchNorm2d norm{nullptr};
};
TORCH_MODULE(PConvBlock);

struct PcnnNetImpl : torch::nn::Module {
  explicit PcnnNetImpl(const std::vector<int>& filters);
  torch::Tensor forward(torch::Tensor x, torch::Tensor m);  // [B,1,S,S] each -> [B,1,S,S] in (0, 1)
  std::vector<PConvBlock> down1, down2, up1, up2;
  torch::nn::Conv2d out{nullptr};
};
TORCH_MODULE(PcnnNet);

}  // namespace fluxion::learn::detail

namespace fluxion::learn {

struct PcnnImputer::Impl {
  PcnnGeometry geometry;
  sampling::MidLayout layout;
  detail::PcnnNet net{nullptr};
  nlohmann::json training;
  std::vector<bool> padding;
};

}  // namespace fluxion::learn
