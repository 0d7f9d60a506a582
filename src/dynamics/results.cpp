#include "fluxion/dynamics/results.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>

#include "fluxion/core/diagnostic_log.hpp"
#include "fluxion/core/diagnostic_log.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/io/svg_plot.hpp"

namespace fluxion::dynamics {

namespace {

std::string num(double v) {
  if (!std::isfinite(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", v);
  return buf;
}

}  // namespace

double median_epoch_seconds(const NeuralProcessResult& r) {
  std::vector<double> seconds;
  for (const auto& e : r.history) seconds.push_back(e.seconds);
  std::sort(seconds.begin(), seconds.end());
  return seconds.empty() ? 0.0 : seconds[seconds.size() / 2];
}

nlohmann::json training_summary(const NeuralProcessResult& r, const NeuralProcessOptions& options) {
  const auto& ev = r.evaluation;
  nlohmann::json summary = {{"model", r.model.description()},
                            {"parameters", r.model.parameter_count()},
                            {"ok", r.summary.usable},
                            {"message", r.summary.message},
                            {"protocol", r.protocol},
                            {"epochs_run", r.history.size()},
                            {"seconds_training", r.seconds_training},
                            {"median_seconds_per_epoch", median_epoch_seconds(r)},
                            {"paper_test_mse", r.summary.usable ? nlohmann::json(ev.paper_mse) : nlohmann::json(nullptr)}};
  if (r.summary.usable) {
    summary["paper"] = day_metrics_summary(ev.paper, r.model.features(), options.context_points, options.target_points);
    if (!ev.fresh.days.empty()) summary["fresh"] = day_metrics_summary(ev.fresh, r.model.features(), options.context_points, options.target_points);
  }
  return summary;
}

NamedFiles training_files(const NeuralProcessResult& r, const NeuralProcessOptions& options) {
  std::string history = "epoch,train_loss,test_mse,seconds,ode_evaluations_per_forward\n";
  std::vector<double> epochs;
  io::PlotSeries loss{"training loss (−ELBO per trajectory)", {}}, mse{"test MSE (paper protocol)", {}};
  for (const auto& e : r.history) {
    history += std::to_string(e.epoch) + ',' + num(e.train_loss) + ',' + num(e.test_mse) + ',' + num(e.seconds) + ',' + num(e.ode_evaluations) + '\n';
    epochs.push_back(e.epoch);
    loss.y.push_back(e.train_loss);
    mse.y.push_back(e.test_mse);
  }
  NamedFiles files{{"history.csv", history},
                   {"summary.json", training_summary(r, options).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + '\n'},
                   {"training.svg", io::line_chart_svg("Training of " + r.model.description(), "epoch", "loss", epochs, {loss}, false)},
                   {"test_mse.svg", io::line_chart_svg("Test MSE by epoch (" + options.model + ")", "epoch", "MSE", epochs, {mse}, true)}};
  if (r.summary.usable) {
    const auto& ev = r.evaluation;
    files.emplace_back("day_metrics.csv", day_metrics_csv(ev));
    std::vector<double> days(ev.paper.days.begin(), ev.paper.days.end());
    std::vector<io::PlotSeries> series{{"MSE, paper test set", ev.paper.mse}, {"floor (per-day variance)", ev.paper.floor},
                                       {"day means, on the same trajectories", ev.paper.day_mean}};
    if (!ev.fresh.days.empty()) series.push_back({"MSE, fresh trajectories of held-out cells", ev.fresh.mse});
    files.emplace_back("day_mse.svg", io::line_chart_svg("MSE by day beside the per-day variance floor", "day", "MSE", days, series, false));
  }
  return files;
}

Result<PredictionTables> prediction_tables(const NeuralProcess& np, const NeuralProcess::Prediction& pr) {
  PredictionTables out;
  out.mean.features = out.samples.features = np.features();
  out.summary_csv = "day,feature,mean,sd,sample_mean,sample_sd\n";
  for (std::size_t k = 0; k < pr.days.size(); ++k) {
    const int day = static_cast<int>(std::lround(pr.days[k]));
    if (!out.mean.days.empty() && day <= out.mean.days.back())
      return Result<PredictionTables>::failure({Diagnostic{Severity::error, "--days", 0, 0, {},
                                                           "days " + num(pr.days[k - 1]) + " and " + num(pr.days[k]) + " round to the same file name d" +
                                                               std::to_string(day) + "; predict whole days"}});
    out.mean.days.push_back(day);
    out.samples.days.push_back(day);
    out.mean.cells.push_back(pr.mean[k]);
    out.samples.cells.push_back(pr.sample[k]);
    for (std::size_t f = 0; f < out.mean.features.size(); ++f) {
      const auto col = pr.mean[k].col(static_cast<Eigen::Index>(f)).cast<double>();
      const auto scol = pr.sample[k].col(static_cast<Eigen::Index>(f)).cast<double>();
      const double m = col.mean(), sm = scol.mean();
      const double sd = std::sqrt((col.array() - m).square().mean()), ssd = std::sqrt((scol.array() - sm).square().mean());
      out.summary_csv += num(pr.days[k]) + ",\"" + out.mean.features[f] + "\"," + num(m) + ',' + num(sd) + ',' + num(sm) + ',' + num(ssd) + '\n';
    }
  }
  return Result<PredictionTables>::success(std::move(out));
}

NamedFiles truth_files(const SyntheticData& s) {
  if (s.true_expression_mean.empty()) return {};
  auto table = [](const std::vector<std::vector<double>>& m, const std::vector<std::string>& names) {
    std::string t = "day";
    for (const auto& n : names) t.append(1, ',').append(n);
    t += '\n';
    for (std::size_t d = 0; d < m.size(); ++d) {
      t += std::to_string(d);
      for (double v : m[d]) t.append(1, ',').append(num(v));
      t += '\n';
    }
    return t;
  };
  return {{"truth_expression.csv", table(s.true_expression_mean, s.expression.features)}, {"truth_flux.csv", table(s.true_flux_mean, s.flux.features)}};
}

Result<TrainingInput> load_training_input(const std::string& data, const std::string& configurations) {
  DiagnosticLog log;
  TrainingInput in;
  if (data.empty() == configurations.empty())
    return log.failure<TrainingInput>({Diagnostic{Severity::error, "dynamics train", 0, 0, {}, "give either the per-day tables or the configurations"}});
  if (!data.empty()) {
    auto s = load_time_series(data);
    if (!log.take(s)) return log.failure<TrainingInput>();
    in.configurations.push_back({"data", std::move(s).value()});
    in.inputs.emplace_back("data", data);
  } else {
    auto c = load_configurations(configurations);
    if (!log.take(c)) return log.failure<TrainingInput>();
    in.configurations = std::move(c).value();
    in.inputs.emplace_back("configurations", configurations);
  }
  for (const auto& c : in.configurations)
    for (const auto& f : c.series.sources) in.inputs.emplace_back("day", f);
  return log.success<TrainingInput>(std::move(in));
}

std::string training_report(const NeuralProcessResult& r, const NeuralProcessOptions& options) {
  std::string out;
  auto line = [&out](const char* format, auto... values) {
    char buffer[1024];
    std::snprintf(buffer, sizeof buffer, format, values...);
    out += buffer;
  };
  out += r.model.description() + "\n" + r.protocol + "\n";
  line("%zu epochs in %.1f s (median %.3f s per epoch)\n", r.history.size(), r.seconds_training, median_epoch_seconds(r));
  if (!r.summary.usable) return out;
  const auto& ev = r.evaluation;
  const std::size_t c = static_cast<std::size_t>(options.context_points), t = static_cast<std::size_t>(options.target_points), n = ev.paper.days.size();
  line("paper test MSE %.4f (floor %.4f; the day means on these trajectories %.4f); by day group: context %.4f (floor %.4f), %zu-%zu %.4f (floor %.4f), "
       "%zu-%zu %.4f (floor %.4f)\n",
       ev.paper_mse, ev.paper.floor_mean(0, n), ev.paper.day_mean_mean(0, n), ev.paper.mse_mean(0, c), ev.paper.floor_mean(0, c), c, t - 1,
       ev.paper.mse_mean(c, t), ev.paper.floor_mean(c, t), t, n - 1, ev.paper.mse_mean(t, n), ev.paper.floor_mean(t, n));
  const nlohmann::json summary = training_summary(r, options);
  if (const auto& k = summary["paper"]["by_feature_kind"]; !k.empty())
    line("by feature: %d measured features MSE %.4g, %d presence indicators MSE %.4g\n", k["measured_features"].get<int>(),
         k["mse_measured"].is_number() ? k["mse_measured"].get<double>() : NAN, k["presence_indicators"].get<int>(),
         k["mse_presence_indicators"].is_number() ? k["mse_presence_indicators"].get<double>() : NAN);
  auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(std::max<std::size_t>(1, v.size())); };
  if (!ev.fresh.days.empty())
    line("fresh held-out trajectories MSE %.4f (floor %.4f); days %zu-%zu %.4f (floor %.4f); W1 %.3f (sum over features), %.3f (exact)\n", ev.fresh.mse_mean(),
         ev.fresh.floor_mean(0, n), t, n - 1, ev.fresh.mse_mean(t, n), ev.fresh.floor_mean(t, n), mean(ev.fresh.w1_sum), mean(ev.fresh.w1_exact));
  return out;
}

const OptionTable<PredictRequest>& PredictRequest::table() {
  using R = PredictRequest;
  static const OptionTable<R> t = [] {
    OptionTable<R> t;
    t.add("model", &R::model, "Directory written by `fluxion dynamics train` (model.json, model.pt)").short_name("m").required();
    t.add("context", &R::context, "Per-day tables holding at least the model's context days (same features as in training)").short_name("c").required();
    OptionTable<R>::Custom days;
    days.get = [](const R& r) {
      std::string s;
      for (double d : r.days) {
        if (!s.empty()) s += ',';
        s += format_short(d);
      }
      return s;
    };
    days.set = [](R& r, const std::string& text) -> std::string {
      std::vector<double> out;
      std::size_t start = 0;
      while (start <= text.size()) {
        const auto comma = text.find(',', start);
        const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!item.empty()) {
          char* end = nullptr;
          const double v = std::strtod(item.c_str(), &end);
          if (*end != '\0' || !std::isfinite(v)) {
            std::string why = "'";
            why += item.substr(0, 40);
            why += "' is not a day (a number)";
            return why;
          }
          out.push_back(v);
        }
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      r.days = std::move(out);
      return {};
    };
    t.add_custom("days", days, "Days to predict, increasing (default: the training days)").kind(OptionKind::list).type("number").no_default();
    t.add("trajectories", &R::trajectories, "Pseudo-trajectories (cells predicted per day)").short_name("n").range(1, 1000000);
    t.add("seed", &R::seed, "Random seed");
    return t;
  }();
  return t;
}

Result<std::vector<std::string>> PredictionRun::write(const std::string& directory) const {
  using R = Result<std::vector<std::string>>;
  auto written = io::write_output_files(directory, {{"summary.csv", tables.summary_csv}});
  if (!written) return written;
  for (auto [name, series] : {std::pair<const char*, const TimeSeries*>{"mean", &tables.mean}, {"samples", &tables.samples}})
    if (auto w = write_time_series(*series, directory + "/" + name); !w) return R::failure(w.diagnostics());
  return written;
}

Result<PredictionRun> run_prediction(const PredictRequest& q) {
  DiagnosticLog log;
  auto model = NeuralProcess::load(q.model);
  if (!log.take(model)) return log.failure<PredictionRun>();
  auto context = load_time_series(q.context);
  if (!log.take(context)) return log.failure<PredictionRun>();
  const auto& np = model.value();
  std::vector<double> days = q.days;
  if (days.empty()) days.assign(np.days().begin(), np.days().end());
  auto prediction = np.predict(context.value(), days, q.trajectories, q.seed);
  if (!log.take(prediction)) return log.failure<PredictionRun>();
  auto tables = prediction_tables(np, prediction.value());
  if (!log.take(tables)) return log.failure<PredictionRun>();
  PredictionRun run;
  run.tables = std::move(tables.value());
  run.description = np.description();
  run.days = prediction.value().days.size();
  run.settings = {{"method", run.description}, {"trajectories", std::to_string(q.trajectories)}, {"seed", std::to_string(q.seed)}};
  return log.success(std::move(run));
}

Result<std::vector<std::string>> write_synthetic(const SyntheticData& s, const std::string& directory) {
  using R = Result<std::vector<std::string>>;
  for (auto [name, series] : {std::pair<const char*, const TimeSeries*>{"expression", &s.expression}, {"flux", &s.flux}, {"balance", &s.balance}})
    if (auto w = write_time_series(*series, directory + "/" + name); !w) return R::failure(w.diagnostics());
  auto network = io::write_output_files(directory + "/network", {{"modules.gmt", s.module_genes_gmt}, {"cmMat.csv", s.stoichiometry_csv}});
  if (!network) return network;
  auto truth = io::write_output_files(directory, truth_files(s));
  if (!truth) return truth;
  std::vector<std::string> paths = network.value();
  paths.insert(paths.end(), truth.value().begin(), truth.value().end());
  return R::success(std::move(paths));
}

}  // namespace fluxion::dynamics
