// Summarises `fluxion dynamics train` runs as markdown: every directory under the given one that
// holds summary.json and history.csv (as written by bench/dynamics_table4.sh and
// bench/dynamics_knockout.sh). Three tables:
//   1. every run: the paper's last-epoch test MSE, the median over its last 20 epochs, the MSE by
//      day group beside the per-day variance floor, fresh held-out metrics, seconds per epoch;
//   2. runs named holdout<seed> grouped: mean ± SD over seeds;
//   3. runs named paper in a pathway directory: against SNODEP's Table 4;
//   4. runs named refdraw-s<seed> (the reference's own trajectories): against Table 4, with the
//      models ranked as the paper ranks them;
//   5. given the reference's per-epoch histories (../shared/data/snodep/reference_results/
//      test_mse_history.csv.gz), which trajectories each reference run was scored on: early in
//      training a model's test MSE sits a nearly fixed distance above the day-mean predictor's MSE
//      on the same test set (our refdraw runs measure that distance per epoch), so the reference's
//      epochs 1–20 minus that distance estimate its test set's day-mean MSE.
// usage: dynamics_table <runs directory> [reference test_mse_history.csv.gz]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>
#include <zlib.h>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

struct Run {
  std::string path;  // relative to the root
  json summary;
  std::vector<double> test_mse;  // per epoch
  double median_last20 = NAN;
};

double number(const json& j, const char* key) { return j.contains(key) && j[key].is_number() ? j[key].get<double>() : NAN; }

double group_value(const json& set, std::size_t i, const char* key) {
  if (!set.contains("groups") || set["groups"].size() <= i) return NAN;
  return number(set["groups"][i], key);
}

std::string f(double v, int digits = 4) {
  if (!std::isfinite(v)) return "–";
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", digits, v);
  return b;
}

std::string mean_sd(const std::vector<double>& v, int digits = 4) {
  if (v.empty()) return "–";
  double m = 0;
  for (double x : v) m += x;
  m /= static_cast<double>(v.size());
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  s = v.size() > 1 ? std::sqrt(s / static_cast<double>(v.size() - 1)) : 0.0;
  return f(m, digits) + " ± " + f(s, digits);
}

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// SNODEP Table 4 (gene expression, regular sampling), from the paper
const std::map<std::string, std::map<std::string, double>> kTable4 = {
    {"mhc-i", {{"lode", 0.214}, {"rnn-vae", 0.225}, {"np", 0.215}, {"nodep", 0.203}, {"snodep", 0.189}}},
    {"m171", {{"lode", 0.178}, {"rnn-vae", 0.204}, {"np", 0.188}, {"nodep", 0.173}, {"snodep", 0.149}}},
    {"ironion", {{"lode", 0.972}, {"rnn-vae", 0.937}, {"np", 0.899}, {"nodep", 0.872}, {"snodep", 0.692}}},
    {"glucose-tcacycle", {{"lode", 0.592}, {"rnn-vae", 0.739}, {"np", 0.628}, {"nodep", 0.599}, {"snodep", 0.435}}},
};

// runs <pathway>/<model>/<prefix>… of the models and pathways in Table 4, by (pathway, model)
std::map<std::pair<std::string, std::string>, std::vector<const Run*>> table4_runs(const std::vector<Run>& runs, const std::string& prefix) {
  std::map<std::pair<std::string, std::string>, std::vector<const Run*>> out;
  for (const auto& r : runs) {
    const fs::path p(r.path);
    if (p.filename().string().rfind(prefix, 0) != 0) continue;
    const std::string model = p.parent_path().filename().string(), pathway = p.parent_path().parent_path().filename().string();
    auto pw = kTable4.find(pathway);
    if (pw == kTable4.end() || !pw->second.count(model)) continue;
    out[{pathway, model}].push_back(&r);
  }
  return out;
}

