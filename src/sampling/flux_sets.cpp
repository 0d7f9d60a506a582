#include "fluxion/sampling/flux_sets.hpp"

#include <cmath>

namespace fluxion {

Result<FluxSetSampler> FluxSetSampler::create(const Model& model, const FluxSpace& space,
                                              const std::vector<LinearConstraint>& constraints, const FluxSetOptions& options) {
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

}  // namespace fluxion
