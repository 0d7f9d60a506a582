// The neural processes of src/dynamics: layer sizes against the reference's parameter counts
// (all 204 stored SNODEP runs follow these formulas, ../shared/notes/snodep.md §2), shapes and
// ranges, the data layer, the synthetic benchmark, and a short training on it that must learn
// the day-to-day change of expression better than a constant does.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>

#include "fluxion/dynamics/flux_series.hpp"
#include "fluxion/dynamics/neural_process.hpp"
#include "fluxion/dynamics/synthetic.hpp"
#include "fluxion/dynamics/time_series.hpp"
#include "distributions.hpp"
#include "process_model.hpp"

using namespace fluxion::dynamics;

namespace {

std::int64_t count(ProcessKind kind, int y, EncoderKind encoder, Likelihood likelihood, bool masks) {
  ProcessSpec s = default_spec(kind, y);
  s.encoder = encoder;
  s.likelihood = likelihood;
  s.mask_input = masks;
  return ProcessModel(s)->parameter_count();
}

}  // namespace

TEST(NeuralProcessModel, ParameterCountsMatchTheReference) {
  for (int y : {9, 15, 84, 281, 791}) {
    SCOPED_TRACE(y);
    EXPECT_EQ(count(ProcessKind::nodep, y, EncoderKind::mlp, Likelihood::normal, false), 172 * y + 28760);
    EXPECT_EQ(count(ProcessKind::nodep, y, EncoderKind::mlp, Likelihood::normal, true), 222 * y + 28760);
    EXPECT_EQ(count(ProcessKind::snodep, y, EncoderKind::lstm, Likelihood::poisson, false), 322 * y + 36510);
    EXPECT_EQ(count(ProcessKind::snodep, y, EncoderKind::lstm, Likelihood::normal, false), 322 * y + 36510);
    EXPECT_EQ(count(ProcessKind::snodep, y, EncoderKind::lstm, Likelihood::normal, true), 522 * y + 36510);
    EXPECT_EQ(count(ProcessKind::snodep, y, EncoderKind::gru_ode, Likelihood::normal, true), 722 * y + 97010);
    EXPECT_EQ(count(ProcessKind::np, y, EncoderKind::mlp, Likelihood::normal, false), 182 * y + 29460);
  }
  // the notes' worked examples
  EXPECT_EQ(count(ProcessKind::nodep, 281, EncoderKind::mlp, Likelihood::normal, false), 77092);
  EXPECT_EQ(count(ProcessKind::snodep, 281, EncoderKind::lstm, Likelihood::poisson, false), 126992);
  EXPECT_EQ(count(ProcessKind::snodep, 9, EncoderKind::gru_ode, Likelihood::normal, true), 103508);
}

TEST(NeuralProcessModel, ShapesAndRanges) {
  torch::manual_seed(3);
  const std::vector<double> times{0.0, 0.1, 0.2, 0.3, 0.4, 0.5};
  for (auto kind : {ProcessKind::np, ProcessKind::nodep, ProcessKind::snodep}) {
    for (auto encoder : {EncoderKind::mlp, EncoderKind::lstm, EncoderKind::gru_ode}) {
      if (kind == ProcessKind::np && encoder != EncoderKind::mlp) continue;
      SCOPED_TRACE(std::string(to_string(kind)) + " " + to_string(encoder));
      ProcessSpec s = default_spec(kind, 7);
      s.encoder = encoder;
      s.mask_input = encoder == EncoderKind::gru_ode;
      ProcessModel net(s);
      const auto y = torch::poisson(torch::full({5, 6, 7}, 0.5));
      const auto x = s.mask_input ? torch::cat({y, torch::ones_like(y)}, 2) : y;
      const auto q = net->encode(std::vector<double>(times.begin(), times.begin() + 4), x.slice(1, 0, 4));
      ASSERT_EQ(q.mu.sizes(), (std::vector<int64_t>{5, s.z_dim}));
      EXPECT_GE(q.sigma.min().item<double>(), 0.1);
      EXPECT_LE(q.sigma.max().item<double>(), 1.0);
      const auto z = net->sample_latent(q);
      if (s.lognormal_latent) {
        EXPECT_GT(z.min().item<double>(), 0.0);
      }
      OdeStats stats;
      const auto p = net->decode(z, times, &stats);
      ASSERT_EQ(p.loc.sizes(), (std::vector<int64_t>{5, 6, 7}));
      EXPECT_TRUE(torch::isfinite(p.log_prob(y)).all().item<bool>());
      if (s.likelihood == Likelihood::poisson) {
        EXPECT_GT(p.loc.min().item<double>(), 0.0);
      }
      if (kind != ProcessKind::np) {
        EXPECT_TRUE(stats.ok);
        EXPECT_GT(stats.evaluations, 6);  // adaptive steps through [-0.1, 0.5]
      }
      // the loss reaches every parameter that takes part (all but the unused blocks)
      const auto loss = -p.log_prob(y).sum() + normal_kl(q.mu, q.sigma, q.mu.detach(), q.sigma.detach()).sum();
      loss.backward();
      std::int64_t with_gradient = 0;
      for (const auto& param : net->parameters())
        if (param.grad().defined() && param.grad().abs().sum().item<double>() > 0) with_gradient += param.numel();
      std::int64_t unused = 0;
      if (s.likelihood == Likelihood::poisson) unused += (s.kind == ProcessKind::np ? s.h_dim : s.l_dim + s.h_dim) * 7 + 7;
      if (encoder == EncoderKind::gru_ode) unused += 2 * (100 * 100 + 100);
      EXPECT_EQ(with_gradient, net->parameter_count() - unused);
    }
  }
}

