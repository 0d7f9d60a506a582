// FTBL files (13CFLUX, influx_si): see include/fluxion/io/ftbl.hpp for the sections read
// and the conventions applied.
#include "fluxion/io/ftbl.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "text.hpp"

namespace fluxion::io {

using namespace detail;

std::string ftbl_experiment_id(const std::string& path) {
  std::string s = path.substr(path.find_last_of("/\\") == std::string::npos ? 0 : path.find_last_of("/\\") + 1);
  for (const char* ext : {".gz", ".ftbl", ".FTBL"})
    if (s.size() > std::strlen(ext) && s.compare(s.size() - std::strlen(ext), std::strlen(ext), ext) == 0) s.resize(s.size() - std::strlen(ext));
  return s.empty() ? std::string("ftbl") : s;
}

double ftbl_exchange_from_unit(double x) { return x / (1.0 - x); }
double ftbl_exchange_to_unit(double xch) { return xch / (1.0 + xch); }

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One line cut at its tabs, "//" comments removed; cells trimmed, with their columns.
struct Row {
  int line = 0;
  std::vector<std::string_view> cells;
  std::vector<int> columns;
  int end = 1;  // the column just past the last cell
  std::string_view at(std::size_t i) const { return i < cells.size() ? cells[i] : std::string_view(); }
  int column(std::size_t i) const {
    return i < columns.size() ? columns[i] : end;
  }
};

Row split_row(std::string_view line, int number) {
  if (auto c = line.find("//"); c != std::string_view::npos) line = line.substr(0, c);
  Row r;
  r.line = number;
  std::size_t start = 0;
  while (true) {
    const auto tab = line.find('\t', start);
    const auto raw = line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
    const auto cell = trim(raw);
    r.cells.push_back(cell);
    r.columns.push_back(static_cast<int>(start + (cell.empty() ? 0 : static_cast<std::size_t>(cell.data() - raw.data()))) + 1);
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  while (!r.cells.empty() && r.cells.back().empty()) {
    r.cells.pop_back();
    r.columns.pop_back();
  }
  if (!r.cells.empty()) r.end = r.columns.back() + static_cast<int>(r.cells.back().size());
  return r;
}

// The fields of a data row after its indentation (`indent` empty cells).
struct Fields {
  const Row* row = nullptr;
  std::size_t indent = 0;
  std::string_view operator()(std::size_t k) const { return row->at(indent + k); }
  int column(std::size_t k) const { return row->column(indent + k); }
  std::size_t size() const { return row->cells.size() > indent ? row->cells.size() - indent : 0; }
};

bool plain_id(std::string_view id) {
  if (id.empty() || !(std::isalpha(static_cast<unsigned char>(id[0])) || id[0] == '_')) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// A reaction id as the constraint syntax reads it: plain, or quoted.
std::string as_flux(std::string_view id, bool exchange) {
  std::string s = plain_id(id) ? std::string(id) : "'" + std::string(id) + "'";
  return exchange ? "xch(" + s + ")" : s;
}

struct Term {
  double coefficient = 1;
  std::string id;
};

// "fum_a-fum_b", "2*a + 0.5 * b", "Glucupt_1+Glucupt_U": a sum of [number [*]] id terms.
// False with a message and the 0-based offset of the problem.
bool parse_formula(std::string_view s, std::vector<Term>& terms, std::string& error, std::size_t& at) {
  std::size_t i = 0;
  auto skip = [&] {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  };
  auto id_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; };
  skip();
  if (i == s.size()) {
    error = "empty formula";
    at = 0;
    return false;
  }
  bool first = true;
  while (true) {
    skip();
    double sign = 1;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      sign = s[i] == '-' ? -1 : 1;
      ++i;
      skip();
    } else if (!first) {
      error = "expected '+' or '-' between terms";
      at = i;
      return false;
    }
    first = false;
    const std::size_t term_start = i;
    double coefficient = 1;
    if (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) {
      std::size_t j = i;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
                              ((s[j] == '+' || s[j] == '-') && j > i && (s[j - 1] == 'e' || s[j - 1] == 'E'))))
        ++j;
      auto v = parse_number(s.substr(i, j - i));
      if (!v || !std::isfinite(*v)) {
        error = "'" + std::string(s.substr(i, j - i)) + "' is not a number";
        at = i;
        return false;
      }
      coefficient = *v;
      i = j;
      skip();
      if (i < s.size() && s[i] == '*') {
        ++i;
        skip();
      } else {
        error = "a constant in the formula (write the value in the VALUE column, and coefficients as 2*flux)";
        at = term_start;
        return false;
      }
    }
    const std::size_t id_start = i;
    while (i < s.size() && id_char(s[i])) ++i;
    if (i == id_start) {
      error = "expected a flux name";
      at = id_start;
      return false;
    }
    terms.push_back({sign * coefficient, std::string(s.substr(id_start, i - id_start))});
    skip();
    if (i == s.size()) return true;
  }
}

std::string formula_text(const std::vector<Term>& terms, bool exchange) {
  std::string out;
  for (const auto& t : terms) {
    const double a = std::fabs(t.coefficient);
    if (out.empty()) out += t.coefficient < 0 ? "-" : "";
    else out += t.coefficient < 0 ? " - " : " + ";
    if (a != 1) out += format_number(a) + "*";
    out += as_flux(t.id, exchange);
  }
  return out;
}

std::optional<std::string> comparison(std::string_view c) {
  if (c == "<=" || c == "=<") return "<=";
  if (c == ">=" || c == "=>") return ">=";
  if (c == "<" || c == ">") return std::string(c);
  return std::nullopt;
}

