// Imputing unmeasured MIDs before the flux network sees them (ML-Flux §8): K nearest
// neighbours among the training patterns by Euclidean distance over the measured
// entries, the missing entries their distance-weighted mean. Measured entries stay as
// measured; each MID with imputed entries is rescaled to sum to 1; ΔN (sum of every
// fraction minus the number of MIDs, before rescaling) says how plausible the result is.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <random>
#include <vector>

#include "fluxion/sampling/dataset_contents.hpp"

namespace fluxion::learn {

using MidMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Entries beyond a field's MID (its zero padding up to the layout's width).
std::vector<bool> padding_entries(const sampling::MidLayout& layout);

// ML-Flux's training masks (scratchmat.m): keep `experiments` random tracer experiments,
// and in them each metabolite with probability `keep` (at least one); everything else is
// missing. Padding entries (beyond a metabolite's MID) count as known.
std::vector<bool> random_mask(const sampling::MidLayout& layout, int experiments, double keep, std::mt19937_64& rng);

struct Imputation {
  Eigen::VectorXd values;         // the whole input vector
  double delta_n = 0;             // Σ fractions − MIDs, before rescaling
  std::vector<long> neighbours;   // reference rows used, nearest first
};

class KnnImputer {
 public:
  // `reference`: complete patterns (rows × layout.size()), e.g. a dataset's training rows.
  KnnImputer(sampling::MidLayout layout, MidMatrix reference, int k = 3);

  // `known[i]`: entry i was measured (values[i] is used); others are imputed.
  Imputation impute(const Eigen::VectorXd& values, const std::vector<bool>& known) const;

  const sampling::MidLayout& layout() const { return layout_; }
  int k() const { return k_; }

 private:
  sampling::MidLayout layout_;
  MidMatrix reference_;
  int k_;
  std::vector<bool> padding_;  // entries beyond a field's MID: always 0
};

// Rescales the imputed entries of every MID so that it sums to 1 (measured entries
// unchanged; a MID whose measured part already reaches 1 gets zeros). Returns ΔN before.
double renormalise_imputed(const sampling::MidLayout& layout, Eigen::VectorXd& values, const std::vector<bool>& known);

}  // namespace fluxion::learn
