#include "fluxion/core/lp.hpp"

namespace fluxion {

const char* to_string(LpStatus s) {
  switch (s) {
    case LpStatus::optimal: return "optimal";
    case LpStatus::infeasible: return "infeasible";
    case LpStatus::unbounded: return "unbounded";
    case LpStatus::limit: return "limit reached";
    case LpStatus::error: return "error";
  }
  return "error";
}

}  // namespace fluxion
