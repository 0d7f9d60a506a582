// The Keras reader apart from LibTorch (the fuzz target links it alone).
#include "fluxion/learn/keras_import.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>

#include "fluxion/io/hdf5_handle.hpp"

namespace fluxion::learn {

namespace {

using H5Handle = io::hdf5::Handle;  // the HDF5 plumbing the dataset and matrix readers share

void quiet_hdf5() { io::hdf5::silence(); }

// A variable- or fixed-length string array attribute.
std::optional<std::vector<std::string>> string_array_attribute(hid_t object, const char* name) {
  if (H5Aexists(object, name) <= 0) return std::nullopt;
  H5Handle attr(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  if (!attr.ok()) return std::nullopt;
  H5Handle type(H5Aget_type(attr.id), H5Tclose);
  H5Handle space(H5Aget_space(attr.id), H5Sclose);
  if (!type.ok() || !space.ok() || H5Tget_class(type.id) != H5T_STRING) return std::nullopt;
  const hssize_t n = H5Sget_simple_extent_npoints(space.id);
  if (n < 0 || n > 100000) return std::nullopt;
  std::vector<std::string> out;
  if (H5Tis_variable_str(type.id) > 0) {
    H5Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.id, H5T_VARIABLE);
    std::vector<char*> raw(static_cast<std::size_t>(n), nullptr);
    if (H5Aread(attr.id, mem.id, raw.data()) < 0) return std::nullopt;
    for (char* s : raw) out.emplace_back(s ? s : "");
    H5Dvlen_reclaim(mem.id, space.id, H5P_DEFAULT, raw.data());
  } else {
    const std::size_t size = H5Tget_size(type.id);
    if (size == 0 || size > 65536) return std::nullopt;
    H5Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.id, size);
    std::vector<char> raw(static_cast<std::size_t>(n) * size, '\0');
    if (H5Aread(attr.id, mem.id, raw.data()) < 0) return std::nullopt;
    for (hssize_t i = 0; i < n; ++i) {
      const char* s = raw.data() + static_cast<std::size_t>(i) * size;
      out.emplace_back(s, strnlen(s, size));
    }
  }
  return out;
}

// A float dataset of rank 1 or 2 as (rows, cols, values row-major).
struct FloatArray {
  std::vector<hsize_t> shape;
  std::vector<float> values;
};

std::optional<FloatArray> float_dataset(hid_t file, const std::string& path) {
  if (H5Lexists(file, path.c_str(), H5P_DEFAULT) <= 0) return std::nullopt;
  H5Handle set(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!set.ok()) return std::nullopt;
  H5Handle space(H5Dget_space(set.id), H5Sclose);
  H5Handle type(H5Dget_type(set.id), H5Tclose);
  if (!space.ok() || !type.ok() || H5Tget_class(type.id) != H5T_FLOAT) return std::nullopt;
  const int rank = H5Sget_simple_extent_ndims(space.id);
  if (rank < 1 || rank > 2) return std::nullopt;
  FloatArray a;
  a.shape.resize(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.id, a.shape.data(), nullptr);
  hsize_t n = 1;
  for (hsize_t d : a.shape) n *= d;
  if (n > (hsize_t{1} << 31)) return std::nullopt;
  a.values.resize(static_cast<std::size_t>(n));
  if (n > 0 && H5Dread(set.id, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data()) < 0) return std::nullopt;
  return a;
}

std::string string_attribute(hid_t object, const char* name) {
  auto v = string_array_attribute(object, name);
  return v && v->size() == 1 ? v->front() : std::string();
}

}  // namespace

