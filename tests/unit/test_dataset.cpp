// Datasets: ML-Flux's input layout for every built-in model, rows equal to a direct
// simulation of their fluxes, the same contents whatever the threads, ranks and
// interruptions, the 0.8 / 0.1 / 0.1 split, and density acceptance spreading the MIDs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/sampling/dataset.hpp"

using namespace fluxion;
namespace fs = std::filesystem;

namespace {

// Everything a dataset of a built-in model needs; a fresh sampler stream per `make`.
struct Fixture {
  Model model;
  FluxSpace space;
  std::vector<isotope::TracedElement> elements;
  std::vector<std::string> experiments;
  std::optional<sampling::FluxSetSampler> sampler;

  explicit Fixture(const std::string& name) {
    auto m = io::load_model(name);
    EXPECT_TRUE(m.ok()) << m.message();
    model = m.value();
    auto s = FluxSpace::build(model);
    EXPECT_TRUE(s.ok()) << s.message();
    space = s.value();
    auto table = io::load_tracer_table(name);
    EXPECT_TRUE(table.ok()) << table.message();
    for (const auto& e : table.value().experiments) experiments.push_back(e.id);
    for (Element el : isotope::labelled_elements(table.value().experiments)) {
      isotope::EmuOptions eo;
      eo.element = el;
      auto emu = isotope::EmuModel::compile(model, space, eo);
      EXPECT_TRUE(emu.ok()) << emu.message();
      auto inputs = emu.value().inputs(table.value().experiments);
      EXPECT_TRUE(inputs.ok()) << inputs.message();
      elements.push_back({emu.value(), inputs.value()});
    }
  }

  sampling::DatasetGenerator make(const sampling::DatasetOptions& options, sampling::FluxSetOptions so = {}) {
    if (so.exchange == sampling::ExchangeSampling::uniform) so.exchange = sampling::ExchangeSampling::log_uniform;
    auto s = sampling::FluxSetSampler::create(model, space, {}, so);
    EXPECT_TRUE(s.ok()) << s.message();
    sampler.emplace(std::move(s.value()));
    return sampling::DatasetGenerator(space, *sampler, elements, experiments, options);
  }
};

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name) : path(fs::temp_directory_path() / ("fluxion_test_dataset_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string str(const std::string& sub = "") const { return (sub.empty() ? path : path / sub).string(); }
};

sampling::DatasetSummary generate(Fixture& f, const sampling::DatasetOptions& o, const std::string& dir, sampling::DatasetRun run = {}, bool resume = false) {
  auto g = f.make(o);
  auto p = g.prepare(dir, resume);
  EXPECT_TRUE(p.ok()) << p.message();
  run.progress = false;
  auto s = g.run(dir, run);
  EXPECT_TRUE(s.ok()) << s.message();
  return s.ok() ? s.value() : sampling::DatasetSummary{};
}

sampling::DatasetContents contents(const std::string& file) {
  auto c = sampling::read_dataset(file);
  EXPECT_TRUE(c.ok()) << c.message();
  return c.ok() ? c.value() : sampling::DatasetContents{};
}

void expect_same(const sampling::DatasetContents& a, const sampling::DatasetContents& b) {
  ASSERT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.draw, b.draw);
  EXPECT_EQ(a.row, b.row);
  EXPECT_TRUE(a.mids == b.mids);  // bit for bit
  EXPECT_TRUE(a.free_fluxes == b.free_fluxes);
  EXPECT_TRUE(a.fluxes == b.fluxes);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.validation, b.validation);
  EXPECT_EQ(a.test, b.test);
  EXPECT_EQ(a.manifest, b.manifest);
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

// The input sizes of ../shared/data/mlflux/derived/label_layout.tsv.
TEST(Dataset, LayoutOfEveryBuiltInModelIsMlFluxs) {
  const std::vector<std::tuple<std::string, std::size_t, int, std::size_t>> expected = {
      {"simple", 120, 4, 5}, {"glycolysis", 192, 8, 24}, {"glyppp", 3456, 8, 18}, {"ccm", 4800, 8, 30}};
  for (const auto& [name, size, width, fields] : expected) {
    Fixture f(name);
    const sampling::MidLayout layout = sampling::make_mid_layout(f.elements, f.experiments);
    EXPECT_EQ(layout.size(), size) << name;
    EXPECT_EQ(layout.width, width) << name;
    EXPECT_EQ(layout.fields.size(), fields) << name;
  }
  Fixture simple("simple");
  const sampling::MidLayout l = sampling::make_mid_layout(simple.elements, simple.experiments);
  std::vector<std::string> order;
  for (const auto& field : l.fields) order.push_back(field.metabolite);
  EXPECT_EQ(order, (std::vector<std::string>{"molB", "molC", "molD", "molE", "molF"}));
  EXPECT_EQ(l.index(1, 2, 3), (1u * 6 + 2) * 4 + 3);
}

