#include "fluxion/io/cell_matrix.hpp"

#include <hdf5.h>

#include "fluxion/io/hdf5_handle.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "text.hpp"

namespace fluxion::io {

using namespace detail;
namespace fs = std::filesystem;

namespace {

using Triplets = std::vector<Eigen::Triplet<float>>;

std::string_view strip_bom(std::string_view text) {
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF && static_cast<unsigned char>(text[1]) == 0xBB &&
      static_cast<unsigned char>(text[2]) == 0xBF)
    text.remove_prefix(3);
  return text;
}

// cells of a line split on runs of blanks (outside double quotes)
std::vector<std::string_view> split_blanks(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    const std::size_t start = i;
    bool quoted = false;
    while (i < line.size() && (quoted || (line[i] != ' ' && line[i] != '\t'))) {
      if (line[i] == '"') quoted = !quoted;
      ++i;
    }
    out.push_back(line.substr(start, i - start));
  }
  return out;
}

// Cells, genes and the non-zero entries (cell, gene index into `names`) become the matrix:
// genes named twice are summed, values checked, the gene map applied.
Result<CellMatrix> assemble(std::vector<std::string> cells, std::vector<std::string> names, Triplets entries, Diagnostics& d) {
  std::unordered_map<std::string, int> index;
  std::vector<int> to(names.size());
  std::vector<std::string> genes;
  std::map<std::string, int> repeated;
  for (std::size_t g = 0; g < names.size(); ++g) {
    auto [it, fresh] = index.emplace(names[g], static_cast<int>(genes.size()));
    if (fresh)
      genes.push_back(names[g]);
    else
      ++repeated[names[g]];
    to[g] = it->second;
  }
  if (!repeated.empty()) {
    std::string list;
    int shown = 0;
    for (const auto& [name, n] : repeated)
      if (shown++ < 8) list += (list.empty() ? "" : ", ") + name + " (" + std::to_string(n + 1) + "×)";
    d.warning(std::to_string(repeated.size()) + " gene names occur more than once and were summed: " + list + (repeated.size() > 8 ? ", …" : ""));
  }
  for (auto& e : entries) e = Eigen::Triplet<float>(e.row(), to[static_cast<std::size_t>(e.col())], e.value());
  CellMatrix out;
  out.cells = std::move(cells);
  out.genes = std::move(genes);
  out.values.resize(static_cast<Eigen::Index>(out.cells.size()), static_cast<Eigen::Index>(out.genes.size()));
  out.values.setFromTriplets(entries.begin(), entries.end());
  out.values.makeCompressed();
  for (Eigen::Index k = 0; k < out.values.nonZeros(); ++k)
    if (!std::isfinite(out.values.valuePtr()[k])) {
      d.error("summing the values of genes named more than once goes past 3.4e38, the largest value stored");
      return Result<CellMatrix>::failure(d);
    }
  if (out.cells.empty()) d.error("no cells or samples");
  if (out.genes.empty()) d.error("no genes");
  if (d.has_errors()) return Result<CellMatrix>::failure(d);
  return Result<CellMatrix>::success(std::move(out), d.items());
}

// values are stored as float: anything above its range would become infinity
constexpr double kLargestValue = std::numeric_limits<float>::max();

bool check_value(double v, Diagnostics& d, const std::string& where) {
  if (std::isfinite(v) && v >= 0 && v <= kLargestValue) return true;
  if (d.error_count() < 50)
    d.error("expression value " + format_short(v) + " " + where + (v > kLargestValue && std::isfinite(v) ? " is larger than 3.4e38, the largest value stored" : " is not a finite number >= 0"));
  return false;
}

// ---------------------------------------------------------------- dense tables

Result<CellMatrix> read_dense(std::string_view text, const std::string& source, bool genes_as_columns) {
  Diagnostics d(source);
  const auto lines = split_lines(strip_bom(text));
  std::size_t first = 0;
  while (first < lines.size() && (trim(lines[first]).empty() || trim(lines[first]).front() == '#')) ++first;
  if (first >= lines.size()) {
    d.error("empty table: expected a header (gene, then one column per sample) and one row per gene");
    return Result<CellMatrix>::failure(d);
  }
  const std::string_view head = lines[first];
  const int mode = head.find('\t') != std::string_view::npos ? '\t' : head.find(',') != std::string_view::npos ? ',' : ' ';
  auto split_line = [&](std::string_view line) { return mode == ' ' ? split_blanks(line) : split_cells(line, static_cast<char>(mode)); };
  auto header = split_line(head);
  std::vector<std::string> columns;
  for (auto c : header) columns.emplace_back(trim(unquote(trim(c))));
  // R's write.table leaves the corner out: the header is one cell shorter than the rows
  std::size_t next_row = first + 1;
  while (next_row < lines.size() && trim(lines[next_row]).empty()) ++next_row;
  if (next_row < lines.size() && split_line(lines[next_row]).size() == columns.size() + 1) columns.insert(columns.begin(), std::string{});
  if (columns.size() < 2) {
    d.error("the header has " + std::to_string(columns.size()) + " column; expected the gene column, then one per sample (CSV, TSV or space-separated)",
            static_cast<int>(first + 1), 1);
    return Result<CellMatrix>::failure(d);
  }
  std::vector<std::string> row_names, column_names(columns.begin() + 1, columns.end());
  for (std::size_t c = 0; c < column_names.size(); ++c)
    if (column_names[c].empty()) d.error("column " + std::to_string(c + 2) + " of the header has no name", static_cast<int>(first + 1), 0);
  Triplets entries;
  for (std::size_t ln = first + 1; ln < lines.size(); ++ln) {
    const auto line = lines[ln];
    if (trim(line).empty() || trim(line).front() == '#') continue;
    if (d.error_count() >= 50) {
      d.error("too many errors; stopping", static_cast<int>(ln + 1), 0);
      break;
    }
    const auto cells = split_line(line);
    const int lineno = static_cast<int>(ln + 1);
    if (cells.size() != columns.size()) {
      d.error("this row has " + std::to_string(cells.size()) + " cells, the header " + std::to_string(columns.size()), lineno, 1);
      continue;
    }
    const std::string name(trim(unquote(trim(cells[0]))));
    if (name.empty()) {
      d.error(std::string("empty ") + (genes_as_columns ? "sample" : "gene") + " name", lineno, 1);
      continue;
    }
    const auto r = static_cast<int>(row_names.size());
    row_names.push_back(name);
    for (std::size_t c = 1; c < cells.size(); ++c) {
      const auto cell = trim(unquote(trim(cells[c])));
      double v = 0;
      auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
      if (ec != std::errc() || ptr != cell.data() + cell.size() || cell.empty()) {
        const auto parsed = parse_number(cell);
        if (!parsed) {
          if (d.error_count() < 50)
            d.error("'" + std::string(cell) + "' is not a number (expression: counts, TPM, CPM, FPKM)", lineno,
                    static_cast<int>(cells[c].data() - line.data()) + 1);
          continue;
        }
        v = *parsed;
      }
      if (!std::isfinite(v) || v < 0 || v > kLargestValue) {
        if (d.error_count() < 50)
          d.error("'" + std::string(cell) + (v > kLargestValue && std::isfinite(v) ? "' is larger than 3.4e38, the largest value stored" : "' is not a finite number >= 0"),
                  lineno, static_cast<int>(cells[c].data() - line.data()) + 1);
        continue;
      }
      if (v != 0.0) {
        const int col = static_cast<int>(c - 1);
        entries.emplace_back(genes_as_columns ? r : col, genes_as_columns ? col : r, static_cast<float>(v));
      }
    }
  }
  if (row_names.empty() && !d.has_errors()) d.error(std::string("no ") + (genes_as_columns ? "sample" : "gene") + " rows");
  if (d.has_errors()) return Result<CellMatrix>::failure(d);
  if (genes_as_columns) {
    std::unordered_map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < row_names.size(); ++i)
      if (auto [it, fresh] = seen.emplace(row_names[i], i); !fresh) d.error("sample '" + row_names[i] + "' has two rows");
    if (d.has_errors()) return Result<CellMatrix>::failure(d);
    return assemble(std::move(row_names), std::move(column_names), std::move(entries), d);
  }
  std::unordered_map<std::string, std::size_t> seen;
  for (const auto& c : column_names)
    if (auto [it, fresh] = seen.emplace(c, 0); !fresh) d.error("sample '" + c + "' has two columns", static_cast<int>(first + 1), 0);
  if (d.has_errors()) return Result<CellMatrix>::failure(d);
  return assemble(std::move(column_names), std::move(row_names), std::move(entries), d);
}

