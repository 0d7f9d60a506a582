// Natural isotopes: distributions of chemical formulas, and the correction of measured
// isotopologue intensities (the correction-matrix method of IsoCor and AccuCor).
//
// A mass spectrometer sees the heavy isotopes of every atom of the measured ion, not
// only those of the traced positions. For an ion with N atoms of the tracer element,
//   measured m = C · x,   x = true distribution of tracer labels (0..N),
// where column i of C is the distribution of mass shifts of an ion with exactly i tracer
// labels: the natural isotopes of every non-tracer atom (other elements and derivative
// atoms), optionally the natural isotopes of the tracer element at its N − i unlabelled
// positions, and tracer impurity at the i labelled positions. fluxion solves
// min ‖m − C·x‖ subject to x ≥ 0 (Lawson–Hanson non-negative least squares).
// Low-resolution (nominal mass) correction; every isotope counts by its mass shift.
#pragma once

#include <Eigen/Dense>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/isotope/emu.hpp"

namespace fluxion::isotope {

// Natural isotope abundances of elements by nominal mass shift from the lightest
// isotope: "O" -> {0.99757, 0.00038, 0.00205} (16O, 17O, 18O).
using IsotopeTable = std::map<std::string, std::vector<double>>;
// The built-in table: C, H, N, O as AccuCor uses them; S, Si, Cl, Br, K IUPAC 2013;
// F, Na, P, I monoisotopic.
const IsotopeTable& default_isotopes();
// A table in IsoCor's Isotopes.dat layout: one element per line, its symbol, then its
// abundances from the lightest isotope up, one per nominal mass, separated by tabs or
// spaces ("O 0.99757 0.00038 0.00205"; an absent mass is 0); '#' starts a comment. The
// abundances of an element must sum to 1 (within 0.001). Errors name line and column.
Result<IsotopeTable> parse_isotope_table(std::string_view text, const std::string& source);
Result<IsotopeTable> load_isotope_table(const std::string& path);

// Element symbol -> atom count, e.g. "C11H26N2O1Si2". Every element needs isotope data:
// from `isotopes` (when given) or the built-in table.
using Formula = std::map<std::string, int>;
Result<Formula> parse_formula(std::string_view text, const IsotopeTable* isotopes = nullptr);
std::string format_formula(const Formula& f);  // Hill order: C, H, then alphabetical

// Distribution of the nominal mass shift (0, +1, +2, ...) of a formula from natural
// isotope abundances, up to `max_shift`: `isotopes` (when given) for its elements, the
// built-in table for the rest. Elements without data are an error.
Result<std::vector<double>> natural_mass_distribution(const Formula& formula, int max_shift,
                                                      const IsotopeTable* isotopes = nullptr);

// The MID a mass spectrometer reports for a fragment whose traced atoms have `mid`
// when its other atoms (`other_atoms`: the fragment formula without its traced atoms)
// carry natural isotopes: convolved, cut to mid.size() isotopologues, renormalised.
Result<std::vector<double>> with_natural_isotopes(std::span<const double> mid, const Formula& other_atoms);

// Turns simulated MIDs of the traced atoms into what the instrument reports for ions
// with more atoms (derivatised GC-MS fragments): output `k` of `mids` gets the natural
// isotopes of `other_atoms[k]` (the ion formula without its traced atoms; an empty
// formula leaves the output as it is), convolved, cut to its length and renormalised.
// The Jacobian rows (MidSet::values order) are transformed alike when given.
struct MidSetFormulas {
  std::vector<Formula> other_atoms;  // one per output of the MidSet; empty = unchanged
};
Result<bool> add_natural_isotopes(MidSet& mids, Eigen::MatrixXd* jacobian, const MidSetFormulas& formulas);

inline constexpr int kMaxTracerAtoms = 200;  // correction refuses larger ions (a wrong formula, surely)

struct CorrectionOptions {
  Element tracer = Element::C;  // the traced element
  std::string formula;          // the measured ion, derivative included ("C11H26N2O1Si2")
  int tracer_atoms = -1;        // tracer positions N; < 0 = all tracer atoms of the formula
  double purity = 1.0;          // isotopic purity of the tracer at labelled positions, (0, 1]
  bool tracer_natural_abundance = true;  // correct natural isotopes of the tracer element at
                                         // unlabelled positions (IsoCor's option; off when the
                                         // simulator already puts them on the substrates)
  IsotopeTable isotopes;                 // abundances that replace the built-in ones, by element
  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
};

struct CorrectionMatrix {
  Eigen::MatrixXd matrix;  // [measured isotopologues × (N + 1)]
  int tracer_atoms = 0;    // N
};

Result<CorrectionMatrix> correction_matrix(const CorrectionOptions& options, int measured_isotopologues);

struct CorrectedMid {
  std::vector<double> corrected;   // x: corrected intensities (area units), N + 1
  std::vector<double> fractions;   // x / Σx
  std::vector<double> residuum;    // (m − C·x) / Σm, per measured isotopologue
  double mean_enrichment = 0.0;    // Σ i·x_i / (N·Σx)
};

// Corrects measured intensities (any scale) with a correction matrix.
CorrectedMid correct_intensities(const CorrectionMatrix& c, std::span<const double> measured);

// Lawson–Hanson non-negative least squares: argmin ‖A·x − b‖ subject to x ≥ 0.
Eigen::VectorXd nonnegative_least_squares(const Eigen::MatrixXd& a, const Eigen::VectorXd& b);

}  // namespace fluxion::isotope
