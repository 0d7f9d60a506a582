#include "text.hpp"
#include "fluxion/io/text_file.hpp"

#include <zlib.h>

#include <cctype>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sys/stat.h>

namespace fluxion::io::detail {

namespace {

// Length of the UTF-8 sequence at s[i] (1–4), or 0 when it is not valid UTF-8 (overlong
// forms, surrogates and code points above U+10FFFF included).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else
    return 0;
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

// Windows-1252's code points for bytes 0x80–0x9F (Excel on Windows saves CSV in it); the
// five it leaves undefined keep their Latin-1 (C1) code points.
constexpr char32_t kCp1252[32] = {0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
                                  0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
                                  0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) out += static_cast<char>(c);
  else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

}  // namespace

bool is_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string as_utf8(std::string text) {
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);  // Excel's "CSV UTF-8" starts with a BOM
  if (is_utf8(text)) return text;
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (unsigned char c : text) append_utf8(out, c < 0x80 ? c : c < 0xA0 ? kCp1252[c - 0x80] : static_cast<char32_t>(c));
  return out;
}

std::optional<std::string> read_file(const std::string& path, std::string& error) {
  if (const std::string problem = file_problem(path); !problem.empty()) {  // a FIFO would block
    error = problem;
    return std::nullopt;
  }
  gzFile f = gzopen(path.c_str(), "rb");  // reads plain files transparently
  if (!f) {
    error = std::string("cannot open: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int code = 0;
      error = std::string("cannot read: ") + gzerror(f, &code);
      gzclose(f);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  gzclose(f);
  return as_utf8(std::move(out));
}

bool write_file(const std::string& path, const std::string& content, std::string& error) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    error = std::string("cannot open for writing: ") + std::strerror(errno);
    return false;
  }
  out << content;
  out.close();
  if (!out) {
    error = std::string("write failed: ") + std::strerror(errno);
    return false;
  }
  return true;
}

int line_of_offset(std::string_view text, std::ptrdiff_t offset) {
  if (offset < 0) return 0;
  const auto end = std::min<std::size_t>(static_cast<std::size_t>(offset), text.size());
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == text.size()) break;
    start = end + 1;
  }
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t end = text.find(sep, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

std::vector<std::string_view> split_cells(std::string_view line, char sep) {
  std::vector<std::string_view> cells;
  std::size_t start = 0;
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') quoted = !quoted;
    else if (!quoted && c == '[') ++depth;
    else if (!quoted && c == ']' && depth > 0) --depth;
    else if (c == sep && !quoted && depth == 0) {
      cells.push_back(line.substr(start, i - start));
      start = i + 1;
    }
  }
  cells.push_back(line.substr(start));
  return cells;
}

std::string_view unquote(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::optional<double> parse_number(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  const std::string l = lower(s);
  if (l == "inf" || l == "+inf" || l == "infinity" || l == "+infinity") return kInfinity;
  if (l == "-inf" || l == "-infinity") return -kInfinity;
  std::string_view t = s;
  if (t.front() == '+') t.remove_prefix(1);
  double v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || ptr != t.data() + t.size() || std::isnan(v)) return std::nullopt;
  return v;
}

std::optional<int> parse_int(std::string_view s, int min, int max) {
  auto v = parse_number(s);
  if (!v || !std::isfinite(*v) || *v < min || *v > max || *v != std::floor(*v)) return std::nullopt;
  return static_cast<int>(*v);
}

std::optional<bool> parse_bool(std::string_view s) {
  const std::string l = lower(trim(s));
  if (l == "yes" || l == "true" || l == "1" || l == "y") return true;
  if (l == "no" || l == "false" || l == "0" || l == "n") return false;
  return std::nullopt;
}

std::string format_number(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::isnan(v)) return "nan";
  if (v == 0) return "0";
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ptr);
}

