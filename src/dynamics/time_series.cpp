#include "fluxion/dynamics/time_series.hpp"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <numeric>
#include <regex>

#include "fluxion/io/feature_table.hpp"

namespace fluxion::dynamics {

namespace fs = std::filesystem;

std::size_t TimeSeries::n_cells() const {
  std::size_t n = 0;
  for (const auto& c : cells) n += static_cast<std::size_t>(c.rows());
  return n;
}

namespace {

// d<N>.csv, d<N>.csv.gz, d<N>.tsv, d<N>.tsv.gz → N; -1 otherwise.
int day_of(const std::string& name) {
  static const std::regex pattern(R"(d(\d{1,4})\.(csv|tsv)(\.gz)?)");
  std::smatch m;
  if (!std::regex_match(name, m, pattern)) return -1;
  return std::stoi(m[1].str());
}

std::map<int, std::string> day_files(const std::string& directory) {
  std::map<int, std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(directory, ec)) {
    if (!entry.is_regular_file()) continue;
    const int day = day_of(entry.path().filename().string());
    if (day >= 0) files.emplace(day, entry.path().string());
  }
  return files;
}

}  // namespace

Result<TimeSeries> load_time_series(const std::string& directory) {
  Diagnostics d(directory);
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) {
    d.error("is not a directory of per-day tables (d0.csv.gz, d1.csv.gz, …)");
    return Result<TimeSeries>::failure(d);
  }
  const auto files = day_files(directory);
  if (files.empty()) {
    d.error("holds no per-day tables: expected files named d0.csv.gz, d1.csv.gz, … (rows features, columns cells)");
    return Result<TimeSeries>::failure(d);
  }
  TimeSeries series;
  for (const auto& [day, path] : files) {
    auto m = io::load_feature_table(path);
    if (!m) {
      d.append(m.diagnostics());
      continue;
    }
    auto& features = m.value().features;
    auto& values = m.value().values;
    if (series.days.empty()) {
      series.features = features;
    } else if (features != series.features) {
      Diagnostic e;
      e.source = path;
      std::size_t i = 0;
      while (i < features.size() && i < series.features.size() && features[i] == series.features[i]) ++i;
      e.message = "lists different features from " + series.sources.front() + " (" + std::to_string(features.size()) + " vs " +
                  std::to_string(series.features.size()) + "; first difference at feature " + std::to_string(i + 1) +
                  (i < features.size() ? " '" + features[i] + "'" : std::string()) + "); every day must list the same features in the same order";
      d.add(e);
      continue;
    }
    series.days.push_back(day);
    series.cells.push_back(std::move(values));
    series.sources.push_back(path);
  }
  if (d.has_errors()) return Result<TimeSeries>::failure(d);
  if (series.days.size() < 2) {
    d.error("holds one day only; a time series needs at least two days");
    return Result<TimeSeries>::failure(d);
  }
  return Result<TimeSeries>::success(std::move(series), d.items());
}

namespace {

void append_number(std::string& out, float v) {
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e9f) {
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<long>(v));
    out.append(buf, p);
  } else {
    const int n = std::snprintf(buf, sizeof buf, "%.7g", static_cast<double>(v));
    out.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

Result<bool> write_time_series(const TimeSeries& series, const std::string& directory) {
  Diagnostics d(directory);
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) {
    d.error("cannot be created: " + ec.message());
    return Result<bool>::failure(d);
  }
  for (std::size_t k = 0; k < series.days.size(); ++k) {
    const Eigen::MatrixXf& x = series.cells[k];
    std::string text = "\"\"";
    for (Eigen::Index c = 0; c < x.rows(); ++c) text.append(",\"c").append(std::to_string(c + 1)).append(1, '"');
    text += '\n';
    for (std::size_t f = 0; f < series.features.size(); ++f) {
      text += '"' + series.features[f] + '"';
      for (Eigen::Index c = 0; c < x.rows(); ++c) {
        text += ',';
        append_number(text, x(c, static_cast<Eigen::Index>(f)));
      }
      text += '\n';
    }
    const std::string path = (fs::path(directory) / std::string(1, 'd').append(std::to_string(series.days[k])).append(".csv.gz")).string();
    gzFile out = gzopen(path.c_str(), "wb6");
    const bool written = out != nullptr && gzwrite(out, text.data(), static_cast<unsigned>(text.size())) == static_cast<int>(text.size());
    if (out != nullptr && gzclose(out) != Z_OK) d.error("cannot be written completely", 0, 0, path);
    if (!written) d.error("cannot be written", 0, 0, path);
  }
  if (d.has_errors()) return Result<bool>::failure(d);
  return Result<bool>::success(true);
}

Result<std::vector<NamedSeries>> load_configurations(const std::string& directory) {
  Diagnostics d(directory);
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(directory, ec))
    if (entry.is_directory() && !day_files(entry.path().string()).empty()) names.push_back(entry.path().filename().string());
  if (ec || names.empty()) {
    d.error("holds no configurations: expected sub-directories (all_genes/, ko_1/, …) of per-day tables");
    return Result<std::vector<NamedSeries>>::failure(d);
  }
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    if ((a == "all_genes") != (b == "all_genes")) return a == "all_genes";
    return a < b;
  });
  std::vector<NamedSeries> out;
  for (const auto& name : names) {
    auto s = load_time_series((fs::path(directory) / name).string());
    if (!s) {
      d.append(s.diagnostics());
      continue;
    }
    if (!out.empty() && (s.value().features != out.front().series.features || s.value().days != out.front().series.days)) {
      d.error("has other features or days than " + out.front().name, 0, 0, name);
      continue;
    }
    out.push_back({name, std::move(s).value()});
  }
  if (d.has_errors()) return Result<std::vector<NamedSeries>>::failure(d);
  return Result<std::vector<NamedSeries>>::success(std::move(out));
}

