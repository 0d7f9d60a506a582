// fluxion._core: the C++ engines without LibTorch, for Python (pybind11).
//
// Requests are the libraries' own structs, filled from keyword arguments through their option
// tables, so that Python checks values with the command line's declarations and messages.
// Results come back as numpy arrays (moved out of Eigen, not copied) and plain values, which
// fluxion/__init__.py turns into pandas. Long calls release the GIL.
#include <pybind11/eigen.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fluxion/cbm/fba_run.hpp"
#include "fluxion/cbm/projection.hpp"
#include "fluxion/cbm/sample_runs.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/core/model_summary.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/core/version.hpp"
#include "fluxion/io/escher_map.hpp"
#include "fluxion/io/flux_table.hpp"
#include "fluxion/io/intensity_table.hpp"
#include "fluxion/io/text_file.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/simulation_inputs.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/isotope/simulation.hpp"
#include "fluxion/isotope/traced_elements.hpp"
#include "fluxion/isotope/tracer.hpp"
#include "fluxion/mfa/fit_run.hpp"
#include "fluxion/sampling/dataset_recipe.hpp"
#include "fluxion/sampling/sampler_settings.hpp"
#include "binding.hpp"

namespace py = pybind11;
using namespace py::literals;
using namespace fluxion;
using namespace fluxion::python;

namespace {

Eigen::Index reaction_of(const Model& model, const std::string& id, const char* argument) {
  auto r = model.reaction_index(id);
  if (!r) throw InputError(std::string(argument) + ": '" + id + "' is not a reaction of model '" + model.id + "'");
  return static_cast<Eigen::Index>(*r);
}

py::dict fba_result(cbm::FbaRun run) {
  py::dict d;
  d["status"] = std::string(to_string(run.solution.status));
  d["objective"] = run.solution.objective;
  d["failure"] = run.failure();
  d["reactions"] = run.reaction_ids;
  d["fluxes"] = Eigen::VectorXd(Eigen::Map<const Eigen::VectorXd>(run.net.data(), static_cast<Eigen::Index>(run.net.size())));
  if (run.request.fva) {
    const auto n = static_cast<Eigen::Index>(run.variability.ranges.size());
    Eigen::VectorXd lo(n), hi(n);
    std::vector<std::string> status;
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto& range = run.variability.ranges[static_cast<std::size_t>(i)];
      lo(i) = range.minimum;
      hi(i) = range.maximum;
      status.emplace_back(to_string(range.status));
    }
    d["minimum"] = std::move(lo);
    d["maximum"] = std::move(hi);
    d["fva_status"] = std::move(status);
  }
  d["gene_blocked"] = run.gene_blocked;
  d["summary"] = run.summary();
  d["settings"] = run.settings();
  return d;
}

std::vector<std::string> reaction_ids(const Model& model) {
  std::vector<std::string> ids;
  ids.reserve(model.reactions.size());
  for (const auto& r : model.reactions) ids.push_back(r.id);
  return ids;
}

