#include "module_layer.hpp"

#include <ATen/Parallel.h>

#include <map>
#include <mutex>

namespace fluxion::scflux::detail {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

template <class T>
void forward_kernel(const T* x, const T* w, T* h, std::int64_t b0, std::int64_t b1, std::int64_t G, std::int64_t H, std::int64_t M,
                    const Packing& p) {
  const auto n = static_cast<std::int64_t>(p.gene.size());
  for (std::int64_t b = b0; b < b1; ++b) {
    const T* xb = x + b * G;
    T* hb = h + b * M * H;
    for (std::int64_t t = 0; t < n; ++t) {
      const T v = xb[p.gene[static_cast<std::size_t>(t)]];
      if (v == T(0)) continue;
      T* out = hb + p.module[static_cast<std::size_t>(t)] * H;
      const T* wt = w + t * H;
      for (std::int64_t k = 0; k < H; ++k) out[k] += v * wt[k];
    }
  }
}

// gw[t, k] += Σ_{b in [b0, b1)} gh[b, module(t), k] · x[b, gene(t)]
template <class T>
void backward_kernel(const T* x, const T* gh, T* gw, std::int64_t b0, std::int64_t b1, std::int64_t G, std::int64_t H, std::int64_t M,
                     const Packing& p) {
  const auto n = static_cast<std::int64_t>(p.gene.size());
  for (std::int64_t b = b0; b < b1; ++b) {
    const T* xb = x + b * G;
    const T* gb = gh + b * M * H;
    for (std::int64_t t = 0; t < n; ++t) {
      const T v = xb[p.gene[static_cast<std::size_t>(t)]];
      if (v == T(0)) continue;
      const T* g = gb + p.module[static_cast<std::size_t>(t)] * H;
      T* out = gw + t * H;
      for (std::int64_t k = 0; k < H; ++k) out[k] += v * g[k];
    }
  }
}

// Cells split into fixed ranges (one per thread at most); each range accumulates its own
// gradient and the ranges are added in order, so the sum does not depend on scheduling.
std::vector<std::pair<std::int64_t, std::int64_t>> ranges(std::int64_t cells) {
  const std::int64_t parts = std::max<std::int64_t>(1, std::min<std::int64_t>(at::get_num_threads(), (cells + 63) / 64));
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (std::int64_t i = 0; i < parts; ++i) out.emplace_back(cells * i / parts, cells * (i + 1) / parts);
  return out;
}

struct ModuleLayerFn : torch::autograd::Function<ModuleLayerFn> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor w, std::int64_t packing) {
    const auto& p = *reinterpret_cast<const Packing*>(packing);
    x = x.contiguous();
    w = w.contiguous();
    const auto B = x.size(0), G = x.size(1), H = w.size(1), M = p.modules;
    auto h = torch::zeros({B, M, H}, w.options());
    const auto parts = ranges(B);
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "module_layer_forward", [&] {
      const auto* xp = x.data_ptr<scalar_t>();
      const auto* wp = w.data_ptr<scalar_t>();
      auto* hp = h.data_ptr<scalar_t>();
      at::parallel_for(0, static_cast<std::int64_t>(parts.size()), 1, [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i)
          forward_kernel(xp, wp, hp, parts[static_cast<std::size_t>(i)].first, parts[static_cast<std::size_t>(i)].second, G, H, M, p);
      });
    });
    ctx->save_for_backward({x});
    ctx->saved_data["packing"] = packing;
    ctx->saved_data["hidden"] = H;
    return h;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto& p = *reinterpret_cast<const Packing*>(ctx->saved_data["packing"].toInt());
    const auto x = ctx->get_saved_variables()[0];
    const auto gh = grads[0].contiguous();
    const auto B = x.size(0), G = x.size(1), H = ctx->saved_data["hidden"].toInt(), M = p.modules;
    const auto T = static_cast<std::int64_t>(p.gene.size());
    const auto parts = ranges(B);
    auto partial = torch::zeros({static_cast<std::int64_t>(parts.size()), T, H}, gh.options());
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "module_layer_backward", [&] {
      const auto* xp = x.data_ptr<scalar_t>();
      const auto* gp = gh.data_ptr<scalar_t>();
      auto* out = partial.data_ptr<scalar_t>();
      at::parallel_for(0, static_cast<std::int64_t>(parts.size()), 1, [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i)
          backward_kernel(xp, gp, out + i * T * H, parts[static_cast<std::size_t>(i)].first, parts[static_cast<std::size_t>(i)].second, G, H, M, p);
      });
    });
    auto gw = partial[0].clone();
    for (std::int64_t i = 1; i < partial.size(0); ++i) gw += partial[i];
    return {torch::Tensor(), gw, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor module_layer(const torch::Tensor& x, const torch::Tensor& w, const Packing& packing) {
  return ModuleLayerFn::apply(x, w, static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(&packing)));
}

}  // namespace fluxion::scflux::detail