TEST(Dataset, RowsAreTheSimulatedMidsOfTheirFluxes) {
  Fixture f("glycolysis");  // carbon and hydrogen fields
  TempDir dir("rows");
  sampling::DatasetOptions o;
  o.rows = 60;
  o.part_rows = 25;
  o.precision = sampling::MidPrecision::float64;
  generate(f, o, dir.str(), {.threads = 2});
  const sampling::DatasetContents c = contents(dir.str("dataset.h5"));
  ASSERT_EQ(c.rows, 60);
  const sampling::MidLayout layout = sampling::make_mid_layout(f.elements, f.experiments);
  ASSERT_EQ(c.mids.cols(), static_cast<Eigen::Index>(layout.size()));
  std::vector<isotope::EmuSimulator> sims;
  for (const auto& e : f.elements) sims.emplace_back(e.model);
  double worst = 0;
  for (Eigen::Index r = 0; r < c.rows; ++r) {
    const FluxVector v = f.space.free_to_full(c.free_fluxes.row(r).transpose());
    EXPECT_LT(f.space.steady_state_residual(v.net), 1e-9);
    std::size_t field = 0;
    for (std::size_t e = 0; e < f.elements.size(); ++e) {
      isotope::MidSet out;
      ASSERT_EQ(sims[e].simulate(v, f.elements[e].inputs, out), isotope::SimulationStatus::ok);
      for (std::size_t k = 0; k < out.offsets.size(); ++k, ++field)
        for (int x = 0; x < out.n_experiments; ++x) {
          const auto mid = out.mid(x, k);
          for (int q = 0; q < layout.width; ++q) {
            const double stored = c.mids(r, static_cast<Eigen::Index>(layout.index(field, static_cast<std::size_t>(x), q)));
            const double want = q < static_cast<int>(mid.size()) ? mid[static_cast<std::size_t>(q)] : 0.0;  // zero padding
            worst = std::max(worst, std::fabs(stored - want));
          }
        }
    }
    // the full fluxes are the free ones expanded
    for (Eigen::Index j = 0; j < f.space.n_reactions(); ++j) EXPECT_DOUBLE_EQ(c.fluxes(r, j), v.net(j));
  }
  EXPECT_EQ(worst, 0.0);  // the same arithmetic, so the same bits
  EXPECT_EQ(c.draw.front(), 0u);
  EXPECT_EQ(c.draw.back(), 59u);
}

TEST(Dataset, SameContentsWithOneOrTwoThreadsAndAfterAnInterruption) {
  Fixture f("ccm");
  sampling::DatasetOptions o;
  o.rows = 90;
  o.part_rows = 20;
  o.seed = 7;
  TempDir one("t1"), two("t2"), cut("cut");
  const auto s1 = generate(f, o, one.str(), {.threads = 1});
  EXPECT_TRUE(s1.complete);
  EXPECT_EQ(s1.parts_written, 5);
  generate(f, o, two.str(), {.threads = 2});
  const sampling::DatasetContents a = contents(one.str("dataset.h5")), b = contents(two.str("dataset.h5"));
  expect_same(a, b);
  EXPECT_EQ(file_bytes(one.str("dataset.h5")), file_bytes(two.str("dataset.h5")));  // no timestamps in the file

  // stopped after two parts, then resumed with another thread count
  const auto stopped = generate(f, o, cut.str(), {.threads = 2, .stop_after_parts = 2});
  EXPECT_FALSE(stopped.complete);
  EXPECT_FALSE(fs::exists(cut.str("dataset.h5")));
  EXPECT_TRUE(fs::exists(cut.str("parts/part-00000001.bin")));
  // a half-written part (a crash during a write) is a temporary file, ignored
  { std::ofstream(cut.str("parts/part-00000002.bin.tmp")) << "half"; }
  // without resume the directory is refused, and nothing in it is touched
  {
    auto g = f.make(o);
    auto p = g.prepare(cut.str(), false);
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.message().find("--resume"), std::string::npos) << p.message();
  }
  // with other settings too
  {
    sampling::DatasetOptions other = o;
    other.seed = 8;
    auto g = f.make(other);
    auto p = g.prepare(cut.str(), true);
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.message().find("/seed"), std::string::npos) << p.message();
  }
  const auto resumed = generate(f, o, cut.str(), {.threads = 1}, true);
  EXPECT_TRUE(resumed.complete);
  EXPECT_EQ(resumed.parts_resumed, 2);
  EXPECT_EQ(resumed.parts_written, 3);
  expect_same(a, contents(cut.str("dataset.h5")));
  EXPECT_FALSE(fs::exists(cut.str("parts")));
  // a finished dataset is never overwritten
  auto g = f.make(o);
  EXPECT_FALSE(g.prepare(cut.str(), false).ok());
  EXPECT_FALSE(g.prepare(cut.str(), true).ok());
}

