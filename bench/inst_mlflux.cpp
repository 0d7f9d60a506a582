// Time courses (non-stationary labelling): ML-Flux, least-squares INST-MFA and the hybrid
// (INST-MFA started from ML-Flux's prediction of fluxes and pool sizes) on held-out
// simulated flux sets of a time-course dataset (`fluxion dataset --times`).
//
// For each test row the MIDs at every time are perturbed with Gaussian noise (sd 0.01, the
// measurement sd) and given to the three methods in three designs:
//   all          every tracer experiment at every time
//   one tracer   one random tracer experiment at every time
//   sparse       one random tracer experiment at two random times (the others imputed)
//   two times    every tracer experiment at two random times (the others imputed)
// Per set and method:
//   flux SSR  Σ over net fluxes (predicted − true)², and the share within ±0.05
//   pool err  mean over the drawn pools of |ln(predicted / true)|
//   MID SSR   Σ over measured fractions ((simulated − measured) / 0.01)²
//   seconds   wall time of that method alone (one thread)
//   accepted  the fit passed the χ² test (MFA and hybrid)
// MFA fits every drawn pool within the dataset's range, starting at its geometric middle
// (sampled starts draw around it). The hybrid fits from ML-Flux's fluxes and pools alone
// and, where that fit fails the χ² test, again from it and the sampled starts (its time
// includes both and the prediction).
//
//   usage: inst_mlflux PACKAGE DATASET_DIR [SETS=50] [STARTS=4] [SEED=1] [FIRST=0] > rows.tsv
// A summary (Markdown) goes to stderr.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/learn/imputation.hpp"
#include "fluxion/learn/predictor_package.hpp"
#include "fluxion/mfa/fit.hpp"
#include "mfa_bench_support.hpp"

using namespace fluxion;
using bench::Clock;
using bench::median;
using bench::seconds_since;

