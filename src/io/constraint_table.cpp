#include "fluxion/io/constraint_table.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "text.hpp"

namespace fluxion::io {

using namespace detail;

namespace {

struct Token {
  enum Kind { number, id, op, plus, minus, times, open, close, end } kind = end;
  std::string text;
  double value = 0.0;
  int column = 0;  // 1-based
};

// Splits one line into tokens; false (with message and column) on a character that
// belongs nowhere.
bool tokenize(std::string_view line, std::vector<Token>& out, std::string& error, int& error_column) {
  std::size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    const int col = static_cast<int>(i + 1);
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && i + 1 < line.size() && std::isdigit(static_cast<unsigned char>(line[i + 1])))) {
      const std::string rest(line.substr(i, std::min<std::size_t>(64, line.size() - i)));
      char* stop = nullptr;
      const double v = std::strtod(rest.c_str(), &stop);
      const auto used = static_cast<std::size_t>(stop - rest.c_str());
      const std::size_t after = i + used;
      if (after < line.size() && (std::isalpha(static_cast<unsigned char>(line[after])) || line[after] == '_')) {
        // "6PGD" is an id, never 6 × PGD: a coefficient needs '*' or a space
        std::size_t j = after;
        while (j < line.size() && (std::isalnum(static_cast<unsigned char>(line[j])) || line[j] == '_' || line[j] == '.')) ++j;
        out.push_back({Token::id, std::string(line.substr(i, j - i)), 0.0, col});
        i = j;
        continue;
      }
      out.push_back({Token::number, rest.substr(0, used), v, col});
      i += used;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i;
      while (j < line.size() && (std::isalnum(static_cast<unsigned char>(line[j])) || line[j] == '_' || line[j] == '.')) ++j;
      out.push_back({Token::id, std::string(line.substr(i, j - i)), 0.0, col});
      i = j;
    } else if (c == '\'' || c == '"') {
      const std::size_t close = line.find(c, i + 1);
      if (close == std::string_view::npos) {
        error = "unterminated quoted id";
        error_column = col;
        return false;
      }
      out.push_back({Token::id, std::string(line.substr(i + 1, close - i - 1)), 0.0, col});
      i = close + 1;
    } else if (c == '<' || c == '>' || c == '=') {
      const bool with_equals = i + 1 < line.size() && line[i + 1] == '=';
      const char* op = c == '<' ? (with_equals ? "<=" : "<") : c == '>' ? (with_equals ? ">=" : ">") : "==";
      out.push_back({Token::op, op, 0.0, col});
      i += with_equals ? 2 : 1;
    } else if (c == '+' || c == '-' || c == '*' || c == '(' || c == ')') {
      const Token::Kind k = c == '+' ? Token::plus : c == '-' ? Token::minus : c == '*' ? Token::times : c == '(' ? Token::open : Token::close;
      out.push_back({k, std::string(1, c), 0.0, col});
      ++i;
    } else {
      error = std::string("unexpected character '") + c + "'";
      error_column = col;
      return false;
    }
  }
  out.push_back({Token::end, "", 0.0, static_cast<int>(line.size() + 1)});
  return true;
}

// One side of a chain: a constant, or a sum of flux terms (a constant part is allowed
// and moved to the bounds).
struct Side {
  std::vector<FluxTerm> terms;
  double constant = 0.0;
};

class Parser {
 public:
  Parser(const std::vector<Token>& t, const FluxSpace& space) : t_(t), space_(space) {
    for (std::size_t j = 0; j < space.exchange_columns().size(); ++j) has_exchange_.insert(space.exchange_columns()[j]);
  }
  std::string error;
  int error_column = 0;

  bool side(Side& s) {
    bool first = true;
    while (true) {
      double sign = 1.0;
      if (peek().kind == Token::plus || peek().kind == Token::minus) {
        sign = peek().kind == Token::minus ? -1.0 : 1.0;
        ++p_;
      } else if (!first) {
        return true;
      }
      first = false;
      double coef = 1.0;
      bool has_number = false;
      if (peek().kind == Token::number) {
        coef = peek().value;
        has_number = true;
        ++p_;
        if (peek().kind == Token::times) ++p_;
      }
      if (peek().kind != Token::id) {
        if (has_number) {
          s.constant += sign * coef;
          continue;
        }
        return fail("expected a number or a reaction id", peek().column);
      }
      Token name = peek();
      ++p_;
      bool exchange = false;
      if ((name.text == "xch" || name.text == "net") && peek().kind == Token::open) {
        exchange = name.text == "xch";
        ++p_;
        if (peek().kind != Token::id) return fail("expected a reaction id inside " + name.text + "(...)", peek().column);
        name = peek();
        ++p_;
        if (peek().kind != Token::close) return fail("expected ')'", peek().column);
        ++p_;
      }
      const auto& ids = space_.column_ids();
      const auto it = std::find(ids.begin(), ids.end(), name.text);
      if (it == ids.end()) return fail("'" + name.text + "' is not a reaction of the model", name.column);
      const auto c = static_cast<Eigen::Index>(it - ids.begin());
      if (exchange && !has_exchange_.count(c))
        return fail("'" + name.text + "' has no exchange flux (it cannot run backwards)", name.column);
      s.terms.push_back({c, exchange, sign * coef});
    }
  }

  const Token& peek() const { return t_[p_]; }
  void advance() { ++p_; }

  bool fail(std::string message, int column) {
    error = std::move(message);
    error_column = column;
    return false;
  }

 private:
  const std::vector<Token>& t_;
  const FluxSpace& space_;
  std::set<Eigen::Index> has_exchange_;
  std::size_t p_ = 0;
};

}  // namespace

