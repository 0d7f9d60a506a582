// ML-Flux's transforms (inverse right for every value) and the flux predictor: a small
// network beats the training mean, training is reproducible, a package loads back.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/cell_matrix.hpp"
#include "fluxion/io/mid_table.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/learn/flux_predictor.hpp"
#include "fluxion/learn/imputation.hpp"
#include "fluxion/learn/pcnn.hpp"
#include "fluxion/learn/prediction.hpp"
#include "fluxion/learn/scoring.hpp"
#include "fluxion/learn/transforms.hpp"
#include "fluxion/sampling/dataset.hpp"
#include "fluxion/sampling/flux_sets.hpp"
#include "fluxion/sampling/samplers.hpp"
#include "simple_dataset.hpp"

using namespace fluxion;
using fluxion::test_support::simple_dataset;
namespace fs = std::filesystem;

TEST(Transforms, RoundTripAndJoint) {
  for (double v = -27; v < 2000; v += (v < 10 ? 0.01 : 1.7)) EXPECT_NEAR(learn::output_to_net(learn::net_to_output(v)), v, 1e-9 * std::max(1.0, std::fabs(v))) << v;
  // below, the logistic branch is saturated: the inverse stops at logit(1e-12) = -27.63
  EXPECT_NEAR(learn::output_to_net(learn::net_to_output(-40)), std::log(1e-12 / (1 - 1e-12)), 1e-9);
  for (double x = 0; x < 1e4; x = x < 1e-3 ? x + 3e-6 : x * 1.01) EXPECT_NEAR(learn::output_to_exchange(learn::exchange_to_output(x)), x, 1e-10 * std::max(1.0, x)) << x;
  // the branches meet: logistic(3.89048) = log4(3.89048) to 4e-7
  EXPECT_NEAR(1.0 / (1.0 + std::exp(-learn::kNetJoint)), std::log(learn::kNetJoint) / std::log(4.0), 4e-7);
  EXPECT_NEAR(learn::net_to_output(learn::kNetJoint - 1e-9), learn::net_to_output(learn::kNetJoint), 1e-6);
  EXPECT_NEAR(learn::exchange_to_output(1e-4 - 1e-15), learn::exchange_to_output(1e-4), 1e-9);
  EXPECT_EQ(learn::exchange_to_output(-1), -5);
}

// The reference's inverse gives NaN for y < 0 and -inf for y = 0: here every output is a
// finite flux, monotone in y.
TEST(Transforms, InverseIsFiniteAndMonotoneForEveryOutput) {
  double last_net = -INFINITY, last_x = -INFINITY;
  for (double y = -1e3; y < 1e2; y += 0.037) {
    const double v = learn::output_to_net(std::min(y, 30.0)), x = learn::output_to_exchange(std::min(y, 30.0));
    ASSERT_TRUE(std::isfinite(v)) << y;
    ASSERT_TRUE(std::isfinite(x)) << y;
    EXPECT_GE(v, last_net);
    EXPECT_GE(x, last_x);
    EXPECT_GE(x, 0.0);
    last_net = v;
    last_x = x;
  }
  EXPECT_TRUE(std::isfinite(learn::output_to_net(0.0)));
  EXPECT_TRUE(std::isfinite(learn::output_to_net(1.0)));
  EXPECT_TRUE(std::isfinite(learn::output_to_net(-3.0)));
  EXPECT_EQ(learn::output_to_exchange(-7), 0.0);
}


TEST(FluxPredictor, SmallModelBeatsTheTrainingMeanAndIsReproducible) {
  const sampling::DatasetContents d = simple_dataset(3000);
  learn::TrainOptions o;
  o.hidden = {64, 32};
  o.epochs = 25;
  o.batch = 64;
  o.progress = false;
  learn::TrainingHistory h;
  auto p = learn::FluxPredictor::train(d, o, h);
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_LT(h.validation_loss[static_cast<std::size_t>(h.best_epoch - 1)], h.validation_loss.front());
  const learn::TestErrors t = p.value().test_errors(d);
  // the two net fluxes (the exchange fluxes of the toy model are weakly identified)
  for (std::size_t j = 0; j < 2; ++j) {
    EXPECT_EQ(t.columns[j].rfind("net:", 0), 0u);
    EXPECT_LT(t.mae[j], 0.5 * t.trivial_mae[j]) << t.columns[j];
  }
  // same seed and threads: the same weights
  learn::TrainingHistory h2;
  auto q = learn::FluxPredictor::train(d, o, h2);
  const Eigen::MatrixXd probe = d.mids.topRows(20);
  EXPECT_TRUE(p.value().predict(probe) == q.value().predict(probe));
  EXPECT_EQ(h.validation_loss, h2.validation_loss);
  // saved and loaded: the same predictions
  const std::string path = (fs::temp_directory_path() / ("fluxion_test_pkg_" + std::to_string(::getpid()) + ".fluxpkg")).string();
  ASSERT_TRUE(p.value().save(path).ok());
  auto loaded = learn::FluxPredictor::load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  EXPECT_TRUE(loaded.value().predict(probe) == p.value().predict(probe));
  EXPECT_EQ(loaded.value().columns(), p.value().columns());
  fs::remove(path);
  EXPECT_THROW((void)p.value().predict(Eigen::MatrixXd::Zero(1, 7)), std::invalid_argument);
  // MIDs read as float32 (how `fluxion train` reads them): the same training
  const sampling::DatasetContents f = simple_dataset(3000, {.mids_float32 = true});
  EXPECT_EQ(f.mids.size(), 0);
  EXPECT_EQ(f.n_inputs(), 120);
  learn::TrainingHistory h3;
  auto r = learn::FluxPredictor::train(f, o, h3);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(h3.validation_loss, h.validation_loss);
  EXPECT_TRUE(f.mid_rows(d.test) == d.mid_rows(d.test).cast<float>().cast<double>());
  EXPECT_EQ(p.value().manifest()["training"]["learning_rate_final"], o.learning_rate);  // no decay asked
}

// The progress hook sees every epoch's losses and pauses the training when it returns false;
// the best weights so far come back, and the summary says so.
TEST(FluxPredictor, ProgressHookPausesTraining) {
  const sampling::DatasetContents d = simple_dataset(600);
  learn::TrainOptions o;
  o.hidden = {16};
  o.epochs = 10;
  o.batch = 64;
  o.progress = false;
  std::vector<long> seen;
  o.on_progress = [&](const Progress& p) {
    seen.push_back(p.done);
    EXPECT_EQ(p.total, 10);
    EXPECT_TRUE(std::isfinite(p.loss) && std::isfinite(p.score));
    return p.done < 3;
  };
  learn::TrainingHistory h;
  auto p = learn::FluxPredictor::train(d, o, h);
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(seen, (std::vector<long>{1, 2, 3}));
  EXPECT_EQ(h.train_loss.size(), 3U);
  EXPECT_TRUE(h.paused);
  EXPECT_EQ(h.summary.termination, Termination::stopped) << h.summary.brief();
  o.on_progress = {};
  learn::TrainingHistory full;
  ASSERT_TRUE(learn::FluxPredictor::train(d, o, full).ok());
  EXPECT_NE(full.summary.termination, Termination::stopped) << full.summary.brief();
}

