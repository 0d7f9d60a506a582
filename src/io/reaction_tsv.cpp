// fluxion's reaction table (docs/formats.md describes it for users).
//
//   # comment
//   #! id: simple                 model attributes: id, name, objective_sense, measured, note
//   id  equation  lb  ub  ...     reactions section (header row starts with "id")
//   metabolite  name  ...         metabolites section (header row starts with "metabolite")
//   gene  name                    genes section
//   compartment  name             compartments section
//
// Metabolites absent from the metabolites section, or with an empty boundary cell, are
// boundary when they are never produced or never consumed (the isotope-model rule).
#include <algorithm>
#include <cctype>
#include <map>

#include "fluxion/io/model_io.hpp"
#include "text.hpp"

namespace fluxion::io {

using namespace detail;

namespace {

enum class Section { none, reactions, metabolites, genes, compartments };

const std::vector<std::string> kReactionColumns = {"id",     "equation", "lb",  "ub",        "xch_lb",
                                                   "xch_ub", "name",     "gpr", "subsystem", "objective",
                                                   "leak",   "equiv"};
const std::vector<std::string> kMetaboliteColumns = {"metabolite", "name",     "compartment", "formula",
                                                     "charge",     "atoms",    "boundary",    "symmetric"};
const std::vector<std::string> kGeneColumns = {"gene", "name"};
const std::vector<std::string> kCompartmentColumns = {"compartment", "name"};

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// Parses "C6H7" (counts of tracked atoms per element).
bool parse_atom_counts(std::string_view s, ElementCounts& out, std::string& error) {
  out = {};
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i + 1;
    while (j < s.size() && std::islower(static_cast<unsigned char>(s[j]))) ++j;
    auto e = element_from_symbol(s.substr(i, j - i));
    if (!e) {
      error = "unknown element '" + std::string(s.substr(i, j - i)) + "' (use C, H, N, O)";
      return false;
    }
    std::size_t k = j;
    while (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) ++k;
    int n = 1;
    if (k > j) {
      if (k - j > 6) {
        error = "atom count too large";
        return false;
      }
      n = std::stoi(std::string(s.substr(j, k - j)));
    }
    out[static_cast<std::size_t>(*e)] = n;
    i = k;
  }
  return true;
}

std::string format_atom_counts(const ElementCounts& c) {
  std::string out;
  for (Element e : kElements) {
    const int n = c[static_cast<std::size_t>(e)];
    if (n > 0) out += std::string(element_symbol(e)) + std::to_string(n);
  }
  return out;
}

}  // namespace