Result<std::vector<LinearConstraint>> read_constraint_table(std::string_view text, const std::string& source,
                                                            const FluxSpace& space) {
  Diagnostics d(source);
  std::vector<LinearConstraint> out;
  const auto lines = split_lines(text);
  for (std::size_t li = 0; li < lines.size(); ++li) {
    const int ln = static_cast<int>(li + 1);
    std::string_view line = lines[li];
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    if (trim(line).empty()) continue;
    if (line.size() > 10000) {
      d.error("line too long for a constraint", ln, 1);
      continue;
    }
    std::vector<Token> tokens;
    std::string error;
    int column = 0;
    if (!tokenize(line, tokens, error, column)) {
      d.error(error, ln, column);
      continue;
    }
    Parser p(tokens, space);
    std::vector<Side> sides;
    std::vector<Token> ops;
    bool ok = true;
    while (ok) {
      Side s;
      if (!p.side(s)) {
        d.error(p.error, ln, p.error_column);
        ok = false;
        break;
      }
      sides.push_back(std::move(s));
      if (p.peek().kind == Token::op) {
        ops.push_back(p.peek());
        p.advance();
        continue;
      }
      if (p.peek().kind != Token::end) {
        d.error("unexpected '" + p.peek().text + "'", ln, p.peek().column);
        ok = false;
      }
      break;
    }
    if (!ok) continue;
    if (ops.empty() || ops.size() > 2) {
      d.error(ops.empty() ? "no comparison (<=, >=, ==)" : "at most two comparisons (lower <= expression <= upper)", ln,
              ops.empty() ? 1 : ops[2].column);
      continue;
    }
    const std::string name = source + " line " + std::to_string(ln) + ": " + std::string(trim(line));
    auto constrain = [&](const Side& given_left, const std::string& given_op, const Side& given_right, int col) {
      // a number on the left is turned round (0.8 <= pgi  ->  pgi >= 0.8), so that
      // the fluxes keep their signs; then left op right  ->  (left − right) op constant
      const bool turn = given_left.terms.empty();
      const Side& left = turn ? given_right : given_left;
      const Side& right = turn ? given_left : given_right;
      std::string op = given_op;
      if (turn && op[0] != '=') op[0] = op[0] == '<' ? '>' : '<';
      LinearConstraint c;
      c.name = name;
      c.terms = left.terms;
      for (FluxTerm t : right.terms) {
        t.coefficient = -t.coefficient;
        c.terms.push_back(t);
      }
      if (c.terms.empty()) {
        d.error("compares two numbers: no flux in it", ln, col);
        return;
      }
      const double k = right.constant - left.constant;  // Σ terms op k
      if (op == "<=" || op == "<") c.upper = k;
      else if (op == ">=" || op == ">") c.lower = k;
      else c.lower = c.upper = k;
      out.push_back(std::move(c));
    };
    if (ops.size() == 2) {
      const bool up = ops[0].text[0] == '<' && ops[1].text[0] == '<';
      const bool down = ops[0].text[0] == '>' && ops[1].text[0] == '>';
      if (!up && !down) {
        d.error("a chain of two comparisons must go one way (a <= x <= b or a >= x >= b)", ln, ops[1].column);
        continue;
      }
      if (!sides[0].terms.empty() || !sides[2].terms.empty()) {
        d.error("in a <= expression <= b, the outer sides must be numbers", ln, 1);
        continue;
      }
    }
    for (std::size_t k = 0; k < ops.size(); ++k) constrain(sides[k], ops[k].text, sides[k + 1], ops[k].column);
  }
  if (d.has_errors()) return Result<std::vector<LinearConstraint>>::failure(d);
  return Result<std::vector<LinearConstraint>>::success(std::move(out));
}

bool parse_flux_expression(std::string_view text, const FluxSpace& space, std::vector<FluxTerm>& terms, std::string& error, int& column) {
  std::vector<Token> tokens;
  if (!tokenize(text, tokens, error, column)) return false;
  Parser p(tokens, space);
  Side s;
  if (!p.side(s)) {
    error = p.error;
    column = p.error_column;
    return false;
  }
  if (p.peek().kind != Token::end) {
    error = "unexpected '" + p.peek().text + "'";
    column = p.peek().column;
    return false;
  }
  if (s.constant != 0.0 || s.terms.empty()) {
    error = s.terms.empty() ? "no flux in the expression" : "a constant term in a flux expression";
    column = 1;
    return false;
  }
  terms = std::move(s.terms);
  return true;
}

Result<std::vector<LinearConstraint>> model_relations(const Model& model, const FluxSpace& space, const std::string& source) {
  Diagnostics d(source);
  std::vector<LinearConstraint> out;
  for (const auto& rel : model.relations) {
    auto c = read_constraint_table(rel.expression, source, space);
    if (!c) {
      for (const auto& item : c.diagnostics())
        d.error("constraint '" + rel.expression + "': " + item.message, rel.line, 0, "<constraints>");
      continue;
    }
    for (auto& lc : c.value()) {
      lc.name = source + (rel.line > 0 ? " line " + std::to_string(rel.line) : std::string()) + ": " + rel.expression;
      out.push_back(std::move(lc));
    }
  }
  if (d.has_errors()) return Result<std::vector<LinearConstraint>>::failure(d);
  return Result<std::vector<LinearConstraint>>::success(std::move(out));
}

Result<std::vector<LinearConstraint>> load_constraint_table(const std::string& path, const FluxSpace& space) {
  std::string error;
  auto text = read_file(path, error);
  if (!text) return Result<std::vector<LinearConstraint>>::failure({Diagnostic{Severity::error, path, 0, 0, {}, error}});
  return read_constraint_table(*text, path, space);
}

}  // namespace fluxion::io
