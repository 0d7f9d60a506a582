// Fuzz target: request paths → files of a job's output directory (safe_child), uploaded file
// names → stored extensions and display names. Whatever the bytes, a file found must lie
// under the root (links resolved), an extension must come from the fixed list, and a display
// name must be one printable path component.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "service_internal.hpp"

namespace fs = std::filesystem;

namespace {

struct Tree {
  fs::path root, real_root;
  Tree() {
    const fs::path base = fs::temp_directory_path() / ("fluxion-fuzz-paths-" + std::to_string(::getpid()));
    fs::create_directories(base / "root" / "sub");
    std::ofstream(base / "secret.txt") << "outside";
    std::ofstream(base / "root" / "fluxes.tsv") << "x";
    std::ofstream(base / "root" / "sub" / "flux.csv") << "x";
    std::error_code ec;
    fs::create_symlink(base / "secret.txt", base / "root" / "link.txt", ec);
    fs::create_directory_symlink(base, base / "root" / "up", ec);
    root = base / "root";
    real_root = fs::canonical(root);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Tree tree;
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (const auto found = fluxion::service::safe_child(tree.root, text)) {
    const std::string f = found->string(), r = tree.real_root.string() + "/";
    if (f.compare(0, r.size(), r) != 0 || !fs::is_regular_file(*found)) std::abort();
  }
  const std::string ext = fluxion::service::safe_extension(text);
  if (!ext.empty() && (ext[0] != '.' || ext.find('/') != std::string::npos || ext.size() > 9)) std::abort();
  const std::string shown = fluxion::service::display_name(text);
  for (unsigned char c : shown)
    if (c == '/' || c == '\\' || c < 32 || c == 127) std::abort();
  if (shown.size() > 200) std::abort();
  return 0;
}