// ---------------------------------------------------------------- 10x MEX

std::optional<std::string> read_optional_gz(const fs::path& dir, const std::vector<std::string>& names, std::string& found, std::string& error) {
  for (const auto& n : names) {
    std::error_code ec;
    if (fs::exists(dir / n, ec)) {
      found = (dir / n).string();
      auto text = read_file(found, error);
      if (!text) error = (dir / n).filename().string() + ": " + error;
      return text;
    }
  }
  return std::nullopt;
}

Result<CellMatrix> read_mex(const std::string& directory, const CellMatrixOptions& options) {
  Diagnostics d(directory);
  std::string matrix_path, features_path, barcodes_path, error;
  auto matrix = read_optional_gz(directory, {"matrix.mtx.gz", "matrix.mtx"}, matrix_path, error);
  auto features = read_optional_gz(directory, {"features.tsv.gz", "features.tsv", "genes.tsv.gz", "genes.tsv"}, features_path, error);
  auto barcodes = read_optional_gz(directory, {"barcodes.tsv.gz", "barcodes.tsv"}, barcodes_path, error);
  if (!matrix || !features || !barcodes) {
    d.error("a 10x matrix directory holds matrix.mtx(.gz), features.tsv(.gz) (or genes.tsv) and barcodes.tsv(.gz); missing: " +
            std::string(!matrix ? "matrix.mtx " : "") + (!features ? "features.tsv " : "") + (!barcodes ? "barcodes.tsv" : "") +
            (error.empty() ? "" : " (" + error + ")"));
    return Result<CellMatrix>::failure(d);
  }
  // features: id, name[, type]
  std::vector<std::string> names;
  std::vector<char> keep;
  const bool by_id = options.gene_column == "id";
  int ln = 0;
  for (auto line : split_lines(*features)) {
    ++ln;
    if (trim(line).empty()) continue;
    const auto cells = split(line, '\t');
    if (cells.size() < 2) {
      d.add(Diagnostic{Severity::error, features_path, ln, 1, {}, "expected id<TAB>name[<TAB>type]"});
      continue;
    }
    names.emplace_back(trim(by_id ? cells[0] : cells[1]));
    keep.push_back(cells.size() < 3 || trim(cells[2]) == "Gene Expression");
  }
  std::vector<std::string> cells;
  for (auto line : split_lines(*barcodes))
    if (!trim(line).empty()) cells.emplace_back(trim(split(line, '\t')[0]));
  if (d.has_errors()) return Result<CellMatrix>::failure(d);
  // MatrixMarket coordinate: features × barcodes, 1-based
  const auto lines = split_lines(*matrix);
  std::size_t i = 0;
  if (lines.empty() || lower(lines[0]).rfind("%%matrixmarket matrix coordinate", 0) != 0) {
    d.add(Diagnostic{Severity::error, matrix_path, 1, 1, {}, "not a MatrixMarket coordinate matrix (expected '%%MatrixMarket matrix coordinate …')"});
    return Result<CellMatrix>::failure(d);
  }
  while (i < lines.size() && (lines[i].empty() || lines[i][0] == '%')) ++i;
  long rows = 0, cols = 0, nnz = 0;
  if (i >= lines.size() || std::sscanf(std::string(lines[i]).c_str(), "%ld %ld %ld", &rows, &cols, &nnz) != 3) {
    d.add(Diagnostic{Severity::error, matrix_path, static_cast<int>(i + 1), 1, {}, "expected the size line 'rows columns entries'"});
    return Result<CellMatrix>::failure(d);
  }
  if (rows != static_cast<long>(names.size()) || cols != static_cast<long>(cells.size())) {
    d.add(Diagnostic{Severity::error, matrix_path, static_cast<int>(i + 1), 1, {},
                     "the matrix is " + std::to_string(rows) + " × " + std::to_string(cols) + " but there are " + std::to_string(names.size()) +
                         " features and " + std::to_string(cells.size()) + " barcodes"});
    return Result<CellMatrix>::failure(d);
  }
  Triplets entries;
  entries.reserve(static_cast<std::size_t>(std::max(0L, nnz)));
  long seen = 0;
  for (++i; i < lines.size(); ++i) {
    const auto line = trim(lines[i]);
    if (line.empty()) continue;
    const auto parts = split_blanks(line);
    long r = 0, c = 0;
    double v = 0;
    // say what is wrong with the entry: its shape, an index, the bounds, or the value
    std::string problem;
    int at = 1;
    const auto whole = [](std::string_view t, long& out) { return std::from_chars(t.data(), t.data() + t.size(), out).ec == std::errc(); };
    if (parts.size() < 3) problem = "expected 'feature barcode value'";
    else if (!whole(parts[0], r) || !whole(parts[1], c)) problem = "the feature and barcode indices must be whole numbers";
    else if (r < 1 || r > rows) problem = "feature " + std::to_string(r) + " is outside 1…" + std::to_string(rows) + " (the size line)";
    else if (c < 1 || c > cols) problem = "barcode " + std::to_string(c) + " is outside 1…" + std::to_string(cols) + " (the size line)";
    else if (const auto value = parse_number(parts[2]); !value || !std::isfinite(*value)) {
      problem = "the value '" + std::string(parts[2].substr(0, 40)) + "' is not a finite number";
      at = static_cast<int>(parts[2].data() - line.data()) + 1;
    } else
      v = *value;
    if (!problem.empty()) {
      if (d.error_count() < 50) d.add(Diagnostic{Severity::error, matrix_path, static_cast<int>(i + 1), at, {}, problem});
      continue;
    }
    ++seen;
    if (!check_value(v, d, "at " + matrix_path + ":" + std::to_string(i + 1))) continue;
    if (v != 0 && keep[static_cast<std::size_t>(r - 1)]) entries.emplace_back(static_cast<int>(c - 1), static_cast<int>(r - 1), static_cast<float>(v));
  }
  if (seen != nnz && !d.has_errors())
    d.add(Diagnostic{Severity::error, matrix_path, 0, 0, {}, std::to_string(seen) + " entries, the size line says " + std::to_string(nnz) + " (a truncated file?)"});
  if (d.has_errors()) return Result<CellMatrix>::failure(d);
  // features of other types (antibodies, guides) leave the matrix
  std::size_t dropped = 0;
  for (char k : keep) dropped += !k;
  if (dropped) {
    std::vector<int> to(names.size(), -1);
    std::vector<std::string> kept;
    for (std::size_t g = 0; g < names.size(); ++g)
      if (keep[g]) to[g] = static_cast<int>(kept.size()), kept.push_back(names[g]);
    for (auto& e : entries) e = Eigen::Triplet<float>(e.row(), to[static_cast<std::size_t>(e.col())], e.value());
    names = std::move(kept);
    d.warning(std::to_string(dropped) + " features that are not 'Gene Expression' were left out");
  }
  return assemble(std::move(cells), std::move(names), std::move(entries), d);
}

