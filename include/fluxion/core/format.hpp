// Numbers as fluxion writes them in tables, messages and JSON text: 10 significant digits
// (printf's %.10g), the same in every command and library.
#pragma once

#include <string>

namespace fluxion {

std::string format_number(double v);

}  // namespace fluxion
