// Numbers as fluxion writes them in tables, messages and JSON text: 10 significant digits
// (printf's %.10g), the same in every command and library.
#pragma once

#include <string>

namespace fluxion {

std::string format_number(double v);

// A number as a person writes it in a message or a default: 6 significant digits (%.6g),
// so 0.01, 1000, 1e+06, not 0.010000 or 309 digits.
std::string format_short(double v);

// printf's %.<digits>g: the precision a particular table has always had (scFEA's 7, FBApro's
// summary 3), without a buffer and snprintf at every call.
std::string format_significant(double v, int digits);

}  // namespace fluxion
