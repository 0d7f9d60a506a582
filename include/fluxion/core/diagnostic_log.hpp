// The diagnostics of a call that is made of steps, each returning a Result: every step's
// warnings reach the caller, on success and on failure, instead of only the last step's.
//
//   DiagnosticLog log;
//   auto model = io::load_model(path);
//   if (!log.take(model)) return log.failure<Plan>();   // its errors, and any warnings before
//   ...
//   return log.success(std::move(plan));                // the plan, with every warning met
#pragma once

#include <utility>
#include <vector>

#include "fluxion/core/diagnostics.hpp"

namespace fluxion {

class DiagnosticLog {
 public:
  // Keeps a step's diagnostics (warnings, and its errors when it failed); whether it succeeded.
  template <class T>
  bool take(const Result<T>& step) {
    add(step.diagnostics());
    return step.ok();
  }
  void add(const std::vector<Diagnostic>& diagnostics) { items_.insert(items_.end(), diagnostics.begin(), diagnostics.end()); }

  // A failed Result with what was kept, and `errors` after it.
  template <class T>
  Result<T> failure(const std::vector<Diagnostic>& errors = {}) const {
    std::vector<Diagnostic> all = items_;
    all.insert(all.end(), errors.begin(), errors.end());
    return Result<T>::failure(std::move(all));
  }
  template <class T>
  Result<T> success(T value) const {
    return Result<T>::success(std::move(value), items_);
  }
  const std::vector<Diagnostic>& items() const { return items_; }

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace fluxion