// Learning-rate decay on plateaus: a halving after every epoch without a better validation
// loss (here: one epoch), never more than 8; the training still improves on its start.
TEST(FluxPredictor, LearningRateHalvesOnPlateaus) {
  const sampling::DatasetContents d = simple_dataset(1500);
  learn::TrainOptions o;
  o.hidden = {32};
  o.epochs = 40;
  o.batch = 64;
  o.learning_rate = 0.05;  // too large: the validation loss stalls and the rate must fall
  o.patience = 40;
  o.lr_decay_after = 1;
  o.progress = false;
  learn::TrainingHistory h;
  auto p = learn::FluxPredictor::train(d, o, h);
  ASSERT_TRUE(p.ok()) << p.message();
  const double final_lr = p.value().manifest()["training"]["learning_rate_final"];
  EXPECT_LT(final_lr, o.learning_rate);
  EXPECT_GE(final_lr, o.learning_rate / 256.0);
  const double halvings = std::log2(o.learning_rate / final_lr);
  EXPECT_NEAR(halvings, std::round(halvings), 1e-9);
  EXPECT_LT(h.validation_loss[static_cast<std::size_t>(h.best_epoch - 1)], h.validation_loss.front());
}

TEST(FluxPredictor, LoadRefusesWhatIsNotAPackage) {
  const std::string path = (fs::temp_directory_path() / ("fluxion_test_notpkg_" + std::to_string(::getpid()))).string();
  { std::ofstream(path) << "hello"; }
  auto r = learn::FluxPredictor::load(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("cannot be read as a predictor package"), std::string::npos) << r.message();
  fs::remove(path);
  EXPECT_FALSE(learn::FluxPredictor::load(path).ok());
}

namespace {

sampling::MidLayout simple_layout() {
  auto model = io::load_model("simple");
  auto space = FluxSpace::build(model.value());
  auto table = io::load_tracer_table("simple");
  auto emu = isotope::EmuModel::compile(model.value(), space.value(), {});
  auto inputs = emu.value().inputs(table.value().experiments);
  std::vector<std::string> ids;
  for (const auto& e : table.value().experiments) ids.push_back(e.id);
  return sampling::make_mid_layout({{emu.value(), inputs.value()}}, ids);
}

learn::MidMatrix rows_of(const Eigen::MatrixXd& m, const std::vector<std::uint64_t>& rows) {
  learn::MidMatrix out(static_cast<Eigen::Index>(rows.size()), m.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) out.row(static_cast<Eigen::Index>(i)) = m.row(static_cast<Eigen::Index>(rows[i])).cast<float>();
  return out;
}

}  // namespace

TEST(Imputation, MasksKeepWholeMidsOfChosenExperiments) {
  const sampling::MidLayout l = simple_layout();
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 50; ++trial) {
    const auto known = learn::random_mask(l, 1 + trial % 3, 0.5, rng);
    std::set<std::size_t> experiments;
    int mids_known = 0;
    for (std::size_t f = 0; f < l.fields.size(); ++f)
      for (std::size_t x = 0; x < l.experiments.size(); ++x) {
        int k = 0;
        for (int q = 0; q < l.fields[f].isotopologues; ++q) k += known[l.index(f, x, q)];
        EXPECT_TRUE(k == 0 || k == l.fields[f].isotopologues);  // whole MIDs
        if (k > 0) {
          experiments.insert(x);
          ++mids_known;
        }
        for (int q = l.fields[f].isotopologues; q < l.width; ++q) EXPECT_TRUE(known[l.index(f, x, q)]);  // padding
      }
    EXPECT_EQ(experiments.size(), static_cast<std::size_t>(1 + trial % 3));
    EXPECT_GT(mids_known, 0);
  }
}

// ML-Flux Fig. 3b: KNN imputation errors below 0.01 for the small models; here the toy
// model with only 2,400 reference patterns (measured: MAE 0.018 against 0.077 for the
// mean pattern) must do far better than imputing the mean pattern.
TEST(Imputation, KnnFillsMaskedPatternsCloseToTheTruth) {
  const sampling::DatasetContents d = simple_dataset(3000);
  const sampling::MidLayout l = simple_layout();
  const learn::KnnImputer knn(l, rows_of(d.mids, d.train), 3);
  const Eigen::VectorXd mean = d.mids.colwise().mean().transpose();
  std::mt19937_64 rng(11);
  double err = 0, err_mean = 0;
  long n = 0;
  for (std::uint64_t r : d.test) {
    const Eigen::VectorXd truth = d.mids.row(static_cast<Eigen::Index>(r)).transpose();
    const auto known = learn::random_mask(l, 1, 0.5, rng);
    Eigen::VectorXd given = truth;
    for (std::size_t i = 0; i < known.size(); ++i)
      if (!known[i]) given(static_cast<Eigen::Index>(i)) = -1;  // never read
    const learn::Imputation im = knn.impute(given, known);
    ASSERT_EQ(im.neighbours.size(), 3u);
    for (std::size_t i = 0; i < known.size(); ++i) {
      const auto j = static_cast<Eigen::Index>(i);
      if (known[i]) {
        EXPECT_EQ(im.values(j), truth(j));  // measured entries stay
        continue;
      }
      err += std::fabs(im.values(j) - truth(j));
      err_mean += std::fabs(mean(j) - truth(j));
      ++n;
    }
    for (std::size_t f = 0; f < l.fields.size(); ++f)
      for (std::size_t x = 0; x < l.experiments.size(); ++x) {
        double s = 0;
        for (int q = 0; q < l.width; ++q) s += im.values(static_cast<Eigen::Index>(l.index(f, x, q)));
        EXPECT_NEAR(s, 1.0, 1e-9);
      }
    EXPECT_LT(std::fabs(im.delta_n), 1.0);
  }
  err /= static_cast<double>(n);
  err_mean /= static_cast<double>(n);
  std::printf("KNN imputation MAE %.4g, mean pattern %.4g (%ld entries)\n", err, err_mean, n);
  EXPECT_LT(err, 0.02);
  EXPECT_LT(err, 0.3 * err_mean);
  // a pattern of the reference set is its own nearest neighbour
  const Eigen::VectorXd own = d.mids.row(static_cast<Eigen::Index>(d.train[7])).transpose().cast<float>().cast<double>();
  const auto known = learn::random_mask(l, 1, 0.5, rng);
  const learn::Imputation self = knn.impute(own, known);
  EXPECT_EQ(self.neighbours.front(), 7);
  EXPECT_LT((self.values - own).cwiseAbs().maxCoeff(), 1e-6);
}