Result<Model> read_reaction_tsv(std::string_view text, const std::string& source) {
  Diagnostics d(source);
  Model model;
  Section section = Section::none;
  std::vector<std::string> header;
  std::map<std::string, int> col;  // column name -> index
  struct MetRow {
    int line;
    std::optional<bool> boundary;
  };
  std::map<std::size_t, MetRow> met_rows;
  std::map<std::string, std::pair<int, int>> first_use;  // metabolite -> line, column in an equation
  std::vector<int> reaction_lines;
  const auto lines = split_lines(text);
  for (std::size_t li = 0; li < lines.size(); ++li) {
    const int ln = static_cast<int>(li + 1);
    std::string_view line = lines[li];
    if (trim(line).empty()) continue;
    if (line.substr(0, 2) == "#!") {
      std::string_view rest = trim(line.substr(2));
      const auto colon = rest.find(':');
      if (colon == std::string_view::npos) {
        d.error("model attribute needs 'name: value'", ln, 3);
        continue;
      }
      const std::string key = lower(trim(rest.substr(0, colon)));
      const std::string_view value = trim(rest.substr(colon + 1));
      if (key == "id") model.id = value;
      else if (key == "name") model.name = value;
      else if (key == "note") model.notes.emplace_back(value);
      else if (key == "objective_sense") {
        const std::string v = lower(value);
        if (v == "maximize" || v == "max") model.objective_sense = ObjectiveSense::maximize;
        else if (v == "minimize" || v == "min") model.objective_sense = ObjectiveSense::minimize;
        else d.error("objective_sense must be maximize or minimize, not '" + std::string(value) + "'", ln, 1);
      } else if (key == "measured") {
        for (auto part : split(value, ' '))
          if (!trim(part).empty()) model.measured.emplace_back(trim(part));
      } else {
        d.error("unknown model attribute '" + key + "' (known: id, name, note, objective_sense, measured)", ln, 3);
      }
      continue;
    }
    if (line.front() == '#') continue;
    const auto cells = split(line, '\t');
    const std::string first = lower(trim(cells[0]));
    // a header row starts a section
    const std::vector<std::string>* known = nullptr;
    Section next = Section::none;
    if (first == "id") { known = &kReactionColumns; next = Section::reactions; }
    else if (first == "metabolite") { known = &kMetaboliteColumns; next = Section::metabolites; }
    else if (first == "gene") { known = &kGeneColumns; next = Section::genes; }
    else if (first == "compartment") { known = &kCompartmentColumns; next = Section::compartments; }
    if (known) {
      section = next;
      header.clear();
      col.clear();
      int column = 1;
      for (std::size_t c = 0; c < cells.size(); ++c) {
        const std::string name = lower(trim(cells[c]));
        if (std::find(known->begin(), known->end(), name) == known->end())
          d.error("unknown column '" + std::string(trim(cells[c])) + "' (known: " + join(*known, ", ") + ")", ln, column);
        else if (col.count(name))
          d.error("column '" + name + "' appears twice", ln, column);
        else
          col[name] = static_cast<int>(c);
        header.push_back(name);
        column += static_cast<int>(cells[c].size()) + 1;
      }
      if (section == Section::reactions && !col.count("equation"))
        d.error("the reactions header has no 'equation' column", ln, 1);
      continue;
    }
    if (section == Section::none) {
      d.error("data before a header row; start with a header such as 'id<TAB>equation<TAB>lb<TAB>ub'", ln, 1);
      continue;
    }
    std::vector<int> starts(cells.size());
    for (std::size_t c = 0, pos = 1; c < cells.size(); ++c) {
      starts[c] = static_cast<int>(pos);
      pos += cells[c].size() + 1;
    }
    if (cells.size() > header.size()) {
      d.error("row has " + std::to_string(cells.size()) + " cells but the header has " +
                  std::to_string(header.size()) + " columns",
              ln, starts[header.size()]);
      continue;
    }
    auto cell = [&](const std::string& name) -> std::string_view {
      auto it = col.find(name);
      if (it == col.end() || static_cast<std::size_t>(it->second) >= cells.size()) return {};
      return trim(cells[static_cast<std::size_t>(it->second)]);
    };
    auto column_of = [&](const std::string& name) {
      auto it = col.find(name);
      return it == col.end() ? 1 : starts[static_cast<std::size_t>(std::min<int>(it->second, static_cast<int>(cells.size()) - 1))];
    };
    auto number = [&](const std::string& name, double fallback, const std::string& ctx) {
      std::string_view v = cell(name);
      if (v.empty()) return fallback;
      auto x = parse_number(v);
      if (!x) {
        d.error(name + " '" + std::string(v) + "' is not a number", ln, column_of(name), ctx);
        return fallback;
      }
      return *x;
    };
    if (section == Section::reactions) {
      Reaction r;
      r.id = std::string(cell("id"));
      const std::string ctx = "reaction '" + r.id + "'";
      if (r.id.empty()) {
        d.error("empty reaction id", ln, 1);
        continue;
      }
      if (model.reaction_index(r.id)) {
        d.error("duplicate reaction id '" + r.id + "'", ln, 1);
        continue;
      }
      auto eq = parse_equation(cell("equation"), d, ln, column_of("equation"), ctx);
      if (!eq) continue;
      for (const auto* side : {&eq->reactants, &eq->products})
        for (const auto& t : *side) first_use.emplace(t.metabolite, std::pair{ln, t.column});
      apply_equation(model, r, *eq);
      r.lower_bound = number("lb", r.reversible ? -kDefaultFluxBound : 0.0, ctx);
      r.upper_bound = number("ub", kDefaultFluxBound, ctx);
      r.exchange_lower_bound = number("xch_lb", 0.0, ctx);
      r.exchange_upper_bound = number("xch_ub", kInfinity, ctx);
      r.objective_coefficient = number("objective", 0.0, ctx);
      r.name = std::string(cell("name"));
      r.gpr = std::string(cell("gpr"));
      r.subsystem = std::string(cell("subsystem"));
      r.leak = std::string(cell("leak"));
      r.equivalent = std::string(cell("equiv"));
      if (!r.gpr.empty()) {
        auto genes = gpr_genes(r.gpr);
        if (!genes) {
          for (const auto& g : genes.diagnostics())
            d.error(g.message, ln, column_of("gpr") + std::max(0, g.column - 1), ctx);
        } else {
          for (const auto& g : genes.value()) model.ensure_gene(g);
        }
      }
      model.add_reaction(std::move(r));
      reaction_lines.push_back(ln);
    } else if (section == Section::metabolites) {
      const std::string id(cell("metabolite"));
      if (id.empty()) {
        d.error("empty metabolite id", ln, 1);
        continue;
      }
      const std::size_t mi = model.ensure_metabolite(id);
      if (met_rows.count(mi)) {
        d.error("metabolite '" + id + "' is listed twice", ln, 1);
        continue;
      }
      auto& m = model.metabolites[mi];
      const std::string ctx = "metabolite '" + id + "'";
      m.name = std::string(cell("name"));
      m.compartment = std::string(cell("compartment"));
      m.formula = std::string(cell("formula"));
      if (auto v = cell("charge"); !v.empty()) {
        if (auto x = parse_int(v, -1000000, 1000000)) m.charge = *x;
        else d.error("charge '" + std::string(v) + "' is not an integer", ln, column_of("charge"), ctx);
      }
      if (auto v = cell("atoms"); !v.empty()) {
        std::string err;
        if (!parse_atom_counts(v, m.atoms, err)) d.error("atoms '" + std::string(v) + "': " + err, ln, column_of("atoms"), ctx);
      }
      MetRow row{ln, std::nullopt};
      if (auto v = cell("boundary"); !v.empty()) {
        auto b = parse_bool(v);
        if (!b) d.error("boundary must be yes or no, not '" + std::string(v) + "'", ln, column_of("boundary"), ctx);
        row.boundary = b;
      }
      if (auto v = cell("symmetric"); !v.empty()) {
        auto b = parse_bool(v);
        if (!b) d.error("symmetric must be yes or no, not '" + std::string(v) + "'", ln, column_of("symmetric"), ctx);
        else m.symmetric = *b;
      }
      met_rows[mi] = row;
    } else if (section == Section::genes) {
      const std::string id(cell("gene"));
      if (id.empty()) {
        d.error("empty gene id", ln, 1);
        continue;
      }
      model.genes[model.ensure_gene(id)].name = std::string(cell("name"));
    } else if (section == Section::compartments) {
      const std::string id(cell("compartment"));
      if (id.empty()) {
        d.error("empty compartment id", ln, 1);
        continue;
      }
      model.compartments.push_back({id, std::string(cell("name"))});
    }
  }
  if (model.reactions.empty() && !d.has_errors()) d.error("the file defines no reactions");
  // with a metabolites section, a metabolite it does not list is most likely a typo
  if (!met_rows.empty())
    for (const auto& [id, where] : first_use)
      if (auto mi = model.metabolite_index(id); mi && !met_rows.count(*mi))
        d.error("unknown metabolite '" + id + "': the metabolites section does not list it", where.first, where.second);
  const auto topo = unbalanced_by_topology(model);
  for (std::size_t i = 0; i < model.metabolites.size(); ++i) {
    auto it = met_rows.find(i);
    model.metabolites[i].boundary = (it != met_rows.end() && it->second.boundary) ? *it->second.boundary : topo[i];
  }
  infer_atom_counts(model);
  if (d.has_errors()) return Result<Model>::failure(d);
  append_validation(d, model, reaction_lines);
  if (d.has_errors()) return Result<Model>::failure(d);
  return Result<Model>::success(std::move(model), d.items());
}