CellPools split_cells(const TimeSeries& series, double holdout, std::uint64_t seed) {
  CellPools pools;
  std::mt19937_64 rng(seed);
  for (const auto& x : series.cells) {
    std::vector<int> idx(static_cast<std::size_t>(x.rows()));
    std::iota(idx.begin(), idx.end(), 0);
    if (holdout <= 0) {
      pools.train.push_back(idx);
      pools.test.emplace_back();
      continue;
    }
    std::shuffle(idx.begin(), idx.end(), rng);
    auto n_test = static_cast<std::size_t>(std::lround(holdout * static_cast<double>(idx.size())));
    n_test = std::clamp<std::size_t>(n_test, 1, idx.size() > 1 ? idx.size() - 1 : 1);
    pools.test.emplace_back(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(n_test));
    pools.train.emplace_back(idx.begin() + static_cast<std::ptrdiff_t>(n_test), idx.end());
    std::sort(pools.test.back().begin(), pools.test.back().end());
    std::sort(pools.train.back().begin(), pools.train.back().end());
  }
  return pools;
}

std::vector<float> draw_trajectories(const TimeSeries& series, const std::vector<std::vector<int>>& pools, int n, std::mt19937_64& rng) {
  std::vector<std::vector<int>> cells(static_cast<std::size_t>(n));
  for (auto& trajectory : cells)
    for (const auto& pool : pools) {
      std::uniform_int_distribution<std::size_t> pick(0, pool.size() - 1);
      trajectory.push_back(pool[pick(rng)]);
    }
  return gather_trajectories(series, cells);
}

namespace {

// numpy's legacy RandomState: MT19937 (std::mt19937 seeds exactly as init_genrand does) and a
// bounded integer in [0, max] by masking to max's bit length and rejecting (random_interval).
class NumpyLegacyRandom {
 public:
  explicit NumpyLegacyRandom(std::uint32_t seed) : mt_(seed) {}
  std::uint32_t interval(std::uint32_t max) {
    if (max == 0) return 0;
    std::uint32_t mask = max;
    for (int s : {1, 2, 4, 8, 16}) mask |= mask >> s;
    std::uint32_t v = 0;
    do v = static_cast<std::uint32_t>(mt_()) & mask;
    while (v > max);
    return v;
  }
  // permutation(n): arange(n) shuffled from the last position down
  std::vector<int> permutation(int n) {
    std::vector<int> a(static_cast<std::size_t>(n));
    std::iota(a.begin(), a.end(), 0);
    for (int i = n - 1; i > 0; --i) std::swap(a[static_cast<std::size_t>(i)], a[interval(static_cast<std::uint32_t>(i))]);
    return a;
  }

 private:
  std::mt19937 mt_;
};

}  // namespace

std::vector<int> numpy_legacy_permutation(int n, std::uint32_t seed) { return NumpyLegacyRandom(seed).permutation(n); }

std::vector<std::vector<int>> reference_trajectory_cells(const TimeSeries& series, int n, std::uint32_t seed) {
  NumpyLegacyRandom rng(seed);
  std::vector<std::vector<int>> out(static_cast<std::size_t>(n));
  for (auto& trajectory : out)
    for (const auto& day : series.cells) trajectory.push_back(rng.permutation(static_cast<int>(day.rows())).front());
  return out;
}

std::vector<float> gather_trajectories(const TimeSeries& series, const std::vector<std::vector<int>>& cells) {
  const std::size_t n_days = series.days.size(), y = series.n_features();
  std::vector<float> out(cells.size() * n_days * y);
  for (std::size_t i = 0; i < cells.size(); ++i)
    for (std::size_t k = 0; k < n_days; ++k) {
      float* dst = out.data() + (i * n_days + k) * y;
      for (std::size_t f = 0; f < y; ++f) dst[f] = series.cells[k](cells[i][k], static_cast<Eigen::Index>(f));
    }
  return out;
}

std::vector<double> day_variance_floor(const TimeSeries& series, const std::vector<std::vector<int>>& pools) {
  std::vector<double> floor;
  for (std::size_t k = 0; k < series.cells.size(); ++k) {
    Eigen::MatrixXd x;
    if (pools.empty()) {
      x = series.cells[k].cast<double>();
    } else {
      x.resize(static_cast<Eigen::Index>(pools[k].size()), series.cells[k].cols());
      for (std::size_t i = 0; i < pools[k].size(); ++i) x.row(static_cast<Eigen::Index>(i)) = series.cells[k].row(pools[k][i]).cast<double>();
    }
    const Eigen::RowVectorXd mean = x.colwise().mean();
    floor.push_back((x.rowwise() - mean).array().square().colwise().sum().mean() / static_cast<double>(x.rows()));
  }
  return floor;
}

}  // namespace fluxion::dynamics
