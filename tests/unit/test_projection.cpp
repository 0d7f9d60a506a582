// FBApro projections: the paper's Table 1 (all four variants), the reference notebook's
// small pathways, agreement with the paper's closed forms (Thm 2.1, 2.3, 2.5, 2.7) on
// e_coli_core, least squares when the fixed fluxes contradict steady state, and the
// projector artefact (round trip, corruption, truncation).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <unistd.h>

#include "fluxion/cbm/projection.hpp"
#include "fluxion/io/model_io.hpp"
#include "small_models.hpp"

using namespace fluxion;
using cbm::ProjectionVariant;
using Eigen::Index;
using test_models::vec;

namespace {

const std::string kData = FLUXION_SHARED_DATA;

Model chain_model(const std::vector<test_models::SmallReaction>& reactions) { return test_models::small_model("toy", reactions); }

Model paper_toy() { return test_models::fbapro_toy(); }

Eigen::MatrixXd basis_of(const Model& m) {
  auto k = cbm::orthonormal_kernel(cbm::balanced_stoichiometry(m));
  EXPECT_TRUE(k.ok()) << k.message();
  return k.value().basis;
}

Eigen::VectorXd project(const Model& m, ProjectionVariant variant, const std::vector<Index>& fixed, const std::vector<Index>& noisy,
                        const Eigen::VectorXd& v) {
  auto p = cbm::Projector::build(basis_of(m), cbm::variant_sets(variant, fixed, noisy, static_cast<Index>(m.reactions.size())));
  EXPECT_TRUE(p.ok()) << p.message();
  return p.value().apply(v).col(0);
}

// B⁺ with singular values ≤ 1e-10·σ_max dropped (the test's own, through a Jacobi SVD)
Eigen::MatrixXd pinv(const Eigen::MatrixXd& b) {
  if (b.size() == 0) return Eigen::MatrixXd::Zero(b.cols(), b.rows());
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(b, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const auto& s = svd.singularValues();
  Eigen::VectorXd inv = Eigen::VectorXd::Zero(s.size());
  for (Index i = 0; i < s.size(); ++i)
    if (s(i) > 1e-10 * s(0)) inv(i) = 1.0 / s(i);
  return svd.matrixV() * inv.asDiagonal() * svd.matrixU().transpose();
}

}  // namespace

TEST(Projection, PaperTable1AllVariants) {
  // Bruner & Singh, Table 1: truth (7,4,3,4,6), reference (7,0,2.2,3.6,0); H = {v1}, M = {v3, v4}
  const Model m = paper_toy();
  const Eigen::VectorXd truth = vec({7, 4, 3, 4, 6}), ref = vec({7, 0, 2.2, 3.6, 0});
  const std::vector<Index> fixed{0}, noisy{2, 3};
  struct Row {
    ProjectionVariant variant;
    Eigen::VectorXd expected;
    double error;
  };
  const std::vector<Row> rows{{ProjectionVariant::full, vec({7, 4.2, 2.8, 4.2, 5.6}), 0.53},
                              {ProjectionVariant::partial, vec({6.6, 4, 2.6, 4, 5.2}), 0.98},
                              {ProjectionVariant::fixed, vec({7, 5.2, 1.8, 5.2, 3.6}), 3.17},
                              {ProjectionVariant::basic, vec({4.2, 3.2, 1, 3.2, 2}), 5.40}};
  for (const auto& row : rows) {
    const Eigen::VectorXd x = project(m, row.variant, fixed, noisy, ref);
    EXPECT_LT((x - row.expected).cwiseAbs().maxCoeff(), 1e-12) << to_string(row.variant) << ": " << x.transpose();
    EXPECT_NEAR((x - truth).norm(), row.error, 0.005) << to_string(row.variant);
  }
}

TEST(Projection, NotebookPathways) {
  // →A→B→ (the reference repository's example notebook)
  const Model lin = chain_model({{"in", {{"A", 1}}}, {"ab", {{"A", -1}, {"B", 1}}}, {"out", {{"B", -1}}}});
  auto basic = [&](const Model& m, Eigen::VectorXd v) { return project(m, ProjectionVariant::basic, {}, {}, v); };
  EXPECT_LT((basic(lin, vec({1.9, 2, 2.1})) - vec({2, 2, 2})).norm(), 1e-12);
  EXPECT_LT((basic(lin, vec({1, 2, 0})) - vec({1, 1, 1})).norm(), 1e-12);
  EXPECT_LT((basic(lin, vec({1, 0, 1})) - vec({2. / 3, 2. / 3, 2. / 3})).norm(), 1e-12);
  // Partial, index 1 unmeasured
  auto partial = [&](Eigen::VectorXd v) { return project(lin, ProjectionVariant::partial, {}, {0, 2}, v); };
  EXPECT_LT((partial(vec({1.9, 2, 2.1})) - vec({2, 2, 2})).norm(), 1e-12);
  EXPECT_LT((partial(vec({1, 2, 0})) - vec({0.5, 0.5, 0.5})).norm(), 1e-12);
  EXPECT_LT((partial(vec({1, 0, 1})) - vec({1, 1, 1})).norm(), 1e-12);
  // Fixed, index 2 fixed
  auto fixed = [&](Eigen::VectorXd v) { return project(lin, ProjectionVariant::fixed, {2}, {}, v); };
  EXPECT_LT((fixed(vec({1.9, 2, 2.1})) - vec({2.1, 2.1, 2.1})).norm(), 1e-12);
  EXPECT_LT((fixed(vec({1, 2, 0})) - vec({0, 0, 0})).norm(), 1e-12);
  EXPECT_LT((fixed(vec({1, 0, 1})) - vec({1, 1, 1})).norm(), 1e-12);

  // branching: import A; A → R → ; A → L → ; fluxes (a + b, a, a, b, b)
  const Model br = chain_model({{"in", {{"A", 1}}},
                                {"ar", {{"A", -1}, {"R", 1}}},
                                {"rout", {{"R", -1}}},
                                {"al", {{"A", -1}, {"L", 1}}},
                                {"lout", {{"L", -1}}}});
  EXPECT_LT((basic(br, vec({5, 2, 2, 3, 3})) - vec({5, 2, 2, 3, 3})).norm(), 1e-12);
  EXPECT_LT((basic(br, vec({10, 2, 2.5, 3, 2.5})) - vec({7.5, 3.5, 3.5, 4, 4})).norm(), 1e-12);
  EXPECT_LT((project(br, ProjectionVariant::fixed, {0}, {}, vec({10, 2, 2.5, 3, 2.5})) - vec({10, 4.75, 4.75, 5.25, 5.25})).norm(), 1e-12);
}

TEST(Projection, InconsistentFixedFluxesGiveLeastSquares) {
  // v2 and v4 carry the same flux at steady state: fixing them to 1 and 2 cannot hold
  const Model m = paper_toy();
  auto p = cbm::Projector::build(basis_of(m), {{1, 3}, {0, 2}});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.value().report().rank_high, 1);  // A_H has two rows but rank 1
  const Eigen::VectorXd x = p.value().apply(vec({7, 1, 3, 2, 6})).col(0);
  EXPECT_NEAR(x(1), 1.5, 1e-12);  // the least-squares compromise
  EXPECT_NEAR(x(3), 1.5, 1e-12);
  EXPECT_LT((cbm::balanced_stoichiometry(m) * x).norm(), 1e-12);
}

