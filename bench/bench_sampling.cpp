// Benchmarks: flux sets per second from each built-in model's polytope (model bounds
// only), free net fluxes by rejection in the LP box or by ACHR (thinning = number of
// free net fluxes), exchange fluxes log-uniform.
//   build/release/bench/bench_sampling [--benchmark_repetitions=5 --benchmark_report_aggregates_only=true]
#include <benchmark/benchmark.h>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/sampling/flux_sets.hpp"

using namespace fluxion;

namespace {

void sample(benchmark::State& state, const std::string& name, sampling::NetSampling method) {
  auto m = io::load_model(name);
  if (!m) {
    state.SkipWithError("could not load the model");
    return;
  }
  auto fs = FluxSpace::build(m.value());
  if (!fs) {
    state.SkipWithError("no flux space");
    return;
  }
  sampling::FluxSetOptions o;
  o.net = method;
  o.exchange = sampling::ExchangeSampling::log_uniform;
  auto s = sampling::FluxSetSampler::create(m.value(), fs.value(), {}, o);
  if (!s) {
    state.SkipWithError(s.message().c_str());
    return;
  }
  FluxVector v;
  for (auto _ : state) {
    if (!s.value().next(v)) {
      state.SkipWithError(s.value().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(v.net.data());
  }
  state.counters["sets_per_second"] = benchmark::Counter(1.0, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["acceptance"] = s.value().acceptance_rate();
  state.counters["free_net"] = static_cast<double>(fs.value().n_free_net());
}

}  // namespace

BENCHMARK_CAPTURE(sample, simple_rejection, std::string("simple"), sampling::NetSampling::rejection)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(sample, upper_glycolysis_rejection, std::string("upper_glycolysis"), sampling::NetSampling::rejection)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(sample, glycolysis_achr, std::string("glycolysis"), sampling::NetSampling::achr)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(sample, glyppp_rejection, std::string("glyppp"), sampling::NetSampling::rejection)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(sample, glyppp_achr, std::string("glyppp"), sampling::NetSampling::achr)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(sample, ccm_rejection, std::string("ccm"), sampling::NetSampling::rejection)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(sample, ccm_achr, std::string("ccm"), sampling::NetSampling::achr)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
