#include "fluxion/isotope/tracer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>

namespace fluxion::isotope {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool parse_positive(std::string_view s, int& out) {
  if (s.empty() || s.size() > 6) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  std::from_chars(s.data(), s.data() + s.size(), out);
  return out > 0;
}

bool heavy_mass_ok(Element e, int mass) {
  switch (e) {
    case Element::C: return mass == 13;
    case Element::H: return mass == 2;
    case Element::N: return mass == 15;
    case Element::O: return mass == 17 || mass == 18;
  }
  return false;
}

Result<Label> label_error(std::string message, std::size_t column) {
  Diagnostic d;
  d.column = static_cast<int>(column);
  d.message = std::move(message);
  return Result<Label>::failure({d});
}

}  // namespace

Result<Label> parse_label(std::string_view text) {
  const std::string_view original = text;
  std::string lowered;
  for (char c : trim(text)) lowered += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lowered == "unlabelled" || lowered == "unlabeled" || lowered == "natural" || lowered == "[]" ||
      lowered == "none")
    return Result<Label>::success(Label{});
  text = trim(text);
  std::size_t offset = static_cast<std::size_t>(text.data() - original.data());
  if (text.empty()) return label_error("empty label; write e.g. [1,2-13C2] or unlabelled", 1);
  if (text.front() == '[') {
    if (text.back() != ']') return label_error("'[' without a closing ']'", offset + 1);
    text = text.substr(1, text.size() - 2);
    ++offset;
  }
  Label label;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(';', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view group = trim(text.substr(start, end - start));
    const std::size_t col = offset + static_cast<std::size_t>(group.data() - text.data()) + 1;
    const std::size_t dash = group.rfind('-');
    if (group.empty() || dash == std::string_view::npos)
      return label_error("label \"" + std::string(group) + "\" must read positions-isotope, e.g. 1,2-13C2 or U-13C6", col);
    ElementLabel el;
    const std::string_view where = trim(group.substr(0, dash));
    const std::string_view isotope = trim(group.substr(dash + 1));
    // isotope: mass number, element symbol (D = 2H), optional count
    std::size_t i = 0;
    while (i < isotope.size() && std::isdigit(static_cast<unsigned char>(isotope[i]))) ++i;
    std::size_t j = i;
    while (j < isotope.size() && std::isalpha(static_cast<unsigned char>(isotope[j]))) ++j;
    const std::string_view symbol = isotope.substr(i, j - i);
    const std::size_t iso_col = col + dash + 1;
    if (symbol == "D" && i == 0) {
      el.element = Element::H;
      el.mass_number = 2;
    } else {
      auto e = element_from_symbol(symbol);
      if (!e || i == 0) return label_error("isotope \"" + std::string(isotope) + "\" must be a mass number and an element, e.g. 13C, 2H, 15N", iso_col);
      el.element = *e;
      parse_positive(isotope.substr(0, i), el.mass_number);
      if (!heavy_mass_ok(el.element, el.mass_number))
        return label_error(std::string(isotope.substr(0, j)) + " is not a heavy isotope fluxion traces (13C, 2H, 15N, 17O, 18O)", iso_col);
    }
    if (j < isotope.size() && !parse_positive(isotope.substr(j), el.count))
      return label_error("atom count \"" + std::string(isotope.substr(j)) + "\" is not a positive number", iso_col + j);
    if (where == "U" || where == "u") {
      el.uniform = true;
    } else {
      std::size_t p = 0;
      while (p <= where.size()) {
        std::size_t q = where.find(',', p);
        if (q == std::string_view::npos) q = where.size();
        int pos = 0;
        const std::string_view token = trim(where.substr(p, q - p));
        if (!parse_positive(token, pos))
          return label_error("atom position \"" + std::string(token) + "\" is not a positive number (positions start at 1)", col + p);
        el.positions.push_back(pos);
        p = q + 1;
      }
      std::sort(el.positions.begin(), el.positions.end());
      if (std::adjacent_find(el.positions.begin(), el.positions.end()) != el.positions.end())
        return label_error("an atom position is listed twice", col);
      if (el.count != 0 && el.count != static_cast<int>(el.positions.size()))
        return label_error("the count " + std::to_string(el.count) + " differs from the " + std::to_string(el.positions.size()) +
                               " positions listed",
                           iso_col + j);
    }
    for (const auto& other : label.elements)
      if (other.element == el.element)
        return label_error("element " + std::string(element_symbol(el.element)) + " is labelled twice", col);
    label.elements.push_back(std::move(el));
    if (end == text.size()) break;
    start = end + 1;
  }
  return Result<Label>::success(std::move(label));
}