TEST(Projection, RejectsBadSets) {
  const Model m = paper_toy();
  EXPECT_FALSE(cbm::Projector::build(basis_of(m), {{0}, {0, 1}}).ok());  // in both sets
  EXPECT_FALSE(cbm::Projector::build(basis_of(m), {{}, {7}}).ok());      // out of range
  EXPECT_FALSE(cbm::Projector::build(basis_of(m), {{}, {1}}, {.relative_cutoff = 0.0}).ok());
}

TEST(Projection, ClosedFormsOnEcoliCore) {
  // Every variant's operator against the paper's theorems with dense pseudo-inverses, on
  // e_coli_core with 10 % fixed and 40 % noisy reactions drawn at random; and the results
  // at steady state with x_H = v_H.
  const std::string path = kData + "/bigg/e_coli_core.xml.gz";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  auto model = io::load_model(path);
  ASSERT_TRUE(model.ok()) << model.message();
  const auto s_sparse = cbm::balanced_stoichiometry(model.value());
  const Eigen::MatrixXd s(s_sparse);
  const Index r = s.cols();
  auto kernel = cbm::orthonormal_kernel(s_sparse);
  ASSERT_TRUE(kernel.ok()) << kernel.message();
  const Eigen::MatrixXd& a = kernel.value().basis;
  EXPECT_EQ(kernel.value().rank, 67);  // notes §8: rank 67, dim ker S 28
  EXPECT_EQ(a.cols(), 28);

  std::mt19937_64 rng(11);
  std::vector<Index> order(static_cast<std::size_t>(r));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  const auto n_fixed = static_cast<std::size_t>(r / 10), n_noisy = static_cast<std::size_t>(2 * r / 5);
  std::vector<Index> fixed(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_fixed));
  std::vector<Index> noisy(order.begin() + static_cast<std::ptrdiff_t>(n_fixed), order.begin() + static_cast<std::ptrdiff_t>(n_fixed + n_noisy));
  std::sort(fixed.begin(), fixed.end());
  std::sort(noisy.begin(), noisy.end());

  const Eigen::MatrixXd aat = a * a.transpose();
  const Eigen::MatrixXd eye = Eigen::MatrixXd::Identity(r, r);
  auto selector = [&](const std::vector<Index>& rows) {
    Eigen::MatrixXd p = Eigen::MatrixXd::Zero(static_cast<Index>(rows.size()), r);
    for (std::size_t i = 0; i < rows.size(); ++i) p(static_cast<Index>(i), rows[i]) = 1.0;
    return p;
  };
  auto full_theorem = [&](const std::vector<Index>& high, const std::vector<Index>& medium) {  // Thm 2.1
    std::vector<Index> rest;
    for (Index i = 0; i < r; ++i)
      if (!std::binary_search(high.begin(), high.end(), i)) rest.push_back(i);
    const Eigen::MatrixXd b = selector(rest).transpose();  // r × (r − |H|)
    const Eigen::MatrixXd bbt = b * b.transpose();
    const Eigen::MatrixXd dp = pinv(aat + bbt);
    Eigen::MatrixXd c(r, a.cols() + b.cols());
    c << bbt * dp * a, aat * dp * b;  // C = [BBᵀD⁺A : AAᵀD⁺B]
    const Eigen::MatrixXd p = selector(medium);
    const Eigen::MatrixXd e = c * pinv(p * c) * p;
    return Eigen::MatrixXd(e * (eye - aat * dp) + aat * dp);
  };
  auto fixed_theorem = [&](const std::vector<Index>& high) {  // Thm 2.7
    std::vector<Index> rest;
    for (Index i = 0; i < r; ++i)
      if (!std::binary_search(high.begin(), high.end(), i)) rest.push_back(i);
    Eigen::MatrixXd sh(s.rows(), static_cast<Index>(high.size())), sr(s.rows(), static_cast<Index>(rest.size()));
    for (std::size_t k = 0; k < high.size(); ++k) sh.col(static_cast<Index>(k)) = s.col(high[k]);
    for (std::size_t k = 0; k < rest.size(); ++k) sr.col(static_cast<Index>(k)) = s.col(rest[k]);
    const Eigen::MatrixXd srp = pinv(sr);
    const Eigen::MatrixXd qrh = -srp * sh, qrr = Eigen::MatrixXd::Identity(sr.cols(), sr.cols()) - srp * sr;
    Eigen::MatrixXd q = Eigen::MatrixXd::Zero(r, r);
    for (std::size_t i = 0; i < high.size(); ++i) q(high[i], high[i]) = 1.0;
    for (std::size_t i = 0; i < rest.size(); ++i) {
      for (std::size_t k = 0; k < high.size(); ++k) q(rest[i], high[k]) = qrh(static_cast<Index>(i), static_cast<Index>(k));
      for (std::size_t k = 0; k < rest.size(); ++k) q(rest[i], rest[k]) = qrr(static_cast<Index>(i), static_cast<Index>(k));
    }
    return q;
  };
  auto build = [&](ProjectionVariant v) {
    auto p = cbm::Projector::build(a, cbm::variant_sets(v, fixed, noisy, r));
    EXPECT_TRUE(p.ok()) << p.message();
    return std::move(p.value());
  };

  const auto basic = build(ProjectionVariant::basic);
  EXPECT_LT((basic.dense_operator() - (eye - pinv(s) * s)).cwiseAbs().maxCoeff(), 1e-10);  // Thm 2.3
  const auto partial = build(ProjectionVariant::partial);
  const Eigen::MatrixXd pm = selector(partial.sets().medium);
  EXPECT_LT((partial.dense_operator() - a * pinv(pm * a) * pm).cwiseAbs().maxCoeff(), 1e-10);  // Thm 2.5
  const auto fixed_p = build(ProjectionVariant::fixed);
  EXPECT_LT((fixed_p.dense_operator() - fixed_theorem(fixed)).cwiseAbs().maxCoeff(), 1e-10);
  EXPECT_LT((fixed_p.dense_operator() - full_theorem(fixed_p.sets().high, fixed_p.sets().medium)).cwiseAbs().maxCoeff(), 1e-10);  // Thm 2.8
  const auto full = build(ProjectionVariant::full);
  // With 40 % noisy, two directions of ker S are seen neither by M nor fixed by H: every
  // choice there is optimal. The null-space routine returns the least-norm x; Thm 2.1 the
  // least-norm coefficients of its C. Same objective, same x_H, ours no longer.
  EXPECT_LT(full.report().rank_medium, full.report().free_after_high);
  for (int trial = 0; trial < 5; ++trial) {
    const Eigen::VectorXd v = Eigen::VectorXd::Random(r);
    const Eigen::VectorXd x1 = full.apply(v).col(0), x2 = full_theorem(fixed, noisy) * v;
    double o1 = 0, o2 = 0;
    for (Index i : noisy) {
      o1 += (x1(i) - v(i)) * (x1(i) - v(i));
      o2 += (x2(i) - v(i)) * (x2(i) - v(i));
    }
    EXPECT_NEAR(o1, o2, 1e-10 * (1 + o2));
    EXPECT_LE(x1.norm(), x2.norm() + 1e-12);
  }
  // where M sees every free direction, the solution is unique and the operators agree
  std::vector<Index> more_noisy(order.begin() + static_cast<std::ptrdiff_t>(n_fixed), order.begin() + static_cast<std::ptrdiff_t>(n_fixed + 3 * n_noisy / 2));
  std::sort(more_noisy.begin(), more_noisy.end());
  auto unique = cbm::Projector::build(a, cbm::variant_sets(ProjectionVariant::full, fixed, more_noisy, r));
  ASSERT_TRUE(unique.ok());
  EXPECT_EQ(unique.value().report().rank_medium, unique.value().report().free_after_high);
  EXPECT_LT((unique.value().dense_operator() - full_theorem(fixed, more_noisy)).cwiseAbs().maxCoeff(), 1e-10);

  // steady state and the fixed fluxes, on a batch of references drawn around samples
  // of ker S (the paper's protocol: ±100 % noise)
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Eigen::MatrixXd truth = a * Eigen::MatrixXd::NullaryExpr(a.cols(), 20, [&] { return u(rng); });
  Eigen::MatrixXd ref = truth.unaryExpr([&](double x) { return x + (2 * u(rng) - 1) * std::fabs(x); });
  for (Index i : fixed) ref.row(i) = truth.row(i);
  for (const auto* p : {&basic, &partial, &fixed_p, &full}) {
    const Eigen::MatrixXd x = p->apply(ref);
    const auto check = cbm::check_projection(s_sparse, x, ref, p->sets().high);
    EXPECT_LT(check.steady_state, 1e-12);
    EXPECT_LT(check.fixed_deviation, 1e-10);
    for (Index j = 0; j < ref.cols(); ++j)  // batch = column by column
      EXPECT_LT((p->apply(ref.col(j)) - x.col(j)).cwiseAbs().maxCoeff(), 1e-12);
  }
}

