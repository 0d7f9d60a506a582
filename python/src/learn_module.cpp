// fluxion._learn: the engines on LibTorch, for Python (pybind11): ML-Flux prediction with a
// predictor package, and scFEA on a cell matrix handed over from AnnData/scipy. A module of
// its own, imported only when one of them is called, so that `import fluxion` does not load
// LibTorch (as the `fluxion` command hands these to `fluxion-learn`). It shares no types with
// fluxion._core: models and tables cross as paths and arrays.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fluxion/core/options.hpp"
#include "fluxion/core/version.hpp"
#include "fluxion/io/mid_table.hpp"
#include "fluxion/dynamics/neural_process.hpp"
#include "fluxion/dynamics/flux_series.hpp"
#include "fluxion/dynamics/results.hpp"
#include "fluxion/dynamics/time_series.hpp"
#include "fluxion/io/scfea_network.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/learn/package_training.hpp"
#include "fluxion/learn/predictor_package.hpp"
#include "fluxion/learn/scoring.hpp"
#include "fluxion/sampling/dataset_contents.hpp"
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
    const auto start = std::chrono::steady_clock::now();
    learn::PredictOptions options;
    requests_from(kwargs, Slot<learn::PredictOptions>{learn::PredictOptions::table(), options});
    auto table = take(io::load_mid_table(mids, !package_.layout().times.empty()));
    auto observations = take(package_.observations(table, mids));
    learn::PredictOptions po = options;
    po.knn_k = options.knn_k > 0 ? options.knn_k : package_.knn_k();
    const auto t0 = std::chrono::steady_clock::now();
    auto report = take(without_gil([&] { return package_.predict(observations, po, nullptr, mids); }));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    warn(report.warnings);
    auto files = package_.result_files(observations, report, options);
    const double cpp_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    py::dict d;
    d["cpp_seconds"] = cpp_seconds;  // the whole call in C++: reading the MIDs, predicting, the result tables
    d["files"] = files_dict(files);
    d["table"] = package_.result_table(report);
    d["model"] = package_.model().id;
    d["package"] = package_.path();
    d["seconds"] = seconds;  // the engine's prediction alone (not the reading)
    return d;
  }
  // `fluxion score`: every flux beside the training mean on a dataset's rows; the files.
  py::dict score(const std::string& dataset, const py::kwargs& kwargs) const {
    learn::ScoreRows rows;
    learn::ScoreOptions options;
    requests_from(kwargs, Slot<learn::ScoreRows>{learn::ScoreRows::table(), rows}, Slot<learn::ScoreOptions>{learn::ScoreOptions::table(), options});
    std::string file = dataset;
    if (std::filesystem::is_directory(file)) file = (std::filesystem::path(file) / "dataset.h5").string();
    auto data = take(without_gil([&] { return sampling::read_dataset(file, {.mids_float32 = true}); }));
    auto scored = take(without_gil([&] { return package_.score(data, file, rows, options); }));
    py::dict d;
    d["files"] = files_dict(package_.score_files(scored, file, rows));
    d["summary"] = scored.summary();
    d["table"] = scored.table();
    d["median_skill"] = scored.score.median_skill();
    d["rows"] = static_cast<long>(scored.score.rows);
    return d;
  }
  std::string model_id() const { return package_.model().id; }
  std::string path() const { return package_.path(); }

 private:
  learn::PredictorPackage package_;
};

