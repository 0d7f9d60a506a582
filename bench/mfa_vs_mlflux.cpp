// Head-to-head of ML-Flux, least-squares MFA and the hybrid (MFA started from ML-Flux's
// prediction) on held-out simulated flux sets (the ML-Flux paper's Fig. 6a-d).
//
// For each test row of a dataset (flux sets the package never trained on) the MIDs are
// perturbed with Gaussian noise (sd 0.01, the measurement sd; FLUXION_MID_SD changes both,
// FLUXION_MID_NOISE the noise alone) and given to the three
// methods, with complete patterns (every experiment) or partial ones (one random tracer
// experiment, or 1 to FLUXION_PARTIAL_EXPERIMENTS, and 10 to 30 random metabolites), with or without the transport fluxes
// measured (truth + noise, sd 5 % of the flux, at least 0.01). Per set and method:
//   flux SSR  Σ over net fluxes (predicted − true)²; also over the net fluxes of size
//             ≤ 10 only (CCM's CO2 uptake/release pair reaches hundreds and dominates
//             the full sum), and the share of net fluxes within ±0.05 of the truth
//   MID SSR   Σ over measured fractions ((simulated − measured) / 0.01)²
//   seconds   wall time of that method alone (one thread)
//   accepted  the fit passed the χ² test (MFA and hybrid)
// The hybrid fits from ML-Flux's prediction alone and, where that fit fails the χ² test,
// again from it and the sampled starts (its time includes both).
// A second part times MFA against the number of tracer experiments.
//
//   usage: mfa_vs_mlflux PACKAGE DATASET_DIR [SETS=200] [STARTS=4] [SEED=1] [COMPLETE_SETS=SETS] [FIRST=0] > rows.tsv
// (sets are the test rows FIRST, FIRST+1, ...; two processes with different FIRST use two cores)
// A summary goes to stderr.
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
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/learn/flux_predictor.hpp"
#include "fluxion/learn/imputation.hpp"
#include "fluxion/learn/prediction.hpp"
#include "fluxion/mfa/fit.hpp"
#include "mfa_bench_support.hpp"

using namespace fluxion;
using bench::Clock;
using bench::median;
using bench::seconds_since;