// The baselines (Latent ODE, RNN-VAE): shapes, a fixed observation σ, and a short training that
// runs to the end with finite losses.
TEST(NeuralProcessModel, Baselines) {
  torch::manual_seed(5);
  const std::vector<double> times{0.0, 0.1, 0.2, 0.3, 0.4, 0.5};
  for (auto kind : {ProcessKind::latent_ode, ProcessKind::rnn_vae}) {
    SCOPED_TRACE(to_string(kind));
    ProcessModel net(default_spec(kind, 7));
    const auto y = torch::poisson(torch::full({5, 6, 7}, 0.5));
    const auto q = net->encode(std::vector<double>(times.begin(), times.begin() + 4), torch::cat({y, torch::ones_like(y)}, 2).slice(1, 0, 4));
    ASSERT_EQ(q.mu.sizes(), (std::vector<int64_t>{5, 10}));
    EXPECT_GT(q.sigma.min().item<double>(), 0.0);
    const auto p = net->decode(net->sample_latent(q), times);
    ASSERT_EQ(p.loc.sizes(), (std::vector<int64_t>{5, 6, 7}));
    EXPECT_NEAR(p.scale.max().item<double>(), 0.01, 1e-9);
  }
  SyntheticOptions so;
  auto syn = make_synthetic(so);
  ASSERT_TRUE(syn);
  for (const char* model : {"lode", "rnn-vae"}) {
    NeuralProcessOptions o;
    o.model = model;
    o.epochs = 3;
    o.trajectories = 200;
    o.test_trajectories = 50;
    o.w1_samples = 0;
    auto r = train_neural_process({{"syn", syn.value().expression}}, o);
    ASSERT_TRUE(r) << r.message();
    EXPECT_TRUE(r.value().summary.usable) << r.value().summary.brief();
    EXPECT_TRUE(std::isfinite(r.value().evaluation.paper_mse));
    EXPECT_NE(r.value().protocol.find("Adamax"), std::string::npos);
  }
}