// ΔG = RT ln(v_rev / v_fwd): net 1, exchange 1 gives one-way fluxes 2 and 1.
TEST(Prediction, DeltaGAndChiSquared) {
  const double rt = learn::kGasConstant * 310.15;
  EXPECT_NEAR(learn::delta_g(1, 1), rt * std::log(0.5), 1e-12);
  EXPECT_NEAR(learn::delta_g(-1, 1), -rt * std::log(0.5), 1e-12);  // backward net flux: ΔG > 0
  EXPECT_NEAR(learn::delta_g(0, 3), 0.0, 1e-15);
  EXPECT_NEAR(learn::delta_g(2, 0.5, 298.15), learn::kGasConstant * 298.15 * std::log(0.5 / 2.5), 1e-12);
  EXPECT_TRUE(std::isnan(learn::delta_g(1, 0)));  // irreversible
  // χ² quantiles (tables: 3.841458820694124, 18.307038053275146)
  EXPECT_NEAR(chi_squared_critical(1), 3.841458820694124, 1e-10);
  EXPECT_NEAR(chi_squared_critical(10), 18.307038053275146, 1e-9);
  EXPECT_NEAR(chi_squared_upper_tail(18.307038053275146, 10), 0.05, 1e-10);
  EXPECT_NEAR(chi_squared_upper_tail(0, 3), 1.0, 1e-15);
}

// The kernels give back the dataset's full fluxes from its free fluxes, mass balanced.
TEST(Prediction, ExpansionReproducesTheDatasetsFluxes) {
  const sampling::DatasetContents d = simple_dataset(300);
  auto model = io::load_model("simple");
  auto space = FluxSpace::build(model.value());
  const learn::FluxExpansion x(space.value(), &model.value());
  EXPECT_EQ(x.columns(), d.flux_columns);
  EXPECT_EQ(x.free_columns(), d.free_columns);
  const Eigen::MatrixXd full = x.expand(d.free_fluxes);
  EXPECT_LT((full - d.fluxes).cwiseAbs().maxCoeff(), 1e-12);
  for (Eigen::Index i = 0; i < full.rows(); ++i) {
    const FluxVector v = x.flux_vector(full.row(i).transpose());
    EXPECT_LT(space.value().steady_state_residual(v.net), 1e-12);
    for (std::size_t j = 0; j < x.free_in_full().size(); ++j) EXPECT_EQ(full(i, static_cast<Eigen::Index>(x.free_in_full()[j])), d.free_fluxes(i, static_cast<Eigen::Index>(j)));
  }
  // exchanges the model fixes at 0 stay 0; none is negative
  Eigen::MatrixXd odd = d.free_fluxes.topRows(1);
  odd.rightCols(4).setConstant(-1e-3);
  odd(0, 2) = 5;    // xch v2 (free, bounded by 100)
  odd(0, 3) = 0.2;  // xch v3: fixed at 0 by the model
  const Eigen::MatrixXd y = x.expand(odd);
  EXPECT_EQ(y(0, 7), 5.0);
  EXPECT_EQ(y(0, 8), 0.0);
  EXPECT_EQ(y(0, 10), 0.0);
  EXPECT_EQ(x.dg_reactions(), (std::vector<std::string>{"v2", "v3", "v4", "v5"}));
}

namespace {

isotope::MidTable mid_table(const std::string& text) {
  auto t = io::read_mid_table(text, "mids.tsv");
  EXPECT_TRUE(t.ok()) << t.message();
  return t.value();
}

}  // namespace

TEST(Prediction, ObservationsNameWhatDoesNotFit) {
  const sampling::MidLayout l = simple_layout();
  // molC has 2 carbons: M+0..M+2; here M+0..M+1 only
  auto r = learn::arrange_observations(mid_table("experiment\tmetabolite\tisotopologue\tfraction\ne1\tmolC\t0\t0.5\ne1\tmolC\t1\t0.5\n"), l, "mids.tsv");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("has 2 isotopologues (M+0 to M+1); the predictor's molC has 3 (M+0 to M+2)"), std::string::npos) << r.message();
  EXPECT_EQ(r.diagnostics().front().line, 2);
  r = learn::arrange_observations(mid_table("experiment\tmetabolite\tisotopologue\tfraction\ne1\tmolA\t0\t1\n"), l, "mids.tsv");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("'molA' (C, experiment 'e1') is not an input of this predictor; it takes molB, molC, molD, molE, molF"), std::string::npos)
      << r.message();
  r = learn::arrange_observations(mid_table("experiment\tmetabolite\tisotopologue\tfraction\ne9\tmolE\t0\t1\ne9\tmolE\t1\t0\n"), l, "m");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("experiment 'e9' is not one of this predictor's tracer experiments (e1, e2, e3, e4, e5, e6)"), std::string::npos);
  // replicates: rows without a replicate belong to every replicate
  r = learn::arrange_observations(mid_table("experiment\tmetabolite\tisotopologue\tfraction\treplicate\n"
                                     "e1\tmolC\t0\t0.5\ta\ne1\tmolC\t1\t0.3\ta\ne1\tmolC\t2\t0.2\ta\n"
                                     "e1\tmolC\t0\t0.6\tb\ne1\tmolC\t1\t0.3\tb\ne1\tmolC\t2\t0.1\tb\n"
                                     "e2\tmolE\t0\t0.7\t\ne2\tmolE\t1\t0.3\t\n"),
                           l, "m");
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r.value().size(), 2u);
  EXPECT_EQ(r.value()[0].replicate, "a");
  EXPECT_EQ(r.value()[1].values(static_cast<Eigen::Index>(l.index(1, 0, 0))), 0.6);
  for (const auto& o : r.value()) {
    EXPECT_EQ(o.values(static_cast<Eigen::Index>(l.index(3, 1, 1))), 0.3);
    EXPECT_NEAR(o.masked, 1.0 - 5.0 / 102.0, 1e-12);  // 2 of 30 MIDs: 5 of 102 fractions
  }
}

