// Time-course datasets (`fluxion dataset --times`): rows are the non-stationary MIDs of their
// fluxes and drawn pool sizes, the same whatever the threads and interruptions; the pool
// columns follow the fluxes; the recipe's pool ranges and its errors; the predictor side:
// flux expansion with pools, observations placed by time, the layout simulator and its
// Jacobian in the pool sizes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/learn/prediction.hpp"
#include "fluxion/sampling/dataset.hpp"
#include "fluxion/sampling/dataset_recipe.hpp"

using namespace fluxion;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name) : path(fs::temp_directory_path() / ("fluxion_test_tc_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string str(const std::string& sub = "") const { return (sub.empty() ? path : path / sub).string(); }
};

sampling::DatasetRecipe toy_recipe() {
  sampling::DatasetRecipe r;
  r.model = "simple";
  r.times = {"0.25", "1", "4"};
  r.pool_range = {"0.2", "5"};
  return r;
}

// A dataset of the toy network's time course, made as `fluxion dataset` makes it.
struct Made {
  sampling::DatasetInputs in;
  std::optional<sampling::FluxSetSampler> sampler;
  sampling::DatasetContents contents;
  sampling::DatasetOptions options;
};

std::unique_ptr<Made> make(const sampling::DatasetRecipe& r, long rows, const std::string& dir, sampling::DatasetRun run = {}, bool resume = false) {
  auto m = std::make_unique<Made>();
  auto in = sampling::load_dataset_inputs(r);
  EXPECT_TRUE(in.ok()) << in.message();
  if (!in) return nullptr;
  m->in = std::move(in.value());
  sampling::SamplerSettings settings;
  sampling::FluxSetOptions so;
  so.exchange = sampling::ExchangeSampling::log_uniform;
  auto s = sampling::FluxSetSampler::create(*m->in.model, *m->in.space, {}, so);
  EXPECT_TRUE(s.ok()) << s.message();
  m->sampler.emplace(std::move(s.value()));
  sampling::DatasetRecipe rr = r;
  rr.rows = rows;
  rr.part_rows = 16;
  rr.precision = "float64";
  m->options = sampling::dataset_options(rr, m->in, settings);
  sampling::DatasetGenerator g(*m->in.space, *m->sampler, m->in.traced, m->in.experiment_ids, m->options);
  auto p = g.prepare(dir, resume);
  EXPECT_TRUE(p.ok()) << p.message();
  run.progress = false;
  auto summary = g.run(dir, run);
  EXPECT_TRUE(summary.ok()) << summary.message();
  if (!summary || !summary.value().complete) return m;
  auto c = sampling::read_dataset(dir + "/dataset.h5");
  EXPECT_TRUE(c.ok()) << c.message();
  if (c) m->contents = std::move(c.value());
  return m;
}

}  // namespace

TEST(DatasetTimeCourse, RowsAreTheTimeCoursesOfTheirFluxesAndDrawnPools) {
  TempDir dir("rows");
  auto m = make(toy_recipe(), 40, dir.str(), {.threads = 2});
  ASSERT_TRUE(m);
  const auto& c = m->contents;
  ASSERT_EQ(c.rows, 40);
  const sampling::TimeCourse& tc = m->in.provenance.time_course;
  ASSERT_EQ(tc.times, (std::vector<double>{0.25, 1, 4}));
  ASSERT_EQ(tc.pools.size(), 5u);  // molB..molF, every one drawn in [0.2, 5]
  const auto pool_columns = tc.output_columns();
  ASSERT_EQ(pool_columns.size(), 5u);
  const Eigen::Index n_free = m->in.space->n_free(), n_full = m->in.space->n_reactions() + m->in.space->n_exchange();
  ASSERT_EQ(c.free_fluxes.cols(), n_free + 5);
  ASSERT_EQ(c.fluxes.cols(), n_full + 5);
  for (std::size_t j = 0; j < 5; ++j) {
    EXPECT_EQ(c.free_columns[static_cast<std::size_t>(n_free) + j], pool_columns[j]);
    EXPECT_EQ(c.flux_columns[static_cast<std::size_t>(n_full) + j], pool_columns[j]);
  }
  // the layout: every experiment at every time, experiment-major
  const auto layout = sampling::MidLayout::from_json(c.manifest.at("settings").at("layout"));
  ASSERT_EQ(layout.times, tc.times);
  ASSERT_EQ(layout.experiments.size(), 6u * 3u);
  EXPECT_EQ(layout.experiments[0], "e1@0.25");
  EXPECT_EQ(layout.experiments[4], "e2@1");
  EXPECT_EQ(layout.n_tracer_experiments(), 6u);
  // each row: its MIDs are the time course simulated directly at its fluxes and pools
  const auto indices = tc.metabolite_indices(*m->in.model);
  ASSERT_TRUE(indices.ok());
  isotope::EmuSimulator sim(m->in.traced[0].model);
  isotope::InstationaryOptions inst;
  inst.times = tc.times;
  inst.tolerance = tc.tolerance;
  double worst = 0, smallest = 10, largest = 0;
  for (Eigen::Index r = 0; r < c.rows; ++r) {
    const FluxVector v = m->in.space->free_to_full(c.free_fluxes.row(r).head(n_free).transpose());
    std::vector<double> pools(m->in.model->metabolites.size(), 0.0);
    for (std::size_t j = 0; j < 5; ++j) {
      const double size = c.free_fluxes(r, n_free + static_cast<Eigen::Index>(j));
      EXPECT_EQ(size, c.fluxes(r, n_full + static_cast<Eigen::Index>(j)));
      smallest = std::min(smallest, size);
      largest = std::max(largest, size);
      pools[indices.value()[j]] = size;
    }
    std::vector<isotope::MidSet> series;
    ASSERT_EQ(sim.simulate_instationary(v, pools, m->in.traced[0].inputs, inst, series), isotope::SimulationStatus::ok);
    for (std::size_t k = 0; k < series.size(); ++k)
      for (int x = 0; x < series[k].n_experiments; ++x)
        for (std::size_t f = 0; f < series[k].offsets.size(); ++f) {
          const auto mid = series[k].mid(x, f);
          for (std::size_t q = 0; q < mid.size(); ++q)
            worst = std::max(worst, std::fabs(c.mids(r, static_cast<Eigen::Index>(layout.index(f, static_cast<std::size_t>(x) * 3 + k, static_cast<int>(q)))) - mid[q]));
        }
  }
  EXPECT_EQ(worst, 0.0);  // the same arithmetic
  EXPECT_GE(smallest, 0.2);
  EXPECT_LE(largest, 5.0);
  EXPECT_LT(smallest, 0.4);  // spread over the range (log-uniform: 200 draws)
  EXPECT_GT(largest, 2.5);
  // the provenance keeps the time course
  auto p = sampling::DatasetProvenance::from_json(c.manifest.at("settings").at("provenance"));
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(p.value().time_course.times, tc.times);
  ASSERT_EQ(p.value().time_course.pools.size(), 5u);
  EXPECT_EQ(p.value().time_course.pools[0].lower, 0.2);
}