Result<std::string> write_reaction_tsv(const Model& model) {
  auto clean = [](std::string s) {
    for (auto& c : s)
      if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    return s;
  };
  std::string out = "# fluxion reaction table: reactions, then metabolites; docs/formats.md\n";
  if (!model.id.empty()) out += "#! id: " + clean(model.id) + "\n";
  if (!model.name.empty()) out += "#! name: " + clean(model.name) + "\n";
  for (const auto& n : model.notes) out += "#! note: " + clean(n) + "\n";
  if (model.objective_sense == ObjectiveSense::minimize) out += "#! objective_sense: minimize\n";
  if (!model.measured.empty()) out += "#! measured: " + join(model.measured, " ") + "\n";

  // optional columns only when some reaction uses them
  bool has_xch = false, has_name = false, has_gpr = false, has_subsystem = false, has_obj = false,
       has_leak = false, has_equiv = false;
  for (const auto& r : model.reactions) {
    has_xch = has_xch || r.exchange_lower_bound != 0.0 || r.exchange_upper_bound != kInfinity;
    has_name = has_name || !r.name.empty();
    has_gpr = has_gpr || !r.gpr.empty();
    has_subsystem = has_subsystem || !r.subsystem.empty();
    has_obj = has_obj || r.objective_coefficient != 0.0;
    has_leak = has_leak || !r.leak.empty();
    has_equiv = has_equiv || !r.equivalent.empty();
  }
  out += "id\tequation\tlb\tub";
  if (has_xch) out += "\txch_lb\txch_ub";
  if (has_obj) out += "\tobjective";
  if (has_leak) out += "\tleak";
  if (has_equiv) out += "\tequiv";
  if (has_gpr) out += "\tgpr";
  if (has_subsystem) out += "\tsubsystem";
  if (has_name) out += "\tname";
  out += '\n';
  for (const auto& r : model.reactions) {
    out += r.id + '\t' + format_equation(model, r) + '\t' + format_number(r.lower_bound) + '\t' +
           format_number(r.upper_bound);
    if (has_xch) out += '\t' + format_number(r.exchange_lower_bound) + '\t' + format_number(r.exchange_upper_bound);
    if (has_obj) out += '\t' + (r.objective_coefficient != 0.0 ? format_number(r.objective_coefficient) : std::string());
    if (has_leak) out += '\t' + r.leak;
    if (has_equiv) out += '\t' + r.equivalent;
    if (has_gpr) out += '\t' + clean(r.gpr);
    if (has_subsystem) out += '\t' + clean(r.subsystem);
    if (has_name) out += '\t' + clean(r.name);
    out += '\n';
  }
  out += "\nmetabolite\tboundary\tatoms\tsymmetric\tcompartment\tformula\tcharge\tname\n";
  for (const auto& m : model.metabolites) {
    out += m.id + '\t' + (m.boundary ? "yes" : "no") + '\t' + format_atom_counts(m.atoms) + '\t' +
           (m.symmetric ? "yes" : "no") + '\t' + m.compartment + '\t' + m.formula + '\t' +
           (m.charge ? std::to_string(*m.charge) : std::string()) + '\t' + clean(m.name) + '\n';
  }
  if (!model.genes.empty()) {
    out += "\ngene\tname\n";
    for (const auto& g : model.genes) out += g.id + '\t' + clean(g.name) + '\n';
  }
  if (!model.compartments.empty()) {
    out += "\ncompartment\tname\n";
    for (const auto& c : model.compartments) out += c.id + '\t' + clean(c.name) + '\n';
  }
  return Result<std::string>::success(std::move(out));
}

}  // namespace fluxion::io
