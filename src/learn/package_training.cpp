// Training a predictor package (learn/package_training.hpp).
#include "fluxion/learn/package_training.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "fluxion/core/diagnostic_log.hpp"
#include "fluxion/io/text_file.hpp"

namespace fluxion::learn {

const OptionTable<PackageTrainOptions>& PackageTrainOptions::table() {
  using O = PackageTrainOptions;
  static const OptionTable<O> t = [] {
    OptionTable<O> t;
    OptionTable<O>::Custom hidden;
    hidden.get = [](const O& o) {
      std::string s;
      for (int h : o.hidden) {
        if (!s.empty()) s += ',';
        s += std::to_string(h);
      }
      return s;
    };
    hidden.set = [](O& o, const std::string& text) -> std::string {
      std::vector<int> sizes;
      std::stringstream in(text);
      for (std::string item; std::getline(in, item, ',');) {
        char* end = nullptr;
        const long v = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0' || v < INT_MIN || v > INT_MAX) {
          std::string why = "'";
          why += item.substr(0, 40);
          why += "' is not a whole number";
          return why;
        }
        sizes.push_back(static_cast<int>(v));
      }
      o.hidden = std::move(sizes);
      return {};
    };
    t.add_custom("hidden", hidden, "Hidden layer sizes (default: ML-Flux's for its models, else sized from the input)")
        .kind(OptionKind::list)
        .type("integer")
        .no_default();
    t.add("epochs", &O::epochs, "Most epochs").range(1, 100000);
    t.add("batch", &O::batch, "Batch size (default: 32; 1024 for the simple model, as ML-Flux)").range(1, 1000000).no_default();
    t.add("learning-rate", &O::learning_rate, "Adam learning rate").range(1e-12, 10.0);
    t.add("patience", &O::patience, "Stop after this many epochs without a better validation loss").range(1, 100000);
    t.add("lr-decay-after", &O::lr_decay_after,
          "Halve the learning rate after this many epochs without a better validation loss (default: patience / 5, at least 2; 0: never; at most 8 times)")
        .range(0, 100000)
        .no_default();
    t.add("seed", &O::seed, "Seed of the initial weights and the batch order");
    t.add("threads", &O::threads, "Threads (the same count gives the same weights)").range(1, 1024);
    t.add("loss", &O::loss,
          "mae (transformed free fluxes), weighted_mse (raw full fluxes, ML-Flux's CCM), balanced_mae (raw full fluxes, each in units of its training SD), "
          "hybrid (raw full net fluxes in units of their training SD, transformed exchange fluxes), or auto (weighted_mse for ccm)")
        .choices({"auto", "mae", "weighted_mse", "balanced_mae", "hybrid"});
    t.add("loss-weights", &O::loss_weights, "weighted_mse: flux<TAB>weight per line (net:<id>, xch:<id>; others 1); default: ML-Flux's for ccm, else 1")
        .file()
        .no_default();
    t.add("output-scaling", &O::output_scaling,
          "standard: the network predicts each output standardised over the training rows (mean and SD kept in the package); none: as ML-Flux")
        .choices({"standard", "none"});
    t.add("input-scaling", &O::input_scaling,
          "standard: MID entries that never vary are dropped, the others standardised over the training rows (kept in the package); none: as ML-Flux")
        .choices({"standard", "none"});
    t.add("input-scale-floor", &O::input_scale_floor, "standard input scaling: the smallest scale of an entry (an SD below it is not magnified)")
        .range(1e-6, 1.0);
    t.add("loss-spread-floor", &O::loss_spread_floor,
          "hybrid and balanced_mae: the smallest SD that sets a flux's weight (1 / SD); larger moves weight to the fluxes that vary widely, "
          "the weights rescaled to the same sum")
        .range(1e-4, 1e3);
    t.add("heads", &O::heads, "1: one network for every output; 2: one for the net and one for the exchange outputs, sharing no weights").choices({"1", "2"});
    t.add("mid-noise", &O::mid_noise, "SD of Gaussian noise added to the training MIDs of each batch (augmentation at the measurement SD; 0: none)")
        .range(0.0, 1.0);
    t.add("mid-noise-mode", &O::mid_noise_mode,
          "fixed: every training row gets noise of SD --mid-noise; ranged: each row draws its SD uniformly from [0, --mid-noise] (sharp on exact MIDs, "
          "robust on measured ones)")
        .choices({"fixed", "ranged"});
    t.add("schedule", &O::schedule, "Learning rate: plateau (halve on validation plateaus, --lr-decay-after) or cosine (a fixed budget over --epochs)")
        .choices({"plateau", "cosine"});
    t.add("resume", &O::resume,
          "Continue the training whose checkpoint is in the output directory (checkpoint.pt, written after every epoch), with the same options and dataset");
    t.add("time-limit", &O::time_limit_minutes, "Pause after the epoch that passes this many minutes, leaving the checkpoint; run again with --resume (0: none)")
        .range(0.0, 1e6);
    t.add("stop-after-epochs", &O::stop_after_epochs, "Pause after this many epochs of this run, leaving the checkpoint (0: none)").range(0, 100000).no_default();
    t.add("fine-tune", &O::fine_tune,
          "ML-Flux's second CCM stage: after training, learn only the output weights of these free fluxes (net:tal, or tal for its net flux; "
          "comma-separated) for --fine-tune-epochs more epochs")
        .no_default();
    t.add("fine-tune-epochs", &O::fine_tune_epochs, "Epochs of the fine-tuning stage (with --fine-tune)").range(0, 100000);
    t.add("device", &O::device, "cpu, cuda, or auto (a GPU when LibTorch has one)").choices({"cpu", "cuda", "auto"});
    t.add("knn-reference-rows", &O::knn_rows, "Training patterns kept in the package for KNN imputation (default: as many as fit 4 MB, at most 20,000; 0 = none)")
        .range(-1, 10000000)
        .no_default();
    t.add("knn-k", &O::knn_k, "Neighbours of the KNN imputer used for the error tables").range(1, 1000);
    t.add("pcnn-epochs", &O::pcnn_epochs, "Epochs of the PCNN imputer (default: 30 where the image is at most 32×32, else 0 = none: CPU hours for 80×80)")
        .range(-1, 100000)
        .no_default();
    t.add("pcnn-batch", &O::pcnn_batch, "Batch size of the PCNN imputer").range(2, 100000);
    t.add("error-rows", &O::error_rows, "Test rows for the error table of complete patterns").range(1, 100000000);
    t.add("masked-rows", &O::masked_rows, "Test rows masked and imputed for the error tables by level of masking").range(0, 100000000);
    return t;
  }();
  return t;
}

