#include "fluxion/learn/predictor_package.hpp"

#include <algorithm>
#include <cmath>

#include "fluxion/core/format.hpp"
#include "fluxion/io/mid_table.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/run_info.hpp"

namespace fluxion::learn {

struct PredictorPackage::State {
  std::string path, model_name;
  std::optional<FluxPredictor> predictor;
  sampling::DatasetProvenance provenance;
  nlohmann::json layout_json;
  std::optional<Model> model;
  std::optional<FluxSpace> space;
  std::optional<FluxExpansion> expansion;
  sampling::MidLayout layout;
  std::optional<ErrorTables> error_tables;
  std::vector<double> training_mean;
  int knn_k = 3;
};

PredictorPackage::PredictorPackage(std::unique_ptr<State> s) : s_(std::move(s)) {}
PredictorPackage::PredictorPackage(PredictorPackage&&) noexcept = default;
PredictorPackage& PredictorPackage::operator=(PredictorPackage&&) noexcept = default;
PredictorPackage::~PredictorPackage() = default;

const std::string& PredictorPackage::path() const { return s_->path; }
const std::string& PredictorPackage::model_name() const { return s_->model_name; }
const FluxPredictor& PredictorPackage::predictor() const { return *s_->predictor; }
const nlohmann::json& PredictorPackage::manifest() const { return s_->predictor->manifest(); }
const sampling::DatasetProvenance& PredictorPackage::provenance() const { return s_->provenance; }
const nlohmann::json& PredictorPackage::layout_json() const { return s_->layout_json; }
const Model& PredictorPackage::model() const { return *s_->model; }
const FluxSpace& PredictorPackage::space() const { return *s_->space; }
const FluxExpansion& PredictorPackage::expansion() const { return *s_->expansion; }
const sampling::MidLayout& PredictorPackage::layout() const { return s_->layout; }
const ErrorTables* PredictorPackage::error_tables() const { return s_->error_tables ? &*s_->error_tables : nullptr; }
const std::vector<double>& PredictorPackage::training_mean() const { return s_->training_mean; }
int PredictorPackage::knn_k() const { return s_->knn_k; }

Result<PredictorPackage> PredictorPackage::open(const std::string& name_or_path, const std::string& model_override) {
  using R = Result<PredictorPackage>;
  auto fail = [](const std::string& where, const std::string& what) { return R::failure({Diagnostic{Severity::error, where, 0, 0, {}, what}}); };
  const std::string path = find_predictor(name_or_path);
  if (path.empty()) return fail(name_or_path, "is neither a predictor package file nor a built-in predictor (" + builtin_predictor_list() + ")");
  auto loaded = FluxPredictor::load(path);
  if (!loaded) return R::failure(loaded.diagnostics());
  auto s = std::make_unique<State>();
  s->path = path;
  s->predictor.emplace(std::move(loaded.value()));
  const nlohmann::json& manifest = s->predictor->manifest();
  // everything read from the manifest, checked once
  try {
    auto provenance = sampling::DatasetProvenance::from_json(manifest.at("dataset").at("settings").at("provenance"));
    if (!provenance) throw std::invalid_argument(provenance.message());
    s->provenance = std::move(provenance.value());
    s->layout_json = manifest.at("dataset").at("settings").at("layout");
    s->model_name = model_override.empty() ? s->provenance.model.name : model_override;
    s->layout = sampling::MidLayout::from_json(s->layout_json);
    if (manifest.contains("error_tables")) s->error_tables = ErrorTables::from_json(manifest.at("error_tables"));
    if (manifest.contains("training_mean")) s->training_mean = manifest.at("training_mean").get<std::vector<double>>();
    s->knn_k = manifest.value("/knn/k"_json_pointer, 3);
  } catch (const std::exception& e) {
    return fail(path, std::string("damaged manifest: ") + e.what());
  }
  auto model = io::load_model(s->model_name);
  if (!model) {
    std::vector<Diagnostic> d = model.diagnostics();
    d.push_back({Severity::error, path, 0, 0, {}, "needs its model '" + s->model_name + "'; give it with --model"});
    return R::failure(std::move(d));
  }
  const std::string& want = s->provenance.model.sha256_reaction_tsv;
  if (auto canonical = io::write_reaction_tsv(model.value()); !canonical || io::sha256_text(canonical.value()) != want)
    return fail(s->model_name, "is not the model this predictor was trained on (its reactions differ from the package's SHA-256 " + want + ")");
  auto space = FluxSpace::build(model.value());
  if (!space) return R::failure(space.diagnostics());
  s->model.emplace(std::move(model.value()));
  s->space.emplace(std::move(space.value()));
  s->expansion.emplace(*s->space, &*s->model, &s->provenance.time_course);
  if (s->expansion->free_columns() != s->predictor->columns())
    return fail(path, "its outputs are not the free fluxes of model '" + s->model_name + "'");
  if (!s->training_mean.empty() && s->training_mean.size() != s->expansion->free_columns().size())
    return fail(path, "damaged manifest: its training mean does not fit its outputs");
  return R::success(PredictorPackage(std::move(s)));
}

Result<std::vector<Observation>> PredictorPackage::observations(const isotope::MidTable& table, const std::string& source) const {
  using R = Result<std::vector<Observation>>;
  std::vector<Diagnostic> problems = io::validate_mids(model(), table, source);
  const bool failed = std::any_of(problems.begin(), problems.end(), [](const Diagnostic& d) { return d.severity == Severity::error; });
  if (failed) return R::failure(std::move(problems));
  auto arranged = arrange_observations(table, layout(), source);
  if (!arranged) {
    problems.insert(problems.end(), arranged.diagnostics().begin(), arranged.diagnostics().end());
    return R::failure(std::move(problems));
  }
  return R::success(std::move(arranged.value()), std::move(problems));
}

Result<std::vector<isotope::TracedElement>> PredictorPackage::traced_elements() const { return package_traced_elements(model(), space(), provenance(), layout()); }

Result<LayoutSimulator> PredictorPackage::simulator() const {
  using R = Result<LayoutSimulator>;
  auto elements = traced_elements();
  if (!elements) return R::failure(elements.diagnostics());
  try {
    return R::success(LayoutSimulator(layout(), std::move(elements.value()), model(), provenance().time_course));
  } catch (const std::exception& e) {
    return R::failure({Diagnostic{Severity::error, path(), 0, 0, {}, e.what()}});
  }
}

std::optional<KnnImputer> PredictorPackage::knn_imputer(int k) const {
  if (predictor().knn_reference().rows() == 0) return std::nullopt;
  return KnnImputer(layout(), predictor().knn_reference(), k > 0 ? k : knn_k());
}

KnnImputer PredictorPackage::knn_imputer(MidMatrix reference, int k) const { return KnnImputer(layout(), std::move(reference), k > 0 ? k : knn_k()); }

Result<PredictionReport> PredictorPackage::predict(const std::vector<Observation>& observations, const PredictOptions& options, const KnnImputer* knn,
                                                   const std::string& source) const {
  using R = Result<PredictionReport>;
  std::optional<KnnImputer> own;
  if (!knn) {
    own = knn_imputer(options.knn_k);
    if (own) knn = &*own;
  }
  auto simulator = this->simulator();
  if (!simulator) return R::failure(simulator.diagnostics());
  const FluxExpansion& ex = expansion();
  PredictionPipeline pipeline(predictor(), ex, error_tables(), knn, layout());
  pipeline.set_simulator([&](const Eigen::VectorXd& full) { return simulator.value().simulate(ex.flux_vector(full), ex.pool_sizes(full)); });
  pipeline.set_pcnn(predictor().pcnn());
  auto result = pipeline.run(observations, options);
  if (!result) return result;
  PredictionReport& rep = result.value();
  // net fluxes outside the model's bounds: the MIDs may not fit the model's experiments
  const auto& ids = space().column_ids();
  std::string outside;
  int n_outside = 0;
  for (Eigen::Index j = 0; j < space().n_reactions(); ++j) {
    const Reaction& r = model().reactions[space().column_reaction(j)];
    const double v = rep.mean(j);
    const double below = r.lower_bound - 0.05 * std::max(1.0, std::fabs(r.lower_bound)), above = r.upper_bound + 0.05 * std::max(1.0, std::fabs(r.upper_bound));
    if (v >= below && v <= above) continue;
    if (++n_outside > 6) continue;
    outside += (outside.empty() ? "" : ", ") + ids[static_cast<std::size_t>(j)] + " = " + format_number(v) +
               (r.lower_bound == r.upper_bound ? " (fixed at " + format_number(r.lower_bound) + ")"
                                               : " (bounds " + format_number(r.lower_bound) + " to " + format_number(r.upper_bound) + ")");
  }
  if (n_outside > 0)
    rep.warnings.push_back({Severity::warning, source, 0, 0, {},
                            std::to_string(n_outside) + " predicted net flux(es) outside the model's bounds: " + outside + (n_outside > 6 ? ", ..." : "") +
                                "; are the MIDs from this model's tracer experiments?"});
  return result;
}

const OptionTable<PackageRef>& PackageRef::table() {
  static const OptionTable<PackageRef> t = [] {
    OptionTable<PackageRef> t;
    t.add("predictor", &PackageRef::predictor, "Predictor package: a built-in model's name (" + builtin_predictor_list() + ") or a .fluxpkg file")
        .short_name("p")
        .required()
        .kind(OptionKind::predictor)
        .label("Predictor package")
        .web("Inputs");
    t.add("model", &PackageRef::model, "The package's model (built-in name or file); default: as the package names it").short_name("m");
    return t;
  }();
  return t;
}

}  // namespace fluxion::learn
