// Helpers shared by the prediction pipeline and the error tables (src/learn only).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace fluxion::learn::detail {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

inline double quantile(std::vector<double>& sorted, double f) {
  const double at = f * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(at));
  const auto hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (at - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

// half the width of the central 68.27 % of the errors, and their mean absolute value
inline std::pair<double, double> spread(std::vector<double> e) {
  if (e.empty()) return {kNaN, kNaN};
  double mae = 0;
  for (double v : e) mae += std::fabs(v);
  std::sort(e.begin(), e.end());
  const double central = 0.6827;
  return {0.5 * (quantile(e, 0.5 + central / 2) - quantile(e, 0.5 - central / 2)), mae / static_cast<double>(e.size())};
}

// share of the (non-padding) entries not measured
inline double masked_share(const std::vector<bool>& known, const std::vector<bool>& pad) {
  long total = 0, missing = 0;
  for (std::size_t i = 0; i < known.size(); ++i) {
    if (pad[i]) continue;
    ++total;
    if (!known[i]) ++missing;
  }
  return total == 0 ? 0.0 : static_cast<double>(missing) / static_cast<double>(total);
}

}  // namespace fluxion::learn::detail
