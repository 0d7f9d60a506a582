// run_info.json: how a result was made (kallisto's habit). Every command that writes
// an output directory writes one: fluxion version and commit, the exact command line,
// each input file with its size and SHA-256, options, and timings.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fluxion/core/diagnostics.hpp"

namespace fluxion::io {

class RunInfo {
 public:
  explicit RunInfo(std::vector<std::string> command_line);

  // An input: a file (hashed) or a built-in name.
  void add_input(const std::string& role, const std::string& path_or_name);
  void set(const std::string& key, const std::string& value);  // an option or a fact
  void add_output(const std::string& path);
  void add_timing(const std::string& phase, double seconds);

  // Writes <directory>/run_info.json; the total wall time is measured up to this call.
  Result<bool> write(const std::string& directory) const;

 private:
  std::vector<std::string> command_line_;
  std::chrono::system_clock::time_point started_;
  std::chrono::steady_clock::time_point start_tick_;
  std::vector<std::map<std::string, std::string>> inputs_;
  std::vector<std::pair<std::string, std::string>> values_;
  std::vector<std::string> outputs_;
  std::vector<std::pair<std::string, double>> timings_;
};

// SHA-256 of a file as lower-case hex; empty when it cannot be read.
std::string sha256_file(const std::string& path);
std::string sha256_text(std::string_view text);

// Writes a whole output file; an error (with the reason) when it cannot be written.
Result<bool> write_output_file(const std::string& path, const std::string& content);

// Creates a directory (and parents); an error when it exists as a file or cannot be made.
Result<bool> make_output_directory(const std::string& path);

// Writes named files (name, content) into `directory`, made if missing, in their order;
// the paths written. The engines' result_files() and a command's outputs meet here.
Result<std::vector<std::string>> write_output_files(const std::string& directory, const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace fluxion::io