TEST(Dataset, CorruptPartsAreSimulatedAgain) {
  Fixture f("simple");
  sampling::DatasetOptions o;
  o.rows = 50;
  o.part_rows = 10;
  TempDir whole("whole"), cut("corrupt");
  generate(f, o, whole.str());
  generate(f, o, cut.str(), {.stop_after_parts = 3});
  {  // flip a byte of part 1
    std::fstream p(cut.str("parts/part-00000001.bin"), std::ios::in | std::ios::out | std::ios::binary);
    p.seekp(100);
    p.put('\x7f');
  }
  const auto s = generate(f, o, cut.str(), {}, true);
  EXPECT_EQ(s.parts_resumed, 2);
  EXPECT_EQ(s.parts_written, 3);
  expect_same(contents(whole.str("dataset.h5")), contents(cut.str("dataset.h5")));
}

TEST(Dataset, ShardsOfTwoRanksHoldTheRowsOfOneProcess) {
  Fixture f("simple");
  sampling::DatasetOptions o;
  o.rows = 95;
  o.part_rows = 10;
  TempDir single("single"), sharded("sharded");
  generate(f, o, single.str());
  const sampling::DatasetContents all = contents(single.str("dataset.h5"));
  for (int rank = 0; rank < 2; ++rank) {
    auto g = f.make(o);
    if (rank == 0) {
      ASSERT_TRUE(g.prepare(sharded.str(), false).ok());
    }
    auto s = g.run(sharded.str(), {.threads = 1, .rank = rank, .ranks = 2, .progress = false});
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(s.value().rows, 95);
  }
  ASSERT_TRUE(sampling::write_shard_manifest(sharded.str(), 2).ok());
  long seen = 0;
  std::vector<std::uint64_t> train, validation, test;
  for (int rank = 0; rank < 2; ++rank) {
    const sampling::DatasetContents c = contents(sharded.str("shard-" + std::to_string(rank) + ".h5"));
    for (Eigen::Index i = 0; i < c.rows; ++i) {
      const auto r = static_cast<Eigen::Index>(c.row[static_cast<std::size_t>(i)]);
      EXPECT_EQ((r / 10) % 2, rank);  // parts alternate between the ranks
      EXPECT_TRUE(c.mids.row(i) == all.mids.row(r));
      EXPECT_TRUE(c.free_fluxes.row(i) == all.free_fluxes.row(r));
      ++seen;
    }
    train.insert(train.end(), c.train.begin(), c.train.end());
    validation.insert(validation.end(), c.validation.begin(), c.validation.end());
    test.insert(test.end(), c.test.begin(), c.test.end());
  }
  EXPECT_EQ(seen, 95);
  for (auto* v : {&train, &validation, &test}) std::sort(v->begin(), v->end());
  EXPECT_EQ(train, all.train);
  EXPECT_EQ(validation, all.validation);
  EXPECT_EQ(test, all.test);
  std::ifstream m(sharded.str("manifest.json"));
  const auto manifest = nlohmann::json::parse(m);
  EXPECT_EQ(manifest["shards"].size(), 2u);
  EXPECT_EQ(manifest["rows"], 95);
}

