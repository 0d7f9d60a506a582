#include "fluxion/core/format.hpp"

#include <cstdio>

namespace fluxion {

std::string format_number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.10g", v);
  return buffer;
}

}  // namespace fluxion

namespace fluxion {

std::string format_short(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", v);
  return buffer;
}

}  // namespace fluxion