Result<KerasDenseNetwork> read_keras_dense(const std::string& architecture_json, const std::string& weights_h5) {
  using R = Result<KerasDenseNetwork>;
  auto fail = [](const std::string& where, const std::string& what) { return R::failure({Diagnostic{Severity::error, where, 0, 0, {}, what}}); };
  nlohmann::json arch;
  {
    if (const std::string problem = file_problem(architecture_json); !problem.empty()) return fail(architecture_json, problem);
    std::ifstream in(architecture_json);
    if (!in) return fail(architecture_json, "cannot open");
    try {
      arch = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      return fail(architecture_json, std::string("is not JSON: ") + e.what());
    }
  }
  KerasDenseNetwork net;
  struct DenseLayer {
    std::string name, activation;
    long units = 0;
  };
  std::vector<DenseLayer> dense;
  try {
    if (arch.value("class_name", std::string()) != "Sequential")
      return fail(architecture_json, "is not a Keras Sequential model (class_name " + arch.value("class_name", std::string("missing")) + ")");
    for (const auto& layer : arch.at("config").at("layers")) {
      const std::string kind = layer.at("class_name").get<std::string>();
      const auto& c = layer.at("config");
      if (kind == "InputLayer") {
        const auto& shape = c.at("batch_input_shape");
        if (!shape.is_array() || shape.size() != 2 || !shape[1].is_number_integer() || shape[1].get<long>() < 1 || shape[1].get<long>() > 100000000)
          return fail(architecture_json, "the input layer's shape " + shape.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + " is not (batch, inputs)");
        net.inputs = shape[1].get<std::size_t>();
      } else if (kind == "Flatten") {
        continue;  // a no-op on (batch, inputs)
      } else if (kind == "Dense") {
        if (!c.at("units").is_number_integer() || c.at("units").get<long>() < 1 || c.at("units").get<long>() > 1000000)
          return fail(architecture_json, "a Dense layer's units " + c.at("units").dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + " is not a whole number from 1 to 1,000,000");
        dense.push_back({c.at("name").get<std::string>(), c.value("activation", std::string("linear")), c.at("units").get<long>()});
        if (!c.value("use_bias", true)) return fail(architecture_json, "layer " + dense.back().name + " has no bias; fluxion's layers all have one");
      } else {
        return fail(architecture_json, "layer class " + kind + " is not supported (InputLayer, Flatten and Dense are)");
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return fail(architecture_json, std::string("is not a Keras model description: ") + e.what());
  }
  if (net.inputs == 0) return fail(architecture_json, "names no input layer with its number of inputs");
  if (dense.empty()) return fail(architecture_json, "has no Dense layer");
  for (std::size_t i = 0; i < dense.size(); ++i) {
    const bool last = i + 1 == dense.size();
    if (dense[i].activation != (last ? "linear" : "relu"))
      return fail(architecture_json, "layer " + dense[i].name + " has activation " + dense[i].activation + "; fluxion's networks have relu hidden layers and a linear output");
  }

  if (const std::string problem = file_problem(weights_h5); !problem.empty()) return fail(weights_h5, problem);
  quiet_hdf5();
  H5Handle file(H5Fopen(weights_h5.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.ok()) return fail(weights_h5, "cannot be opened as an HDF5 file");
  const auto layer_names = string_array_attribute(file.id, "layer_names");
  if (!layer_names) return fail(weights_h5, "has no attribute layer_names: not a Keras weights file");
  net.keras_version = string_attribute(file.id, "keras_version");
  net.backend = string_attribute(file.id, "backend");
  std::size_t in = net.inputs;
  for (const auto& layer : dense) {
    if (std::find(layer_names->begin(), layer_names->end(), layer.name) == layer_names->end())
      return fail(weights_h5, "has no weights for layer " + layer.name);
    H5Handle group(H5Gopen2(file.id, layer.name.c_str(), H5P_DEFAULT), H5Gclose);
    if (!group.ok()) return fail(weights_h5, "has no group for layer " + layer.name);
    const auto names = string_array_attribute(group.id, "weight_names");
    if (!names) return fail(weights_h5, "layer " + layer.name + " has no attribute weight_names");
    std::optional<FloatArray> kernel, bias;
    for (const auto& w : *names) {
      const std::string path = "/" + layer.name + "/" + w;
      if (w.size() >= 8 && w.compare(w.size() - 8, 8, "kernel:0") == 0) kernel = float_dataset(file.id, path);
      else if (w.size() >= 6 && w.compare(w.size() - 6, 6, "bias:0") == 0) bias = float_dataset(file.id, path);
    }
    const auto units = static_cast<std::size_t>(layer.units);
    if (!kernel || kernel->shape.size() != 2 || kernel->shape[0] != in || kernel->shape[1] != units)
      return fail(weights_h5, "layer " + layer.name + ": no float kernel of shape (" + std::to_string(in) + ", " + std::to_string(units) + ")");
    if (!bias || bias->shape.size() != 1 || bias->shape[0] != units)
      return fail(weights_h5, "layer " + layer.name + ": no float bias of " + std::to_string(units) + " values");
    // Keras's kernel is (in, out), row-major: its transpose is out × in
    Eigen::MatrixXf w = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(kernel->values.data(),
                                                                                                             static_cast<Eigen::Index>(in),
                                                                                                             static_cast<Eigen::Index>(units))
                            .transpose();
    if (!w.allFinite() || !Eigen::Map<const Eigen::VectorXf>(bias->values.data(), static_cast<Eigen::Index>(units)).allFinite())
      return fail(weights_h5, "layer " + layer.name + " holds weights that are not finite");
    net.names.push_back(layer.name);
    net.weights.push_back(std::move(w));
    net.biases.push_back(Eigen::Map<const Eigen::VectorXf>(bias->values.data(), static_cast<Eigen::Index>(units)));
    net.activations.push_back(layer.activation);
    in = units;
  }
  return R::success(std::move(net));
}

}  // namespace fluxion::learn
