#include "fluxion/isotope/natural_abundance.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

namespace fluxion::isotope {

namespace {

// The abundances of `symbol` by mass shift, or null when neither table has them.
const std::vector<double>* abundances_of(const std::string& symbol, const IsotopeTable* isotopes) {
  if (isotopes)
    if (auto it = isotopes->find(symbol); it != isotopes->end()) return &it->second;
  const auto& d = default_isotopes();
  auto it = d.find(symbol);
  return it == d.end() ? nullptr : &it->second;
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

const IsotopeTable& default_isotopes() {
  // by nominal mass shift from the lightest isotope (S: 32, 33, 34, –, 36)
  static const IsotopeTable table = {
      {"C", {0.9893, 0.0107}},
      {"H", {0.999885, 0.000115}},
      {"N", {0.99636, 0.00364}},
      {"O", {0.99757, 0.00038, 0.00205}},
      {"S", {0.9499, 0.0075, 0.0425, 0.0, 0.0001}},
      {"Si", {0.92223, 0.04685, 0.03092}},
      {"Cl", {0.7576, 0.0, 0.2424}},
      {"Br", {0.5069, 0.0, 0.4931}},
      {"K", {0.932581, 0.000117, 0.067302}},
      {"P", {1.0}},
      {"F", {1.0}},
      {"Na", {1.0}},
      {"I", {1.0}},
  };
  return table;
}

Result<IsotopeTable> parse_isotope_table(std::string_view text, const std::string& source) {
  Diagnostics d(source);
  IsotopeTable table;
  std::size_t pos = 0;
  int line = 0;
  while (pos <= text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    std::string_view row = text.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    if (auto hash = row.find('#'); hash != std::string_view::npos) row = row.substr(0, hash);
    std::vector<std::pair<std::string, int>> fields;  // text, column (1-based)
    for (std::size_t i = 0; i < row.size();) {
      if (row[i] == ' ' || row[i] == '\t' || row[i] == '\r') {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < row.size() && row[j] != ' ' && row[j] != '\t' && row[j] != '\r') ++j;
      fields.emplace_back(std::string(row.substr(i, j - i)), static_cast<int>(i + 1));
      i = j;
    }
    if (fields.empty()) continue;
    const std::string& symbol = fields[0].first;
    bool symbol_ok = symbol.size() <= 3 && std::isupper(static_cast<unsigned char>(symbol[0]));
    for (std::size_t k = 1; k < symbol.size(); ++k) symbol_ok = symbol_ok && std::islower(static_cast<unsigned char>(symbol[k]));
    if (!symbol_ok) {
      d.error("'" + symbol + "' is not an element symbol (such as C, H, Si)", line, fields[0].second);
      continue;
    }
    if (table.count(symbol)) {
      d.error("element " + symbol + " is listed twice", line, fields[0].second);
      continue;
    }
    if (fields.size() < 2) {
      d.error("element " + symbol + " has no abundances", line, fields[0].second);
      continue;
    }
    if (fields.size() > 65) {
      d.error("element " + symbol + " has more than 64 abundances", line, fields[65].second);
      continue;
    }
    std::vector<double> abundances;
    bool ok = true;
    for (std::size_t k = 1; k < fields.size() && ok; ++k) {
      char* stop = nullptr;
      const double v = std::strtod(fields[k].first.c_str(), &stop);
      if (stop == fields[k].first.c_str() || *stop != '\0' || !(v >= 0 && v <= 1)) {
        d.error("abundance '" + fields[k].first + "' of " + symbol + " is not a number in [0, 1]", line, fields[k].second);
        ok = false;
      }
      abundances.push_back(v);
    }
    if (!ok) continue;
    double sum = 0;
    for (double v : abundances) sum += v;
    if (std::fabs(sum - 1.0) > 1e-3) {
      d.error("the abundances of " + symbol + " sum to " + std::to_string(sum) + ", not 1", line, fields[1].second);
      continue;
    }
    table[symbol] = std::move(abundances);
  }
  if (table.empty() && !d.has_errors()) d.error("no elements in the isotope table");
  if (d.has_errors()) return Result<IsotopeTable>::failure(d);
  return Result<IsotopeTable>::success(std::move(table));
}

Result<IsotopeTable> load_isotope_table(const std::string& path) {
  if (const std::string problem = file_problem(path); !problem.empty())
    return Result<IsotopeTable>::failure({Diagnostic{Severity::error, path, 0, 0, {}, problem}});
  std::ifstream in(path, std::ios::binary);
  if (!in) return Result<IsotopeTable>::failure({Diagnostic{Severity::error, path, 0, 0, {}, "cannot read the file"}});
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return parse_isotope_table(buffer.str(), path);
}

Result<Formula> parse_formula(std::string_view text, const IsotopeTable* isotopes) {
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
    if (!abundances_of(symbol, isotopes)) return fail("no isotope data for element '" + symbol + "'");
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

Result<std::vector<double>> natural_mass_distribution(const Formula& formula, int max_shift, const IsotopeTable* isotopes) {
  const std::size_t length = static_cast<std::size_t>(std::max(0, max_shift)) + 1;
  std::vector<double> out(length, 0.0);
  out[0] = 1.0;
  for (const auto& [symbol, count] : formula) {
    const std::vector<double>* atom = abundances_of(symbol, isotopes);
    if (!atom)
      return Result<std::vector<double>>::failure({Diagnostic{Severity::error, {}, 0, 0, {}, "no isotope data for element '" + symbol + "'"}});
    for (int k = 0; k < count; ++k) out = convolve(out, *atom, length);
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

std::vector<Diagnostic> CorrectionOptions::validate() const {
  Diagnostics d("correction options");
  auto f = parse_formula(formula, &isotopes);
  if (!f) {
    d.error(f.diagnostics().front().message, 0, 0, "formula");
    return d.items();
  }
  const int available = f.value().count(std::string(element_symbol(tracer))) ? f.value().at(std::string(element_symbol(tracer))) : 0;
  if (tracer_atoms > available)
    d.error("is " + std::to_string(tracer_atoms) + " but the formula " + formula + " has " + std::to_string(available) + " " +
                std::string(element_symbol(tracer)) + " atoms",
            0, 0, "tracer_atoms");
  if (std::max(available, tracer_atoms) > kMaxTracerAtoms)
    d.error("more than " + std::to_string(kMaxTracerAtoms) + " tracer atoms: is the formula " + formula + " right?", 0, 0, "tracer_atoms");
  if (available == 0 && tracer_atoms < 0) d.error("the formula " + formula + " has no " + std::string(element_symbol(tracer)) + " atoms to trace", 0, 0, "formula");
  if (!(purity > 0 && purity <= 1)) d.error("is " + std::to_string(purity) + "; must be in (0, 1]", 0, 0, "purity");
  return d.items();
}

Result<CorrectionMatrix> correction_matrix(const CorrectionOptions& options, int measured_isotopologues) {
  if (auto problems = options.validate(); !problems.empty()) return Result<CorrectionMatrix>::failure(problems);
  if (measured_isotopologues < 1)
    return Result<CorrectionMatrix>::failure({Diagnostic{Severity::error, {}, 0, 0, "correction", "no measured isotopologues"}});
  if (measured_isotopologues > kMaxTracerAtoms + 64)
    return Result<CorrectionMatrix>::failure({Diagnostic{Severity::error, {}, 0, 0, "correction",
                                                         std::to_string(measured_isotopologues) + " isotopologues are more than an ion can show"}});
  Formula other = parse_formula(options.formula, &options.isotopes).value();
  const std::string el(element_symbol(options.tracer));
  const int n = options.tracer_atoms < 0 ? other[el] : options.tracer_atoms;
  other[el] -= n;
  const auto rows = static_cast<std::size_t>(measured_isotopologues);
  const std::vector<double> base = natural_mass_distribution(other, measured_isotopologues - 1, &options.isotopes).value();
  const int shift = tracer_shift(options.tracer);
  CorrectionMatrix c;
  c.tracer_atoms = n;
  c.matrix = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(rows), n + 1);
  for (int i = 0; i <= n; ++i) {
    std::vector<double> col = base;
    if (options.tracer_natural_abundance) {
      Formula unlabelled{{el, n - i}};
      col = convolve(col, natural_mass_distribution(unlabelled, measured_isotopologues - 1, &options.isotopes).value(), rows);
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

}  // namespace fluxion::isotope
