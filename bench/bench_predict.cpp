// Latency of one ML-Flux prediction (the goal: under 5 ms on one core for CCM,
// imputation included). The network has the deployed CCM shape (4,800 inputs,
// 1024-512-256-128-64, 55 outputs); its weights come from one epoch on a small dataset,
// which changes nothing in the time a forward pass takes. The KNN reference holds the
// 218 patterns a package keeps by default for CCM (4 MB), or 4,000 with /4000. The shipped
// package (models/predictors/ccm.fluxpkg: since 2026-12-06 an ensemble of three networks)
// is timed as it is: its networks' forward passes, and its whole prediction.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <filesystem>
#include <random>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/learn/prediction.hpp"
#include "fluxion/learn/predictor_package.hpp"
#include "fluxion/sampling/dataset.hpp"

using namespace fluxion;
namespace fs = std::filesystem;

namespace {

struct Ccm {
  Model model;
  FluxSpace space;
  std::vector<isotope::TracedElement> elements;
  sampling::DatasetContents data;
  std::optional<learn::FluxPredictor> predictor;
  sampling::MidLayout layout;

  static Ccm& get() {
    static Ccm c = make();
    return c;
  }

  static Ccm make() {
    Ccm c;
    c.model = io::load_model("ccm").value();
    c.space = FluxSpace::build(c.model).value();
    auto table = io::load_tracer_table("ccm").value();
    auto emu = isotope::EmuModel::compile(c.model, c.space, {}).value();
    c.elements.push_back({emu, emu.inputs(table.experiments).value()});
    std::vector<std::string> ids;
    for (const auto& e : table.experiments) ids.push_back(e.id);
    sampling::FluxSetOptions so;
    so.net = sampling::NetSampling::achr;
    so.exchange = sampling::ExchangeSampling::log_uniform;
    auto sampler = sampling::FluxSetSampler::create(c.model, c.space, {}, so).value();
    sampling::DatasetOptions o;
    o.rows = 5000;
    sampling::DatasetGenerator g(c.space, sampler, c.elements, ids, o);
    const fs::path dir = fs::temp_directory_path() / ("fluxion_bench_predict_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    (void)g.prepare(dir.string(), false);
    (void)g.run(dir.string(), {.threads = 2, .progress = false});
    c.data = sampling::read_dataset((dir / "dataset.h5").string(), {.mids_float32 = true}).value();
    fs::remove_all(dir);
    c.layout = g.layout();
    learn::TrainOptions t;
    t.hidden = learn::default_hidden_layers("ccm", 4800);
    t.epochs = 1;
    t.progress = false;
    learn::TrainingHistory h;
    c.predictor.emplace(learn::FluxPredictor::train(c.data, t, h).value());
    return c;
  }
};

learn::MidMatrix reference_rows(const sampling::DatasetContents& d, long n) {
  learn::MidMatrix m(n, d.n_inputs());
  for (long i = 0; i < n; ++i) m.row(i) = d.mids32.row(static_cast<Eigen::Index>(d.train[static_cast<std::size_t>(i)]));
  return m;
}

// one tracer experiment, 10 to 30 metabolites measured (the head-to-head's partial case)
learn::Observation partial_observation(const Ccm& c, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  learn::Observation o;
  const auto row = static_cast<Eigen::Index>(c.data.test.front());
  o.values = c.data.mid_rows({c.data.test.front()}).row(0).transpose();
  o.sd = Eigen::VectorXd::Constant(o.values.size(), NAN);
  o.known = learn::random_mask(c.layout, 1, 0.66, rng);
  for (std::size_t i = 0; i < o.known.size(); ++i)
    if (!o.known[i]) o.values(static_cast<Eigen::Index>(i)) = 0;
  (void)row;
  long measured = 0, total = 0;
  for (std::size_t f = 0; f < c.layout.fields.size(); ++f)
    for (std::size_t x = 0; x < c.layout.experiments.size(); ++x)
      for (int q = 0; q < c.layout.fields[f].isotopologues; ++q) {
        ++total;
        measured += o.known[c.layout.index(f, x, q)];
      }
  o.masked = 1.0 - static_cast<double>(measured) / static_cast<double>(total);
  return o;
}

void run_prediction(benchmark::State& state, bool resimulate) {
  torch::set_num_threads(1);
  Ccm& c = Ccm::get();
  const learn::FluxExpansion x(c.space, &c.model);
  const learn::KnnImputer knn(c.layout, reference_rows(c.data, state.range(0)), 3);
  learn::PredictionPipeline pipeline(*c.predictor, x, nullptr, &knn, c.layout);
  learn::LayoutSimulator sim(c.layout, c.elements);
  if (resimulate) pipeline.set_simulator([&](const Eigen::VectorXd& full) { return sim.simulate(x.flux_vector(full)); });
  const std::vector<learn::Observation> obs{partial_observation(c, 7)};
  for (auto _ : state) {
    auto r = pipeline.run(obs, {});
    benchmark::DoNotOptimize(r);
  }
  state.counters["masked"] = obs.front().masked;
}

void BM_PredictCcmPartial(benchmark::State& state) { run_prediction(state, false); }
void BM_PredictCcmPartialResimulated(benchmark::State& state) { run_prediction(state, true); }

void BM_CcmNetworkForward(benchmark::State& state) {
  torch::set_num_threads(1);
  Ccm& c = Ccm::get();
  const Eigen::MatrixXd one = c.data.mid_rows({c.data.test.front()});
  for (auto _ : state) benchmark::DoNotOptimize(c.predictor->predict(one));
}

void BM_CcmKnnImpute(benchmark::State& state) {
  Ccm& c = Ccm::get();
  const learn::KnnImputer knn(c.layout, reference_rows(c.data, state.range(0)), 3);
  const learn::Observation o = partial_observation(c, 7);
  for (auto _ : state) benchmark::DoNotOptimize(knn.impute(o.values, o.known));
}

// the shipped package, opened once (its built-in name)
const learn::PredictorPackage& shipped_ccm() {
  static const learn::PredictorPackage p = learn::PredictorPackage::open("ccm").value();
  return p;
}

void BM_ShippedCcmForward(benchmark::State& state) {
  torch::set_num_threads(1);
  Ccm& c = Ccm::get();
  const learn::PredictorPackage& p = shipped_ccm();
  const Eigen::MatrixXd one = c.data.mid_rows({c.data.test.front()});
  for (auto _ : state) benchmark::DoNotOptimize(p.predictor().predict(one));
  state.counters["networks"] = static_cast<double>(p.predictor().members());
}

// the package's own prediction of the partial observation, as `fluxion predict` makes it:
// its KNN references, error tables, ΔG, and the re-simulated MIDs with the χ² test
void BM_PredictShippedCcmPartial(benchmark::State& state) {
  torch::set_num_threads(1);
  Ccm& c = Ccm::get();
  const learn::PredictorPackage& p = shipped_ccm();
  const std::vector<learn::Observation> obs{partial_observation(c, 7)};
  learn::PredictOptions o;
  for (auto _ : state) {
    auto r = p.predict(obs, o);
    benchmark::DoNotOptimize(r);
  }
}

}  // namespace

BENCHMARK(BM_CcmNetworkForward)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CcmKnnImpute)->Arg(218)->Arg(4000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PredictCcmPartial)->Arg(218)->Arg(4000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PredictCcmPartialResimulated)->Arg(218)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ShippedCcmForward)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PredictShippedCcmPartial)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
