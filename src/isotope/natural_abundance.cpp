#include "fluxion/isotope/natural_abundance.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

namespace fluxion {

namespace {

struct IsotopeShift {
  int shift;
  double abundance;
};

// Natural isotope abundances by nominal mass shift. C, H, N, O as AccuCor uses them;
// S, Si, Cl, Br, K from IUPAC 2013 representative values; F, Na, P, I monoisotopic.
const std::map<std::string, std::vector<IsotopeShift>>& isotope_table() {
  static const std::map<std::string, std::vector<IsotopeShift>> table = {
      {"C", {{0, 0.9893}, {1, 0.0107}}},
      {"H", {{0, 0.999885}, {1, 0.000115}}},
      {"N", {{0, 0.99636}, {1, 0.00364}}},
      {"O", {{0, 0.99757}, {1, 0.00038}, {2, 0.00205}}},
      {"S", {{0, 0.9499}, {1, 0.0075}, {2, 0.0425}, {4, 0.0001}}},
      {"Si", {{0, 0.92223}, {1, 0.04685}, {2, 0.03092}}},
      {"Cl", {{0, 0.7576}, {2, 0.2424}}},
      {"Br", {{0, 0.5069}, {2, 0.4931}}},
      {"K", {{0, 0.932581}, {1, 0.000117}, {2, 0.067302}}},
      {"P", {{0, 1.0}}},
      {"F", {{0, 1.0}}},
      {"Na", {{0, 1.0}}},
      {"I", {{0, 1.0}}},
  };
  return table;
}

std::vector<double> convolve(const std::vector<double>& a, const std::vector<double>& b, std::size_t length) {
  std::vector<double> out(length, 0.0);
  for (std::size_t i = 0; i < a.size() && i < length; ++i)
    for (std::size_t j = 0; j < b.size() && i + j < length; ++j) out[i + j] += a[i] * b[j];
  return out;
}

std::vector<double> binomial_shifts(int n, double p, int shift, std::size_t length) {
  std::vector<double> atom(static_cast<std::size_t>(shift) + 1, 0.0);
  atom[0] = 1.0 - p;
  atom[static_cast<std::size_t>(shift)] += p;
  std::vector<double> out(length, 0.0);
  out[0] = 1.0;
  for (int k = 0; k < n; ++k) out = convolve(out, atom, length);
  return out;
}

int tracer_shift(Element e) { return e == Element::O ? 2 : 1; }  // 18O is two mass units heavier

}  // namespace

Result<Formula> parse_formula(std::string_view text) {
  Formula f;
  std::size_t i = 0;
  auto fail = [&](const std::string& msg) {
    return Result<Formula>::failure(
        {Diagnostic{Severity::error, {}, 0, static_cast<int>(i + 1), {}, "formula \"" + std::string(text) + "\": " + msg}});
  };
  if (text.empty()) return fail("empty");
  if (text.size() > 200) return fail("too long for a molecular formula");
  while (i < text.size()) {
    if (!std::isupper(static_cast<unsigned char>(text[i]))) return fail("expected an element symbol such as C, H, Si");
    std::size_t j = i + 1;
    while (j < text.size() && std::islower(static_cast<unsigned char>(text[j]))) ++j;
    const std::string symbol(text.substr(i, j - i));
    if (!isotope_table().count(symbol)) return fail("no isotope data for element '" + symbol + "'");
    std::size_t k = j;
    while (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) ++k;
    int n = 1;
    if (k > j) {
      if (k - j > 3) return fail("atom count too large (at most 999 per element)");
      n = std::stoi(std::string(text.substr(j, k - j)));
    }
    f[symbol] += n;
    i = k;
  }
  return Result<Formula>::success(std::move(f));
}

std::string format_formula(const Formula& f) {
  std::string out;
  auto put = [&](const std::string& e) {
    auto it = f.find(e);
    if (it == f.end() || it->second == 0) return;
    out += e;
    if (it->second != 1) out += std::to_string(it->second);
  };
  put("C");
  put("H");
  for (const auto& [e, n] : f)
    if (e != "C" && e != "H") put(e);
  return out;
}

Result<std::vector<double>> natural_mass_distribution(const Formula& formula, int max_shift) {
  const std::size_t length = static_cast<std::size_t>(std::max(0, max_shift)) + 1;
  std::vector<double> out(length, 0.0);
  out[0] = 1.0;
  for (const auto& [symbol, count] : formula) {
    auto it = isotope_table().find(symbol);
    if (it == isotope_table().end())
      return Result<std::vector<double>>::failure({Diagnostic{Severity::error, {}, 0, 0, {}, "no isotope data for element '" + symbol + "'"}});
    std::vector<double> atom;
    for (const auto& iso : it->second) {
      if (atom.size() <= static_cast<std::size_t>(iso.shift)) atom.resize(static_cast<std::size_t>(iso.shift) + 1, 0.0);
      atom[static_cast<std::size_t>(iso.shift)] += iso.abundance;
    }
    for (int k = 0; k < count; ++k) out = convolve(out, atom, length);
  }
  return Result<std::vector<double>>::success(std::move(out));
}

Result<std::vector<double>> with_natural_isotopes(std::span<const double> mid, const Formula& other_atoms) {
  auto dist = natural_mass_distribution(other_atoms, static_cast<int>(mid.size()) - 1);
  if (!dist) return dist;
  std::vector<double> out = convolve(std::vector<double>(mid.begin(), mid.end()), dist.value(), mid.size());
  double sum = 0;
  for (double v : out) sum += v;
  if (sum > 0)
    for (double& v : out) v /= sum;
  return Result<std::vector<double>>::success(std::move(out));
}

Result<bool> add_natural_isotopes(MidSet& mids, Eigen::MatrixXd* jacobian, const MidSetFormulas& formulas) {
  if (formulas.other_atoms.size() != mids.offsets.size())
    return Result<bool>::failure({Diagnostic{Severity::error, {}, 0, 0, {}, "one formula per simulated MID is needed"}});
  for (std::size_t k = 0; k < mids.offsets.size(); ++k) {
    if (formulas.other_atoms[k].empty()) continue;
    const std::size_t width = (k + 1 < mids.offsets.size() ? mids.offsets[k + 1] : mids.block) - mids.offsets[k];
    auto dist = natural_mass_distribution(formulas.other_atoms[k], static_cast<int>(width) - 1);
    if (!dist) return Result<bool>::failure(dist.diagnostics());
    Eigen::MatrixXd t = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(width), static_cast<Eigen::Index>(width));
    for (std::size_t i = 0; i < width; ++i)
      for (std::size_t j = 0; j <= i; ++j) t(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = dist.value()[i - j];
    for (int x = 0; x < mids.n_experiments; ++x) {
      const std::size_t begin = static_cast<std::size_t>(x) * mids.block + mids.offsets[k];
      Eigen::Map<Eigen::VectorXd> mid(mids.values.data() + begin, static_cast<Eigen::Index>(width));
      const Eigen::VectorXd raw = t * mid;
      const double sum = raw.sum();
      const Eigen::VectorXd y = raw / sum;
      if (jacobian) {  // d(Tx / 1ᵀTx) = T·dx / s − y·(1ᵀT·dx) / s
        auto rows = jacobian->middleRows(static_cast<Eigen::Index>(begin), static_cast<Eigen::Index>(width));
        const Eigen::MatrixXd tr = t * rows;
        rows = (tr - y * tr.colwise().sum()) / sum;
      }
      mid = y;
    }
  }
  return Result<bool>::success(true);
}

std::string CorrectionOptions::validate() const {
  auto f = parse_formula(formula);
  if (!f) return f.diagnostics().front().message;
  const int available = f.value().count(std::string(element_symbol(tracer))) ? f.value().at(std::string(element_symbol(tracer))) : 0;
  if (tracer_atoms > available)
    return "tracer_atoms = " + std::to_string(tracer_atoms) + " but the formula " + formula + " has " + std::to_string(available) +
           " " + std::string(element_symbol(tracer)) + " atoms";
  if (std::max(available, tracer_atoms) > kMaxTracerAtoms)
    return "more than " + std::to_string(kMaxTracerAtoms) + " tracer atoms: is the formula " + formula + " right?";
  if (available == 0 && tracer_atoms < 0)
    return "the formula " + formula + " has no " + std::string(element_symbol(tracer)) + " atoms to trace";
  if (!(purity > 0 && purity <= 1)) return "purity = " + std::to_string(purity) + " must be in (0, 1]";
  return {};
}

Result<CorrectionMatrix> correction_matrix(const CorrectionOptions& options, int measured_isotopologues) {
  if (auto msg = options.validate(); !msg.empty())
    return Result<CorrectionMatrix>::failure({Diagnostic{Severity::error, {}, 0, 0, "correction", msg}});
  if (measured_isotopologues < 1)
    return Result<CorrectionMatrix>::failure({Diagnostic{Severity::error, {}, 0, 0, "correction", "no measured isotopologues"}});
  if (measured_isotopologues > kMaxTracerAtoms + 64)
    return Result<CorrectionMatrix>::failure({Diagnostic{Severity::error, {}, 0, 0, "correction",
                                                         std::to_string(measured_isotopologues) + " isotopologues are more than an ion can show"}});
  Formula other = parse_formula(options.formula).value();
  const std::string el(element_symbol(options.tracer));
  const int n = options.tracer_atoms < 0 ? other[el] : options.tracer_atoms;
  other[el] -= n;
  const auto rows = static_cast<std::size_t>(measured_isotopologues);
  const std::vector<double> base = natural_mass_distribution(other, measured_isotopologues - 1).value();
  const int shift = tracer_shift(options.tracer);
  CorrectionMatrix c;
  c.tracer_atoms = n;
  c.matrix = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(rows), n + 1);
  for (int i = 0; i <= n; ++i) {
    std::vector<double> col = base;
    if (options.tracer_natural_abundance) {
      Formula unlabelled{{el, n - i}};
      col = convolve(col, natural_mass_distribution(unlabelled, measured_isotopologues - 1).value(), rows);
    }
    col = convolve(col, binomial_shifts(i, options.purity, shift, rows), rows);
    for (std::size_t r = 0; r < rows; ++r) c.matrix(static_cast<Eigen::Index>(r), i) = col[r];
  }
  return Result<CorrectionMatrix>::success(std::move(c));
}