std::string format_label(const Label& label) {
  if (label.unlabelled()) return "unlabelled";
  std::string out = "[";
  for (std::size_t g = 0; g < label.elements.size(); ++g) {
    const auto& el = label.elements[g];
    if (g) out += ';';
    if (el.uniform) {
      out += "U";
    } else {
      for (std::size_t k = 0; k < el.positions.size(); ++k) {
        if (k) out += ',';
        out += std::to_string(el.positions[k]);
      }
    }
    out += '-';
    out += std::to_string(el.mass_number);
    out += element_symbol(el.element);
    const int n = el.uniform ? el.count : static_cast<int>(el.positions.size());
    if (n > 0) out += std::to_string(n);
  }
  return out + "]";
}

Result<std::vector<std::uint8_t>> Label::bits(Element element, int n_atoms) const {
  using R = Result<std::vector<std::uint8_t>>;
  std::vector<std::uint8_t> out(static_cast<std::size_t>(std::max(0, n_atoms)), 0);
  for (const auto& el : elements) {
    if (el.element != element) continue;
    const std::string sym(element_symbol(element));
    if (el.uniform) {
      if (el.count != 0 && el.count != n_atoms)
        return R::failure({Diagnostic{Severity::error, {}, 0, 0, {},
                                      "uniform label U-" + std::to_string(el.mass_number) + sym + std::to_string(el.count) +
                                          " but the substrate has " + std::to_string(n_atoms) + " " + sym + " atoms"}});
      std::fill(out.begin(), out.end(), 1);
    } else {
      for (int p : el.positions) {
        if (p > n_atoms)
          return R::failure({Diagnostic{Severity::error, {}, 0, 0, {},
                                        "position " + std::to_string(p) + " but the substrate has " + std::to_string(n_atoms) +
                                            " " + sym + " atoms"}});
        out[static_cast<std::size_t>(p - 1)] = 1;
      }
    }
  }
  return R::success(std::move(out));
}

std::vector<Diagnostic> validate_experiments(const Model& model, const std::vector<TracerExperiment>& experiments,
                                             const std::string& source, const std::vector<int>& lines) {
  Diagnostics d(source);
  std::vector<bool> produced(model.metabolites.size(), false), consumed(model.metabolites.size(), false);
  for (const auto& r : model.reactions) {
    for (const auto& p : r.products) produced[p.metabolite] = true;
    for (const auto& p : r.reactants) consumed[p.metabolite] = true;
  }
  std::size_t k = 0;
  for (const auto& ex : experiments) {
    std::map<std::string, double> share;
    for (const auto& c : ex.components) {
      const int ln = k < lines.size() ? lines[k] : 0;
      ++k;
      const std::string ctx = "experiment '" + ex.id + "'";
      const auto mi = model.metabolite_index(c.substrate);
      if (!mi) {
        d.error("substrate '" + c.substrate + "' is not a metabolite of model '" + model.id + "'", ln, 0, ctx);
        continue;
      }
      const Metabolite& m = model.metabolites[*mi];
      if (!m.boundary || produced[*mi] || !consumed[*mi])
        d.error("substrate '" + c.substrate + "' is not an input pool of the model (a boundary metabolite that reactions only consume)", ln, 0, ctx);
      for (const auto& el : c.label.elements) {
        const int n = m.atoms[static_cast<std::size_t>(el.element)];
        if (n == 0) {
          d.error("substrate '" + c.substrate + "' has no tracked " + std::string(element_symbol(el.element)) +
                      " atoms to label with " + format_label(c.label),
                  ln, 0, ctx);
          continue;
        }
        auto bits = c.label.bits(el.element, n);
        if (!bits) d.error(format_label(c.label) + " on '" + c.substrate + "': " + bits.diagnostics().front().message, ln, 0, ctx);
      }
      if (!(c.fraction > 0 && c.fraction <= 1))
        d.error("fraction " + std::to_string(c.fraction) + " of '" + c.substrate + "' must be in (0, 1]", ln, 0, ctx);
      if (!(c.purity > 0 && c.purity <= 1))
        d.error("purity " + std::to_string(c.purity) + " of '" + c.substrate + "' must be in (0, 1]", ln, 0, ctx);
      share[c.substrate] += c.fraction;
    }
    for (const auto& [s, f] : share)
      if (f > 1 + 1e-9)
        d.error("the fractions of substrate '" + s + "' add up to " + std::to_string(f) + ", more than 1", 0, 0,
                "experiment '" + ex.id + "'");
  }
  return d.items();
}

std::vector<Element> labelled_elements(const std::vector<TracerExperiment>& experiments) {
  std::vector<Element> out;
  for (Element e : kElements) {
    bool labelled = false;
    for (const auto& ex : experiments)
      for (const auto& c : ex.components)
        for (const auto& l : c.label.elements) labelled = labelled || l.element == e;
    if (labelled) out.push_back(e);
  }
  if (out.empty()) out.push_back(Element::C);
  return out;
}

}  // namespace fluxion::isotope
