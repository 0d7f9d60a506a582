// The constraint-based baselines beside FBApro, on the paper's synthetic data (§5).
//
//   cbm_baselines timing DATA [models...]
//     Per model: 50 steady states basis·U[0,1]^l; 10 % of reactions known, 50 % unmeasured,
//     40 % noisy (x̃ ~ U[x − |x|, x + |x|]). Per-call wall time (median over samples) of FBA
//     re-solved as is, FBA with the paper's per-sample bounds (x̃ ± 1e-5 known,
//     x̃ ± (|x̃| + 1e-5) noisy), linear and quadratic MoMA to the references (model bounds,
//     known and noisy reactions in the distance) and iMAT on the references' magnitudes
//     (known and noisy reactions scored); with each call's status.
//
//   cbm_baselines timing-fba DATA [models...]   the FBA columns only
//
//   cbm_baselines fva-coupling DATA [models...]
//     FVA over all reactions on one thread with and without the coupling classes (one LP
//     pair per class of fully coupled reactions, none for blocked ones): LPs solved, wall
//     time, and the largest difference between the two results, absolute and relative to
//     max(1, |range end|). Fraction 1.0, iML1515 0.9 (as bench_fba.sh).
//
//   cbm_baselines synthetic DATA [samples 25] [splits 10] [baseline samples] [imat seconds]
//     The paper's hidden-flux experiment (§5.3, Fig. 4a) on RECON1: 2 % known, 85 %
//     unmeasured, 13 % noisy (100 % multiplicative noise); per split, Spearman correlations
//     of the predictions on the noisy reactions with the truth, per reaction (across
//     samples) and per sample (across reactions); a constant prediction scores 0. FBApro
//     runs every sample of every split; the solver baselines run the first `baseline
//     samples` samples of each split (MoMA and iMAT take seconds per call on RECON1).
//
// Model objectives: iMM1415's file has none (BIOMASS_mm_1_no_glygln, as in the notes).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "fluxion/cbm/fba.hpp"
#include "fluxion/cbm/imat.hpp"
#include "fluxion/cbm/moma.hpp"
#include "fluxion/cbm/projection.hpp"
#include "fluxion/io/model_io.hpp"

using namespace fluxion;
using Eigen::Index;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[(v.size() - 1) / 2];
}

Model load(const std::string& data, const std::string& name) {
  auto m = io::load_model(data + "/bigg/" + name + ".xml.gz");
  if (!m.ok()) {
    std::fprintf(stderr, "%s\n", m.message().c_str());
    std::exit(1);
  }
  Model model = std::move(m.value());
  if (name == "iMM1415")
    for (auto& r : model.reactions) r.objective_coefficient = r.id == "BIOMASS_mm_1_no_glygln" ? 1.0 : 0.0;
  return model;
}

struct Synthetic {
  Eigen::MatrixXd truth, ref;  // r × samples
  std::vector<Index> known, noisy;
};

Synthetic make_data(const Eigen::MatrixXd& basis, Index samples, double known_fraction, double noisy_fraction, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const Index r = basis.rows();
  Synthetic d;
  d.truth = basis * Eigen::MatrixXd::NullaryExpr(basis.cols(), samples, [&] { return u(rng); });
  std::vector<Index> order(static_cast<std::size_t>(r));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  const auto nk = static_cast<std::size_t>(std::llround(known_fraction * static_cast<double>(r)));
  const auto nn = static_cast<std::size_t>(std::llround(noisy_fraction * static_cast<double>(r)));
  d.known.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(nk));
  d.noisy.assign(order.begin() + static_cast<std::ptrdiff_t>(nk), order.begin() + static_cast<std::ptrdiff_t>(nk + nn));
  std::sort(d.known.begin(), d.known.end());
  std::sort(d.noisy.begin(), d.noisy.end());
  d.ref = Eigen::MatrixXd::Zero(r, samples);  // unmeasured: 0, as the paper writes them
  for (Index i : d.known) d.ref.row(i) = d.truth.row(i);
  for (Index i : d.noisy)
    for (Index j = 0; j < samples; ++j) d.ref(i, j) = d.truth(i, j) + (2 * u(rng) - 1) * std::fabs(d.truth(i, j));
  return d;
}