// scFEA on loaded inputs, progress to a Python callable; the results as arrays and names.
py::dict scflux_result(const scflux::ScfluxInputs& inputs, const scflux::ScfluxRequest& request, scflux::ScfeaOptions options,
                       const py::object& progress) {
  PythonProgress reporter(progress);
  options.progress = reporter.hook("scfea");
  auto run = without_gil([&] { return scflux::run_scflux(inputs, request, options); });
  options.progress = nullptr;
  reporter.rethrow();
  auto r = take(std::move(run));
  const io::ScfeaNetwork& net = inputs.network.network;
  std::vector<std::string> modules, module_names;
  for (const auto& m : net.modules) {
    modules.push_back(m.id);
    module_names.push_back(m.name);
  }
  py::dict d;
  d["flux"] = Eigen::MatrixXf(std::move(r.result.flux));
  d["balance"] = Eigen::MatrixXf(std::move(r.result.balance));
  d["modules"] = modules;
  d["module_names"] = module_names;
  d["compounds"] = net.compounds;
  d["genes_found"] = r.result.genes_found;
  d["genes_used"] = r.result.genes_used;
  d["termination"] = std::string(to_string(r.result.summary.termination));
  d["summary"] = r.summary;
  d["files"] = files_dict(r.files);
  d["settings"] = pairs_list(r.settings);
  return d;
}

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
  const auto n_cells = static_cast<Eigen::Index>(cells.size());
  if (indices.size() != data.size()) throw InputError("expression: indices and data differ in length");
  if (!labels.empty() && static_cast<Eigen::Index>(labels.size()) != n_cells) throw InputError("groups: one label per cell");
  auto network = take(without_gil([&] { return scflux::load_network(scflux::network_source(request)); }));
  // without imputation only the network's genes are copied, the others kept as per-cell
  // totals (the same fluxes; the command line reads files so); MAGIC needs every gene
  const std::vector<std::string> only = options.impute ? std::vector<std::string>{} : scflux::network_genes(network.network);
  io::CsrArrays csr;
  csr.indptr = indptr.data(), csr.indptr_size = static_cast<std::size_t>(indptr.size());
  csr.indices = indices.data(), csr.data = data.data(), csr.nnz = static_cast<std::size_t>(data.size());
  io::CellMatrix matrix = take(io::cell_matrix_from_csr(std::move(genes), std::move(cells), csr, only));
  scflux::ScfluxInputs inputs{std::move(network), std::move(matrix), std::move(labels)};

  return scflux_result(inputs, request, options, progress);
}

// `fluxion scflux` on a file (10x directory or .h5, a dense table, .h5ad), read by the
// command's reader; the cells' names come back with the results.
py::dict run_scflux_file(const py::object& progress, const py::kwargs& kwargs) {
  scflux::ScfluxRequest request;
  scflux::ScfeaOptions options;
  requests_from(kwargs, Slot<scflux::ScfluxRequest>{scflux::ScfluxRequest::table(), request},
                Slot<scflux::ScfeaOptions>{scflux::ScfeaOptions::table(), options});
  if (request.expression.empty()) throw InputError("expression: give the expression file");
  auto inputs = take(without_gil([&] { return scflux::load_scflux_inputs(request); }));
  auto d = scflux_result(inputs, request, options, progress);
  d["cells"] = inputs.cells.cells;
  return d;
}

// `fluxion train`: a predictor package from a dataset, written to `output` (predictor.fluxpkg
// and the training tables) as the command writes it; resumable from its checkpoint.
py::dict train(const std::string& dataset, const std::string& output, const std::string& model, const py::object& progress,
               const py::kwargs& kwargs) {
  learn::PackageTrainOptions o;
  requests_from(kwargs, Slot<learn::PackageTrainOptions>{learn::PackageTrainOptions::table(), o});
  if (auto problems = o.validate(); !problems.empty()) throw InputError(format_diagnostics(problems));
  auto data = take(without_gil([&] { return learn::TrainingData::open(dataset, model); }));
  auto options = take(o.train_options(data, output));
  take(io::make_output_directory(output));
  PythonProgress reporter(progress);
  options.progress = false;  // the Python side draws it
  options.on_progress = reporter.hook("train");
  auto trained = without_gil([&] { return learn::train_package(data, options, o); });
  reporter.rethrow();
  auto run = take(std::move(trained));
  py::dict d;
  d["paused"] = run.paused();
  d["epochs_run"] = static_cast<long>(run.history.train_loss.size());
  d["best_epoch"] = run.history.best_epoch;
  d["checkpoint"] = options.checkpoint;
  std::string package;
  if (!run.paused()) {
    package = output + "/predictor.fluxpkg";
    run.predictor.manifest()["training"]["command"] = std::vector<std::string>{"python: fluxion.train"};
    take(run.predictor.save(package));
    std::error_code removed;
    std::filesystem::remove(options.checkpoint, removed);
    d["report"] = run.report(package);
    d["test_mae_mean"] = run.test.mean_mae();
    d["trivial_test_mae_mean"] = run.test.mean_trivial_mae();
  }
  take(io::write_output_files(output, run.files()));
  d["package"] = package;
  d["files"] = files_dict(run.files());
  return d;
}