// The whole pipeline on a small trained network: complete and partial inputs, standard
// errors from the matching error level, replicates, and the re-simulated MIDs.
TEST(Prediction, PipelineFromMidsToFluxesWithErrors) {
  const sampling::DatasetContents d = simple_dataset(3000);
  auto model = io::load_model("simple");
  auto space = FluxSpace::build(model.value());
  const learn::FluxExpansion x(space.value(), &model.value());
  const sampling::MidLayout l = simple_layout();
  learn::TrainOptions o;
  o.hidden = {64, 32};
  o.epochs = 25;
  o.batch = 64;
  o.progress = false;
  learn::TrainingHistory h;
  auto p = learn::FluxPredictor::train(d, o, h);
  ASSERT_TRUE(p.ok());
  const learn::KnnImputer knn(l, rows_of(d.mids, d.train), 3);
  learn::ErrorTableOptions eo;
  eo.max_masked_rows = 300;
  auto computed = learn::compute_error_tables(p.value(), x, d, &knn, eo);
  ASSERT_TRUE(computed.ok()) << computed.message();
  const learn::ErrorTables& t = computed.value();
  {  // user-level problems are Results, not exceptions
    sampling::DatasetContents untested = d;
    untested.test.clear();
    auto none = learn::compute_error_tables(p.value(), x, untested, &knn, eo);
    ASSERT_FALSE(none.ok());
    EXPECT_NE(none.message().find("no test rows"), std::string::npos) << none.message();
  }
  ASSERT_EQ(t.levels.size(), 6u);
  EXPECT_EQ(t.levels[0].imputer, "none");
  EXPECT_EQ(t.levels[0].rows, 300);
  long masked_rows = 0;
  for (const auto& level : t.levels) {
    if (level.imputer == "knn") masked_rows += level.rows;
    EXPECT_GE(level.vssr_acceptance, 0.0);
    EXPECT_LE(level.vssr_acceptance, 1.0);
  }
  EXPECT_GT(masked_rows, 280);  // rows whose mask kept everything are complete, not masked
  EXPECT_LE(masked_rows, 300);
  EXPECT_GT(t.levels[0].half_width_68[5], 0.0);  // net:EX_molE
  EXPECT_EQ(t.levels[0].half_width_68[8], 0.0);  // xch:v3, fixed
  // JSON round trip, and the level that matches a masking
  const learn::ErrorTables back = learn::ErrorTables::from_json(nlohmann::json::parse(t.to_json().dump()));
  EXPECT_EQ(back.levels.size(), t.levels.size());
  EXPECT_EQ(back.levels[2].half_width_68, t.levels[2].half_width_68);
  EXPECT_EQ(back.match("none", 0), &back.levels[0]);
  EXPECT_EQ(back.match("knn", 0), &back.levels[0]);
  const learn::ErrorLevel* m = back.match("knn", 0.6);
  ASSERT_NE(m, nullptr);
  EXPECT_LE(m->masked_from, 0.6);
  EXPECT_GE(m->masked_to, 0.6);

  // one test row, complete, twice (replicates) and partial
  const auto row = static_cast<Eigen::Index>(d.test[3]);
  learn::Observation complete{"r1", d.mids.row(row).transpose(), std::vector<bool>(l.size(), true), Eigen::VectorXd::Constant(static_cast<Eigen::Index>(l.size()), NAN), 0.0};
  learn::Observation again = complete;
  again.replicate = "r2";
  learn::PredictionPipeline pipeline(p.value(), x, &t, &knn, l);
  auto emu = isotope::EmuModel::compile(model.value(), space.value(), {});
  auto inputs = emu.value().inputs(io::load_tracer_table("simple").value().experiments);
  learn::LayoutSimulator sim(l, {{emu.value(), inputs.value()}});
  pipeline.set_simulator([&](const Eigen::VectorXd& full) { return sim.simulate(x.flux_vector(full)); });
  auto rep = pipeline.run({complete, again}, {});
  ASSERT_TRUE(rep.ok()) << rep.message();
  const learn::PredictionReport& a = rep.value();
  ASSERT_EQ(a.replicates.size(), 2u);
  EXPECT_EQ(a.replicates[0].level, &t.levels[0]);
  EXPECT_EQ(a.sd.maxCoeff(), 0.0);
  for (Eigen::Index j = 0; j < a.se.size(); ++j) EXPECT_NEAR(a.se(j), t.levels[0].half_width_68[static_cast<std::size_t>(j)], 1e-12);
  EXPECT_LT(space.value().steady_state_residual(x.flux_vector(a.mean).net), 1e-9);
  {  // the replicates' mean is the one-row prediction, up to float32 rounding (a batch of two
     // rows and a batch of one take different BLAS kernels on some CPUs)
    const Eigen::VectorXd single = x.expand(p.value().predict(d.mids.row(row))).row(0).transpose();
    EXPECT_LT((a.mean - single).cwiseAbs().maxCoeff(), 1e-5 * (1.0 + single.cwiseAbs().maxCoeff()))
        << "largest difference " << (a.mean - single).cwiseAbs().maxCoeff();
  }
  ASSERT_TRUE(a.fit.has_value());
  EXPECT_EQ(a.fit->measurements, 2 * 102);
  EXPECT_EQ(a.fit->dof, 2 * 102 - 6);
  // the simulated MIDs of the predicted fluxes are distributions
  EXPECT_NEAR(a.fit->simulated.sum(), 30.0, 1e-9);

  // partial: one experiment, its molB and molF only
  learn::Observation partial = complete;
  partial.replicate.clear();
  std::fill(partial.known.begin(), partial.known.end(), false);
  for (std::size_t f = 0; f < l.fields.size(); ++f)
    for (std::size_t e = 0; e < l.experiments.size(); ++e)
      for (int q = 0; q < l.width; ++q)
        if (q >= l.fields[f].isotopologues || (e == 0 && (f == 0 || f == 4))) partial.known[l.index(f, e, q)] = true;
  partial.masked = 1.0 - 8.0 / 102.0;
  auto rp = pipeline.run({partial}, {});
  ASSERT_TRUE(rp.ok()) << rp.message();
  const auto& pr = rp.value().replicates[0];
  EXPECT_EQ(pr.level, t.match("knn", partial.masked));
  EXPECT_EQ(pr.level->imputer, "knn");
  for (std::size_t i = 0; i < l.size(); ++i) {  // measured entries (and the zero padding) as given
    if (partial.known[i]) {
      EXPECT_EQ(pr.inputs(static_cast<Eigen::Index>(i)), d.mids(row, static_cast<Eigen::Index>(i)));
    }
  }
  EXPECT_EQ(rp.value().fit->measurements, 8);
  // without an imputer, partial input is refused with a reason
  auto none = pipeline.run({partial}, {.imputer = "none"});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.message().find("incomplete"), std::string::npos);
}

