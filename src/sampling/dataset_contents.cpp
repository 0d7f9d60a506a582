// What a dataset holds, read back (sampling/dataset_contents.hpp): the MID layout, the
// provenance, and the HDF5 reader. The generator is in dataset.cpp.
#include "fluxion/sampling/dataset_contents.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "hdf5_attributes.hpp"

namespace fluxion::sampling {

namespace fs = std::filesystem;
using namespace detail;

// ---------------------------------------------------------------- layout

nlohmann::json MidLayout::to_json() const {
  nlohmann::json f = nlohmann::json::array();
  for (const auto& field : fields)
    f.push_back({{"element", std::string(element_symbol(field.element))}, {"metabolite", field.metabolite}, {"isotopologues", field.isotopologues}});
  nlohmann::json j = {{"order", "(field * experiments + experiment) * width + isotopologue"},
                      {"width", width},
                      {"size", size()},
                      {"fields", f},
                      {"experiments", experiments}};
  if (!times.empty()) j["times"] = times;
  return j;
}

MidLayout MidLayout::from_json(const nlohmann::json& j) {
  MidLayout l;
  try {
    l.width = j.at("width").get<int>();
    l.experiments = j.at("experiments").get<std::vector<std::string>>();
    for (const auto& f : j.at("fields")) {
      const auto e = element_from_symbol(f.at("element").get<std::string>());
      if (!e) throw std::invalid_argument("unknown element " + f.at("element").dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      l.fields.push_back({*e, f.at("metabolite").get<std::string>(), f.at("isotopologues").get<int>()});
      if (l.fields.back().isotopologues < 1 || l.fields.back().isotopologues > l.width)
        throw std::invalid_argument("field " + l.fields.back().metabolite + " has " + std::to_string(l.fields.back().isotopologues) +
                                    " isotopologues in a layout of width " + std::to_string(l.width));
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("MID layout: ") + e.what());
  }
  try {
    if (j.contains("times")) l.times = j.at("times").get<std::vector<double>>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("MID layout: times: ") + e.what());
  }
  if (!l.times.empty() && l.experiments.size() % l.times.size() != 0)
    throw std::invalid_argument("MID layout: " + std::to_string(l.experiments.size()) + " blocks are not experiments × " + std::to_string(l.times.size()) + " times");
  if (j.contains("size") && j.at("size").get<std::size_t>() != l.size()) throw std::invalid_argument("MID layout: its size does not match its fields");
  return l;
}

nlohmann::json DatasetProvenance::to_json() const {
  nlohmann::json j = {{"model", {{"name", model.name}, {"id", model.id}, {"sha256_reaction_tsv", model.sha256_reaction_tsv}}},
          {"experiments", {{"source", experiments_source}, {"table", experiments_table}}},
          {"elements", elements},
          {"natural_abundance_at_unlabelled_substrate_atoms", natural_abundance},
          {"sampler",
           {{"method", sampler.method},
            {"thinning", sampler.thinning},
            {"exchange", sampler.exchange},
            {"exchange_floor", sampler.exchange_floor},
            {"exchange_log_mean", sampler.exchange_log_mean},
            {"exchange_log_sd", sampler.exchange_log_sd},
            {"exchange_sets", sampler.exchange_sets},
            {"constraints", sampler.constraints},
            {"cap_fluxes", sampler.cap_fluxes},
            {"cap_bins", sampler.cap_bins},
            {"cap_per_bin", sampler.cap_per_bin},
            {"draws", sampler.draws},
            {"normalize", sampler.normalize},
            {"seed", sampler.seed},
            {"input_sha256", sampler.input_sha256}}}};
  if (time_course.active()) j["time_course"] = time_course.to_json();  // steady-state datasets stay as they were
  return j;
}

Result<DatasetProvenance> DatasetProvenance::from_json(const nlohmann::json& j) {
  using R = Result<DatasetProvenance>;
  DatasetProvenance p;
  std::string key;
  // a missing key keeps the default; a present one must have the field's type
  auto read = [&](const nlohmann::json& object, const char* name, auto& field) {
    key = name;
    if (object.is_object() && object.contains(name)) field = object.at(name).get<std::remove_reference_t<decltype(field)>>();
  };
  try {
    if (!j.is_object()) throw std::invalid_argument("not an object");
    const nlohmann::json none = nlohmann::json::object();
    const nlohmann::json& m = j.contains("model") ? j.at("model") : none;
    read(m, "name", p.model.name);
    read(m, "id", p.model.id);
    read(m, "sha256_reaction_tsv", p.model.sha256_reaction_tsv);
    const nlohmann::json& e = j.contains("experiments") ? j.at("experiments") : none;
    read(e, "source", p.experiments_source);
    read(e, "table", p.experiments_table);
    read(j, "elements", p.elements);
    read(j, "natural_abundance_at_unlabelled_substrate_atoms", p.natural_abundance);
    key = "time_course";
    if (j.contains("time_course")) p.time_course = TimeCourse::from_json(j.at("time_course"));
    const nlohmann::json& s = j.contains("sampler") ? j.at("sampler") : none;
    read(s, "method", p.sampler.method);
    read(s, "thinning", p.sampler.thinning);
    read(s, "exchange", p.sampler.exchange);
    read(s, "exchange_floor", p.sampler.exchange_floor);
    read(s, "exchange_log_mean", p.sampler.exchange_log_mean);
    read(s, "exchange_log_sd", p.sampler.exchange_log_sd);
    read(s, "exchange_sets", p.sampler.exchange_sets);
    read(s, "constraints", p.sampler.constraints);
    read(s, "cap_fluxes", p.sampler.cap_fluxes);
    read(s, "cap_bins", p.sampler.cap_bins);
    read(s, "cap_per_bin", p.sampler.cap_per_bin);
    read(s, "draws", p.sampler.draws);
    read(s, "normalize", p.sampler.normalize);
    read(s, "seed", p.sampler.seed);
    if (s.is_object() && s.contains("input_sha256")) p.sampler.input_sha256 = s.at("input_sha256");
  } catch (const std::exception& ex) {
    return R::failure({Diagnostic{Severity::error, "dataset provenance", 0, 0, {}, (key.empty() ? std::string() : "'" + key + "': ") + ex.what()}});
  }
  return R::success(std::move(p));
}

std::string time_block_name(const std::string& experiment, double time) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", time);
  return experiment + "@" + buf;
}

