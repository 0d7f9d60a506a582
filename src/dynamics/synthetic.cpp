#include "fluxion/dynamics/synthetic.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cmath>
#include <random>

namespace fluxion::dynamics {

namespace {

constexpr int kGenes = 24, kModules = 6, kMetabolites = 4, kGenesPerModule = 4;
constexpr double kGamma = 0.35, kK = 0.5, kKi = 1.0, kStep = 0.05;
// cells per day of the SNODEP data (Ori et al. 2021), d0…d15
constexpr std::array<int, 16> kRealCells{847, 782, 743, 666, 902, 787, 729, 816, 839, 399, 312, 197, 372, 869, 868, 539};
// metabolites A, B, C, D × modules M1…M6
constexpr int kS[kMetabolites][kModules] = {{1, -1, 0, 0, 0, 0}, {0, 1, -1, -1, 0, 0}, {0, 0, 1, 0, -1, 0}, {0, 0, 0, 1, 0, -1}};

struct Globals {
  std::array<double, kGenes> beta{}, w1{}, w2{};
  std::array<bool, kGenes> knocked{};
  std::array<double, kModules> k{};
};

struct Cell {
  double alpha1, alpha2, library;
  std::array<double, kModules> k{};
  // state: z1, z2, A, B, C, D
  std::array<double, 6> y{};
};

// enzyme level of each module: mean over its genes of exp(β + w·φ(z)), knocked-out genes contributing 0
std::array<double, kModules> enzymes(const Globals& g, double z1, double z2) {
  const double p1 = std::log1p(std::max(z1, 0.0)), p2 = std::log1p(std::max(z2, 0.0));
  std::array<double, kModules> e{};
  for (int m = 0; m < kModules; ++m) {
    double s = 0;
    for (int j = 0; j < kGenesPerModule; ++j) {
      const int gene = m * kGenesPerModule + j;
      if (!g.knocked[static_cast<std::size_t>(gene)]) s += std::exp(g.beta[static_cast<std::size_t>(gene)] + g.w1[static_cast<std::size_t>(gene)] * p1 + g.w2[static_cast<std::size_t>(gene)] * p2);
    }
    e[static_cast<std::size_t>(m)] = s / kGenesPerModule;
  }
  return e;
}

// the kinetic factors of each module at metabolite levels (A, B, C, D), without k·E
std::array<double, kModules> saturation(const std::array<double, 6>& y) {
  const double a = std::max(y[2], 0.0), b = std::max(y[3], 0.0), c = std::max(y[4], 0.0), d = std::max(y[5], 0.0);
  return {1.0, a / (kK + a) / (1.0 + (c / kKi) * (c / kKi)), b / (kK + b), b / (kK + b), c / (kK + c), d / (kK + d)};
}

std::array<double, 6> rhs(const Globals& g, const Cell& cell, const std::array<double, 6>& y) {
  std::array<double, 6> dy{};
  dy[0] = cell.alpha1 / (1.0 + y[1] * y[1]) - kGamma * y[0];
  dy[1] = cell.alpha2 / (1.0 + y[0] * y[0]) - kGamma * y[1];
  const auto e = enzymes(g, y[0], y[1]);
  const auto sat = saturation(y);
  std::array<double, kModules> v{};
  for (int m = 0; m < kModules; ++m) v[static_cast<std::size_t>(m)] = cell.k[static_cast<std::size_t>(m)] * e[static_cast<std::size_t>(m)] * sat[static_cast<std::size_t>(m)];
  for (int i = 0; i < kMetabolites; ++i) {
    double s = 0;
    for (int m = 0; m < kModules; ++m) s += kS[i][m] * v[static_cast<std::size_t>(m)];
    dy[static_cast<std::size_t>(2 + i)] = s;
  }
  return dy;
}

// RK4 with step 0.05 day from 0 to `t` (the last step shortened)
void simulate(const Globals& g, Cell& cell, double t) {
  double now = 0;
  while (now < t - 1e-12) {
    const double h = std::min(kStep, t - now);
    auto add = [](const std::array<double, 6>& a, const std::array<double, 6>& b, double s) {
      std::array<double, 6> r{};
      for (std::size_t i = 0; i < 6; ++i) r[i] = a[i] + s * b[i];
      return r;
    };
    const auto k1 = rhs(g, cell, cell.y);
    const auto k2 = rhs(g, cell, add(cell.y, k1, h / 2));
    const auto k3 = rhs(g, cell, add(cell.y, k2, h / 2));
    const auto k4 = rhs(g, cell, add(cell.y, k3, h));
    for (std::size_t i = 0; i < 6; ++i) cell.y[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    now += h;
  }
}

struct Observed {
  std::array<double, kGenes> counts{}, rate{};
  std::array<double, kModules> flux_unscaled{};
};

Observed observe_cell(const Globals& g, std::mt19937_64& rng, double day, double library_scale) {
  std::normal_distribution<double> xi(0.0, 1.0);
  Cell cell;
  cell.alpha1 = 1.5 * std::exp(0.25 * xi(rng));
  cell.alpha2 = 1.5 * std::exp(0.25 * xi(rng));
  cell.y = {0.3 * std::exp(0.3 * xi(rng)), 0.3 * std::exp(0.3 * xi(rng)), 0.5, 0.5, 0.5, 0.5};
  cell.library = library_scale * std::exp(0.3 * xi(rng));
  for (int m = 0; m < kModules; ++m) cell.k[static_cast<std::size_t>(m)] = g.k[static_cast<std::size_t>(m)] * std::exp(0.1 * xi(rng));
  simulate(g, cell, day);
  Observed o;
  const double p1 = std::log1p(std::max(cell.y[0], 0.0)), p2 = std::log1p(std::max(cell.y[1], 0.0));
  for (std::size_t gene = 0; gene < kGenes; ++gene) {
    const double lambda = g.knocked[gene] ? 0.0 : cell.library * std::exp(g.beta[gene] + g.w1[gene] * p1 + g.w2[gene] * p2);
    o.rate[gene] = lambda;
    o.counts[gene] = lambda > 0 ? static_cast<double>(std::poisson_distribution<long>(lambda)(rng)) : 0.0;
  }
  // the kinetic part of the flux at the true metabolite levels; the enzyme part is read from counts later
  const auto sat = saturation(cell.y);
  for (std::size_t m = 0; m < kModules; ++m) o.flux_unscaled[m] = cell.k[m] * sat[m];
  return o;
}

// scFEA-like observed fluxes of one day's cells: k·Ê·saturation, Ê from log2(1 + y/ŝ)
void observed_flux(std::vector<Observed>& cells) {
  double total = 0;
  for (const auto& c : cells)
    for (double y : c.counts) total += y;
  const double mean_total = total / static_cast<double>(cells.size());
  for (auto& c : cells) {
    double cell_total = 0;
    for (double y : c.counts) cell_total += y;
    const double s_hat = mean_total > 0 && cell_total > 0 ? cell_total / mean_total : 1.0;
    for (std::size_t m = 0; m < kModules; ++m) {
      double e = 0;
      for (int j = 0; j < kGenesPerModule; ++j) e += std::log2(1.0 + c.counts[m * kGenesPerModule + static_cast<std::size_t>(j)] / s_hat);
      c.flux_unscaled[m] *= e / kGenesPerModule;
    }
  }
}

}  // namespace

const OptionTable<SyntheticOptions>& SyntheticOptions::table() {
  using O = SyntheticOptions;
  static const OptionTable<O> t = [] {
    OptionTable<O> t;
    t.add("days", &O::days, "Days 0 … days−1").range(2, 1000);
    t.add("interval", &O::interval, "Simulated days between observations (the files stay d0, d1, …)").range(0.001, 100.0);
    t.add("library-scale", &O::library_scale, "Multiplies every cell's library size (deeper sequencing)").range(0.001, 1e6);
    t.add("cells-scale", &O::cells_per_day_scale, "Cells per day = this × the real data's (847 on day 0, …)").range(0.001, 100.0);
    t.add("truth-cells", &O::truth_cells, "Extra cells per day for the true per-day means (truth_expression.csv, truth_flux.csv)").range(0, 1000000);
    OptionTable<O>::Custom knockouts;  // comma-separated gene indices
    knockouts.get = [](const O& o) {
      std::string text;
      for (int g : o.knockout_genes) {
        if (!text.empty()) text += ',';
        text += std::to_string(g);
      }
      return text;
    };
    knockouts.set = [](O& o, const std::string& text) -> std::string {
      o.knockout_genes.clear();
      std::size_t at = 0;
      while (at <= text.size() && !text.empty()) {
        const auto comma = std::min(text.find(',', at), text.size());
        const std::string item = text.substr(at, comma - at);
        char* end = nullptr;
        const long g = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0' || g < 0 || g > 1000000) {
          std::string why = "'";
          why.append(item, 0, 40);
          why += "' is not a gene index (0 = G1)";
          return why;
        }
        o.knockout_genes.push_back(static_cast<int>(g));
        at = comma + 1;
      }
      return {};
    };
    t.add_custom("knockout", knockouts, "Genes knocked out for the whole simulation (0-based indices: 0 = G1)").no_default();
    t.add("seed", &O::seed, "Random seed");
    return t;
  }();
  return t;
}

std::vector<Diagnostic> SyntheticOptions::validate() const {
  Diagnostics d("synthetic options");
  d.append(table().check(*this, "synthetic options"));
  for (int g : knockout_genes)
    if (g < 0 || g >= kGenes) d.error("gene " + std::to_string(g) + " is not in 0…" + std::to_string(kGenes - 1), 0, 0, "knockout");
  return d.items();
}

Result<SyntheticData> make_synthetic(const SyntheticOptions& options) {
  if (auto v = options.validate(); !v.empty()) return Result<SyntheticData>::failure(v);
  // the globals depend on the seed only, not on the knockouts, so that configurations share them
  std::mt19937_64 rng(options.seed);
  Globals g;
  std::normal_distribution<double> beta(-2.5, 0.7), weight(0.0, 0.6);
  for (int i = 0; i < kGenes; ++i) {
    g.beta[static_cast<std::size_t>(i)] = beta(rng);
    g.w1[static_cast<std::size_t>(i)] = weight(rng);
    g.w2[static_cast<std::size_t>(i)] = weight(rng);
  }
  std::uniform_real_distribution<double> k(0.5, 2.0);
  for (auto& km : g.k) km = k(rng);
  for (int gene : options.knockout_genes) g.knocked[static_cast<std::size_t>(gene)] = true;
  std::mt19937_64 cell_rng(options.seed * 7919 + 17 + 1000003 * options.knockout_genes.size());
  for (int gene : options.knockout_genes) cell_rng.discard(static_cast<unsigned long long>(gene) + 1);

  SyntheticData out;
  for (int i = 0; i < kGenes; ++i) out.expression.features.push_back(std::string(1, 'G').append(std::to_string(i + 1)));
  for (int m = 0; m < kModules; ++m) out.flux.features.push_back(std::string("M_").append(std::to_string(m + 1)));
  out.balance.features = {"A", "B", "C", "D"};
  std::vector<std::vector<Observed>> per_day;
  double flux_sum = 0;
  std::size_t n_cells = 0, zeros = 0;
  for (int day = 0; day < options.days; ++day) {
    const int real = kRealCells[static_cast<std::size_t>(std::min(day, 15))];
    const int n = std::max(2, static_cast<int>(std::lround(options.cells_per_day_scale * real)));
    std::vector<Observed> cells;
    for (int c = 0; c < n; ++c) cells.push_back(observe_cell(g, cell_rng, day * options.interval, options.library_scale));
    observed_flux(cells);
    for (const auto& c : cells) {
      for (double f : c.flux_unscaled) flux_sum += f;
      for (double y : c.counts) zeros += y == 0;
    }
    n_cells += cells.size();
    per_day.push_back(std::move(cells));
  }
  // one global rescale: the mean over cells of Σ_m flux is 1
  const double scale = flux_sum > 0 ? static_cast<double>(n_cells) / flux_sum : 1.0;
  out.zero_fraction = static_cast<double>(zeros) / static_cast<double>(n_cells * kGenes);
  for (int day = 0; day < options.days; ++day) {
    const auto& cells = per_day[static_cast<std::size_t>(day)];
    const auto n = static_cast<Eigen::Index>(cells.size());
    Eigen::MatrixXf y(n, kGenes), f(n, kModules), b(n, kMetabolites);
    for (Eigen::Index c = 0; c < n; ++c) {
      const auto& o = cells[static_cast<std::size_t>(c)];
      for (int i = 0; i < kGenes; ++i) y(c, i) = static_cast<float>(o.counts[static_cast<std::size_t>(i)]);
      for (int m = 0; m < kModules; ++m) f(c, m) = static_cast<float>(scale * o.flux_unscaled[static_cast<std::size_t>(m)]);
      for (int i = 0; i < kMetabolites; ++i) {
        double s = 0;
        for (int m = 0; m < kModules; ++m) s += kS[i][m] * scale * o.flux_unscaled[static_cast<std::size_t>(m)];
        b(c, i) = static_cast<float>(s);
      }
    }
    for (TimeSeries* s : {&out.expression, &out.flux, &out.balance}) s->days.push_back(day);
    out.expression.cells.push_back(std::move(y));
    out.flux.cells.push_back(std::move(f));
    out.balance.cells.push_back(std::move(b));
  }
  if (options.truth_cells > 0) {
    std::mt19937_64 truth_rng(options.seed * 31 + 5);
    for (int day = 0; day < options.days; ++day) {
      std::vector<Observed> cells;
      for (int c = 0; c < options.truth_cells; ++c) cells.push_back(observe_cell(g, truth_rng, day * options.interval, options.library_scale));
      observed_flux(cells);
      std::vector<double> expr(kGenes, 0.0), flux(kModules, 0.0);
      for (const auto& c : cells) {
        for (std::size_t i = 0; i < kGenes; ++i) expr[i] += c.rate[i] / options.truth_cells;
        for (std::size_t m = 0; m < kModules; ++m) flux[m] += scale * c.flux_unscaled[m] / options.truth_cells;
      }
      out.true_expression_mean.push_back(expr);
      out.true_flux_mean.push_back(flux);
    }
  }
  for (int m = 0; m < kModules; ++m) {
    out.module_genes_gmt.append("M_").append(std::to_string(m + 1)).append("\tM").append(std::to_string(m + 1));
    for (int j = 0; j < kGenesPerModule; ++j) out.module_genes_gmt.append("\tG").append(std::to_string(m * kGenesPerModule + j + 1));
    out.module_genes_gmt += '\n';
  }
  for (const auto& row : kS) {
    for (int m = 0; m < kModules; ++m) {
      if (m > 0) out.stoichiometry_csv += ',';
      out.stoichiometry_csv += std::to_string(row[m]);
    }
    out.stoichiometry_csv += '\n';
  }
  return Result<SyntheticData>::success(std::move(out));
}

}  // namespace fluxion::dynamics
