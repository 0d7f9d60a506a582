// HDF5 string and integer attributes of the dataset files, for the generator (dataset.cpp)
// and the reader (dataset_contents.cpp). Private to src/sampling.
#pragma once

#include <hdf5.h>

#include <optional>
#include <string>
#include <vector>

#include "fluxion/io/hdf5_handle.hpp"

namespace fluxion::sampling::detail {

using H5Id = io::hdf5::Handle;
using H5Error = io::hdf5::Error;
using io::hdf5::check;
using io::hdf5::own;

using io::hdf5::string_type;
using io::hdf5::write_string_attribute;
using io::hdf5::write_strings_attribute;

inline void write_int_attribute(hid_t object, const char* name, long value) {
  H5Id space = own(H5Screate(H5S_SCALAR), H5Sclose, "attribute space");
  H5Id attr = own(H5Acreate2(object, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, std::string("attribute ") + name);
  const std::int64_t v = value;
  check(H5Awrite(attr, H5T_NATIVE_INT64, &v), std::string("attribute ") + name);
}

inline std::optional<std::string> read_string_attribute(hid_t object, const char* name) {
  if (H5Aexists(object, name) <= 0) return std::nullopt;
  H5Id attr = own(H5Aopen(object, name, H5P_DEFAULT), H5Aclose, name);
  H5Id type = string_type();
  char* p = nullptr;
  if (H5Aread(attr, type, &p) < 0 || !p) return std::nullopt;
  std::string s(p);
  H5free_memory(p);
  return s;
}

inline std::vector<std::string> read_strings_attribute(hid_t object, const char* name) {
  if (H5Aexists(object, name) <= 0) return {};
  H5Id attr = own(H5Aopen(object, name, H5P_DEFAULT), H5Aclose, name);
  H5Id space = own(H5Aget_space(attr), H5Sclose, name);
  const auto n = H5Sget_simple_extent_npoints(space);
  std::vector<char*> p(static_cast<std::size_t>(std::max<hssize_t>(n, 0)), nullptr);
  H5Id type = string_type();
  check(H5Aread(attr, type, p.data()), name);
  std::vector<std::string> out;
  for (char* s : p) {
    out.emplace_back(s ? s : "");
    if (s) H5free_memory(s);
  }
  return out;
}

}  // namespace fluxion::sampling::detail
