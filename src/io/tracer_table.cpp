#include "fluxion/io/tracer_table.hpp"

#include <filesystem>
#include <map>

#include "builtin_models.hpp"
#include "text.hpp"

namespace fluxion::io {

using namespace detail;

Result<TracerTable> read_tracer_table(std::string_view text, const std::string& source) {
  Diagnostics d(source);
  TracerTable table;
  const auto lines = split_lines(text);
  std::map<std::string, int> col;
  char sep = '\t';
  bool have_header = false;
  std::map<std::string, std::size_t> experiment_index;
  std::vector<std::vector<std::pair<TracerComponent, int>>> rows;
  for (std::size_t li = 0; li < lines.size(); ++li) {
    const int ln = static_cast<int>(li + 1);
    const std::string_view line = lines[li];
    if (trim(line).empty() || trim(line).front() == '#') continue;
    if (!have_header) {
      sep = line.find('\t') != std::string_view::npos ? '\t' : ',';
      int column = 1, index = 0;
      for (auto cell : split_cells(line, sep)) {
        const std::string name = lower(trim(cell));
        if (name != "experiment" && name != "substrate" && name != "label" && name != "fraction" && name != "purity")
          d.error("unknown column '" + std::string(trim(cell)) + "' (known: experiment, substrate, label, fraction, purity)", ln, column);
        else if (!col.emplace(name, index).second)
          d.error("column '" + name + "' appears twice", ln, column);
        column += static_cast<int>(cell.size()) + 1;
        ++index;
      }
      for (const char* required : {"experiment", "substrate", "label"})
        if (!col.count(required)) d.error(std::string("the header has no '") + required + "' column", ln, 1);
      have_header = true;
      if (d.has_errors()) break;
      continue;
    }
    const auto cells = split_cells(line, sep);
    std::vector<int> starts(cells.size());
    for (std::size_t c = 0, pos = 1; c < cells.size(); ++c) {
      starts[c] = static_cast<int>(pos);
      pos += cells[c].size() + 1;
    }
    auto cell = [&](const char* name) -> std::string_view {
      auto it = col.find(name);
      if (it == col.end() || static_cast<std::size_t>(it->second) >= cells.size()) return {};
      return trim(unquote(trim(cells[static_cast<std::size_t>(it->second)])));
    };
    auto column_of = [&](const char* name) {
      auto it = col.find(name);
      if (it == col.end() || static_cast<std::size_t>(it->second) >= cells.size()) return 1;
      return starts[static_cast<std::size_t>(it->second)];
    };
    if (cells.size() > col.size()) {
      d.error("row has " + std::to_string(cells.size()) + " cells but the header has " + std::to_string(col.size()), ln,
              starts[col.size()]);
      continue;
    }
    TracerComponent c;
    const std::string experiment(cell("experiment"));
    c.substrate = std::string(cell("substrate"));
    if (experiment.empty()) d.error("empty experiment", ln, column_of("experiment"));
    if (c.substrate.empty()) d.error("empty substrate", ln, column_of("substrate"));
    auto label = parse_label(cell("label"));
    if (!label) {
      for (const auto& e : label.diagnostics()) d.error("label: " + e.message, ln, column_of("label") + std::max(0, e.column - 1));
    } else {
      c.label = label.value();
    }
    for (auto [name, dst] : {std::pair{"fraction", &c.fraction}, std::pair{"purity", &c.purity}}) {
      const std::string_view v = cell(name);
      if (v.empty()) continue;
      auto x = parse_number(v);
      if (!x || !(*x > 0 && *x <= 1)) d.error(std::string(name) + " '" + std::string(v) + "' must be a number in (0, 1]", ln, column_of(name));
      else *dst = *x;
    }
    if (experiment.empty()) continue;
    auto [it, inserted] = experiment_index.emplace(experiment, rows.size());
    if (inserted) {
      rows.emplace_back();
      table.experiments.push_back({experiment, {}});
    }
    rows[it->second].emplace_back(std::move(c), ln);
  }
  if (!have_header) d.error("empty table: expected a header 'experiment, substrate, label, fraction, purity'");
  if (d.has_errors()) return Result<TracerTable>::failure(d);
  for (std::size_t e = 0; e < rows.size(); ++e)
    for (auto& [c, ln] : rows[e]) {
      table.experiments[e].components.push_back(std::move(c));
      table.lines.push_back(ln);
    }
  return Result<TracerTable>::success(std::move(table), d.items());
}

std::string write_tracer_table(const std::vector<TracerExperiment>& experiments) {
  std::string out = "experiment\tsubstrate\tlabel\tfraction\tpurity\n";
  for (const auto& ex : experiments)
    for (const auto& c : ex.components)
      out += ex.id + '\t' + c.substrate + '\t' + format_label(c.label) + '\t' + format_number(c.fraction) + '\t' +
             format_number(c.purity) + '\n';
  return out;
}

std::vector<std::string> builtin_tracer_table_names() {
  std::vector<std::string> names;
  for (const auto& t : detail::builtin_tracer_tables()) names.emplace_back(t.name);
  return names;
}

Result<TracerTable> load_tracer_table(const std::string& path_or_model_name) {
  if (!std::filesystem::exists(path_or_model_name)) {
    for (const auto& t : detail::builtin_tracer_tables())
      if (t.name == path_or_model_name)
        return read_tracer_table(t.text, "built-in tracers of '" + path_or_model_name + "'");
    return Result<TracerTable>::failure({Diagnostic{Severity::error, path_or_model_name, 0, 0, {},
                                                    "no such file, and no built-in model with tracer experiments of that name"}});
  }
  std::string error;
  auto text = read_file(path_or_model_name, error);
  if (!text) return Result<TracerTable>::failure({Diagnostic{Severity::error, path_or_model_name, 0, 0, {}, error}});
  return read_tracer_table(*text, path_or_model_name);
}

}  // namespace fluxion::io