// Spearman rank correlation; 0 when either side is constant (a constant prediction scores 0)
double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t n = a.size();
  if (n < 2) return 0.0;
  auto ranks = [n](const std::vector<double>& x) {
    std::vector<std::size_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](std::size_t p, std::size_t q) { return x[p] < x[q]; });
    std::vector<double> r(n);
    for (std::size_t k = 0; k < n;) {
      std::size_t e = k;
      while (e + 1 < n && x[idx[e + 1]] == x[idx[k]]) ++e;
      for (std::size_t q = k; q <= e; ++q) r[idx[q]] = 0.5 * static_cast<double>(k + e);
      k = e + 1;
    }
    return r;
  };
  const auto ra = ranks(a), rb = ranks(b);
  const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / static_cast<double>(n);
  const double mb = std::accumulate(rb.begin(), rb.end(), 0.0) / static_cast<double>(n);
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) * (ra[i] - ma);
    sbb += (rb[i] - mb) * (rb[i] - mb);
  }
  if (saa <= 0 || sbb <= 0) return 0.0;
  return sab / std::sqrt(saa * sbb);
}

// FBA with the paper's per-sample bounds around the references
cbm::FbaSolution fba_with_reference_bounds(cbm::FbaModel& fba, const Model& m, const Synthetic& d, Index sample) {
  for (std::size_t j = 0; j < m.reactions.size(); ++j) fba.set_bounds(j, m.reactions[j].lower_bound, m.reactions[j].upper_bound);
  for (Index i : d.known) fba.set_bounds(static_cast<std::size_t>(i), d.ref(i, sample) - 1e-5, d.ref(i, sample) + 1e-5);
  for (Index i : d.noisy) {
    const double x = d.ref(i, sample), gap = std::fabs(x) + 1e-5;
    fba.set_bounds(static_cast<std::size_t>(i), x - gap, x + gap);
  }
  return fba.optimize();
}

Eigen::VectorXd imat_scores(const Synthetic& d, Index sample, Index r) {
  Eigen::VectorXd s = Eigen::VectorXd::Constant(r, NAN);
  for (Index i : d.known) s(i) = d.ref(i, sample);
  for (Index i : d.noisy) s(i) = d.ref(i, sample);
  return s;
}

std::vector<Index> measured(const Synthetic& d) {
  std::vector<Index> m = d.known;
  m.insert(m.end(), d.noisy.begin(), d.noisy.end());
  std::sort(m.begin(), m.end());
  return m;
}

