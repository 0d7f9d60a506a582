#include "fluxion/scflux/groups.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <unordered_map>

#include "fluxion/io/cell_matrix.hpp"

namespace fluxion::scflux {

Result<std::vector<std::string>> load_cell_groups(const std::string& path, const std::vector<std::string>& cells) {
  using R = Result<std::vector<std::string>>;
  auto table = io::load_cell_labels(path);
  if (!table) return R::failure(table.diagnostics());
  Diagnostics d(path);
  d.append(table.diagnostics());
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t c = 0; c < cells.size(); ++c) index.emplace(cells[c], c);
  std::vector<std::string> labels(cells.size());
  std::size_t unknown = 0, labelled = 0;
  std::string first_unknown;
  for (const auto& [cell, group] : table.value()) {
    auto it = index.find(cell);
    if (it == index.end()) {
      if (!unknown++) first_unknown = cell;
      continue;
    }
    labels[it->second] = group;
    ++labelled;
  }
  if (unknown) d.warning(std::to_string(unknown) + " labelled cells are not in the expression data (the first: '" + first_unknown + "')");
  if (labelled < cells.size()) d.warning(std::to_string(cells.size() - labelled) + " cells have no label and take no part in the group tests");
  if (labelled == 0) d.error("no cell of the expression data has a label here (cell names must match the expression's exactly)");
  if (d.has_errors()) return R::failure(d);
  return R::success(std::move(labels), d.items());
}

namespace {

// average ranks (1-based) of v; `ties` gets Σ (t³ − t) over tie groups
std::vector<double> ranks(const std::vector<double>& v, double& ties) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  ties = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double avg = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (std::size_t k = i; k <= j; ++k) r[order[k]] = avg;
    const double t = static_cast<double>(j - i + 1);
    ties += t * t * t - t;
    i = j + 1;
  }
  return r;
}

double two_sided(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

double median_of(std::vector<double> v) {
  if (v.empty()) return 0.0;
  const std::size_t m = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(m), v.end());
  if (v.size() % 2) return v[m];
  const double hi = v[m];
  return (*std::max_element(v.begin(), v.begin() + static_cast<long>(m)) + hi) / 2.0;
}

}  // namespace

double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b, double* u_out) {
  const double n1 = static_cast<double>(a.size()), n2 = static_cast<double>(b.size());
  if (a.empty() || b.empty()) return 1.0;
  std::vector<double> all(a);
  all.insert(all.end(), b.begin(), b.end());
  double ties = 0;
  const auto r = ranks(all, ties);
  double r1 = 0;
  for (std::size_t i = 0; i < a.size(); ++i) r1 += r[i];
  const double u = r1 - n1 * (n1 + 1) / 2.0;
  if (u_out) *u_out = u;
  const double n = n1 + n2;
  const double var = n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1)));
  if (!(var > 0)) return 1.0;
  const double d = u - n1 * n2 / 2.0;
  const double z = (d - (d > 0 ? 0.5 : d < 0 ? -0.5 : 0.0)) / std::sqrt(var);
  return std::min(1.0, two_sided(z));
}

double signed_rank_p(const std::vector<double>& x, double* w_out) {
  std::vector<double> nz, mag;
  for (double v : x)
    if (v != 0.0) nz.push_back(v), mag.push_back(std::fabs(v));
  if (w_out) *w_out = 0;
  if (nz.empty()) return 1.0;
  double ties = 0;
  const auto r = ranks(mag, ties);
  double w = 0;
  for (std::size_t i = 0; i < nz.size(); ++i)
    if (nz[i] > 0) w += r[i];
  if (w_out) *w_out = w;
  const double n = static_cast<double>(nz.size());
  const double var = n * (n + 1) * (2 * n + 1) / 24.0 - ties / 48.0;
  if (!(var > 0)) return 1.0;
  const double d = w - n * (n + 1) / 4.0;
  const double z = (d - (d > 0 ? 0.5 : d < 0 ? -0.5 : 0.0)) / std::sqrt(var);
  return std::min(1.0, two_sided(z));
}

std::vector<double> benjamini_hochberg(const std::vector<double>& p) {
  const std::size_t m = p.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] > p[b]; });
  std::vector<double> q(m);
  double running = 1.0;
  for (std::size_t k = 0; k < m; ++k) {
    const std::size_t i = order[k];
    const double rank = static_cast<double>(m - k);
    running = std::min(running, p[i] * static_cast<double>(m) / rank);
    q[i] = std::min(1.0, running);
  }
  return q;
}