// ML-Flux's CCM loss: raw free fluxes out, weighted squared errors of every full flux.
TEST(FluxPredictor, WeightedLossOnFullFluxes) {
  const sampling::DatasetContents d = simple_dataset(3000);
  auto model = io::load_model("simple");
  auto space = FluxSpace::build(model.value());
  const learn::FluxExpansion x(space.value(), &model.value());
  learn::TrainOptions o;
  o.hidden = {64, 32};
  o.epochs = 30;
  o.batch = 64;
  o.progress = false;
  o.loss = "weighted_mse";
  o.kernel = x.kernel();
  o.flux_weights.assign(x.columns().size(), 1.0);
  o.flux_weights[7] = 0.01;  // xch:v2 spans 0..100: weigh it down
  learn::TrainingHistory h;
  auto p = learn::FluxPredictor::train(d, o, h);
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(p.value().manifest()["outputs"], "raw");
  EXPECT_LT(h.validation_loss[static_cast<std::size_t>(h.best_epoch - 1)], 0.5 * h.validation_loss.front());
  const learn::TestErrors t = p.value().test_errors(d);
  for (std::size_t j = 0; j < 2; ++j) EXPECT_LT(t.mae[j], 0.5 * t.trivial_mae[j]) << t.columns[j];
  const Eigen::MatrixXd probe = d.mids.topRows(20);
  const Eigen::MatrixXd v = p.value().predict(probe);
  EXPECT_GE(v.rightCols(4).minCoeff(), 0.0);  // exchange fluxes are never negative
  const std::string path = (fs::temp_directory_path() / ("fluxion_test_wpkg_" + std::to_string(::getpid()) + ".fluxpkg")).string();
  ASSERT_TRUE(p.value().save(path).ok());
  auto loaded = learn::FluxPredictor::load(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded.value().predict(probe) == v);
  fs::remove(path);
  // the weights must fit the dataset
  o.flux_weights.pop_back();
  EXPECT_NE(learn::FluxPredictor::train(d, o, h).message().find("one weight per flux"), std::string::npos);
  // the hybrid loss with a spread floor trains, and the package says which floor
  o.flux_weights.clear();
  o.loss = "hybrid";
  o.epochs = 5;
  o.loss_spread_floor = 0.5;
  auto floored = learn::FluxPredictor::train(d, o, h);
  ASSERT_TRUE(floored.ok()) << floored.message();
  EXPECT_EQ(floored.value().manifest()["training"]["loss_spread_floor"], 0.5);
  EXPECT_LT(h.validation_loss.back(), h.validation_loss.front());
  EXPECT_EQ(learn::default_loss_weights("ccm", {"net:IN_CO2", "net:tal", "xch:tal", "net:EX_R5P"}), (std::vector<double>{0.001, 100, 1, 50}));
}

TEST(Pcnn, GeometryOfMlFluxModelsAndOfAnyOther) {
  const learn::PcnnGeometry s = learn::PcnnGeometry::for_model("simple", 120);
  EXPECT_EQ(s.rows * s.cols, 120);
  EXPECT_EQ(s.size, 16);
  EXPECT_EQ(s.filters, (std::vector<int>{8, 16, 32, 64}));
  const learn::PcnnGeometry c = learn::PcnnGeometry::for_model("ccm", 4800);
  EXPECT_EQ(c.size, 80);
  EXPECT_EQ(c.row_offset + c.rows, 72);
  const learn::PcnnGeometry g = learn::PcnnGeometry::for_model("my_model", 500);  // 23 × 22 in 32 × 32
  EXPECT_GE(g.rows * g.cols, 500);
  EXPECT_EQ(g.size % (1 << g.filters.size()), 0);
  EXPECT_LE(g.row_offset + g.rows, g.size);
  EXPECT_EQ(learn::PcnnGeometry::from_json(g.to_json()).to_json(), g.to_json());
  nlohmann::json bad = g.to_json();
  bad["row_offset"] = 30;
  EXPECT_THROW(learn::PcnnGeometry::from_json(bad), std::invalid_argument);
}

