// What the MFA-against-ML-Flux benches share (bench/mfa_vs_mlflux.cpp, bench/inst_mlflux.cpp):
// timing, medians, the fit's flux polytope and reading a dataset given as a directory or file.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/sampling/dataset_contents.hpp"
#include "fluxion/sampling/polytope.hpp"

namespace fluxion::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

inline double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The fit's polytope: the model's bounds, exchange fluxes the model leaves open up to 1000.
inline sampling::FluxPolytope fit_polytope(const Model& model, const FluxSpace& space) {
  std::vector<LinearConstraint> caps;
  for (Eigen::Index c : space.exchange_columns())
    if (!std::isfinite(model.reactions[space.column_reaction(c)].exchange_upper_bound))
      caps.push_back({"cap", {FluxTerm{c, true, 1.0}}, -kInfinity, 1000.0});
  return sampling::FluxPolytope::build(model, space, caps).value();
}

// A dataset's directory (its dataset.h5) or file, MIDs in float32; the error printed.
inline std::optional<sampling::DatasetContents> read_dataset_arg(std::string file) {
  if (std::filesystem::is_directory(file)) file += "/dataset.h5";
  auto data = sampling::read_dataset(file, {.mids_float32 = true});
  if (!data) {
    std::fprintf(stderr, "%s\n", data.message().c_str());
    return std::nullopt;
  }
  return std::move(data.value());
}

}  // namespace fluxion::bench