Result<GroupComparison> compare_groups(const Eigen::MatrixXf& flux, const Eigen::MatrixXf& balance, const std::vector<std::string>& labels,
                                       std::size_t min_cells, double alpha) {
  Diagnostics d("groups");
  if (labels.size() != static_cast<std::size_t>(flux.rows()) || balance.rows() != flux.rows()) {
    d.error("one label per cell is needed");
    return Result<GroupComparison>::failure(d);
  }
  GroupComparison out;
  std::map<std::string, std::size_t> index;
  std::vector<std::vector<Eigen::Index>> members;
  for (std::size_t c = 0; c < labels.size(); ++c) {
    if (labels[c].empty()) continue;
    auto [it, fresh] = index.emplace(labels[c], out.groups.size());
    if (fresh) {
      out.groups.push_back(labels[c]);
      members.emplace_back();
    }
    members[it->second].push_back(static_cast<Eigen::Index>(c));
  }
  std::vector<std::size_t> kept;
  for (std::size_t g = 0; g < out.groups.size(); ++g) {
    if (members[g].size() < min_cells)
      d.warning("group '" + out.groups[g] + "' has " + std::to_string(members[g].size()) + " cells (fewer than " + std::to_string(min_cells) + "): left out");
    else
      kept.push_back(g);
  }
  if (kept.size() < 2) {
    d.error("groups need at least two labels with " + std::to_string(min_cells) + " or more cells each");
    return Result<GroupComparison>::failure(d);
  }
  std::vector<char> labelled(labels.size(), 0);
  for (std::size_t g : kept)
    for (auto c : members[g]) labelled[static_cast<std::size_t>(c)] = 1;
  std::vector<std::string> groups;
  std::vector<std::size_t> sizes;
  for (std::size_t g : kept) groups.push_back(out.groups[g]), sizes.push_back(members[g].size());
  std::vector<double> pm, pb;
  for (std::size_t gi = 0; gi < kept.size(); ++gi) {
    const auto& in = members[kept[gi]];
    std::vector<char> is_in(labels.size(), 0);
    for (auto c : in) is_in[static_cast<std::size_t>(c)] = 1;
    for (Eigen::Index m = 0; m < flux.cols(); ++m) {
      std::vector<double> a, b;
      for (std::size_t c = 0; c < labels.size(); ++c) {
        if (!labelled[c]) continue;
        (is_in[c] ? a : b).push_back(flux(static_cast<Eigen::Index>(c), m));
      }
      ModuleDifference r;
      r.group = groups[gi];
      r.module = static_cast<std::size_t>(m);
      r.n_in = a.size();
      r.n_out = b.size();
      r.mean_in = std::accumulate(a.begin(), a.end(), 0.0) / static_cast<double>(a.size());
      r.mean_out = b.empty() ? 0.0 : std::accumulate(b.begin(), b.end(), 0.0) / static_cast<double>(b.size());
      double u = 0;
      r.p = mann_whitney_p(a, b, &u);
      r.effect = b.empty() ? 0.0 : 2.0 * u / (static_cast<double>(a.size()) * static_cast<double>(b.size())) - 1.0;
      pm.push_back(r.p);
      out.modules.push_back(r);
    }
    for (Eigen::Index k = 0; k < balance.cols(); ++k) {
      std::vector<double> x;
      for (auto c : in) x.push_back(balance(c, k));
      BalanceCall r;
      r.group = groups[gi];
      r.compound = static_cast<std::size_t>(k);
      r.n = x.size();
      r.mean = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
      r.median = median_of(x);
      r.positive = static_cast<double>(std::count_if(x.begin(), x.end(), [](double v) { return v > 0; })) / static_cast<double>(x.size());
      r.p = signed_rank_p(x);
      pb.push_back(r.p);
      out.balances.push_back(r);
    }
  }
  const auto qm = benjamini_hochberg(pm), qb = benjamini_hochberg(pb);
  for (std::size_t i = 0; i < out.modules.size(); ++i) out.modules[i].q = qm[i];
  for (std::size_t i = 0; i < out.balances.size(); ++i) {
    auto& r = out.balances[i];
    r.q = qb[i];
    r.call = r.q < alpha && r.median > 0 ? "accumulated" : r.q < alpha && r.median < 0 ? "depleted" : "neither";
  }
  out.groups = groups;
  out.group_sizes = sizes;
  return Result<GroupComparison>::success(std::move(out), d.items());
}

}  // namespace fluxion::scflux
