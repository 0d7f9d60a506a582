// What keeps a run from losing a user's files in its output directory: no input may lie
// inside it (the results could overwrite it), and a run that fails after writing part of
// its results leaves FAILED_RUN.txt there, naming the files that are from an earlier run,
// so that a mix of old and new results never looks current.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace fluxion::io {

// The first of `inputs` that is an existing file inside the directory `output` (after
// resolving both); "" when none is.
std::string input_inside_output(const std::string& output, const std::vector<std::string>& inputs);

// A run that writes into `directory`, started now.
class OutputRun {
 public:
  OutputRun() = default;
  OutputRun(const std::string& directory, std::string command);
  // After the run: on success an earlier FAILED_RUN.txt goes; on failure (exit_code ≠ 0),
  // when the run wrote some files and older ones remain beside them, FAILED_RUN.txt names
  // the older ones. Returns how many older files it named (0: no marker written).
  std::size_t finish(int exit_code) const;
  const std::filesystem::path& directory() const { return directory_; }

 private:
  std::filesystem::path directory_;
  std::filesystem::file_time_type started_{};
  std::string command_;
};

}  // namespace fluxion::io