TEST(DatasetTimeCourse, SameRowsWithOneOrTwoThreadsAndAfterAnInterruption) {
  TempDir one("one"), two("two");
  auto a = make(toy_recipe(), 50, one.str(), {.threads = 1});
  ASSERT_TRUE(a);
  auto stopped = make(toy_recipe(), 50, two.str(), {.threads = 2, .stop_after_parts = 2});
  ASSERT_TRUE(stopped);
  EXPECT_FALSE(fs::exists(two.str("dataset.h5")));
  auto b = make(toy_recipe(), 50, two.str(), {.threads = 2}, true);
  ASSERT_TRUE(b);
  EXPECT_TRUE(a->contents.mids == b->contents.mids);
  EXPECT_TRUE(a->contents.free_fluxes == b->contents.free_fluxes);
  EXPECT_TRUE(a->contents.fluxes == b->contents.fluxes);
}

TEST(DatasetTimeCourse, PoolTableRangesAndErrors) {
  TempDir dir("recipe");
  {
    std::ofstream(dir.str("pools.tsv")) << "metabolite\tsize\tstatus\tlower\tupper\nmolB\t1\tfree\t0.5\t2\nmolC\t0.7\tfixed\nmolX\t1\n";
  }
  auto r = toy_recipe();
  r.pools = dir.str("pools.tsv");
  // molX is not the model's: an error at its line
  auto bad = sampling::load_dataset_inputs(r);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("molX"), std::string::npos) << bad.message();
  EXPECT_NE(bad.message().find(":4:"), std::string::npos) << bad.message();
  {
    std::ofstream(dir.str("pools.tsv")) << "metabolite\tsize\tstatus\tlower\tupper\nmolB\t1\tfree\t0.5\t2\nmolC\t0.7\tfixed\n";
  }
  auto ok = sampling::load_dataset_inputs(r);
  ASSERT_TRUE(ok.ok()) << ok.message();
  const auto& pools = ok.value().provenance.time_course.pools;
  ASSERT_EQ(pools.size(), 5u);
  std::map<std::string, std::pair<double, double>> range;
  for (const auto& p : pools) range[p.metabolite] = {p.lower, p.upper};
  EXPECT_EQ(range["molB"], (std::pair<double, double>{0.5, 2}));
  EXPECT_EQ(range["molC"], (std::pair<double, double>{0.7, 0.7}));  // fixed: not an output
  EXPECT_EQ(range["molD"], (std::pair<double, double>{0.2, 5}));    // --pool-range
  EXPECT_EQ(ok.value().provenance.time_course.output_columns().size(), 4u);
  // no size for the others
  r.pool_range.clear();
  auto missing = sampling::load_dataset_inputs(r);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("no pool size for molD"), std::string::npos) << missing.message();
  r.default_pool = 1;
  EXPECT_TRUE(sampling::load_dataset_inputs(r).ok());
  // pools without times, times out of order, a bad range
  auto steady = toy_recipe();
  steady.times.clear();
  auto no_times = sampling::load_dataset_inputs(steady);
  ASSERT_FALSE(no_times.ok());
  EXPECT_NE(no_times.message().find("give --times"), std::string::npos) << no_times.message();
  auto order = toy_recipe();
  order.times = {"1", "0.5"};
  EXPECT_NE(sampling::load_dataset_inputs(order).message().find("ascending"), std::string::npos);
  auto range_bad = toy_recipe();
  range_bad.pool_range = {"5", "0.2"};
  EXPECT_NE(sampling::load_dataset_inputs(range_bad).message().find("--pool-range"), std::string::npos);
}

