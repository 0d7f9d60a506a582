// Scoring against the training mean (numbers checked by hand), identifiability from the
// EMU sensitivities, and the import of ML-Flux's published Keras network.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/learn/keras_import.hpp"
#include "fluxion/learn/scoring.hpp"
#include "fluxion/learn/transforms.hpp"

using namespace fluxion;

namespace {

struct Simple {
  Model model;
  FluxSpace space;
  Simple() : model(io::load_model("simple").value()), space(FluxSpace::build(model).value()) {}
};

std::size_t column(const learn::FluxExpansion& e, const std::string& name) {
  const auto& c = e.columns();
  const auto at = std::find(c.begin(), c.end(), name);
  EXPECT_NE(at, c.end()) << name;
  return static_cast<std::size_t>(at - c.begin());
}

const learn::FluxScore& score_of(const learn::PredictorScore& s, const std::string& name) {
  for (const auto& f : s.fluxes)
    if (f.column == name) return f;
  throw std::runtime_error("no score for " + name);
}

}  // namespace

// Three rows of the toy model's free fluxes, a training mean of 0.5 for EX_molE and a
// predictor off by +0.01, -0.03, +0.1 on it. By hand, for net:EX_molE (truth 0.3, 0.52, 1.2):
//   mean predictor: errors +0.2, -0.02, -0.7 -> MAE 0.92/3, bias -0.52/3, within ±0.05 1/3,
//                   within 5 % of |truth| 1/3 (0.02 <= 0.026)
//   predictor:      MAE 0.14/3, bias 0.08/3, within ±0.05 2/3, within 5 %: 0.01 <= 0.015,
//                   0.03 > 0.026, 0.1 <= 0.06? no -> 1/3
//   skill = 1 - 0.14/0.92
TEST(Scoring, MeanPredictorAgainstAHandComputation) {
  Simple s;
  const learn::FluxExpansion e(s.space, &s.model);
  ASSERT_EQ(e.free_columns().front(), "net:EX_molE");
  const auto nf = static_cast<Eigen::Index>(e.free_columns().size());
  Eigen::MatrixXd free_truth = Eigen::MatrixXd::Zero(3, nf);
  free_truth.col(0) << 0.3, 0.52, 1.2;
  free_truth.col(1) << 0.4, 0.4, 0.4;  // EX_molF: the same in every row
  if (nf > 2) free_truth.col(2) << 1.0, 2.0, 4.0;  // xch:v2
  Eigen::MatrixXd free_pred = free_truth;
  free_pred.col(0) += Eigen::Vector3d(0.01, -0.03, 0.1);
  Eigen::RowVectorXd mean_free = free_truth.colwise().mean();
  mean_free(0) = 0.5;
  const Eigen::MatrixXd truth = e.expand(free_truth), pred = e.expand(free_pred);
  const Eigen::RowVectorXd baseline = e.expand(mean_free);
  learn::ScoreOptions o;
  o.model_id = "simple";
  const learn::PredictorScore score = learn::score_predictions(e, truth, pred, baseline, o);
  EXPECT_EQ(score.rows, 3);
  const learn::FluxScore& ex = score_of(score, "net:EX_molE");
  EXPECT_TRUE(ex.free);
  EXPECT_FALSE(ex.constant);
  EXPECT_NEAR(ex.baseline_mae, 0.92 / 3, 1e-12);
  EXPECT_NEAR(ex.baseline_bias, -0.52 / 3, 1e-12);
  EXPECT_NEAR(ex.baseline_within_abs, 1.0 / 3, 1e-12);
  EXPECT_NEAR(ex.baseline_within_rel, 1.0 / 3, 1e-12);
  EXPECT_NEAR(ex.mae, 0.14 / 3, 1e-12);
  EXPECT_NEAR(ex.bias, 0.08 / 3, 1e-12);
  EXPECT_NEAR(ex.within_abs, 2.0 / 3, 1e-12);
  EXPECT_NEAR(ex.within_rel, 1.0 / 3, 1e-12);
  EXPECT_NEAR(ex.skill, 1 - 0.14 / 0.92, 1e-12);
  EXPECT_TRUE(ex.counted);  // varies, baseline MAE 0.31 >= 0.02, no identifiability given
  // EX_molF never varies: constant, not counted, and its baseline is exact
  const learn::FluxScore& f = score_of(score, "net:EX_molF");
  EXPECT_TRUE(f.constant);
  EXPECT_FALSE(f.counted);
  EXPECT_TRUE(std::isnan(f.skill));
  // the model fixes the exchange of v3 at 0
  EXPECT_TRUE(score_of(score, "xch:v3").constant);
  EXPECT_FALSE(score_of(score, "xch:v3").counted);
  // the mean predictor scored as a predictor: skill 0 on every varying flux
  const learn::PredictorScore self = learn::score_predictions(e, truth, baseline.replicate(3, 1), baseline, o);
  for (const auto& g : self.fluxes) {
    if (!g.constant) { EXPECT_NEAR(g.skill, 0.0, 1e-12) << g.column; }
  }
  EXPECT_TRUE(std::find(self.below_baseline().begin(), self.below_baseline().end(), "net:EX_molE") != self.below_baseline().end());
  // the exact predictor: skill 1; the paper's toy metric reached
  const learn::PredictorScore exact = learn::score_predictions(e, truth, truth, baseline, o);
  EXPECT_NEAR(score_of(exact, "net:EX_molE").skill, 1.0, 1e-12);
  ASSERT_FALSE(exact.paper.empty());
  EXPECT_EQ(exact.paper.front().name, "net_within_5_percent");
  EXPECT_NEAR(exact.paper.front().value, 1.0, 1e-12);
  EXPECT_TRUE(*exact.paper.front().reached);
  // median skill over counted columns; information marks a column not identifiable
  Eigen::VectorXd info = Eigen::VectorXd::Constant(static_cast<Eigen::Index>(e.columns().size()), 0.1);
  info(static_cast<Eigen::Index>(column(e, "net:EX_molE"))) = 0.9;
  const learn::PredictorScore marked = learn::score_predictions(e, truth, pred, baseline, o, info);
  EXPECT_FALSE(score_of(marked, "net:EX_molE").identifiable);
  EXPECT_FALSE(score_of(marked, "net:EX_molE").counted);
  EXPECT_THROW((void)score_predictions(e, truth, pred.leftCols(2), baseline, o), std::invalid_argument);
}

