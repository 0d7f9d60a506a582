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
  TableReader t(text);
  if (!t.read_header(d, {"experiment", "substrate", "label"}, {"experiment", "substrate", "label", "fraction", "purity"},
                     "experiment, substrate, label, fraction, purity"))
    return Result<TracerTable>::failure(d);
  std::map<std::string, std::size_t> experiment_index;
  std::vector<std::vector<std::pair<isotope::TracerComponent, int>>> rows;
  while (t.next()) {
    const int ln = t.line();
    if (t.size() > t.header_size()) {
      d.error("row has " + std::to_string(t.size()) + " cells but the header has " + std::to_string(t.header_size()), ln,
              t.start(t.header_size()));
      continue;
    }
    isotope::TracerComponent c;
    const std::string experiment(t.get("experiment"));
    c.substrate = std::string(t.get("substrate"));
    if (experiment.empty()) d.error("empty experiment", ln, t.column("experiment"));
    if (c.substrate.empty()) d.error("empty substrate", ln, t.column("substrate"));
    auto label = isotope::parse_label(t.get("label"));
    if (!label) {
      for (const auto& e : label.diagnostics()) d.error("label: " + e.message, ln, t.column("label") + std::max(0, e.column - 1));
    } else {
      c.label = label.value();
    }
    for (auto [name, dst] : {std::pair{"fraction", &c.fraction}, std::pair{"purity", &c.purity}}) {
      const std::string_view v = t.get(name);
      if (v.empty()) continue;
      auto x = parse_number(v);
      if (!x || !(*x > 0 && *x <= 1)) d.error(std::string(name) + " '" + std::string(v) + "' must be a number in (0, 1]", ln, t.column(name));
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
  if (d.has_errors()) return Result<TracerTable>::failure(d);
  for (std::size_t e = 0; e < rows.size(); ++e)
    for (auto& [c, ln] : rows[e]) {
      table.experiments[e].components.push_back(std::move(c));
      table.lines.push_back(ln);
    }
  return Result<TracerTable>::success(std::move(table), d.items());
}

std::string write_tracer_table(const std::vector<isotope::TracerExperiment>& experiments) {
  std::string out = "experiment\tsubstrate\tlabel\tfraction\tpurity\n";
  for (const auto& ex : experiments)
    for (const auto& c : ex.components)
      out += ex.id + '\t' + c.substrate + '\t' + isotope::format_label(c.label) + '\t' + format_number(c.fraction) + '\t' +
             format_number(c.purity) + '\n';
  return out;
}

std::vector<std::string> builtin_tracer_table_names() {
  std::vector<std::string> names;
  for (const auto& t : detail::builtin_tracer_tables()) names.emplace_back(t.name);
  return names;
}

bool has_builtin_tracer_table(const std::string& model_name) {
  for (const auto& t : detail::builtin_tracer_tables())
    if (t.name == model_name) return true;
  return false;
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