// `fluxion ensemble`: packages trained on one dataset joined into one predicting their
// mean, written to `output` with its error tables.
py::dict ensemble(const std::vector<std::string>& members, const std::string& dataset, const std::string& output, const std::string& model,
                  const py::kwargs& kwargs) {
  learn::EnsembleOptions o;
  requests_from(kwargs, Slot<learn::EnsembleOptions>{learn::EnsembleOptions::table(), o});
  o.members = members;
  o.progress = false;
  auto data = take(without_gil([&] { return learn::TrainingData::open(dataset, model); }));
  take(io::make_output_directory(output));
  auto run = take(without_gil([&] { return learn::ensemble_package(data, o); }));
  const std::string package = output + "/predictor.fluxpkg";
  run.predictor.manifest()["ensemble"]["command"] = std::vector<std::string>{"python: fluxion.ensemble"};
  take(run.predictor.save(package));
  take(io::write_output_files(output, run.files()));
  py::dict d;
  d["package"] = package;
  d["members"] = run.member_paths;
  d["test_mae_mean"] = run.test.mean_mae();
  d["trivial_test_mae_mean"] = run.test.mean_trivial_mae();
  d["files"] = files_dict(run.files());
  return d;
}

// `fluxion dynamics train`: NP, NODEP or SNODEP on per-day tables (`data`) or a knockout
// experiment's configurations, written to `output` (model.pt, model.json and the tables).
py::dict dynamics_train(const std::string& data, const std::string& configurations, const std::string& output, const py::object& progress,
                        const py::kwargs& kwargs) {
  dynamics::NeuralProcessOptions options;
  requests_from(kwargs, Slot<dynamics::NeuralProcessOptions>{dynamics::NeuralProcessOptions::table(), options});
  if (data.empty() == configurations.empty()) throw InputError("give either data (per-day tables) or configurations (a knockout experiment)");
  auto input = take(without_gil([&] { return dynamics::load_training_input(data, configurations); }));
  if (auto v = options.validate(input.configurations.front().series.days.size()); !v.empty()) throw InputError(format_diagnostics(v));
  take(io::make_output_directory(output));
  PythonProgress reporter(progress);
  options.progress = reporter.hook("train " + options.model);
  auto trained = without_gil([&] { return dynamics::train_neural_process(input.configurations, options); });
  options.progress = nullptr;
  reporter.rethrow();
  auto r = take(std::move(trained));
  const auto files = dynamics::training_files(r, options);
  take(io::write_output_files(output, files));
  take(r.model.save(output));
  py::dict d;
  d["files"] = files_dict(files);
  d["report"] = dynamics::training_report(r, options);
  d["usable"] = r.summary.usable;
  d["message"] = r.summary.message;
  d["method"] = r.model.description();
  d["protocol"] = r.protocol;
  d["epochs"] = static_cast<long>(r.history.size());
  return d;
}

// `fluxion dynamics predict`: a trained model's distributions at any days; the tables written
// to `output` when one is given.
py::dict dynamics_predict(const std::string& output, const py::kwargs& kwargs) {
  dynamics::PredictRequest q;
  requests_from(kwargs, Slot<dynamics::PredictRequest>{dynamics::PredictRequest::table(), q});
  auto run = take(without_gil([&] { return dynamics::run_prediction(q); }));
  std::vector<std::string> written;
  if (!output.empty()) {
    take(io::make_output_directory(output));
    written = take(run.write(output));
  }
  py::dict d;
  d["summary"] = run.tables.summary_csv;
  d["description"] = run.description;
  d["days"] = static_cast<long>(run.days);
  d["settings"] = pairs_list(run.settings);
  d["written"] = written;
  return d;
}

