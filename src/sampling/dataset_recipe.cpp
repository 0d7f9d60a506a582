// The inputs of a dataset run (sampling/dataset_recipe.hpp).
#include "fluxion/sampling/dataset_recipe.hpp"

#include "fluxion/core/diagnostic_log.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/isotope/tracer.hpp"

namespace fluxion::sampling {

const OptionTable<DatasetRecipe>& DatasetRecipe::table() {
  using R = DatasetRecipe;
  static const OptionTable<R> t = [] {
    OptionTable<R> t;
    t.add("model", &R::model, "Model: built-in name or file").short_name("m").required().kind(OptionKind::model);
    t.add("rows", &R::rows, "Flux sets wanted (0 = until --draws are spent)").short_name("n").range(0, 1000000000).no_default();
    t.add("experiments", &R::experiments, "Tracer table (experiment, substrate, label, fraction, purity); default: the built-in experiments of a built-in model")
        .short_name("e")
        .file();
    t.add("element", &R::elements, "Traced elements to simulate (C, H, N, O); default: those the experiments label").no_default();
    t.add("measured", &R::measured, "Metabolites in the MID vector (comma-separated; Ala[2,3] is one); default: the model's measured metabolites")
        .no_split()
        .no_default();
    t.add("natural-abundance", &R::natural, "Natural abundance of the traced element at unlabelled substrate atoms: none, all, or substrate ids");
    t.add("threads", &R::threads, "Threads simulating (0 = every core)").range(0, 1024).no_default();
    t.add("part-rows", &R::part_rows, "Rows per part: the unit of work, of writing and of resumption").range(1, 10000000);
    t.add("mid-precision", &R::precision, "MIDs stored as float32 or float64").choices({"float32", "float64"});
    t.add("density-neighbours", &R::density,
          "Keep a flux set with probability D/Dmax, D its MIDs' mean distance to this many nearest kept sets (ML-Flux toy: 10; 0 = off)")
        .range(0, 1000)
        .no_default();
    t.add("validation-fraction", &R::validation, "Share of rows for validation").range(0.0, 0.99);
    t.add("test-fraction", &R::test, "Share of rows for testing").range(0.0, 0.99);
    t.add("compression", &R::compression, "Deflate level of the HDF5 datasets (0 = none)").range(0, 9).no_default();
    t.add("resume", &R::resume, "Finish the unfinished dataset in the output directory (same command and settings)");
    return t;
  }();
  return t;
}

Result<DatasetInputs> load_dataset_inputs(const DatasetRecipe& r) {
  DiagnosticLog log;
  DatasetInputs in;
  auto model = io::load_model(r.model);
  if (!log.take(model)) return log.failure<DatasetInputs>();
  in.model = std::make_unique<Model>(std::move(model.value()));
  auto space = FluxSpace::build(*in.model);
  if (!log.take(space)) return log.failure<DatasetInputs>();
  in.space = std::make_unique<FluxSpace>(std::move(space.value()));
  if (r.experiments.empty() && !io::has_builtin_tracer_table(r.model))
    return log.failure<DatasetInputs>({Diagnostic{Severity::error, r.model, 0, 0, {}, "no built-in tracer experiments for this model; give --experiments"}});
  in.tracer_source = r.experiments.empty() ? r.model : r.experiments;
  auto table = io::load_tracer_table(in.tracer_source);
  if (!log.take(table)) return log.failure<DatasetInputs>();
  const auto& experiments = table.value().experiments;
  auto problems = isotope::validate_experiments(*in.model, experiments, in.tracer_source, table.value().lines);
  for (const auto& p : problems)
    if (p.severity == Severity::error) return log.failure<DatasetInputs>(problems);
  log.add(problems);
  auto labelling = isotope::natural_abundance_labelling(*in.model, r.natural);
  if (!log.take(labelling)) return log.failure<DatasetInputs>();
  auto elements = isotope::traced_element_list(r.elements, experiments);
  if (!log.take(elements)) return log.failure<DatasetInputs>();
  std::vector<isotope::TracedElementSpec> specs;
  for (Element el : elements.value()) {
    specs.push_back({el, r.measured});
    in.provenance.elements.emplace_back(element_symbol(el));
  }
  auto built = isotope::build_traced_elements(*in.model, *in.space, specs, experiments, labelling.value());
  if (!log.take(built)) return log.failure<DatasetInputs>();
  in.traced = std::move(built.value());
  for (const auto& ex : experiments) in.experiment_ids.push_back(ex.id);
  auto canonical = io::write_reaction_tsv(*in.model);
  in.provenance.model = {r.model, in.model->id, canonical ? io::sha256_text(canonical.value()) : ""};
  in.provenance.experiments_source = in.tracer_source;
  in.provenance.experiments_table = io::write_tracer_table(experiments);
  in.provenance.natural_abundance = isotope::natural_abundance_text(r.natural);
  return log.success<DatasetInputs>(std::move(in));
}

DatasetOptions dataset_options(const DatasetRecipe& r, const DatasetInputs& inputs, const SamplerSettings& sampler) {
  DatasetOptions options;
  options.rows = r.rows;
  options.part_rows = r.part_rows;
  options.precision = r.precision == "float64" ? MidPrecision::float64 : MidPrecision::float32;
  options.density_neighbours = r.density;
  options.validation_fraction = r.validation;
  options.test_fraction = r.test;
  options.compression = r.compression;
  options.seed = sampler.seed;
  DatasetProvenance provenance = inputs.provenance;
  provenance.sampler = sampler_provenance(sampler);
  options.provenance = provenance.to_json();
  return options;
}

}  // namespace fluxion::sampling