MidLayout make_mid_layout(const std::vector<isotope::TracedElement>& elements, const std::vector<std::string>& experiment_ids,
                          const std::vector<double>& times) {
  MidLayout layout;
  layout.times = times;
  if (times.empty()) layout.experiments = experiment_ids;
  for (const auto& id : experiment_ids)
    for (double t : times) layout.experiments.push_back(time_block_name(id, t));
  for (const auto& e : elements) {
    const auto ids = e.model.measured_ids();
    const auto atoms = e.model.measured_atoms();
    for (std::size_t k = 0; k < ids.size(); ++k) {
      layout.fields.push_back({e.model.element(), ids[k], atoms[k] + 1});
      layout.width = std::max(layout.width, atoms[k] + 1);
    }
  }
  return layout;
}

// ---------------------------------------------------------------- time courses

std::vector<std::string> TimeCourse::output_columns() const {
  std::vector<std::string> c;
  for (const auto& p : pools)
    if (p.drawn()) c.push_back("pool:" + p.metabolite);
  return c;
}

double TimeCourse::draw(const Pool& p, double u) {
  if (!p.drawn()) return p.lower;
  return p.lower * std::pow(p.upper / p.lower, u);
}

nlohmann::json TimeCourse::to_json() const {
  if (!active()) return nullptr;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : pools) list.push_back({{"metabolite", p.metabolite}, {"lower", p.lower}, {"upper", p.upper}});
  return {{"times", times}, {"tolerance", tolerance}, {"pools", list}};
}

TimeCourse TimeCourse::from_json(const nlohmann::json& j) {
  TimeCourse t;
  if (j.is_null()) return t;
  try {
    t.times = j.at("times").get<std::vector<double>>();
    t.tolerance = j.at("tolerance").get<double>();
    for (const auto& p : j.at("pools")) {
      t.pools.push_back({p.at("metabolite").get<std::string>(), p.at("lower").get<double>(), p.at("upper").get<double>()});
      if (!(t.pools.back().lower > 0) || !(t.pools.back().upper >= t.pools.back().lower))
        throw std::invalid_argument("pool " + t.pools.back().metabolite + ": needs 0 < lower <= upper");
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("time course: ") + e.what());
  }
  for (std::size_t i = 0; i < t.times.size(); ++i)
    if (!(t.times[i] >= 0) || (i > 0 && !(t.times[i] > t.times[i - 1]))) throw std::invalid_argument("time course: times must be >= 0 and ascending");
  if (!(t.tolerance > 0)) throw std::invalid_argument("time course: tolerance must be > 0");
  return t;
}

