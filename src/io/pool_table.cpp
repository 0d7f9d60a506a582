#include "fluxion/io/pool_table.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "fluxion/core/format.hpp"
#include "text.hpp"

namespace fluxion::io {

using detail::split_lines;

namespace {

constexpr std::array<const char*, 6> kColumns{"metabolite", "size", "status", "lower", "upper", "sd"};

}  // namespace

namespace {

// Each line that is not empty or a '#' comment, as its number, its cells and their 1-based
// character columns; `row` returns false to stop.
template <class Row>
void for_each_row(std::string_view text, char sep, Row row) {
  int ln = 0;
  std::vector<std::string_view> cells;
  std::vector<int> at;
  for (std::string_view line : split_lines(text)) {
    ++ln;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    cells.clear();
    at.clear();
    for (std::size_t start = 0;;) {
      const auto tab = line.find(sep, start);
      cells.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
      at.push_back(static_cast<int>(start) + 1);
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    if (!row(ln, cells, at)) return;
  }
}

}  // namespace

Result<std::map<std::string, PoolSize>> read_pool_table(std::string_view text, const std::string& source) {
  using R = Result<std::map<std::string, PoolSize>>;
  std::map<std::string, PoolSize> out;
  Diagnostics d(source);
  // which of kColumns each cell holds: positional until a header names them
  std::vector<int> order{0, 1, 2, 3, 4, 5};
  // tab-separated; a file without a tab is read as comma-separated (FreeFlux's
  // concentrations sheet dumped as CSV)
  const char sep = text.find('\t') == std::string_view::npos ? ',' : '\t';
  bool first = true;
  for_each_row(text, sep, [&](int ln, const std::vector<std::string_view>& cells, const std::vector<int>& at) {
    const bool header = first && cells[0] == "metabolite";
    first = false;
    if (header) {
      order.clear();
      for (std::size_t k = 0; k < cells.size(); ++k) {
        int which = -1;
        for (std::size_t c = 0; c < kColumns.size(); ++c)
          if (cells[k] == kColumns[c]) which = static_cast<int>(c);
        if (which < 0) {
          d.error("unknown column '" + std::string(cells[k].substr(0, 40)) + "' (expected metabolite, size, status, lower, upper, sd)", ln, at[k]);
        } else if (std::find(order.begin(), order.end(), which) != order.end()) {
          d.error("column '" + std::string(cells[k]) + "' is given twice", ln, at[k]);
          which = -1;
        }
        order.push_back(which);
      }
      if (std::find(order.begin(), order.end(), 1) == order.end()) d.error("the header has no 'size' column", ln, 1);
      if (d.has_errors()) return false;
      return true;
    }
    if (cells.size() < 2) {
      d.error("expected metabolite<TAB>size", ln, 1);
      return true;
    }
    if (cells.size() > order.size()) {
      d.error("more cells than columns (" + std::to_string(order.size()) + ")", ln, at[order.size()]);
      return true;
    }
    PoolSize pool;
    pool.line = ln;
    std::string metabolite;
    bool ok = true, has_lower = false, has_upper = false;
    int status_column = 1, sd_column = 1;
    for (std::size_t k = 0; k < cells.size() && ok; ++k) {
      const std::string_view cell = cells[k];
      const int which = order[k];
      if (which == 0) {
        metabolite = std::string(cell);
        if (metabolite.empty()) {
          d.error("empty metabolite id", ln, at[k]);
          ok = false;
        }
        continue;
      }
      if (which == 2) {
        status_column = at[k];
        if (cell.empty()) continue;
        if (cell != "fixed" && cell != "free" && cell != "measured") {
          d.error("status '" + std::string(cell.substr(0, 40)) + "' is not fixed, free or measured", ln, at[k]);
          ok = false;
        }
        pool.status = std::string(cell);
        continue;
      }
      if (which != 1 && cell.empty()) continue;  // an optional number left out
      const auto v = detail::parse_number(cell);
      if (!v || !std::isfinite(*v) || !(*v > 0)) {
        d.error(std::string(kColumns[static_cast<std::size_t>(which)]) + " '" + std::string(cell.substr(0, 40)) + "' is not a number > 0", ln, at[k]);
        ok = false;
        continue;
      }
      if (which == 1) pool.size = *v;
      if (which == 3) pool.lower = *v, has_lower = true;
      if (which == 4) pool.upper = *v, has_upper = true;
      if (which == 5) pool.sd = *v, sd_column = at[k];
    }
    if (!ok) return true;
    if (!(pool.size > 0)) {
      d.error("no pool size", ln, 1);
      return true;
    }
    if (pool.status == "fixed" && (has_lower || has_upper)) {
      d.error("bounds are for fitted pools: give status free or measured", ln, status_column);
      return true;
    }
    if (pool.sd > 0 && pool.status != "measured") {
      d.error("an sd is for measured pools: give status measured", ln, sd_column);
      return true;
    }
    if (pool.status == "measured" && !(pool.sd > 0)) {
      d.error("a measured pool needs an sd > 0", ln, status_column);
      return true;
    }
    if (pool.fitted()) {
      if (!has_lower) pool.lower = pool.size / 100;
      if (!has_upper) pool.upper = pool.size * 100;
      if (!(pool.lower < pool.upper) || pool.size < pool.lower || pool.size > pool.upper) {
        d.error("a fitted pool needs lower < upper with its size between them (lower " + format_short(pool.lower) + ", size " + format_short(pool.size) +
                    ", upper " + format_short(pool.upper) + ")",
                ln, 1);
        return true;
      }
    }
    if (auto it = out.find(metabolite); it != out.end()) {
      d.error("'" + metabolite + "' is given twice (first on line " + std::to_string(it->second.line) + ")", ln, 1);
      return true;
    }
    out[metabolite] = pool;
    return true;
  });
  if (out.empty() && !d.has_errors()) d.error("no pool sizes (expected metabolite<TAB>size lines)", 0, 0);
  if (d.has_errors()) return R::failure(d);
  return R::success(std::move(out));
}
namespace {

// A file read whole, then given to one of the readers above.
Result<std::map<std::string, PoolSize>> load_with(const std::string& path,
                                                   Result<std::map<std::string, PoolSize>> (*read)(std::string_view, const std::string&)) {
  std::string error;
  auto text = detail::read_file(path, error);
  if (!text) return Result<std::map<std::string, PoolSize>>::failure({Diagnostic{Severity::error, path, 0, 0, {}, error}});
  return read(*text, path);
}

}  // namespace

Result<std::map<std::string, PoolSize>> load_pool_table(const std::string& path) { return load_with(path, read_pool_table); }

Result<std::map<std::string, PoolSize>> read_pool_starts(std::string_view text, const std::string& source) {
  using R = Result<std::map<std::string, PoolSize>>;
  std::map<std::string, PoolSize> out;
  Diagnostics d(source);
  std::size_t at_metabolite = std::string_view::npos, at_size = std::string_view::npos;
  bool header = false;
  for_each_row(text, '\t', [&](int ln, const std::vector<std::string_view>& cells, const std::vector<int>& at) {
    if (!header) {
      for (std::size_t c = 0; c < cells.size(); ++c) {
        if (cells[c] == "metabolite" && at_metabolite == std::string_view::npos) at_metabolite = c;
        if (cells[c] == "size" && at_size == std::string_view::npos) at_size = c;
      }
      if (at_metabolite == std::string_view::npos || at_size == std::string_view::npos) {
        d.error("needs a header naming the columns metabolite and size (tab-separated), as fluxion predict's pools.tsv", ln, 1);
        return false;
      }
      header = true;
      return true;
    }
    if (cells.size() <= std::max(at_metabolite, at_size)) {
      d.error("has " + std::to_string(cells.size()) + " column(s); the header names " + std::to_string(std::max(at_metabolite, at_size) + 1), ln, 1);
      return true;
    }
    const std::string id(cells[at_metabolite]);
    const auto size = detail::parse_number(cells[at_size]);
    if (id.empty()) {
      d.error("no metabolite", ln, at[at_metabolite]);
      return true;
    }
    if (!size || !(*size > 0) || !std::isfinite(*size)) {
      d.error("size '" + std::string(cells[at_size].substr(0, 30)) + "' is not a number > 0", ln, at[at_size]);
      return true;
    }
    PoolSize p;
    p.size = *size;
    p.line = ln;
    if (!out.emplace(id, p).second) d.error("'" + id + "' is given twice", ln, at[at_metabolite]);
    return true;
  });
  if (!header && !d.has_errors()) d.error("is empty: no header, no sizes", 0, 0);
  if (d.has_errors()) return R::failure(d);
  return R::success(std::move(out));
}

Result<std::map<std::string, PoolSize>> load_pool_starts(const std::string& path) { return load_with(path, read_pool_starts); }

Result<std::vector<double>> pool_sizes(const Model& model, const std::map<std::string, PoolSize>& table, double default_size,
                                       const std::string& source) {
  using R = Result<std::vector<double>>;
  Diagnostics d(source);
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < model.metabolites.size(); ++i) index[model.metabolites[i].id] = i;
  std::vector<double> out(model.metabolites.size(), default_size);
  for (const auto& [id, pool] : table) {
    auto it = index.find(id);
    if (it == index.end()) d.error("'" + id + "' is not a metabolite of model '" + model.id + "'", pool.line, 1);
    else out[it->second] = pool.size;
  }
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < model.metabolites.size(); ++i)
    if (!model.metabolites[i].boundary && !(out[i] > 0)) missing.push_back(model.metabolites[i].id);
  if (!missing.empty()) {
    std::string list;
    for (std::size_t k = 0; k < missing.size() && k < 8; ++k) list += (k ? ", " : "") + missing[k];
    if (missing.size() > 8) list += ", … (" + std::to_string(missing.size()) + " in all)";
    d.error("no pool size for " + list + "; add them, or give --default-pool", 0, 0);
  }
  if (d.has_errors()) return R::failure(d);
  return R::success(std::move(out));
}

}  // namespace fluxion::io