using GeneMap = std::unordered_map<std::string, std::string>;

// The gene map file (id → symbol); nullopt after errors, which go into d.
std::optional<GeneMap> load_gene_map(const std::string& path, Diagnostics& d) {
  std::string error;
  auto text = read_file(path, error);
  if (!text) {
    d.add(Diagnostic{Severity::error, path, 0, 0, {}, error});
    return std::nullopt;
  }
  GeneMap to;
  int ln = 0;
  bool bad = false;
  for (auto line : split_lines(strip_bom(*text))) {
    ++ln;
    if (trim(line).empty() || trim(line).front() == '#') continue;
    const char sep = line.find('\t') != std::string_view::npos ? '\t' : ',';
    const auto cells = split_cells(line, sep);
    if (cells.size() < 2) {
      d.add(Diagnostic{Severity::error, path, ln, 1, {}, "expected two columns: gene id, symbol"});
      bad = true;
      continue;
    }
    const std::string id(trim(unquote(trim(cells[0])))), symbol(trim(unquote(trim(cells[1]))));
    if (ln == 1 && (lower(id) == "id" || lower(id) == "gene_id" || lower(id).find("ensembl") != std::string::npos)) continue;  // header
    if (!id.empty() && !symbol.empty()) to.emplace(id, symbol);
  }
  if (bad) return std::nullopt;
  return to;
}

// A gene's name through the map; Ensembl ids with a version suffix (ENSG00000141510.17)
// match without it. nullptr: not in the map.
const std::string* mapped_name(const GeneMap& to, const std::string& g) {
  auto it = to.find(g);
  if (it == to.end()) {
    const auto dot = g.rfind('.');
    if (dot != std::string::npos) it = to.find(g.substr(0, dot));
  }
  return it == to.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------- HDF5 (10x .h5, .h5ad)

using H5Handle = hdf5::Handle;
using H5Fail = hdf5::Error;

bool h5_exists(hid_t loc, const std::string& path) {
  // every component must exist for H5Lexists on the full path
  std::string part;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!part.empty() && H5Lexists(loc, part.c_str(), H5P_DEFAULT) <= 0) return false;
    }
    if (i < path.size()) part += path[i];
  }
  return true;
}