// The inpainting network learns to fill masked patterns better than the mean pattern,
// keeps what was measured, and travels in the predictor package.
TEST(Pcnn, ImputesMaskedPatternsAndTravelsInThePackage) {
  const sampling::DatasetContents d = simple_dataset(3000, {.mids_float32 = true});
  const sampling::MidLayout l = simple_layout();
  learn::PcnnTrainOptions o;
  o.epochs = 8;
  o.batch = 32;
  o.learning_rate = 3e-3;
  o.progress = false;
  learn::PcnnHistory h;
  auto p = learn::PcnnImputer::train(d, l, learn::PcnnGeometry::for_model("simple", 120), o, h);
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_LT(h.validation_loss[static_cast<std::size_t>(h.best_epoch - 1)], h.validation_loss.front());
  const Eigen::MatrixXd test = d.mid_rows(d.test);
  Eigen::VectorXd mean = Eigen::VectorXd::Zero(test.cols());
  for (std::uint64_t r : d.train) mean += d.mids32.row(static_cast<Eigen::Index>(r)).cast<double>().transpose() / static_cast<double>(d.train.size());
  std::mt19937_64 rng(3);
  double err = 0, err_mean = 0;
  long n = 0;
  for (Eigen::Index r = 0; r < 100; ++r) {
    const auto known = learn::random_mask(l, 1, 0.5, rng);
    Eigen::VectorXd given = test.row(r).transpose();
    for (std::size_t i = 0; i < known.size(); ++i)
      if (!known[i]) given(static_cast<Eigen::Index>(i)) = 0;
    const learn::Imputation im = p.value().impute(given, known);
    for (std::size_t i = 0; i < known.size(); ++i) {
      const auto j = static_cast<Eigen::Index>(i);
      if (known[i]) {
        EXPECT_EQ(im.values(j), test(r, j));
        continue;
      }
      err += std::fabs(im.values(j) - test(r, j));
      err_mean += std::fabs(mean(j) - test(r, j));
      ++n;
    }
    for (std::size_t f = 0; f < l.fields.size(); ++f)
      for (std::size_t x = 0; x < l.experiments.size(); ++x) {
        double s = 0;
        for (int q = 0; q < l.width; ++q) s += im.values(static_cast<Eigen::Index>(l.index(f, x, q)));
        EXPECT_NEAR(s, 1.0, 1e-6);
      }
  }
  std::printf("PCNN imputation MAE %.4g, mean pattern %.4g (%ld entries, 8 epochs on 2,400 patterns)\n", err / n, err_mean / n, n);
  EXPECT_LT(err, 0.85 * err_mean);  // measured: 0.047 against 0.076

  // in a package: saved, loaded, the same imputations
  learn::TrainOptions t;
  t.hidden = {16};
  t.epochs = 1;
  t.progress = false;
  learn::TrainingHistory th;
  auto predictor = learn::FluxPredictor::train(d, t, th);
  ASSERT_TRUE(predictor.ok());
  const auto known = learn::random_mask(l, 2, 0.5, rng);
  const Eigen::VectorXd probe = test.row(7).transpose();
  const learn::Imputation before = p.value().impute(probe, known);
  predictor.value().set_pcnn(std::move(p.value()));
  const std::string path = (fs::temp_directory_path() / ("fluxion_test_pcnn_" + std::to_string(::getpid()) + ".fluxpkg")).string();
  ASSERT_TRUE(predictor.value().save(path).ok());
  auto loaded = learn::FluxPredictor::load(path);
  fs::remove(path);
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  ASSERT_NE(loaded.value().pcnn(), nullptr);
  EXPECT_TRUE(loaded.value().pcnn()->impute(probe, known).values == before.values);

  // --imputer auto: per replicate, the imputer whose error table is tighter at its masking
  auto model = io::load_model("simple");
  auto space = FluxSpace::build(model.value());
  const learn::FluxExpansion x(space.value(), &model.value());
  learn::ErrorTables tables;
  tables.columns = x.columns();
  tables.dg_reactions = x.dg_reactions();
  auto level = [&](const std::string& imputer, double from, double to, double se) {
    learn::ErrorLevel e;
    e.imputer = imputer;
    e.masked_from = from;
    e.masked_to = to;
    e.rows = 1000;
    e.half_width_68.assign(tables.columns.size(), se);
    e.mae = e.within_abs = e.within_rel = e.half_width_68;
    e.dg_half_width_68.assign(tables.dg_reactions.size(), 1.0);
    e.dg_mae = e.dg_within_1kj = e.dg_half_width_68;
    return e;
  };
  tables.levels = {level("none", 0, 0, 0.01), level("knn", 0, 0.5, 0.02), level("knn", 0.5, 1, 0.09),
                   level("pcnn", 0, 0.5, 0.03), level("pcnn", 0.5, 1, 0.05)};
  const learn::KnnImputer knn(l, d.mid_rows(d.train).cast<float>(), 3);
  learn::PredictionPipeline pipeline(loaded.value(), x, &tables, &knn, l);
  pipeline.set_pcnn(loaded.value().pcnn());
  learn::Observation little{"little", probe, std::vector<bool>(l.size(), true), Eigen::VectorXd::Constant(probe.size(), NAN), 0.0};
  for (std::size_t f = 0; f < 2; ++f)
    for (int q = 0; q < l.width; ++q) little.known[l.index(f, 0, q)] = false;
  little.masked = 0.1;
  learn::Observation much{"much", probe, known, Eigen::VectorXd::Constant(probe.size(), NAN), 0.8};
  auto rep = pipeline.run({little, much}, {.imputer = "auto"});
  ASSERT_TRUE(rep.ok()) << rep.message();
  EXPECT_EQ(rep.value().replicates[0].imputer, "knn");
  EXPECT_EQ(rep.value().replicates[0].level, &tables.levels[1]);
  EXPECT_EQ(rep.value().replicates[1].imputer, "pcnn");
  EXPECT_EQ(rep.value().replicates[1].level, &tables.levels[4]);
  EXPECT_TRUE(rep.value().replicates[1].inputs == loaded.value().pcnn()->impute(probe, known).values);
  // forced
  auto forced = pipeline.run({little}, {.imputer = "pcnn"});
  ASSERT_TRUE(forced.ok()) << forced.message();
  EXPECT_EQ(forced.value().replicates[0].imputer, "pcnn");
}

// The bar for a trained network: a small model, a few epochs, standardised outputs
// and noisy MIDs, beats the training mean by a margin on every flux that the MIDs identify
// and that varies by more than guessing meets (fluxion score's rules), with both
// schedules; the standardisation travels in the package.
TEST(FluxPredictor, BeatsTheMeanOnEveryIdentifiableFlux) {
  const sampling::DatasetContents d = simple_dataset(3000);
  auto model = io::load_model("simple");
  auto space = FluxSpace::build(model.value());
  const learn::FluxExpansion e(space.value(), &model.value());
  auto table = io::load_tracer_table("simple");
  isotope::EmuOptions eo;
  auto emu = isotope::EmuModel::compile(model.value(), space.value(), eo);
  const std::vector<isotope::TracedElement> elements{{emu.value(), emu.value().inputs(table.value().experiments).value()}};
  learn::LayoutSimulator simulator(sampling::MidLayout::from_json(d.manifest.at("settings").at("layout")), elements);
  Eigen::MatrixXd truth(static_cast<Eigen::Index>(d.test.size()), d.fluxes.cols()), free_truth(truth.rows(), d.free_fluxes.cols());
  for (std::size_t i = 0; i < d.test.size(); ++i) {
    truth.row(static_cast<Eigen::Index>(i)) = d.fluxes.row(static_cast<Eigen::Index>(d.test[i]));
    free_truth.row(static_cast<Eigen::Index>(i)) = d.free_fluxes.row(static_cast<Eigen::Index>(d.test[i]));
  }
  const Eigen::VectorXd info = learn::identifiability_ratios(simulator, e, truth.topRows(30), learn::column_covariance(free_truth), 0.01);
  for (const std::string schedule : {"plateau", "cosine"}) {
    learn::TrainOptions o;
    o.hidden = {64, 32};
    o.epochs = 25;
    o.batch = 64;
    o.lr_decay_after = 3;
    o.input_noise = 0.002;
    o.schedule = schedule;
    o.progress = false;
    learn::TrainingHistory h;
    auto p = learn::FluxPredictor::train(d, o, h);
    ASSERT_TRUE(p.ok()) << p.message();
    ASSERT_TRUE(p.value().manifest()["output_standardisation"].is_object());
    const auto mean = p.value().manifest()["training_mean"].get<std::vector<double>>();
    const Eigen::RowVectorXd baseline = e.expand(Eigen::Map<const Eigen::RowVectorXd>(mean.data(), static_cast<Eigen::Index>(mean.size())));
    const Eigen::MatrixXd pred = e.expand(p.value().predict(d.mid_rows(d.test)));
    learn::ScoreOptions so;
    so.model_id = "simple";
    const learn::PredictorScore score = learn::score_predictions(e, truth, pred, baseline, so, info);
    int counted = 0;
    for (const auto& f : score.fluxes) {
      if (!f.counted) continue;
      ++counted;
      EXPECT_GT(f.skill, 0.3) << schedule << " " << f.column << " MAE " << f.mae << " vs the mean's " << f.baseline_mae;
    }
    EXPECT_GE(counted, 4) << schedule;  // EX_molE, EX_molF, and the v2..v5 and EX fluxes they set
    // saved and loaded: the same predictions
    const std::string path = (fs::temp_directory_path() / ("fluxion_test_std_" + std::to_string(::getpid()) + ".fluxpkg")).string();
    ASSERT_TRUE(p.value().save(path).ok());
    auto loaded = learn::FluxPredictor::load(path);
    ASSERT_TRUE(loaded.ok()) << loaded.message();
    EXPECT_TRUE(loaded.value().predict(d.mid_rows(d.test)) == p.value().predict(d.mid_rows(d.test)));
    fs::remove(path);
  }
  learn::TrainOptions bad;
  bad.hidden = {8};
  bad.learning_rate = 1e300;
  learn::TrainingHistory h;
  EXPECT_FALSE(learn::FluxPredictor::train(d, bad, h).ok());
  bad.learning_rate = 1e-3;
  bad.schedule = "linear";
  EXPECT_FALSE(learn::FluxPredictor::train(d, bad, h).ok());
}