// Identifiability from the EMU sensitivities: with the toy model's six tracers, measured
// to 0.01, the net fluxes are pinned down (posterior SD far below the prior's); measured
// to 10 (no information), nothing is.
TEST(Scoring, IdentifiabilityFromTheEmuSensitivities) {
  Simple s;
  const learn::FluxExpansion e(s.space, &s.model);
  auto table = io::load_tracer_table("simple");
  ASSERT_TRUE(table.ok());
  isotope::EmuOptions eo;
  auto emu = isotope::EmuModel::compile(s.model, s.space, eo);
  ASSERT_TRUE(emu.ok());
  auto inputs = emu.value().inputs(table.value().experiments);
  ASSERT_TRUE(inputs.ok());
  std::vector<std::string> ids;
  for (const auto& x : table.value().experiments) ids.push_back(x.id);
  const std::vector<isotope::TracedElement> elements{{emu.value(), inputs.value()}};
  learn::LayoutSimulator simulator(sampling::make_mid_layout(elements, ids), elements);
  const auto nf = static_cast<Eigen::Index>(e.free_columns().size());
  // rows normalised to v1 = EX_molE / 3 + EX_molF = 1, as datasets are
  Eigen::MatrixXd free = Eigen::MatrixXd::Zero(3, nf);
  free.col(0) << 0.5, 1.0, 1.5;                      // EX_molE
  free.col(1) = 1 - free.col(0).array() / 3;         // EX_molF
  free.col(2) << 0.5, 2.0, 5.0;                      // xch:v2
  const Eigen::MatrixXd rows = e.expand(free);
  // prior: EX_molE spread 0.8 along the normalisation, xch:v2 spread 20, the rest fixed
  Eigen::MatrixXd prior = Eigen::MatrixXd::Zero(nf, nf);
  prior(0, 0) = 0.64, prior(0, 1) = prior(1, 0) = -0.64 / 3, prior(1, 1) = 0.64 / 9, prior(2, 2) = 400;
  const Eigen::VectorXd sharp = learn::identifiability_ratios(simulator, e, rows, prior, 0.01);
  const Eigen::VectorXd blind = learn::identifiability_ratios(simulator, e, rows, prior, 10.0);
  const auto ex = static_cast<Eigen::Index>(column(e, "net:EX_molE"));
  EXPECT_LT(sharp(ex), 0.1);
  EXPECT_LT(sharp(static_cast<Eigen::Index>(column(e, "xch:v2"))), 0.5);
  EXPECT_GT(blind(ex), 0.99);
  EXPECT_LE(blind(ex), 1.0 + 1e-9);
  // v1 = 1 in every row under this prior, and v3's exchange is fixed: no spread, no ratio
  EXPECT_TRUE(std::isnan(sharp(static_cast<Eigen::Index>(column(e, "net:v1")))));
  EXPECT_TRUE(std::isnan(sharp(static_cast<Eigen::Index>(column(e, "xch:v3")))));
  // the sample covariance (n − 1)
  Eigen::MatrixXd sample(3, 2);
  sample << 1, 2, 2, 4, 3, 9;
  const Eigen::MatrixXd cov = learn::column_covariance(sample);
  EXPECT_NEAR(cov(0, 0), 1.0, 1e-12);
  EXPECT_NEAR(cov(0, 1), 3.5, 1e-12);
  EXPECT_NEAR(cov(1, 1), 13.0, 1e-12);
  // the Jacobian in the layout agrees with finite differences of the simulated MIDs
  Eigen::MatrixXd jac;
  const auto base = simulator.simulate(e.flux_vector(rows.row(1).transpose()), &jac);
  ASSERT_TRUE(base.has_value());
  ASSERT_EQ(jac.cols(), nf);
  for (Eigen::Index k = 0; k < 3; ++k) {
    Eigen::MatrixXd step = free.row(1);
    const double h = 1e-6 * std::max(1.0, std::fabs(step(0, k)));
    step(0, k) += h;
    const auto moved = simulator.simulate(e.flux_vector(e.expand(step).row(0).transpose()));
    ASSERT_TRUE(moved.has_value());
    const Eigen::VectorXd fd = (*moved - *base) / h;
    EXPECT_LT((fd - jac.col(k)).cwiseAbs().maxCoeff(), 1e-5 * std::max(1.0, jac.col(k).cwiseAbs().maxCoeff())) << k;
  }
}