TEST(Projection, ArtefactRoundTripAndDamage) {
  const Model m = paper_toy();
  auto p = cbm::Projector::build(basis_of(m), cbm::variant_sets(ProjectionVariant::full, {0}, {2, 3}, 5));
  ASSERT_TRUE(p.ok());
  const auto dir = std::filesystem::temp_directory_path() / ("fluxion_projector_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "toy.fluxproj").string();
  const std::vector<std::string> ids{"v1", "v2", "v3", "v4", "v5"};
  ASSERT_TRUE(p.value().save(path, ids, "toy", ProjectionVariant::full).ok());
  auto back = cbm::Projector::load(path);
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(back.value().reaction_ids, ids);
  EXPECT_EQ(back.value().variant, ProjectionVariant::full);
  EXPECT_EQ(back.value().projector.sets().high, std::vector<Index>{0});
  const Eigen::VectorXd ref = vec({7, 0, 2.2, 3.6, 0});
  EXPECT_EQ(back.value().projector.apply(ref), p.value().apply(ref));

  const auto size = std::filesystem::file_size(path);
  {  // one flipped byte in the matrices
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size - 3));
    f.put('\x5a');
  }
  auto corrupt = cbm::Projector::load(path);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_NE(corrupt.message().find("checksum"), std::string::npos) << corrupt.message();
  std::filesystem::resize_file(path, size - 8);
  auto truncated = cbm::Projector::load(path);
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.message().find("truncated"), std::string::npos) << truncated.message();
  std::ofstream(path) << "reaction\tflux\n";
  EXPECT_FALSE(cbm::Projector::load(path).ok());
  EXPECT_FALSE(cbm::Projector::load((dir / "missing").string()).ok());
  std::filesystem::remove_all(dir);
}
