// Flux sets for training data: free net fluxes uniform in the polytope of the model's
// bounds and constraints (rejection or ACHR), exchange fluxes drawn within their bounds,
// optionally from a mixture of exchange bound sets (ML-Flux's GlyPPP sheets: 20/20/60 %),
// optionally normalised to a reference flux (ML-Flux divides by glucose uptake).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/sampling/samplers.hpp"

namespace fluxion::sampling {

enum class NetSampling { automatic, rejection, achr };
enum class ExchangeSampling { uniform, log_uniform, log_normal };

struct ExchangeBoundSet {
  std::string name;                          // shown in messages and run_info
  std::vector<LinearConstraint> constraints;  // usually xch(...) <= bound rows
  double share = 1.0;                         // relative weight
};

struct FluxSetOptions {
  NetSampling net = NetSampling::automatic;
  int thinning = 0;  // ACHR
  ExchangeSampling exchange = ExchangeSampling::uniform;
  double exchange_floor = 1e-3;  // log-uniform: lower end where a bound is 0
  double log_mu = 0.0, log_sigma = 1.0;  // log-normal: mean and sd of ln(exchange), truncated to the bounds
  std::vector<ExchangeBoundSet> exchange_sets;  // empty: the polytope's own exchange bounds
  std::optional<Eigen::Index> normalize_to;     // column whose net flux becomes 1
  // Histogram caps (ML-Flux's CCM rule: 20 bins, at most 10,000 sets per bin, for six
  // fluxes): a set is kept only while every capped net flux's bin has room. Bins split
  // each flux's LP range evenly.
  std::vector<Eigen::Index> capped_columns;
  int cap_bins = 20;
  long cap_per_bin = 10000;
  long cap_attempts = 1000000;  // draws in a row into full bins before giving up
  // Total draws (sets before the caps) after which the stream ends; 0 = no limit. ML-Flux
  // drew 1,000,000 CCM sets and kept the 117,077 that fit the caps.
  long max_draws = 0;
  std::uint64_t seed = 1;

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
};

class FluxSetSampler {
 public:
  // Errors: infeasible or unbounded constraints (named), rows coupling net and exchange
  // fluxes, a normalisation column that is not a reaction, shares that are not positive.
  static Result<FluxSetSampler> create(const Model& model, const FluxSpace& space,
                                       const std::vector<LinearConstraint>& constraints, const FluxSetOptions& options);
  // The next flux set; false (with message()) when the sampler cannot produce one, or
  // when its stream ended (stream_ended(): the draw budget is spent or the caps are full).
  bool next(FluxVector& v);
  bool stream_ended() const { return ended_; }
  long draws() const { return draws_; }  // sets drawn so far, before the caps
  const std::string& message() const { return message_; }
  const char* net_method() const { return rejection_ ? "rejection in the LP bounding box" : "artificial-centering hit-and-run"; }
  double acceptance_rate() const { return rejection_ ? rejection_->acceptance_rate() : 1.0; }
  long normalisation_rejections() const { return normalisation_rejections_; }
  long cap_rejections() const { return cap_rejections_; }

 private:
  FluxSpace space_;
  FluxPolytope polytope_;  // all free parameters, for the check after normalisation
  FluxSetOptions options_;
  std::optional<RejectionSampler> rejection_;
  std::optional<AchrSampler> achr_;
  std::optional<Eigen::VectorXd> pending_;  // a net point drawn while choosing the method
  std::vector<FluxPolytope::Box> exchange_boxes_;  // per bound set
  std::vector<double> cumulative_share_;
  std::mt19937_64 rng_;
  std::string message_;
  long normalisation_rejections_ = 0, cap_rejections_ = 0, draws_ = 0;
  bool ended_ = false;
  std::vector<double> cap_lower_, cap_upper_;
  std::vector<std::vector<long>> cap_counts_;  // [capped flux][bin]
  bool draw(FluxVector& v);                     // one set, before the caps
};

}  // namespace fluxion::sampling
