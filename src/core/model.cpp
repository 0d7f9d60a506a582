#include "fluxion/core/model.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cmath>
#include <map>
#include <set>

namespace fluxion {

std::string_view element_symbol(Element e) {
  switch (e) {
    case Element::C: return "C";
    case Element::H: return "H";
    case Element::N: return "N";
    case Element::O: return "O";
  }
  return "?";
}

std::optional<Element> element_from_symbol(std::string_view symbol) {
  for (Element e : kElements)
    if (element_symbol(e) == symbol) return e;
  return std::nullopt;
}

bool Reaction::has_atom_map(Element e) const {
  const auto i = static_cast<std::size_t>(e);
  for (const auto& p : reactants)
    if (!p.atoms[i].empty()) return true;
  for (const auto& p : products)
    if (!p.atoms[i].empty()) return true;
  return false;
}

bool Reaction::has_any_atom_map() const {
  for (Element e : kElements)
    if (has_atom_map(e)) return true;
  return false;
}

namespace {
// Indexes entries appended since the last call; rebuilds when the vector shrank.
template <class T>
void index_new(const std::vector<T>& items, std::unordered_map<std::string, std::size_t>& by_id, std::size_t& indexed) {
  if (indexed > items.size()) {
    by_id.clear();
    indexed = 0;
  }
  for (; indexed < items.size(); ++indexed) by_id.emplace(items[indexed].id, indexed);
}
}  // namespace

void Model::refresh_indices() const {
  index_new(metabolites, metabolite_by_id_, indexed_metabolites_);
  index_new(reactions, reaction_by_id_, indexed_reactions_);
  index_new(genes, gene_by_id_, indexed_genes_);
}

void Model::reindex() const {
  metabolite_by_id_.clear();
  reaction_by_id_.clear();
  gene_by_id_.clear();
  indexed_metabolites_ = indexed_reactions_ = indexed_genes_ = 0;
  refresh_indices();
}

namespace {
template <class Map>
std::optional<std::size_t> find_in(const Map& m, std::string_view id) {
  auto it = m.find(std::string(id));
  if (it == m.end()) return std::nullopt;
  return it->second;
}
}  // namespace

std::optional<std::size_t> Model::metabolite_index(std::string_view id) const {
  refresh_indices();
  return find_in(metabolite_by_id_, id);
}
std::optional<std::size_t> Model::reaction_index(std::string_view id) const {
  refresh_indices();
  return find_in(reaction_by_id_, id);
}
std::optional<std::size_t> Model::gene_index(std::string_view id) const {
  refresh_indices();
  return find_in(gene_by_id_, id);
}

std::size_t Model::ensure_metabolite(const std::string& id) {
  if (auto i = metabolite_index(id)) return *i;
  Metabolite m;
  m.id = id;
  metabolites.push_back(std::move(m));
  refresh_indices();
  return metabolites.size() - 1;
}

std::size_t Model::add_reaction(Reaction r) {
  reactions.push_back(std::move(r));
  refresh_indices();
  return reactions.size() - 1;
}

std::size_t Model::ensure_gene(const std::string& id) {
  if (auto i = gene_index(id)) return *i;
  genes.push_back({id, {}});
  refresh_indices();
  return genes.size() - 1;
}

bool Model::has_atom_maps(Element e) const { return atom_mapped_reactions(e) > 0; }

std::size_t Model::atom_mapped_reactions(Element e) const {
  std::size_t n = 0;
  for (const auto& r : reactions)
    if (r.has_atom_map(e)) ++n;
  return n;
}

void infer_atom_counts(Model& model) {
  for (const auto& r : model.reactions) {
    for (const auto* side : {&r.reactants, &r.products}) {
      for (const auto& p : *side) {
        if (p.metabolite >= model.metabolites.size()) continue;
        auto& m = model.metabolites[p.metabolite];
        for (std::size_t e = 0; e < kElementCount; ++e)
          if (m.atoms[e] == 0 && !p.atoms[e].empty()) m.atoms[e] = static_cast<int>(p.atoms[e].size());
      }
    }
  }
}

std::vector<bool> unbalanced_by_topology(const Model& model) {
  std::vector<bool> produced(model.metabolites.size(), false), consumed(model.metabolites.size(), false);
  for (const auto& r : model.reactions) {
    for (const auto& p : r.reactants)
      if (p.metabolite < consumed.size()) consumed[p.metabolite] = true;
    for (const auto& p : r.products)
      if (p.metabolite < produced.size()) produced[p.metabolite] = true;
  }
  std::vector<bool> out(model.metabolites.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = !produced[i] || !consumed[i];
  return out;
}

// ---------------------------------------------------------------------------
// Fragments

Result<FragmentSpec> parse_fragment(std::string_view text) {
  using R = Result<FragmentSpec>;
  auto fail = [&](const std::string& msg) {
    return R::failure({Diagnostic{Severity::error, {}, 0, 0, {}, "fragment \"" + std::string(text) + "\": " + msg}});
  };
  FragmentSpec f;
  const auto open = text.find('[');
  if (open == std::string_view::npos) {
    if (text.empty()) return fail("empty");
    f.metabolite = std::string(text);
    return R::success(std::move(f));
  }
  if (text.back() != ']') return fail("'[' without a closing ']' at the end");
  f.metabolite = std::string(text.substr(0, open));
  if (f.metabolite.empty()) return fail("no metabolite before '['");
  std::string_view inner = text.substr(open + 1, text.size() - open - 2);
  std::size_t start = 0;
  while (start <= inner.size()) {
    std::size_t end = inner.find(',', start);
    if (end == std::string_view::npos) end = inner.size();
    const std::string_view part = inner.substr(start, end - start);
    const auto dash = part.find('-');
    auto number = [](std::string_view s, int& out) {
      if (s.empty() || s.size() > 4) return false;
      out = 0;
      for (char c : s) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
        out = out * 10 + (c - '0');
      }
      return out > 0;
    };
    int a = 0, b = 0;
    if (dash == std::string_view::npos) {
      if (!number(part, a)) return fail("atom position '" + std::string(part) + "' is not a positive number");
      b = a;
    } else if (!number(part.substr(0, dash), a) || !number(part.substr(dash + 1), b) || b < a) {
      return fail("atom range '" + std::string(part) + "' must read first-last with first <= last");
    }
    for (int k = a; k <= b; ++k) f.atoms.push_back(k);
    if (end == inner.size()) break;
    start = end + 1;
  }
  std::sort(f.atoms.begin(), f.atoms.end());
  if (std::adjacent_find(f.atoms.begin(), f.atoms.end()) != f.atoms.end()) return fail("an atom is listed twice");
  return R::success(std::move(f));
}

std::string format_fragment(const FragmentSpec& f) {
  if (f.atoms.empty()) return f.metabolite;
  std::string out = f.metabolite + "[";
  for (std::size_t k = 0; k < f.atoms.size(); ++k) {
    if (k) out += ',';
    out += std::to_string(f.atoms[k]);
  }
  return out + "]";
}

// ---------------------------------------------------------------------------
// GPR rules

namespace {

struct GprParser {
  std::string_view text;
  std::size_t pos = 0;
  std::string error;
  std::size_t error_column = 0;