TEST(TimeSeriesData, WriteReadAndDraw) {
  TimeSeries s;
  s.features = {"a", "b"};
  s.days = {0, 1, 3};
  for (int d = 0; d < 3; ++d) {
    Eigen::MatrixXf x(4 + d, 2);
    for (int i = 0; i < x.rows(); ++i) x.row(i) << static_cast<float>(10 * d + i), static_cast<float>(i % 2);
    s.cells.push_back(x);
  }
  const auto dir = std::filesystem::temp_directory_path() / "fluxion_test_time_series";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(write_time_series(s, dir.string()));
  auto back = load_time_series(dir.string());
  ASSERT_TRUE(back) << back.message();
  EXPECT_EQ(back.value().days, s.days);
  EXPECT_EQ(back.value().features, s.features);
  for (int d = 0; d < 3; ++d) EXPECT_TRUE(back.value().cells[static_cast<std::size_t>(d)].isApprox(s.cells[static_cast<std::size_t>(d)]));

  auto pools = split_cells(s, 0.25, 5);
  for (std::size_t d = 0; d < 3; ++d) {
    EXPECT_EQ(pools.train[d].size() + pools.test[d].size(), static_cast<std::size_t>(s.cells[d].rows()));
    EXPECT_GE(pools.test[d].size(), 1U);
    std::vector<int> both = pools.train[d];
    both.insert(both.end(), pools.test[d].begin(), pools.test[d].end());
    std::sort(both.begin(), both.end());
    EXPECT_EQ(std::adjacent_find(both.begin(), both.end()), both.end());
  }
  std::mt19937_64 rng(1);
  const auto t = draw_trajectories(s, pools.train, 50, rng);
  ASSERT_EQ(t.size(), 50U * 3 * 2);
  for (int i = 0; i < 50; ++i)
    for (int d = 0; d < 3; ++d) {
      const float a = t[(static_cast<std::size_t>(i) * 3 + static_cast<std::size_t>(d)) * 2];
      const int cell = static_cast<int>(a) - 10 * d;  // the cell's index, recovered from its value
      EXPECT_NE(std::find(pools.train[static_cast<std::size_t>(d)].begin(), pools.train[static_cast<std::size_t>(d)].end(), cell),
                pools.train[static_cast<std::size_t>(d)].end());
    }
  // the per-day variance floor: column variances averaged
  const auto floor = day_variance_floor(s);
  const double var_a = (1.5 * 1.5 + 0.5 * 0.5) * 2 / 4, var_b = 0.25;
  EXPECT_NEAR(floor[0], (var_a + var_b) / 2, 1e-6);

  // bad input: features differ between days, a file with no days
  std::filesystem::remove(dir / "d3.csv.gz");
  {
    std::ofstream bad(dir / "d3.csv");
    bad << "\"\",\"c1\"\n\"a\",1\n\"z\",2\n";
  }
  auto mismatch = load_time_series(dir.string());
  ASSERT_FALSE(mismatch);
  EXPECT_NE(mismatch.message().find("d3.csv"), std::string::npos) << mismatch.message();
  EXPECT_NE(mismatch.message().find("'z'"), std::string::npos) << mismatch.message();
  EXPECT_FALSE(load_time_series((dir / "nothing").string()));
  std::filesystem::remove_all(dir);
}

TEST(SyntheticBenchmark, DeterministicSparseAndKnockouts) {
  SyntheticOptions o;
  o.seed = 4;
  auto a = make_synthetic(o), b = make_synthetic(o);
  ASSERT_TRUE(a && b);
  const auto& s = a.value();
  ASSERT_EQ(s.expression.days.size(), 16U);
  EXPECT_EQ(s.expression.n_features(), 24U);
  EXPECT_EQ(s.flux.n_features(), 6U);
  EXPECT_EQ(s.balance.n_features(), 4U);
  EXPECT_EQ(s.expression.cells[0].rows(), 106);  // round(847 / 8)
  for (std::size_t d = 0; d < 16; ++d) EXPECT_TRUE(s.expression.cells[d].isApprox(b.value().expression.cells[d]));
  // mostly zeros, as the real pathway counts (84.7–93.8 %); this configuration lands a little lower
  EXPECT_GT(s.zero_fraction, 0.78);
  EXPECT_LT(s.zero_fraction, 0.95);
  // fluxes scaled so that a cell's module fluxes sum to 1 on average; balances are S·flux
  double total = 0;
  for (const auto& f : s.flux.cells) total += f.sum();
  EXPECT_NEAR(total / static_cast<double>(s.flux.n_cells()), 1.0, 1e-4);
  const Eigen::MatrixXf& f0 = s.flux.cells[3];
  const Eigen::MatrixXf& b0 = s.balance.cells[3];
  EXPECT_NEAR(b0(0, 1), f0(0, 1) - f0(0, 2) - f0(0, 3), 1e-5);  // B: M2 − M3 − M4
  // a knocked-out gene has no counts
  o.knockout_genes = {0, 5};
  auto ko = make_synthetic(o);
  ASSERT_TRUE(ko);
  for (const auto& x : ko.value().expression.cells) {
    EXPECT_EQ(x.col(0).sum(), 0.0f);
    EXPECT_EQ(x.col(5).sum(), 0.0f);
    EXPECT_GT(x.col(2).sum() + x.col(3).sum(), 0.0f);
  }
  o.knockout_genes = {24};
  EXPECT_FALSE(make_synthetic(o));
}