std::string format_short(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// ---------------------------------------------------------------------------
// Tables

TableReader::TableReader(std::string_view text) : lines_(split_lines(text)) {}

bool TableReader::next() {
  while (next_ < lines_.size()) {
    const std::string_view line = lines_[next_++];
    const std::string_view t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    line_ = static_cast<int>(next_);
    cells_ = split_cells(line, sep_);
    starts_.resize(cells_.size());
    for (std::size_t c = 0, pos = 1; c < cells_.size(); ++c) {
      starts_[c] = static_cast<int>(pos);
      pos += cells_[c].size() + 1;
    }
    return true;
  }
  return false;
}

bool TableReader::read_header(Diagnostics& d, const std::vector<std::string>& required, const std::vector<std::string>& known,
                              const std::string& expected) {
  // the separator is decided by the header line itself
  while (next_ < lines_.size()) {
    const std::string_view t = trim(lines_[next_]);
    if (!t.empty() && t.front() != '#') break;
    ++next_;
  }
  if (next_ >= lines_.size()) {
    d.error("empty table: expected a header row" + (expected.empty() ? std::string() : " (" + expected + ")"));
    return false;
  }
  sep_ = lines_[next_].find('\t') != std::string_view::npos ? '\t' : ',';
  next();
  const std::size_t errors = d.error_count();
  for (std::size_t c = 0; c < cells_.size(); ++c) {
    const std::string name = lower(trim(unquote(trim(cells_[c]))));
    names_.emplace_back(trim(unquote(trim(cells_[c]))));
    if (!known.empty() && std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      d.error("unknown column '" + std::string(trim(cells_[c])) + "' (known: " + list + ")", line_, starts_[c]);
    } else if (!columns_.emplace(name, c).second) {
      d.error("column '" + name + "' appears twice", line_, starts_[c]);
    }
  }
  require(d, required, expected);
  return d.error_count() == errors;
}

bool TableReader::require(Diagnostics& d, const std::vector<std::string>& required, const std::string& expected) const {
  bool ok = true;
  for (const auto& r : required)
    if (!columns_.count(r)) {
      d.error("the header has no '" + r + "' column" + (expected.empty() ? std::string() : " (expected: " + expected + ")"), line_, 1);
      ok = false;
    }
  return ok;
}

std::string_view TableReader::cell(std::size_t i) const {
  return i < cells_.size() ? trim(unquote(trim(cells_[i]))) : std::string_view{};
}

std::string_view TableReader::get(const std::string& name) const {
  auto it = columns_.find(name);
  if (it == columns_.end() || it->second >= cells_.size()) return {};
  return trim(unquote(trim(cells_[it->second])));
}

int TableReader::column(const std::string& name) const {
  auto it = columns_.find(name);
  if (it == columns_.end() || it->second >= cells_.size()) return 1;
  return starts_[it->second];
}

// ---------------------------------------------------------------------------
// Equations

namespace {

struct Token {
  std::string_view text;
  int column;  // 1-based within the equation text
};

bool is_arrow(std::string_view t, bool& reversible, bool& backward) {
  static const char* forward[] = {"->", "-->", "=>", "==>", "→"};
  static const char* both[] = {"<->", "<=>", "<==>", "<-->", "↔", "⇌"};
  static const char* back[] = {"<-", "<--", "<=", "<==", "←"};
  for (auto a : forward)
    if (t == a) { reversible = false; backward = false; return true; }
  for (auto a : both)
    if (t == a) { reversible = true; backward = false; return true; }
  for (auto a : back)
    if (t == a) { reversible = false; backward = true; return true; }
  return false;
}

// Splits into whitespace-separated tokens, keeping "( ... )" atom groups whole.
std::vector<Token> tokenize(std::string_view text, std::string& error, int& error_column) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) { ++i; continue; }
    const std::size_t start = i;
    if (text[i] == '(') {
      const std::size_t close = text.find(')', i);
      if (close == std::string_view::npos) {
        error = "'(' without a closing ')'";
        error_column = static_cast<int>(i + 1);
        return {};
      }
      i = close + 1;
    } else {
      while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) && text[i] != '(') ++i;
    }
    tokens.push_back({text.substr(start, i - start), static_cast<int>(start + 1)});
  }
  return tokens;
}

