// The one contract of fluxion's long computations (Ceres's options → validate → summary):
// an engine takes its `*Options` (checked by validate()), reports progress through one hook
// that can also stop it, and says how the run ended in one summary shape.
//
//   ScfeaOptions o;
//   o.progress = [](const Progress& p) { std::printf("%ld/%ld\n", p.done, p.total); return !interrupted; };
//   auto r = run_scfea(network, cells, o);
//   if (r) std::puts(r.value().summary.brief().c_str());   // "stopped: after 12 of 100 epochs"
#pragma once

#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace fluxion {

// What an engine has done so far. `loss` is the objective the engine lowers, `score` a
// held-out measure (a test MSE), NaN where the engine has none.
struct Progress {
  long done = 0, total = 0;  // total 0: not known
  std::string unit;          // what is counted: "epochs", "starts"
  double loss = std::numeric_limits<double>::quiet_NaN();
  double score = std::numeric_limits<double>::quiet_NaN();
};

// Called as work advances, from the engine's calling thread or, for parallel engines, from
// one worker at a time. Return false to stop: the engine stops at its next safe point and
// returns what it has, with Termination::stopped.
using ProgressHook = std::function<bool(const Progress&)>;

enum class Termination {
  completed,       // ran to the end (epochs, starts) as asked
  converged,       // met its convergence test
  no_convergence,  // ran out of iterations or evaluations first
  stopped,         // the progress hook asked it to stop
  failed,          // diverged or could not go on (a non-finite loss, a solver failure)
};
const char* to_string(Termination t);

// How a run ended.
struct RunSummary {
  Termination termination = Termination::completed;
  std::string message;  // one line: why it ended ("after 12 of 100 epochs")
  bool usable = true;   // the results may be used (a stopped run's results are those it reached)
  std::vector<std::pair<std::string, std::string>> details;  // name → value, for the full report

  std::string brief() const;        // "stopped: after 12 of 100 epochs"
  std::string full_report() const;  // the brief line, then one "  name: value" line per detail
};

}  // namespace fluxion
