// Samplers: every point satisfies every constraint, the moments of uniform distributions
// on a box and a simplex are reproduced, and a seed gives the same points every time.
#include <gtest/gtest.h>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/sampling/flux_sets.hpp"
#include "fluxion/sampling/sampler_settings.hpp"
#include "fluxion/sampling/samplers.hpp"

using namespace fluxion;

namespace {

sampling::FluxPolytope unit_box(int n) {
  return sampling::FluxPolytope::from_rows(Eigen::MatrixXd::Identity(n, n), Eigen::VectorXd::Zero(n), Eigen::VectorXd::Ones(n), {}, {});
}

// x ≥ 0, x1 + … + xn ≤ 1
sampling::FluxPolytope simplex(int n) {
  Eigen::MatrixXd a(n + 1, n);
  a.topRows(n) = Eigen::MatrixXd::Identity(n, n);
  a.row(n).setOnes();
  Eigen::VectorXd lo = Eigen::VectorXd::Zero(n + 1), hi = Eigen::VectorXd::Constant(n + 1, kInfinity);
  lo(n) = -kInfinity;
  hi(n) = 1.0;
  return sampling::FluxPolytope::from_rows(a, lo, hi, {}, {});
}

struct Moments {
  Eigen::VectorXd mean, variance;
};

Moments moments(const std::vector<Eigen::VectorXd>& xs) {
  const Eigen::Index n = xs.front().size();
  Moments m{Eigen::VectorXd::Zero(n), Eigen::VectorXd::Zero(n)};
  for (const auto& x : xs) m.mean += x;
  m.mean /= static_cast<double>(xs.size());
  for (const auto& x : xs) m.variance += (x - m.mean).cwiseAbs2();
  m.variance /= static_cast<double>(xs.size() - 1);
  return m;
}

// Uniform on the unit box: mean 1/2, variance 1/12. Uniform on the 3-simplex: each
// coordinate is Beta(1, 3): mean 1/4, variance 3/80. ACHR's points are correlated; the
// tolerances allow for an effective sample several times smaller than the count.
void expect_moments(const std::vector<Eigen::VectorXd>& xs, double mean, double variance, double mean_tol, double var_rel_tol) {
  const Moments m = moments(xs);
  for (Eigen::Index j = 0; j < m.mean.size(); ++j) {
    EXPECT_NEAR(m.mean(j), mean, mean_tol) << "coordinate " << j;
    EXPECT_NEAR(m.variance(j), variance, var_rel_tol * variance) << "coordinate " << j;
  }
}

std::vector<Eigen::VectorXd> achr_points(const sampling::FluxPolytope& p, int count, std::uint64_t seed) {
  sampling::AchrOptions o;
  o.seed = seed;
  o.thinning = 10;
  auto s = sampling::AchrSampler::create(p, o);
  EXPECT_TRUE(s.ok()) << s.message();
  std::vector<Eigen::VectorXd> out;
  for (int k = 0; k < 200; ++k) s.value().next();  // burn-in
  for (int k = 0; k < count; ++k) {
    out.push_back(s.value().next());
    EXPECT_LE(p.violation(out.back()), 1e-9);
  }
  return out;
}

std::vector<Eigen::VectorXd> rejection_points(const sampling::FluxPolytope& p, int count, std::uint64_t seed) {
  auto s = sampling::RejectionSampler::create(p, seed);
  EXPECT_TRUE(s.ok()) << s.message();
  std::vector<Eigen::VectorXd> out;
  Eigen::VectorXd x;
  for (int k = 0; k < count; ++k) {
    EXPECT_TRUE(s.value().next(x));
    EXPECT_LE(p.violation(x), 1e-9);
    out.push_back(x);
  }
  return out;
}

}  // namespace

TEST(Samplers, RejectionIsUniformOnABoxAndASimplex) {
  expect_moments(rejection_points(unit_box(3), 20000, 1), 0.5, 1.0 / 12, 0.01, 0.05);
  expect_moments(rejection_points(simplex(3), 20000, 2), 0.25, 3.0 / 80, 0.01, 0.05);
}

TEST(Samplers, AchrIsUniformOnABoxAndASimplex) {
  expect_moments(achr_points(unit_box(3), 20000, 3), 0.5, 1.0 / 12, 0.02, 0.1);
  expect_moments(achr_points(simplex(3), 20000, 4), 0.25, 3.0 / 80, 0.02, 0.1);
}

