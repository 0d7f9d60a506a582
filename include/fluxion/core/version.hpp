// Version of the fluxion engine and the git commit it was built from.
#pragma once

#include <string_view>

namespace fluxion {
std::string_view version();   // semantic version, e.g. "0.1.0"
std::string_view git_hash();  // short commit hash, "-dirty" if built from a modified tree
}  // namespace fluxion