Eigen::VectorXd nonnegative_least_squares(const Eigen::MatrixXd& a, const Eigen::VectorXd& b) {
  const Eigen::Index n = a.cols();
  Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
  std::vector<bool> passive(static_cast<std::size_t>(n), false);
  const double tol = 10 * std::numeric_limits<double>::epsilon() * a.norm() * std::max<Eigen::Index>(a.rows(), n);
  auto solve_passive = [&](Eigen::VectorXd& s) {
    std::vector<Eigen::Index> idx;
    for (Eigen::Index j = 0; j < n; ++j)
      if (passive[static_cast<std::size_t>(j)]) idx.push_back(j);
    Eigen::MatrixXd ap(a.rows(), static_cast<Eigen::Index>(idx.size()));
    for (std::size_t k = 0; k < idx.size(); ++k) ap.col(static_cast<Eigen::Index>(k)) = a.col(idx[k]);
    const Eigen::VectorXd sp = ap.colPivHouseholderQr().solve(b);
    s = Eigen::VectorXd::Zero(n);
    for (std::size_t k = 0; k < idx.size(); ++k) s(idx[k]) = sp(static_cast<Eigen::Index>(k));
  };
  for (int outer = 0; outer < 3 * n + 10; ++outer) {
    const Eigen::VectorXd w = a.transpose() * (b - a * x);
    Eigen::Index best = -1;
    for (Eigen::Index j = 0; j < n; ++j)
      if (!passive[static_cast<std::size_t>(j)] && w(j) > tol && (best < 0 || w(j) > w(best))) best = j;
    if (best < 0) break;
    passive[static_cast<std::size_t>(best)] = true;
    for (int inner = 0; inner < 3 * n + 10; ++inner) {
      Eigen::VectorXd s;
      solve_passive(s);
      bool feasible = true;
      for (Eigen::Index j = 0; j < n; ++j)
        if (passive[static_cast<std::size_t>(j)] && s(j) <= 0) feasible = false;
      if (feasible) {
        x = s;
        break;
      }
      double alpha = 1.0;
      for (Eigen::Index j = 0; j < n; ++j)
        if (passive[static_cast<std::size_t>(j)] && s(j) <= 0) alpha = std::min(alpha, x(j) / (x(j) - s(j)));
      x += alpha * (s - x);
      for (Eigen::Index j = 0; j < n; ++j)
        if (passive[static_cast<std::size_t>(j)] && x(j) <= tol) {
          passive[static_cast<std::size_t>(j)] = false;
          x(j) = 0.0;
        }
    }
  }
  return x;
}

CorrectedMid correct_intensities(const CorrectionMatrix& c, std::span<const double> measured) {
  const Eigen::Index rows = c.matrix.rows();
  Eigen::VectorXd m = Eigen::VectorXd::Zero(rows);
  for (Eigen::Index r = 0; r < rows && r < static_cast<Eigen::Index>(measured.size()); ++r) m(r) = measured[static_cast<std::size_t>(r)];
  const Eigen::VectorXd x = nonnegative_least_squares(c.matrix, m);
  const Eigen::VectorXd residual = m - c.matrix * x;
  CorrectedMid out;
  const double total = x.sum(), msum = m.sum();
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    out.corrected.push_back(x(i));
    out.fractions.push_back(total > 0 ? x(i) / total : 0.0);
  }
  for (Eigen::Index r = 0; r < rows; ++r) out.residuum.push_back(msum != 0 ? residual(r) / msum : 0.0);
  double enrichment = 0.0;
  for (Eigen::Index i = 0; i < x.size(); ++i) enrichment += static_cast<double>(i) * x(i);
  out.mean_enrichment = (total > 0 && c.tracer_atoms > 0) ? enrichment / (c.tracer_atoms * total) : 0.0;
  return out;
}

}  // namespace fluxion
