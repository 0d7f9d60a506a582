// The first layer of scFEA's per-module networks, as one sparse operation: cell b, module
// m, hidden unit k:  h[b, m, k] = Σ_{t : module(t) = m} x[b, gene(t)] · w[t, k].
// Each packed entry t is one (module, gene) pair, so the work is cells × Σ genes per module
// × hidden (scFEA multiplied dense cells × modules × all genes). Written by hand because
// torch's index_add formulation materialised a cells × hidden × entries tensor and ran
// ~5× slower; the gradient (w only: x is data) is checked against finite differences and
// against that formulation in tests/unit/test_scflux.cpp.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace fluxion::scflux::detail {

struct Packing {
  std::vector<std::int64_t> gene;    // per entry: column of x
  std::vector<std::int64_t> module;  // per entry: its module
  std::int64_t modules = 0;
};

// x: [B, G] (float or double, contiguous), w: [T, H] → h: [B, M, H]; differentiable in w.
// Deterministic for a given number of torch threads.
torch::Tensor module_layer(const torch::Tensor& x, const torch::Tensor& w, const Packing& packing);

}  // namespace fluxion::scflux::detail
