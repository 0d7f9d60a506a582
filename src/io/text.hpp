// Internal helpers shared by the readers and writers: file access (gzip aware),
// line splitting, number and boolean parsing, number formatting, equations.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"

namespace fluxion::io::detail {

// Reads a whole text file; transparently inflates gzip (.gz or gzip magic). The text
// comes back as UTF-8 without a byte-order mark: a file that is not valid UTF-8 is read as
// Windows-1252 (Latin-1 with Excel's extra characters), which is how Excel on Windows saves
// CSV. nullopt + message when it cannot be read, or is not a regular file (the message does
// not repeat the path: callers put it in the diagnostic's source).
std::optional<std::string> read_file(const std::string& path, std::string& error);
// Whether `text` is well-formed UTF-8; the text as UTF-8 (BOM dropped; if not UTF-8, read as
// Windows-1252).
bool is_utf8(std::string_view text);
std::string as_utf8(std::string text);
bool write_file(const std::string& path, const std::string& content, std::string& error);

std::vector<std::string_view> split_lines(std::string_view text);
// The 1-based line of a byte offset (0 for a negative offset: unknown).
int line_of_offset(std::string_view text, std::ptrdiff_t offset);
std::vector<std::string_view> split(std::string_view text, char sep);
// Splits a delimited row, keeping separators inside [...] (isotope labels such as
// [1,2-13C2]) and inside double quotes; quotes are kept in the cells.
std::vector<std::string_view> split_cells(std::string_view line, char sep);
std::string_view trim(std::string_view s);
// Removes one pair of surrounding double quotes.
std::string_view unquote(std::string_view s);
std::string lower(std::string_view s);
bool ends_with(std::string_view s, std::string_view suffix);

// Rows of a delimited table with a header row: tab-separated when the header holds a
// tab, otherwise comma-separated; blank lines and lines starting with '#' are skipped;
// cells are trimmed and unquoted; separators inside [...] or quotes do not split.
class TableReader {
 public:
  explicit TableReader(std::string_view text);
  // Reads the header. With `known`, other column names are errors; duplicates always
  // are; so is a missing `required` column. False when there is no usable header.
  bool read_header(Diagnostics& d, const std::vector<std::string>& required, const std::vector<std::string>& known = {},
                   const std::string& expected = {});
  bool has(const std::string& name) const { return columns_.count(name) > 0; }
  // Errors for required columns the header lacks; false if any.
  bool require(Diagnostics& d, const std::vector<std::string>& required, const std::string& expected = {}) const;
  std::size_t header_size() const { return columns_.size(); }
  // The header's cells as written (trimmed, unquoted, case kept), in order.
  const std::vector<std::string>& header_names() const { return names_; }
  // Cell `i` of the current row, trimmed and unquoted (empty past the row's end).
  std::string_view cell(std::size_t i) const;
  bool next();                 // advances to the next data row; false at the end
  int line() const { return line_; }
  std::size_t size() const { return cells_.size(); }  // cells in the current row
  int start(std::size_t cell) const { return starts_[cell]; }
  std::string_view get(const std::string& name) const;  // the named cell, or empty
  int column(const std::string& name) const;            // its 1-based text column (1 if absent)

 private:
  std::vector<std::string_view> lines_;
  std::size_t next_ = 0;
  char sep_ = '\t';
  int line_ = 0;
  std::map<std::string, std::size_t> columns_;
  std::vector<std::string> names_;
  std::vector<std::string_view> cells_;
  std::vector<int> starts_;
};

// Parses a finite or infinite number ("inf", "-Inf", "1e3"); nullopt on garbage.
std::optional<double> parse_number(std::string_view s);
// A whole number in [min, max] ("12", "-3"; not "1.5", "1e400"); nullopt otherwise.
std::optional<int> parse_int(std::string_view s, int min, int max);
// yes/no, true/false, 1/0 (any case); nullopt otherwise.
std::optional<bool> parse_bool(std::string_view s);
// Shortest text that reads back as the same double; "inf" / "-inf" for infinities.
std::string format_number(double v);
// Six significant digits, for messages ("0.95", not "0.9500000000000001").
std::string format_short(double v);

// One term of a reaction equation.
struct EquationTerm {
  double coefficient = 1.0;
  std::string metabolite;
  std::array<std::string, kElementCount> atoms;  // per element
  int column = 0;                                // 1-based column of the metabolite id
};

struct Equation {
  std::vector<EquationTerm> reactants, products;
  bool reversible = false;
};

// Parses "2 A (abc) + B (C:ab H:xy) <-> C (cba)". Arrows: -> --> => ==> (forward),
// <-> <=> <==> <--> (reversible), <- <-- <= <== (backward: sides are swapped).
// An atom string without an element prefix maps carbon. Problems go to `diag` at
// `line`, with columns offset by `column_offset` (the 1-based column of the text).
std::optional<Equation> parse_equation(std::string_view text, Diagnostics& diag, int line,
                                       int column_offset, const std::string& context);

// Formats a reaction as an equation with its atom maps, the inverse of parse_equation.
std::string format_equation(const Model& model, const Reaction& r);

// Appends Model::validate's diagnostics, pointing those about a reaction at the line
// that defined it (`reaction_lines[i]` for reaction i; 0 = unknown). With a non-empty
// `xml_element`, the context becomes e.g. <reaction id="v1">.
void append_validation(Diagnostics& d, const Model& model, const std::vector<int>& reaction_lines,
                       const std::string& xml_element = {});

// Adds the metabolites and reactions of a parsed equation to the model.
void apply_equation(Model& model, Reaction& r, const Equation& eq);

}  // namespace fluxion::io::detail
