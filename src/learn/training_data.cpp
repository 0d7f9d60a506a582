// TrainingData::open: a dataset and the model it was made from, checked against each other.
#include <filesystem>

#include "fluxion/io/model_io.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/learn/predictor_package.hpp"

namespace fluxion::learn {

Result<TrainingData> TrainingData::open(const std::string& path, const std::string& model_override) {
  namespace fs = std::filesystem;
  using R = Result<TrainingData>;
  auto error = [](const std::string& where, const std::string& what) { return R::failure({Diagnostic{Severity::error, where, 0, 0, {}, what}}); };
  TrainingData t;
  t.file = path;
  if (fs::is_directory(path)) {
    if (fs::exists(fs::path(path) / "shard-0.h5") && !fs::exists(fs::path(path) / "dataset.h5"))
      return error(path, "holds MPI shards; training reads one dataset.h5 (shards are not read yet)");
    t.file = (fs::path(path) / "dataset.h5").string();
  }
  auto data = sampling::read_dataset(t.file, {.mids_float32 = true});  // training is in float32
  if (!data) return R::failure(data.diagnostics());
  t.contents = std::move(data).value();
  auto provenance = sampling::DatasetProvenance::from_json(t.contents.manifest.value("/settings/provenance"_json_pointer, nlohmann::json::object()));
  if (!provenance) return error(t.file, "damaged manifest: " + provenance.message());
  t.provenance = std::move(provenance).value();
  // the model: its kernels give the full fluxes of the error tables
  const std::string model_name = model_override.empty() ? t.provenance.model.name : model_override;
  auto model = io::load_model(model_name);
  if (!model) {
    auto problems = model.diagnostics();
    problems.push_back(Diagnostic{Severity::error, t.file, 0, 0, {}, "needs its model '" + model_name + "'; give it with --model"});
    return R::failure(problems);
  }
  const std::string want = t.provenance.model.sha256_reaction_tsv;
  if (auto canonical = io::write_reaction_tsv(model.value()); !canonical || io::sha256_text(canonical.value()) != want)
    return error(model_name, "is not the model the dataset was made from (its reactions differ from the dataset's SHA-256 " + want + ")");
  t.model = std::make_unique<Model>(std::move(model).value());
  auto space = FluxSpace::build(*t.model);
  if (!space) return R::failure(space.diagnostics());
  t.space = std::make_unique<FluxSpace>(std::move(space).value());
  t.expansion = std::make_unique<FluxExpansion>(*t.space, t.model.get(), &t.provenance.time_course);
  if (t.expansion->columns() != t.contents.flux_columns) return error(t.file, "its flux columns are not those of model '" + model_name + "'");
  return R::success(std::move(t));
}

void TrainingData::resolve(TrainOptions& options) const {
  const std::string& id = provenance.model.id;
  if (options.hidden.empty()) options.hidden = default_hidden_layers(id, static_cast<std::size_t>(contents.n_inputs()));
  if (options.batch <= 0) options.batch = id == "simple" ? 1024 : 32;
  if (options.loss == "auto") options.loss = id == "ccm" ? "weighted_mse" : "mae";
  if (options.loss != "mae") options.kernel = expansion->kernel();
  if (options.loss == "weighted_mse" && options.flux_weights.empty()) {
    options.flux_weights = default_loss_weights(id, contents.flux_columns);
    if (options.flux_weights.empty()) options.flux_weights.assign(contents.flux_columns.size(), 1.0);
  }
}

Result<KnnImputer> PredictorPackage::knn_imputer_from_dataset(const std::string& path, int k) const {
  namespace fs = std::filesystem;
  const std::string file = fs::is_directory(path) ? (fs::path(path) / "dataset.h5").string() : path;
  auto data = sampling::read_dataset(file, {.mids_float32 = true});
  if (!data) return Result<KnnImputer>::failure(data.diagnostics());
  const auto& d = data.value();
  if (d.manifest.at("settings").at("layout") != layout_json())
    return Result<KnnImputer>::failure({Diagnostic{Severity::error, file, 0, 0, {}, "its MID layout is not the predictor's"}});
  MidMatrix reference(static_cast<Eigen::Index>(d.train.size()), d.n_inputs());
  for (std::size_t i = 0; i < d.train.size(); ++i) reference.row(static_cast<Eigen::Index>(i)) = d.mids32.row(static_cast<Eigen::Index>(d.train[i]));
  return Result<KnnImputer>::success(knn_imputer(std::move(reference), k));
}

}  // namespace fluxion::learn
