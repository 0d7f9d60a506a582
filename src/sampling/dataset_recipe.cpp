// The inputs of a dataset run (sampling/dataset_recipe.hpp).
#include "fluxion/sampling/dataset_recipe.hpp"

#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include "fluxion/core/diagnostic_log.hpp"
#include "fluxion/core/format.hpp"
#include "fluxion/io/pool_table.hpp"
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
    t.add("times", &R::times,
          "Time courses (non-stationary labelling): MIDs at these times after the switch to the tracers, from the unlabelled state "
          "(comma-separated, ascending; the unit of the pool sizes over the fluxes); pool sizes are drawn per flux set and predicted")
        .no_default();
    t.add("pools", &R::pools,
          "With --times: pool table (metabolite, size[, status, lower, upper]); free and measured pools are drawn log-uniformly in [lower, upper], "
          "fixed ones keep their size")
        .file(".tsv,.csv,.txt");
    t.add("pool-range", &R::pool_range, "With --times: LOW,HIGH: every pool that --pools leaves out is drawn log-uniformly in [LOW, HIGH]").no_default();
    t.add("default-pool", &R::default_pool, "With --times: fixed size of every pool that --pools and --pool-range leave out (0: none, an error)")
        .range(0, 1e15);
    t.add("inst-tolerance", &R::inst_tolerance, "With --times: absolute tolerance of every simulated MID fraction").range(1e-12, 1e-2);
    return t;
  }();
  return t;
}

namespace {

Diagnostic recipe_error(const std::string& where, const std::string& what) { return Diagnostic{Severity::error, where, 0, 0, {}, what}; }

std::optional<double> number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// The time course of a recipe with --times: the times, and every pool the traced elements
// simulate with its range (drawn) or size (fixed). Warnings: pool table rows not simulated.
Result<TimeCourse> recipe_time_course(const DatasetRecipe& r, const Model& model, const std::vector<isotope::TracedElement>& traced,
                                      std::vector<std::size_t>& indices) {
  using R = Result<TimeCourse>;
  DiagnosticLog log;
  TimeCourse tc;
  for (const auto& item : r.times) {
    const auto t = number(item);
    if (!t || !std::isfinite(*t) || *t < 0) return R::failure({recipe_error("--times", "'" + item.substr(0, 40) + "' is not a time >= 0")});
    if (!tc.times.empty() && !(*t > tc.times.back()))
      return R::failure({recipe_error("--times", "times must be ascending, each once (" + item + " after " + format_number(tc.times.back()) + ")")});
    tc.times.push_back(*t);
  }
  tc.tolerance = r.inst_tolerance;
  double lo = 0, hi = 0;
  if (!r.pool_range.empty()) {
    std::optional<double> a, b;
    if (r.pool_range.size() == 2) {
      a = number(r.pool_range[0]);
      b = number(r.pool_range[1]);
    }
    if (!a || !b || !(*a > 0) || !(*b >= *a) || !std::isfinite(*b))
      return R::failure({recipe_error("--pool-range", "give LOW,HIGH with 0 < LOW <= HIGH")});
    lo = *a;
    hi = *b;
  }
  std::map<std::string, io::PoolSize> table;
  if (!r.pools.empty()) {
    auto read = io::load_pool_table(r.pools);
    if (!log.take(read)) return log.failure<TimeCourse>();
    table = read.value();
  }
  std::set<std::size_t> simulated;
  for (const auto& e : traced)
    for (std::size_t m : e.model.pool_metabolites()) simulated.insert(m);
  Diagnostics d(r.pools.empty() ? std::string("--times") : r.pools);
  for (const auto& [id, p] : table) {
    const auto m = model.metabolite_index(id);
    if (!m) d.error("'" + id + "' is not a metabolite of model " + model.id, p.line, 1);
    else if (!simulated.count(*m)) d.warning("'" + id + "' has no simulated EMUs: its size is not used", p.line, 1);
  }
  std::string missing;
  for (std::size_t m : simulated) {
    const std::string& id = model.metabolites[m].id;
    TimeCourse::Pool pool{id, 0, 0};
    if (auto it = table.find(id); it != table.end()) {
      pool.lower = it->second.fitted() ? it->second.lower : it->second.size;
      pool.upper = it->second.fitted() ? it->second.upper : it->second.size;
    } else if (hi > 0) {
      pool.lower = lo;
      pool.upper = hi;
    } else if (r.default_pool > 0) {
      pool.lower = pool.upper = r.default_pool;
    } else {
      missing += (missing.empty() ? "" : ", ") + id;
      continue;
    }
    tc.pools.push_back(pool);
    indices.push_back(m);
  }
  if (!missing.empty()) d.error("no pool size for " + missing + " (the time course simulates them); give --pools, --pool-range or --default-pool", 0, 0);
  const auto items = d.items();
  log.add(items);
  for (const auto& item : items)
    if (item.severity == Severity::error) return log.failure<TimeCourse>();
  return log.success<TimeCourse>(std::move(tc));
}

}  // namespace

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
  if (r.times.empty()) {
    if (!r.pools.empty() || !r.pool_range.empty() || r.default_pool > 0)
      return log.failure<DatasetInputs>({recipe_error("--pools", "pool sizes are for time courses: give --times as well")});
  } else {
    auto tc = recipe_time_course(r, *in.model, in.traced, in.pool_metabolites);
    if (!log.take(tc)) return log.failure<DatasetInputs>();
    in.provenance.time_course = std::move(tc.value());
  }
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
  options.time_course = inputs.provenance.time_course;
  options.pool_metabolites = inputs.pool_metabolites;
  options.n_metabolites = inputs.model->metabolites.size();
  DatasetProvenance provenance = inputs.provenance;
  provenance.sampler = sampler_provenance(sampler);
  options.provenance = provenance.to_json();
  return options;
}

}  // namespace fluxion::sampling
