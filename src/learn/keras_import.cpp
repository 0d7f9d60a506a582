#include "fluxion/learn/keras_import.hpp"

namespace fluxion::learn {

Result<FluxPredictor> predictor_from_keras(const KerasDenseNetwork& network, const FluxPredictor& like, const nlohmann::json& source) {
  using R = Result<FluxPredictor>;
  auto fail = [](const std::string& what) { return R::failure({Diagnostic{Severity::error, "Keras network", 0, 0, {}, what}}); };
  if (network.inputs != like.inputs())
    return fail("takes " + std::to_string(network.inputs) + " inputs; the " + like.manifest().value("/dataset/settings/provenance/model/id"_json_pointer, std::string("model")) +
                " predictor's MID layout has " + std::to_string(like.inputs()));
  if (network.weights.empty() || static_cast<std::size_t>(network.weights.back().rows()) != like.columns().size())
    return fail("has " + std::to_string(network.weights.empty() ? 0 : network.weights.back().rows()) + " outputs; the model has " +
                std::to_string(like.columns().size()) + " free fluxes");
  std::vector<int> hidden;
  for (std::size_t i = 0; i + 1 < network.weights.size(); ++i) hidden.push_back(static_cast<int>(network.weights[i].rows()));
  nlohmann::json manifest = {{"format", "fluxion-predictor"},
                             {"version", kSingleNetworkFormatVersion},
                             {"inputs", like.inputs()},
                             {"outputs", "transformed"},
                             {"columns", like.columns()},
                             {"hidden", hidden},
                             {"transforms", like.manifest().value("transforms", nlohmann::json::object())},
                             {"training_mean", like.manifest().value("training_mean", nlohmann::json::array())},
                             {"training", {{"source", source}, {"keras_version", network.keras_version}, {"backend", network.backend}, {"layers", network.names}}},
                             {"dataset", like.manifest().at("dataset")}};
  if (like.manifest().contains("knn")) manifest["knn"] = like.manifest().at("knn");
  auto p = FluxPredictor::from_dense_layers(network.weights, network.biases, std::move(manifest));
  if (!p) return p;
  if (like.knn_reference().rows() > 0) p.value().set_knn_reference(like.knn_reference());
  return p;
}

}  // namespace fluxion::learn