// `fluxion fit`: the files, run options and fit options by keyword; the report's tables as the
// command line writes them (the Python layer reads them into DataFrames) and its statistics.
py::dict fit(const py::object& progress, const py::kwargs& kwargs) {
  mfa::FitInputFiles files;
  mfa::FitRunOptions run;
  mfa::FitOptions options;
  requests_from(kwargs, Slot<mfa::FitInputFiles>{mfa::FitInputFiles::table(), files}, Slot<mfa::FitRunOptions>{mfa::FitRunOptions::table(), run},
                Slot<mfa::FitOptions>{mfa::FitOptions::table(), options});
  if (auto problems = files.validate(); !problems.empty()) throw InputError(format_diagnostics(problems));
  auto inputs = take(without_gil([&] { return mfa::load_fit_inputs(files); }));
  auto plan = take(mfa::plan_fit(inputs, options, run));
  PythonProgress reporter(progress);
  auto report = without_gil([&] {
    return mfa::run_fit(plan, inputs.model.id, [&](const std::string& phase, long, const std::string&) { return reporter.hook(phase); });
  });
  reporter.rethrow();
  const mfa::FitReport r = take(std::move(report));
  const FluxSpace& space = *inputs.space;
  py::dict d;
  d["model"] = inputs.model.id;
  d["description"] = plan.description();
  d["ssr"] = r.fit.ssr;
  d["dof"] = r.fit.dof;
  d["n_measurements"] = r.fit.n_measurements;
  d["n_parameters"] = r.fit.n_parameters;
  d["chi2_critical"] = r.fit.chi2_critical;
  d["p_value"] = r.fit.p_value;
  d["accepted"] = r.fit.accepted();
  d["termination"] = std::string(to_string(r.fit.summary.termination));
  d["usable"] = r.fit.summary.usable;
  d["starts_near_best"] = r.starts_near_best();
  d["seconds"] = r.fit.seconds;
  d["summary"] = r.summary();
  d["files"] = files_dict(r.files(space));
  d["settings"] = pairs_list(mfa::fit_settings(plan, files, run));
  py::list notes;
  for (const auto& n : plan.notes) notes.append(n.to_string());
  d["notes"] = std::move(notes);
  return d;
}

py::dict sample_runs(const cbm::SampleRuns& runs, const cbm::Settings& settings, const std::string& summary) {
  py::dict d;
  d["fluxes"] = runs.fluxes_tsv;
  d["summary_table"] = runs.summary_tsv;
  d["not_optimal"] = runs.not_optimal;
  d["seconds"] = runs.seconds;
  d["summary"] = summary;
  d["settings"] = pairs_list(settings);
  return d;
}

// `fluxion moma`, `fluxion imat`, `fluxion expression` on a model in memory; their tables as
// the commands write them (the Python layer reads them into DataFrames).
py::dict moma(const Model& model, const py::kwargs& kwargs) {
  cbm::MomaRequest q;
  requests_from(kwargs, Slot<cbm::MomaRequest>{cbm::MomaRequest::table(), q}, Slot<cbm::Perturbation>{cbm::Perturbation::table(), q.perturbation},
                Slot<cbm::MomaOptions>{cbm::MomaOptions::table(), q.options});
  auto run = take(without_gil([&] { return cbm::run_moma(model, q); }));
  auto d = sample_runs(run.runs, run.settings, run.summary);
  d["blocked"] = run.blocked;
  return d;
}

py::dict imat(const Model& model, const py::kwargs& kwargs) {
  cbm::ImatRequest q;
  requests_from(kwargs, Slot<cbm::ImatRequest>{cbm::ImatRequest::table(), q}, Slot<cbm::Perturbation>{cbm::Perturbation::table(), q.perturbation},
                Slot<cbm::ImatOptions>{cbm::ImatOptions::table(), q.options});
  auto run = take(without_gil([&] { return cbm::run_imat(model, q); }));
  auto d = sample_runs(run.runs, run.settings, run.summary);
  d["genes_found"] = run.genes_found;
  return d;
}

py::dict expression(const Model& model, const py::kwargs& kwargs) {
  cbm::ExpressionRequest q;
  requests_from(kwargs, Slot<cbm::ExpressionRequest>{cbm::ExpressionRequest::table(), q},
                Slot<cbm::ExpressionOptions>{cbm::ExpressionOptions::table(), q.options});
  auto run = take(without_gil([&] { return cbm::run_expression(model, q, model.id); }));
  warn(run.warnings);
  py::dict d;
  d["files"] = files_dict(run.files());
  d["ranges"] = run.ranges;
  d["summary"] = run.summary;
  d["settings"] = pairs_list(run.settings);
  return d;
}

