// Guarding a run's output directory (io/output_guard.hpp).
#include "fluxion/io/output_guard.hpp"

#include <algorithm>
#include <fstream>

namespace fluxion::io {

namespace fs = std::filesystem;

std::string input_inside_output(const std::string& output, const std::vector<std::string>& inputs) {
  std::error_code ec;
  const fs::path out = fs::weakly_canonical(output, ec);
  if (ec || out.empty() || fs::is_regular_file(out, ec)) return {};
  for (const std::string& value : inputs) {
    if (value.empty() || !fs::is_regular_file(value, ec)) continue;
    const fs::path in = fs::weakly_canonical(value, ec);
    if (ec) continue;
    const auto [o_end, i_end] = std::mismatch(out.begin(), out.end(), in.begin(), in.end());
    if (o_end == out.end()) return value;
  }
  return {};
}

OutputRun::OutputRun(const std::string& directory, std::string command)
    : directory_(directory), started_(fs::file_time_type::clock::now()), command_(std::move(command)) {}

std::size_t OutputRun::finish(int exit_code) const {
  std::error_code ec;
  if (directory_.empty() || !fs::is_directory(directory_, ec)) return 0;
  const fs::path marker = directory_ / "FAILED_RUN.txt";
  if (exit_code == 0) {
    fs::remove(marker, ec);
    return 0;
  }
  // only a run that wrote some files and then failed leaves a mix that looks current; one
  // refused before it wrote anything leaves the directory untouched
  std::vector<std::string> older;
  bool wrote = false;
  for (const auto& e : fs::directory_iterator(directory_, ec)) {
    if (!e.is_regular_file(ec) || e.path() == marker) continue;
    if (e.last_write_time(ec) < started_) older.push_back(e.path().filename().string());
    else wrote = true;
  }
  if (older.empty() || !wrote) return 0;
  std::sort(older.begin(), older.end());
  std::ofstream out(marker);
  out << "The last run that wrote here failed (exit " << exit_code << "):\n  " << command_ << "\nThese files are from an earlier run, not from it:\n";
  for (const auto& f : older) out << "  " << f << "\n";
  return older.size();
}

}  // namespace fluxion::io
