// Tracer tables: the tracer experiments of a labelling study.
//
// TSV or CSV with a header row; one row per labelled species of a substrate:
//
//   experiment  substrate  label          fraction  purity
//   e1          GLC_IN     [1,2-13C2]     0.5       0.99
//   e1          GLC_IN     [U-13C6]       0.5
//   e2          Gln_IN     [U-13C5]       1
//
// fraction (default 1) is the share of the substrate pool; what the rows of one
// substrate leave over is unlabelled. purity (default 1) is the probability that a
// labelled position is heavy. Rows of one experiment need not be adjacent; experiments
// keep the order of their first row.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/isotope/tracer.hpp"

namespace fluxion::io {

struct TracerTable {
  std::vector<isotope::TracerExperiment> experiments;
  std::vector<int> lines;  // input line of each component, experiments in order
};

Result<TracerTable> read_tracer_table(std::string_view text, const std::string& source);
std::string write_tracer_table(const std::vector<isotope::TracerExperiment>& experiments);

// A tracer table file, or the built-in experiments of a built-in model (by its name).
Result<TracerTable> load_tracer_table(const std::string& path_or_model_name);
std::vector<std::string> builtin_tracer_table_names();
bool has_builtin_tracer_table(const std::string& model_name);

}  // namespace fluxion::io