// `fluxion dynamics scfea`: per-day module flux and balance from an expression time series,
// with knockouts; written to `output`.
py::dict dynamics_scfea(const std::string& data, const std::string& network, const std::string& output, const py::object& progress,
                        const py::kwargs& kwargs) {
  dynamics::SeriesFluxOptions options;
  requests_from(kwargs, Slot<dynamics::SeriesFluxOptions>{dynamics::SeriesFluxOptions::table(), options});
  if (auto problems = options.validate(); !problems.empty()) throw InputError(format_diagnostics(problems));
  auto expression = take(without_gil([&] { return dynamics::load_time_series(data); }));
  auto net = take(io::load_scfea_network_directory(network));
  PythonProgress reporter(progress);
  auto hook = reporter.hook("scFEA per configuration");
  const long total = options.knockouts.sets + 1;
  auto run = without_gil([&] {
    return dynamics::run_series_flux(expression, net, options, [&](std::size_t i) {
      if (hook) hook(Progress{static_cast<long>(i), total, "fits"});
    });
  });
  reporter.rethrow();
  auto r = take(std::move(run));
  take(io::make_output_directory(output));
  py::dict d;
  d["written"] = take(r.write(output));
  d["summary"] = r.summary;
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
      .def("predict", &Predictor::predict, "mids"_a, "The result files of `fluxion predict` for a MID table file.")
      .def("score", &Predictor::score, "dataset"_a, "The files of `fluxion score` on a dataset's rows.");
  const std::string train_doc = "`fluxion train` into `output`. Keyword arguments:\n" + options_doc(learn::PackageTrainOptions::table()) +
                                "progress: progress(phase, done, total, unit) -> bool, False pauses at the epoch's end (resume=True continues).";
  m.def("train", &train, "dataset"_a, "output"_a, "model"_a = "", "progress"_a = py::none(), train_doc.c_str());
  const std::string ensemble_doc = "`fluxion ensemble` into `output`. Keyword arguments:\n" + options_doc(learn::EnsembleOptions::table());
  m.def("ensemble", &ensemble, "members"_a, "dataset"_a, "output"_a, "model"_a = "", ensemble_doc.c_str());
  const std::string dynamics_train_doc = "`fluxion dynamics train` into `output`. Keyword arguments:\n" +
                                         options_doc(dynamics::NeuralProcessOptions::table());
  m.def("dynamics_train", &dynamics_train, "data"_a, "configurations"_a, "output"_a, "progress"_a = py::none(), dynamics_train_doc.c_str());
  const std::string dynamics_predict_doc = "`fluxion dynamics predict`. Keyword arguments:\n" + options_doc(dynamics::PredictRequest::table());
  m.def("dynamics_predict", &dynamics_predict, "output"_a = "", dynamics_predict_doc.c_str());
  const std::string dynamics_scfea_doc = "`fluxion dynamics scfea` into `output`. Keyword arguments:\n" +
                                         options_doc(dynamics::SeriesFluxOptions::table());
  m.def("dynamics_scfea", &dynamics_scfea, "data"_a, "network"_a, "output"_a, "progress"_a = py::none(), dynamics_scfea_doc.c_str());
  m.def("scflux_file", &run_scflux_file, "progress"_a = py::none(), "scFEA on an expression file; the options of `fluxion scflux`.");
  m.def("scflux", &run_scflux, "indptr"_a, "indices"_a, "data"_a, "genes"_a, "cells"_a, "labels"_a, "progress"_a = py::none(),
        "scFEA on CSR cells × genes; the options of `fluxion scflux`.");
}