Result<std::vector<std::size_t>> TimeCourse::metabolite_indices(const Model& model) const {
  std::vector<std::size_t> out;
  for (const auto& p : pools) {
    const auto m = model.metabolite_index(p.metabolite);
    if (!m) return Result<std::vector<std::size_t>>::failure({Diagnostic{Severity::error, "time course", 0, 0, {}, "pool " + p.metabolite + " is not a metabolite of model " + model.id}});
    out.push_back(*m);
  }
  return Result<std::vector<std::size_t>>::success(std::move(out));
}

// ---------------------------------------------------------------- reading

Eigen::MatrixXd DatasetContents::mid_rows(const std::vector<std::uint64_t>& rows) const {
  Eigen::MatrixXd out(static_cast<Eigen::Index>(rows.size()), n_inputs());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto r = static_cast<Eigen::Index>(rows[i]);
    if (mids32.size() > 0) out.row(static_cast<Eigen::Index>(i)) = mids32.row(r).cast<double>();
    else out.row(static_cast<Eigen::Index>(i)) = mids.row(r);
  }
  return out;
}

std::vector<Diagnostic> ReadOptions::validate() const { return {}; }  // every combination reads

Result<DatasetContents> read_dataset(const std::string& path, const ReadOptions& options) {
  using R = Result<DatasetContents>;
  io::hdf5::silence();
  auto fail = [&](const std::string& what) { return R::failure({Diagnostic{Severity::error, path, 0, 0, {}, what}}); };
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return fail("no such file");
  if (H5Fis_hdf5(path.c_str()) <= 0) return fail("is not an HDF5 file");
  try {
    H5Id file = own(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "cannot be opened");
    const auto format = read_string_attribute(file, "format");
    if (!format || *format != "fluxion-dataset") return fail("is not a fluxion dataset (its root has no format attribute 'fluxion-dataset')");
    std::int64_t version = 0;
    {
      H5Id attr = own(H5Aopen(file, "version", H5P_DEFAULT), H5Aclose, "version");
      check(H5Aread(attr, H5T_NATIVE_INT64, &version), "version");
    }
    if (version != kDatasetFormatVersion)
      return fail("is a fluxion dataset of format version " + std::to_string(version) + "; this fluxion reads version " +
                  std::to_string(kDatasetFormatVersion));
    DatasetContents c;
    c.manifest = nlohmann::json::parse(read_string_attribute(file, "manifest").value_or("{}"));
    auto dims = [&](hid_t d) {
      H5Id space = own(H5Dget_space(d), H5Sclose, "space");
      hsize_t dd[2] = {0, 0};
      H5Sget_simple_extent_dims(space, dd, nullptr);
      return std::pair<hsize_t, hsize_t>{dd[0], dd[1]};
    };
    auto matrix = [&](const char* name, Eigen::MatrixXd& m) {
      H5Id d = own(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose, std::string("has no dataset ") + name);
      const auto [rows, cols] = dims(d);
      Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rm(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
      if (rows * cols > 0) check(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, rm.data()), name);
      m = rm;
      return d;
    };
    auto vector = [&](hid_t parent, const char* name, std::vector<std::uint64_t>& v) {
      H5Id d = own(H5Dopen2(parent, name, H5P_DEFAULT), H5Dclose, std::string("has no dataset ") + name);
      v.resize(dims(d).first);
      if (!v.empty()) check(H5Dread(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), name);
    };
    if (options.mids_float32) {
      H5Id d = own(H5Dopen2(file, "mids", H5P_DEFAULT), H5Dclose, "has no dataset mids");
      const auto [rows, cols] = dims(d);
      c.mids32.resize(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
      if (rows * cols > 0) check(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.mids32.data()), "mids");
    } else {
      H5Id d = matrix("mids", c.mids);
    }
    { H5Id d = matrix("free_fluxes", c.free_fluxes); c.free_columns = read_strings_attribute(d, "columns"); }
    { H5Id d = matrix("fluxes", c.fluxes); c.flux_columns = read_strings_attribute(d, "columns"); }
    vector(file, "draw", c.draw);
    vector(file, "row", c.row);
    H5Id g = own(H5Gopen2(file, "split", H5P_DEFAULT), H5Gclose, "has no group split");
    vector(g, "train", c.train);
    vector(g, "validation", c.validation);
    vector(g, "test", c.test);
    c.rows = static_cast<long>(c.row.size());
    return R::success(std::move(c));
  } catch (const H5Error& e) {
    return fail(std::string("HDF5: ") + e.what());
  } catch (const nlohmann::json::exception& e) {
    return fail(std::string("its manifest is not valid JSON: ") + e.what());
  }
}

}  // namespace fluxion::sampling
