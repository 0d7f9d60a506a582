#include "fluxion/io/expression_table.hpp"

#include <cmath>
#include <unordered_map>

#include "text.hpp"

namespace fluxion::io {

using namespace detail;

Result<ExpressionTable> read_expression_table(std::string_view text, const std::string& source) {
  using R = Result<ExpressionTable>;
  Diagnostics d(source);
  TableReader t(text);
  if (!t.read_header(d, {}, {}, "gene id, then one column per sample")) return R::failure(d);
  const auto& names = t.header_names();
  ExpressionTable out;
  for (std::size_t c = 1; c < names.size(); ++c) {
    if (names[c].empty()) d.error("sample column " + std::to_string(c + 1) + " has no name", t.line(), 0);
    out.samples.push_back(names[c]);
  }
  if (out.samples.empty()) d.error("no sample columns: after the gene id give one column of expression per sample", t.line(), 1);
  if (d.has_errors()) return R::failure(d);
  std::vector<double> values;
  std::unordered_map<std::string, int> seen;
  while (t.next()) {
    const int ln = t.line();
    if (d.error_count() >= 50) {
      d.error("too many errors; stopping", ln, 0);
      break;
    }
    const std::string gene(t.cell(0));
    if (gene.empty()) {
      d.error("empty gene id", ln, 1);
      continue;
    }
    if (auto [it, fresh] = seen.emplace(gene, ln); !fresh) {
      d.error("gene '" + gene + "' already has a row (line " + std::to_string(it->second) + ")", ln, 1);
      continue;
    }
    if (t.size() != names.size()) {
      d.error("this row has " + std::to_string(t.size()) + " cells, the header " + std::to_string(names.size()), ln, 1);
      continue;
    }
    out.genes.push_back(gene);
    for (std::size_t c = 1; c < names.size(); ++c) {
      const auto v = parse_number(t.cell(c));
      if (!v || !std::isfinite(*v) || *v < 0) {
        d.error("'" + std::string(t.cell(c)) + "' is not a finite number >= 0 (expression: counts, TPM, FPKM)", ln, t.start(c));
        values.push_back(0.0);
        continue;
      }
      values.push_back(*v);
    }
  }
  if (out.genes.empty() && !d.has_errors()) d.error("no gene rows");
  if (d.has_errors()) return R::failure(d);
  out.values = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      values.data(), static_cast<Eigen::Index>(out.genes.size()), static_cast<Eigen::Index>(out.samples.size()));
  return R::success(std::move(out), d.items());
}

Result<ExpressionTable> load_expression_table(const std::string& path) {
  std::string error;
  auto text = read_file(path, error);
  if (!text) return Result<ExpressionTable>::failure({Diagnostic{Severity::error, path, 0, 0, {}, error}});
  return read_expression_table(*text, path);
}

}  // namespace fluxion::io
