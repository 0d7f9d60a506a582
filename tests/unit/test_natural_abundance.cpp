// Natural isotope distributions, correction matrices and NNLS correction.
#include <gtest/gtest.h>

#include "fluxion/isotope/natural_abundance.hpp"

using namespace fluxion;

TEST(Formula, ParsesAndFormats) {
  auto f = isotope::parse_formula("C11H26N2O1Si2");
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_EQ(f.value().at("C"), 11);
  EXPECT_EQ(f.value().at("Si"), 2);
  EXPECT_EQ(isotope::format_formula(f.value()), "C11H26N2OSi2");
  EXPECT_EQ(isotope::parse_formula("CH3CH2OH").value().at("C"), 2);
  auto bad = isotope::parse_formula("C3Xq2");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.diagnostics().front().column, 3);
  EXPECT_NE(bad.message().find("no isotope data for element 'Xq'"), std::string::npos);
  EXPECT_FALSE(isotope::parse_formula("c3").ok());
  EXPECT_FALSE(isotope::parse_formula("").ok());
}

TEST(NaturalAbundance, BinomialForOneElement) {
  const double a = 0.0107;
  auto d = isotope::natural_mass_distribution(isotope::parse_formula("C2").value(), 3);
  ASSERT_TRUE(d.ok());
  EXPECT_NEAR(d.value()[0], (1 - a) * (1 - a), 1e-15);
  EXPECT_NEAR(d.value()[1], 2 * a * (1 - a), 1e-15);
  EXPECT_NEAR(d.value()[2], a * a, 1e-15);
  EXPECT_EQ(d.value()[3], 0.0);
  // oxygen: 17O shifts by one, 18O by two
  auto o = isotope::natural_mass_distribution(isotope::parse_formula("O").value(), 2);
  EXPECT_NEAR(o.value()[1], 0.00038, 1e-15);
  EXPECT_NEAR(o.value()[2], 0.00205, 1e-15);
}

TEST(NaturalAbundance, FragmentMidsSeeTheOtherAtoms) {
  // a fully unlabelled fragment measured with two more carbons: the first three terms
  // of the C2 distribution, renormalised
  const std::vector<double> mid = {1.0, 0.0, 0.0};
  auto out = isotope::with_natural_isotopes(mid, isotope::parse_formula("C2").value());
  ASSERT_TRUE(out.ok());
  const double a = 0.0107;
  const double s = (1 - a) * (1 - a) + 2 * a * (1 - a) + a * a;
  EXPECT_NEAR(out.value()[0], (1 - a) * (1 - a) / s, 1e-15);
  EXPECT_NEAR(out.value()[2], a * a / s, 1e-15);
}

TEST(Correction, MatrixColumnsForAPureCarbonIon) {
  isotope::CorrectionOptions o;
  o.formula = "C3";
  auto c = isotope::correction_matrix(o, 4);
  ASSERT_TRUE(c.ok()) << c.message();
  const double a = 0.0107;
  const auto& m = c.value().matrix;
  ASSERT_EQ(m.rows(), 4);
  ASSERT_EQ(m.cols(), 4);
  // column i: i labels, natural 13C at the 3 − i others
  EXPECT_NEAR(m(0, 0), std::pow(1 - a, 3), 1e-15);
  EXPECT_NEAR(m(1, 0), 3 * a * std::pow(1 - a, 2), 1e-15);
  EXPECT_NEAR(m(1, 1), std::pow(1 - a, 2), 1e-15);
  EXPECT_NEAR(m(2, 1), 2 * a * (1 - a), 1e-15);
  EXPECT_EQ(m(0, 1), 0.0);
  EXPECT_NEAR(m(3, 3), 1.0, 1e-15);
  o.tracer_natural_abundance = false;
  o.purity = 0.99;
  auto c2 = isotope::correction_matrix(o, 4);
  EXPECT_NEAR(c2.value().matrix(0, 0), 1.0, 1e-15);
  EXPECT_NEAR(c2.value().matrix(3, 3), 0.99 * 0.99 * 0.99, 1e-15);
  EXPECT_NEAR(c2.value().matrix(2, 3), 3 * 0.99 * 0.99 * 0.01, 1e-15);
}

TEST(Correction, RecoversTheTrueDistribution) {
  isotope::CorrectionOptions o;
  o.formula = "C17H40N3O1Si3";  // Ser[M-57] (TBDMS), 3 traced carbons of serine
  o.tracer_atoms = 3;
  o.purity = 0.99;
  auto c = isotope::correction_matrix(o, 6);
  ASSERT_TRUE(c.ok()) << c.message();
  const Eigen::Vector4d truth(0.4, 0.1, 0.2, 0.3);
  const Eigen::VectorXd measured = 1234.5 * (c.value().matrix * truth);
  const auto out = isotope::correct_intensities(c.value(), std::vector<double>(measured.data(), measured.data() + measured.size()));
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(out.fractions[static_cast<std::size_t>(i)], truth(i), 1e-12);
  for (double r : out.residuum) EXPECT_NEAR(r, 0.0, 1e-12);
  EXPECT_NEAR(out.mean_enrichment, (0.1 + 2 * 0.2 + 3 * 0.3) / 3, 1e-12);
  EXPECT_FALSE(isotope::correction_matrix(isotope::CorrectionOptions{Element::C, "C2", 3, 1.0, true, {}}, 4).ok());
  EXPECT_FALSE(isotope::correction_matrix(isotope::CorrectionOptions{Element::C, "C2", -1, 0.0, true, {}}, 4).ok());
}

TEST(Correction, NonNegativeLeastSquares) {
  // unconstrained least squares would make x2 negative
  Eigen::MatrixXd a(3, 2);
  a << 1, 0, 0, 1, 1, 1;
  Eigen::VectorXd b(3);
  b << 2, -1, 1;
  const Eigen::VectorXd x = isotope::nonnegative_least_squares(a, b);
  EXPECT_NEAR(x(0), 1.5, 1e-12);  // minimises (x−2)² + 1 + (x−1)²
  EXPECT_EQ(x(1), 0.0);
  // an exactly solvable non-negative system is solved exactly
  Eigen::MatrixXd a2 = Eigen::MatrixXd::Identity(3, 3);
  a2(1, 0) = 0.5;
  const Eigen::VectorXd x2 = isotope::nonnegative_least_squares(a2, a2 * Eigen::Vector3d(1, 2, 3));
  EXPECT_NEAR((x2 - Eigen::Vector3d(1, 2, 3)).norm(), 0.0, 1e-12);
}