bool parse_atoms(std::string_view group, EquationTerm& term, std::string& error) {
  // group is "( ... )"
  std::string_view inner = trim(group.substr(1, group.size() - 2));
  if (inner.empty()) return true;
  bool prefixed = false;
  for (std::string_view part : split(inner, ' ')) {
    part = trim(part);
    if (part.empty()) continue;
    const auto colon = part.find(':');
    if (colon != std::string_view::npos) {
      prefixed = true;
      auto e = element_from_symbol(part.substr(0, colon));
      if (!e) {
        error = "unknown element '" + std::string(part.substr(0, colon)) +
                "' in atom map; use C, H, N or O";
        return false;
      }
      auto& dst = term.atoms[static_cast<std::size_t>(*e)];
      if (!dst.empty()) {
        error = "element " + std::string(part.substr(0, colon)) + " mapped twice";
        return false;
      }
      dst = std::string(part.substr(colon + 1));
    } else {
      if (prefixed || !term.atoms[0].empty()) {
        error = "atom map \"" + std::string(inner) +
                "\" mixes groups with and without an element prefix (write C:... H:...)";
        return false;
      }
      term.atoms[static_cast<std::size_t>(Element::C)] = std::string(part);
    }
  }
  for (const auto& s : term.atoms)
    for (char c : s)
      if (std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')' || c == ',' || c == ':') {
        error = "atom label '" + std::string(1, c) + "' is not allowed";
        return false;
      }
  return true;
}

}  // namespace

std::optional<Equation> parse_equation(std::string_view text, Diagnostics& diag, int line,
                                       int column_offset, const std::string& context) {
  std::string error;
  int error_column = 0;
  auto fail = [&](const std::string& msg, int col) -> std::optional<Equation> {
    diag.error(msg, line, col > 0 ? column_offset + col - 1 : column_offset, context);
    return std::nullopt;
  };
  auto tokens = tokenize(text, error, error_column);
  if (!error.empty()) return fail(error, error_column);
  Equation eq;
  bool seen_arrow = false, backward = false;
  std::vector<EquationTerm>* side = &eq.reactants;
  // state: expect a term (optionally a coefficient first), then '+' or the arrow
  std::size_t i = 0;
  bool expect_term = true;
  while (i < tokens.size()) {
    const Token& t = tokens[i];
    bool rev = false, back = false;
    if (is_arrow(t.text, rev, back)) {
      if (seen_arrow) return fail("a second arrow '" + std::string(t.text) + "'", t.column);
      if (expect_term && !side->empty()) return fail("'+' is followed by the arrow", t.column);
      seen_arrow = true;
      eq.reversible = rev;
      backward = back;
      side = &eq.products;
      expect_term = true;
      ++i;
      continue;
    }
    if (t.text == "+") {
      if (expect_term) return fail("expected a metabolite before '+'", t.column);
      expect_term = true;
      ++i;
      continue;
    }
    if (!expect_term) return fail("expected '+' or an arrow before '" + std::string(t.text) + "'", t.column);
    if (t.text.front() == '(') return fail("atom map " + std::string(t.text) + " without a metabolite", t.column);
    EquationTerm term;
    // coefficient?
    if (i + 1 < tokens.size()) {
      if (auto c = parse_number(t.text)) {
        const auto& next = tokens[i + 1];
        bool r2 = false, b2 = false;
        if (next.text != "+" && !is_arrow(next.text, r2, b2) && next.text.front() != '(') {
          if (!(*c > 0) || !std::isfinite(*c))
            return fail("coefficient " + std::string(t.text) + " must be positive and finite", t.column);
          term.coefficient = *c;
          ++i;
        }
      }
    }
    const Token& id = tokens[i];
    term.metabolite = std::string(id.text);
    term.column = column_offset + id.column - 1;
    ++i;
    if (i < tokens.size() && tokens[i].text.front() == '(') {
      if (!parse_atoms(tokens[i].text, term, error)) return fail(error, tokens[i].column);
      ++i;
    }
    side->push_back(std::move(term));
    expect_term = false;
  }
  if (!seen_arrow)
    return fail("no reaction arrow (use ->, <->, <=> or =>)", 1);
  if (expect_term && !eq.products.empty()) return fail("the equation ends with '+'", static_cast<int>(text.size()));
  if (eq.reactants.empty() && eq.products.empty()) return fail("the equation has no metabolites", 1);
  if (backward) std::swap(eq.reactants, eq.products);
  return eq;
}

