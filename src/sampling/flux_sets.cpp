#include "fluxion/sampling/flux_sets.hpp"

#include <algorithm>
#include <cmath>

namespace fluxion::sampling {

std::vector<Diagnostic> FluxSetOptions::validate() const {
  Diagnostics d("flux sampling options");
  if (thinning < 0) d.error("must be 0 (the dimension) or more", 0, 0, "thinning");
  if (!(exchange_floor > 0 && exchange_floor <= 1)) d.error("must be in (0, 1]", 0, 0, "exchange_floor");
  if (!std::isfinite(log_mu)) d.error("must be finite", 0, 0, "log_mu");
  if (!(log_sigma > 0) || !std::isfinite(log_sigma)) d.error("must be a finite number > 0", 0, 0, "log_sigma");
  if (cap_bins < 1) d.error("must be at least 1", 0, 0, "cap_bins");
  if (cap_per_bin < 1) d.error("must be at least 1", 0, 0, "cap_per_bin");
  if (cap_attempts < 1) d.error("must be at least 1", 0, 0, "cap_attempts");
  if (max_draws < 0) d.error("must be 0 (no limit) or more", 0, 0, "max_draws");
  return d.items();
}

Result<FluxSetSampler> FluxSetSampler::create(const Model& model, const FluxSpace& space,
                                              const std::vector<LinearConstraint>& constraints, const FluxSetOptions& options) {
  if (auto problems = options.validate(); !problems.empty()) return Result<FluxSetSampler>::failure(problems);
  Diagnostics d("flux sampling");
  FluxSetSampler s;
  s.space_ = space;
  s.options_ = options;
  s.rng_.seed(options.seed ^ 0x9e3779b97f4a7c15ULL);
  auto polytope = FluxPolytope::build(model, space, constraints);
  if (!polytope) return Result<FluxSetSampler>::failure(polytope.diagnostics());
  s.polytope_ = polytope.value();
  const Eigen::Index nf = space.n_free_net();
  auto net = s.polytope_.leading(nf);
  if (!net) return Result<FluxSetSampler>::failure(net.diagnostics());
  if (options.normalize_to && (*options.normalize_to < 0 || *options.normalize_to >= space.n_reactions())) {
    d.error("the reference flux for normalisation is not a reaction of the model");
    return Result<FluxSetSampler>::failure(d);
  }
  // exchange ranges: one box per bound set (the polytope's own bounds when there is none)
  std::vector<ExchangeBoundSet> sets = options.exchange_sets;
  if (sets.empty()) sets.push_back({"model bounds", {}, 1.0});
  double total = 0.0;
  for (const auto& set : sets) {
    if (!(set.share > 0) || !std::isfinite(set.share)) {
      d.error("share " + std::to_string(set.share) + " must be a positive number", 0, 0, "exchange bound set '" + set.name + "'");
      continue;
    }
    std::vector<LinearConstraint> all = constraints;
    all.insert(all.end(), set.constraints.begin(), set.constraints.end());
    auto p = FluxPolytope::build(model, space, all);
    if (!p) {
      d.append(p.diagnostics());
      continue;
    }
    auto box = p.value().bounding_box();
    if (!box) {
      for (auto item : box.diagnostics()) {
        item.context = "exchange bound set '" + set.name + "'";
        d.add(item);
      }
      continue;
    }
    s.exchange_boxes_.push_back(box.value());
    total += set.share;
    s.cumulative_share_.push_back(total);
  }
  if (!(options.log_sigma > 0) || !std::isfinite(options.log_mu)) d.error("log-normal exchange needs a finite mean and a positive sd");
  if (!options.capped_columns.empty() && (options.cap_bins < 1 || options.cap_per_bin < 1))
    d.error("histogram caps need at least one bin and at least one set per bin");
  for (Eigen::Index c : options.capped_columns) {
    if (c < 0 || c >= space.n_reactions()) {
      d.error("a capped flux is not a reaction of the model");
      continue;
    }
    Eigen::VectorXd row = Eigen::VectorXd::Zero(space.n_free());
    row.head(nf) = space.net_kernel().row(c).transpose();
    const LpSolution lo = s.polytope_.optimize(row, false), hi = s.polytope_.optimize(row, true);
    if (lo.status != LpStatus::optimal || hi.status != LpStatus::optimal) {
      d.error("no finite range for capped flux '" + space.column_ids()[static_cast<std::size_t>(c)] + "'");
      continue;
    }
    s.cap_lower_.push_back(lo.objective);
    s.cap_upper_.push_back(hi.objective);
    s.cap_counts_.emplace_back(static_cast<std::size_t>(options.cap_bins), 0);
  }
  if (d.has_errors()) return Result<FluxSetSampler>::failure(d);
  for (double& c : s.cumulative_share_) c /= total;

  if (options.net != NetSampling::achr) {
    auto r = RejectionSampler::create(net.value(), options.seed);
    if (!r) return Result<FluxSetSampler>::failure(r.diagnostics());
    s.rejection_ = std::move(r.value());
    if (options.net == NetSampling::automatic) {
      Eigen::VectorXd first;
      if (s.rejection_->next(first, 200000)) {
        s.pending_ = first;
      } else {
        d.warning("rejection in the LP box accepted none of 200,000 draws (a thin polytope); sampling with ACHR");
        s.rejection_.reset();
      }
    }
  }
  if (!s.rejection_) {
    AchrOptions ao;
    ao.seed = options.seed;
    ao.thinning = options.thinning;
    auto a = AchrSampler::create(net.value(), ao);
    if (!a) return Result<FluxSetSampler>::failure(a.diagnostics());
    s.achr_ = std::move(a.value());
    for (Eigen::Index k = 0; k < 10 * std::max<Eigen::Index>(1, nf); ++k) s.achr_->next();  // burn-in
  }
  return Result<FluxSetSampler>::success(std::move(s), d.items());
}

bool FluxSetSampler::next(FluxVector& v) {
  const auto budget_left = [this] {
    if (options_.max_draws <= 0 || draws_ < options_.max_draws) return true;
    ended_ = true;
    message_ = "the draw budget of " + std::to_string(options_.max_draws) + " flux sets is spent";
    return false;
  };
  if (ended_) return false;
  if (options_.capped_columns.empty()) {
    if (!budget_left()) return false;
    ++draws_;
    return draw(v);
  }
  for (long attempt = 0; attempt < options_.cap_attempts; ++attempt) {
    if (!budget_left()) return false;
    ++draws_;
    if (!draw(v)) return false;
    std::vector<std::size_t> bins;
    bool room = true;
    for (std::size_t k = 0; k < options_.capped_columns.size() && room; ++k) {
      const double x = v.net(options_.capped_columns[k]), lo = cap_lower_[k], hi = cap_upper_[k];
      const auto nb = static_cast<long>(options_.cap_bins);
      long b = hi > lo ? static_cast<long>(std::floor((x - lo) / (hi - lo) * static_cast<double>(nb))) : 0;
      b = std::clamp(b, 0L, nb - 1);
      bins.push_back(static_cast<std::size_t>(b));
      room = cap_counts_[k][static_cast<std::size_t>(b)] < options_.cap_per_bin;
    }
    if (room) {
      for (std::size_t k = 0; k < bins.size(); ++k) ++cap_counts_[k][bins[k]];
      return true;
    }
    ++cap_rejections_;
  }
  message_ = std::to_string(options_.cap_attempts) + " flux sets in a row fell into full histogram bins: the caps allow no more sets";
  ended_ = true;
  return false;
}

bool FluxSetSampler::draw(FluxVector& v) {
  const Eigen::Index nf = space_.n_free_net(), n = space_.n_free();
  Eigen::VectorXd free(n), x;
  for (int attempt = 0; attempt < 100000; ++attempt) {
    if (pending_) {
      x = *pending_;
      pending_.reset();
    } else if (rejection_) {
      if (!rejection_->next(x)) {
        message_ = "no point of the LP box in a million draws fell inside the polytope (it fills too little of its box): use ACHR";
        return false;
      }
    } else {
      x = achr_->next();
    }
    free.head(nf) = x;
    // the bound set of this flux set, then each exchange flux within its range
    const double pick = uniform01(rng_);
    std::size_t set = 0;
    while (set + 1 < cumulative_share_.size() && pick >= cumulative_share_[set]) ++set;
    const FluxPolytope::Box& box = exchange_boxes_[set];
    for (Eigen::Index j = nf; j < n; ++j) {
      const double lo = box.lower(j), hi = box.upper(j), u = uniform01(rng_);
      if (options_.exchange == ExchangeSampling::uniform || hi <= lo) {
        free(j) = lo + (hi - lo) * u;
      } else if (options_.exchange == ExchangeSampling::log_normal) {
        // truncated to [lo, hi] by inverting the normal CDF between the bounds' quantiles
        const auto cdf = [&](double x) {
          return x <= 0 ? 0.0 : 0.5 * std::erfc(-(std::log(x) - options_.log_mu) / (options_.log_sigma * std::sqrt(2.0)));
        };
        const double pa = cdf(lo), pb = cdf(hi);
        if (!(pb > pa)) {  // the bounds hold (numerically) no probability: their nearer end
          free(j) = std::fabs(std::log(std::max(lo, 1e-300)) - options_.log_mu) < std::fabs(std::log(hi) - options_.log_mu) ? lo : hi;
        } else {
          double a = std::max(lo, 1e-300), b = hi;  // bisection on the CDF: robust and exact enough
          const double target = pa + (pb - pa) * u;
          if (!std::isfinite(b)) b = std::exp(options_.log_mu + 40 * options_.log_sigma);
          for (int it = 0; it < 200 && b - a > 1e-15 * b; ++it) {
            const double mid = std::sqrt(a * b) > a && std::sqrt(a * b) < b ? std::sqrt(a * b) : 0.5 * (a + b);
            (cdf(mid) < target ? a : b) = mid;
          }
          free(j) = 0.5 * (a + b);
        }
      } else {
        const double a = std::log(std::max(lo, std::min(options_.exchange_floor, hi))), b = std::log(hi);
        free(j) = std::exp(a + (b - a) * u);
      }
    }
    v = space_.free_to_full(free);
    if (!options_.normalize_to) return true;
    const double ref = v.net(*options_.normalize_to);
    if (ref > 0) {
      v.net /= ref;
      v.exchange /= ref;
      if (polytope_.contains(space_.full_to_free(v), 1e-9)) return true;
    }
    ++normalisation_rejections_;  // as ML-Flux: normalised sets that leave the polytope are drawn again
  }
  message_ = "100,000 flux sets in a row left the polytope after normalisation to the reference flux";
  return false;
}

}  // namespace fluxion::sampling