// "1,2,3", "1~3", "1-3", "1,3~5": 1-based positions, ascending.
std::optional<std::vector<int>> fragment_positions(std::string_view s) {
  std::set<int> out;
  for (auto part : split(s, ',')) {
    part = trim(part);
    auto dash = part.find_first_of("~-:");
    if (dash == std::string_view::npos) {
      auto v = parse_int(part, 1, 1000);
      if (!v) return std::nullopt;
      out.insert(*v);
      continue;
    }
    auto a = parse_int(trim(part.substr(0, dash)), 1, 1000), b = parse_int(trim(part.substr(dash + 1)), 1, 1000);
    if (!a || !b || *b < *a) return std::nullopt;
    for (int k = *a; k <= *b; ++k) out.insert(k);
  }
  if (out.empty()) return std::nullopt;
  return std::vector<int>(out.begin(), out.end());
}

enum class Section { none, project, network, notracer_network, fluxes, equalities, inequalities, flux_measurements, label_input, label_measurements,
                     peak_measurements, mass_spectrometry, options, metabolite_pools, metab_measurements, unknown };

Section section_of(std::string_view name) {
  static const std::map<std::string_view, Section> known = {
      {"PROJECT", Section::project},
      {"NETWORK", Section::network},
      {"NOTRACER_NETWORK", Section::notracer_network},
      {"FLUXES", Section::fluxes},
      {"EQUALITIES", Section::equalities},
      {"INEQUALITIES", Section::inequalities},
      {"FLUX_MEASUREMENTS", Section::flux_measurements},
      {"LABEL_INPUT", Section::label_input},
      {"LABEL_MEASUREMENTS", Section::label_measurements},
      {"PEAK_MEASUREMENTS", Section::peak_measurements},
      {"MASS_SPECTROMETRY", Section::mass_spectrometry},
      {"OPTIONS", Section::options},
      {"METABOLITE_POOLS", Section::metabolite_pools},
      {"METAB_MEASUREMENTS", Section::metab_measurements},
  };
  auto it = known.find(name);
  return it == known.end() ? Section::unknown : it->second;
}

// The header word of a section's table (its first column), skipped where it appears.
std::string_view header_word(Section s) {
  switch (s) {
    case Section::project: return "NAME";
    case Section::network:
    case Section::notracer_network:
    case Section::flux_measurements: return "FLUX_NAME";
    case Section::fluxes: return "NAME";
    case Section::equalities:
    case Section::inequalities: return "VALUE";
    case Section::options: return "OPT_NAME";
    default: return "META_NAME";
  }
}

// A reaction of NETWORK: its rows (one per two educts and two products: 13CFLUX writes a
// longer reaction as several rows of the same name) or its NOTRACER_NETWORK equation.
struct Part {
  std::string metabolite;
  double coefficient = 1;
  std::string atoms;  // empty: no carbon ("#", a cofactor)
  bool product = false;
  std::size_t cell = 0;  // its cell on the name row (1-4)
};

struct NetworkReaction {
  std::string id;
  std::vector<Part> parts;
  std::size_t pending = 0;  // parts the last name row added, waiting for their carbon maps
  bool tracer = true;       // false: NOTRACER_NETWORK (no carbon maps)
  int line = 0;
  bool has_atoms = false;
};

// "5*ATP", "2.040*G6P", "G6P": coefficient and metabolite; nullopt when malformed.
std::optional<std::pair<double, std::string>> coefficient_term(std::string_view t) {
  t = trim(t);
  double c = 1;
  if (auto star = t.find('*'); star != std::string_view::npos) {
    auto v = parse_number(trim(t.substr(0, star)));
    if (!v || !std::isfinite(*v) || !(*v > 0)) return std::nullopt;
    c = *v;
    t = trim(t.substr(star + 1));
  }
  if (t.empty() || t.find_first_of(" *()") != std::string_view::npos) return std::nullopt;
  return std::make_pair(c, std::string(t));
}

struct FluxRow {
  char fcd = 'D';
  double value = kNaN;
  int line = 0, column = 0;
};

struct Constraint {
  bool exchange = false, equality = true;
  double value = 0;
  std::string comparison;
  std::vector<Term> terms;
  int line = 0, column = 0;
};

struct LabelRow {
  std::string metabolite, isotopomer;
  double value = 0;
  int line = 0, column = 0;
};

struct MsRow {
  std::string metabolite;
  std::vector<int> positions;
  int weight = 0;
  double value = kNaN, sd = kNaN;
  int line = 0, group = 0, weight_column = 0;
};


}  // namespace

