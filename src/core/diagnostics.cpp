#include "fluxion/core/diagnostics.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace fluxion {

std::string Diagnostic::to_string() const {
  std::string out = source.empty() ? std::string("<input>") : source;
  if (line > 0) {
    out += ':';
    out += std::to_string(line);
    if (column > 0) {
      out += ':';
      out += std::to_string(column);
    }
  }
  out += severity == Severity::error ? ": error: " : ": warning: ";
  if (!context.empty()) out += context + ": ";
  out += message;
  return out;
}

void Diagnostics::error(std::string message, int line, int column, std::string context) {
  items_.push_back({Severity::error, source_, line, column, std::move(context), std::move(message)});
}

void Diagnostics::warning(std::string message, int line, int column, std::string context) {
  items_.push_back(
      {Severity::warning, source_, line, column, std::move(context), std::move(message)});
}

void Diagnostics::append(const std::vector<Diagnostic>& other) {
  items_.insert(items_.end(), other.begin(), other.end());
}

bool Diagnostics::has_errors() const { return error_count() > 0; }

std::size_t Diagnostics::error_count() const {
  return static_cast<std::size_t>(std::count_if(
      items_.begin(), items_.end(), [](const Diagnostic& d) { return d.severity == Severity::error; }));
}

std::string format_diagnostics(const std::vector<Diagnostic>& items) {
  std::string out;
  for (const auto& d : items) {
    if (!out.empty()) out += '\n';
    out += d.to_string();
  }
  return out;
}

std::string file_problem(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::string("cannot open: ") + std::strerror(errno);
  if (S_ISDIR(st.st_mode)) return "is a directory, not a file";
  if (!S_ISREG(st.st_mode)) return "is not a regular file (a pipe, socket or device); give a file";
  return "";
}

}  // namespace fluxion