  void skip_space() {
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
  }
  bool fail(std::string message) {
    if (error.empty()) {
      error = std::move(message);
      error_column = pos + 1;
    }
    return false;
  }
  static bool is_word_char(char c) {
    return !std::isspace(static_cast<unsigned char>(c)) && c != '(' && c != ')';
  }
  std::string_view peek_word() {
    skip_space();
    std::size_t end = pos;
    while (end < text.size() && is_word_char(text[end])) ++end;
    return text.substr(pos, end - pos);
  }
  static bool is_operator(std::string_view w, std::string_view op) {
    if (w.size() != op.size()) return false;
    for (std::size_t i = 0; i < w.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(w[i])) != op[i]) return false;
    return true;
  }
  bool term(GprNode& out) {
    skip_space();
    if (pos >= text.size()) return fail("expected a gene id or '(' but the rule ends");
    if (text[pos] == '(') {
      ++pos;
      if (!any_of(out)) return false;
      skip_space();
      if (pos >= text.size() || text[pos] != ')') return fail("expected ')'");
      ++pos;
      return true;
    }
    if (text[pos] == ')') return fail("unexpected ')'");
    std::string_view w = peek_word();
    if (is_operator(w, "and") || is_operator(w, "or"))
      return fail("expected a gene id but found the operator '" + std::string(w) + "'");
    pos += w.size();
    out.kind = GprNode::Kind::gene;
    out.gene = std::string(w);
    return true;
  }
  // a chain of `sub` joined by `op`, flattened into one node of `kind`
  template <class Sub>
  bool chain(GprNode& out, std::string_view op, GprNode::Kind kind, Sub sub) {
    GprNode first;
    if (!(this->*sub)(first)) return false;
    std::vector<GprNode> items;
    items.push_back(std::move(first));
    for (;;) {
      const std::size_t save = pos;
      std::string_view w = peek_word();
      if (!is_operator(w, op)) {
        pos = save;
        break;
      }
      pos += w.size();
      GprNode next;
      if (!(this->*sub)(next)) return false;
      items.push_back(std::move(next));
    }
    if (items.size() == 1) {
      out = std::move(items.front());
      return true;
    }
    out.kind = kind;
    for (auto& it : items) {
      if (it.kind == kind) for (auto& c : it.children) out.children.push_back(std::move(c));
      else out.children.push_back(std::move(it));
    }
    return true;
  }
  bool all_of(GprNode& out) { return chain(out, "and", GprNode::Kind::all_of, &GprParser::term); }
  bool any_of(GprNode& out) { return chain(out, "or", GprNode::Kind::any_of, &GprParser::all_of); }
};

void collect_genes(const GprNode& n, std::vector<std::string>& out) {
  if (n.kind == GprNode::Kind::gene) {
    if (std::find(out.begin(), out.end(), n.gene) == out.end()) out.push_back(n.gene);
    return;
  }
  for (const auto& c : n.children) collect_genes(c, out);
}

}  // namespace