namespace {

// The measurement SD the fits and the MID SSR use: 0.01, or FLUXION_MID_SD (the paper's
// INCA benchmark: 1e-3, with the noise at the same SD)
double kMidSd = 0.01;


struct Outcome {
  double flux_ssr = NAN, flux_ssr_bounded = NAN, within = NAN, mid_ssr = NAN, seconds = NAN;
  int accepted = -1;  // fits: passed the χ² test (1) or not (0)
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s PACKAGE DATASET_DIR [SETS=200] [STARTS=4] [SEED=1] [COMPLETE_SETS=SETS]\n", argv[0]);
    return 2;
  }
  const long sets = argc > 3 ? std::atol(argv[3]) : 200;
  const int starts = argc > 4 ? std::atoi(argv[4]) : 4;
  const std::uint64_t seed = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 1;
  const long complete_sets = argc > 6 ? std::atol(argv[6]) : sets;
  const long first = argc > 7 ? std::atol(argv[7]) : 0;
  if (std::getenv("FLUXION_MID_SD")) kMidSd = std::atof(std::getenv("FLUXION_MID_SD"));
  if (!(kMidSd > 0)) {
    std::fprintf(stderr, "FLUXION_MID_SD must be a positive number\n");
    return 2;
  }
  // FLUXION_MID_NOISE: sd of the noise added to the MIDs (default: the measurement SD)
  const double noise_sd = std::getenv("FLUXION_MID_NOISE") ? std::atof(std::getenv("FLUXION_MID_NOISE")) : kMidSd;
  // FLUXION_PARTIAL_EXPERIMENTS: partial patterns keep 1 to this many random experiments
  // (default 1; the paper: one or two)
  const std::size_t partial_experiments =
      std::getenv("FLUXION_PARTIAL_EXPERIMENTS") ? std::max(1L, std::atol(std::getenv("FLUXION_PARTIAL_EXPERIMENTS"))) : 1;
  auto package = learn::FluxPredictor::load(argv[1]);
  if (!package) {
    std::fprintf(stderr, "%s\n", package.message().c_str());
    return 2;
  }
  const learn::FluxPredictor& predictor = package.value();
  const nlohmann::json& manifest = predictor.manifest();
  const nlohmann::json provenance = manifest.at("dataset").at("settings").at("provenance");
  const sampling::MidLayout layout = sampling::MidLayout::from_json(manifest.at("dataset").at("settings").at("layout"));
  std::optional<learn::ErrorTables> tables;
  if (manifest.contains("error_tables")) tables = learn::ErrorTables::from_json(manifest.at("error_tables"));
  const auto data = bench::read_dataset_arg(argv[2]);
  if (!data) return 2;
  const sampling::DatasetContents& d = *data;
  const Model model = io::load_model(provenance.at("model").at("name").get<std::string>()).value();
  const FluxSpace space = FluxSpace::build(model).value();
  const learn::FluxExpansion expansion(space, &model);
  const auto tracers = io::read_tracer_table(provenance.at("experiments").at("table").get<std::string>(), "package").value();
  const auto& experiments = tracers.experiments;
  // the EMU network and substrates of the layout (carbon: CCM)
  std::vector<isotope::TracedElement> elements;
  {
    isotope::EmuOptions eo;
    for (const auto& f : layout.fields) eo.measured.push_back(f.metabolite);
    auto emu = isotope::EmuModel::compile(model, space, eo).value();
    elements.push_back({emu, emu.inputs(experiments).value()});
  }
  learn::LayoutSimulator simulator(layout, elements);
  std::optional<learn::KnnImputer> knn;
  if (predictor.knn_reference().rows() > 0) knn.emplace(layout, predictor.knn_reference(), manifest.value("/knn/k"_json_pointer, 3));
  learn::PredictionPipeline pipeline(predictor, expansion, tables ? &*tables : nullptr, knn ? &*knn : nullptr, layout);
  pipeline.set_pcnn(predictor.pcnn());
  // the flux polytope of the fit: the model's bounds, exchange fluxes up to 1000
  const sampling::FluxPolytope polytope = bench::fit_polytope(model, space);
  // transport reactions: those that touch a boundary metabolite
  std::vector<Eigen::Index> transport;
  for (Eigen::Index c = 0; c < space.n_reactions(); ++c) {
    const Reaction& r = model.reactions[space.column_reaction(c)];
    bool t = false;
    for (const auto* side : {&r.reactants, &r.products})
      for (const auto& p : *side) t = t || model.metabolites[p.metabolite].boundary;
    if (t) transport.push_back(c);
  }
  // net-flux columns of the full vector
  std::vector<std::size_t> net_columns;
  for (std::size_t j = 0; j < expansion.columns().size(); ++j)
    if (expansion.columns()[j].rfind("net:", 0) == 0) net_columns.push_back(j);
  std::map<std::string, std::size_t> data_column;
  for (std::size_t j = 0; j < d.flux_columns.size(); ++j) data_column[d.flux_columns[j]] = j;

  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::printf("scenario\tset\tmethod\tflux_ssr\tflux_ssr_bounded\twithin_0.05\tmid_ssr\tseconds\tmeasured_fractions\taccepted\n");
  struct Stats {
    std::vector<double> flux, bounded, within, mid, seconds;
  };
  std::map<std::string, std::map<std::string, Stats>> stats;  // scenario -> method
  std::map<std::string, long> hybrid_beats_mlflux, mfa_beats_mlflux, counted, hybrid_fallbacks;
  const long n_test = static_cast<long>(d.test.size());
  for (long s = first; s < std::min(first + sets, n_test); ++s) {
    const std::uint64_t row = d.test[static_cast<std::size_t>(s)];
    Eigen::VectorXd truth(static_cast<Eigen::Index>(expansion.columns().size()));
    for (std::size_t j = 0; j < expansion.columns().size(); ++j)
      truth(static_cast<Eigen::Index>(j)) = d.fluxes(static_cast<Eigen::Index>(row), static_cast<Eigen::Index>(data_column.at(expansion.columns()[j])));
    const Eigen::VectorXd clean = d.mid_rows({row}).row(0).transpose();
    const std::vector<bool> pad = learn::padding_entries(layout);
    Eigen::VectorXd noisy = clean;
    for (Eigen::Index i = 0; i < noisy.size(); ++i)
      if (!pad[static_cast<std::size_t>(i)]) noisy(i) = std::max(0.0, clean(i) + noise_sd * noise(rng));
    const FluxVector true_v = expansion.flux_vector(truth);
    std::vector<MeasuredFlux> measured_transport;
    for (Eigen::Index c : transport) {
      const double v = true_v.net(c), sd = std::max(0.01, 0.05 * std::fabs(v));
      measured_transport.push_back({space.column_ids()[static_cast<std::size_t>(c)], {FluxTerm{c, false, 1.0}}, v + sd * noise(rng), sd, 0, {}});
    }
    for (const bool partial : {false, true}) {
      if (!partial && s >= first + complete_sets) continue;
      // which entries are measured
      std::vector<bool> known(static_cast<std::size_t>(layout.size()), !partial);
      if (partial) {
        std::fill(known.begin(), known.end(), false);
        std::vector<std::size_t> experiments(layout.experiments.size());
        for (std::size_t e = 0; e < experiments.size(); ++e) experiments[e] = e;
        std::vector<std::size_t> chosen;
        if (partial_experiments == 1) {
          chosen.push_back(std::uniform_int_distribution<std::size_t>(0, layout.experiments.size() - 1)(rng));
        } else {
          std::shuffle(experiments.begin(), experiments.end(), rng);
          const auto n_exp = std::min(experiments.size(), std::uniform_int_distribution<std::size_t>(1, partial_experiments)(rng));
          chosen.assign(experiments.begin(), experiments.begin() + static_cast<std::ptrdiff_t>(n_exp));
        }
        std::vector<std::size_t> fields(layout.fields.size());
        for (std::size_t f = 0; f < fields.size(); ++f) fields[f] = f;
        std::shuffle(fields.begin(), fields.end(), rng);
        const auto n_fields = std::min<std::size_t>(fields.size(), std::uniform_int_distribution<std::size_t>(10, 30)(rng));
        for (const std::size_t x : chosen)
          for (std::size_t k = 0; k < n_fields; ++k)
            for (int i = 0; i < layout.width; ++i) known[layout.index(fields[k], x, i)] = true;
      }
      // the measurements as an observation (ML-Flux) and a MID table (MFA)
      learn::Observation obs;
      obs.values = Eigen::VectorXd::Zero(noisy.size());
      obs.sd = Eigen::VectorXd::Constant(noisy.size(), kMidSd);
      obs.known.assign(known.size(), false);
      isotope::MidTable table;
      long fractions = 0, unmeasured = 0, total = 0;
      for (std::size_t f = 0; f < layout.fields.size(); ++f)
        for (std::size_t x = 0; x < layout.experiments.size(); ++x) {
          const int n = layout.fields[f].isotopologues;
          bool measured = known[layout.index(f, x, 0)];
          for (int i = 0; i < layout.width; ++i) {
            const auto at = layout.index(f, x, i);
            if (i >= n) {
              obs.known[at] = true;  // padding
              continue;
            }
            ++total;
            if (!measured) {
              ++unmeasured;
              continue;
            }
            obs.known[at] = true;
            obs.values(static_cast<Eigen::Index>(at)) = noisy(static_cast<Eigen::Index>(at));
          }
          if (!measured) continue;
          isotope::MeasuredMid m;
          m.experiment = layout.experiments[x];
          m.fragment = layout.fields[f].metabolite;
          for (int i = 0; i < n; ++i) {
            m.fraction.push_back(noisy(static_cast<Eigen::Index>(layout.index(f, x, i))));
            m.sd.push_back(kMidSd);
          }
          fractions += n;
          table.mids.push_back(std::move(m));
        }
      obs.masked = static_cast<double>(unmeasured) / static_cast<double>(total);
      auto mid_ssr_of = [&](const FluxVector& v) {
        auto sim = simulator.simulate(v);
        if (!sim) return std::nan("");
        double ssr = 0;
        for (std::size_t i = 0; i < known.size(); ++i)
          if (known[i] && !pad[i]) ssr += std::pow(((*sim)(static_cast<Eigen::Index>(i)) - noisy(static_cast<Eigen::Index>(i))) / kMidSd, 2);
        return ssr;
      };
      auto score = [&](const Eigen::VectorXd& full, Outcome& o) {
        double ssr = 0, bounded = 0;
        long within = 0;
        for (auto j : net_columns) {
          const double t = truth(static_cast<Eigen::Index>(j)), e = full(static_cast<Eigen::Index>(j)) - t;
          ssr += e * e;
          if (std::fabs(t) <= 10) bounded += e * e;
          if (std::fabs(e) <= 0.05) ++within;
        }
        o.flux_ssr = ssr;
        o.flux_ssr_bounded = bounded;
        o.within = static_cast<double>(within) / static_cast<double>(net_columns.size());
      };
      auto full_of = [&](const FluxVector& v) {
        Eigen::VectorXd full(truth.size());
        for (std::size_t j = 0; j < expansion.columns().size(); ++j) {
          const std::string& name = expansion.columns()[j];
          const auto& ids = space.column_ids();
          const auto c = std::find(ids.begin(), ids.end(), name.substr(4)) - ids.begin();
          full(static_cast<Eigen::Index>(j)) = name.rfind("net:", 0) == 0 ? v.net(c) : v.exchange(c);
        }
        return full;
      };
      // ML-Flux
      learn::PredictOptions po;
      po.imputer = partial ? "auto" : "none";
      auto t0 = Clock::now();
      auto pred = pipeline.run({obs}, po);
      Outcome ml;
      ml.seconds = seconds_since(t0);
      if (!pred) {
        std::fprintf(stderr, "set %ld: prediction failed: %s\n", s, pred.message().c_str());
        continue;
      }
      const Eigen::VectorXd ml_full = pred.value().mean;
      score(ml_full, ml);
      ml.mid_ssr = mid_ssr_of(expansion.flux_vector(ml_full));
      for (const bool with_fluxes : {false, true}) {
        const std::string scenario = std::string(partial ? "partial" : "complete") + (with_fluxes ? "+fluxes" : "");
        mfa::FitOptions fo;
        fo.starts = starts;
        fo.threads = 1;
        fo.seed = seed * 1000003 + static_cast<std::uint64_t>(s);
        auto problem = mfa::FitProblem::create(model, space, polytope, experiments, table,
                                               with_fluxes ? measured_transport : std::vector<MeasuredFlux>{}, fo);
        if (!problem) {
          std::fprintf(stderr, "set %ld: %s\n", s, problem.message().c_str());
          continue;
        }
        Outcome mfa, hybrid;
        t0 = Clock::now();
        auto fit = problem.value().fit(fo);
        mfa.seconds = seconds_since(t0);
        if (!fit) std::fprintf(stderr, "\nset %ld %s: fit failed: %s\n", s, scenario.c_str(), fit.message().c_str());
        if (fit) {
          mfa.accepted = fit.value().accepted();
          score(full_of(fit.value().fluxes), mfa);
          mfa.mid_ssr = mid_ssr_of(fit.value().fluxes);
        }
        mfa::FitOptions ho = fo;
        ho.starts = 0;
        const FluxVector start = expansion.flux_vector(ml_full);
        t0 = Clock::now();
        auto hfit = problem.value().fit(ho, {space.full_to_free(start)});
        // not statistically acceptable from ML-Flux's start alone: multistart as MFA
        // does, the ML-Flux start beside the sampled ones (its time counts)
        if (!hfit || !hfit.value().accepted()) {
          auto again = problem.value().fit(fo, {space.full_to_free(start)});
          if (again && (!hfit || again.value().ssr < hfit.value().ssr)) hfit = std::move(again);
          ++hybrid_fallbacks[scenario];
        }
        hybrid.seconds = seconds_since(t0) + ml.seconds;
        if (!hfit) std::fprintf(stderr, "\nset %ld %s: hybrid fit failed: %s\n", s, scenario.c_str(), hfit.message().c_str());
        if (hfit) {
          hybrid.accepted = hfit.value().accepted();
          score(full_of(hfit.value().fluxes), hybrid);
          hybrid.mid_ssr = mid_ssr_of(hfit.value().fluxes);
        }
        for (const auto& [name, o] : {std::pair<std::string, Outcome>{"mlflux", ml}, {"mfa", mfa}, {"hybrid", hybrid}}) {
          std::printf("%s\t%ld\t%s\t%.6g\t%.6g\t%.4f\t%.6g\t%.6g\t%ld\t%s\n", scenario.c_str(), s, name.c_str(), o.flux_ssr, o.flux_ssr_bounded,
                      o.within, o.mid_ssr, o.seconds, fractions, o.accepted < 0 ? "NA" : o.accepted ? "yes" : "no");
          auto& st = stats[scenario][name];
          if (std::isfinite(o.flux_ssr)) {
            st.flux.push_back(o.flux_ssr);
            st.bounded.push_back(o.flux_ssr_bounded);
            st.within.push_back(o.within);
            st.mid.push_back(o.mid_ssr);
            st.seconds.push_back(o.seconds);
          }
        }
        ++counted[scenario];
        if (mfa.flux_ssr_bounded < ml.flux_ssr_bounded) ++mfa_beats_mlflux[scenario];
        if (hybrid.flux_ssr_bounded < ml.flux_ssr_bounded) ++hybrid_beats_mlflux[scenario];
        std::fflush(stdout);
      }
    }
    std::fprintf(stderr, "\rset %ld of %ld..%ld", s + 1, first + 1, std::min(first + sets, n_test));
  }
  std::fprintf(stderr, "\n\n| scenario | method | sets | median flux SSR | median flux SSR, fluxes ≤ 10 | median share within ±0.05 | median MID SSR | median seconds |\n|---|---|---|---|---|---|---|---|\n");
  for (const auto& [scenario, methods] : stats)
    for (const char* m : {"mlflux", "mfa", "hybrid"}) {
      auto it = methods.find(m);
      if (it == methods.end()) continue;
      std::fprintf(stderr, "| %s | %s | %zu | %.4g | %.4g | %.3f | %.4g | %.4g |\n", scenario.c_str(), m, it->second.flux.size(), median(it->second.flux),
                   median(it->second.bounded), median(it->second.within), median(it->second.mid), median(it->second.seconds));
    }
  std::fprintf(stderr, "\n");
  for (const auto& [scenario, n] : counted)
    std::fprintf(stderr, "%s: MFA's flux SSR (fluxes ≤ 10) below ML-Flux's in %ld of %ld sets; the hybrid's in %ld; the hybrid fell back to multistart in %ld\n",
                 scenario.c_str(), mfa_beats_mlflux[scenario], n, hybrid_beats_mlflux[scenario], hybrid_fallbacks[scenario]);