Result<std::vector<double>> read_loss_weights(const std::string& path, const std::vector<std::string>& columns) {
  using R = Result<std::vector<double>>;
  auto text = io::read_text_file(path);
  if (!text) return R::failure(text.diagnostics());
  std::istringstream in(text.value());
  std::vector<double> w(columns.size(), 1.0);
  Diagnostics d(path);
  std::string line;
  for (int ln = 1; std::getline(in, line); ++ln) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#' || (ln == 1 && line.rfind("flux\t", 0) == 0)) continue;
    const auto tab = line.find('\t');
    if (tab == std::string::npos) {
      d.error("expected flux<TAB>weight", ln, 1);
      continue;
    }
    const std::string flux = line.substr(0, tab);
    const auto at = std::find(columns.begin(), columns.end(), flux);
    if (at == columns.end()) {
      d.error("'" + flux + "' is not a flux of the dataset (net:<reaction> or xch:<reaction>)", ln, 1);
      continue;
    }
    char* end = nullptr;
    const double v = std::strtod(line.c_str() + tab + 1, &end);
    if (end == line.c_str() + tab + 1 || !(v >= 0) || !std::isfinite(v)) {
      d.error("weight '" + line.substr(tab + 1) + "' is not a number >= 0", ln, static_cast<int>(tab) + 2);
      continue;
    }
    w[static_cast<std::size_t>(at - columns.begin())] = v;
  }
  if (d.has_errors()) return R::failure(d);
  return R::success(std::move(w));
}

// The table's ranges and choices; what depends on the data (hidden sizes, fine-tuned columns)
// TrainOptions::validate and FluxPredictor::train check.
std::vector<Diagnostic> PackageTrainOptions::validate() const { return table().check(*this, "training options"); }