int timing(const std::string& data, std::vector<std::string> models, bool fba_only = false) {
  if (models.empty()) models = {"e_coli_core", "iND750", "iML1515", "iMM1415", "RECON1"};
  std::printf("| model | FBA first solve (ms) | FBA re-solve (ms) | FBA, per-sample bounds (ms) | statuses | linear MoMA, fresh LP (s) | linear MoMA, warm (s) | statuses | QP MoMA (s) | statuses | Ipopt iterations | iMAT (s) | statuses |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& name : models) {
    const Model m = load(data, name);
    const Index r = static_cast<Index>(m.reactions.size());
    const auto s = cbm::balanced_stoichiometry(m);
    auto kernel = cbm::orthonormal_kernel(s);
    if (!kernel.ok()) return 1;
    std::mt19937_64 rng(0);
    const Index samples = name == "e_coli_core" ? 50 : 10;
    const Synthetic d = make_data(kernel.value().basis, samples, 0.10, 0.40, rng);
    auto fba = cbm::FbaModel::create(m);
    if (!fba.ok()) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), fba.message().c_str());
      return 1;
    }
    std::map<std::string, std::map<std::string, int>> statuses;
    std::vector<double> t_resolve, t_bounds, t_lin, t_qp, t_imat, iters;
    auto t_first = Clock::now();
    (void)fba.value().optimize();  // the first solve builds the basis; re-solves are timed
    const double first_solve = since(t_first);
    for (Index k = 0; k < samples; ++k) {
      auto t = Clock::now();
      const auto again = fba.value().optimize();
      t_resolve.push_back(since(t));
      ++statuses["resolve"][to_string(again.status)];
    }
    for (Index k = 0; k < samples; ++k) {
      auto t = Clock::now();
      const auto b = fba_with_reference_bounds(fba.value(), m, d, k);
      t_bounds.push_back(since(t));
      ++statuses["fba"][to_string(b.status)];
    }
    for (std::size_t j = 0; j < m.reactions.size(); ++j) fba.value().set_bounds(j, m.reactions[j].lower_bound, m.reactions[j].upper_bound);
    if (fba_only) {
      std::printf("| %s | %.2f | %.3f | %.2f | %s |\n", name.c_str(), 1e3 * first_solve, 1e3 * median(t_resolve), 1e3 * median(t_bounds),
                  [&] { std::string o; for (const auto& [st, n] : statuses["fba"]) o += st + " " + std::to_string(n) + " "; return o; }().c_str());
      continue;
    }
    auto moma = cbm::Moma::create(m);
    const auto meas = measured(d);
    double lin_first = 0.0;
    {  // a fresh LP, as cobrapy builds one per call
      auto fresh = cbm::Moma::create(m);
      const auto t = Clock::now();
      (void)fresh.value().solve(d.ref.col(0), meas, {.linear = true});
      lin_first = since(t);
    }
    for (Index k = 0; k < samples; ++k) {
      auto t = Clock::now();
      const auto l = moma.value().solve(d.ref.col(k), meas, {.linear = true});
      t_lin.push_back(since(t));
      ++statuses["lin"][to_string(l.status)];
      t = Clock::now();
      const auto q = moma.value().solve(d.ref.col(k), meas);
      t_qp.push_back(since(t));
      iters.push_back(q.iterations);
      ++statuses["qp"][to_string(q.status)];
    }
    const Index imat_samples = std::min<Index>(samples, name == "e_coli_core" ? 10 : 3);
    for (Index k = 0; k < imat_samples; ++k) {
      const auto i = cbm::imat(m, imat_scores(d, k, r), {.time_limit = 60});
      t_imat.push_back(i.seconds);
      ++statuses["imat"][to_string(i.status)];
    }
    auto list = [&](const std::string& key) {
      std::string out;
      for (const auto& [st, n] : statuses[key]) out += (out.empty() ? "" : ", ") + st + " " + std::to_string(n);
      return out;
    };
    std::printf("| %s | %.2f | %.3f | %.2f | %s | %.3f | %.4f | %s | %.3f | %s | %.0f | %.2f | %s |\n", name.c_str(), 1e3 * first_solve, 1e3 * median(t_resolve),
                1e3 * median(t_bounds), list("fba").c_str(), lin_first, median(t_lin), list("lin").c_str(), median(t_qp), list("qp").c_str(), median(iters), median(t_imat),
                list("imat").c_str());
    std::fflush(stdout);
  }
  return 0;
}

struct Scores {
  std::vector<double> per_reaction, per_sample;
  int calls = 0, failed = 0;
};

// Spearman of predictions (r × n, NaN columns = no prediction → scored as constant)
void score(const Eigen::MatrixXd& pred, const Synthetic& d, Index n, Scores& out) {
  for (Index i : d.noisy) {
    std::vector<double> a, b;
    for (Index j = 0; j < n; ++j) {
      a.push_back(std::isnan(pred(i, j)) ? 0.0 : pred(i, j));
      b.push_back(d.truth(i, j));
    }
    out.per_reaction.push_back(spearman(a, b));
  }
  for (Index j = 0; j < n; ++j) {
    std::vector<double> a, b;
    for (Index i : d.noisy) {
      a.push_back(std::isnan(pred(i, j)) ? 0.0 : pred(i, j));
      b.push_back(d.truth(i, j));
    }
    out.per_sample.push_back(spearman(a, b));
  }
}