// The authors' toy network (tests/data/mlflux, MIT) read from its Keras files reproduces
// a numpy forward pass of the same files (simple_ann_reference.tsv) to float32 precision.
TEST(KerasImport, ReproducesTheAuthorsToyNetwork) {
  const std::string dir = std::string(FLUXION_SOURCE_DIR) + "/tests/data/mlflux";
  auto net = learn::read_keras_dense(dir + "/Simple_ANN.json", dir + "/Simple_ANN.h5");
  ASSERT_TRUE(net.ok()) << net.message();
  EXPECT_EQ(net.value().inputs, 120u);
  ASSERT_EQ(net.value().weights.size(), 6u);
  EXPECT_EQ(net.value().weights.front().rows(), 216);
  EXPECT_EQ(net.value().weights.back().rows(), 6);
  EXPECT_EQ(net.value().keras_version, "2.10.0");
  const std::vector<std::string> columns = {"net:EX_molE", "net:EX_molF", "xch:v2", "xch:v3", "xch:v4", "xch:v5"};
  const nlohmann::json manifest = {{"inputs", 120}, {"columns", columns}, {"outputs", "transformed"}, {"hidden", {216, 15, 15, 15, 36}}};
  auto p = learn::FluxPredictor::from_dense_layers(net.value().weights, net.value().biases, manifest);
  ASSERT_TRUE(p.ok()) << p.message();
  std::ifstream in(dir + "/simple_ann_reference.tsv");
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::vector<double> v;
    for (double x; ss >> x;) v.push_back(x);
    ASSERT_EQ(v.size(), 126u);
    const Eigen::MatrixXd x = Eigen::Map<const Eigen::RowVectorXd>(v.data(), 120);
    const Eigen::MatrixXd got = p.value().predict(x);
    for (int j = 0; j < 6; ++j) {
      const double y = v[120 + static_cast<std::size_t>(j)];
      const double want = j < 2 ? learn::output_to_net(y) : learn::output_to_exchange(y);
      EXPECT_NEAR(got(0, j), want, 1e-4 * std::max(1.0, std::fabs(want))) << "row " << rows << " output " << j;
    }
    ++rows;
  }
  EXPECT_EQ(rows, 3);
  // shapes that do not fit are refused
  auto wrong = manifest;
  wrong["hidden"] = {216, 15, 15, 15, 35};
  EXPECT_FALSE(learn::FluxPredictor::from_dense_layers(net.value().weights, net.value().biases, wrong).ok());
  // what is not a Keras model is refused with the file named
  auto missing = learn::read_keras_dense(dir + "/Simple_ANN.json", dir + "/no_such.h5");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("no_such.h5"), std::string::npos);
  auto not_json = learn::read_keras_dense(dir + "/Simple_ANN.h5", dir + "/Simple_ANN.h5");
  ASSERT_FALSE(not_json.ok());
  EXPECT_NE(not_json.message().find("not JSON"), std::string::npos);
}
