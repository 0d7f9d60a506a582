#include "fluxion/io/fragment_formulas.hpp"

#include "text.hpp"

namespace fluxion::io {

using detail::split_lines;

Result<std::map<std::string, FragmentFormula>> read_fragment_formulas(std::string_view text, const std::string& source) {
  using R = Result<std::map<std::string, FragmentFormula>>;
  std::map<std::string, FragmentFormula> out;
  Diagnostics d(source);
  int ln = 0;
  for (std::string_view line : split_lines(text)) {
    ++ln;
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.find('\t');
    if (tab == std::string_view::npos) {
      d.error("expected fragment<TAB>formula", ln, 1);
      continue;
    }
    const std::string fragment(line.substr(0, tab));
    const std::string_view formula = line.substr(tab + 1);
    if (ln == 1 && fragment == "fragment") continue;
    auto f = isotope::parse_formula(formula);
    if (!f) d.error(f.diagnostics().front().message, ln, static_cast<int>(tab) + 2);
    else if (auto it = out.find(fragment); it != out.end())
      d.error("'" + fragment + "' is given twice (first on line " + std::to_string(it->second.line) + ")", ln, 1);
    else out[fragment] = {f.value(), ln};
  }
  if (d.has_errors()) return R::failure(d);
  return R::success(std::move(out));
}

Result<std::map<std::string, FragmentFormula>> load_fragment_formulas(const std::string& path) {
  std::string error;
  auto text = detail::read_file(path, error);
  if (!text) return Result<std::map<std::string, FragmentFormula>>::failure({Diagnostic{Severity::error, path, 0, 0, {}, error}});
  return read_fragment_formulas(*text, path);
}

}  // namespace fluxion::io