Result<std::optional<GprNode>> parse_gpr(std::string_view rule) {
  using R = Result<std::optional<GprNode>>;
  GprParser p;
  p.text = rule;
  p.skip_space();
  if (p.pos == rule.size()) return R::success(std::nullopt);
  GprNode root;
  bool ok = p.any_of(root);
  if (ok) {
    p.skip_space();
    if (p.pos < rule.size())
      ok = p.fail(rule[p.pos] == ')' ? std::string("unexpected ')'")
                                     : "expected 'and', 'or' or ')' but found '" + std::string(p.peek_word()) + "'");
  }
  if (!ok) {
    Diagnostic d;
    d.column = static_cast<int>(p.error_column);
    d.message = "GPR rule \"" + std::string(rule) + "\": " + p.error;
    return R::failure({d});
  }
  return R::success(std::move(root));
}

std::string format_gpr(const GprNode& node) {
  if (node.kind == GprNode::Kind::gene) return node.gene;
  const char* op = node.kind == GprNode::Kind::all_of ? " and " : " or ";
  std::string out;
  for (const auto& c : node.children) {
    if (!out.empty()) out += op;
    if (c.kind == GprNode::Kind::gene) {
      out += c.gene;
    } else {
      out += '(';
      out += format_gpr(c);
      out += ')';
    }
  }
  return out;
}

Result<std::vector<std::string>> gpr_genes(std::string_view rule) {
  auto parsed = parse_gpr(rule);
  if (!parsed) return Result<std::vector<std::string>>::failure(parsed.diagnostics());
  std::vector<std::string> genes;
  if (parsed.value()) collect_genes(*parsed.value(), genes);
  return Result<std::vector<std::string>>::success(std::move(genes));
}

// ---------------------------------------------------------------------------
// Validation

namespace {

std::string fmt_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void check_atom_maps(const Model& model, const Reaction& r, Diagnostics& d) {
  const std::string ctx = "reaction '" + r.id + "'";
  for (Element e : kElements) {
    if (!r.has_atom_map(e)) continue;
    const auto ei = static_cast<std::size_t>(e);
    const std::string el(element_symbol(e));
    std::map<char, int> reactant_labels, product_labels;
    bool reactant_atoms = false, product_atoms = false;
    auto scan = [&](const std::vector<Participant>& side, std::map<char, int>& labels, bool& any,
                    const char* side_name) {
      for (const auto& p : side) {
        if (p.metabolite >= model.metabolites.size()) continue;
        const auto& m = model.metabolites[p.metabolite];
        const auto& atoms = p.atoms[ei];
        if (static_cast<int>(atoms.size()) != m.atoms[ei]) {
          d.error(el + " atom string \"" + atoms + "\" of " + side_name + " '" + m.id + "' has " +
                      std::to_string(atoms.size()) + " atoms but the metabolite has " +
                      std::to_string(m.atoms[ei]) + " " + el + " atoms",
                  0, 0, ctx);
        }
        if (!atoms.empty() && p.coefficient != 1.0) {
          d.error("atom-mapped " + std::string(side_name) + " '" + m.id + "' has coefficient " +
                      fmt_number(p.coefficient) +
                      "; write each occurrence separately with its own atom string",
                  0, 0, ctx);
        }
        for (char c : atoms) {
          any = true;
          if (++labels[c] == 2)
            d.error(el + " atom label '" + std::string(1, c) + "' appears more than once among the " +
                        side_name + "s",
                    0, 0, ctx);
        }
      }
    };
    scan(r.reactants, reactant_labels, reactant_atoms, "reactant");
    scan(r.products, product_labels, product_atoms, "product");
    if (reactant_atoms && product_atoms) {
      for (const auto& [c, n] : product_labels)
        if (!reactant_labels.count(c))
          d.error(el + " atoms are not conserved: product atom '" + std::string(1, c) +
                      "' has no source among the reactants",
                  0, 0, ctx);
      // atoms may leave to products the model does not track (mfapy allows it)
      for (const auto& [c, n] : reactant_labels)
        if (!product_labels.count(c))
          d.warning(el + " reactant atom '" + std::string(1, c) + "' goes to no product", 0, 0, ctx);
    }
    if (e == Element::H) {
      for (const std::string* labels : {&r.leak, &r.equivalent})
        for (char c : *labels)
          if (!reactant_labels.count(c) && !product_labels.count(c))
            d.error("hydrogen label '" + std::string(1, c) + "' in '" +
                        (labels == &r.leak ? "leak" : "equiv") + "' is not an atom of the reaction",
                    0, 0, ctx);
    }
  }
}

}  // namespace

