// Reading a user's text file the way every fluxion reader does: gzip inflated, a byte-order
// mark dropped, text that is not UTF-8 read as Windows-1252 (Excel's CSV on Windows), and
// anything but a regular file refused with a message that names it.
#pragma once

#include <string>

#include "fluxion/core/diagnostics.hpp"

namespace fluxion::io {

Result<std::string> read_text_file(const std::string& path);

}  // namespace fluxion::io