TEST(DatasetTimeCourse, ExpansionObservationsAndSimulatorOfAPredictor) {
  auto in = sampling::load_dataset_inputs(toy_recipe());
  ASSERT_TRUE(in.ok()) << in.message();
  const auto& tc = in.value().provenance.time_course;
  const Model& model = *in.value().model;
  const FluxSpace& space = *in.value().space;
  const learn::FluxExpansion x(space, &model, &tc);
  ASSERT_EQ(x.n_pools(), 5);
  const auto n_free = static_cast<Eigen::Index>(space.n_free());
  ASSERT_EQ(static_cast<Eigen::Index>(x.free_columns().size()), n_free + 5);
  EXPECT_EQ(x.columns().back(), "pool:molF");
  // pools pass through, clamped into their range
  Eigen::RowVectorXd free = Eigen::RowVectorXd::Zero(n_free + 5);
  free(0) = 0.5;
  free.tail(5) << 1, 0.01, 7, 0.3, 2;
  const Eigen::RowVectorXd full = x.expand(free).row(0);
  EXPECT_EQ(full.tail(5), (Eigen::RowVectorXd(5) << 1, 0.2, 5, 0.3, 2).finished());
  EXPECT_EQ(x.pool_sizes(full.transpose()).size(), 5);

  // observations: by experiment and time; missing times stay unknown
  const auto layout = sampling::make_mid_layout(in.value().traced, in.value().experiment_ids, tc.times);
  isotope::MidTable table;
  isotope::MeasuredMid mid;
  mid.experiment = "e2";
  mid.fragment = "molF";
  mid.fraction = {0.5, 0.2, 0.2, 0.1};
  mid.sd.assign(4, NAN);
  mid.time = 1.0;
  table.mids.push_back(mid);
  auto obs = learn::arrange_observations(table, layout, "t.tsv");
  ASSERT_TRUE(obs.ok()) << obs.message();
  const std::size_t field = 4;  // molF
  EXPECT_EQ(obs.value()[0].values(static_cast<Eigen::Index>(layout.index(field, 1 * 3 + 1, 1))), 0.2);
  EXPECT_FALSE(obs.value()[0].known[layout.index(field, 1 * 3 + 0, 1)]);
  EXPECT_GT(obs.value()[0].masked, 0.9);
  table.mids[0].time = 2.0;  // not a time of the predictor
  auto wrong = learn::arrange_observations(table, layout, "t.tsv");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.message().find("takes the times 0.25, 1, 4"), std::string::npos) << wrong.message();
  table.mids[0].time = -1;  // no time
  EXPECT_NE(learn::arrange_observations(table, layout, "t.tsv").message().find("time column"), std::string::npos);

  // the layout simulator: the time course at given pools, and its Jacobian in the pools
  learn::LayoutSimulator sim(layout, in.value().traced, model, tc);
  ASSERT_TRUE(sim.time_course());
  Eigen::VectorXd f = Eigen::VectorXd::Zero(n_free);
  for (Eigen::Index j = 0; j < n_free; ++j) f(j) = space.free_net_columns().size() > static_cast<std::size_t>(j) ? 0.4 : 0.3;
  const FluxVector v = space.free_to_full(f);
  Eigen::VectorXd pools(5);
  pools << 0.8, 1.5, 0.4, 2.0, 1.1;
  Eigen::MatrixXd jac;
  const auto base = sim.simulate(v, pools, &jac);
  ASSERT_TRUE(base);
  ASSERT_EQ(jac.cols(), n_free + 5);
  EXPECT_FALSE(sim.simulate(v));                    // a time course needs the pools
  EXPECT_FALSE(sim.simulate(v, Eigen::VectorXd(2)));  // all of them
  double worst = 0, scale = 0;
  for (Eigen::Index j = 0; j < 5; ++j) {
    const double h = 1e-6 * pools(j);
    Eigen::VectorXd up = pools, down = pools;
    up(j) += h;
    down(j) -= h;
    const Eigen::VectorXd fd = (*sim.simulate(v, up) - *sim.simulate(v, down)) / (2 * h);
    worst = std::max(worst, (fd - jac.col(n_free + j)).cwiseAbs().maxCoeff());
    scale = std::max(scale, fd.cwiseAbs().maxCoeff());
  }
  EXPECT_GT(scale, 1e-2);  // the pools move the MIDs
  EXPECT_LT(worst, 1e-5 * std::max(1.0, scale)) << "pool Jacobian against central differences";
}
