// Benchmarks: loading models and building their flux space.
//   build/release/bench/bench_model [--benchmark_repetitions=5]
// Models come from ../shared/data/bigg (skipped when absent) and the built-in models.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"

using namespace fluxion;

namespace {

const std::string kData = FLUXION_SHARED_DATA;

std::string bigg(const char* name) { return kData + "/bigg/" + name + ".xml.gz"; }

void load(benchmark::State& state, const std::string& source) {
  if (!std::filesystem::exists(source) && !io::builtin_model_text(source)) {
    state.SkipWithError(("not found: " + source).c_str());
    return;
  }
  for (auto _ : state) {
    auto m = io::load_model(source);
    benchmark::DoNotOptimize(m);
  }
}

void flux_space(benchmark::State& state, const std::string& source, NullSpaceMethod method) {
  if (!std::filesystem::exists(source) && !io::builtin_model_text(source)) {
    state.SkipWithError(("not found: " + source).c_str());
    return;
  }
  auto m = io::load_model(source);
  if (!m) {
    state.SkipWithError(m.message().c_str());
    return;
  }
  FluxSpaceOptions o;
  o.method = method;
  for (auto _ : state) {
    auto fs = FluxSpace::build(m.value(), o);
    benchmark::DoNotOptimize(fs);
  }
  state.counters["reactions"] = static_cast<double>(m.value().reactions.size());
}

}  // namespace

BENCHMARK_CAPTURE(load, ccm_builtin_tsv, std::string("ccm"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(load, e_coli_core_sbml, bigg("e_coli_core"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(load, RECON1_sbml, bigg("RECON1"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(flux_space, ccm_exact, std::string("ccm"), NullSpaceMethod::exact)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(flux_space, ccm_orthogonal, std::string("ccm"), NullSpaceMethod::orthogonal)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(flux_space, e_coli_core_exact, bigg("e_coli_core"), NullSpaceMethod::exact)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(flux_space, e_coli_core_orthogonal, bigg("e_coli_core"), NullSpaceMethod::orthogonal)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(flux_space, iML1515_orthogonal, bigg("iML1515"), NullSpaceMethod::orthogonal)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(flux_space, RECON1_orthogonal, bigg("RECON1"), NullSpaceMethod::orthogonal)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