  // MFA's time against the number of tracer experiments (complete patterns, 3 sets)
  std::fprintf(stderr, "\n| experiments | median MFA seconds (%d starts, 1 thread) | median ML-Flux seconds |\n|---|---|---|\n", starts);
  for (std::size_t n_exp : {std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{10}, layout.experiments.size()}) {
    if (n_exp > layout.experiments.size()) continue;
    std::vector<double> t_mfa, t_ml;
    for (long s = 0; s < std::min<long>(3, n_test); ++s) {
      const std::uint64_t row = d.test[static_cast<std::size_t>(s)];
      const Eigen::VectorXd clean = d.mid_rows({row}).row(0).transpose();
      isotope::MidTable table;
      learn::Observation obs;
      obs.values = Eigen::VectorXd::Zero(clean.size());
      obs.sd = Eigen::VectorXd::Constant(clean.size(), kMidSd);
      obs.known.assign(static_cast<std::size_t>(clean.size()), true);
      long unmeasured = 0, total = 0;
      for (std::size_t f = 0; f < layout.fields.size(); ++f)
        for (std::size_t x = 0; x < layout.experiments.size(); ++x) {
          const int n = layout.fields[f].isotopologues;
          for (int i = 0; i < n; ++i) {
            ++total;
            const auto at = static_cast<Eigen::Index>(layout.index(f, x, i));
            if (x < n_exp) obs.values(at) = clean(at);
            else {
              obs.known[static_cast<std::size_t>(at)] = false;
              ++unmeasured;
            }
          }
          if (x >= n_exp) continue;
          isotope::MeasuredMid m;
          m.experiment = layout.experiments[x];
          m.fragment = layout.fields[f].metabolite;
          for (int i = 0; i < n; ++i) {
            m.fraction.push_back(clean(static_cast<Eigen::Index>(layout.index(f, x, i))));
            m.sd.push_back(kMidSd);
          }
          table.mids.push_back(std::move(m));
        }
      obs.masked = static_cast<double>(unmeasured) / static_cast<double>(total);
      mfa::FitOptions fo;
      fo.starts = starts;
      fo.threads = 1;
      auto problem = mfa::FitProblem::create(model, space, polytope, experiments, table, {}, fo);
      if (!problem) continue;
      auto t0 = Clock::now();
      (void)problem.value().fit(fo);
      t_mfa.push_back(seconds_since(t0));
      learn::PredictOptions po;
      po.imputer = n_exp == layout.experiments.size() ? "none" : "auto";
      t0 = Clock::now();
      (void)pipeline.run({obs}, po);
      t_ml.push_back(seconds_since(t0));
    }
    std::fprintf(stderr, "| %zu | %.3g | %.3g |\n", n_exp, median(t_mfa), median(t_ml));
  }
  return 0;
}
