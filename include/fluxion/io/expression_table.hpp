// Gene expression tables: genes × samples, TSV or CSV.
//
//   gene    sample_1   sample_2
//   1594    12.5       0
//
// The first column holds gene ids (any header name); every other column is a sample.
// Values are finite and non-negative (counts, TPM, FPKM); errors name line and column.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/diagnostics.hpp"

namespace fluxion::io {

struct ExpressionTable {
  std::vector<std::string> genes;    // row ids, in file order
  std::vector<std::string> samples;  // column names, in file order
  Eigen::MatrixXd values;            // genes × samples
};

Result<ExpressionTable> read_expression_table(std::string_view text, const std::string& source);
Result<ExpressionTable> load_expression_table(const std::string& path);

}  // namespace fluxion::io