double mean(const std::vector<double>& v) { return v.empty() ? NAN : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()); }

int synthetic(const std::string& data, Index samples, int splits, Index baseline_samples, double imat_seconds) {
  const Model m = load(data, "RECON1");
  const Index r = static_cast<Index>(m.reactions.size());
  const auto s = cbm::balanced_stoichiometry(m);
  auto kernel = cbm::orthonormal_kernel(s);
  if (!kernel.ok()) return 1;
  const Eigen::MatrixXd& basis = kernel.value().basis;
  const char* names[] = {"noisy reference (input)", "FBApro Basic", "FBApro Partial", "FBApro Fixed", "FBApro Full",
                         "FBA (reference bounds)", "linear MoMA", "QP MoMA", "iMAT"};
  std::map<std::string, Scores> all;
  auto fba = cbm::FbaModel::create(m);
  auto moma = cbm::Moma::create(m);
  if (!fba.ok() || !moma.ok()) return 1;
  std::mt19937_64 rng(2026);
  const auto t0 = Clock::now();
  for (int split = 0; split < splits; ++split) {
    const Synthetic d = make_data(basis, samples, 0.02, 0.13, rng);
    score(d.ref, d, samples, all[names[0]]);
    const cbm::ProjectionVariant variants[] = {cbm::ProjectionVariant::basic, cbm::ProjectionVariant::partial, cbm::ProjectionVariant::fixed,
                                               cbm::ProjectionVariant::full};
    for (int v = 0; v < 4; ++v) {
      auto p = cbm::Projector::build(basis, cbm::variant_sets(variants[v], d.known, d.noisy, r));
      if (!p.ok()) return 1;
      score(p.value().apply(d.ref), d, samples, all[names[1 + v]]);
    }
    const Index nb = std::min(baseline_samples, samples);
    if (nb >= 2) {
      const auto meas = measured(d);
      Eigen::MatrixXd pf = Eigen::MatrixXd::Constant(r, nb, NAN), pl = pf, pq = pf, pi = pf;
      auto run = [&](const std::string& name, Eigen::MatrixXd& pred, Index k, LpStatus st, const Eigen::VectorXd& x) {
        ++all[name].calls;
        if (st == LpStatus::optimal || (st == LpStatus::limit && x.size() == r)) pred.col(k) = x;
        else ++all[name].failed;
      };
      for (Index k = 0; k < nb; ++k) {
        const auto f = fba_with_reference_bounds(fba.value(), m, d, k);
        run(names[5], pf, k, f.status, f.fluxes);
        const auto l = moma.value().solve(d.ref.col(k), meas, {.linear = true});
        run(names[6], pl, k, l.status, l.fluxes);
        const auto q = moma.value().solve(d.ref.col(k), meas);
        run(names[7], pq, k, q.status, q.fluxes);
        const auto i = cbm::imat(m, imat_scores(d, k, r), {.time_limit = imat_seconds});
        run(names[8], pi, k, i.status, i.fluxes);
        std::fprintf(stderr, "\rsplit %d of %d, sample %ld of %ld (%.0f s)", split + 1, splits, static_cast<long>(k + 1), static_cast<long>(nb), since(t0));
      }
      Synthetic sub = d;
      sub.truth = d.truth.leftCols(nb);
      sub.ref = d.ref.leftCols(nb);
      for (const auto& [name, pred] : {std::pair{names[5], &pf}, std::pair{names[6], &pl}, std::pair{names[7], &pq}, std::pair{names[8], &pi}})
        score(*pred, sub, nb, all[name]);
      // FBApro on the same subset, for a like-for-like row
      auto p = cbm::Projector::build(basis, cbm::variant_sets(cbm::ProjectionVariant::full, d.known, d.noisy, r));
      score(p.value().apply(sub.ref), sub, nb, all["FBApro Full (same samples as the baselines)"]);
    }
  }
  std::fprintf(stderr, "\n");
  std::printf("RECON1, %d splits × %ld samples (baselines: %ld samples per split), 2 %% known, 85 %% unmeasured, 13 %% noisy\n\n", splits,
              static_cast<long>(samples), static_cast<long>(std::min(baseline_samples, samples)));
  std::printf("| method | Spearman per reaction (mean) | per sample (mean) | calls not optimal |\n|---|---|---|---|\n");
  std::vector<std::string> order(std::begin(names), std::end(names));
  order.insert(order.begin() + 5, "FBApro Full (same samples as the baselines)");
  for (const auto& name : order) {
    if (!all.count(name)) continue;
    const auto& sc = all[name];
    std::printf("| %s | %.3f | %.3f | %s |\n", name.c_str(), mean(sc.per_reaction), mean(sc.per_sample),
                sc.calls ? (std::to_string(sc.failed) + " of " + std::to_string(sc.calls)).c_str() : "");
  }
  return 0;
}

