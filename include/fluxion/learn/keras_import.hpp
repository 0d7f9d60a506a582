// ML-Flux's published networks in fluxion: a Keras 2 Sequential model of Dense layers,
// its architecture as Keras JSON (model.to_json()) and its weights as a "weights only"
// HDF5 file (model.save_weights(): the root attribute `layer_names`, one group per layer
// with the attribute `weight_names` and the datasets it names, `kernel:0` of shape
// (in, out) and `bias:0`). The authors shipped three such flux networks (Simple,
// UpperGly, Glycolysis); they map MIDs in ML-Flux's layout to transformed free fluxes,
// which is what a fluxion predictor with "transformed" outputs is.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/learn/flux_predictor.hpp"

namespace fluxion::learn {

struct KerasDenseNetwork {
  std::size_t inputs = 0;
  std::vector<std::string> names;               // layer names, input to output
  std::vector<Eigen::MatrixXf> weights;         // per layer: out × in (the transpose of Keras's kernel)
  std::vector<Eigen::VectorXf> biases;          // per layer: out
  std::vector<std::string> activations;         // per layer: "relu" or "linear"
  std::string keras_version, backend;           // as the weights file records them
};

// Reads the architecture and the weights. Errors name the file and what is wrong: a layer
// other than InputLayer, Flatten or Dense; an activation other than relu (hidden) and
// linear (output); a weight missing or of the wrong shape; a file HDF5 cannot read.
Result<KerasDenseNetwork> read_keras_dense(const std::string& architecture_json, const std::string& weights_h5);

// A predictor that runs the network. `like` is a fluxion predictor of the same model
// trained on the same MID layout: its dataset manifest (layout, model, tracers) and its
// KNN reference patterns are taken over, its weights, PCNN and error tables are not (they
// belong to its own network). The input and output counts must agree with it.
Result<FluxPredictor> predictor_from_keras(const KerasDenseNetwork& network, const FluxPredictor& like, const nlohmann::json& source);

}  // namespace fluxion::learn
