// What a training dataset holds, without the generator: the MID layout of its input vector,
// the dataset read back from its HDF5 file, and its train / validation / test split. The
// learned engines (learn/) need these and nothing of sampling/dataset.hpp's generator.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/isotope/traced_elements.hpp"

namespace fluxion::sampling {

inline constexpr int kDatasetFormatVersion = 1;

// ML-Flux's input vector: one field per measured metabolite of each traced element
// (all carbon fields, then hydrogen, ...), within a field the experiments in order,
// within an experiment M+0 ... M+(L-1); L is the longest MID, shorter ones end in zeros.
// A time-course layout (MFA of non-stationary labelling) has one block per experiment and
// time, experiment-major: `experiments` names them "<experiment>@<time>" and `times` holds
// the times; steady-state layouts have no times.
struct MidLayout {
  struct Field {
    Element element = Element::C;
    std::string metabolite;
    int isotopologues = 0;
  };
  std::vector<Field> fields;
  std::vector<std::string> experiments;
  int width = 0;  // L
  std::vector<double> times;  // time courses: the measurement times (empty: steady state)

  // tracer experiments in a time course (experiments / times), else experiments
  std::size_t n_tracer_experiments() const { return times.empty() ? experiments.size() : experiments.size() / times.size(); }

  std::size_t size() const { return fields.size() * experiments.size() * static_cast<std::size_t>(width); }
  std::size_t index(std::size_t field, std::size_t experiment, int k) const {
    return (field * experiments.size() + experiment) * static_cast<std::size_t>(width) + static_cast<std::size_t>(k);
  }
  nlohmann::json to_json() const;
  // Throws std::invalid_argument on a layout it cannot read.
  static MidLayout from_json(const nlohmann::json& j);
};

// The layout of the traced elements' measured MIDs over the experiments (and, for a time
// course, over `times` within each experiment).
MidLayout make_mid_layout(const std::vector<isotope::TracedElement>& elements, const std::vector<std::string>& experiment_ids,
                          const std::vector<double>& times = {});
// "e1@0.5": the name of an experiment's block at a time in a time-course layout
std::string time_block_name(const std::string& experiment, double time);

// A time-course dataset: the MIDs at these times after the switch to the tracers, from the
// unlabelled state, with each pool size of the simulation drawn per flux set, log-uniformly
// in [lower, upper] (lower = upper: fixed). The drawn sizes are outputs beside the free
// fluxes: columns "pool:<metabolite>".
struct TimeCourse {
  struct Pool {
    std::string metabolite;
    double lower = 0, upper = 0;
    bool drawn() const { return upper > lower; }
  };
  std::vector<double> times;  // empty: steady state
  double tolerance = 1e-5;    // of every simulated MID fraction
  std::vector<Pool> pools;    // every pool of the simulation, in model order

  bool active() const { return !times.empty(); }
  std::vector<std::string> output_columns() const;  // "pool:<metabolite>" of the drawn pools
  // Size of a drawn pool for a uniform number u in [0, 1).
  static double draw(const Pool& p, double u);
  nlohmann::json to_json() const;
  static TimeCourse from_json(const nlohmann::json& j);  // throws std::invalid_argument
  // Model::metabolites index of each pool; an error names a metabolite the model lacks.
  Result<std::vector<std::size_t>> metabolite_indices(const Model& model) const;
};

// How a dataset's flux sets and MIDs were made: the model (and the hash of its reaction
// table), the tracer experiments, the traced elements, natural abundance and the sampler's
// settings. `fluxion dataset` writes it into the manifest (settings.provenance); training,
// scoring and the predictor packages read it back to rebuild the same simulation.
struct DatasetProvenance {
  struct ModelRef {
    std::string name;                 // as given: a built-in name or a file
    std::string id;                   // the model's id
    std::string sha256_reaction_tsv;  // of its canonical reaction table
  } model;
  std::string experiments_source;  // the tracer table's file, or the model's name (built-in)
  std::string experiments_table;   // the tracer experiments, as a tracer table
  std::vector<std::string> elements;  // symbols, in layout order
  std::string natural_abundance = "none";  // "none", "all" or substrate ids, comma-separated
  TimeCourse time_course;                  // inactive: steady-state labelling
  struct Sampler {
    std::string method, exchange, constraints, normalize;
    int thinning = 0, cap_bins = 0;
    double exchange_floor = 0, exchange_log_mean = 0, exchange_log_sd = 0;
    std::vector<std::string> exchange_sets, cap_fluxes;
    long cap_per_bin = 0, draws = 0;
    std::uint64_t seed = 0;
    nlohmann::json input_sha256 = nlohmann::json::object();  // file → SHA-256 of the inputs named
  } sampler;

  nlohmann::json to_json() const;
  // Keys that are missing keep their defaults (datasets made before a key existed); a key of
  // the wrong type is an error naming it.
  static Result<DatasetProvenance> from_json(const nlohmann::json& j);
};

// A dataset file read back whole (tests, training on small sets).
struct DatasetContents {
  nlohmann::json manifest;
  long rows = 0;
  std::vector<std::uint64_t> row, draw, train, validation, test;
  Eigen::MatrixXd free_fluxes, fluxes, mids;  // rows × columns
  // with ReadOptions::mids_float32: the MIDs here instead (half the memory; CCM's
  // 117,077 × 4,800 are 2.2 GB), and `mids` is empty
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> mids32;
  std::vector<std::string> free_columns, flux_columns;

  Eigen::Index n_inputs() const { return mids32.size() > 0 ? mids32.cols() : mids.cols(); }
  // MID rows as doubles, from whichever matrix holds them
  Eigen::MatrixXd mid_rows(const std::vector<std::uint64_t>& rows) const;
};
struct ReadOptions {
  bool mids_float32 = false;

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
};
Result<DatasetContents> read_dataset(const std::string& file, const ReadOptions& options = {});

// The train / validation / test rows of a dataset of `rows` rows: a seeded permutation,
// cut into ceil(test·rows) test, ceil(validation·rows) validation rows and the rest;
// each list ascending. ML-Flux's CCM set (117,077): 93,661 / 11,708 / 11,708.
struct Split {
  std::vector<std::uint64_t> train, validation, test;
};
Split split_rows(long rows, double validation_fraction, double test_fraction, std::uint64_t seed);

}  // namespace fluxion::sampling
