// The HDF5 plumbing that the dataset files (sampling) and the expression matrices (io: 10x
// .h5, AnnData .h5ad) share: an owning handle, an error type for failed calls, and HDF5's
// own error printing switched off (fluxion's diagnostics say what went wrong instead).
// Header-only: sampling uses it without linking io.
#pragma once

#include <hdf5.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace fluxion::io::hdf5 {

// Owns an HDF5 id and closes it with the matching H5?close.
struct Handle {
  hid_t id = H5I_INVALID_HID;
  herr_t (*close)(hid_t) = nullptr;
  Handle() = default;
  Handle(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id(o.id), close(o.close) { o.id = H5I_INVALID_HID; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      if (id >= 0 && close) close(id);
      id = o.id;
      close = o.close;
      o.id = H5I_INVALID_HID;
    }
    return *this;
  }
  ~Handle() {
    if (id >= 0 && close) close(id);
  }
  bool ok() const { return id >= 0; }
  explicit operator bool() const { return id >= 0; }  // `if (!handle)`: the call failed
  operator hid_t() const { return id; }                // passed straight to the H5 calls
};

// A failed HDF5 call; what() says which.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline void check(herr_t status, const std::string& what) {
  if (status < 0) throw Error(what);
}
inline Handle own(hid_t id, herr_t (*close)(hid_t), const std::string& what) {
  if (id < 0) throw Error(what);
  return Handle(id, close);
}

// A variable-length UTF-8 string type.
inline Handle string_type() {
  Handle t = own(H5Tcopy(H5T_C_S1), H5Tclose, "a string type");
  check(H5Tset_size(t, H5T_VARIABLE), "a variable-length string type");
  check(H5Tset_cset(t, H5T_CSET_UTF8), "a UTF-8 string type");
  return t;
}

// A scalar string attribute, and a 1-d one of strings (the attribute must not exist yet).
inline void write_string_attribute(hid_t object, const char* name, const std::string& value) {
  Handle type = string_type();
  Handle space = own(H5Screate(H5S_SCALAR), H5Sclose, "attribute space");
  Handle attr = own(H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, std::string("attribute ") + name);
  const char* p = value.c_str();
  check(H5Awrite(attr, type, &p), std::string("attribute ") + name);
}
inline void write_strings_attribute(hid_t object, const char* name, const std::vector<std::string>& values) {
  Handle type = string_type();
  const hsize_t n = values.size();
  Handle space = own(H5Screate_simple(1, &n, nullptr), H5Sclose, "attribute space");
  Handle attr = own(H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, std::string("attribute ") + name);
  std::vector<const char*> p;
  for (const auto& v : values) p.push_back(v.c_str());
  if (n > 0) check(H5Awrite(attr, type, p.data()), std::string("attribute ") + name);
}

// Switches HDF5's printing of its error stack off, once per process.
inline void silence() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

}  // namespace fluxion::io::hdf5
