// ML-Flux's partial-convolution inpainting network (PCNN, §7 of the notes): the input
// vector, unmeasured entries missing, placed row-major as an R×C window in an S×S image of
// ones; a U-Net of partial convolutions (Liu et al. 2018) fills the missing entries.
// Measured entries are copied back, each MID with imputed entries is rescaled to sum to
// 1, and ΔN is reported before rescaling. LibTorch stays behind this header.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/learn/imputation.hpp"
#include "fluxion/sampling/dataset_contents.hpp"

namespace fluxion::learn {

struct PcnnGeometry {
  int rows = 0, cols = 0;             // the input vector as rows × cols (row-major)
  int size = 0;                       // the image is size × size
  int row_offset = 0, col_offset = 0;  // where the window sits
  std::vector<int> filters;           // per U-Net level

  // ML-Flux's geometry for its five models (by id and input size), else a near-square
  // window centred in the smallest image the levels divide.
  static PcnnGeometry for_model(const std::string& model_id, std::size_t inputs);
  nlohmann::json to_json() const;
  static PcnnGeometry from_json(const nlohmann::json& j);  // throws std::invalid_argument
};

struct PcnnTrainOptions {
  int epochs = 30;
  int batch = 64;
  double learning_rate = 1e-3;
  int patience = 5;
  int max_experiments = 3;  // masks keep 1..this many experiments
  double keep = 0.5;        // and each metabolite with this probability
  std::uint64_t seed = 1;
  int threads = 1;
  bool progress = true;

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
};

struct PcnnHistory {
  std::vector<double> train_loss, validation_loss;  // MAE over the missing entries
  int best_epoch = 0;
  double seconds = 0;

  std::string loss_tsv() const;  // pcnn_loss.tsv: epoch, train and validation MAE of the missing entries
};

class PcnnImputer {
 public:
  ~PcnnImputer();
  PcnnImputer(PcnnImputer&&) noexcept;
  PcnnImputer& operator=(PcnnImputer&&) noexcept;

  // Trains on the dataset's train rows (validation rows for early stopping), with
  // ML-Flux's masks drawn afresh for every batch.
  static Result<PcnnImputer> train(const sampling::DatasetContents& data, const sampling::MidLayout& layout, const PcnnGeometry& geometry,
                                   const PcnnTrainOptions& options, PcnnHistory& history);

  Imputation impute(const Eigen::VectorXd& values, const std::vector<bool>& known) const;
  // Several patterns at once (rows), each with its mask; returns the imputed rows.
  Eigen::MatrixXd impute_batch(const Eigen::MatrixXd& values, const std::vector<std::vector<bool>>& known) const;

  const PcnnGeometry& geometry() const;
  const sampling::MidLayout& layout() const;
  nlohmann::json manifest() const;  // geometry and training settings

  struct Impl;
  Impl& impl() const { return *impl_; }
  static PcnnImputer from_impl(std::unique_ptr<Impl> impl);

 private:
  PcnnImputer();
  std::unique_ptr<Impl> impl_;
};

}  // namespace fluxion::learn