Result<FtblFile> read_ftbl(std::string_view text, const std::string& source, const std::string& experiment) {
  using R = Result<FtblFile>;
  Diagnostics d(source);
  std::vector<NetworkReaction> network;
  std::map<std::string, std::size_t> network_index;
  std::map<std::string, FluxRow> net_rows, xch_rows;
  std::vector<Constraint> constraints;
  std::vector<std::pair<std::string, FtblFluxMeasurement>> measured;
  std::vector<int> measured_columns;
  std::vector<LabelRow> labels;
  std::vector<MsRow> ms;
  bool noscale = false;
  std::map<std::string, std::vector<int>> unused;  // section -> lines of rows not used
  // instationary files (influx_i)
  std::string labcin;
  int labcin_line = 0;
  std::vector<FtblPool> pool_rows;
  std::vector<std::pair<FtblPool, int>> pool_measurements;  // value, sd, and the VALUE's column
  std::map<std::string, double> command_numbers;            // --clowp, --cupp of commandArgs

  Section section = Section::none;
  std::string section_name;
  bool exchange = false, pools = false, subsection = false, header_seen = false;
  std::string ms_metabolite, label_metabolite;
  std::vector<int> ms_positions;
  int ms_group = 0;
  int line_number = 0;
  for (auto raw : split_lines(text)) {
    ++line_number;
    const Row row = split_row(raw, line_number);
    if (row.cells.empty()) continue;
    if (!row.cells[0].empty()) {  // a section keyword at the start of the line
      section_name = std::string(row.cells[0]);
      section = section_of(section_name);
      subsection = false;
      header_seen = false;
      ms_metabolite.clear();
      label_metabolite.clear();
      if (section == Section::unknown) d.warning("unknown section '" + section_name + "' is skipped", row.line, 1);
      if (row.cells.size() > 1) d.error("a section name stands alone on its line", row.line, row.column(1));
      continue;
    }
    if (section == Section::none) {
      d.error("a row before the first section (PROJECT, NETWORK, ...)", row.line, row.column(0));
      continue;
    }
    if (section == Section::unknown || section == Section::project) continue;
    const bool split_section = section == Section::fluxes || section == Section::equalities || section == Section::inequalities;
    if (split_section && !row.at(1).empty()) {
      if (row.at(1) == "NET" || row.at(1) == "XCH" || row.at(1) == "METAB") {
        exchange = row.at(1) == "XCH";
        pools = row.at(1) == "METAB";
        subsection = true;
        header_seen = false;
        if (row.cells.size() > 2) d.error("NET or XCH stands alone on its line", row.line, row.column(2));
      } else {
        d.error("expected NET, XCH or METAB (one tab in), or a row of the " + section_name + " table (two tabs in)", row.line, row.column(1));
      }
      continue;
    }
    if (split_section && !subsection) {
      d.error("a row of " + section_name + " before its NET or XCH part", row.line, row.column(0));
      continue;
    }
    const Fields f{&row, split_section ? std::size_t{2} : std::size_t{1}};
    if (f.size() == 0) continue;
    if (!header_seen && f(0) == header_word(section)) {
      header_seen = true;
      continue;
    }
    header_seen = true;
    if (split_section && pools) {  // constraints on metabolite pools (INST-MFA)
      unused[section_name + " METAB"].push_back(row.line);
      continue;
    }
    auto number = [&](std::size_t k, const std::string& what) -> std::optional<double> {
      auto v = parse_number(f(k));
      if (!v || !std::isfinite(*v)) {
        d.error(what + " '" + std::string(f(k)) + "' is not a number", row.line, f.column(k));
        return std::nullopt;
      }
      return v;
    };
    switch (section) {
      case Section::network: {
        if (!f(0).empty()) {
          const std::string id(f(0));
          // a second row of the same reaction (more than two educts or products)
          const bool more = !network.empty() && network.back().id == id && network.back().has_atoms && network.back().tracer;
          if (!more) {
            if (!network.empty() && !network.back().has_atoms)
              d.error("reaction '" + network.back().id + "' has no row of carbon maps (#ABC) under it", network.back().line, 1);
            if (network_index.count(id)) d.error("reaction '" + id + "' is defined twice", row.line, f.column(0));
            NetworkReaction r;
            r.id = id;
            r.line = row.line;
            network_index[id] = network.size();
            network.push_back(std::move(r));
          }
          auto& r = network.back();
          r.has_atoms = false;
          r.pending = 0;
          if (f.size() > 5) d.error("more than two educts and two products on a row (FLUX_NAME EDUCT_1 EDUCT_2 PRODUCT_1 PRODUCT_2)", row.line, f.column(5));
          for (std::size_t k = 1; k <= 4; ++k) {
            if (f(k).empty()) continue;
            auto term = coefficient_term(f(k));
            if (!term) {
              d.error("'" + std::string(f(k)) + "' is not a metabolite, or n*metabolite", row.line, f.column(k));
              continue;
            }
            r.parts.push_back({term->second, term->first, {}, k > 2, k});
            ++r.pending;
          }
          if (!more && std::none_of(r.parts.begin(), r.parts.end(), [](const Part& p) { return !p.product; }))
            d.error("reaction '" + id + "' has no educt", row.line, f.column(1));
          break;
        }
        if (network.empty() || network.back().has_atoms) {
          d.error("a row of carbon maps without a reaction above it", row.line, row.column(1));
          break;
        }
        auto& r = network.back();
        r.has_atoms = true;
        std::array<bool, 5> used{};
        for (std::size_t i = r.parts.size() - r.pending; i < r.parts.size(); ++i) {
          Part& part = r.parts[i];
          used[part.cell] = true;
          const std::string_view cell = f(part.cell);
          if (cell.empty() || cell[0] != '#') {
            d.error("'" + part.metabolite + "' of reaction '" + r.id + "' needs a carbon map such as #ABC (# alone: no carbon)" +
                        (cell.empty() ? std::string() : ", not '" + std::string(cell) + "'"),
                    row.line, f.column(part.cell));
            continue;
          }
          part.atoms = std::string(cell.substr(1));
          if (!std::all_of(part.atoms.begin(), part.atoms.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }))
            d.error("carbon map '" + std::string(cell) + "' has characters other than letters", row.line, f.column(part.cell));
        }
        for (std::size_t k = 1; k <= 4; ++k)
          if (!used[k] && !f(k).empty()) d.error("a carbon map '" + std::string(f(k)) + "' under an empty metabolite cell", row.line, f.column(k));
        if (f.size() > 5) d.error("more than four carbon maps on a row", row.line, f.column(5));
        r.pending = 0;
        break;
      }
      case Section::notracer_network: {
        // FLUX_NAME EQUATION: "2.040*G6P+0.536*F6P = Biomass" (reactions without carbon maps)
        const std::string id(f(0));
        if (network_index.count(id)) {
          d.error("reaction '" + id + "' is defined twice", row.line, f.column(0));
          break;
        }
        const std::string_view eq = f(1);
        const auto equal = eq.find('=');
        if (eq.empty() || equal == std::string_view::npos || eq.find('=', equal + 1) != std::string_view::npos) {
          d.error("EQUATION '" + std::string(eq) + "' is not 'educts = products'", row.line, f.column(1));
          break;
        }
        NetworkReaction r;
        r.id = id;
        r.line = row.line;
        r.tracer = false;
        r.has_atoms = true;
        bool ok = true;
        for (int side = 0; side < 2 && ok; ++side) {
          const auto text = side == 0 ? eq.substr(0, equal) : eq.substr(equal + 1);
          for (auto t : split(text, '+')) {
            auto term = coefficient_term(t);
            if (!term) {
              d.error("'" + std::string(trim(t)) + "' in EQUATION is not a metabolite, or n*metabolite", row.line, f.column(1));
              ok = false;
              break;
            }
            r.parts.push_back({term->second, term->first, {}, side == 1, 0});
          }
        }
        if (!ok) break;
        network_index[id] = network.size();
        network.push_back(std::move(r));
        break;
      }
      case Section::fluxes: {
        FluxRow fr;
        fr.line = row.line;
        fr.column = f.column(0);
        const std::string id(f(0));
        const std::string_view fcd = f(1);
        if (fcd != "F" && fcd != "C" && fcd != "D") {
          d.error("FCD of '" + id + "' is '" + std::string(fcd) + "': write F (free), C (constrained) or D (dependent)", row.line, f.column(1));
          break;
        }
        fr.fcd = fcd[0];
        if (!f(2).empty()) {
          auto v = number(2, "VALUE of '" + id + "'");
          if (!v) break;
          fr.value = *v;
        } else if (fr.fcd == 'C') {
          d.error("constrained flux '" + id + "' needs a VALUE", row.line, f.column(1));
          break;
        }
        if (exchange && fr.fcd != 'D' && !std::isnan(fr.value) && !(fr.value >= 0 && fr.value < 1)) {
          d.error("XCH value " + std::string(f(2)) + " of '" + id + "' is outside [0, 1) (influx_si's scale: xch / (1 + xch))", row.line, f.column(2));
          break;
        }
        auto& rows = exchange ? xch_rows : net_rows;
        if (rows.count(id)) {
          d.error("flux '" + id + "' is listed twice under " + std::string(exchange ? "XCH" : "NET"), row.line, f.column(0));
          break;
        }
        rows[id] = fr;
        break;
      }
      case Section::equalities:
      case Section::inequalities: {
        Constraint c;
        c.exchange = exchange;
        c.equality = section == Section::equalities;
        c.line = row.line;
        auto v = number(0, "VALUE");
        if (!v) break;
        c.value = *v;
        std::size_t fk = 1;
        if (!c.equality) {
          auto cmp = comparison(f(1));
          if (!cmp) {
            d.error("COMP '" + std::string(f(1)) + "' is not <=, >=, < or >", row.line, f.column(1));
            break;
          }
          c.comparison = *cmp;
          fk = 2;
        }
        c.column = f.column(fk);
        std::string error;
        std::size_t at = 0;
        if (!parse_formula(f(fk), c.terms, error, at)) {
          d.error("formula '" + std::string(f(fk)) + "': " + error, row.line, f.column(fk) + static_cast<int>(at));
          break;
        }
        constraints.push_back(std::move(c));
        break;
      }
      case Section::flux_measurements: {
        FtblFluxMeasurement m;
        m.reaction = std::string(f(0));
        m.line = row.line;
        auto v = number(1, "VALUE");
        auto sd = number(2, "DEVIATION");
        if (!v || !sd) break;
        if (!(*sd > 0)) {
          d.error("DEVIATION must be > 0", row.line, f.column(2));
          break;
        }
        m.value = *v;
        m.sd = *sd;
        measured.emplace_back(m.reaction, m);
        measured_columns.push_back(f.column(0));
        break;
      }
      case Section::label_input: {
        if (!f(0).empty()) label_metabolite = std::string(f(0));
        if (label_metabolite.empty()) {
          d.error("an isotopomer without a metabolite (META_NAME) above it", row.line, f.column(1));
          break;
        }
        const std::string_view iso = f(1);
        if (iso.size() < 2 || iso[0] != '#' || !std::all_of(iso.begin() + 1, iso.end(), [](char c) { return c == '0' || c == '1'; })) {
          d.error("isotopomer '" + std::string(iso) + "' is not # followed by 0s and 1s (one per carbon)", row.line, f.column(1));
          break;
        }
        auto v = number(2, "VALUE");
        if (!v) break;
        if (*v < 0 || *v > 1) {
          d.error("VALUE " + std::string(f(2)) + " is not a fraction in [0, 1]", row.line, f.column(2));
          break;
        }
        labels.push_back({label_metabolite, std::string(iso.substr(1)), *v, row.line, f.column(1)});
        break;
      }
      case Section::mass_spectrometry: {
        if (!f(0).empty()) {
          ms_metabolite = std::string(f(0));
          ms_positions.clear();
          if (f(1).empty()) {
            d.error("metabolite '" + ms_metabolite + "' needs a FRAGMENT (carbons, as 1,2,3)", row.line, f.column(0));
            break;
          }
        }
        if (!f(1).empty()) {
          if (ms_metabolite.empty()) {
            d.error("a fragment without a metabolite (META_NAME)", row.line, f.column(1));
            break;
          }
          auto p = fragment_positions(f(1));
          if (!p) {
            d.error("FRAGMENT '" + std::string(f(1)) + "' is not a list of carbon positions (1,2,3 or 1~3)", row.line, f.column(1));
            ms_positions.clear();
            break;
          }
          ms_positions = *p;
          ++ms_group;
        }
        if (ms_positions.empty()) break;  // the group's header was wrong (reported)
        MsRow m;
        m.metabolite = ms_metabolite;
        m.positions = ms_positions;
        m.group = ms_group;
        m.line = row.line;
        m.weight_column = f.column(2);
        auto w = parse_int(f(2), 0, static_cast<int>(ms_positions.size()));
        if (!w) {
          d.error("WEIGHT '" + std::string(f(2)) + "' is not a mass shift from 0 to " + std::to_string(ms_positions.size()), row.line, f.column(2));
          break;
        }
        m.weight = *w;
        if (f(3) != "NA") {
          auto v = number(3, "VALUE");
          if (!v) break;
          m.value = *v;
          if (f(4) == "NA" || f(4).empty()) {
            d.error("a measured VALUE needs a DEVIATION", row.line, f.column(4));
            break;
          }
          auto sd = number(4, "DEVIATION");
          if (!sd) break;
          if (!(*sd > 0)) {
            d.error("DEVIATION must be > 0", row.line, f.column(4));
            break;
          }
          m.sd = *sd;
        }
        ms.push_back(std::move(m));
        break;
      }
      case Section::metabolite_pools: {
        auto v = number(1, "META_SIZE");
        if (!v) break;
        if (*v == 0) {
          d.error("META_SIZE 0: a pool size is > 0 (fixed) or < 0 (fitted, from its absolute value)", row.line, f.column(1));
          break;
        }
        pool_rows.push_back({std::string(f(0)), std::fabs(*v), *v < 0, 0.0, row.line});
        break;
      }
      case Section::metab_measurements: {
        auto v = number(1, "VALUE");
        auto sd = v ? number(2, "DEVIATION") : std::nullopt;
        if (!v || !sd) break;
        if (!(*v > 0) || !(*sd > 0)) {
          d.error("a measured pool needs VALUE > 0 and DEVIATION > 0", row.line, f.column(*v > 0 ? 2 : 1));
          break;
        }
        pool_measurements.push_back({{std::string(f(0)), *v, true, *sd, row.line}, f.column(0)});
        break;
      }
      case Section::options:
        if (f(0) == "commandArgs") {
          if (f(1).find("--noscale") != std::string_view::npos) noscale = true;
          for (const char* name : {"--clowp", "--cupp"}) {  // "--clowp 1.e-9" or "--clowp=1.e-9"
            const auto at = f(1).find(name);
            if (at == std::string_view::npos) continue;
            std::string_view rest = f(1).substr(at + std::string_view(name).size());
            while (!rest.empty() && (rest.front() == ' ' || rest.front() == '=')) rest.remove_prefix(1);
            const auto value = parse_number(rest.substr(0, rest.find(' ')));
            if (!value || !(*value > 0)) d.error(std::string("commandArgs: ") + name + " needs a number > 0", row.line, f.column(1));
            else command_numbers[name] = *value;
          }
        }
        if (f(0) == "file_labcin") {
          labcin = std::string(f(1));
          labcin_line = row.line;
          if (labcin.empty()) d.error("file_labcin needs a file name", row.line, f.column(1));
        }
        if (f(0) == "prl_exp")
          d.error("option prl_exp: parallel experiments in other FTBL files are not read; fit each file alone", row.line, f.column(0));
        break;
      default:
        unused[section_name].push_back(row.line);
        break;
    }
  }
  if (!network.empty() && !network.back().has_atoms)
    d.error("reaction '" + network.back().id + "' has no row of carbon maps (#ABC) under it", network.back().line, 1);
  if (network.empty() && !d.has_errors()) d.error("no NETWORK section with reactions");
  if (labcin.empty()) {  // a stationary file: its pools are not used
    for (const auto& p : pool_rows) unused["METABOLITE_POOLS"].push_back(p.line);
    for (const auto& p : pool_measurements) unused["METAB_MEASUREMENTS"].push_back(p.first.line);
  }
  for (const auto& [name, lines] : unused)
    d.warning(std::to_string(lines.size()) + " row(s) of " + name + " are not used (fluxion fits mass spectrometry of stationary labelling)",
              lines.front(), 1);
  if (d.has_errors()) return R::failure(d);

  // the model: metabolites and reactions first, reversibility once the topology is known
  FtblFile out;
  Model& model = out.model;
  model.id = ftbl_experiment_id(source);
  std::vector<int> reaction_lines;
  for (const auto& r : network) {
    std::string lhs, rhs;
    for (const auto& p : r.parts) {
      std::string& side = p.product ? rhs : lhs;
      side += (side.empty() ? "" : " + ") + (p.coefficient != 1 ? format_number(p.coefficient) + " " : std::string()) + p.metabolite +
              (p.atoms.empty() ? std::string() : " (" + p.atoms + ")");
    }
    if (rhs.empty() || lhs.empty()) {
      d.error("reaction '" + r.id + "' needs an educt and a product", r.line, 1);
      continue;
    }
    auto eq = parse_equation(lhs + " -> " + rhs, d, r.line, 0, "reaction '" + r.id + "'");
    if (!eq) continue;
    Reaction reaction;
    reaction.id = r.id;
    apply_equation(model, reaction, *eq);
    model.add_reaction(std::move(reaction));
    reaction_lines.push_back(r.line);
  }
  if (d.has_errors()) return R::failure(d);
  const std::vector<bool> boundary = unbalanced_by_topology(model);
  for (std::size_t i = 0; i < model.metabolites.size(); ++i) model.metabolites[i].boundary = boundary[i];
  auto touches_boundary = [&](const Reaction& r) {
    for (const auto& p : r.reactants)
      if (boundary[p.metabolite]) return true;
    for (const auto& p : r.products)
      if (boundary[p.metabolite]) return true;
    return false;
  };
  for (auto& [id, fr] : net_rows)
    if (!network_index.count(id)) d.error("flux '" + id + "' is not a reaction of the NETWORK section", fr.line, fr.column);
  for (auto& [id, fr] : xch_rows)
    if (!network_index.count(id)) d.error("flux '" + id + "' is not a reaction of the NETWORK section", fr.line, fr.column);
  for (std::size_t i = 0; i < model.reactions.size(); ++i) {
    Reaction& r = model.reactions[i];
    const auto xr = xch_rows.find(r.id);
    const bool in_out = touches_boundary(r);
    const bool fixed_zero = xr != xch_rows.end() && xr->second.fcd == 'C' && xr->second.value == 0;
    r.reversible = !in_out && !fixed_zero;
    r.lower_bound = r.reversible ? -kDefaultFluxBound : 0.0;
    r.upper_bound = kDefaultFluxBound;
    if (r.reversible) {
      r.exchange_lower_bound = 0;
      r.exchange_upper_bound = kFtblExchangeMax;
      if (xr != xch_rows.end() && xr->second.fcd == 'C')
        model.relations.push_back({as_flux(r.id, true) + " == " + format_number(ftbl_exchange_from_unit(xr->second.value)), xr->second.line});
    }
    if (net_rows.count(r.id) == 0) d.warning("reaction '" + r.id + "' has no row under FLUXES NET; its net flux is left free", reaction_lines[i], 1);
    if (xr == xch_rows.end()) d.warning("reaction '" + r.id + "' has no row under FLUXES XCH", reaction_lines[i], 1);
    const auto nr = net_rows.find(r.id);
    if (nr != net_rows.end() && nr->second.fcd == 'C')
      model.relations.push_back({as_flux(r.id, false) + " == " + format_number(nr->second.value), nr->second.line});
  }
  for (const auto& c : constraints) {
    for (const auto& t : c.terms)
      if (!network_index.count(t.id)) d.error("flux '" + t.id + "' in the formula is not a reaction of the NETWORK section", c.line, c.column);
    if (d.has_errors()) continue;
    if (!c.exchange) {
      const std::string text = c.equality ? formula_text(c.terms, false) + " == " + format_number(c.value)
                                          : format_number(c.value) + " " + c.comparison + " " + formula_text(c.terms, false);
      model.relations.push_back({text, c.line});
      continue;
    }
    // exchange fluxes: influx_si states them on [0, 1); only forms linear in xch are kept
    for (const auto& t : c.terms) {
      const Reaction& r = model.reactions[*model.reaction_index(t.id)];
      if (!r.reversible) d.error("'" + t.id + "' is irreversible here (an input/output flux, or XCH fixed at 0): it has no exchange flux to constrain", c.line, c.column);
    }
    if (d.has_errors()) continue;
    const bool single = c.terms.size() == 1 && c.terms[0].coefficient == 1 && c.value >= 0 && c.value < 1;
    const bool tie = c.equality && c.value == 0 && c.terms.size() == 2 && c.terms[0].coefficient == -c.terms[1].coefficient &&
                     std::fabs(c.terms[0].coefficient) == 1;
    if (single) {
      const std::string flux = as_flux(c.terms[0].id, true), value = format_number(ftbl_exchange_from_unit(c.value));
      model.relations.push_back({c.equality ? flux + " == " + value : value + " " + c.comparison + " " + flux, c.line});
    } else if (tie) {
      model.relations.push_back({formula_text(c.terms, true) + " == 0", c.line});
    } else {
      d.error("this exchange-flux " + std::string(c.equality ? "equality" : "inequality") +
                  " is not linear in the exchange fluxes (influx_si states them on [0, 1)); fluxion keeps 'value xch' with value in [0, 1) and '0 a-b'",
              c.line, c.column);
    }
  }
  infer_atom_counts(model);
  if (d.has_errors()) return R::failure(d);
  append_validation(d, model, reaction_lines);
  if (d.has_errors()) return R::failure(d);

  // measured fluxes
  for (std::size_t k = 0; k < measured.size(); ++k) {
    const auto& [id, m] = measured[k];
    if (!network_index.count(id)) {
      d.error("measured flux '" + id + "' is not a reaction of the NETWORK section", m.line, measured_columns[k]);
      continue;
    }
    out.fluxes.push_back(m);
  }

  // label input: one experiment; an unlabelled isotopomer is the rest of the pool
  out.experiment.id = experiment;
  std::map<std::string, double> label_sum;
  std::map<std::string, int> label_line;
  for (const auto& l : labels) {
    auto mi = model.metabolite_index(l.metabolite);
    if (!mi) {
      d.error("label input '" + l.metabolite + "' is not a metabolite of the NETWORK section", l.line, l.column - 1);
      continue;
    }
    const auto& met = model.metabolites[*mi];
    const int n = met.atoms[static_cast<int>(Element::C)];
    if (static_cast<int>(l.isotopomer.size()) != n) {
      d.error("isotopomer #" + l.isotopomer + " has " + std::to_string(l.isotopomer.size()) + " positions; " + l.metabolite + " has " + std::to_string(n) +
                  " carbons",
              l.line, l.column);
      continue;
    }
    label_sum[l.metabolite] += l.value;
    label_line.emplace(l.metabolite, l.line);
    if (l.value == 0 || l.isotopomer.find('1') == std::string::npos) continue;
    isotope::ElementLabel el;
    el.element = Element::C;
    el.mass_number = 13;
    if (l.isotopomer.find('0') == std::string::npos) {
      el.uniform = true;
      el.count = n;
    } else {
      for (int k = 0; k < n; ++k)
        if (l.isotopomer[static_cast<std::size_t>(k)] == '1') el.positions.push_back(k + 1);
      el.count = static_cast<int>(el.positions.size());
    }
    isotope::TracerComponent c;
    c.substrate = l.metabolite;
    c.label.elements.push_back(el);
    c.fraction = l.value;
    out.experiment.components.push_back(std::move(c));
    out.tracer_lines.push_back(l.line);
  }
  for (const auto& [met, sum] : label_sum) {
    if (sum > 1 + 1e-6) d.error("the isotopomers of " + met + " sum to " + format_short(sum) + ", more than 1", label_line[met], 1);
    else if (sum < 1 - 1e-6)
      d.warning("the isotopomers of " + met + " sum to " + format_short(sum) + "; the rest is taken as unlabelled", label_line[met], 1);
  }

  // mass spectrometry: one MID per group
  out.mids.source = source;
  std::map<int, std::size_t> group_mid;
  std::set<int> reported;
  for (const auto& m : ms) {
    auto mi = model.metabolite_index(m.metabolite);
    if (!mi) {
      if (!reported.insert(m.group).second) continue;  // once per group
      if (m.metabolite.find('+') != std::string::npos)
        d.error("'" + m.metabolite + "' is a pool of metabolites measured together, which influx_si mixes by their concentrations (METABOLITE_POOLS); fluxion cannot fit it",
                m.line, 2);
      else
        d.error("measured metabolite '" + m.metabolite + "' is not in the NETWORK section", m.line, 2);
      continue;
    }
    const int n = model.metabolites[*mi].atoms[static_cast<int>(Element::C)];
    if (m.positions.back() > n) {
      if (!reported.insert(m.group).second) continue;
      d.error("fragment carbon " + std::to_string(m.positions.back()) + " is past the " + std::to_string(n) + " carbons of " + m.metabolite, m.line, 2);
      continue;
    }
    auto g = group_mid.find(m.group);
    if (g == group_mid.end()) {
      isotope::MeasuredMid mid;
      mid.experiment = experiment;
      mid.element = Element::C;
      FragmentSpec spec{m.metabolite, m.positions};
      if (static_cast<int>(m.positions.size()) == n) spec.atoms.clear();
      mid.fragment = format_fragment(spec);
      const auto size = m.positions.size() + 1;
      mid.fraction.assign(size, kNaN);
      mid.sd.assign(size, kNaN);
      mid.line = m.line;
      mid.scaled = !noscale;
      int copies = 0;
      for (const auto& other : out.mids.mids)
        if (other.fragment == mid.fragment) ++copies;
      if (copies > 0) mid.replicate = std::to_string(copies + 1);
      g = group_mid.emplace(m.group, out.mids.mids.size()).first;
      out.mids.mids.push_back(std::move(mid));
      if (std::find(model.measured.begin(), model.measured.end(), out.mids.mids.back().fragment) == model.measured.end())
        model.measured.push_back(out.mids.mids.back().fragment);
    }
    auto& mid = out.mids.mids[g->second];
    const auto w = static_cast<std::size_t>(m.weight);
    if (!std::isnan(mid.fraction[w]) || !std::isnan(mid.sd[w])) {
      d.error("WEIGHT " + std::to_string(m.weight) + " is given twice in this group", m.line, m.weight_column);
      continue;
    }
    mid.fraction[w] = m.value;
    mid.sd[w] = m.sd;
    out.ms_rows[m.line] = {g->second, m.weight};
    std::string key = m.metabolite + ':';
    for (std::size_t k = 0; k < m.positions.size(); ++k) key += (k ? "," : "") + std::to_string(m.positions[k]);
    out.ms_lines[key + ':' + std::to_string(m.weight)].push_back(m.line);
  }
  // the pools of an instationary file: each a metabolite of the network, measured ones fitted
  out.labcin = labcin;
  out.labcin_line = labcin_line;
  if (auto it = command_numbers.find("--clowp"); it != command_numbers.end()) out.pool_lower = it->second;
  if (auto it = command_numbers.find("--cupp"); it != command_numbers.end()) out.pool_upper = it->second;
  if (!labcin.empty()) {
    std::map<std::string, std::size_t> index;
    for (const auto& p : pool_rows) {
      if (!model.metabolite_index(p.metabolite)) {
        d.error("pool '" + p.metabolite + "' is not a metabolite of the NETWORK section", p.line, 2);
        continue;
      }
      if (index.count(p.metabolite)) {
        d.error("the pool of '" + p.metabolite + "' is given twice", p.line, 2);
        continue;
      }
      index[p.metabolite] = out.pools.size();
      out.pools.push_back(p);
    }
    for (const auto& [m, column] : pool_measurements) {
      auto it = index.find(m.metabolite);
      if (it == index.end()) {
        d.error("measured pool '" + m.metabolite + "' has no METABOLITE_POOLS row", m.line, column);
        continue;
      }
      FtblPool& p = out.pools[it->second];
      if (!p.fitted) {
        d.error("measured pool '" + m.metabolite + "' is fixed in METABOLITE_POOLS (line " + std::to_string(p.line) + "); a measured pool is fitted (META_SIZE < 0)",
                m.line, column);
        continue;
      }
      p.size = m.size;  // the fit starts at the measured value
      p.sd = m.sd;
    }
  }
  for (const auto& mid : out.mids.mids)
    if (std::all_of(mid.fraction.begin(), mid.fraction.end(), [](double v) { return std::isnan(v); }))
      d.warning("every value of the group of " + mid.fragment + " is NA", mid.line, 1);
  if (d.has_errors()) return R::failure(d);
  return R::success(std::move(out), d.items());
}