Result<TrainOptions> PackageTrainOptions::train_options(const TrainingData& data, const std::string& output) const {
  using R = Result<TrainOptions>;
  if (auto problems = validate(); !problems.empty()) return R::failure(problems);
  TrainOptions options;
  options.hidden = hidden;
  options.epochs = epochs;
  options.batch = batch;  // 0: the model's (resolve)
  options.learning_rate = learning_rate;
  options.patience = patience;
  options.lr_decay_after = lr_decay_after >= 0 ? lr_decay_after : std::max(2, patience / 5);
  options.seed = seed;
  options.threads = threads;
  options.device = device;
  options.standardize_outputs = output_scaling == "standard";
  options.standardize_inputs = input_scaling == "standard";
  options.two_heads = heads == 2;
  options.input_scale_floor = input_scale_floor;
  options.loss_spread_floor = loss_spread_floor;
  options.input_noise = mid_noise;
  options.input_noise_mode = mid_noise_mode;
  options.schedule = schedule;
  options.checkpoint = output + "/checkpoint.pt";
  options.resume = resume;
  options.time_limit_seconds = 60 * time_limit_minutes;
  options.stop_after_epochs = stop_after_epochs;
  for (const auto& c : fine_tune) options.fine_tune_columns.push_back(c.find(':') == std::string::npos ? "net:" + c : c);
  options.fine_tune_epochs = fine_tune_epochs;
  std::error_code ec;
  if (!resume && std::filesystem::exists(options.checkpoint, ec))
    return R::failure({Diagnostic{Severity::error, output, 0, 0, {},
                                  "holds the checkpoint of a training (checkpoint.pt); continue it with --resume, or choose another output directory"}});
  options.loss = loss;
  data.resolve(options);
  if (options.loss == "weighted_mse" && !loss_weights.empty()) {
    auto w = read_loss_weights(loss_weights, data.contents.flux_columns);
    if (!w) return R::failure(w.diagnostics());
    options.flux_weights = w.value();
  }
  return R::success(std::move(options));
}

std::vector<std::pair<std::string, std::string>> PackageTraining::files() const {
  if (paused() || !tables) return {{"loss.tsv", history.loss_tsv()}};
  std::vector<std::pair<std::string, std::string>> out{{"loss.tsv", history.loss_tsv()},
                                                       {"test_errors.tsv", test.tsv()},
                                                       {"error_tables.tsv", tables->levels_tsv()},
                                                       {"vssr_acceptance.tsv", tables->acceptance_tsv()}};
  if (predictor.pcnn()) out.emplace_back("pcnn_loss.tsv", pcnn.loss_tsv());
  if (!history.fine_tune_validation_loss.empty()) out.emplace_back("fine_tune_loss.tsv", history.fine_tune_tsv());
  return out;
}

std::vector<std::string> PackageTraining::report(const std::string& package_path) const {
  std::vector<std::string> lines;
  char buffer[512];
  if (predictor.pcnn() && pcnn.best_epoch > 0) {
    std::snprintf(buffer, sizeof buffer, "PCNN imputer: best epoch %d of %zu, validation MAE of missing entries %.4g", pcnn.best_epoch, pcnn.train_loss.size(),
                  pcnn.validation_loss[static_cast<std::size_t>(pcnn.best_epoch - 1)]);
    lines.emplace_back(buffer);
  }
  const auto& h = history;
  if (!h.fine_tune_validation_loss.empty()) {
    const double best = h.fine_tune_best_epoch > 0 ? h.fine_tune_validation_loss[static_cast<std::size_t>(h.fine_tune_best_epoch - 1)] : h.fine_tune_start_validation;
    std::snprintf(buffer, sizeof buffer, "fine-tuning %s: validation loss %.6g -> %.6g (best epoch %d of %zu)", fine_tuned.c_str(), h.fine_tune_start_validation,
                  best, h.fine_tune_best_epoch, h.fine_tune_validation_loss.size());
    lines.emplace_back(buffer);
  }
  if (tables && !tables->levels.empty()) {
    const ErrorLevel& c = tables->levels.front();
    double net_ok = 0, all_ok = 0;
    const auto& columns = tables->columns;
    const auto n_net = static_cast<double>(std::count_if(columns.begin(), columns.end(), [](const std::string& s) { return s.rfind("net:", 0) == 0; }));
    for (std::size_t j = 0; j < columns.size(); ++j) {
      all_ok += c.within_abs[j] / static_cast<double>(columns.size());
      if (columns[j].rfind("net:", 0) == 0) net_ok += c.within_abs[j] / n_net;
    }
    std::snprintf(buffer, sizeof buffer, "complete test patterns: %.1f %% of net fluxes and %.1f %% of all fluxes within ±0.05; VSSR acceptance %.1f %%",
                  100 * net_ok, 100 * all_ok, 100 * c.vssr_acceptance);
    lines.emplace_back(buffer);
  }
  std::snprintf(buffer, sizeof buffer, "best epoch %d of %zu; test MAE %.4g per free flux (training mean: %.4g); wrote %s", h.best_epoch, h.train_loss.size(),
                test.mean_mae(), test.mean_trivial_mae(), package_path.c_str());
  lines.emplace_back(buffer);
  return lines;
}