std::string format_equation(const Model& model, const Reaction& r) {
  // Element prefixes are needed when anything but carbon is mapped.
  bool prefixed = false;
  for (Element e : kElements)
    if (e != Element::C && r.has_atom_map(e)) prefixed = true;
  auto side = [&](const std::vector<Participant>& ps) {
    std::string out;
    for (const auto& p : ps) {
      if (!out.empty()) out += " + ";
      if (p.coefficient != 1.0) out += format_number(p.coefficient) + " ";
      out += model.metabolites[p.metabolite].id;
      std::string atoms;
      for (Element e : kElements) {
        const auto& a = p.atoms[static_cast<std::size_t>(e)];
        if (!r.has_atom_map(e)) continue;
        if (prefixed) {
          if (a.empty()) continue;
          if (!atoms.empty()) atoms += ' ';
          atoms += std::string(element_symbol(e)) + ":" + a;
        } else {
          atoms += a;
        }
      }
      if (r.has_any_atom_map()) out += " (" + atoms + ")";
    }
    return out;
  };
  std::string lhs = side(r.reactants), rhs = side(r.products);
  std::string arrow = r.reversible ? "<->" : "->";
  std::string out = lhs;
  if (!out.empty()) out += ' ';
  out += arrow;
  if (!rhs.empty()) out += ' ' + rhs;
  return out;
}

void append_validation(Diagnostics& d, const Model& model, const std::vector<int>& reaction_lines,
                       const std::string& xml_element) {
  const std::string prefix = "reaction '";
  for (auto diag : model.validate(d.source())) {
    if (diag.line == 0 && diag.context.rfind(prefix, 0) == 0) {
      const std::string id = diag.context.substr(prefix.size(), diag.context.size() - prefix.size() - 1);
      if (auto ri = model.reaction_index(id); ri && *ri < reaction_lines.size()) {
        diag.line = reaction_lines[*ri];
        if (!xml_element.empty()) diag.context = "<" + xml_element + " id=\"" + id + "\">";
      }
    }
    d.add(diag);
  }
}

void apply_equation(Model& model, Reaction& r, const Equation& eq) {
  r.reversible = eq.reversible;
  auto add = [&](const std::vector<EquationTerm>& terms, std::vector<Participant>& out) {
    for (const auto& t : terms) {
      Participant p;
      p.metabolite = model.ensure_metabolite(t.metabolite);
      p.coefficient = t.coefficient;
      p.atoms = t.atoms;
      out.push_back(std::move(p));
    }
  };
  add(eq.reactants, r.reactants);
  add(eq.products, r.products);
}

}  // namespace fluxion::io::detail

namespace fluxion::io {

Result<std::string> read_text_file(const std::string& path) {
  std::string error;
  auto text = detail::read_file(path, error);
  if (!text) return Result<std::string>::failure({Diagnostic{Severity::error, path, 0, 0, {}, error}});
  return Result<std::string>::success(std::move(*text));
}

}  // namespace fluxion::io