// Algorithm 1's draw and the per-configuration scFEA fits on the synthetic network.
TEST(FluxSeries, KnockoutsOfTheTopGenes) {
  SyntheticOptions so;
  auto syn = make_synthetic(so);
  ASSERT_TRUE(syn);
  const auto& x = syn.value().expression;
  KnockoutOptions ko;
  ko.top_genes = 6;
  ko.sets = 4;
  ko.max_size = 3;
  auto sets = draw_knockouts(x, ko);
  ASSERT_TRUE(sets) << sets.message();
  // the six genes with the most counts over all days
  std::vector<std::pair<double, std::string>> totals;
  for (std::size_t g = 0; g < x.n_features(); ++g) {
    double t = 0;
    for (const auto& day : x.cells) t += day.col(static_cast<Eigen::Index>(g)).sum();
    totals.emplace_back(-t, x.features[g]);
  }
  std::sort(totals.begin(), totals.end());
  std::set<std::string> top;
  for (int i = 0; i < 6; ++i) top.insert(totals[static_cast<std::size_t>(i)].second);
  ASSERT_EQ(sets.value().size(), 4U);
  for (const auto& s : sets.value()) {
    EXPECT_GE(s.genes.size(), 1U);
    EXPECT_LE(s.genes.size(), 3U);
    for (const auto& g : s.genes) EXPECT_TRUE(top.count(g)) << g;
  }
  auto net = fluxion::io::read_scfea_network({"modules.gmt", "cmMat.csv", "", ""}, syn.value().module_genes_gmt, syn.value().stoichiometry_csv);
  ASSERT_TRUE(net) << net.message();
  fluxion::scflux::ScfeaOptions fit;
  fit.epochs = 5;
  fit.threads = 1;
  auto series = knockout_series(x, net.value(), {sets.value().front()}, fit);
  ASSERT_TRUE(series) << series.message();
  ASSERT_EQ(series.value().flux.size(), 2U);
  const auto& knocked = series.value().flux[1].series;
  ASSERT_EQ(knocked.n_features(), 6U + 24U);
  EXPECT_EQ(knocked.features[6], "present:G1");
  for (std::size_t g = 0; g < 24; ++g) {
    const bool out = std::count(sets.value().front().genes.begin(), sets.value().front().genes.end(), x.features[g]) > 0;
    EXPECT_EQ(knocked.cells[0](0, static_cast<Eigen::Index>(6 + g)), out ? 0.0f : 1.0f);
    EXPECT_EQ(series.value().flux[0].series.cells[3](2, static_cast<Eigen::Index>(6 + g)), 1.0f);
  }
  // the balance is the stoichiometry times the fluxes, cell by cell
  const auto& f = series.value().flux[0].series.cells[2];
  const auto& b = series.value().balance[0].series.cells[2];
  for (Eigen::Index c = 0; c < 5; ++c) EXPECT_NEAR(b(c, 1), f(c, 1) - f(c, 2) - f(c, 3), 1e-4);
  EXPECT_FALSE(knockout_series(x, net.value(), {{"ko_x", {"NOPE"}}}, fit));
}

// The reference draws its pseudo-trajectories with numpy's legacy RandomState(42) through pandas'
// DataFrame.sample. numpy's own output for seed 42, permutation(10) is 8 1 5 0 7 2 9 4 3 6; the
// continued stream below was computed independently with CPython's Mersenne Twister put in
// numpy's seeded state (random.setstate) and numpy's masked-rejection bounded integers.
TEST(TimeSeriesData, ReferenceDrawIsNumpys) {
  EXPECT_EQ(numpy_legacy_permutation(10, 42), (std::vector<int>{8, 1, 5, 0, 7, 2, 9, 4, 3, 6}));
  EXPECT_EQ(numpy_legacy_permutation(12, 7), (std::vector<int>{7, 10, 2, 5, 0, 1, 11, 8, 3, 6, 9, 4}));
  TimeSeries s;
  s.features = {"a"};
  s.days = {0, 1, 2};
  for (int n : {10, 3, 7}) {
    Eigen::MatrixXf x(n, 1);
    for (int i = 0; i < n; ++i) x(i, 0) = static_cast<float>(i);
    s.cells.push_back(x);
  }
  const auto cells = reference_trajectory_cells(s, 4);
  EXPECT_EQ(cells, (std::vector<std::vector<int>>{{8, 1, 0}, {9, 0, 1}, {1, 1, 4}, {0, 0, 6}}));
  const auto values = gather_trajectories(s, cells);
  ASSERT_EQ(values.size(), 12U);
  EXPECT_EQ(values[3], 9.0f);  // trajectory 1, day 0
  EXPECT_EQ(values[11], 6.0f);
}

