// fluxion train: an ML-Flux flux predictor from a dataset (fluxion dataset).
#include <sstream>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "commands.hpp"
#include "learned_commands.hpp"
#include "fluxion/io/text_file.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/learn/flux_predictor.hpp"
#include "fluxion/learn/prediction.hpp"
#include "fluxion/learn/predictor_package.hpp"
#include "sampler_options.hpp"

namespace fluxion::cli {

namespace {

struct TrainCli {
  std::string dataset, output, model;
  long knn_rows = -1, error_rows = 5000, masked_rows = 4000;
  int knn_k = 3;
  std::vector<int> hidden;
  int epochs = 200, batch = 0, patience = 20, threads = 1, lr_decay_after = -1;
  double learning_rate = 1e-3;
  std::uint64_t seed = 1;
  std::string device = "cpu", loss = "auto", loss_weights, output_scaling = "standard", input_scaling = "standard", schedule = "plateau", mid_noise_mode = "fixed";
  double mid_noise = 0, time_limit_minutes = 0, input_scale_floor = 0.01;
  bool resume = false;
  int stop_after_epochs = 0, heads = 1, fine_tune_epochs = 0;
  std::vector<std::string> fine_tune;
  int pcnn_epochs = -1, pcnn_batch = 64;
};

// flux<TAB>weight lines (a header is allowed); fluxes not listed weigh 1
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


}  // namespace

void add_train_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static TrainCli o;
  auto* cmd = app.add_subcommand("train", learned_description("train"));
  cmd->add_option("-d,--dataset", o.dataset, "Dataset: the directory fluxion dataset wrote, or its dataset.h5")->required()->group("Required");
  cmd->add_option("-o,--output", o.output, "Output directory (predictor.fluxpkg, loss.tsv, test_errors.tsv, error_tables.tsv, vssr_acceptance.tsv, run_info.json)")
      ->required()
      ->group("Required");
  cmd->add_option("-m,--model", o.model, "The dataset's model (built-in name or file); default: as the dataset's manifest names it");
  cmd->add_option("--hidden", o.hidden, "Hidden layer sizes (default: ML-Flux's for its models, else sized from the input)")->delimiter(',');
  cmd->add_option("--epochs", o.epochs, "Most epochs")->check(Range(1, 100000))->capture_default_str();
  cmd->add_option("--batch", o.batch, "Batch size (default: 32; 1024 for the simple model, as ML-Flux)")->check(Range(1, 1000000));
  cmd->add_option("--learning-rate", o.learning_rate, "Adam learning rate")->check(Range(1e-12, 10.0))->capture_default_str();
  cmd->add_option("--patience", o.patience, "Stop after this many epochs without a better validation loss")->check(Range(1, 100000))->capture_default_str();
  cmd->add_option("--lr-decay-after", o.lr_decay_after, "Halve the learning rate after this many epochs without a better validation loss (default: patience / 5, at least 2; 0: never; at most 8 times)")
      ->check(Range(0, 100000));
  cmd->add_option("--seed", o.seed, "Seed of the initial weights and the batch order")->capture_default_str();
  cmd->add_option("--threads", o.threads, "Threads (the same count gives the same weights)")->check(Range(1, 1024))->capture_default_str();
  cmd->add_option("--loss", o.loss, "mae (transformed free fluxes), weighted_mse (raw full fluxes, ML-Flux's CCM), balanced_mae (raw full fluxes, each in units of its training SD), hybrid (raw full net fluxes in units of their training SD, transformed exchange fluxes), or auto (weighted_mse for ccm)")
      ->check(CLI::IsMember({"auto", "mae", "weighted_mse", "balanced_mae", "hybrid"}))
      ->capture_default_str();
  cmd->add_option("--loss-weights", o.loss_weights, "weighted_mse: flux<TAB>weight per line (net:<id>, xch:<id>; others 1); default: ML-Flux's for ccm, else 1");
  cmd->add_option("--output-scaling", o.output_scaling, "standard: the network predicts each output standardised over the training rows (mean and SD kept in the package); none: as ML-Flux")
      ->check(CLI::IsMember({"standard", "none"}))
      ->capture_default_str();
  cmd->add_option("--input-scaling", o.input_scaling, "standard: MID entries that never vary are dropped, the others standardised over the training rows (kept in the package); none: as ML-Flux")
      ->check(CLI::IsMember({"standard", "none"}))
      ->capture_default_str();
  cmd->add_option("--input-scale-floor", o.input_scale_floor, "standard input scaling: the smallest scale of an entry (an SD below it is not magnified)")
      ->check(Range(1e-6, 1.0))
      ->capture_default_str();
  cmd->add_option("--heads", o.heads, "1: one network for every output; 2: one for the net and one for the exchange outputs, sharing no weights")
      ->check(CLI::IsMember({1, 2}))
      ->capture_default_str();
  cmd->add_option("--mid-noise", o.mid_noise, "SD of Gaussian noise added to the training MIDs of each batch (augmentation at the measurement SD; 0: none)")
      ->check(Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--mid-noise-mode", o.mid_noise_mode, "fixed: every training row gets noise of SD --mid-noise; ranged: each row draws its SD uniformly from [0, --mid-noise] (sharp on exact MIDs, robust on measured ones)")
      ->check(CLI::IsMember({"fixed", "ranged"}))
      ->capture_default_str();
  cmd->add_option("--schedule", o.schedule, "Learning rate: plateau (halve on validation plateaus, --lr-decay-after) or cosine (a fixed budget over --epochs)")
      ->check(CLI::IsMember({"plateau", "cosine"}))
      ->capture_default_str();
  cmd->add_flag("--resume", o.resume, "Continue the training whose checkpoint is in the output directory (checkpoint.pt, written after every epoch), with the same options and dataset");
  cmd->add_option("--time-limit", o.time_limit_minutes, "Pause after the epoch that passes this many minutes, leaving the checkpoint; run again with --resume (0: none)")
      ->check(Range(0.0, 1e6))
      ->capture_default_str();
  cmd->add_option("--stop-after-epochs", o.stop_after_epochs, "Pause after this many epochs of this run, leaving the checkpoint (0: none)")->check(Range(0, 100000));
  cmd->add_option("--fine-tune", o.fine_tune,
                  "ML-Flux's second CCM stage: after training, learn only the output weights of these free fluxes (net:tal, or tal for its net flux; comma-separated) for --fine-tune-epochs more epochs")
      ->delimiter(',');
  cmd->add_option("--fine-tune-epochs", o.fine_tune_epochs, "Epochs of the fine-tuning stage (with --fine-tune)")->check(Range(0, 100000))->capture_default_str();
  cmd->add_option("--device", o.device, "cpu, cuda, or auto (a GPU when LibTorch has one)")->check(CLI::IsMember({"cpu", "cuda", "auto"}))->capture_default_str();
  const std::string g = "Package";
  cmd->add_option("--knn-reference-rows", o.knn_rows,
                  "Training patterns kept in the package for KNN imputation (default: as many as fit 4 MB, at most 20,000; 0 = none)")
      ->check(Range(-1L, 10000000L))
      ->group(g);
  cmd->add_option("--knn-k", o.knn_k, "Neighbours of the KNN imputer used for the error tables")->check(Range(1, 1000))->capture_default_str()->group(g);
  cmd->add_option("--pcnn-epochs", o.pcnn_epochs,
                  "Epochs of the PCNN imputer (default: 30 where the image is at most 32×32, else 0 = none: CPU hours for 80×80)")
      ->check(Range(-1, 100000))
      ->group(g);
  cmd->add_option("--pcnn-batch", o.pcnn_batch, "Batch size of the PCNN imputer")->check(Range(2, 100000))->capture_default_str()->group(g);
  cmd->add_option("--error-rows", o.error_rows, "Test rows for the error table of complete patterns")
      ->check(Range(1L, 100000000L))
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--masked-rows", o.masked_rows, "Test rows masked and imputed for the error tables by level of masking")
      ->check(Range(0L, 100000000L))
      ->capture_default_str()
      ->group(g);
  cmd->callback([&ctx, argv] {
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    auto opened = learn::TrainingData::open(o.dataset, o.model);
    if (!accept(opened, ctx)) return;
    const learn::TrainingData& training = opened.value();
    const std::string& file = training.file;
    const sampling::DatasetContents& d = training.contents;
    const learn::FluxExpansion& expansion = *training.expansion;
    learn::TrainOptions options;
    options.hidden = o.hidden;
    options.epochs = o.epochs;
    options.batch = o.batch;  // 0: the model's (resolve)
    options.learning_rate = o.learning_rate;
    options.patience = o.patience;
    options.lr_decay_after = o.lr_decay_after >= 0 ? o.lr_decay_after : std::max(2, o.patience / 5);
    options.seed = o.seed;
    options.threads = o.threads;
    options.device = o.device;
    options.standardize_outputs = o.output_scaling == "standard";
    options.standardize_inputs = o.input_scaling == "standard";
    options.two_heads = o.heads == 2;
    options.input_scale_floor = o.input_scale_floor;
    options.input_noise = o.mid_noise;
    options.input_noise_mode = o.mid_noise_mode;
    options.schedule = o.schedule;
    options.checkpoint = o.output + "/checkpoint.pt";
    options.resume = o.resume;
    options.time_limit_seconds = 60 * o.time_limit_minutes;
    options.stop_after_epochs = o.stop_after_epochs;
    for (const auto& c : o.fine_tune) options.fine_tune_columns.push_back(c.find(':') == std::string::npos ? "net:" + c : c);
    options.fine_tune_epochs = o.fine_tune_epochs;
    if (!o.resume && std::filesystem::exists(options.checkpoint)) {
      print_diagnostics({Diagnostic{Severity::error, o.output, 0, 0, {}, "holds the checkpoint of a training (checkpoint.pt); continue it with --resume, or choose another output directory"}});
      ctx.exit_code = kExitInput;
      return;
    }
    if (auto made = io::make_output_directory(o.output); !accept(made, ctx)) return;
    options.loss = o.loss;
    training.resolve(options);
    if (options.loss == "weighted_mse" && !o.loss_weights.empty()) {
      auto w = read_loss_weights(o.loss_weights, d.flux_columns);
      if (!accept(w, ctx)) return;
      options.flux_weights = w.value();
    }
    options.progress = spdlog::get_level() <= spdlog::level::info;
    spdlog::info("{}: {} rows ({} train, {} validation, {} test), {} inputs -> {} free fluxes", file, d.rows, d.train.size(),
                 d.validation.size(), d.test.size(), d.n_inputs(), d.free_columns.size());
    learn::TrainingHistory history;
    auto predictor = learn::FluxPredictor::train(d, options, history);
    if (!accept(predictor, ctx)) return;
    if (history.paused) {
      if (auto w = io::write_output_file(o.output + "/loss.tsv", history.loss_tsv()); !w) {
        print_diagnostics(w.diagnostics());
        ctx.exit_code = kExitFailure;
        return;
      }
      spdlog::info("paused after epoch {} of {} (best {} so far); the checkpoint is {}: run the same command with --resume to continue",
                   history.train_loss.size(), options.epochs, history.best_epoch, options.checkpoint);
      return;
    }
    const std::string package = o.output + "/predictor.fluxpkg";
    learn::FluxPredictor& p = predictor.value();
    p.manifest()["training"]["command"] = argv;

    // KNN reference patterns: an even, seeded subsample of the training rows
    const sampling::MidLayout layout = sampling::MidLayout::from_json(d.manifest.at("settings").at("layout"));
    const long budget = std::min<long>(20000, std::max<long>(1, (4L << 20) / 4 / std::max<long>(1, d.n_inputs())));
    const long knn_rows = std::min<long>(o.knn_rows < 0 ? budget : o.knn_rows, static_cast<long>(d.train.size()));
    if (knn_rows > 0) {
      std::vector<std::uint64_t> rows;
      for (long i = 0; i < knn_rows; ++i) rows.push_back(d.train[static_cast<std::size_t>(i * static_cast<long>(d.train.size()) / knn_rows)]);
      learn::MidMatrix reference(knn_rows, d.n_inputs());
      for (long i = 0; i < knn_rows; ++i) reference.row(i) = d.mids32.row(static_cast<Eigen::Index>(rows[static_cast<std::size_t>(i)]));
      p.set_knn_reference(std::move(reference));
      p.manifest()["knn"] = {{"rows", knn_rows}, {"k", o.knn_k}, {"source", "every (train rows / rows)-th training row"}};
    }
    // the PCNN imputer
    const learn::PcnnGeometry geometry = learn::PcnnGeometry::for_model(training.provenance.model.id, static_cast<std::size_t>(d.n_inputs()));
    const int pcnn_epochs = o.pcnn_epochs >= 0 ? o.pcnn_epochs : (geometry.size <= 32 ? 30 : 0);
    double pcnn_seconds = 0;
    learn::PcnnHistory ph;
    if (pcnn_epochs > 0) {
      learn::PcnnTrainOptions po;
      po.epochs = pcnn_epochs;
      po.batch = o.pcnn_batch;
      po.seed = o.seed;
      po.threads = o.threads;
      po.progress = options.progress;
      auto pcnn = learn::PcnnImputer::train(d, layout, geometry, po, ph);
      if (!accept(pcnn, ctx)) return;
      p.set_pcnn(std::move(pcnn.value()));
      pcnn_seconds = ph.seconds;
      spdlog::info("PCNN imputer: best epoch {} of {}, validation MAE of missing entries {:.4g}", ph.best_epoch, ph.train_loss.size(),
                   ph.validation_loss[static_cast<std::size_t>(ph.best_epoch - 1)]);
    }
    // error tables on the test rows: complete, and by level of masking with KNN in front
    learn::ErrorTableOptions eo;
    eo.max_rows = o.error_rows;
    eo.max_masked_rows = knn_rows > 0 ? o.masked_rows : 0;
    eo.seed = o.seed;
    eo.progress = options.progress;
    std::optional<learn::KnnImputer> knn;
    if (knn_rows > 0 && eo.max_masked_rows > 0) knn.emplace(layout, p.knn_reference(), o.knn_k);
    const auto te0 = std::chrono::steady_clock::now();
    auto computed = learn::compute_error_tables(p, expansion, d, knn ? &*knn : nullptr, eo, o.masked_rows > 0 ? p.pcnn() : nullptr);
    if (!computed) {
      for (const auto& problem : computed.diagnostics()) print_diagnostics({Diagnostic{Severity::error, file, 0, 0, {}, "error tables: " + problem.message}});
      ctx.exit_code = kExitFailure;
      return;
    }
    const learn::ErrorTables& tables = computed.value();
    const double table_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - te0).count();
    p.manifest()["error_tables"] = tables.to_json();
    if (!history.fine_tune_validation_loss.empty()) {
      spdlog::info("fine-tuning {}: validation loss {:.6g} -> {:.6g} (best epoch {} of {})", [&] { std::string j; for (const auto& c : options.fine_tune_columns) j += (j.empty() ? "" : ", ") + c; return j; }(),
                   history.fine_tune_start_validation,
                   history.fine_tune_best_epoch > 0 ? history.fine_tune_validation_loss[static_cast<std::size_t>(history.fine_tune_best_epoch - 1)]
                                                    : history.fine_tune_start_validation,
                   history.fine_tune_best_epoch, history.fine_tune_validation_loss.size());
    }
    const learn::TestErrors t = p.test_errors(d);
    const double mae = t.mean_mae(), trivial = t.mean_trivial_mae();
    if (auto s = p.save(package); !s) {
      print_diagnostics(s.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    std::error_code removed;
    std::filesystem::remove(options.checkpoint, removed);  // the package holds the result; a new training may start here
    // the package first: the tables describe it
    info.add_output(package);
    const std::vector<std::pair<std::string, std::string>> tables_written{{"loss.tsv", history.loss_tsv()},
                                                                         {"test_errors.tsv", t.tsv()},
                                                                         {"error_tables.tsv", tables.levels_tsv()},
                                                                         {"vssr_acceptance.tsv", tables.acceptance_tsv()}};
    if (!write_outputs(ctx, info, o.output, tables_written)) return;
    if (p.pcnn() && !write_outputs(ctx, info, o.output, {{"pcnn_loss.tsv", ph.loss_tsv()}})) return;
    if (!history.fine_tune_validation_loss.empty() && !write_outputs(ctx, info, o.output, {{"fine_tune_loss.tsv", history.fine_tune_tsv()}})) return;
    info.add_input("dataset", file);
    info.set("best_epoch", std::to_string(history.best_epoch));
    info.set("epochs_run", std::to_string(history.train_loss.size()));
    if (history.resumed_from > 0) info.set("resumed_from_epoch", std::to_string(history.resumed_from));
    info.set("test_mae_mean", format_number(mae));
    info.set("trivial_test_mae_mean", format_number(trivial));
    info.add_timing("error_tables", table_seconds);
    if (p.pcnn()) info.add_timing("pcnn_training", pcnn_seconds);
    info.add_timing("training", history.seconds);
    info.add_timing("total", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (auto w = info.write(o.output); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    {
      const learn::ErrorLevel& c = tables.levels.front();
      double net_ok = 0, all_ok = 0;
      const auto n_net = static_cast<double>(std::count_if(tables.columns.begin(), tables.columns.end(), [](const std::string& s) { return s.rfind("net:", 0) == 0; }));
      for (std::size_t j = 0; j < tables.columns.size(); ++j) {
        all_ok += c.within_abs[j] / static_cast<double>(tables.columns.size());
        if (tables.columns[j].rfind("net:", 0) == 0) net_ok += c.within_abs[j] / n_net;
      }
      spdlog::info("complete test patterns: {:.1f} % of net fluxes and {:.1f} % of all fluxes within ±0.05; VSSR acceptance {:.1f} %", 100 * net_ok,
                   100 * all_ok, 100 * c.vssr_acceptance);
    }
    spdlog::info("best epoch {} of {}; test MAE {:.4g} per free flux (training mean: {:.4g}); wrote {}", history.best_epoch,
                 history.train_loss.size(), mae, trivial, package);
  });
}

}  // namespace fluxion::cli