bool h5_is_group(hid_t loc, const std::string& path) {
  H5O_info_t info;
  if (!h5_exists(loc, path)) return false;
#if H5_VERSION_GE(1, 12, 0)
  if (H5Oget_info_by_name3(loc, path.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return false;
#else
  if (H5Oget_info_by_name(loc, path.c_str(), &info, H5P_DEFAULT) < 0) return false;
#endif
  return info.type == H5O_TYPE_GROUP;
}

H5Handle open_dataset(hid_t loc, const std::string& path) {
  if (!h5_exists(loc, path)) throw H5Fail("no dataset '" + path + "'");
  H5Handle ds(H5Dopen2(loc, path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds) throw H5Fail("'" + path + "' cannot be opened as a dataset");
  return ds;
}

std::vector<hsize_t> dims_of(hid_t ds) {
  H5Handle space(H5Dget_space(ds), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.id);
  if (rank < 0) throw H5Fail("unreadable dataspace");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.id, dims.data(), nullptr);
  return dims;
}

template <class T>
std::vector<T> read_numbers(hid_t loc, const std::string& path, hid_t memtype) {
  auto ds = open_dataset(loc, path);
  hsize_t n = 1;
  for (auto v : dims_of(ds.id)) n *= v;
  std::vector<T> out(static_cast<std::size_t>(n));
  if (n && H5Dread(ds.id, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    throw H5Fail("'" + path + "' cannot be read as numbers");
  return out;
}

// The strings of a dataset, or of one string field of a compound dataset (`field` given),
// whether stored with variable or fixed length.
std::vector<std::string> read_string_values(hid_t ds, hid_t string_type, const std::string& field, const std::string& what) {
  hsize_t n = 1;
  for (auto v : dims_of(ds)) n *= v;
  const bool variable = H5Tis_variable_str(string_type) > 0;
  const std::size_t size = variable ? sizeof(char*) : H5Tget_size(string_type);
  H5Handle str(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(str.id, variable ? H5T_VARIABLE : size);
  H5Tset_cset(str.id, H5Tget_cset(string_type));
  H5Handle compound(field.empty() ? H5I_INVALID_HID : H5Tcreate(H5T_COMPOUND, size), H5Tclose);
  if (compound) H5Tinsert(compound.id, field.c_str(), 0, str.id);
  const hid_t mem = compound ? compound.id : str.id;
  std::vector<char> raw(static_cast<std::size_t>(n) * size);
  if (n && H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0) throw H5Fail("'" + what + "' cannot be read as strings");
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(n));
  for (hsize_t i = 0; i < n; ++i) {
    const char* at = raw.data() + i * size;
    if (variable) {
      const char* p = *reinterpret_cast<char* const*>(at);
      out.emplace_back(p ? p : "");
    } else {
      out.emplace_back(at, strnlen(at, size));
    }
  }
  if (variable && n) {
    H5Handle space(H5Dget_space(ds), H5Sclose);
    H5Dvlen_reclaim(mem, space.id, H5P_DEFAULT, raw.data());
  }
  return out;
}

std::vector<std::string> read_strings(hid_t loc, const std::string& path) {
  auto ds = open_dataset(loc, path);
  H5Handle type(H5Dget_type(ds.id), H5Tclose);
  if (H5Tget_class(type.id) != H5T_STRING) throw H5Fail("'" + path + "' does not hold strings");
  return read_string_values(ds.id, type.id, {}, path);
}

std::optional<std::string> string_attribute(hid_t loc, const std::string& object, const std::string& name) {
  if (!h5_exists(loc, object) && object != ".") return std::nullopt;
  if (H5Aexists_by_name(loc, object.c_str(), name.c_str(), H5P_DEFAULT) <= 0) return std::nullopt;
  H5Handle attr(H5Aopen_by_name(loc, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  H5Handle type(H5Aget_type(attr.id), H5Tclose);
  if (H5Tget_class(type.id) != H5T_STRING) return std::nullopt;
  if (H5Tis_variable_str(type.id) > 0) {
    H5Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.id, H5T_VARIABLE);
    char* s = nullptr;
    if (H5Aread(attr.id, mem.id, &s) < 0) return std::nullopt;
    std::string out = s ? s : "";
    H5free_memory(s);
    return out;
  }
  const std::size_t size = H5Tget_size(type.id);
  std::string buf(size, '\0');
  H5Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem.id, size);
  if (H5Aread(attr.id, mem.id, buf.data()) < 0) return std::nullopt;
  buf.resize(strnlen(buf.c_str(), size));
  return buf;
}

std::vector<std::int64_t> integer_attribute(hid_t loc, const std::string& object, const std::string& name) {
  if (H5Aexists_by_name(loc, object.c_str(), name.c_str(), H5P_DEFAULT) <= 0) return {};
  H5Handle attr(H5Aopen_by_name(loc, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  H5Handle space(H5Aget_space(attr.id), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.id);
  std::vector<std::int64_t> out(static_cast<std::size_t>(std::max<hssize_t>(0, n)));
  if (n > 0 && H5Aread(attr.id, H5T_NATIVE_INT64, out.data()) < 0) return {};
  return out;
}

std::vector<std::string> names_from_codes(const std::vector<std::int64_t>& codes, const std::vector<std::string>& categories) {
  std::vector<std::string> out;
  out.reserve(codes.size());
  for (auto c : codes) out.push_back(c >= 0 && static_cast<std::size_t>(c) < categories.size() ? categories[static_cast<std::size_t>(c)] : "");
  return out;
}

// Opens an HDF5 file and runs `body(file, diagnostics)`; HDF5 failures become errors.
template <class Body>
Result<CellMatrix> with_hdf5(const std::string& path, Body&& body) {
  Diagnostics d(path);
  if (const std::string problem = file_problem(path); !problem.empty()) {  // HDF5 would block on a pipe
    d.error(problem);
    return Result<CellMatrix>::failure(d);
  }
  hdf5::silence();
  H5Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file) {
    d.error("not an HDF5 file (or it cannot be read)");
    return Result<CellMatrix>::failure(d);
  }
  try {
    return body(file.id, d);
  } catch (const H5Fail& e) {
    d.error(e.what());
    return Result<CellMatrix>::failure(d);
  }
}

Result<CellMatrix> with_others(Result<CellMatrix> r, OtherGenes others) {
  if (!r || others.n_genes == 0) return r;
  auto items = r.diagnostics();
  CellMatrix m = std::move(r).value();
  m.others = std::move(others);
  return Result<CellMatrix>::success(std::move(m), std::move(items));
}

// Which genes a reader keeps (by index into its names; empty: all), and where the left-out
// genes' per-cell statistics go.
struct GeneFilter {
  std::vector<char> keep;
  OtherGenes* others = nullptr;
  std::size_t block_rows = 16384;
  bool active() const { return !keep.empty(); }
};

void size_others(OtherGenes& o, std::size_t n_cells) {
  o.total.resize(n_cells, 0.0);
  o.log_total.resize(n_cells, 0.0);
  o.log_cpm_total.resize(n_cells, 0.0);
}

// Adds the left-out entries of one cell, whose total over every gene is `all`.
void add_others(OtherGenes& o, std::size_t cell, const std::vector<float>& values, double all) {
  for (float v : values) {
    o.total[cell] += v;
    o.log_total[cell] += std::log2(static_cast<double>(v) + 1.0);
    if (all > 0) o.log_cpm_total[cell] += std::log2(static_cast<double>(v) * 1e6 / all + 1.0);
    o.largest = std::max(o.largest, v);
  }
}

// Rows of a CSR matrix as a reader builds them (cells in order), instead of triplets.
struct CsrParts {
  std::vector<std::int64_t> outer{0};
  std::vector<int> inner;
  std::vector<float> values;
};

// A compressed sparse matrix stored as data / indices / indptr: `by_row` when indptr runs
// over cells (CSR of cells × genes, or 10x's CSC of genes × barcodes). By rows, it is read a
// block of cells at a time (hyperslabs of data and indices), keeping the filter's genes.
void read_compressed(hid_t loc, const std::string& group, bool by_row, std::size_t n_cells, std::size_t n_genes, Triplets& out, Diagnostics& d,
                     const std::string& where, const GeneFilter& filter = {}, CsrParts* csr = nullptr) {
  if (!by_row) csr = nullptr;
  const auto indptr = read_numbers<std::int64_t>(loc, group + "/indptr", H5T_NATIVE_INT64);
  auto data_set = open_dataset(loc, group + "/data");
  auto index_set = open_dataset(loc, group + "/indices");
  const auto data_dims = dims_of(data_set.id), index_dims = dims_of(index_set.id);
  const std::size_t outer = by_row ? n_cells : n_genes, inner = by_row ? n_genes : n_cells;
  const std::size_t nnz = data_dims.size() == 1 ? static_cast<std::size_t>(data_dims[0]) : 0;
  if (data_dims.size() != 1 || index_dims != data_dims || indptr.size() != outer + 1 || indptr.front() != 0 || static_cast<std::size_t>(indptr.back()) != nnz)
    throw H5Fail(group + ": data, indices and indptr do not fit the shape " + std::to_string(n_cells) + " cells × " + std::to_string(n_genes) + " genes");
  for (std::size_t o = 0; o < outer; ++o)
    if (indptr[o + 1] < indptr[o]) throw H5Fail(group + "/indptr decreases");
  const std::size_t step = by_row ? std::max<std::size_t>(1, filter.block_rows) : outer;  // CSC: all at once
  std::vector<double> data;
  std::vector<std::int64_t> indices;
  std::vector<float> left_out;
  if (!filter.active() && !csr) out.reserve(nnz);
  if (!filter.active() && csr) csr->inner.reserve(nnz), csr->values.reserve(nnz), csr->outer.reserve(outer + 1);
  for (std::size_t o0 = 0; o0 < outer; o0 += step) {
    const std::size_t o1 = std::min(outer, o0 + step);
    const auto first = static_cast<hsize_t>(indptr[o0]), count = static_cast<hsize_t>(indptr[o1] - indptr[o0]);
    data.resize(static_cast<std::size_t>(count));
    indices.resize(static_cast<std::size_t>(count));
    if (count > 0) {
      for (auto [set, type, buffer] : {std::tuple{data_set.id, H5T_NATIVE_DOUBLE, static_cast<void*>(data.data())},
                                       std::tuple{index_set.id, H5T_NATIVE_INT64, static_cast<void*>(indices.data())}}) {
        H5Handle space(H5Dget_space(set), H5Sclose);
        H5Sselect_hyperslab(space.id, H5S_SELECT_SET, &first, nullptr, &count, nullptr);
        H5Handle mem(H5Screate_simple(1, &count, nullptr), H5Sclose);
        if (H5Dread(set, type, mem.id, space.id, H5P_DEFAULT, buffer) < 0) throw H5Fail("'" + group + "' cannot be read as numbers");
      }
    }
    for (std::size_t o = o0; o < o1; ++o) {
      double all = 0;
      left_out.clear();
      for (auto k = indptr[o]; k < indptr[o + 1]; ++k) {
        const auto at = static_cast<std::size_t>(k) - static_cast<std::size_t>(first);
        const auto i = indices[at];
        if (i < 0 || static_cast<std::size_t>(i) >= inner) throw H5Fail(group + "/indices has " + std::to_string(i) + ", outside 0.." + std::to_string(inner - 1));
        const double v = data[at];
        if (!check_value(v, d, "in " + where)) continue;
        if (v == 0) continue;
        const std::size_t cell = by_row ? o : static_cast<std::size_t>(i), gene = by_row ? static_cast<std::size_t>(i) : o;
        all += v;
        if (filter.active() && !filter.keep[gene]) {
          left_out.push_back(static_cast<float>(v));
          continue;
        }
        if (csr) csr->inner.push_back(static_cast<int>(gene)), csr->values.push_back(static_cast<float>(v));
        else out.emplace_back(static_cast<int>(cell), static_cast<int>(gene), static_cast<float>(v));
      }
      if (csr) csr->outer.push_back(static_cast<std::int64_t>(csr->inner.size()));
      if (!left_out.empty()) add_others(*filter.others, o, left_out, all);  // by rows only: CSC is filtered after reading
    }
  }
}

// After a filtered read: only the kept genes' names, the entries' columns renumbered.
void compact(std::vector<std::string>& names, Triplets& entries, const GeneFilter& filter) {
  if (!filter.active()) return;
  std::vector<int> to(names.size(), -1);
  std::vector<std::string> kept;
  for (std::size_t g = 0; g < names.size(); ++g)
    if (filter.keep[g]) to[g] = static_cast<int>(kept.size()), kept.push_back(std::move(names[g]));
  for (auto& e : entries) e = Eigen::Triplet<float>(e.row(), to[static_cast<std::size_t>(e.col())], e.value());
  names = std::move(kept);
}

// The matrix straight from CSR rows: no triplets, no second copy. Falls back to assemble()
// (which sums genes named twice) when a name repeats. Columns are renumbered to the kept
// genes (`filter`), each row's sorted when the file's are not.
Result<CellMatrix> assemble_csr(std::vector<std::string> cells, std::vector<std::string> names, CsrParts parts, const GeneFilter& filter,
                                Diagnostics& d) {
  if (filter.active()) {
    std::vector<int> to(names.size(), -1);
    std::vector<std::string> kept;
    for (std::size_t g = 0; g < names.size(); ++g)
      if (filter.keep[g]) to[g] = static_cast<int>(kept.size()), kept.push_back(std::move(names[g]));
    for (int& c : parts.inner) c = to[static_cast<std::size_t>(c)];
    names = std::move(kept);
  }
  std::unordered_set<std::string> seen;
  bool repeated = false;
  for (const auto& n : names) repeated = repeated || !seen.insert(n).second;
  // each row's columns sorted (Eigen's storage needs it); a gene listed twice in a row is
  // summed, as scipy sums it: that, like repeated names, goes the way of triplets
  std::vector<std::pair<int, float>> row;
  for (std::size_t r = 0; r + 1 < parts.outer.size() && !repeated; ++r) {
    const auto b = static_cast<std::size_t>(parts.outer[r]), e = static_cast<std::size_t>(parts.outer[r + 1]);
    if (!std::is_sorted(parts.inner.begin() + static_cast<std::ptrdiff_t>(b), parts.inner.begin() + static_cast<std::ptrdiff_t>(e))) {
      row.clear();
      for (std::size_t k = b; k < e; ++k) row.emplace_back(parts.inner[k], parts.values[k]);
      std::sort(row.begin(), row.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
      for (std::size_t k = b; k < e; ++k) parts.inner[k] = row[k - b].first, parts.values[k] = row[k - b].second;
    }
    for (std::size_t k = b; k + 1 < e && !repeated; ++k) repeated = parts.inner[k] == parts.inner[k + 1];
  }
  if (repeated || parts.inner.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    Triplets entries;
    entries.reserve(parts.inner.size());
    for (std::size_t r = 0; r + 1 < parts.outer.size(); ++r)
      for (auto k = parts.outer[r]; k < parts.outer[r + 1]; ++k)
        entries.emplace_back(static_cast<int>(r), parts.inner[static_cast<std::size_t>(k)], parts.values[static_cast<std::size_t>(k)]);
    CsrParts().inner.swap(parts.inner);
    return assemble(std::move(cells), std::move(names), std::move(entries), d);
  }
  CellMatrix out;
  out.cells = std::move(cells);
  out.genes = std::move(names);
  const auto n = static_cast<Eigen::Index>(out.cells.size()), nnz = static_cast<Eigen::Index>(parts.inner.size());
  out.values.resize(n, static_cast<Eigen::Index>(out.genes.size()));
  out.values.resizeNonZeros(nnz);
  for (Eigen::Index r = 0; r <= n; ++r) out.values.outerIndexPtr()[r] = static_cast<int>(parts.outer[static_cast<std::size_t>(r)]);
  std::copy(parts.inner.begin(), parts.inner.end(), out.values.innerIndexPtr());
  std::copy(parts.values.begin(), parts.values.end(), out.values.valuePtr());
  if (out.cells.empty()) d.error("no cells or samples");
  if (out.genes.empty()) d.error("no genes");
  if (d.has_errors()) return Result<CellMatrix>::failure(d);
  return Result<CellMatrix>::success(std::move(out), d.items());
}

// The filter for `names` (the file's gene names, before the gene map) and the genes wanted
// (after it); inactive when every gene is wanted or none is asked for.
GeneFilter gene_filter(const std::vector<std::string>& names, const CellMatrixOptions& options, std::size_t n_cells, OtherGenes& others) {
  GeneFilter f;
  if (options.only_genes.empty()) return f;
  std::optional<GeneMap> map;
  if (!options.gene_map.empty()) {
    Diagnostics quiet(options.gene_map);
    map = load_gene_map(options.gene_map, quiet);
    if (!map) return f;  // its errors come when the map is applied
  }
  const std::unordered_set<std::string> wanted(options.only_genes.begin(), options.only_genes.end());
  f.keep.resize(names.size(), 0);
  std::size_t kept = 0;
  for (std::size_t g = 0; g < names.size(); ++g) {
    const std::string* m = map ? mapped_name(*map, names[g]) : nullptr;
    f.keep[g] = wanted.count(m ? *m : names[g]) > 0;
    kept += f.keep[g];
  }
  if (kept == names.size()) return GeneFilter{};
  f.others = &others;
  f.block_rows = options.block_rows;
  others.n_genes = names.size() - kept;
  size_others(others, n_cells);
  return f;
}

Result<CellMatrix> read_10x_h5(const std::string& path, const CellMatrixOptions& options) {
  return with_hdf5(path, [&](hid_t file, Diagnostics& d) {
    std::string group = "matrix";
    bool v3 = true;
    if (!h5_is_group(file, group)) {
      // Cell Ranger 2: one group per genome with genes / gene_names
      v3 = false;
      group.clear();
      H5G_info_t info;
      H5Gget_info(file, &info);
      for (hsize_t i = 0; i < info.nlinks && group.empty(); ++i) {
        char name[1024];
        if (H5Lget_name_by_idx(file, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT) > 0 && h5_is_group(file, name) &&
            h5_exists(file, std::string(name) + "/gene_names"))
          group = name;
      }
      if (group.empty()) throw H5Fail("no 'matrix' group (Cell Ranger 3+) and no genome group with gene_names (Cell Ranger 2): not a 10x feature-barcode matrix");
    }
    const auto shape = read_numbers<std::int64_t>(file, group + "/shape", H5T_NATIVE_INT64);
    if (shape.size() != 2 || shape[0] < 0 || shape[1] < 0) throw H5Fail(group + "/shape is not [features, barcodes]");
    auto barcodes = read_strings(file, group + "/barcodes");
    const bool by_id = options.gene_column == "id";
    auto names = v3 ? read_strings(file, group + (by_id ? "/features/id" : "/features/name"))
                    : read_strings(file, group + (by_id ? "/genes" : "/gene_names"));
    std::vector<std::string> types;
    if (v3 && h5_exists(file, group + "/features/feature_type")) types = read_strings(file, group + "/features/feature_type");
    if (names.size() != static_cast<std::size_t>(shape[0]) || barcodes.size() != static_cast<std::size_t>(shape[1]))
      throw H5Fail("the shape is " + std::to_string(shape[0]) + " × " + std::to_string(shape[1]) + " but there are " + std::to_string(names.size()) +
                   " features and " + std::to_string(barcodes.size()) + " barcodes");
    Triplets entries;
    OtherGenes others;
    GeneFilter filter = gene_filter(names, options, barcodes.size(), others);
    if (filter.active() && !types.empty()) {  // other features are left out below, never counted as genes
      std::size_t extra = 0;
      for (std::size_t g = 0; g < names.size(); ++g)
        if (types[g] != "Gene Expression" && !filter.keep[g]) filter.keep[g] = 1, ++extra;
      others.n_genes -= extra;
    }
    // CSC of features × barcodes: indptr runs over barcodes (cells)
    read_compressed(file, group, true, barcodes.size(), names.size(), entries, d, path, filter);
    if (d.has_errors()) return Result<CellMatrix>::failure(d);
    if (filter.active() && !types.empty()) {
      std::vector<std::string> kept_types;
      for (std::size_t g = 0; g < types.size(); ++g)
        if (filter.keep[g]) kept_types.push_back(types[g]);
      types = std::move(kept_types);
    }
    compact(names, entries, filter);
    if (!types.empty()) {
      std::vector<int> to(names.size(), -1);
      std::vector<std::string> kept;
      for (std::size_t g = 0; g < names.size(); ++g)
        if (types[g] == "Gene Expression") to[g] = static_cast<int>(kept.size()), kept.push_back(names[g]);
      if (kept.size() != names.size()) {
        Triplets genes_only;
        for (const auto& e : entries)
          if (const int g = to[static_cast<std::size_t>(e.col())]; g >= 0) genes_only.emplace_back(e.row(), g, e.value());
        d.warning(std::to_string(names.size() - kept.size()) + " features that are not 'Gene Expression' were left out");
        entries = std::move(genes_only);
        names = std::move(kept);
      }
    }
    return with_others(assemble(std::move(barcodes), std::move(names), std::move(entries), d), std::move(others));
  });
}

// names of an AnnData data frame (obs or var): its index, or one of its columns
// AnnData < 0.7: obs and var are compound datasets; a string field, or integer codes into
// uns/<field>_categories
std::vector<std::string> compound_field(hid_t file, const std::string& path, const std::string& field) {
  auto ds = open_dataset(file, path);
  H5Handle type(H5Dget_type(ds.id), H5Tclose);
  if (H5Tget_class(type.id) != H5T_COMPOUND) throw H5Fail("'" + path + "' is neither a data frame group nor a compound table");
  const int member = H5Tget_member_index(type.id, field.c_str());
  if (member < 0) throw H5Fail("no column '" + field + "' in " + path);
  H5Handle member_type(H5Tget_member_type(type.id, static_cast<unsigned>(member)), H5Tclose);
  if (H5Tget_class(member_type.id) == H5T_STRING) return read_string_values(ds.id, member_type.id, field, path + "/" + field);
  hsize_t n = 1;
  for (auto v : dims_of(ds.id)) n *= v;
  H5Handle mem(H5Tcreate(H5T_COMPOUND, sizeof(std::int64_t)), H5Tclose);
  H5Tinsert(mem.id, field.c_str(), 0, H5T_NATIVE_INT64);
  std::vector<std::int64_t> codes(static_cast<std::size_t>(n));
  if (n && H5Dread(ds.id, mem.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, codes.data()) < 0) throw H5Fail("'" + path + "/" + field + "' cannot be read");
  const std::string categories = "uns/" + field + "_categories";
  if (!h5_exists(file, categories)) throw H5Fail("'" + path + "/" + field + "' holds numbers, not names (and there is no " + categories + ")");
  return names_from_codes(codes, read_strings(file, categories));
}

std::vector<std::string> frame_column(hid_t file, const std::string& frame, const std::string& column) {
  if (!h5_is_group(file, frame)) return compound_field(file, frame, column.empty() ? "index" : column);
  std::string key = column;
  if (key.empty()) key = string_attribute(file, frame, "_index").value_or("_index");
  const std::string path = frame + "/" + key;
  if (!h5_exists(file, path)) throw H5Fail("no column '" + key + "' in " + frame);
  if (h5_is_group(file, path)) {  // categorical: codes into categories
    return names_from_codes(read_numbers<std::int64_t>(file, path + "/codes", H5T_NATIVE_INT64), read_strings(file, path + "/categories"));
  }
  return read_strings(file, path);
}

Result<CellMatrix> read_h5ad(const std::string& path, const CellMatrixOptions& options) {
  return with_hdf5(path, [&](hid_t file, Diagnostics& d) {
    std::string x = "X", var = "var";
    if (options.layer == "raw") {
      x = "raw/X";
      var = "raw/var";
    } else if (!options.layer.empty()) {
      x = "layers/" + options.layer;
    }
    if (!h5_exists(file, x)) throw H5Fail("no '" + x + "' in the file" + (options.layer.empty() ? "" : " (--layer " + options.layer + ")"));
    auto cells = frame_column(file, "obs", "");
    auto genes = frame_column(file, var, options.gene_column);
    Triplets entries;
    OtherGenes others;
    if (h5_is_group(file, x)) {
      auto kind = string_attribute(file, x, "encoding-type");
      if (!kind)
        if (auto legacy = string_attribute(file, x, "h5sparse_format")) kind = *legacy + "_matrix";
      auto shape = integer_attribute(file, x, "shape");
      if (shape.empty()) shape = integer_attribute(file, x, "h5sparse_shape");
      if (!kind || (*kind != "csr_matrix" && *kind != "csc_matrix"))
        throw H5Fail("'" + x + "' is a group but not a CSR or CSC matrix (encoding-type " + kind.value_or("missing") + ")");
      if (shape.size() != 2 || static_cast<std::size_t>(shape[0]) != cells.size() || static_cast<std::size_t>(shape[1]) != genes.size())
        throw H5Fail("'" + x + "' has shape " + (shape.size() == 2 ? std::to_string(shape[0]) + " × " + std::to_string(shape[1]) : "?") + " but obs has " +
                     std::to_string(cells.size()) + " cells and " + var + " " + std::to_string(genes.size()) + " genes");
      const GeneFilter filter = *kind == "csr_matrix" ? gene_filter(genes, options, cells.size(), others) : GeneFilter{};  // CSC: filtered after reading
      if (*kind == "csr_matrix") {  // rows in order: the matrix is built straight from them
        CsrParts parts;
        read_compressed(file, x, true, cells.size(), genes.size(), entries, d, path + ":" + x, filter, &parts);
        if (d.has_errors()) return Result<CellMatrix>::failure(d);
        return with_others(assemble_csr(std::move(cells), std::move(genes), std::move(parts), filter, d), std::move(others));
      }
      read_compressed(file, x, false, cells.size(), genes.size(), entries, d, path + ":" + x, filter);
      compact(genes, entries, filter);
    } else {
      auto ds = open_dataset(file, x);
      const auto dims = dims_of(ds.id);
      if (dims.size() != 2 || dims[0] != cells.size() || dims[1] != genes.size())
        throw H5Fail("'" + x + "' is not cells × genes (" + std::to_string(cells.size()) + " × " + std::to_string(genes.size()) + ")");
      // row by row, so that a dense matrix is never held twice
      H5Handle space(H5Dget_space(ds.id), H5Sclose);
      std::vector<double> row(genes.size());
      const hsize_t count[2] = {1, dims[1]};
      H5Handle mem(H5Screate_simple(2, count, nullptr), H5Sclose);
      for (hsize_t r = 0; r < dims[0]; ++r) {
        const hsize_t start[2] = {r, 0};
        H5Sselect_hyperslab(space.id, H5S_SELECT_SET, start, nullptr, count, nullptr);
        if (H5Dread(ds.id, H5T_NATIVE_DOUBLE, mem.id, space.id, H5P_DEFAULT, row.data()) < 0) throw H5Fail("'" + x + "' cannot be read as numbers");
        for (std::size_t g = 0; g < row.size(); ++g) {
          if (row[g] == 0.0) continue;
          if (!check_value(row[g], d, "in " + path + ":" + x)) continue;
          entries.emplace_back(static_cast<int>(r), static_cast<int>(g), static_cast<float>(row[g]));
        }
      }
    }
    if (d.has_errors()) return Result<CellMatrix>::failure(d);
    return with_others(assemble(std::move(cells), std::move(genes), std::move(entries), d), std::move(others));
  });
}

Result<bool> apply_gene_map(CellMatrix& m, const std::string& path, Diagnostics& d) {
  auto loaded = load_gene_map(path, d);
  if (!loaded) return Result<bool>::failure(d);
  const GeneMap& to = *loaded;
  std::size_t renamed = 0;
  std::vector<std::string> names = m.genes;
  for (auto& g : names)
    if (const std::string* symbol = mapped_name(to, g)) g = *symbol, ++renamed;
  Triplets entries;
  for (Eigen::Index r = 0; r < m.values.outerSize(); ++r)
    for (Eigen::SparseMatrix<float, Eigen::RowMajor>::InnerIterator it(m.values, r); it; ++it)
      entries.emplace_back(static_cast<int>(r), static_cast<int>(it.col()), it.value());
  OtherGenes others = std::move(m.others);
  auto out = assemble(std::move(m.cells), std::move(names), std::move(entries), d);
  if (!out) return Result<bool>::failure(d);
  m = std::move(out).value();
  m.others = std::move(others);
  d.warning(std::to_string(renamed) + " gene ids renamed through " + path);
  return Result<bool>::success(true, d.items());
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> load_cell_labels(const std::string& path) {
  using R = Result<std::vector<std::pair<std::string, std::string>>>;
  std::string error;
  auto text = read_file(path, error);
  if (!text) return R::failure({Diagnostic{Severity::error, path, 0, 0, {}, error}});
  Diagnostics d(path);
  TableReader t(strip_bom(*text));
  if (!t.read_header(d, {}, {}, "cell, group")) return R::failure(d);
  if (t.header_size() < 2) {
    d.error("expected two columns: cell, group", t.line(), 1);
    return R::failure(d);
  }
  std::vector<std::pair<std::string, std::string>> out;
  std::unordered_map<std::string, int> seen;
  while (t.next()) {
    const std::string cell(t.cell(0)), group(t.cell(1));
    if (cell.empty()) {
      d.error("empty cell name", t.line(), 1);
      continue;
    }
    if (auto [it, fresh] = seen.emplace(cell, t.line()); !fresh) {
      d.error("cell '" + cell + "' already has a label (line " + std::to_string(it->second) + ")", t.line(), 1);
      continue;
    }
    if (group.empty()) continue;  // unlabelled
    out.emplace_back(cell, group);
  }
  if (d.has_errors()) return R::failure(d);
  return R::success(std::move(out), d.items());
}

Result<CellMatrix> read_dense_cell_matrix(std::string_view text, const std::string& source, bool genes_as_columns) {
  return read_dense(text, source, genes_as_columns);
}

std::vector<Diagnostic> CellMatrixOptions::validate() const {
  Diagnostics d("expression reading options");
  for (const auto* field : {&layer, &gene_column})
    if (field->find_first_of("\n\r") != std::string::npos) d.error("must be one line", 0, 0, field == &layer ? "layer" : "gene_column");
  if (layer.find("..") != std::string::npos) d.error("names a layer of the file, not a path ('" + layer.substr(0, 40) + "')", 0, 0, "layer");
  return d.items();
}

namespace {

// Leaves out the genes not in `wanted`, adding their per-cell statistics to m.others.
void keep_only(CellMatrix& m, const std::vector<std::string>& wanted_list) {
  const std::unordered_set<std::string> wanted(wanted_list.begin(), wanted_list.end());
  std::vector<int> to(m.genes.size(), -1);
  std::vector<std::string> kept;
  for (std::size_t g = 0; g < m.genes.size(); ++g)
    if (wanted.count(m.genes[g])) to[g] = static_cast<int>(kept.size()), kept.push_back(m.genes[g]);
  if (kept.size() == m.genes.size()) return;
  const auto n = static_cast<std::size_t>(m.values.rows());
  size_others(m.others, n);
  m.others.n_genes += m.genes.size() - kept.size();
  Triplets entries;
  std::vector<float> left_out;
  for (Eigen::Index r = 0; r < m.values.outerSize(); ++r) {
    double all = m.others.total[static_cast<std::size_t>(r)];  // a reader may have left some out already
    left_out.clear();
    for (Eigen::SparseMatrix<float, Eigen::RowMajor>::InnerIterator it(m.values, r); it; ++it) {
      all += it.value();
      if (const int g = to[static_cast<std::size_t>(it.col())]; g >= 0) entries.emplace_back(static_cast<int>(r), g, it.value());
      else left_out.push_back(it.value());
    }
    add_others(m.others, static_cast<std::size_t>(r), left_out, all);
  }
  m.values.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(kept.size()));
  m.values.setFromTriplets(entries.begin(), entries.end());
  m.values.makeCompressed();
  m.genes = std::move(kept);
}

}  // namespace

Result<CellMatrix> load_cell_matrix(const std::string& path, const CellMatrixOptions& options) {
  if (auto problems = options.validate(); !problems.empty()) return Result<CellMatrix>::failure(problems);
  std::error_code ec;
  Result<CellMatrix> r = [&] {
    if (fs::is_directory(path, ec)) return read_mex(path, options);
    const std::string low = lower(path);
    if (ends_with(low, ".h5ad")) return read_h5ad(path, options);
    if (ends_with(low, ".h5")) return read_10x_h5(path, options);
    std::string error;
    auto text = read_file(path, error);
    if (!text) return Result<CellMatrix>::failure({Diagnostic{Severity::error, path, 0, 0, {}, error}});
    return read_dense(*text, path, options.genes_as_columns);
  }();
  if (!r || (options.gene_map.empty() && options.only_genes.empty())) return r;
  Diagnostics d(path);
  d.append(r.diagnostics());
  CellMatrix m = std::move(r).value();
  if (!options.gene_map.empty()) {
    auto mapped = apply_gene_map(m, options.gene_map, d);
    if (!mapped) return Result<CellMatrix>::failure(d);
  }
  if (!options.only_genes.empty()) keep_only(m, options.only_genes);  // what the reader could not leave out itself
  return Result<CellMatrix>::success(std::move(m), d.items());
}

Result<CellMatrix> cell_matrix_from_csr(std::vector<std::string> genes, std::vector<std::string> cells, const CsrArrays& csr,
                                        const std::vector<std::string>& only_genes, const std::string& source) {
  auto fail = [&](const std::string& what) { return Result<CellMatrix>::failure({Diagnostic{Severity::error, source, 0, 0, {}, what}}); };
  const std::size_t n_cells = cells.size(), n_genes = genes.size();
  if (csr.indptr_size != n_cells + 1) return fail("indptr has " + std::to_string(csr.indptr_size) + " entries for " + std::to_string(n_cells) + " cells");
  if (n_cells > 0 && csr.indptr[0] != 0) return fail("indptr does not start at 0");
  std::vector<int> to(n_genes, 0);
  std::vector<std::string> kept;
  if (only_genes.empty()) {
    for (std::size_t g = 0; g < n_genes; ++g) to[g] = static_cast<int>(g);
    kept = genes;
  } else {
    const std::unordered_set<std::string> wanted(only_genes.begin(), only_genes.end());
    for (std::size_t g = 0; g < n_genes; ++g) {
      to[g] = wanted.count(genes[g]) ? static_cast<int>(kept.size()) : -1;
      if (to[g] >= 0) kept.push_back(genes[g]);
    }
  }
  const bool filtering = kept.size() < n_genes;
  CellMatrix m;
  if (filtering) {
    size_others(m.others, n_cells);
    m.others.n_genes = n_genes - kept.size();
  }
  std::vector<int> outer(n_cells + 1, 0), inner;
  std::vector<float> values;
  std::vector<float> left_out;
  for (std::size_t i = 0; i < n_cells; ++i) {
    const std::int64_t b = csr.indptr[i], e = csr.indptr[i + 1];
    if (b > e || e < 0 || static_cast<std::size_t>(e) > csr.nnz) return fail("indptr is not a CSR row pointer at cell " + std::to_string(i));
    double all = 0;
    left_out.clear();
    for (std::int64_t k = b; k < e; ++k) {
      const auto j = csr.indices[k];
      const float v = csr.data[k];
      if (j < 0 || static_cast<std::size_t>(j) >= n_genes) return fail("a gene index out of range at cell '" + cells[i] + "'");
      if (k > b && j <= csr.indices[k - 1]) return fail("gene indices not increasing at cell '" + cells[i] + "' (sum the duplicates first)");
      if (!(v >= 0.0f) || !std::isfinite(v))
        return fail("cell '" + cells[i] + "', gene '" + genes[static_cast<std::size_t>(j)] + "': values must be finite and >= 0");
      all += v;
      if (const int g = to[static_cast<std::size_t>(j)]; g >= 0)
        inner.push_back(g), values.push_back(v);
      else
        left_out.push_back(v);
    }
    if (inner.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return fail("more than 2^31 non-zero values in the genes kept");
    outer[i + 1] = static_cast<int>(inner.size());
    if (filtering) add_others(m.others, i, left_out, all);
  }
  m.values = Eigen::Map<const Eigen::SparseMatrix<float, Eigen::RowMajor, int>>(static_cast<Eigen::Index>(n_cells), static_cast<Eigen::Index>(kept.size()),
                                                                                static_cast<Eigen::Index>(inner.size()), outer.data(), inner.data(), values.data());
  m.genes = std::move(kept);
  m.cells = std::move(cells);
  return Result<CellMatrix>::success(std::move(m));
}

}  // namespace fluxion::io