std::vector<Diagnostic> Model::validate(const std::string& source) const {
  Diagnostics d(source);
  std::set<std::string> seen;
  for (const auto& m : metabolites) {
    if (m.id.empty()) d.error("a metabolite has an empty id");
    else if (!seen.insert(m.id).second) d.error("duplicate metabolite id '" + m.id + "'");
    for (std::size_t e = 0; e < kElementCount; ++e)
      if (m.atoms[e] < 0)
        d.error("negative " + std::string(element_symbol(kElements[e])) + " atom count",
                0, 0, "metabolite '" + m.id + "'");
  }
  seen.clear();
  for (const auto& r : reactions) {
    const std::string ctx = "reaction '" + r.id + "'";
    if (r.id.empty()) d.error("a reaction has an empty id");
    else if (!seen.insert(r.id).second) d.error("duplicate reaction id '" + r.id + "'");
    if (std::isnan(r.lower_bound) || std::isnan(r.upper_bound))
      d.error("flux bound is not a number", 0, 0, ctx);
    else if (r.lower_bound > r.upper_bound)
      d.error("lower bound " + fmt_number(r.lower_bound) + " exceeds upper bound " +
                  fmt_number(r.upper_bound),
              0, 0, ctx);
    else if (r.lower_bound == INFINITY || r.upper_bound == -INFINITY)  // no flux value meets such a bound
      d.error("bounds [" + fmt_number(r.lower_bound) + ", " + fmt_number(r.upper_bound) +
                  "] admit no flux: a lower bound of +inf or an upper bound of -inf",
              0, 0, ctx);
    if (std::isnan(r.exchange_lower_bound) || std::isnan(r.exchange_upper_bound) ||
        r.exchange_lower_bound < 0 || r.exchange_lower_bound > r.exchange_upper_bound)
      d.error("exchange flux bounds [" + fmt_number(r.exchange_lower_bound) + ", " +
                  fmt_number(r.exchange_upper_bound) + "] must satisfy 0 <= lower <= upper",
              0, 0, ctx);
    if (!std::isfinite(r.objective_coefficient))
      d.error("objective coefficient is not finite", 0, 0, ctx);
    if (r.reactants.empty() && r.products.empty()) d.error("reaction has no metabolites", 0, 0, ctx);
    for (const auto* side : {&r.reactants, &r.products})
      for (const auto& p : *side) {
        if (p.metabolite >= metabolites.size()) {
          d.error("unknown metabolite (index " + std::to_string(p.metabolite) + ")", 0, 0, ctx);
        } else if (!(p.coefficient > 0) || !std::isfinite(p.coefficient)) {
          d.error("metabolite '" + metabolites[p.metabolite].id + "' has coefficient " +
                      fmt_number(p.coefficient) + "; coefficients must be positive and finite",
                  0, 0, ctx);
        }
      }
    check_atom_maps(*this, r, d);
    if (!r.gpr.empty()) {
      auto genes_in_rule = gpr_genes(r.gpr);
      if (!genes_in_rule) {
        for (auto diag : genes_in_rule.diagnostics()) d.error(diag.message, 0, diag.column, ctx);
      } else {
        for (const auto& g : genes_in_rule.value())
          if (!gene_index(g)) d.warning("GPR names gene '" + g + "', which the model does not list", 0, 0, ctx);
      }
    }
  }
  seen.clear();
  for (const auto& g : genes) {
    if (g.id.empty()) d.error("a gene has an empty id");
    else if (!seen.insert(g.id).second) d.error("duplicate gene id '" + g.id + "'");
  }
  for (const auto& spec : measured) {
    auto f = parse_fragment(spec);
    if (!f) d.error(f.diagnostics().front().message, 0, 0, "measured");
    else if (!metabolite_index(f.value().metabolite))
      d.error("measured metabolite '" + f.value().metabolite + "' is not in the model", 0, 0, "measured");
  }
  return d.items();
}

}  // namespace fluxion