TEST(Dataset, SplitIsMlFluxsAndAPartition) {
  const sampling::Split s = sampling::split_rows(117077, 0.1, 0.1, 1);
  EXPECT_EQ(s.train.size(), 93661u);
  EXPECT_EQ(s.validation.size(), 11708u);
  EXPECT_EQ(s.test.size(), 11708u);
  std::vector<char> seen(117077, 0);
  for (const auto* list : {&s.train, &s.validation, &s.test})
    for (auto r : *list) ++seen[r];
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), 117077);
  EXPECT_NE(sampling::split_rows(1000, 0.1, 0.1, 1).test, sampling::split_rows(1000, 0.1, 0.1, 2).test);
  EXPECT_EQ(sampling::split_rows(1000, 0.1, 0.1, 3).test, sampling::split_rows(1000, 0.1, 0.1, 3).test);
}

TEST(Dataset, StreamEndsAtTheDrawBudgetWithCaps) {
  Fixture f("simple");
  sampling::FluxSetOptions so;
  so.max_draws = 400;
  so.capped_columns = {f.space.free_net_columns().front()};
  so.cap_bins = 4;
  so.cap_per_bin = 30;  // at most 120 of the 400 draws fit
  sampling::DatasetOptions o;
  o.part_rows = 50;
  TempDir dir("budget");
  auto g = f.make(o, so);
  ASSERT_TRUE(g.prepare(dir.str(), false).ok());
  auto s = g.run(dir.str(), {.progress = false});
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_LE(s.value().rows, 120);
  EXPECT_GT(s.value().rows, 60);
  EXPECT_EQ(s.value().draws, 400);
  EXPECT_EQ(contents(dir.str("dataset.h5")).rows, s.value().rows);
}

// Distance-weighted acceptance keeps MIDs farther apart than plain draws do, and is as
// reproducible as the rest.
TEST(Dataset, DensityAcceptanceSpreadsTheMidsAndResumes) {
  Fixture f("simple");
  sampling::DatasetOptions o;
  o.rows = 300;
  o.part_rows = 64;
  o.density_neighbours = 10;
  TempDir dense("dense"), plain("plain"), cut("dense_cut"), threads("dense_t2");
  const auto s = generate(f, o, dense.str());
  EXPECT_GT(s.density_rejections, 0);
  sampling::DatasetOptions p = o;  //S  //S  //S
  p.density_neighbours = 0;
  generate(f, p, plain.str());
  const sampling::DatasetContents d = contents(dense.str("dataset.h5")), u = contents(plain.str("dataset.h5"));
  ASSERT_EQ(d.rows, 300);
  // The rule keeps a draw with probability ∝ its k-NN distance, so the kept rows' density
  // goes as p^(d/(d+1)) of the plain one (d: the MIDs' effective dimension): a mild
  // flattening, seen as larger k-NN distances (Kozachenko–Leonenko: higher entropy).
  auto mean_log_knn = [](const Eigen::MatrixXd& m) {
    double sum = 0;
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      std::vector<double> d;
      for (Eigen::Index j = 0; j < m.rows(); ++j)
        if (j != i) d.push_back((m.row(i) - m.row(j)).squaredNorm());
      std::nth_element(d.begin(), d.begin() + 9, d.end());
      sum += 0.5 * std::log(d[9]);
    }
    return sum / static_cast<double>(m.rows());
  };
  // measured: +0.07 to +0.12 over acceptance seeds 1-4 (plain: -1.50)
  EXPECT_GT(mean_log_knn(d.mids), mean_log_knn(u.mids) + 0.04);
  // rows come from increasing draws, some skipped
  EXPECT_TRUE(std::is_sorted(d.draw.begin(), d.draw.end()));
  EXPECT_GT(d.draw.back(), 299u);

  generate(f, o, threads.str(), {.threads = 2});
  expect_same(d, contents(threads.str("dataset.h5")));
  generate(f, o, cut.str(), {.threads = 2, .stop_after_parts = 2});
  const auto resumed = generate(f, o, cut.str(), {.threads = 1}, true);
  EXPECT_EQ(resumed.parts_resumed, 2);
  expect_same(d, contents(cut.str("dataset.h5")));

  // one process only
  auto g = f.make(o);
  TempDir mpi("dense_mpi");
  ASSERT_TRUE(g.prepare(mpi.str(), false).ok());
  auto r = g.run(mpi.str(), {.rank = 0, .ranks = 2, .progress = false});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("mpirun"), std::string::npos);
}

TEST(Dataset, ReadingRefusesWhatIsNotADataset) {
  TempDir dir("notds");
  fs::create_directories(dir.path);
  { std::ofstream(dir.str("x.h5")) << "not hdf5"; }
  auto r = sampling::read_dataset(dir.str("x.h5"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("not an HDF5 file"), std::string::npos);
}
