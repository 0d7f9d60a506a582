#include "fluxion/core/run.hpp"

namespace fluxion {

const char* to_string(Termination t) {
  switch (t) {
    case Termination::completed: return "completed";
    case Termination::converged: return "converged";
    case Termination::no_convergence: return "no convergence";
    case Termination::stopped: return "stopped";
    case Termination::failed: return "failed";
  }
  return "completed";
}

std::string RunSummary::brief() const { return std::string(to_string(termination)) + (message.empty() ? "" : ": " + message); }

std::string RunSummary::full_report() const {
  std::string out = brief() + (usable ? "" : " (the results are not usable)") + "\n";
  for (const auto& [name, value] : details) out += "  " + name + ": " + value + "\n";
  return out;
}

}  // namespace fluxion