// A training paused after 3 epochs and resumed from its checkpoint ends with the weights
// and history of one unbroken run (noise and batch order included); a checkpoint of other
// settings is refused.
TEST(FluxPredictor, ResumedTrainingEqualsAnUnbrokenRun) {
  const sampling::DatasetContents d = simple_dataset(1500);
  learn::TrainOptions o;
  o.hidden = {32, 16};
  o.epochs = 6;
  o.batch = 64;
  o.input_noise = 0.002;
  o.schedule = "cosine";
  o.progress = false;
  learn::TrainingHistory whole;
  auto a = learn::FluxPredictor::train(d, o, whole);
  ASSERT_TRUE(a.ok()) << a.message();
  const fs::path dir = fs::temp_directory_path() / ("fluxion_test_resume_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  o.checkpoint = (dir / "checkpoint.pt").string();
  o.stop_after_epochs = 3;
  learn::TrainingHistory first;
  auto b = learn::FluxPredictor::train(d, o, first);
  ASSERT_TRUE(b.ok()) << b.message();
  EXPECT_TRUE(first.paused);
  EXPECT_EQ(first.train_loss.size(), 3u);
  o.stop_after_epochs = 0;
  o.resume = true;
  learn::TrainingHistory second;
  auto c = learn::FluxPredictor::train(d, o, second);
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_FALSE(second.paused);
  EXPECT_EQ(second.resumed_from, 3);
  EXPECT_EQ(second.validation_loss, whole.validation_loss);
  const Eigen::MatrixXd probe = d.mids.topRows(20);
  EXPECT_TRUE(c.value().predict(probe) == a.value().predict(probe));
  o.hidden = {32, 8};
  learn::TrainingHistory other;
  auto refused = learn::FluxPredictor::train(d, o, other);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("other training settings"), std::string::npos) << refused.message();
  o.checkpoint.clear();
  EXPECT_FALSE(learn::FluxPredictor::train(d, o, other).ok());
  fs::remove_all(dir);
}

// An ensemble predicts the mean of its members' free fluxes, whatever their shapes and
// standardisations; its MAE per flux is at most the mean of theirs (|(a+b)/2 − t| ≤
// (|a − t| + |b − t|)/2); it travels in one package (format version 2) and loads back.
TEST(FluxPredictor, EnsemblePredictsTheMeanOfItsMembers) {
  const sampling::DatasetContents d = simple_dataset(1500);
  learn::TrainOptions o;
  o.hidden = {32, 16};
  o.epochs = 4;
  o.batch = 64;
  o.progress = false;
  learn::TrainingHistory ha, hb;
  auto a = learn::FluxPredictor::train(d, o, ha);
  ASSERT_TRUE(a.ok()) << a.message();
  o.hidden = {24};
  o.seed = 2;
  o.two_heads = true;
  o.standardize_inputs = false;
  auto b = learn::FluxPredictor::train(d, o, hb);
  ASSERT_TRUE(b.ok()) << b.message();
  const Eigen::MatrixXd probe = d.mid_rows(d.test);
  const Eigen::MatrixXd pa = a.value().predict(probe), pb = b.value().predict(probe);
  const learn::TestErrors ta = a.value().test_errors(d), tb = b.value().test_errors(d);
  std::vector<learn::FluxPredictor> members;
  members.push_back(std::move(a.value()));
  members.push_back(std::move(b.value()));
  auto e = learn::FluxPredictor::ensemble(std::move(members));
  ASSERT_TRUE(e.ok()) << e.message();
  EXPECT_EQ(e.value().members(), 2u);
  EXPECT_LT((e.value().predict(probe) - 0.5 * (pa + pb)).cwiseAbs().maxCoeff(), 1e-12);
  const learn::TestErrors te = e.value().test_errors(d);
  for (std::size_t j = 0; j < te.columns.size(); ++j) EXPECT_LE(te.mae[j], 0.5 * (ta.mae[j] + tb.mae[j]) + 1e-12) << te.columns[j];
  EXPECT_EQ(e.value().manifest()["ensemble"]["members"], 2);
  EXPECT_EQ(e.value().manifest()["ensemble"]["networks"][1]["heads"], 2);
  const std::string path = (fs::temp_directory_path() / ("fluxion_test_ensemble_" + std::to_string(::getpid()) + ".fluxpkg")).string();
  ASSERT_TRUE(e.value().save(path).ok());
  auto loaded = learn::FluxPredictor::load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  EXPECT_EQ(loaded.value().members(), 2u);
  EXPECT_TRUE(loaded.value().predict(probe) == e.value().predict(probe));
  EXPECT_EQ(loaded.value().manifest()["version"], learn::kPredictorFormatVersion);
  // one member: refused, naming it
  std::vector<learn::FluxPredictor> one;
  one.push_back(std::move(loaded.value()));
  auto single = learn::FluxPredictor::ensemble(std::move(one), {"x.fluxpkg"});
  ASSERT_FALSE(single.ok());
  EXPECT_NE(single.message().find("at least two"), std::string::npos) << single.message();
  // an ensemble joined with an ensemble: their networks, flattened (a shipped ensemble
  // grows by a member without its old members' files)
  std::vector<learn::FluxPredictor> nested;
  nested.push_back(std::move(learn::FluxPredictor::load(path).value()));
  nested.push_back(std::move(e.value()));
  auto flat = learn::FluxPredictor::ensemble(std::move(nested), {"first.fluxpkg", "second.fluxpkg"});
  ASSERT_TRUE(flat.ok()) << flat.message();
  EXPECT_EQ(flat.value().members(), 4u);
  EXPECT_EQ(flat.value().manifest()["ensemble"]["members"], 4);
  EXPECT_EQ(flat.value().manifest()["ensemble"]["networks"][3]["heads"], 2);
  EXPECT_LT((flat.value().predict(probe) - 0.5 * (pa + pb)).cwiseAbs().maxCoeff(), 1e-12);
  ASSERT_TRUE(flat.value().save(path).ok());
  auto flat_loaded = learn::FluxPredictor::load(path);
  ASSERT_TRUE(flat_loaded.ok()) << flat_loaded.message();
  EXPECT_EQ(flat_loaded.value().members(), 4u);
  EXPECT_TRUE(flat_loaded.value().predict(probe) == flat.value().predict(probe));
  fs::remove(path);
}

