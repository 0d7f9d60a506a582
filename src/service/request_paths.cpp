// Names from requests → files: the only places a request's text becomes part of a path.
#include <algorithm>
#include <regex>

#include "service_internal.hpp"

namespace fluxion::service {

namespace fs = std::filesystem;

// A file under `root` named by a request path: only plain names ([A-Za-z0-9._-] segments, no
// dot-only segments), resolved without following a link out of the root.
std::optional<fs::path> safe_child(const fs::path& root, const std::string& relative) {
  if (relative.empty() || relative.size() > 512) return std::nullopt;
  static const std::regex segment("[A-Za-z0-9_][A-Za-z0-9._-]*");
  fs::path p = root;
  std::size_t start = 0;
  while (start <= relative.size()) {
    const auto slash = relative.find('/', start);
    const std::string part = relative.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!std::regex_match(part, segment)) return std::nullopt;
    p /= part;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  std::error_code ec;
  const auto real_root = fs::canonical(root, ec);
  if (ec) return std::nullopt;
  const auto real = fs::canonical(p, ec);
  if (ec || !fs::is_regular_file(real)) return std::nullopt;
  const auto r = real.string(), rr = real_root.string() + "/";
  if (r.compare(0, rr.size(), rr) != 0) return std::nullopt;
  return real;
}

// Extension of an uploaded file name kept for the readers that look at it (".xml.gz").
std::string safe_extension(const std::string& filename) {
  static const std::vector<std::string> known{".tsv.gz", ".csv.gz", ".txt.gz", ".xml.gz", ".sbml.gz", ".json.gz", ".mtx.gz",
                                              ".tsv",    ".csv",    ".txt",    ".xml",    ".sbml",    ".json",    ".fml",
                                              ".h5",     ".h5ad",   ".gmt",    ".mtx",    ".fluxpkg", ".ftbl",    ".gz",      ".tab"};
  std::string lower = filename;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  for (const auto& k : known)
    if (lower.size() > k.size() && lower.compare(lower.size() - k.size(), k.size(), k) == 0) return k;
  return "";
}

std::string display_name(const std::string& filename) {
  std::string base = filename.substr(filename.find_last_of("/\\") == std::string::npos ? 0 : filename.find_last_of("/\\") + 1);
  std::string out;
  for (unsigned char c : base)
    if (c >= 32 && c != 127 && out.size() < 200) out += static_cast<char>(c);
  return out;
}

}  // namespace fluxion::service
