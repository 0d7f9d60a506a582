// What the two extension modules (fluxion._core and fluxion._learn) share: bad input as
// fluxion.InputError, Results taken with their warnings as Python warnings, the GIL released
// around the engines, requests filled from keyword arguments through the libraries' option
// tables, help text from those tables, and Python callables as progress hooks.
#pragma once

#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/core/run.hpp"

namespace fluxion::python {

namespace py = pybind11;

// Bad input: fluxion.InputError (a ValueError), with the command line's messages.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Issues each warning as a Python UserWarning.
inline void warn(const std::vector<Diagnostic>& diagnostics) {
  for (const auto& d : diagnostics)
    if (d.severity == Severity::warning && PyErr_WarnEx(PyExc_UserWarning, d.to_string().c_str(), 1) != 0) throw py::error_already_set();
}

// A Result's value, its warnings issued as Python warnings; InputError when it failed.
template <class T>
T take(Result<T> r) {
  if (!r.ok()) throw InputError(r.message());
  warn(r.diagnostics());
  return std::move(r).value();
}

// Runs f without the GIL: other Python threads go on while the engine works.
template <class F>
auto without_gil(F&& f) {
  py::gil_scoped_release release;
  return f();
}

// A keyword argument as the text an option table parses: flags true/false, lists joined by
// commas (the tables' delimiter).
inline std::string option_text(const py::handle& value) {
  if (py::isinstance<py::bool_>(value)) return value.cast<bool>() ? "true" : "false";
  if (py::isinstance<py::str>(value)) return value.cast<std::string>();
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value) || py::isinstance<py::set>(value)) {
    std::string s;
    for (auto item : value) {
      if (!s.empty()) s += ',';
      s += option_text(item);
    }
    return s;
  }
  return py::str(value).cast<std::string>();
}

// One request among several filled from the same keyword arguments.
template <class T>
struct Slot {
  const OptionTable<T>& table;
  T& object;
};

// Fills requests from keyword arguments by their option tables: fva=True is --fva,
// fraction=0.9 is --fraction 0.9, knockout_genes=["b4025"] is --knockout-genes b4025
// (underscores for dashes; None leaves the default). Each name goes to the first table that
// declares it (fit's: the input files', the run's, the fit's own, as on its command line).
// Unknown names and bad values raise one InputError naming each argument.
template <class... T>
void requests_from(const py::kwargs& kwargs, Slot<T>... slots) {
  static const std::string not_here = "is not an option here";
  std::string problems;
  for (auto [key, value] : kwargs) {
    const std::string given = py::str(key);
    if (value.is_none()) continue;
    std::string name = given;
    for (char& ch : name)
      if (ch == '_') ch = '-';
    const std::string text = option_text(value);
    std::string why = not_here;
    ((why = why == not_here ? slots.table.set_text(slots.object, name, text) : why), ...);
    if (!why.empty()) {
      if (!problems.empty()) problems += '\n';
      problems += given;
      problems += ": ";
      problems += why;
    }
  }
  if (!problems.empty()) throw InputError(problems);
}

// The keyword arguments a request takes, for help(): "fva (boolean, default false): …".
template <class T>
std::string options_doc(const OptionTable<T>& table) {
  std::string doc;
  for (const auto& o : table.infos()) {
    std::string name = o.name;
    for (char& c : name)
      if (c == '-') c = '_';
    doc += "    ";
    doc += name;
    doc += " (";
    doc += o.type;
    if (!o.default_value.empty()) {
      doc += ", default ";
      doc += o.default_value;
    }
    doc += "): ";
    doc += o.description;
    doc += '\n';
  }
  return doc;
}

// Named texts (an engine's files, run_info settings) as a dict and as (key, value) pairs.
inline py::dict files_dict(const std::vector<std::pair<std::string, std::string>>& files) {
  py::dict d;
  for (const auto& [name, text] : files) d[py::str(name)] = text;
  return d;
}
inline py::list pairs_list(const std::vector<std::pair<std::string, std::string>>& pairs) {
  py::list l;
  for (const auto& [key, value] : pairs) l.append(py::make_tuple(key, value));
  return l;
}

// A Python callable as the engines' progress: progress(phase, done, total, unit) -> bool,
// called with the GIL from whichever thread reports; False (or an exception, kept for the
// caller) stops the engine at its next safe point. The hooks refer to this object and copy
// no Python object, so that the engine may copy and drop them without the GIL; it must
// outlive the run.
struct PythonProgress {
  py::handle callback;  // borrowed: the caller's argument outlives the call
  py::object error;     // the exception a callback raised (set and read with the GIL)

  explicit PythonProgress(py::handle cb) : callback(cb) {}

  ProgressHook hook(const std::string& phase) {
    if (callback.is_none()) return {};
    return [this, phase](const Progress& p) {
      py::gil_scoped_acquire gil;
      if (error) return false;
      try {
        py::object go = callback(phase, p.done, p.total, p.unit);
        return go.is_none() || go.cast<bool>();
      } catch (py::error_already_set& e) {
        error = e.value();
        return false;
      }
    };
  }
  // Raises the callback's exception (KeyboardInterrupt, say) in the caller, if it raised one.
  void rethrow() const {
    if (!error) return;
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(error.ptr())), error.ptr());
    throw py::error_already_set();
  }
};

// Registers `InputError` in module m with `base` (ValueError, or _core's InputError) and the
// translator that raises it.
inline void register_input_error(py::module_& m, py::handle base) {
  static py::exception<InputError> error(m, "InputError", base);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InputError& e) {
      error(e.what());
    }
  });
}

}  // namespace fluxion::python
