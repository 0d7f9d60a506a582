// Where the built-in predictor packages are (learn/predictor_package.hpp). A translation
// unit of its own, free of LibTorch: the command line lists the packages without loading it.
#include <cstdlib>
#include <filesystem>
#include <set>

#include "fluxion/learn/predictor_package.hpp"

namespace fluxion::learn {

namespace fs = std::filesystem;

std::vector<std::string> predictor_directories() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("FLUXION_PREDICTORS"); env && *env) dirs.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back((exe.parent_path().parent_path() / "share" / "fluxion" / "predictors").string());
  dirs.emplace_back(FLUXION_SOURCE_DIR "/models/predictors");
  return dirs;
}

std::string find_predictor(const std::string& name) {
  std::error_code ec;
  if (fs::is_regular_file(name, ec)) return name;
  if (name.empty() || name.find('/') != std::string::npos) return {};
  for (const auto& d : predictor_directories()) {
    const fs::path p = fs::path(d) / (name + ".fluxpkg");
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return {};
}

std::vector<std::string> builtin_predictors() {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& d : predictor_directories())
    for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".fluxpkg") names.insert(it->path().stem().string());
  return {names.begin(), names.end()};
}

std::string builtin_predictor_list() {
  std::string out;
  for (const auto& n : builtin_predictors()) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? std::string("none found") : out;
}

}  // namespace fluxion::learn
