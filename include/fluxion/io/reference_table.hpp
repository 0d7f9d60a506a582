// Reference fluxes for FBApro projections: reactions × samples, with the confidence in
// each reaction's reference.
//
//   reaction   confidence   sample_1   sample_2
//   EX_glc__D_e  fixed        -10        -9.2
//   PGI          noisy        4.9        6.1
//   PFK          unmeasured   NA         NA
//
// TSV or CSV. 'reaction' is required; 'confidence' is optional (fixed, noisy or
// unmeasured; default for every row: the reader's `default_confidence`); every other
// column is a sample. Reactions without a row are unmeasured. Values are finite numbers;
// NA (or an empty cell) is allowed only in unmeasured rows, because one projection uses
// one set of measured reactions for all samples. Errors name the line and column.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"

namespace fluxion::io {

enum class Confidence { unmeasured, noisy, fixed };
std::string_view to_string(Confidence c);

struct ReferenceTable {
  std::vector<std::string> samples;       // sample column names, in file order
  Eigen::MatrixXd values;                 // model reactions × samples; 0 where unmeasured
  Eigen::MatrixXd given;                  // as written, every row; NaN for NA and reactions without a row
  std::vector<Confidence> confidence;     // per model reaction
  std::vector<int> lines;                 // per model reaction: its line (0 = no row)
};

Result<ReferenceTable> read_reference_table(std::string_view text, const std::string& source, const Model& model,
                                            Confidence default_confidence = Confidence::noisy);
Result<ReferenceTable> load_reference_table(const std::string& path, const Model& model,
                                            Confidence default_confidence = Confidence::noisy);

// Changes one reaction's confidence (command-line overrides): its values come from `given`.
// Errors: the reaction has no row, or lacks a value for a sample (fixed or noisy need all).
Result<bool> set_confidence(ReferenceTable& table, const Model& model, std::size_t reaction, Confidence confidence,
                            const std::string& source);
// True when at least one reaction is fixed or noisy.
bool has_measured(const ReferenceTable& table);

// reaction × samples, values as the shortest text that reads back exactly.
std::string write_reference_table(const std::vector<std::string>& reaction_ids, const std::vector<std::string>& samples,
                                  const Eigen::MatrixXd& values);

}  // namespace fluxion::io