TEST(NeuralProcessTraining, RejectsBadOptions) {
  SyntheticOptions so;
  auto syn = make_synthetic(so);
  ASSERT_TRUE(syn);
  std::vector<NamedSeries> data{{"syn", syn.value().expression}};
  NeuralProcessOptions o;
  o.model = "lstm";
  o.target_points = 20;
  o.frequency = 0;
  o.reference_draw = true;  // with the default holdout
  auto r = train_neural_process(data, o);
  ASSERT_FALSE(r);
  const auto m = r.message();
  EXPECT_NE(m.find("model"), std::string::npos) << m;
  EXPECT_NE(m.find("--target "), std::string::npos) << m;  // the option the user gives
  EXPECT_NE(m.find("frequency"), std::string::npos) << m;
  EXPECT_NE(m.find("--holdout 0"), std::string::npos) << m;
  // the Poisson likelihood needs counts
  data.front().series.cells[2](0, 0) = 0.5f;
  NeuralProcessOptions counts;
  auto not_counts = train_neural_process(data, counts);
  ASSERT_FALSE(not_counts);
  EXPECT_NE(not_counts.message().find("counts"), std::string::npos) << not_counts.message();
}

// A short SNODEP training on syn-small: its predicted per-day mean expression must be closer to
// the true means (20,000 simulated cells per day would be the notes' reference; 3,000 here) than
// the best constant is, on days it was trained on and on days it never saw. The cells are
// observed every quarter day, where the toggle switch moves, and sequenced 20× deeper than the
// default, so that the change of the means stands out of the Poisson noise of a small run.
TEST(NeuralProcessTraining, LearnsTheSyntheticDynamicsBetterThanAConstant) {
  SyntheticOptions so;
  so.seed = 11;
  so.truth_cells = 3000;
  so.interval = 0.25;
  so.library_scale = 20;
  auto syn = make_synthetic(so);
  ASSERT_TRUE(syn);
  const auto& s = syn.value();
  NeuralProcessOptions o;
  o.model = "snodep";
  o.epochs = 60;
  o.trajectories = 500;
  o.test_trajectories = 100;
  o.solver = "rk4";
  o.step = 0.1;
  o.holdout = 0.2;
  o.w1_samples = 100;
  o.seed = 7;
  auto r = train_neural_process({{"syn", s.expression}}, o);
  ASSERT_TRUE(r) << r.message();
  const auto& res = r.value();
  ASSERT_TRUE(res.summary.usable) << res.summary.brief();
  ASSERT_EQ(res.history.size(), 60U);
  EXPECT_LT(res.history.back().train_loss, res.history.front().train_loss);
  ASSERT_EQ(res.evaluation.fresh.mse.size(), 16U);
  ASSERT_EQ(res.evaluation.fresh.w1_exact.size(), 16U);

  auto pred = res.model.predict(s.expression, std::vector<double>{0, 1, 2, 4, 8, 12, 15}, 2000, 3);
  ASSERT_TRUE(pred) << pred.message();
  const auto& p = pred.value();
  // the constant: each gene's mean over all observed cells and days
  Eigen::VectorXd constant = Eigen::VectorXd::Zero(24);
  for (const auto& x : s.expression.cells) constant += x.cast<double>().colwise().sum().transpose();
  constant /= static_cast<double>(s.expression.n_cells());
  double model_error = 0, constant_error = 0;
  for (std::size_t k = 0; k < p.days.size(); ++k) {
    const auto day = static_cast<std::size_t>(p.days[k]);
    const Eigen::VectorXd predicted = p.mean[k].cast<double>().colwise().mean().transpose();
    const Eigen::VectorXd truth = Eigen::Map<const Eigen::VectorXd>(s.true_expression_mean[day].data(), 24);
    std::printf("day %zu: model %.4f, constant %.4f\n", day, (predicted - truth).squaredNorm(), (constant - truth).squaredNorm());
    model_error += (predicted - truth).squaredNorm();
    constant_error += (constant - truth).squaredNorm();
  }
  EXPECT_LT(model_error, 0.5 * constant_error) << "model " << model_error << " vs constant " << constant_error;

  // saved and loaded, the model predicts the same for the same seed
  const auto dir = std::filesystem::temp_directory_path() / "fluxion_test_np_model";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(res.model.save(dir.string()));
  auto loaded = NeuralProcess::load(dir.string());
  ASSERT_TRUE(loaded) << loaded.message();
  EXPECT_EQ(loaded.value().parameter_count(), res.model.parameter_count());
  auto again = loaded.value().predict(s.expression, std::vector<double>{0, 15}, 50, 9);
  auto first = res.model.predict(s.expression, std::vector<double>{0, 15}, 50, 9);
  ASSERT_TRUE(again && first);
  EXPECT_TRUE(again.value().mean[1].isApprox(first.value().mean[1], 1e-5f));
  std::filesystem::remove_all(dir);
}