// `fluxion correct`: raw intensities (a file) corrected for natural isotopes and tracer
// purity; corrected.tsv's text, in IsoCor's columns.
std::string correct(const std::string& intensities, const std::string& tracer, double purity, const std::string& isotopes,
                    bool tracer_natural_abundance) {
  io::CorrectionSettings settings;
  if (tracer == "13C") settings.tracer = Element::C;
  else if (tracer == "2H") settings.tracer = Element::H;
  else if (tracer == "15N") settings.tracer = Element::N;
  else if (tracer == "18O") settings.tracer = Element::O;
  else throw InputError("tracer: '" + tracer + "' is not one of 13C, 2H, 15N, 18O");
  if (!(purity > 0.0 && purity <= 1.0)) throw InputError("purity: must be in (0, 1], not " + format_short(purity));
  if (!isotopes.empty()) settings.isotopes = take(isotope::parse_isotope_table(take(io::read_text_file(isotopes)), isotopes));
  settings.purity = purity;
  settings.tracer_natural_abundance = tracer_natural_abundance;
  return take(without_gil([&] {
    auto sets = io::load_intensity_table(intensities, &settings.isotopes);
    if (!sets) return Result<std::string>::failure(sets.diagnostics());
    return io::correct_intensity_table(sets.value(), settings, intensities);
  }));
}

// `fluxion simulate` on a model in memory: the flux and tracer tables come as text (the
// Python layer writes a DataFrame as TSV), read by the same readers with the same checks.
py::dict simulate(const Model& model, const std::string& fluxes_text, const std::string& fluxes_source, const std::string& tracers_text,
                  const std::string& tracers_source, const std::vector<std::string>& elements, const std::vector<std::string>& measured,
                  const std::vector<std::string>& natural, bool sensitivities) {
  const auto t0 = std::chrono::steady_clock::now();
  auto space = take(FluxSpace::build(model));
  io::TracerTable tracers;
  std::string tracer_source = tracers_source;
  if (tracers_text.empty()) {
    if (!io::has_builtin_tracer_table(model.id))
      throw InputError("tracers: model '" + model.id + "' has no built-in tracer experiments; give a tracer table");
    tracers = take(io::load_tracer_table(model.id));
    tracer_source = model.id;
  } else {
    tracers = take(io::read_tracer_table(tracers_text, tracers_source));
  }
  auto problems = isotope::validate_experiments(model, tracers.experiments, tracer_source, tracers.lines);
  for (const auto& p : problems)
    if (p.severity == Severity::error) throw InputError(format_diagnostics(problems));
  auto fluxes = take(io::read_flux_table(fluxes_text, fluxes_source, model, space));
  auto labelling = take(isotope::natural_abundance_labelling(model, natural, "natural_abundance"));
  isotope::SimulationRequest request;
  request.elements = take(isotope::traced_element_list(elements, tracers.experiments, "elements"));
  request.measured = io::split_outside_brackets(measured);
  request.sensitivities = sensitivities;
  auto sim = take(without_gil([&] { return isotope::simulate_mids(model, space, fluxes, tracers.experiments, labelling, request); }));
  const double cpp_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  py::list rows;
  for (const auto& mid : sim.mids)
    for (std::size_t k = 0; k < mid.fractions.size(); ++k)
      rows.append(py::make_tuple(mid.experiment, std::string(element_symbol(mid.element)), mid.metabolite, static_cast<long>(k), mid.fractions[k]));
  py::dict d;
  d["rows"] = std::move(rows);
  d["jacobian"] = std::move(sim.jacobian);
  d["parameters"] = sim.parameters;
  d["failed"] = sim.failed;
  d["seconds"] = sim.seconds;
  d["cpp_seconds"] = cpp_seconds;  // the whole call in C++: reading, flux space, EMU network, simulation
  d["tracers"] = io::write_tracer_table(tracers.experiments);
  return d;
}

// A flag the caller sets to stop an engine that polls one (dataset: after the part in hand).
struct StopFlag {
  std::shared_ptr<std::atomic<bool>> flag = std::make_shared<std::atomic<bool>>(false);
  void set() { flag->store(true); }
  bool is_set() const { return flag->load(); }
};

