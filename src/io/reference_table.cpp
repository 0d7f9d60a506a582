#include "fluxion/io/reference_table.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <unordered_map>

#include "text.hpp"

namespace fluxion::io {

using namespace detail;

std::string_view to_string(Confidence c) {
  switch (c) {
    case Confidence::unmeasured: return "unmeasured";
    case Confidence::noisy: return "noisy";
    case Confidence::fixed: return "fixed";
  }
  return "noisy";
}

Result<ReferenceTable> read_reference_table(std::string_view text, const std::string& source, const Model& model,
                                            Confidence default_confidence) {
  using R = Result<ReferenceTable>;
  Diagnostics d(source);
  TableReader t(text);
  const std::string expected = "reaction, optionally confidence, then one column per sample";
  if (!t.read_header(d, {"reaction"}, {}, expected)) return R::failure(d);
  const auto& names = t.header_names();
  std::vector<std::size_t> sample_cells;
  ReferenceTable out;
  for (std::size_t c = 0; c < names.size(); ++c) {
    const std::string name = lower(names[c]);
    if (name == "reaction" || name == "confidence") continue;
    if (names[c].empty()) {
      d.error("sample column " + std::to_string(c + 1) + " has no name", 1, 0);
      continue;
    }
    sample_cells.push_back(c);
    out.samples.push_back(names[c]);
  }
  if (sample_cells.empty()) d.error("no sample columns: after 'reaction' (and 'confidence') give one column of fluxes per sample", t.line(), 1);
  if (d.has_errors()) return R::failure(d);
  const bool has_confidence = t.has("confidence");
  const auto nr = static_cast<Eigen::Index>(model.reactions.size());
  const auto ns = static_cast<Eigen::Index>(sample_cells.size());
  out.values = Eigen::MatrixXd::Zero(nr, ns);
  out.given = Eigen::MatrixXd::Constant(nr, ns, std::numeric_limits<double>::quiet_NaN());
  out.confidence.assign(model.reactions.size(), Confidence::unmeasured);
  out.lines.assign(model.reactions.size(), 0);
  int rows = 0;
  while (t.next()) {
    const int ln = t.line();
    if (d.error_count() >= 50) {
      d.error("too many errors; stopping", ln, 0);
      break;
    }
    const std::string id(t.get("reaction"));
    const auto found = model.reaction_index(id);
    if (id.empty()) {
      d.error("empty reaction id", ln, t.column("reaction"));
      continue;
    }
    if (!found) {
      d.error("'" + id + "' is not a reaction of model '" + model.id + "'", ln, t.column("reaction"));
      continue;
    }
    const std::size_t j = *found;
    if (out.lines[j] != 0) {
      d.error("reaction '" + id + "' already has a row (line " + std::to_string(out.lines[j]) + ")", ln, t.column("reaction"));
      continue;
    }
    out.lines[j] = ln;
    ++rows;
    if (t.size() != names.size())
      d.error("this row has " + std::to_string(t.size()) + " cells, the header " + std::to_string(names.size()), ln, 1);
    Confidence conf = default_confidence;
    if (has_confidence) {
      const std::string c = lower(t.get("confidence"));
      if (c == "fixed" || c == "high") conf = Confidence::fixed;
      else if (c == "noisy" || c == "medium") conf = Confidence::noisy;
      else if (c == "unmeasured" || c == "low" || c == "none") conf = Confidence::unmeasured;
      else if (!c.empty()) {
        d.error("confidence '" + std::string(t.get("confidence")) + "' is not fixed, noisy or unmeasured", ln, t.column("confidence"));
        continue;
      }
    }
    out.confidence[j] = conf;
    for (std::size_t s = 0; s < sample_cells.size(); ++s) {
      const std::size_t c = sample_cells[s];
      const std::string_view cell = t.cell(c);
      const int col = c < t.size() ? t.start(c) : 0;
      if (cell.empty() || lower(cell) == "na" || lower(cell) == "nan") {
        if (conf != Confidence::unmeasured)
          d.error("no value for sample '" + out.samples[s] + "' of " + std::string(to_string(conf)) + " reaction '" + id +
                      "': one projection uses the same measured reactions in every sample; give a value, mark the reaction "
                      "unmeasured, or project those samples separately",
                  ln, col);
        continue;
      }
      const auto v = parse_number(cell);
      if (!v || !std::isfinite(*v)) {
        d.error("'" + std::string(cell) + "' is not a finite number", ln, col);
        continue;
      }
      out.given(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(s)) = *v;
      if (conf != Confidence::unmeasured) out.values(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(s)) = *v;
    }
  }
  if (rows == 0 && !d.has_errors()) d.error("no reaction rows", 0, 0);
  if (d.has_errors()) return R::failure(d);
  return R::success(std::move(out), d.items());
}

Result<bool> set_confidence(ReferenceTable& table, const Model& model, std::size_t reaction, Confidence confidence,
                            const std::string& source) {
  Diagnostics d(source);
  const auto j = static_cast<Eigen::Index>(reaction);
  const std::string& id = model.reactions[reaction].id;
  if (confidence != Confidence::unmeasured) {
    if (table.lines[reaction] == 0) {
      d.error("'" + id + "' has no row: there is no reference value to use");
      return Result<bool>::failure(d);
    }
    for (Eigen::Index s = 0; s < table.given.cols(); ++s)
      if (std::isnan(table.given(j, s))) {
        d.error("reaction '" + id + "' has no value for sample '" + table.samples[static_cast<std::size_t>(s)] + "', so it cannot be " +
                    std::string(to_string(confidence)),
                table.lines[reaction], 0);
        return Result<bool>::failure(d);
      }
    table.values.row(j) = table.given.row(j);
  } else {
    table.values.row(j).setZero();
  }
  table.confidence[reaction] = confidence;
  return Result<bool>::success(true);
}

bool has_measured(const ReferenceTable& table) {
  return std::any_of(table.confidence.begin(), table.confidence.end(), [](Confidence c) { return c != Confidence::unmeasured; });
}

Result<ReferenceTable> load_reference_table(const std::string& path, const Model& model, Confidence default_confidence) {
  std::string error;
  auto text = read_file(path, error);
  if (!text) return Result<ReferenceTable>::failure({Diagnostic{Severity::error, path, 0, 0, {}, error}});
  return read_reference_table(*text, path, model, default_confidence);
}

std::string write_reference_table(const std::vector<std::string>& reaction_ids, const std::vector<std::string>& samples,
                                  const Eigen::MatrixXd& values) {
  std::string out = "reaction";
  for (const auto& s : samples) out += '\t' + s;
  out += '\n';
  for (std::size_t i = 0; i < reaction_ids.size(); ++i) {
    out += reaction_ids[i];
    for (Eigen::Index j = 0; j < values.cols(); ++j) {
      const double v = values(static_cast<Eigen::Index>(i), j);
      char buf[32];  // 12 significant digits: the projections are exact to ~1e-14 relative
      std::snprintf(buf, sizeof buf, "%.12g", std::fabs(v) < 1e-300 ? 0.0 : v);
      out += '\t';
      out += buf;
    }
    out += '\n';
  }
  return out;
}

}  // namespace fluxion::io
