// FBApro on the BiGG models, the paper's timing protocol (§5.2): 50 steady-state samples
// basis·U[0,1]^l; 10 % of reactions known exactly, 50 % unmeasured, 40 % noisy with
// x̃ ~ U[x − |x|, x + |x|]. Times (medians over RUNS) of the null-space basis, of each
// variant's setup, and of applying it per sample, alone and in a batch of 50; and the
// quality of the result (max ‖S·x‖∞/‖x‖∞, max |x_H − v_H|, error against the truth).
// The BLAS threads follow OMP_NUM_THREADS (the notes' anchors are one thread).
//   usage: bench_fbapro [shared data dir] [runs, default 3] [models...]
//          bench_fbapro DATA RUNS --batch N MODEL   Full variant, N samples at once, on 1 and 2
//                                                   BLAS threads (ms per sample, median of RUNS)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "fluxion/cbm/projection.hpp"
#include "fluxion/io/model_io.hpp"

using namespace fluxion;
using Eigen::Index;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[(v.size() - 1) / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::string data = argc > 1 ? argv[1] : "../shared/data";
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  std::vector<std::string> models;
  if (argc == 6 && std::string(argv[3]) == "--batch") {
    const Index n = std::max(1L, std::atol(argv[4]));
    auto model = io::load_model(data + "/bigg/" + argv[5] + ".xml.gz");
    if (!model.ok()) return 1;
    const auto s = cbm::balanced_stoichiometry(model.value());
    auto kernel = cbm::orthonormal_kernel(s);
    if (!kernel.ok()) return 1;
    const Index r = s.cols();
    std::mt19937_64 rng(0);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<Index> order(static_cast<std::size_t>(r));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<Index> known(order.begin(), order.begin() + r / 10), noisy(order.begin() + r / 10, order.begin() + r / 10 + 2 * r / 5);
    std::sort(known.begin(), known.end());
    std::sort(noisy.begin(), noisy.end());
    auto p = cbm::Projector::build(kernel.value().basis, cbm::variant_sets(cbm::ProjectionVariant::full, known, noisy, r));
    if (!p.ok()) return 1;
    const Eigen::MatrixXd ref = Eigen::MatrixXd::NullaryExpr(r, n, [&] { return u(rng); });
    std::printf("| model | samples | BLAS threads | apply (ms per sample) | total (s) |\n|---|---|---|---|---|\n");
    for (int threads : {1, 2}) {
      cbm::set_blas_threads(threads);
      std::vector<double> t;
      for (int run = 0; run < runs; ++run) {
        const auto t0 = Clock::now();
        const Eigen::MatrixXd x = p.value().apply(ref);
        t.push_back(seconds_since(t0));
      }
      std::printf("| %s | %ld | %d | %.4f | %.3f |\n", argv[5], static_cast<long>(n), threads, 1e3 * median(t) / static_cast<double>(n), median(t));
    }
    return 0;
  }
  for (int i = 3; i < argc; ++i) models.emplace_back(argv[i]);
  if (models.empty()) models = {"e_coli_core", "iND750", "iML1515", "iMM1415", "RECON1"};
  const cbm::ProjectionVariant variants[] = {cbm::ProjectionVariant::basic, cbm::ProjectionVariant::partial,
                                             cbm::ProjectionVariant::fixed, cbm::ProjectionVariant::full};
  std::printf("| model | r | rank S | l | basis (s) | variant | setup (ms) | apply, single (ms) | apply, batch of 50 (ms/sample) | max ‖Sx‖/‖x‖ | max |x_H − v_H| | RMS error vs truth (noisy reactions) |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& name : models) {
    auto model = io::load_model(data + "/bigg/" + name + ".xml.gz");
    if (!model.ok()) {
      std::fprintf(stderr, "%s\n", model.message().c_str());
      return 1;
    }
    const auto s = cbm::balanced_stoichiometry(model.value());
    const Index r = s.cols();
    std::vector<double> basis_times;
    cbm::KernelBasis kernel;
    for (int run = 0; run < runs; ++run) {
      const auto t = Clock::now();
      auto k = cbm::orthonormal_kernel(s);
      basis_times.push_back(seconds_since(t));
      if (!k.ok()) {
        std::fprintf(stderr, "%s: %s\n", name.c_str(), k.message().c_str());
        return 1;
      }
      kernel = std::move(k.value());
    }
    const Index l = kernel.basis.cols();

    std::mt19937_64 rng(0);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const Index n_samples = 50;
    const Eigen::MatrixXd truth = kernel.basis * Eigen::MatrixXd::NullaryExpr(l, n_samples, [&] { return u(rng); });
    std::vector<Index> order(static_cast<std::size_t>(r));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    const auto n_known = static_cast<std::size_t>(r / 10), n_noisy = static_cast<std::size_t>(2 * r / 5);
    std::vector<Index> known(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_known));
    std::vector<Index> noisy(order.begin() + static_cast<std::ptrdiff_t>(n_known), order.begin() + static_cast<std::ptrdiff_t>(n_known + n_noisy));
    std::sort(known.begin(), known.end());
    std::sort(noisy.begin(), noisy.end());
    Eigen::MatrixXd ref = Eigen::MatrixXd::Zero(r, n_samples);  // unmeasured: 0, as the paper writes
    for (Index i : known) ref.row(i) = truth.row(i);
    for (Index i : noisy)
      for (Index j = 0; j < n_samples; ++j) ref(i, j) = truth(i, j) + (2 * u(rng) - 1) * std::fabs(truth(i, j));

    bool first = true;
    for (auto variant : variants) {
      const auto sets = cbm::variant_sets(variant, known, noisy, r);
      std::vector<double> setup, single, batch;
      std::optional<cbm::Projector> projector;
      for (int run = 0; run < runs; ++run) {
        const auto t = Clock::now();
        auto p = cbm::Projector::build(kernel.basis, sets);
        setup.push_back(seconds_since(t));
        if (!p.ok()) {
          std::fprintf(stderr, "%s: %s\n", name.c_str(), p.message().c_str());
          return 1;
        }
        projector = std::move(p.value());
      }
      Eigen::MatrixXd x;
      for (int run = 0; run < runs; ++run) {
        for (Index j = 0; j < n_samples; ++j) {
          const Eigen::MatrixXd one = ref.col(j);
          const auto t = Clock::now();
          const Eigen::MatrixXd y = projector->apply(one);
          single.push_back(seconds_since(t));
        }
        const auto t = Clock::now();
        x = projector->apply(ref);
        batch.push_back(seconds_since(t) / static_cast<double>(n_samples));
      }
      const auto check = cbm::check_projection(s, x, ref, sets.high);
      double sq = 0.0;
      for (Index i : noisy) sq += (x.row(i) - truth.row(i)).squaredNorm();
      const double rms = std::sqrt(sq / static_cast<double>(noisy.size() * static_cast<std::size_t>(n_samples)));
      if (first)
        std::printf("| %s | %ld | %ld | %ld | %.3f |", name.c_str(), static_cast<long>(r), static_cast<long>(kernel.rank), static_cast<long>(l),
                    median(basis_times));
      else
        std::printf("| | | | | |");
      first = false;
      std::printf(" %s | %.2f | %.4f | %.4f | %.1e | %.1e | %.3g |\n", std::string(to_string(variant)).c_str(), 1e3 * median(setup),
                  1e3 * median(single), 1e3 * median(batch), check.steady_state, check.fixed_deviation, rms);
      std::fflush(stdout);
    }
  }
  return 0;
}
