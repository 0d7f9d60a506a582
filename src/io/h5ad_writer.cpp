// Results into a copy of an AnnData file (io/h5ad_writer.hpp).
#include "fluxion/io/h5ad_writer.hpp"

#include <filesystem>
#include <system_error>

#include "fluxion/io/hdf5_handle.hpp"

namespace fluxion::io {

namespace fs = std::filesystem;
namespace {

using hdf5::check;
using hdf5::Handle;
using hdf5::own;

using hdf5::string_type;

void string_attribute(hid_t object, const char* name, const std::string& value) {
  if (H5Aexists(object, name) > 0) check(H5Adelete(object, name), std::string("replacing attribute ") + name);
  hdf5::write_string_attribute(object, name, value);
}

void strings_attribute(hid_t object, const char* name, const std::vector<std::string>& values) {
  if (H5Aexists(object, name) > 0) check(H5Adelete(object, name), std::string("replacing attribute ") + name);
  hdf5::write_strings_attribute(object, name, values);
}

void encoding(hid_t object, const char* type, const char* version) {
  string_attribute(object, "encoding-type", type);
  string_attribute(object, "encoding-version", version);
}

void remove_if_present(hid_t parent, const std::string& name) {
  if (H5Lexists(parent, name.c_str(), H5P_DEFAULT) > 0) check(H5Ldelete(parent, name.c_str(), H5P_DEFAULT), "replacing '" + name + "'");
}

Handle open_or_create_dict(hid_t parent, const char* name) {
  if (H5Lexists(parent, name, H5P_DEFAULT) > 0) return own(H5Gopen2(parent, name, H5P_DEFAULT), H5Gclose, std::string("opening ") + name);
  Handle g = own(H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, std::string("creating ") + name);
  encoding(g, "dict", "0.1.0");
  return g;
}

void string_array(hid_t parent, const std::string& name, const std::vector<std::string>& values) {
  remove_if_present(parent, name);
  Handle type = string_type();
  const hsize_t n = values.size();
  Handle space = own(H5Screate_simple(1, &n, nullptr), H5Sclose, "a 1-d space");
  Handle set = own(H5Dcreate2(parent, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose, "dataset '" + name + "'");
  std::vector<const char*> p;
  for (const auto& v : values) p.push_back(v.c_str());
  if (n > 0) check(H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data()), "writing '" + name + "'");
  encoding(set, "string-array", "0.2.0");
}

void scalar_string(hid_t parent, const std::string& name, const std::string& value) {
  remove_if_present(parent, name);
  Handle type = string_type();
  Handle space = own(H5Screate(H5S_SCALAR), H5Sclose, "a scalar space");
  Handle set = own(H5Dcreate2(parent, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose, "dataset '" + name + "'");
  const char* p = value.c_str();
  check(H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &p), "writing '" + name + "'");
  encoding(set, "string", "0.2.0");
}

template <class T>
void numeric_array(hid_t parent, const std::string& name, const std::vector<T>& values, hid_t type) {
  remove_if_present(parent, name);
  const hsize_t n = values.size();
  Handle space = own(H5Screate_simple(1, &n, nullptr), H5Sclose, "a 1-d space");
  Handle set = own(H5Dcreate2(parent, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose, "dataset '" + name + "'");
  if (n > 0) check(H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "writing '" + name + "'");
  encoding(set, "array", "0.2.0");
}

void frame(hid_t parent, const std::string& name, const H5adFrame& f) {
  remove_if_present(parent, name);
  Handle g = own(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "group '" + name + "'");
  encoding(g, "dataframe", "0.2.0");
  const std::string index = h5ad_name(f.index_name.empty() ? "_index" : f.index_name);
  string_attribute(g, "_index", index);
  std::vector<std::string> order;
  for (const auto& c : f.columns) {
    const std::string column = h5ad_name(c.name);
    if (column == index) throw hdf5::Error("column '" + c.name + "' has the index's name");
    order.push_back(column);
    if (c.is_string) string_array(g, column, c.strings);
    else if (c.is_integer) numeric_array(g, column, c.integers, H5T_NATIVE_LLONG);
    else numeric_array(g, column, c.numbers, H5T_NATIVE_DOUBLE);
  }
  strings_attribute(g, "column-order", order);
  string_array(g, index, f.index);
}

// The number of observations: the length of obs's index (AnnData >= 0.7 writes obs as a group).
hsize_t n_obs(hid_t file) {
  if (H5Lexists(file, "obs", H5P_DEFAULT) <= 0) throw hdf5::Error("has no obs: not an AnnData file");
  H5O_info_t info;
  check(H5Oget_info_by_name2(file, "obs", &info, H5O_INFO_BASIC, H5P_DEFAULT), "reading obs");
  if (info.type != H5O_TYPE_GROUP) throw hdf5::Error("obs is not a group (AnnData before 0.7): read it with anndata and write it again first");
  Handle obs = own(H5Gopen2(file, "obs", H5P_DEFAULT), H5Gclose, "opening obs");
  std::string index = "_index";
  if (H5Aexists(obs, "_index") > 0) {
    Handle attr = own(H5Aopen(obs, "_index", H5P_DEFAULT), H5Aclose, "obs's _index");
    Handle type = own(H5Aget_type(attr), H5Tclose, "obs's _index type");
    if (H5Tis_variable_str(type) > 0) {
      Handle mem = string_type();
      char* p = nullptr;
      check(H5Aread(attr, mem, &p), "reading obs's _index");
      if (p) index = p;
      Handle space = own(H5Aget_space(attr), H5Sclose, "obs's _index space");
      H5Dvlen_reclaim(mem, space, H5P_DEFAULT, &p);
    }
  }
  Handle set = own(H5Dopen2(obs, index.c_str(), H5P_DEFAULT), H5Dclose, "obs's index '" + index + "'");
  Handle space = own(H5Dget_space(set), H5Sclose, "obs's index space");
  hsize_t n = 0;
  if (H5Sget_simple_extent_ndims(space) != 1) throw hdf5::Error("obs's index is not 1-dimensional");
  H5Sget_simple_extent_dims(space, &n, nullptr);
  return n;
}

}  // namespace

std::string h5ad_name(const std::string& name) {
  if (name.empty() || name == ".") return "_";
  std::string out;
  for (char c : name) {
    if (c == '/') out += "\xe2\x88\x95";  // U+2215 DIVISION SLASH
    else out += c;
  }
  return out;
}

Result<bool> write_h5ad_copy(const std::string& input, const std::string& output, const H5adAdditions& additions) {
  Diagnostics d(output);
  std::error_code ec;
  if (fs::exists(output, ec) && fs::equivalent(input, output, ec)) {
    d.error("is the input file: give another name (the input is never changed)", 0, 0);
    return Result<bool>::failure(d);
  }
  const fs::path partial = fs::path(output).concat(".partial");
  if (!fs::copy_file(input, partial, fs::copy_options::overwrite_existing, ec)) {
    d.error("cannot copy " + input + " here: " + ec.message(), 0, 0);
    return Result<bool>::failure(d);
  }
  try {
    hdf5::silence();
    {
      Handle file = own(H5Fopen(partial.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose, "cannot be opened as HDF5 (is " + input + " an .h5ad file?)");
      const hsize_t n = n_obs(file);
      for (const auto& [name, f] : additions.obsm)
        if (f.index.size() != n)
          throw hdf5::Error("obsm '" + name + "' has " + std::to_string(f.index.size()) + " rows but obs has " + std::to_string(n));
      Handle obsm = open_or_create_dict(file, "obsm");
      for (const auto& [name, f] : additions.obsm) frame(obsm, h5ad_name(name), f);
      if (!additions.uns_key.empty()) {
        Handle uns = open_or_create_dict(file, "uns");
        remove_if_present(uns, h5ad_name(additions.uns_key));
        Handle mine = open_or_create_dict(uns, h5ad_name(additions.uns_key).c_str());
        for (const auto& e : additions.uns) {
          const std::string key = h5ad_name(e.key);
          switch (e.kind) {
            case H5adUnsEntry::Kind::string: scalar_string(mine, key, e.text); break;
            case H5adUnsEntry::Kind::strings: string_array(mine, key, e.strings); break;
            case H5adUnsEntry::Kind::frame: frame(mine, key, e.frame); break;
            case H5adUnsEntry::Kind::dict: {
              Handle g = open_or_create_dict(mine, key.c_str());
              for (const auto& [k, v] : e.dict) scalar_string(g, h5ad_name(k), v);
              break;
            }
          }
        }
      }
      check(H5Fflush(file, H5F_SCOPE_GLOBAL), "flushing");
    }
    fs::rename(partial, output, ec);
    if (ec) throw hdf5::Error("cannot be written: " + ec.message());
  } catch (const hdf5::Error& e) {
    fs::remove(partial, ec);
    d.error(e.what(), 0, 0);
    return Result<bool>::failure(d);
  }
  return Result<bool>::success(true, d.items());
}

}  // namespace fluxion::io