// `fluxion dataset` into `output`: the recipe's and the sampler's options by keyword, one
// process (no MPI); `stop` ends it after the part in hand (resume=True finishes it).
py::dict dataset(const std::string& output, const StopFlag& stop, bool progress, const py::kwargs& kwargs) {
  sampling::DatasetRecipe r;
  sampling::SamplerSettings so;
  requests_from(kwargs, Slot<sampling::DatasetRecipe>{sampling::DatasetRecipe::table(), r},
                Slot<sampling::SamplerSettings>{sampling::SamplerSettings::table(), so});
  r.measured = io::split_outside_brackets(r.measured);
  if (r.rows == 0 && so.draws == 0) throw InputError("rows: give the number of flux sets (rows), or a draw budget (draws)");
  if (auto problems = so.validate(); !problems.empty()) throw InputError(format_diagnostics(problems));
  auto in = take(without_gil([&] { return sampling::load_dataset_inputs(r); }));
  auto setup = take(sampling::resolve_sampler(so, *in.model, r.model, *in.space));
  auto sampler = take(sampling::FluxSetSampler::create(*in.model, *in.space, setup.constraints, setup.options));
  sampling::DatasetGenerator generator(*in.space, sampler, std::move(in.traced), in.experiment_ids, sampling::dataset_options(r, in, so));
  take(generator.prepare(output, r.resume));
  sampling::DatasetRun run;
  run.threads = r.threads > 0 ? r.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  run.progress = progress;
  run.stop = stop.flag.get();
  auto summary = take(without_gil([&] { return generator.run(output, run); }));
  py::dict d;
  d["complete"] = summary.complete;
  d["rows"] = summary.rows;
  d["draws"] = summary.draws;
  d["parts_written"] = summary.parts_written;
  d["parts_resumed"] = summary.parts_resumed;
  d["file"] = summary.file;
  d["stream_end"] = summary.stream_end;
  d["seconds_simulating"] = summary.seconds_simulating;
  d["sampler"] = pairs_list(sampling::sampler_record(so, sampler));
  return d;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "fluxion's engines without LibTorch: models, flux spaces, FBA/pFBA/FVA, FBApro projections";
  register_input_error(m, PyExc_ValueError);
  m.attr("__version__") = std::string(version());
  m.attr("git_commit") = std::string(git_hash());

  py::class_<Model>(m, "Model", "A metabolic model: reactions, metabolites, atom maps, bounds and GPR rules.")
      .def_static("load", [](const std::string& source) { return take(without_gil([&] { return io::load_model(source); })); }, "source"_a,
                  "A model file (.tsv .fml .xml .sbml .json .txt, optionally .gz) or a built-in model's name "
                  "(`fluxion model list`); errors name the file, line and column.")
      .def_static("from_cobra_json", [](const std::string& text, const std::string& source) { return take(io::read_cobra_json(text, source)); },
                  "text"_a, "source"_a = "cobra model", "A model from COBRA JSON text (cobra.io.to_json).")
      .def("to_cobra_json", [](const Model& model) { return take(io::write_cobra_json(model)); }, "The model as COBRA JSON text (cobra.io.from_json reads it).")
      .def(
          "escher_map",
          [](const Model& model, double spacing) {
            io::EscherMapOptions o;
            o.spacing = spacing;
            o.layout = io::builtin_map_layout(model.id);
            return take(io::escher_map_json(model, o));
          },
          "spacing"_a = io::EscherMapOptions{}.spacing,
          "The model as an Escher map (JSON text): by hand for the built-in models, else laid out automatically (docs/formats.md, \"Maps\").")
      .def_readonly("id", &Model::id)
      .def_property_readonly("reactions", &reaction_ids, "Reaction ids, in model order.")
      .def_property_readonly(
          "metabolites",
          [](const Model& model) {
            std::vector<std::string> ids;
            for (const auto& x : model.metabolites) ids.push_back(x.id);
            return ids;
          },
          "Metabolite ids, in model order.")
      .def_property_readonly(
          "balanced_metabolites",
          [](const Model& model) {
            std::vector<std::string> ids;
            for (const auto& x : model.metabolites)
              if (!x.boundary) ids.push_back(x.id);
            return ids;
          },
          "The metabolites at steady state (the rows of stoichiometry()).")
      .def("stoichiometry", &cbm::balanced_stoichiometry,
           "S: balanced metabolites × reactions, a scipy.sparse matrix (rows: balanced_metabolites, columns: reactions).")
      .def(
          "flux_space",
          [](const Model& model) {
            auto space = take(without_gil([&] { return FluxSpace::build(model); }));
            py::dict d;
            d["rank"] = static_cast<long>(space.rank());
            d["free_net"] = space.free_net_ids();
            d["exchange"] = space.exchange_ids();
            d["columns"] = space.column_ids();
            d["summary_json"] = summarize(model, space).json(model.id);
            return d;
          },
          "The steady-state flux space: the rank of S, the free net fluxes and the exchange fluxes, as `fluxion model info` reports.")
      .def(
          "null_space",
          [](const Model& model) {
            return take(without_gil([&]() -> Result<Eigen::MatrixXd> {
              auto k = cbm::orthonormal_kernel(cbm::balanced_stoichiometry(model));
              if (!k) return Result<Eigen::MatrixXd>::failure(k.diagnostics());
              return Result<Eigen::MatrixXd>::success(std::move(k.value().basis));
            }));
          },
          "An orthonormal basis of the steady states, ker S (reactions × dimension, numpy): the rank-revealing\n"
          "sparse QR (SuiteSparseQR) that FBApro projects with.")
      .def("__repr__", [](const Model& model) {
        return "<fluxion.Model '" + model.id + "': " + std::to_string(model.reactions.size()) + " reactions, " +
               std::to_string(model.metabolites.size()) + " metabolites>";
      });

  const std::string fba_doc =
      "FBA with cobrapy's semantics on COIN-OR CLP; pFBA and FVA as `fluxion fba`.\n\n"
      "Keyword arguments (those of `fluxion fba`, underscores for dashes):\n" +
      options_doc(cbm::FbaRequest::table()) +
      "\nReturns a dict: status, objective, failure, reactions, fluxes (numpy), and with fva minimum, maximum and\n"
      "fva_status; a solve that is not optimal is a status, not an exception.";
  m.def(
      "fba",
      [](const Model& model, const py::kwargs& kwargs) {
        cbm::FbaRequest q;
        requests_from(kwargs, Slot<cbm::FbaRequest>{cbm::FbaRequest::table(), q});
        return fba_result(take(without_gil([&] { return cbm::run_fba(model, q); })));
      },
      "model"_a, fba_doc.c_str());

  m.def("simulate", &simulate, "model"_a, "fluxes_text"_a, "fluxes_source"_a, "tracers_text"_a, "tracers_source"_a, "elements"_a, "measured"_a,
        "natural"_a, "sensitivities"_a, "`fluxion simulate` on a model in memory; fluxion.simulate is the documented front.");

  const std::string fit_doc = "`fluxion fit`: least-squares 13C-MFA. Keyword arguments (underscores for dashes):\n" +
                              options_doc(mfa::FitInputFiles::table()) + options_doc(mfa::FitRunOptions::table()) +
                              options_doc(mfa::FitOptions::table()) +
                              "progress: progress(phase, done, total, unit) -> bool, False stops the fit at its next safe point.";
  m.def("fit", &fit, "progress"_a = py::none(), fit_doc.c_str());

  const std::string moma_doc = "`fluxion moma` on a model. Keyword arguments:\n" + options_doc(cbm::MomaRequest::table()) +
                               options_doc(cbm::Perturbation::table()) + options_doc(cbm::MomaOptions::table());
  m.def("moma", &moma, "model"_a, moma_doc.c_str());
  const std::string imat_doc = "`fluxion imat` on a model. Keyword arguments:\n" + options_doc(cbm::ImatRequest::table()) +
                               options_doc(cbm::Perturbation::table()) + options_doc(cbm::ImatOptions::table());
  m.def("imat", &imat, "model"_a, imat_doc.c_str());
  const std::string expression_doc = "`fluxion expression` on a model. Keyword arguments:\n" +
                                     options_doc(cbm::ExpressionRequest::table()) + options_doc(cbm::ExpressionOptions::table());
  m.def("expression", &expression, "model"_a, expression_doc.c_str());

  m.def("correct", &correct, "intensities"_a, "tracer"_a = "13C", "purity"_a = 1.0, "isotopes"_a = "", "tracer_natural_abundance"_a = true,
        "`fluxion correct` on an intensity file; corrected.tsv's text.");

  py::class_<StopFlag>(m, "StopFlag", "Set it to stop an engine that polls it (dataset: after the part in hand)")
      .def(py::init<>())
      .def("set", &StopFlag::set)
      .def_property_readonly("is_set", &StopFlag::is_set);
  const std::string dataset_doc = "`fluxion dataset` into `output`. Keyword arguments:\n" + options_doc(sampling::DatasetRecipe::table()) +
                                  options_doc(sampling::SamplerSettings::table());
  m.def("dataset", &dataset, "output"_a, "stop"_a, "progress"_a = false, dataset_doc.c_str());

  py::class_<cbm::Projector>(m, "Projector", "FBApro's closed-form projection onto a model's steady states, built once and applied to many samples.")
      .def_property_readonly("n_reactions", &cbm::Projector::n_reactions)
      .def_property_readonly("kernel_dimension", &cbm::Projector::kernel_dimension)
      .def(
          "apply",
          [](const cbm::Projector& p, const Eigen::Ref<const Eigen::MatrixXd>& references) {
            if (references.rows() != p.n_reactions())
              throw InputError("references: expected " + std::to_string(p.n_reactions()) + " rows (one per reaction), got " +
                               std::to_string(references.rows()));
            return without_gil([&] { return p.apply(references); });
          },
          "references"_a,
          "Projects the columns of `references` (reactions × samples, float64) onto the steady states. A Fortran-ordered\n"
          "float64 array is read in place, not copied; the result is a new Fortran-ordered array.");
  // For the tests: the address of the buffer a batch argument reaches the engine with (numpy's
  // own for a Fortran-ordered float64 array; a converted copy's otherwise).
  m.def(
      "_buffer_address", [](const Eigen::Ref<const Eigen::MatrixXd>& a) { return reinterpret_cast<std::uintptr_t>(a.data()); }, "a"_a);
  m.def(
      "projector",
      [](const Model& model, const std::vector<std::string>& fixed, const std::vector<std::string>& noisy, const std::string& variant) {
        std::vector<Eigen::Index> h, mm;
        for (const auto& id : fixed) h.push_back(reaction_of(model, id, "fixed"));
        for (const auto& id : noisy) mm.push_back(reaction_of(model, id, "noisy"));
        auto v = cbm::parse_projection_variant(variant);
        if (!v) throw InputError("variant: '" + variant + "' is not full, fixed, partial or basic");
        return take(without_gil([&]() -> Result<cbm::Projector> {
          auto basis = cbm::orthonormal_kernel(cbm::balanced_stoichiometry(model));
          if (!basis) return Result<cbm::Projector>::failure(basis.diagnostics());
          return cbm::Projector::build(std::move(basis.value().basis),
                                       cbm::variant_sets(*v, h, mm, static_cast<Eigen::Index>(model.reactions.size())));
        }));
      },
      "model"_a, "fixed"_a = std::vector<std::string>{}, "noisy"_a = std::vector<std::string>{}, "variant"_a = "full",
      "A projector for FBApro's variant (full, fixed, partial, basic) with the reactions measured exactly (fixed) and\n"
      "with noise (noisy), as `fluxion project`.");
}
