#include "fluxion/io/pool_table.hpp"

#include <cmath>

#include "text.hpp"

namespace fluxion::io {

using detail::split_lines;

Result<std::map<std::string, PoolSize>> read_pool_table(std::string_view text, const std::string& source) {
  using R = Result<std::map<std::string, PoolSize>>;
  std::map<std::string, PoolSize> out;
  Diagnostics d(source);
  int ln = 0;
  for (std::string_view line : split_lines(text)) {
    ++ln;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.find('\t');
    if (tab == std::string_view::npos) {
      d.error("expected metabolite<TAB>size", ln, 1);
      continue;
    }
    const std::string metabolite(line.substr(0, tab));
    std::string_view cell = line.substr(tab + 1);
    if (const auto more = cell.find('\t'); more != std::string_view::npos) cell = cell.substr(0, more);
    if (ln == 1 && metabolite == "metabolite") continue;
    const int column = static_cast<int>(tab) + 2;
    if (metabolite.empty()) {
      d.error("empty metabolite id", ln, 1);
      continue;
    }
    const auto size = detail::parse_number(cell);
    if (!size || !std::isfinite(*size) || !(*size > 0)) {
      d.error("pool size '" + std::string(cell.substr(0, 40)) + "' is not a number > 0", ln, column);
      continue;
    }
    if (auto it = out.find(metabolite); it != out.end()) {
      d.error("'" + metabolite + "' is given twice (first on line " + std::to_string(it->second.line) + ")", ln, 1);
      continue;
    }
    out[metabolite] = {*size, ln};
  }
  if (out.empty() && !d.has_errors()) d.error("no pool sizes (expected metabolite<TAB>size lines)", 0, 0);
  if (d.has_errors()) return R::failure(d);
  return R::success(std::move(out));
}

Result<std::map<std::string, PoolSize>> load_pool_table(const std::string& path) {
  std::string error;
  auto text = detail::read_file(path, error);
  if (!text) return Result<std::map<std::string, PoolSize>>::failure({Diagnostic{Severity::error, path, 0, 0, {}, error}});
  return read_pool_table(*text, path);
}

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
