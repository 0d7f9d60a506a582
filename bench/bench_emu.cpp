// Benchmarks: EMU simulation per flux vector, one experiment and all experiments.
//   build/release/bench/bench_emu [--benchmark_repetitions=9 --benchmark_report_aggregates_only=true]
#include <benchmark/benchmark.h>

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
  EmuModel emu;
  std::vector<TracerExperiment> experiments;
  FluxVector fluxes;
};

// A flux vector where every reaction runs forward at a moderate rate and every
// reversible one exchanges: enough for timing (labelling need not be realistic).
FluxVector some_fluxes(const FluxSpace& fs) {
  Eigen::VectorXd free = Eigen::VectorXd::Constant(fs.n_free(), 0.5);
  for (Eigen::Index k = 0; k < fs.n_free_net(); ++k) free(k) = 0.3 + 0.01 * static_cast<double>(k);
  return fs.free_to_full(free);
}

std::unique_ptr<Case> make(const std::string& name) {
  auto m = io::load_model(name);
  if (!m) return nullptr;
  auto fs = FluxSpace::build(m.value());
  if (!fs) return nullptr;
  auto emu = EmuModel::compile(m.value(), fs.value());
  if (!emu) return nullptr;
  auto t = io::load_tracer_table(name);
  if (!t) return nullptr;
  auto c = std::make_unique<Case>(Case{m.value(), fs.value(), emu.value(), t.value().experiments, {}});
  c->fluxes = some_fluxes(c->space);
  return c;
}

void simulate(benchmark::State& state, const std::string& name, bool all_experiments, bool sensitivities = false) {
  auto c = make(name);
  if (!c) {
    state.SkipWithError("could not set up the model");
    return;
  }
  std::vector<TracerExperiment> ex = c->experiments;
  if (!all_experiments) ex.resize(1);
  auto inputs = c->emu.inputs(ex);
  if (!inputs) {
    state.SkipWithError(inputs.message().c_str());
    return;
  }
  EmuSimulator sim(c->emu);
  MidSet mids;
  Eigen::MatrixXd jacobian;
  for (auto _ : state) {
    c->fluxes.exchange(0) += 1e-12;  // a new flux vector every time: refactorisation is timed too
    if (sim.simulate(c->fluxes, inputs.value(), mids, sensitivities ? &jacobian : nullptr) != SimulationStatus::ok) {
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

BENCHMARK_CAPTURE(simulate, simple_1_sensitivities, std::string("simple"), false, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(simulate, glyppp_1_sensitivities, std::string("glyppp"), false, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(simulate, ccm_1_sensitivities, std::string("ccm"), false, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(simulate, ccm_all_sensitivities, std::string("ccm"), true, true)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