namespace {

// The error tables on the test rows: complete patterns, and by level of masking with KNN
// (knn_k > 0 and the package's reference patterns) and the PCNN in front.
Result<ErrorTables> package_error_tables(const FluxPredictor& p, const TrainingData& training, int knn_k, long error_rows, long masked_rows,
                                         std::uint64_t seed, bool progress) {
  const sampling::DatasetContents& d = training.contents;
  const sampling::MidLayout layout = sampling::MidLayout::from_json(d.manifest.at("settings").at("layout"));
  ErrorTableOptions eo;
  eo.max_rows = error_rows;
  eo.max_masked_rows = knn_k > 0 && p.knn_reference().rows() > 0 ? masked_rows : 0;
  eo.seed = seed;
  eo.progress = progress;
  std::optional<KnnImputer> knn;
  if (eo.max_masked_rows > 0) knn.emplace(layout, p.knn_reference(), knn_k);
  auto computed = compute_error_tables(p, *training.expansion, d, knn ? &*knn : nullptr, eo, masked_rows > 0 ? p.pcnn() : nullptr);
  if (!computed) {
    std::vector<Diagnostic> problems;
    for (const auto& problem : computed.diagnostics()) problems.push_back(Diagnostic{Severity::error, training.file, 0, 0, {}, "error tables: " + problem.message});
    return Result<ErrorTables>::failure(problems);
  }
  return computed;
}

}  // namespace

Result<PackageTraining> train_package(const TrainingData& training, const TrainOptions& options, const PackageTrainOptions& o) {
  DiagnosticLog log;
  using Clock = std::chrono::steady_clock;
  const sampling::DatasetContents& d = training.contents;
  TrainingHistory history;
  auto trained = FluxPredictor::train(d, options, history);
  if (!log.take(trained)) return log.failure<PackageTraining>();
  PackageTraining run(std::move(trained.value()));
  run.history = std::move(history);
  if (run.paused()) return log.success<PackageTraining>(std::move(run));
  FluxPredictor& p = run.predictor;
  for (const auto& c : options.fine_tune_columns) {
    if (!run.fine_tuned.empty()) run.fine_tuned += ", ";
    run.fine_tuned += c;
  }

  // KNN reference patterns: an even, seeded subsample of the training rows
  const sampling::MidLayout layout = sampling::MidLayout::from_json(d.manifest.at("settings").at("layout"));
  const long budget = std::min<long>(20000, std::max<long>(1, (4L << 20) / 4 / std::max<long>(1, d.n_inputs())));
  const long knn_rows = std::min<long>(o.knn_rows < 0 ? budget : o.knn_rows, static_cast<long>(d.train.size()));
  if (knn_rows > 0) {
    std::vector<std::uint64_t> rows;
    for (long i = 0; i < knn_rows; ++i) rows.push_back(d.train[static_cast<std::size_t>(i * static_cast<long>(d.train.size()) / knn_rows)]);
    MidMatrix reference(knn_rows, d.n_inputs());
    for (long i = 0; i < knn_rows; ++i) reference.row(i) = d.mids32.row(static_cast<Eigen::Index>(rows[static_cast<std::size_t>(i)]));
    p.set_knn_reference(std::move(reference));
    p.manifest()["knn"] = {{"rows", knn_rows}, {"k", o.knn_k}, {"source", "every (train rows / rows)-th training row"}};
  }
  // the PCNN imputer
  const PcnnGeometry geometry = PcnnGeometry::for_model(training.provenance.model.id, static_cast<std::size_t>(d.n_inputs()));
  const int pcnn_epochs = o.pcnn_epochs >= 0 ? o.pcnn_epochs : (geometry.size <= 32 ? 30 : 0);
  if (pcnn_epochs > 0) {
    PcnnTrainOptions po;
    po.epochs = pcnn_epochs;
    po.batch = o.pcnn_batch;
    po.seed = o.seed;
    po.threads = o.threads;
    po.progress = options.progress;
    auto pcnn = PcnnImputer::train(d, layout, geometry, po, run.pcnn);
    if (!log.take(pcnn)) return log.failure<PackageTraining>();
    p.set_pcnn(std::move(pcnn.value()));
    run.pcnn_seconds = run.pcnn.seconds;
  }
  const auto te0 = Clock::now();
  auto computed = package_error_tables(p, training, knn_rows > 0 ? o.knn_k : 0, o.error_rows, o.masked_rows, o.seed, options.progress);
  if (!log.take(computed)) return log.failure<PackageTraining>();
  run.table_seconds = std::chrono::duration<double>(Clock::now() - te0).count();
  run.tables = std::move(computed.value());
  p.manifest()["error_tables"] = run.tables->to_json();
  run.test = p.test_errors(d);
  return log.success<PackageTraining>(std::move(run));
}

}  // namespace fluxion::learn