// A flat polytope (an equality on a combination): both samplers stay on it.
TEST(Samplers, AchrStaysOnEqualities) {
  Eigen::MatrixXd a(4, 3);
  a << 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0;
  Eigen::VectorXd lo(4), hi(4);
  lo << 0, 0, 0, 1;
  hi << 1, 1, 1, 1;
  const sampling::FluxPolytope p = sampling::FluxPolytope::from_rows(a, lo, hi, {}, {});
  const auto xs = achr_points(p, 2000, 5);
  for (const auto& x : xs) EXPECT_NEAR(x(0) + x(1), 1.0, 1e-9);
  // rejection samples the plane's own coordinates: x0 uniform on [0, 1], x1 = 1 − x0
  const auto ys = rejection_points(p, 20000, 6);
  for (const auto& y : ys) EXPECT_NEAR(y(0) + y(1), 1.0, 1e-12);
  expect_moments(ys, 0.5, 1.0 / 12, 0.01, 0.05);
}

// The free net fluxes of built-in models with their bounds: all points feasible, and
// the same seed gives the same points.
TEST(Samplers, BuiltinModelsFeasibleAndDeterministic) {
  for (const char* name : {"glycolysis", "glyppp", "ccm"}) {
    SCOPED_TRACE(name);
    auto m = io::load_model(name);
    ASSERT_TRUE(m.ok());
    auto fs = FluxSpace::build(m.value());
    ASSERT_TRUE(fs.ok());
    auto full = sampling::FluxPolytope::build(m.value(), fs.value());
    ASSERT_TRUE(full.ok()) << full.message();
    auto net = full.value().leading(fs.value().n_free_net());
    ASSERT_TRUE(net.ok()) << net.message();
    const auto a = achr_points(net.value(), 300, 7), b = achr_points(net.value(), 300, 7);
    for (std::size_t k = 0; k < a.size(); ++k) ASSERT_EQ(a[k], b[k]);
    for (const auto& x : a) EXPECT_LE(net.value().violation(x), 1e-7);
  }
}

// Flux sets: a mixture of exchange bound sets in its shares, and normalisation to a
// reference flux that keeps every set inside the polytope.
TEST(FluxSets, ExchangeMixtureAndNormalisation) {
  auto m = io::load_model("simple");
  ASSERT_TRUE(m.ok());
  Model model = m.value();
  auto fs = FluxSpace::build(model);
  ASSERT_TRUE(fs.ok());
  const auto& ids = fs.value().column_ids();
  const Eigen::Index v1 = std::find(ids.begin(), ids.end(), "v1") - ids.begin();
  const Eigen::Index v2 = std::find(ids.begin(), ids.end(), "v2") - ids.begin();
  model.reactions[fs.value().column_reaction(v1)].lower_bound = 0.5;  // uptake free in [0.5, 2]
  model.reactions[fs.value().column_reaction(v1)].upper_bound = 2.0;
  sampling::FluxSetOptions o;
  o.seed = 9;
  o.exchange_sets.push_back({"low", {{"low", {{v2, true, 1.0}}, -kInfinity, 0.1}}, 1.0});
  o.exchange_sets.push_back({"high", {{"high", {{v2, true, 1.0}}, 1.0, 2.0}}, 3.0});
  auto s = sampling::FluxSetSampler::create(model, fs.value(), {}, o);
  ASSERT_TRUE(s.ok()) << s.message();
  int high = 0;
  const int n = 4000;
  FluxVector v;
  for (int k = 0; k < n; ++k) {
    ASSERT_TRUE(s.value().next(v)) << s.value().message();
    const double x = v.exchange(v2);
    EXPECT_TRUE((x >= -1e-12 && x <= 0.1 + 1e-12) || (x >= 1.0 - 1e-12 && x <= 2.0 + 1e-12)) << x;
    high += x >= 1.0;
  }
  EXPECT_NEAR(static_cast<double>(high) / n, 0.75, 0.03);  // binomial sd 0.007

  sampling::FluxSetOptions norm;
  norm.seed = 10;
  norm.normalize_to = v1;
  auto t = sampling::FluxSetSampler::create(model, fs.value(), {}, norm);
  ASSERT_TRUE(t.ok()) << t.message();
  auto polytope = sampling::FluxPolytope::build(model, fs.value());
  ASSERT_TRUE(polytope.ok());
  for (int k = 0; k < 500; ++k) {
    ASSERT_TRUE(t.value().next(v)) << t.value().message();
    EXPECT_NEAR(v.net(v1), 1.0, 1e-12);
    EXPECT_TRUE(polytope.value().contains(fs.value().full_to_free(v), 1e-9));
  }
}

