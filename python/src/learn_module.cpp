// fluxion._learn: the engines on LibTorch, for Python (pybind11): ML-Flux prediction with a
// predictor package, and scFEA on a cell matrix handed over from AnnData/scipy. A module of
// its own, imported only when one of them is called, so that `import fluxion` does not load
// LibTorch (as the `fluxion` command hands these to `fluxion-learn`). It shares no types with
// fluxion._core: models and tables cross as paths and arrays.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fluxion/core/options.hpp"
#include "fluxion/core/version.hpp"
#include "fluxion/io/mid_table.hpp"
#include "fluxion/learn/predictor_package.hpp"
#include "fluxion/scflux/run.hpp"
#include "binding.hpp"

namespace py = pybind11;
using namespace py::literals;
using namespace fluxion;
using namespace fluxion::python;

namespace {

// A predictor package opened once (its networks, imputers and error tables) and applied to
// many MID tables.
class Predictor {
 public:
  Predictor(const std::string& package, const std::string& model)
      : package_(take(without_gil([&] { return learn::PredictorPackage::open(package, model); }))) {}

  py::dict predict(const std::string& mids, const py::kwargs& kwargs) const {
    learn::PredictOptions options;
    requests_from(kwargs, Slot<learn::PredictOptions>{learn::PredictOptions::table(), options});
    auto table = take(io::load_mid_table(mids));
    auto observations = take(package_.observations(table, mids));
    learn::PredictOptions po = options;
    po.knn_k = options.knn_k > 0 ? options.knn_k : package_.knn_k();
    auto report = take(without_gil([&] { return package_.predict(observations, po, nullptr, mids); }));
    warn(report.warnings);
    py::dict d;
    d["files"] = files_dict(package_.result_files(observations, report, options));
    d["table"] = package_.result_table(report);
    d["model"] = package_.model().id;
    d["package"] = package_.path();
    return d;
  }
  std::string model_id() const { return package_.model().id; }
  std::string path() const { return package_.path(); }

 private:
  learn::PredictorPackage package_;
};

// scFEA on cells × genes handed over as CSR arrays (scipy's, from AnnData's X or a layer):
// the network from the request's files, a directory or a model; groups as one label per cell.
py::dict run_scflux(py::array_t<std::int64_t, py::array::c_style | py::array::forcecast> indptr,
                py::array_t<std::int32_t, py::array::c_style | py::array::forcecast> indices,
                py::array_t<float, py::array::c_style | py::array::forcecast> data, std::vector<std::string> genes, std::vector<std::string> cells,
                std::vector<std::string> labels, const py::object& progress, const py::kwargs& kwargs) {
  scflux::ScfluxRequest request;
  scflux::ScfeaOptions options;
  requests_from(kwargs, Slot<scflux::ScfluxRequest>{scflux::ScfluxRequest::table(), request},
                Slot<scflux::ScfeaOptions>{scflux::ScfeaOptions::table(), options});
  if (!request.expression.empty()) throw InputError("expression: give the cells as an AnnData or a matrix, not also a file");
  const auto n_cells = static_cast<Eigen::Index>(cells.size()), n_genes = static_cast<Eigen::Index>(genes.size());
  if (indptr.size() != n_cells + 1) throw InputError("expression: indptr has " + std::to_string(indptr.size()) + " entries for " + std::to_string(n_cells) + " cells");
  if (indices.size() != data.size()) throw InputError("expression: indices and data differ in length");
  if (!labels.empty() && static_cast<Eigen::Index>(labels.size()) != n_cells) throw InputError("groups: one label per cell");
  if (data.size() > std::numeric_limits<int>::max()) throw InputError("expression: more than 2^31 non-zero values; give the network genes only");

  io::CellMatrix matrix;
  matrix.genes = std::move(genes);
  matrix.cells = std::move(cells);
  {
    // checked as a file's reader would: indices in range, values finite and ≥ 0
    const auto* p = indptr.data();
    const auto* j = indices.data();
    const auto* v = data.data();
    std::vector<Eigen::Triplet<float>> entries;
    entries.reserve(static_cast<std::size_t>(data.size()));
    for (Eigen::Index i = 0; i < n_cells; ++i) {
      if (p[i] > p[i + 1] || p[i + 1] > data.size()) throw InputError("expression: indptr is not a CSR row pointer at cell " + std::to_string(i));
      for (auto k = p[i]; k < p[i + 1]; ++k) {
        if (j[k] < 0 || j[k] >= n_genes) throw InputError("expression: a gene index out of range at cell '" + matrix.cells[static_cast<std::size_t>(i)] + "'");
        if (!(v[k] >= 0.0f) || !std::isfinite(v[k]))
          throw InputError("expression: cell '" + matrix.cells[static_cast<std::size_t>(i)] + "', gene '" + matrix.genes[static_cast<std::size_t>(j[k])] +
                           "': values must be finite and >= 0");
        entries.emplace_back(static_cast<int>(i), j[k], v[k]);
      }
    }
    matrix.values.resize(n_cells, n_genes);
    matrix.values.setFromTriplets(entries.begin(), entries.end());
  }
  auto network = take(without_gil([&] { return scflux::load_network(scflux::network_source(request)); }));
  scflux::ScfluxInputs inputs{std::move(network), std::move(matrix), std::move(labels)};

  PythonProgress reporter(progress);
  options.progress = reporter.hook("scfea");
  auto run = without_gil([&] { return scflux::run_scflux(inputs, request, options); });
  options.progress = nullptr;
  reporter.rethrow();
  auto r = take(std::move(run));
  const io::ScfeaNetwork& net = inputs.network.network;
  std::vector<std::string> modules, module_names, compounds = net.compounds;
  for (const auto& m : net.modules) {
    modules.push_back(m.id);
    module_names.push_back(m.name);
  }
  py::dict d;
  d["flux"] = Eigen::MatrixXf(std::move(r.result.flux));
  d["balance"] = Eigen::MatrixXf(std::move(r.result.balance));
  d["modules"] = modules;
  d["module_names"] = module_names;
  d["compounds"] = compounds;
  d["genes_found"] = r.result.genes_found;
  d["genes_used"] = r.result.genes_used;
  d["termination"] = std::string(to_string(r.result.summary.termination));
  d["summary"] = r.summary;
  d["files"] = files_dict(r.files);
  d["settings"] = pairs_list(r.settings);
  return d;
}

}  // namespace

PYBIND11_MODULE(_learn, m) {
  m.doc() = "fluxion's engines on LibTorch: ML-Flux prediction and scFEA";
  // a subclass of fluxion.InputError (fluxion._core's): one except clause catches both modules'
  register_input_error(m, py::module_::import("fluxion._core").attr("InputError"));
  m.attr("__version__") = std::string(version());
  m.attr("git_commit") = std::string(git_hash());

  py::class_<Predictor>(m, "Predictor", "An ML-Flux predictor package, opened once")
      .def(py::init<const std::string&, const std::string&>(), "package"_a, "model"_a = "")
      .def_property_readonly("model", &Predictor::model_id)
      .def_property_readonly("path", &Predictor::path)
      .def("predict", &Predictor::predict, "mids"_a, "The result files of `fluxion predict` for a MID table file.");
  m.def("scflux", &run_scflux, "indptr"_a, "indices"_a, "data"_a, "genes"_a, "cells"_a, "labels"_a, "progress"_a = py::none(),
        "scFEA on CSR cells × genes; the options of `fluxion scflux`.");
}
