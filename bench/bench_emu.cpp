// Benchmarks: EMU simulation per flux vector, one experiment and all experiments.
//   build/release/bench/bench_emu [--benchmark_repetitions=9 --benchmark_report_aggregates_only=true]
#include <benchmark/benchmark.h>

#include <cmath>
#include <filesystem>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/isotope/emu.hpp"

using namespace fluxion;

namespace {

struct Case {
  Model model;
  FluxSpace space;
  isotope::EmuModel emu;
  std::vector<isotope::TracerExperiment> experiments;
  FluxVector fluxes;
};

// A steady-state flux vector inside the model's bounds (clamped to ±10) with every
// reaction that may carry flux doing so (≥ 0.05 in its allowed direction), found by
// alternating projections between the null space of S and that box; exchange fluxes 0.5.
// Timing does not depend on the values, but a valid labelling state keeps it honest.
FluxVector some_fluxes(const Model& m, const FluxSpace& fs) {
  const Eigen::MatrixXd basis = fs.orthonormal_null_space();
  const Eigen::Index n = fs.n_reactions();
  Eigen::VectorXd lo(n), hi(n);
  for (Eigen::Index c = 0; c < n; ++c) {
    const auto& r = m.reactions[static_cast<std::size_t>(c)];
    lo(c) = std::max(r.lower_bound, -10.0);
    hi(c) = std::min(r.upper_bound, 10.0);
    if (lo(c) >= 0 && hi(c) > lo(c)) lo(c) = std::max(lo(c), std::min(0.05, hi(c)));
  }
  Eigen::VectorXd v = Eigen::VectorXd::Ones(n);
  for (int it = 0; it < 20000; ++it) {
    v = v.cwiseMax(lo).cwiseMin(hi);
    v = basis.topRows(n) * (basis.topRows(n).transpose() * v);
  }
  FluxVector out{Eigen::VectorXd::Zero(fs.n_columns()), Eigen::VectorXd::Zero(fs.n_columns())};
  out.net.head(n) = v;
  for (auto c : fs.exchange_columns()) out.exchange(c) = 0.5;
  return out;
}

// The mfapy E. coli example (Okahashi 2017): glucose 70% [1-13C] + 28% [U-13C] + 2% unlabelled.
constexpr const char* kEcoliTracers =
    "experiment\tsubstrate\tlabel\tfraction\n"
    "glc\tSubsGlc\t[1-13C1]\t0.70\n"
    "glc\tSubsGlc\t[U-13C6]\t0.28\n";

std::unique_ptr<Case> make(const std::string& name) {
  const bool ecoli = name == "mfapy_ecoli";
  const std::string source = ecoli ? std::string(FLUXION_SHARED_DATA) + "/mfa/mfapy/Example_2_Ecoli_model.txt" : name;
  auto m = io::load_model(source);
  if (!m) return nullptr;
  auto fs = FluxSpace::build(m.value());
  if (!fs) return nullptr;
  auto emu = isotope::EmuModel::compile(m.value(), fs.value());
  if (!emu) return nullptr;
  auto t = ecoli ? io::read_tracer_table(kEcoliTracers, "E. coli tracers") : io::load_tracer_table(name);
  if (!t) return nullptr;
  auto c = std::make_unique<Case>(Case{m.value(), fs.value(), emu.value(), t.value().experiments, {}});
  // a point where every metabolite the MIDs need is produced
  auto inputs = c->emu.inputs(c->experiments);
  if (!inputs) return nullptr;
  isotope::EmuSimulator sim(c->emu);
  isotope::MidSet mids;
  c->fluxes = some_fluxes(c->model, c->space);
  if (c->space.steady_state_residual(c->fluxes.net) > 1e-8) return nullptr;
  for (Eigen::Index k = 0; k < c->space.n_reactions(); ++k) {
    const auto& r = c->model.reactions[static_cast<std::size_t>(k)];
    if (!r.reversible && r.lower_bound >= 0 && c->fluxes.net(k) < -1e-9) return nullptr;
  }
  if (sim.simulate(c->fluxes, inputs.value(), mids) != isotope::SimulationStatus::ok) return nullptr;
  return c;
}

void simulate(benchmark::State& state, const std::string& name, bool all_experiments, bool sensitivities = false) {
  auto c = make(name);
  if (!c) {
    state.SkipWithError("could not set up the model");
    return;
  }
  std::vector<isotope::TracerExperiment> ex = c->experiments;
  if (!all_experiments) ex.resize(1);
  auto inputs = c->emu.inputs(ex);
  if (!inputs) {
    state.SkipWithError(inputs.message().c_str());
    return;
  }
  isotope::EmuSimulator sim(c->emu);
  isotope::MidSet mids;
  Eigen::MatrixXd jacobian;
  for (auto _ : state) {
    c->fluxes.exchange(0) += 1e-12;  // a new flux vector every time: refactorisation is timed too
    if (sim.simulate(c->fluxes, inputs.value(), mids, sensitivities ? &jacobian : nullptr) != isotope::SimulationStatus::ok) {
      state.SkipWithError(sim.message().c_str());
      return;
    }
    benchmark::DoNotOptimize(mids.values.data());
  }
  state.counters["experiments"] = static_cast<double>(ex.size());
  state.counters["emus"] = static_cast<double>(c->emu.n_emus());
  state.counters["parameters"] = static_cast<double>(c->space.n_free());
  state.counters["per_experiment_us"] =
      benchmark::Counter(static_cast<double>(ex.size()), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

}  // namespace

BENCHMARK_CAPTURE(simulate, simple_1, std::string("simple"), false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(simulate, simple_all, std::string("simple"), true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(simulate, glyppp_1, std::string("glyppp"), false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(simulate, glyppp_all, std::string("glyppp"), true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(simulate, ccm_1, std::string("ccm"), false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(simulate, ccm_all, std::string("ccm"), true)->Unit(benchmark::kMicrosecond);

BENCHMARK_CAPTURE(simulate, upper_glycolysis_1, std::string("upper_glycolysis"), false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(simulate, glycolysis_C_1, std::string("glycolysis"), false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(simulate, mfapy_ecoli_1, std::string("mfapy_ecoli"), false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(simulate, simple_1_sensitivities, std::string("simple"), false, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(simulate, glyppp_1_sensitivities, std::string("glyppp"), false, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(simulate, ccm_1_sensitivities, std::string("ccm"), false, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(simulate, ccm_all_sensitivities, std::string("ccm"), true, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(simulate, mfapy_ecoli_1_sensitivities, std::string("mfapy_ecoli"), false, true)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
