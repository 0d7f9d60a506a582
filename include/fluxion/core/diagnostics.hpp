// Diagnostics: how fluxion reports bad user input.
//
// Bad input is never an exception that escapes a library call and never aborts.
// Every reader and validator collects all the problems it finds as Diagnostic
// values (where: file, line, column or element; what: one sentence) and returns
// them inside a Result. The command line prints them all at once and chooses the
// exit code; the web service turns them into its JSON error shape.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace fluxion {

enum class Severity { warning, error };

struct Diagnostic {
  Severity severity = Severity::error;
  std::string source;   // file name, or what the input was ("built-in model 'simple'")
  int line = 0;         // 1-based; 0 = not tied to a line
  int column = 0;       // 1-based; 0 = not tied to a column
  std::string context;  // XML element, reaction id, field name ... ; may be empty
  std::string message;  // one sentence saying what is wrong

  // "file:line:column: error: [context] message"
  std::string to_string() const;
};

// An ordered collection of diagnostics with helpers to add them.
class Diagnostics {
 public:
  explicit Diagnostics(std::string source = {}) : source_(std::move(source)) {}

  void error(std::string message, int line = 0, int column = 0, std::string context = {});
  void warning(std::string message, int line = 0, int column = 0, std::string context = {});
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  void append(const std::vector<Diagnostic>& other);

  bool has_errors() const;
  std::size_t error_count() const;
  const std::vector<Diagnostic>& items() const { return items_; }
  const std::string& source() const { return source_; }
  void set_source(std::string s) { source_ = std::move(s); }

 private:
  std::string source_;
  std::vector<Diagnostic> items_;
};

// Joins diagnostics into one message, one per line.
std::string format_diagnostics(const std::vector<Diagnostic>& items);

// Either a value (possibly with warnings) or the errors that prevented it.
template <class T>
class Result {
 public:
  static Result success(T value, std::vector<Diagnostic> warnings = {}) {
    Result r;
    r.value_.emplace(std::move(value));
    r.diagnostics_ = std::move(warnings);
    return r;
  }
  static Result failure(std::vector<Diagnostic> diagnostics) {
    Result r;
    r.diagnostics_ = std::move(diagnostics);
    return r;
  }
  static Result failure(const Diagnostics& d) { return failure(d.items()); }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }

  // Programmer error to call on a failed result.
  const T& value() const& {
    if (!value_) throw std::logic_error("Result::value() on a failed result: " + message());
    return *value_;
  }
  T& value() & {
    if (!value_) throw std::logic_error("Result::value() on a failed result: " + message());
    return *value_;
  }
  // By value, so that `for (auto& x : f().value())` never refers into a dead temporary.
  T value() && {
    if (!value_) throw std::logic_error("Result::value() on a failed result: " + message());
    return std::move(*value_);
  }
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  std::string message() const { return format_diagnostics(diagnostics_); }

 private:
  Result() = default;
  std::optional<T> value_;
  std::vector<Diagnostic> diagnostics_;
};

// Why a file the user named cannot be read as one: "" when it is a regular file that exists;
// otherwise "cannot open: <reason>", "is a directory, not a file" or "is not a regular file (a
// pipe, socket or device); give a file" (a FIFO would block every reader). Every reader asks
// this before it opens a file.
std::string file_problem(const std::string& path);

}  // namespace fluxion