// ML-Flux's second stage: only the output weights of the chosen free flux learn. Every
// other column predicts exactly as without the stage, the chosen one changes, the
// validation loss does not rise; ranged noise trains too; bad settings are refused.
TEST(FluxPredictor, FineTuningLearnsOnlyTheChosenOutput) {
  const sampling::DatasetContents d = simple_dataset(1500);
  learn::TrainOptions o;
  o.hidden = {32, 16};
  o.epochs = 3;  // short, so that the stage has something left to learn
  o.batch = 64;
  o.input_noise = 0.002;
  o.input_noise_mode = "ranged";
  o.schedule = "cosine";
  o.two_heads = true;
  o.loss = "mae";
  o.progress = false;
  learn::TrainingHistory plain_h;
  auto plain = learn::FluxPredictor::train(d, o, plain_h);
  ASSERT_TRUE(plain.ok()) << plain.message();
  const Eigen::Index tuned = 1;
  o.fine_tune_columns = {d.free_columns[static_cast<std::size_t>(tuned)]};
  o.fine_tune_epochs = 4;
  learn::TrainingHistory tuned_h;
  auto tuned_p = learn::FluxPredictor::train(d, o, tuned_h);
  ASSERT_TRUE(tuned_p.ok()) << tuned_p.message();
  EXPECT_EQ(tuned_h.validation_loss, plain_h.validation_loss);  // the main stage is unchanged
  ASSERT_EQ(tuned_h.fine_tune_validation_loss.size(), 4u);
  EXPECT_GT(tuned_h.fine_tune_best_epoch, 0);
  EXPECT_LT(tuned_h.fine_tune_validation_loss[static_cast<std::size_t>(tuned_h.fine_tune_best_epoch - 1)], tuned_h.fine_tune_start_validation);
  const Eigen::MatrixXd probe = d.mid_rows(d.test);
  const Eigen::MatrixXd a = plain.value().predict(probe), b = tuned_p.value().predict(probe);
  for (Eigen::Index j = 0; j < a.cols(); ++j) {
    if (j == tuned) EXPECT_GT((a.col(j) - b.col(j)).cwiseAbs().maxCoeff(), 0.0);
    else EXPECT_TRUE(a.col(j) == b.col(j)) << d.free_columns[static_cast<std::size_t>(j)];
  }
  EXPECT_TRUE(tuned_p.value().manifest()["training"]["fine_tuning"].is_object());
  EXPECT_EQ(tuned_p.value().manifest()["training"]["input_noise_mode"], "ranged");
  learn::TrainingHistory h;
  o.fine_tune_columns = {"net:no_such_flux"};
  auto refused = learn::FluxPredictor::train(d, o, h);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("no_such_flux"), std::string::npos) << refused.message();
  o.fine_tune_columns = {d.free_columns[0]};
  o.fine_tune_epochs = 0;
  EXPECT_FALSE(learn::FluxPredictor::train(d, o, h).ok());
  o.fine_tune_epochs = 2;
  o.input_noise_mode = "uniform";
  EXPECT_FALSE(learn::FluxPredictor::train(d, o, h).ok());
}

// Options check themselves, each problem naming its field; the engines return them.
TEST(Options, ValidateNamesTheField) {
  learn::TrainOptions t;
  t.hidden = {64, 0};
  t.learning_rate = -1;
  t.loss = "l3";
  t.resume = true;  // without a checkpoint
  t.loss_spread_floor = 0;
  std::set<std::string> fields;
  for (const auto& d : t.validate()) fields.insert(d.context);
  EXPECT_EQ(fields, (std::set<std::string>{"hidden", "learning_rate", "loss", "checkpoint", "loss_spread_floor"}));
  learn::TrainOptions fine;
  fine.hidden = {8};
  EXPECT_TRUE(fine.validate().empty());

  learn::PredictOptions p;
  p.imputer = "magic";
  p.knn_k = -1;  // 0 is the package's
  p.temperature = std::nan("");
  fields.clear();
  for (const auto& d : p.validate()) fields.insert(d.context);  // declared options: their command-line names
  EXPECT_EQ(fields, (std::set<std::string>{"imputer", "knn-k", "temperature"}));
  EXPECT_TRUE(learn::PredictOptions{}.validate().empty());
}

// Every options struct of the engines has a validate(): the defaults pass, a bad value is
// named by its field.
template <class O, class Break>
std::set<std::string> fields_named(Break make_bad) {
  EXPECT_TRUE(O{}.validate().empty()) << typeid(O).name();
  O o;
  make_bad(o);
  std::set<std::string> fields;
  for (const auto& d : o.validate()) fields.insert(d.context);
  return fields;
}

TEST(Options, EveryEngineOptionsValidates) {
  using S = std::set<std::string>;
  EXPECT_EQ(fields_named<learn::ErrorTableOptions>([](auto& o) { o.bands = {0.5, 0.2}; }), S{"bands"});
  EXPECT_EQ(fields_named<learn::ScoreOptions>([](auto& o) { o.identifiable_ratio = 2; }), S{"identifiable_ratio"});
  EXPECT_EQ(fields_named<learn::PcnnTrainOptions>([](auto& o) { o.keep = 0; }), S{"keep"});
  EXPECT_EQ(fields_named<io::CellMatrixOptions>([](auto& o) { o.layer = "../X"; }), S{"layer"});
  EXPECT_EQ(fields_named<sampling::AchrOptions>([](auto& o) { o.thinning = -1; }), S{"thinning"});
  EXPECT_EQ(fields_named<sampling::DatasetOptions>([](auto& o) { o.compression = 12; }), S{"compression"});
  EXPECT_EQ(fields_named<sampling::FluxSetOptions>([](auto& o) { o.log_sigma = 0; }), S{"log_sigma"});
  EXPECT_TRUE(sampling::ReadOptions{}.validate().empty());
}
