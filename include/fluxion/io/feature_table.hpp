// A dense table of signed numbers with named rows and columns: features (genes, modules,
// metabolites) × cells, the layout of the per-day tables of a time series (and of fluxion's
// flux and balance outputs). CSV, or TSV when the header holds a tab; gzip is fine; quoted
// names; the header's first cell names nothing. Unlike expression matrices (cell_matrix.hpp)
// values may be negative. Errors name the file, line and column.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/diagnostics.hpp"

namespace fluxion::io {

struct FeatureTable {
  std::vector<std::string> features;  // row names
  std::vector<std::string> columns;   // column names (cells)
  Eigen::MatrixXf values;             // [columns × features] (cells × features)
};

Result<FeatureTable> read_feature_table(std::string_view text, const std::string& source);
Result<FeatureTable> load_feature_table(const std::string& path);

}  // namespace fluxion::io