// epochs 1–20 of the stored reference histories: gene expression, regular sampling; (pathway, model) → MSE per epoch
std::map<std::pair<std::string, std::string>, std::vector<double>> read_reference_histories(const std::string& path) {
  std::map<std::pair<std::string, std::string>, std::vector<double>> out;
  gzFile in = gzopen(path.c_str(), "rb");
  if (in == nullptr) return out;
  char buf[4096];
  bool header = true;
  while (gzgets(in, buf, sizeof buf) != nullptr) {
    if (header) {  // pathway,data,model,irregular_freq,epoch,test_mse
      header = false;
      continue;
    }
    std::vector<std::string> cells;
    std::stringstream ss{std::string(buf)};
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (cells.size() != 6 || cells[1] != "gene_expression" || cells[3] != "1.0") continue;
    const int epoch = std::stoi(cells[4]);
    if (epoch < 1 || epoch > 20) continue;
    std::string model = cells[2];
    std::transform(model.begin(), model.end(), model.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto& h = out[{cells[0], model}];
    h.resize(20, NAN);
    h[static_cast<std::size_t>(epoch - 1)] = std::stod(cells[5]);
  }
  gzclose(in);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: dynamics_table <runs directory> [reference test_mse_history.csv.gz]\n");
    return 2;
  }
  const fs::path root = argv[1];
  std::vector<Run> runs;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().filename() != "summary.json") continue;
    const fs::path dir = it->path().parent_path();
    Run r;
    r.path = fs::relative(dir, root).string();
    std::ifstream in(it->path());
    try {
      in >> r.summary;
    } catch (const json::exception&) {
      continue;
    }
    std::ifstream h(dir / "history.csv");
    std::string line;
    std::getline(h, line);
    while (std::getline(h, line)) {
      std::stringstream ss(line);
      std::string cell;
      std::vector<std::string> cells;
      while (std::getline(ss, cell, ',')) cells.push_back(cell);
      r.test_mse.push_back(cells.size() > 2 && !cells[2].empty() ? std::stod(cells[2]) : NAN);
    }
    const std::size_t n = r.test_mse.size();
    r.median_last20 = median(std::vector<double>(r.test_mse.begin() + static_cast<std::ptrdiff_t>(n > 20 ? n - 20 : 0), r.test_mse.end()));
    runs.push_back(std::move(r));
  }
  if (runs.empty()) {
    std::fprintf(stderr, "no runs (summary.json) under %s\n", argv[1]);
    return 1;
  }
  std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.path < b.path; });

  std::printf("### Every run\n\n");
  std::printf("| run | epochs | paper test MSE (last epoch) | median, last 20 epochs | day means on the test set | days 0–7 (floor) | days 8–11 (floor) | days 12–15 (floor) | fresh MSE (floor) | fresh days 12–15 (floor) | fresh W1 Σ features | fresh W1 exact | s/epoch |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& r : runs) {
    const json& s = r.summary;
    const json paper = s.value("paper", json::object()), fresh = s.value("fresh", json::object());
    std::printf("| %s | %d | %s | %s | %s | %s (%s) | %s (%s) | %s (%s) | %s (%s) | %s (%s) | %s | %s | %s |\n", r.path.c_str(), s.value("epochs_run", 0),
                f(number(s, "paper_test_mse")).c_str(), f(r.median_last20).c_str(), f(number(paper, "day_mean_mse")).c_str(),
                f(group_value(paper, 0, "mse")).c_str(),
                f(group_value(paper, 0, "floor")).c_str(), f(group_value(paper, 1, "mse")).c_str(), f(group_value(paper, 1, "floor")).c_str(),
                f(group_value(paper, 2, "mse")).c_str(), f(group_value(paper, 2, "floor")).c_str(), f(number(fresh, "mse")).c_str(),
                f(number(fresh, "floor")).c_str(), f(group_value(fresh, 2, "mse")).c_str(), f(group_value(fresh, 2, "floor")).c_str(),
                f(number(fresh, "w1_sum_over_features"), 2).c_str(), f(number(fresh, "w1_exact"), 2).c_str(),
                f(number(s, "median_seconds_per_epoch"), 3).c_str());
  }

  // knockout series: measured features and presence indicators apart
  bool ko_header = false;
  for (const auto& r : runs) {
    const json k = r.summary.value("paper", json::object()).value("by_feature_kind", json::object());
    if (k.empty()) continue;
    if (!ko_header) {
      std::printf("\n### Knockout runs: the measured features and the presence indicators apart\n\n");
      std::printf("| run | MSE, all features | floor | MSE, %s measured features | MSE, %s presence indicators |\n|---|---|---|---|---|\n",
                  k["measured_features"].dump().c_str(), k["presence_indicators"].dump().c_str());
      ko_header = true;
    }
    const json paper = r.summary.value("paper", json::object());
    std::printf("| %s | %s | %s | %s | %s |\n", r.path.c_str(), f(number(r.summary, "paper_test_mse")).c_str(), f(number(paper, "floor")).c_str(),
                f(number(k, "mse_measured"), 5).c_str(), f(number(k, "mse_presence_indicators"), 5).c_str());
  }

  // held-out seeds grouped by their parent directory
  std::map<std::string, std::vector<const Run*>> seeds;
  for (const auto& r : runs) {
    const fs::path p(r.path);
    if (p.filename().string().rfind("holdout", 0) == 0) seeds[p.parent_path().string()].push_back(&r);
  }
  if (!seeds.empty()) {
    std::printf("\n### Held-out cells (20%% of each day), mean ± SD over seeds\n\n");
    std::printf("| model | seeds | paper test MSE (test ⊂ train) | fresh MSE | fresh floor | fresh days 12–15 | floor days 12–15 | fresh W1 Σ features | fresh W1 exact |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|\n");
    for (const auto& [name, group] : seeds) {
      std::vector<double> paper, fresh, floor, late, late_floor, w1, w1x;
      for (const Run* r : group) {
        const json fr = r->summary.value("fresh", json::object());
        paper.push_back(number(r->summary, "paper_test_mse"));
        fresh.push_back(number(fr, "mse"));
        floor.push_back(number(fr, "floor"));
        late.push_back(group_value(fr, 2, "mse"));
        late_floor.push_back(group_value(fr, 2, "floor"));
        w1.push_back(number(fr, "w1_sum_over_features"));
        w1x.push_back(number(fr, "w1_exact"));
      }
      std::printf("| %s | %zu | %s | %s | %s | %s | %s | %s | %s |\n", name.c_str(), group.size(), mean_sd(paper).c_str(), mean_sd(fresh).c_str(),
                  mean_sd(floor).c_str(), mean_sd(late).c_str(), mean_sd(late_floor).c_str(), mean_sd(w1, 2).c_str(), mean_sd(w1x, 2).c_str());
    }
  }

  // the paper's protocol: seed 42 ("paper") and further seeds ("paper-s<seed>"), per pathway and model
  const auto paper_runs = table4_runs(runs, "paper");
  if (!paper_runs.empty()) {
    std::printf("\n### Against SNODEP's Table 4 (gene expression, regular sampling, the paper's protocol)\n\n");
    std::printf("| pathway | model | paper | fluxion seed 42, last epoch | difference | seeds | last epoch, mean ± SD over seeds | difference of the mean | median of the last 20 epochs, mean over seeds |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|\n");
    for (const auto& [key, group] : paper_runs) {
      const double ref = kTable4.at(key.first).at(key.second);
      double seed42 = NAN;
      std::vector<double> last, med;
      for (const Run* r : group) {
        const double v = number(r->summary, "paper_test_mse");
        if (fs::path(r->path).filename() == "paper") seed42 = v;
        last.push_back(v);
        med.push_back(r->median_last20);
      }
      double mean_last = 0, mean_med = 0;
      for (double v : last) mean_last += v / static_cast<double>(last.size());
      for (double v : med) mean_med += v / static_cast<double>(med.size());
      std::printf("| %s | %s | %.3f | %s | %+.1f%% | %zu | %s | %+.1f%% | %s |\n", key.first.c_str(), key.second.c_str(), ref, f(seed42).c_str(),
                  100 * (seed42 / ref - 1), group.size(), mean_sd(last).c_str(), 100 * (mean_last / ref - 1), f(mean_med).c_str());
    }
  }

  // the reference's own trajectories: seeds vary the weights, batches and latent samples only
  std::map<std::string, std::map<std::string, std::vector<const Run*>>> ref_runs;  // pathway → model → runs
  for (const auto& [key, group] : table4_runs(runs, "refdraw")) ref_runs[key.first][key.second] = group;
  if (!ref_runs.empty()) {
    std::printf("\n### Against SNODEP's Table 4 on the reference's own trajectories (--reference-draw)\n\n");
    std::printf("| pathway | model | paper | seeds | fluxion, last epoch, mean ± SD | difference of the mean | median of the last 20 epochs, mean | day means on the test set |\n");
    std::printf("|---|---|---|---|---|---|---|---|\n");
    for (const auto& [pathway, models] : ref_runs) {
      std::vector<std::pair<double, std::string>> ours, paper;
      for (const auto& [model, group] : models) {
        const double ref = kTable4.at(pathway).at(model);
        std::vector<double> last;
        double med = 0, day_mean = NAN;
        for (const Run* r : group) {
          last.push_back(number(r->summary, "paper_test_mse"));
          med += r->median_last20 / static_cast<double>(group.size());
          day_mean = number(r->summary.value("paper", json::object()), "day_mean_mse");
        }
        double mean = 0;
        for (double v : last) mean += v / static_cast<double>(last.size());
        std::printf("| %s | %s | %.3f | %zu | %s | %+.1f%% | %s | %s |\n", pathway.c_str(), model.c_str(), ref, group.size(), mean_sd(last).c_str(),
                    100 * (mean / ref - 1), f(med).c_str(), f(day_mean).c_str());
        ours.emplace_back(mean, model);
        paper.emplace_back(ref, model);
      }
      std::sort(ours.begin(), ours.end());
      std::sort(paper.begin(), paper.end());
      std::string a, b;
      for (const auto& [v, m] : ours) a += (a.empty() ? "" : " < ") + m;
      for (const auto& [v, m] : paper) b += (b.empty() ? "" : " < ") + m;
      std::printf("| %s | ranking | %s | | %s | %s | | |\n", pathway.c_str(), b.c_str(), a.c_str(), a == b ? "same" : "differs");
    }
    // each step of the paper's ranking: the paper's gap beside ours, with its standard error over seeds
    std::printf("\nGaps between neighbours in the paper's ranking (the worse model minus the better one; ± the standard error over seeds):\n\n");
    for (const auto& [pathway, models] : ref_runs) {
      std::vector<std::pair<double, std::string>> paper;
      for (const auto& [model, group] : models) paper.emplace_back(kTable4.at(pathway).at(model), model);
      std::sort(paper.begin(), paper.end());
      auto stats = [&](const std::string& model) {
        std::vector<double> v;
        for (const Run* r : models.at(model)) v.push_back(number(r->summary, "paper_test_mse"));
        double m = 0, var = 0;
        for (double x : v) m += x / static_cast<double>(v.size());
        for (double x : v) var += (x - m) * (x - m);
        var = v.size() > 1 ? var / static_cast<double>(v.size() - 1) : 0.0;
        return std::make_pair(m, var / static_cast<double>(v.size()));
      };
      for (std::size_t i = 0; i + 1 < paper.size(); ++i) {
        const auto [better_mean, better_se2] = stats(paper[i].second);
        const auto [worse_mean, worse_se2] = stats(paper[i + 1].second);
        std::printf("- %s, %s − %s: paper %+.3f; fluxion %+.3f ± %.3f (%zu and %zu seeds)\n", pathway.c_str(), paper[i + 1].second.c_str(),
                    paper[i].second.c_str(), paper[i + 1].first - paper[i].first, worse_mean - better_mean, std::sqrt(better_se2 + worse_se2),
                    models.at(paper[i + 1].second).size(), models.at(paper[i].second).size());
      }
    }
  }

  if (argc == 3 && !ref_runs.empty()) {
    const auto reference = read_reference_histories(argv[2]);
    std::printf("\n### Which trajectories each reference run was scored on\n\n");
    std::printf("Estimated day-mean MSE of each reference run's test set (mean ± SD over epochs 1–20 of the reference history minus the "
                "distance our runs keep above their test set's day means at the same epoch), beside the day-mean MSE of the trajectories "
                "`--reference-draw` reproduces:\n\n");
    std::printf("| pathway | model | our runs | estimated day-mean MSE of the reference run's test set | the reproduced draw's | difference |\n");
    std::printf("|---|---|---|---|---|---|\n");
    for (const auto& [pathway, models] : ref_runs)
      for (const auto& [model, group] : models) {
        auto it = reference.find({pathway, model});
        if (it == reference.end()) continue;
        std::vector<double> estimates;
        double draw = NAN;
        for (std::size_t e = 0; e < 20; ++e) {
          double offset = 0;
          std::size_t n = 0;
          for (const Run* r : group) {
            const double dm = number(r->summary.value("paper", json::object()), "day_mean_mse");
            if (r->test_mse.size() > e && std::isfinite(r->test_mse[e]) && std::isfinite(dm)) offset += r->test_mse[e] - dm, ++n, draw = dm;
          }
          if (n > 0 && std::isfinite(it->second[e])) estimates.push_back(it->second[e] - offset / static_cast<double>(n));
        }
        if (estimates.empty()) continue;
        double m = 0;
        for (double v : estimates) m += v / static_cast<double>(estimates.size());
        std::printf("| %s | %s | %zu | %s | %s | %+.4f |\n", pathway.c_str(), model.c_str(), group.size(), mean_sd(estimates).c_str(), f(draw).c_str(), m - draw);
      }
  }
  return 0;
}