Result<isotope::MidTable> read_ftbl_labcin(std::string_view text, const std::string& source, const FtblFile& ftbl) {
  using R = Result<isotope::MidTable>;
  Diagnostics d(source);
  isotope::MidTable table;
  table.source = source;
  std::vector<double> times;
  // per time, the MID of each MASS_SPECTROMETRY group (index into table.mids; -1 none yet)
  std::vector<std::vector<long>> at;
  std::map<int, int> row_of_line;  // FTBL line -> the line here that gave it
  int ln = 0;
  bool header = false;
  for (std::string_view line : split_lines(text)) {
    ++ln;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    // cells separated by tabs (or spaces), with their 1-based columns
    std::vector<std::pair<std::string_view, int>> cells;
    for (std::size_t i = 0; i < line.size();) {
      if (line[i] == '\t' || line[i] == ' ') {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < line.size() && line[j] != '\t' && line[j] != ' ') ++j;
      cells.push_back({line.substr(i, j - i), static_cast<int>(i) + 1});
      i = j;
    }
    if (cells.empty()) continue;
    if (!header) {
      if (cells[0].first != "row_col") {
        d.error("expected the header row_col t1 t2 … (the measurement times)", ln, cells[0].second);
        break;
      }
      for (std::size_t k = 1; k < cells.size(); ++k) {
        const auto t = parse_number(cells[k].first);
        if (!t || !std::isfinite(*t) || *t < 0 || (!times.empty() && *t <= times.back())) {
          d.error("time '" + std::string(cells[k].first.substr(0, 40)) + "' is not a number >= 0 after the one before", ln, cells[k].second);
          break;
        }
        times.push_back(*t);
      }
      if (times.empty() && !d.has_errors()) d.error("no times after row_col", ln, cells[0].second);
      if (d.has_errors()) break;
      at.assign(times.size(), std::vector<long>(ftbl.mids.mids.size(), -1));
      header = true;
      continue;
    }
    // m:META:FRAGMENT:WEIGHT:LINE
    const std::string_view name = cells[0].first;
    const auto colon = name.rfind(':');
    const auto line_no = colon == std::string_view::npos ? std::nullopt : parse_int(name.substr(colon + 1), 1, 100000000);
    if (name.substr(0, 2) != "m:" || !line_no) {
      d.error("row '" + std::string(name.substr(0, 60)) + "' is not m:META:FRAGMENT:WEIGHT:LINE (a mass spectrometry row of the FTBL file)", ln,
              cells[0].second);
      continue;
    }
    const int named_line = *line_no;
    // META:FRAGMENT:WEIGHT, the fragment as positions (1,2,3 or 1~3)
    const std::string_view body = name.substr(2, colon - 2);
    const auto c1 = body.find(':'), c2 = body.rfind(':');
    std::string key;
    if (c1 != std::string_view::npos && c2 > c1)
      if (auto positions = fragment_positions(body.substr(c1 + 1, c2 - c1 - 1))) {
        key = std::string(body.substr(0, c1)) + ':';
        for (std::size_t k = 0; k < positions->size(); ++k) key += (k ? "," : "") + std::to_string((*positions)[k]);
        key += std::string(body.substr(c2));
      }
    const auto lines = ftbl.ms_lines.find(key);
    if (lines == ftbl.ms_lines.end()) {
      d.error("row '" + std::string(name) + "' is no MASS_SPECTROMETRY row of the FTBL file (metabolite, fragment and weight)", ln, cells[0].second);
      continue;
    }
    int ftbl_line = lines->second.front();
    if (lines->second.size() > 1) {
      if (std::find(lines->second.begin(), lines->second.end(), named_line) == lines->second.end()) {
        d.error("row '" + std::string(name) + "': the FTBL file measures this fragment in several groups, and line " + std::to_string(named_line) +
                    " is none of them",
                ln, cells[0].second);
        continue;
      }
      ftbl_line = named_line;
    }
    const auto ms = ftbl.ms_rows.find(ftbl_line);
    if (auto [it, fresh] = row_of_line.emplace(ftbl_line, ln); !fresh) {
      d.error("row '" + std::string(name) + "' is given twice (first on line " + std::to_string(it->second) + ")", ln, cells[0].second);
      continue;
    }
    if (cells.size() != times.size() + 1) {
      d.error("expected " + std::to_string(times.size()) + " values (one per time), found " + std::to_string(cells.size() - 1), ln,
              cells.back().second);
      continue;
    }
    const auto [group, weight] = ms->second;
    const isotope::MeasuredMid& base = ftbl.mids.mids[group];
    for (std::size_t k = 0; k < times.size(); ++k) {
      double v = kNaN;
      if (cells[k + 1].first != "NA") {
        const auto parsed = parse_number(cells[k + 1].first);
        if (!parsed || !std::isfinite(*parsed)) {
          d.error("value '" + std::string(cells[k + 1].first.substr(0, 40)) + "' is not a number (or NA)", ln, cells[k + 1].second);
          break;
        }
        v = *parsed;
      }
      if (std::isnan(v)) continue;
      long& mid = at[k][group];
      if (mid < 0) {
        isotope::MeasuredMid m = base;
        std::fill(m.fraction.begin(), m.fraction.end(), kNaN);
        m.time = times[k];
        m.line = ln;
        mid = static_cast<long>(table.mids.size());
        table.mids.push_back(std::move(m));
      }
      auto& m = table.mids[static_cast<std::size_t>(mid)];
      m.fraction[static_cast<std::size_t>(weight)] = v;
      if (std::isnan(base.sd[static_cast<std::size_t>(weight)])) {
        d.error("row '" + std::string(name) + "': the FTBL's row gives no DEVIATION", ln, cells[0].second);
        break;
      }
    }
  }
  if (!header && !d.has_errors()) d.error("no row_col header (an influx_i label kinetics file)", 0, 0);
  if (header && table.mids.empty() && !d.has_errors()) d.error("no measured values", 0, 0);
  if (d.has_errors()) return R::failure(d);
  return R::success(std::move(table), d.items());
}

Result<Model> read_ftbl_model(std::string_view text, const std::string& source) {
  auto f = read_ftbl(text, source, ftbl_experiment_id(source));
  if (!f) return Result<Model>::failure(f.diagnostics());
  return Result<Model>::success(std::move(f.value().model), f.diagnostics());
}

}  // namespace fluxion::io
