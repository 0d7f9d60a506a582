#include "fluxion/learn/imputation.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace fluxion::learn {

std::vector<bool> padding_entries(const sampling::MidLayout& l) {
  std::vector<bool> pad(l.size(), false);
  for (std::size_t f = 0; f < l.fields.size(); ++f)
    for (std::size_t x = 0; x < l.experiments.size(); ++x)
      for (int q = l.fields[f].isotopologues; q < l.width; ++q) pad[l.index(f, x, q)] = true;
  return pad;
}

std::vector<bool> random_mask(const sampling::MidLayout& l, int experiments, double keep, std::mt19937_64& rng) {
  const std::size_t nx = l.experiments.size(), nf = l.fields.size();
  std::vector<bool> known = padding_entries(l);
  std::vector<std::size_t> order(nx);
  std::iota(order.begin(), order.end(), 0);
  for (std::size_t i = nx; i > 1; --i) std::swap(order[i - 1], order[static_cast<std::size_t>((rng() >> 11) % i)]);
  const std::size_t kept = std::clamp<std::size_t>(static_cast<std::size_t>(std::max(experiments, 1)), 1, nx);
  std::vector<std::size_t> fields;
  for (std::size_t f = 0; f < nf; ++f)
    if (static_cast<double>(rng() >> 11) * 0x1.0p-53 < keep) fields.push_back(f);
  if (fields.empty() && nf > 0) fields.push_back(static_cast<std::size_t>((rng() >> 11) % nf));
  for (std::size_t e = 0; e < kept; ++e)
    for (std::size_t f : fields)
      for (int q = 0; q < l.fields[f].isotopologues; ++q) known[l.index(f, order[e], q)] = true;
  return known;
}

double renormalise_imputed(const sampling::MidLayout& l, Eigen::VectorXd& v, const std::vector<bool>& known) {
  double total = 0;
  for (Eigen::Index i = 0; i < v.size(); ++i) total += v(i);
  const double delta_n = total - static_cast<double>(l.fields.size() * l.experiments.size());
  for (std::size_t f = 0; f < l.fields.size(); ++f)
    for (std::size_t x = 0; x < l.experiments.size(); ++x) {
      double measured = 0, imputed = 0;
      bool any = false;
      for (int q = 0; q < l.fields[f].isotopologues; ++q) {
        const auto i = l.index(f, x, q);
        if (known[i]) measured += v(static_cast<Eigen::Index>(i));
        else {
          any = true;
          imputed += v(static_cast<Eigen::Index>(i));
        }
      }
      if (!any) continue;
      const double room = std::max(0.0, 1.0 - measured);
      for (int q = 0; q < l.fields[f].isotopologues; ++q) {
        const auto i = static_cast<Eigen::Index>(l.index(f, x, q));
        if (known[static_cast<std::size_t>(i)]) continue;
        v(i) = imputed > 0 ? v(i) * room / imputed : room / static_cast<double>(l.fields[f].isotopologues);
      }
    }
  return delta_n;
}

KnnImputer::KnnImputer(sampling::MidLayout layout, MidMatrix reference, int k)
    : layout_(std::move(layout)), reference_(std::move(reference)), k_(std::max(1, k)), padding_(padding_entries(layout_)) {
  if (static_cast<std::size_t>(reference_.cols()) != layout_.size())
    throw std::invalid_argument("KnnImputer: reference patterns have " + std::to_string(reference_.cols()) + " entries, the layout " +
                                std::to_string(layout_.size()));
}

Imputation KnnImputer::impute(const Eigen::VectorXd& values, const std::vector<bool>& known) const {
  if (static_cast<std::size_t>(values.size()) != layout_.size() || known.size() != layout_.size())
    throw std::invalid_argument("KnnImputer::impute: the pattern and its mask must have " + std::to_string(layout_.size()) + " entries");
  std::vector<Eigen::Index> measured, missing;
  for (std::size_t i = 0; i < known.size(); ++i) {
    if (padding_[i]) continue;
    (known[i] ? measured : missing).push_back(static_cast<Eigen::Index>(i));
  }
  Imputation out;
  out.values = values;
  for (std::size_t i = 0; i < known.size(); ++i)
    if (padding_[i]) out.values(static_cast<Eigen::Index>(i)) = 0;
  if (missing.empty() || reference_.rows() == 0) return out;
  // the k nearest reference rows over the measured entries
  const auto n = reference_.rows();
  const std::size_t k = std::min<std::size_t>(static_cast<std::size_t>(k_), static_cast<std::size_t>(n));
  std::vector<std::pair<double, long>> best;  // (squared distance, row), ascending, at most k
  for (Eigen::Index r = 0; r < n; ++r) {
    const float* row = reference_.row(r).data();
    double d2 = 0;
    for (Eigen::Index i : measured) {
      const double d = static_cast<double>(row[i]) - values(i);
      d2 += d * d;
    }
    if (best.size() == k && d2 >= best.back().first) continue;
    best.insert(std::upper_bound(best.begin(), best.end(), std::pair{d2, static_cast<long>(r)}), {d2, static_cast<long>(r)});
    if (best.size() > k) best.pop_back();
  }
  std::vector<double> w;
  const bool exact = best.front().first == 0.0;
  for (const auto& [d2, r] : best) {
    out.neighbours.push_back(r);
    w.push_back(exact ? (d2 == 0.0 ? 1.0 : 0.0) : 1.0 / std::sqrt(d2));
  }
  const double wsum = std::accumulate(w.begin(), w.end(), 0.0);
  for (Eigen::Index i : missing) {
    double s = 0;
    for (std::size_t j = 0; j < best.size(); ++j) s += w[j] * static_cast<double>(reference_(best[j].second, i));
    out.values(i) = s / wsum;
  }
  out.delta_n = renormalise_imputed(layout_, out.values, known);
  return out;
}

}  // namespace fluxion::learn