namespace {

// The simple model with its uptake v1 free in [0.5, 2] (it is fixed at 1 as shipped).
struct Loose {
  Model model;
  FluxSpace space;
  Eigen::Index v1 = 0, v2 = 0;
};

Loose loose_simple() {
  Loose l;
  l.model = io::load_model("simple").value();
  l.space = FluxSpace::build(l.model).value();
  const auto& ids = l.space.column_ids();
  l.v1 = std::find(ids.begin(), ids.end(), "v1") - ids.begin();
  l.v2 = std::find(ids.begin(), ids.end(), "v2") - ids.begin();
  l.model.reactions[l.space.column_reaction(l.v1)].lower_bound = 0.5;
  l.model.reactions[l.space.column_reaction(l.v1)].upper_bound = 2.0;
  return l;
}

}  // namespace

// Log-normal exchange fluxes: ln(x) has the asked mean and sd (the bounds [0, 100] of
// xch(v2) cut away about 2e-6 of the mass).
TEST(FluxSets, LogNormalExchange) {
  Loose l = loose_simple();
  sampling::FluxSetOptions o;
  o.exchange = sampling::ExchangeSampling::log_normal;
  o.log_mu = -1.0;
  o.log_sigma = 0.5;
  auto s = sampling::FluxSetSampler::create(l.model, l.space, {}, o);
  ASSERT_TRUE(s.ok()) << s.message();
  std::vector<double> logs;
  FluxVector v;
  for (int k = 0; k < 4000; ++k) {
    ASSERT_TRUE(s.value().next(v));
    ASSERT_GT(v.exchange(l.v2), 0.0);
    logs.push_back(std::log(v.exchange(l.v2)));
  }
  double mean = 0, var = 0;
  for (double x : logs) mean += x;
  mean /= static_cast<double>(logs.size());
  for (double x : logs) var += (x - mean) * (x - mean);
  var /= static_cast<double>(logs.size() - 1);
  EXPECT_NEAR(mean, -1.0, 0.03);            // sd of the mean 0.008
  EXPECT_NEAR(std::sqrt(var), 0.5, 0.025);  // sd of the sd ~0.006
}

// Histogram caps: every bin of a capped flux fills to its cap and no further; then the
// sampler says that no more sets fit.
TEST(FluxSets, HistogramCaps) {
  Loose l = loose_simple();
  sampling::FluxSetOptions o;
  o.capped_columns = {l.v1};
  o.cap_bins = 4;
  o.cap_per_bin = 50;
  o.cap_attempts = 20000;
  auto s = sampling::FluxSetSampler::create(l.model, l.space, {}, o);
  ASSERT_TRUE(s.ok()) << s.message();
  std::vector<int> bins(4, 0);
  FluxVector v;
  for (int k = 0; k < 200; ++k) {
    ASSERT_TRUE(s.value().next(v)) << "set " << k << ": " << s.value().message();
    const int b = std::clamp(static_cast<int>((v.net(l.v1) - 0.5) / 1.5 * 4), 0, 3);
    ++bins[static_cast<std::size_t>(b)];
  }
  for (int b : bins) EXPECT_EQ(b, 50);
  EXPECT_FALSE(s.value().next(v));
  EXPECT_NE(s.value().message().find("full histogram bins"), std::string::npos);
}

// The sampler as a user names it (reaction ids, methods by name) resolved against a model.
TEST(FluxSets, SettingsResolveAgainstTheModel) {
  auto model = io::load_model("ccm");
  ASSERT_TRUE(model.ok());
  auto space = FluxSpace::build(model.value());
  ASSERT_TRUE(space.ok());
  sampling::SamplerSettings st;
  st.method = "achr";
  st.exchange = "log-uniform";
  st.capped = {"ldh", "pdh"};
  st.cap_bins = 7;
  st.draws = 10;
  auto r = sampling::resolve_sampler(st, model.value(), "ccm", space.value());
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r.value().options.net, sampling::NetSampling::achr);
  EXPECT_EQ(r.value().options.exchange, sampling::ExchangeSampling::log_uniform);
  ASSERT_EQ(r.value().options.capped_columns.size(), 2U);
  EXPECT_EQ(space.value().column_ids()[static_cast<std::size_t>(r.value().options.capped_columns[1])], "pdh");
  EXPECT_EQ(r.value().options.cap_bins, 7);
  EXPECT_EQ(r.value().options.max_draws, 10);
  st.capped = {"nope"};
  auto bad = sampling::resolve_sampler(st, model.value(), "ccm", space.value());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.diagnostics().front().source, "--cap-fluxes");
  st.capped.clear();
  st.method = "gibbs";  // checked against the declared choices
  auto method = sampling::resolve_sampler(st, model.value(), "ccm", space.value());
  ASSERT_FALSE(method.ok());
  EXPECT_EQ(method.diagnostics().front().context, "method");
}