int fva_coupling(const std::string& data, std::vector<std::string> models) {
  if (models.empty()) models = {"e_coli_core", "iND750", "iML1515", "iMM1415", "RECON1"};
  std::printf("| model | reactions | classes solved | blocked or coupled | LPs, coupled | LPs, every reaction | FVA coupled (s) | FVA every reaction (s) | speed-up | max difference (abs) | max difference (rel) | statuses differ |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& name : models) {
    const Model m = load(data, name);
    const double fraction = name == "iML1515" ? 0.9 : 1.0;
    auto run = [&](bool coupled) {
      auto fba = cbm::FbaModel::create(m);
      fba.value().set_fva_coupling(coupled);
      const auto t = Clock::now();
      auto v = fba.value().fva(fraction, {}, 1);
      return std::pair{std::move(v), since(t)};
    };
    const auto [a, ta] = run(true);
    const auto [b, tb] = run(false);
    double abs_diff = 0.0, rel_diff = 0.0;
    int status_diff = 0;
    for (std::size_t j = 0; j < a.ranges.size(); ++j) {
      status_diff += a.ranges[j].status != b.ranges[j].status;
      for (const auto& [x, y] : {std::pair{a.ranges[j].minimum, b.ranges[j].minimum}, std::pair{a.ranges[j].maximum, b.ranges[j].maximum}}) {
        if (!std::isfinite(x) || !std::isfinite(y)) {
          status_diff += x != y;
          continue;
        }
        abs_diff = std::max(abs_diff, std::fabs(x - y));
        rel_diff = std::max(rel_diff, std::fabs(x - y) / std::max({1.0, std::fabs(x), std::fabs(y)}));
      }
    }
    std::printf("| %s | %zu | %zu | %zu | %zu | %zu | %.3f | %.3f | %.2f | %.2e | %.2e | %d |\n", name.c_str(), m.reactions.size(),
                m.reactions.size() - a.from_coupling, a.from_coupling, a.lps, b.lps, ta, tb, tb / ta, abs_diff, rel_diff, status_diff);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: cbm_baselines timing DATA [models...] | synthetic DATA [samples] [splits] [baseline samples] [imat seconds]\n");
    return 2;
  }
  const std::string mode = argv[1], data = argc > 2 ? argv[2] : "../shared/data";
  if (mode == "timing") return timing(data, std::vector<std::string>(argv + std::min(argc, 3), argv + argc));
  if (mode == "timing-fba") return timing(data, std::vector<std::string>(argv + std::min(argc, 3), argv + argc), true);
  if (mode == "fva-coupling") return fva_coupling(data, std::vector<std::string>(argv + std::min(argc, 3), argv + argc));
  if (mode == "synthetic")
    return synthetic(data, argc > 3 ? std::atol(argv[3]) : 25, argc > 4 ? std::atoi(argv[4]) : 10, argc > 5 ? std::atol(argv[5]) : 5,
                     argc > 6 ? std::atof(argv[6]) : 30.0);
  std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
  return 2;
}