namespace {

constexpr double kMidSd = 0.01;


struct Outcome {
  double flux_ssr = NAN, within = NAN, pool_error = NAN, mid_ssr = NAN, seconds = NAN;
  int accepted = -1;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s PACKAGE DATASET_DIR [SETS=50] [STARTS=4] [SEED=1] [FIRST=0]\n", argv[0]);
    return 2;
  }
  const long sets = argc > 3 ? std::atol(argv[3]) : 50;
  const int starts = argc > 4 ? std::atoi(argv[4]) : 4;
  const std::uint64_t seed = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 1;
  const long first = argc > 6 ? std::atol(argv[6]) : 0;
  auto opened = learn::PredictorPackage::open(argv[1]);
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.message().c_str());
    return 2;
  }
  const learn::PredictorPackage& package = opened.value();
  const sampling::MidLayout& layout = package.layout();
  const sampling::TimeCourse& tc = package.provenance().time_course;
  if (!tc.active()) {
    std::fprintf(stderr, "%s is not a time-course predictor\n", argv[1]);
    return 2;
  }
  const auto data = bench::read_dataset_arg(argv[2]);
  if (!data) return 2;
  const sampling::DatasetContents& d = *data;
  const Model& model = package.model();
  const FluxSpace& space = package.space();
  const learn::FluxExpansion& expansion = package.expansion();
  const auto tracers = io::read_tracer_table(package.provenance().experiments_table, "package").value();
  auto simulator = package.simulator().value();
  const std::size_t n_times = layout.times.size(), n_tracers = layout.n_tracer_experiments();
  // the fit's polytope: the model's bounds, exchange fluxes up to 1000
  const sampling::FluxPolytope polytope = bench::fit_polytope(model, space);
  // every pool fitted in the dataset's range (fixed ones fixed)
  std::vector<mfa::FitPool> pools;
  for (const auto& p : tc.pools) {
    mfa::FitPool f;
    f.metabolite = p.metabolite;
    f.fitted = p.drawn();
    f.size = p.drawn() ? std::sqrt(p.lower * p.upper) : p.lower;
    f.lower = p.lower;
    f.upper = p.upper;
    pools.push_back(f);
  }
  std::vector<std::size_t> net_columns;
  for (std::size_t j = 0; j < expansion.columns().size(); ++j)
    if (expansion.columns()[j].rfind("net:", 0) == 0) net_columns.push_back(j);
  const Eigen::Index n_pools = expansion.n_pools(), n_full = static_cast<Eigen::Index>(expansion.columns().size());
  std::map<std::string, std::size_t> data_column;
  for (std::size_t j = 0; j < d.flux_columns.size(); ++j) data_column[d.flux_columns[j]] = j;
  const std::vector<bool> pad = learn::padding_entries(layout);

  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::printf("design\tset\tmethod\tflux_ssr\twithin_0.05\tpool_log_error\tmid_ssr\tseconds\tmeasured_fractions\taccepted\n");
  struct Stats {
    std::vector<double> flux, within, pool, mid, seconds, accepted;
  };
  std::map<std::string, std::map<std::string, Stats>> stats;
  std::map<std::string, long> hybrid_fallbacks, counted, hybrid_beats_mfa, mfa_beats_hybrid;
  const long n_test = static_cast<long>(d.test.size());
  for (long s = first; s < std::min(first + sets, n_test); ++s) {
    const std::uint64_t row = d.test[static_cast<std::size_t>(s)];
    Eigen::VectorXd truth(n_full);
    for (Eigen::Index j = 0; j < n_full; ++j)
      truth(j) = d.fluxes(static_cast<Eigen::Index>(row), static_cast<Eigen::Index>(data_column.at(expansion.columns()[static_cast<std::size_t>(j)])));
    const Eigen::VectorXd clean = d.mid_rows({row}).row(0).transpose();
    Eigen::VectorXd noisy = clean;
    for (Eigen::Index i = 0; i < noisy.size(); ++i)
      if (!pad[static_cast<std::size_t>(i)]) noisy(i) = std::max(0.0, clean(i) + kMidSd * noise(rng));
    for (const std::string design : {"all", "one tracer", "sparse", "two times"}) {
      // which blocks (tracer x at time k: x·T + k) are measured
      std::vector<bool> block(layout.experiments.size(), design == "all");
      if (design == "two times") {
        std::vector<std::size_t> times(n_times);
        for (std::size_t k = 0; k < n_times; ++k) times[k] = k;
        std::shuffle(times.begin(), times.end(), rng);
        for (std::size_t x = 0; x < n_tracers; ++x)
          for (std::size_t k = 0; k < std::min<std::size_t>(2, n_times); ++k) block[x * n_times + times[k]] = true;
      } else if (design != "all") {
        const std::size_t x = std::uniform_int_distribution<std::size_t>(0, n_tracers - 1)(rng);
        std::vector<std::size_t> times(n_times);
        for (std::size_t k = 0; k < n_times; ++k) times[k] = k;
        if (design == "sparse") std::shuffle(times.begin(), times.end(), rng);
        const std::size_t keep = design == "sparse" ? std::min<std::size_t>(2, n_times) : n_times;
        for (std::size_t k = 0; k < keep; ++k) block[x * n_times + times[k]] = true;
      }
      learn::Observation obs;
      obs.values = Eigen::VectorXd::Zero(noisy.size());
      obs.sd = Eigen::VectorXd::Constant(noisy.size(), kMidSd);
      obs.known.assign(pad.size(), false);
      isotope::MidTable table;
      long fractions = 0, unmeasured = 0, total = 0;
      for (std::size_t f = 0; f < layout.fields.size(); ++f)
        for (std::size_t b = 0; b < layout.experiments.size(); ++b) {
          const int n = layout.fields[f].isotopologues;
          for (int i = 0; i < layout.width; ++i) {
            const auto at = layout.index(f, b, i);
            if (i >= n) {
              obs.known[at] = true;
              continue;
            }
            ++total;
            if (!block[b]) {
              ++unmeasured;
              continue;
            }
            obs.known[at] = true;
            obs.values(static_cast<Eigen::Index>(at)) = noisy(static_cast<Eigen::Index>(at));
          }
          if (!block[b]) continue;
          isotope::MeasuredMid m;
          m.experiment = tracers.experiments[b / n_times].id;
          m.time = layout.times[b % n_times];
          m.fragment = layout.fields[f].metabolite;
          for (int i = 0; i < n; ++i) {
            m.fraction.push_back(noisy(static_cast<Eigen::Index>(layout.index(f, b, i))));
            m.sd.push_back(kMidSd);
          }
          fractions += n;
          table.mids.push_back(std::move(m));
        }
      obs.masked = static_cast<double>(unmeasured) / static_cast<double>(total);
      auto mid_ssr_of = [&](const Eigen::VectorXd& full) {
        auto sim = simulator.simulate(expansion.flux_vector(full), expansion.pool_sizes(full));
        if (!sim) return std::nan("");
        double ssr = 0;
        for (std::size_t b = 0; b < layout.experiments.size(); ++b) {
          if (!block[b]) continue;
          for (std::size_t f = 0; f < layout.fields.size(); ++f)
            for (int i = 0; i < layout.fields[f].isotopologues; ++i) {
              const auto at = static_cast<Eigen::Index>(layout.index(f, b, i));
              ssr += std::pow(((*sim)(at) - noisy(at)) / kMidSd, 2);
            }
        }
        return ssr;
      };
      auto score = [&](const Eigen::VectorXd& full, Outcome& o) {
        double ssr = 0;
        long within = 0;
        for (auto j : net_columns) {
          const double e = full(static_cast<Eigen::Index>(j)) - truth(static_cast<Eigen::Index>(j));
          ssr += e * e;
          if (std::fabs(e) <= 0.05) ++within;
        }
        double pool = 0;
        for (Eigen::Index j = n_full - n_pools; j < n_full; ++j) pool += std::fabs(std::log(full(j) / truth(j))) / static_cast<double>(n_pools);
        o.flux_ssr = ssr;
        o.within = static_cast<double>(within) / static_cast<double>(net_columns.size());
        o.pool_error = pool;
        o.mid_ssr = mid_ssr_of(full);
      };
      // a fit's fluxes and pools as a full row
      auto full_of = [&](const mfa::FitResult& fit) {
        Eigen::VectorXd full(n_full);
        const auto& ids = space.column_ids();
        for (Eigen::Index j = 0; j < n_full - n_pools; ++j) {
          const std::string& name = expansion.columns()[static_cast<std::size_t>(j)];
          const auto c = std::find(ids.begin(), ids.end(), name.substr(4)) - ids.begin();
          full(j) = name.rfind("net:", 0) == 0 ? fit.fluxes.net(c) : fit.fluxes.exchange(c);
        }
        for (Eigen::Index j = n_full - n_pools; j < n_full; ++j) {
          const std::string id = expansion.columns()[static_cast<std::size_t>(j)].substr(5);
          for (const auto& p : fit.pools)
            if (p.metabolite == id) full(j) = p.size;
        }
        return full;
      };
      // ML-Flux
      learn::PredictOptions po;
      po.imputer = design == "all" ? "none" : "auto";
      auto t0 = Clock::now();
      auto pred = package.predict({obs}, po);
      Outcome ml;
      ml.seconds = seconds_since(t0);
      if (!pred) {
        std::fprintf(stderr, "set %ld: prediction failed: %s\n", s, pred.message().c_str());
        continue;
      }
      const Eigen::VectorXd ml_full = pred.value().mean;
      score(ml_full, ml);
      mfa::FitOptions fo;
      fo.starts = starts;
      fo.threads = 1;
      fo.seed = seed * 1000003 + static_cast<std::uint64_t>(s);
      auto problem = mfa::FitProblem::create(model, space, polytope, tracers.experiments, table, {}, fo, pools);
      if (!problem) {
        std::fprintf(stderr, "set %ld: %s\n", s, problem.message().c_str());
        continue;
      }
      Outcome mfa, hybrid;
      t0 = Clock::now();
      auto fit = problem.value().fit(fo);
      mfa.seconds = seconds_since(t0);
      if (fit) {
        mfa.accepted = fit.value().accepted();
        score(full_of(fit.value()), mfa);
      }
      // the hybrid: the predicted free fluxes, then the predicted pools (both in model order)
      Eigen::VectorXd start(space.n_free() + n_pools);
      start.head(space.n_free()) = space.full_to_free(expansion.flux_vector(ml_full));
      start.tail(n_pools) = expansion.pool_sizes(ml_full);
      mfa::FitOptions ho = fo;
      ho.starts = 0;
      t0 = Clock::now();
      auto hfit = problem.value().fit(ho, {start});
      if (!hfit || !hfit.value().accepted()) {
        auto again = problem.value().fit(fo, {start});
        if (again && (!hfit || again.value().ssr < hfit.value().ssr)) hfit = std::move(again);
        ++hybrid_fallbacks[design];
      }
      hybrid.seconds = seconds_since(t0) + ml.seconds;
      if (hfit) {
        hybrid.accepted = hfit.value().accepted();
        score(full_of(hfit.value()), hybrid);
      }
      for (const auto& [name, o] : {std::pair<std::string, Outcome>{"mlflux", ml}, {"mfa", mfa}, {"hybrid", hybrid}}) {
        std::printf("%s\t%ld\t%s\t%.6g\t%.4f\t%.4g\t%.6g\t%.4g\t%ld\t%s\n", design.c_str(), s, name.c_str(), o.flux_ssr, o.within, o.pool_error, o.mid_ssr,
                    o.seconds, fractions, o.accepted < 0 ? "NA" : o.accepted ? "yes" : "no");
        auto& st = stats[design][name];
        if (std::isfinite(o.flux_ssr)) {
          st.flux.push_back(o.flux_ssr);
          st.within.push_back(o.within);
          st.pool.push_back(o.pool_error);
          st.mid.push_back(o.mid_ssr);
          st.seconds.push_back(o.seconds);
          if (o.accepted >= 0) st.accepted.push_back(o.accepted);
        }
      }
      ++counted[design];
      if (hybrid.flux_ssr < mfa.flux_ssr - 1e-9) ++hybrid_beats_mfa[design];
      if (mfa.flux_ssr < hybrid.flux_ssr - 1e-9) ++mfa_beats_hybrid[design];
      std::fflush(stdout);
    }
    std::fprintf(stderr, "\rset %ld of %ld..%ld", s + 1, first + 1, std::min(first + sets, n_test));
  }
  std::fprintf(stderr,
               "\n\n| design | method | sets | median flux SSR | median share within ±0.05 | median pool |ln error| | median MID SSR | accepted | median seconds |\n"
               "|---|---|---|---|---|---|---|---|---|\n");
  for (const char* design : {"all", "one tracer", "sparse", "two times"}) {
    auto it = stats.find(design);
    if (it == stats.end()) continue;
    for (const char* m : {"mlflux", "mfa", "hybrid"}) {
      auto jt = it->second.find(m);
      if (jt == it->second.end()) continue;
      const Stats& st = jt->second;
      double acc = 0;
      for (double a : st.accepted) acc += a;
      const std::string accepted = st.accepted.empty() ? "–" : std::to_string(static_cast<int>(acc)) + " / " + std::to_string(st.accepted.size());
      std::fprintf(stderr, "| %s | %s | %zu | %.4g | %.3f | %.3f | %.4g | %s | %.3g |\n", design, m, st.flux.size(), median(st.flux), median(st.within),
                   median(st.pool), median(st.mid), accepted.c_str(), median(st.seconds));
    }
  }
  std::fprintf(stderr, "\n");
  for (const auto& [design, n] : counted)
    std::fprintf(stderr, "%s: the hybrid's flux SSR below MFA's in %ld of %ld sets, above in %ld; the hybrid fell back to multistart in %ld\n", design.c_str(),
                 hybrid_beats_mfa[design], n, mfa_beats_hybrid[design], hybrid_fallbacks[design]);
  return 0;
}
