// What a fluxion command's exit status means: the contract between the command line, the
// web service's workers (which run each job as a command) and scripts.
#pragma once

#include <string>

namespace fluxion {

inline constexpr int kExitOk = 0;       // success: every output written
inline constexpr int kExitFailure = 1;  // the computation failed (a solver, a write), not the input
inline constexpr int kExitInput = 2;    // bad input: files, values, usage; the message names them

// "bad input", "the analysis failed (exit 1)", "success": how a job's end is reported.
inline std::string exit_meaning(int code) {
  if (code == kExitOk) return "success";
  if (code == kExitInput) return "bad input";
  return "the analysis failed (exit " + std::to_string(code) + ")";
}

}  // namespace fluxion
