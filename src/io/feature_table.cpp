#include "fluxion/io/feature_table.hpp"

#include <cmath>
#include <cstdlib>
#include <unordered_map>

#include "text.hpp"

namespace fluxion::io {

Result<FeatureTable> read_feature_table(std::string_view text, const std::string& source) {
  Diagnostics d(source);
  detail::TableReader table(text);
  if (!table.read_header(d, {})) {
    if (!d.has_errors()) d.error("is empty: expected a header row of column names, then one row per feature");
    return Result<FeatureTable>::failure(d);
  }
  FeatureTable out;
  const auto& header = table.header_names();
  out.columns.assign(header.begin() + 1, header.end());
  const std::size_t n = out.columns.size();
  if (n == 0) {
    d.error("has no columns after the feature names", 1);
    return Result<FeatureTable>::failure(d);
  }
  std::vector<float> values;
  std::unordered_map<std::string, int> seen;  // feature → its line
  while (table.next() && d.error_count() <= 20) {
    if (table.size() != n + 1) {
      d.error("has " + std::to_string(table.size() - 1) + " values; the header names " + std::to_string(n) + " columns", table.line());
      continue;
    }
    const std::string name(table.cell(0));
    if (auto [it, fresh] = seen.emplace(name, table.line()); !fresh) {
      d.error("feature '" + name + "' is listed twice (first on line " + std::to_string(it->second) + ")", table.line(), table.start(0));
      continue;
    }
    out.features.push_back(name);
    for (std::size_t c = 1; c <= n; ++c) {
      const std::string cell(table.cell(c));
      char* end = nullptr;
      const double v = cell.empty() ? NAN : std::strtod(cell.c_str(), &end);
      if (cell.empty() || end != cell.c_str() + cell.size() || !std::isfinite(v) || std::fabs(v) > 3e38) {
        d.error("'" + cell + "' is not a finite number", table.line(), table.start(c));
        values.push_back(0);
        continue;
      }
      values.push_back(static_cast<float>(v));
    }
  }
  if (!d.has_errors() && out.features.empty()) d.error("has no feature rows");
  if (d.has_errors()) return Result<FeatureTable>::failure(d);
  out.values = Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(values.data(), static_cast<Eigen::Index>(out.features.size()),
                                                                                                static_cast<Eigen::Index>(n))
                   .transpose();
  return Result<FeatureTable>::success(std::move(out));
}

Result<FeatureTable> load_feature_table(const std::string& path) {
  std::string error;
  auto text = detail::read_file(path, error);
  if (!text) {
    Diagnostics d(path);
    d.error(error);
    return Result<FeatureTable>::failure(d);
  }
  return read_feature_table(*text, path);
}

}  // namespace fluxion::io