namespace fluxion::learn {

const OptionTable<EnsembleOptions>& EnsembleOptions::table() {
  using O = EnsembleOptions;
  static const OptionTable<O> t = [] {
    OptionTable<O> t;
    t.add("member", &O::members, "A member's package (.fluxpkg, or a built-in name); give two or more, each trained on --dataset; an ensemble given as a member adds its networks").required();
    t.add("error-rows", &O::error_rows, "Test rows for the error table of complete patterns").range(1, 100000000);
    t.add("masked-rows", &O::masked_rows, "Test rows masked and imputed for the error tables by level of masking").range(0, 100000000);
    t.add("seed", &O::seed, "Seed of the masks of the error tables");
    return t;
  }();
  return t;
}

std::vector<std::pair<std::string, std::string>> PackageEnsemble::files() const {
  return {{"test_errors.tsv", test.tsv()}, {"error_tables.tsv", tables.levels_tsv()}, {"vssr_acceptance.tsv", tables.acceptance_tsv()}};
}

Result<PackageEnsemble> ensemble_package(const TrainingData& training, const EnsembleOptions& o) {
  using R = Result<PackageEnsemble>;
  if (o.members.size() < 2)
    return R::failure({Diagnostic{Severity::error, "member", 0, 0, {}, "an ensemble needs two or more members; " + std::to_string(o.members.size()) + " given"}});
  std::vector<FluxPredictor> members;
  std::vector<std::string> paths;
  for (const auto& name : o.members) {
    const std::string path = find_predictor(name);
    if (path.empty())
      return R::failure({Diagnostic{Severity::error, name, 0, 0, {}, "is neither a predictor package file nor a built-in predictor (" + builtin_predictor_list() + ")"}});
    auto loaded = FluxPredictor::load(path);
    if (!loaded) return R::failure(loaded.diagnostics());
    members.push_back(std::move(loaded.value()));
    paths.push_back(path);
  }
  const sampling::DatasetContents& d = training.contents;
  std::vector<nlohmann::json> trained_on;
  for (const auto& m : members) trained_on.push_back(m.manifest().value("dataset", nlohmann::json()));
  auto joined = FluxPredictor::ensemble(std::move(members), o.members);
  if (!joined) return R::failure(joined.diagnostics());
  for (std::size_t k = 0; k < trained_on.size(); ++k)
    if (trained_on[k] != d.manifest)
      return R::failure({Diagnostic{Severity::error, k < o.members.size() ? o.members[k] : "ensemble member " + std::to_string(k + 1), 0, 0, {},
                                    "was not trained on " + training.file +
                                        " (its manifest records another dataset): the ensemble's error tables come from that dataset's test rows, "
                                        "which a member trained elsewhere may have seen"}});
  PackageEnsemble out(std::move(joined.value()));
  FluxPredictor& p = out.predictor;
  const auto t0 = std::chrono::steady_clock::now();
  const int knn_k = p.manifest().value("/knn/k"_json_pointer, 3);
  auto tables = package_error_tables(p, training, knn_k, o.error_rows, o.masked_rows, o.seed, o.progress);
  if (!tables) return R::failure(tables.diagnostics());
  out.tables = std::move(tables.value());
  p.manifest()["error_tables"] = out.tables.to_json();
  out.test = p.test_errors(d);
  out.table_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.member_paths = std::move(paths);
  return R::success(std::move(out));
}

}  // namespace fluxion::learn
