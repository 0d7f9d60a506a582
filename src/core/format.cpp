#include "fluxion/core/format.hpp"

#include <cstdio>

namespace fluxion {

namespace {

std::string printed(const char* format, double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, format, v);
  return buffer;
}

}  // namespace

std::string format_number(double v) { return printed("%.10g", v); }

std::string format_short(double v) { return printed("%.6g", v); }

std::string format_significant(double v, int digits) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.*g", digits, v);
  return buffer;
}

}  // namespace fluxion
