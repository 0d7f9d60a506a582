// FluxML (13CFLUX2) networks: pools, reactions with atom maps, simple flux constraints.
//
// Pools give their tracked atoms as atoms="n" (all carbon), as the ML-Flux dialect
// C="nc" H="nh", or as atoms="n" with a composition cfg="C5N1". Atom strings are letter
// strings split by position (carbons first, in the order of the composition; letter
// case carries no element meaning) or tokens "C#1@2" whose prefix names the element.
// <configuration> blocks (tracers, measurements, simulation values) are not part of the
// model and are skipped; <constraints> that bound a single flux become bounds, the others
// (fluxes tied to each other) Model::relations.
#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "fluxion/io/model_io.hpp"
#include "text.hpp"

namespace fluxion::io {

using namespace detail;

namespace {

constexpr int kMaxAtoms = 10000;  // per pool; no metabolite comes close

constexpr std::string_view kLabelAlphabet =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!$%&*-./;<=>?@[]^_`{|}~";

// Element order of a pool's atoms: composition order, each element repeated by its count.
struct PoolLayout {
  std::vector<std::pair<Element, int>> parts;  // in string order
  int total() const {
    int t = 0;
    for (auto& p : parts) t += p.second;
    return t;
  }
};

bool parse_composition(std::string_view cfg, PoolLayout& layout) {
  std::size_t i = 0;
  while (i < cfg.size()) {
    std::size_t j = i + 1;
    while (j < cfg.size() && std::islower(static_cast<unsigned char>(cfg[j]))) ++j;
    auto e = element_from_symbol(cfg.substr(i, j - i));
    if (!e) return false;
    std::size_t k = j;
    while (k < cfg.size() && std::isdigit(static_cast<unsigned char>(cfg[k]))) ++k;
    if (k == j || k - j > 4) return false;
    const int n = std::stoi(std::string(cfg.substr(j, k - j)));
    if (n > 0) layout.parts.emplace_back(*e, n);
    i = k;
  }
  return true;
}

struct Constraint {
  std::string lhs, op, rhs;
};

std::vector<Constraint> parse_constraint_text(std::string_view text) {
  std::vector<Constraint> out;
  for (auto stmt : split(text, ';')) {
    std::string s;
    for (char c : stmt)
      if (!std::isspace(static_cast<unsigned char>(c))) s += c;
    if (s.empty()) continue;
    static const char* ops[] = {"<=", ">=", "==", "=<", "=>", "=", "<", ">"};
    for (const char* op : ops) {
      auto pos = s.find(op);
      if (pos != std::string::npos) {
        out.push_back({s.substr(0, pos), op, s.substr(pos + std::string_view(op).size())});
        break;
      }
    }
    if (out.empty() || (out.back().lhs + out.back().op + out.back().rhs) != s) out.push_back({s, "", ""});
  }
  return out;
}

}  // namespace

Result<Model> read_fluxml(std::string_view text, const std::string& source) {
  Diagnostics d(source);
  pugi::xml_document doc;
  const auto parsed = doc.load_buffer(text.data(), text.size(), pugi::parse_default);
  if (!parsed) {
    const int ln = line_of_offset(text, parsed.offset);
    d.error(std::string("malformed XML: ") + parsed.description(), ln, 0);
    return Result<Model>::failure(d);
  }
  auto line_of = [&](const pugi::xml_node& n) { return line_of_offset(text, n.offset_debug()); };
  const pugi::xml_node root = doc.child("fluxml");
  if (!root) {
    d.error("the root element is <" + std::string(doc.first_child().name()) + ">, not <fluxml>", 1, 0);
    return Result<Model>::failure(d);
  }
  Model model;
  model.id = root.child("info").child_value("name");
  model.name = model.id;
  if (auto c = trim(root.child("info").child_value("comment")); !c.empty()) model.notes.emplace_back(c);
  const pugi::xml_node net = root.child("reactionnetwork");
  if (!net) {
    d.error("no <reactionnetwork> element", line_of(root), 0, "<fluxml>");
    return Result<Model>::failure(d);
  }
  std::vector<PoolLayout> layouts;
  for (const auto& pool : net.child("metabolitepools").children("pool")) {
    const std::string id = pool.attribute("id").value();
    const std::string ctx = "<pool id=\"" + id + "\">";
    if (id.empty()) {
      d.error("pool without an id", line_of(pool), 0, "<pool>");
      continue;
    }
    if (model.metabolite_index(id)) {
      d.error("duplicate pool id '" + id + "'", line_of(pool), 0, ctx);
      continue;
    }
    PoolLayout layout;
    bool per_element = false;
    for (Element e : kElements) {
      const auto attr = pool.attribute(std::string(element_symbol(e)).c_str());
      if (!attr) continue;
      per_element = true;
      auto n = parse_int(attr.value(), 0, kMaxAtoms);
      if (!n) {
        d.error(std::string(element_symbol(e)) + "=\"" + attr.value() + "\" is not a count", line_of(pool), 0, ctx);
        continue;
      }
      if (*n > 0) layout.parts.emplace_back(e, *n);
    }
    if (!per_element) {
      const auto atoms_attr = pool.attribute("atoms");
      int atoms = 0;
      if (atoms_attr) {
        auto n = parse_int(atoms_attr.value(), 0, kMaxAtoms);
        if (!n) {
          d.error(std::string("atoms=\"") + atoms_attr.value() + "\" is not a count", line_of(pool), 0, ctx);
        } else {
          atoms = *n;
        }
      }
      const std::string composition = pool.attribute("cfg").value();
      if (!composition.empty()) {
        if (!parse_composition(composition, layout))
          d.error("cfg=\"" + composition + "\" is not an element composition such as C5N1", line_of(pool), 0, ctx);
        else if (layout.total() != atoms)
          d.error("cfg=\"" + composition + "\" has " + std::to_string(layout.total()) + " atoms but atoms=\"" +
                      std::to_string(atoms) + "\"",
                  line_of(pool), 0, ctx);
      } else if (atoms > 0) {
        layout.parts.emplace_back(Element::C, atoms);
      }
    }
    Metabolite m;
    m.id = id;
    for (auto& [e, n] : layout.parts) m.atoms[static_cast<std::size_t>(e)] += n;
    if (const auto symm = pool.attribute("symm"); symm) m.symmetric = std::string(symm.value()) != "0" && !std::string(symm.value()).empty();
    model.metabolites.push_back(std::move(m));
    layouts.push_back(std::move(layout));
  }

  std::vector<int> reaction_lines;
  for (const auto& rx : net.children("reaction")) {
    Reaction r;
    r.id = rx.attribute("id").value();
    const std::string ctx = "<reaction id=\"" + r.id + "\">";
    const int ln = line_of(rx);
    if (r.id.empty()) {
      d.error("reaction without an id", ln, 0, "<reaction>");
      continue;
    }
    if (model.reaction_index(r.id)) {
      d.error("duplicate reaction id '" + r.id + "'", ln, 0, ctx);
      continue;
    }
    const std::string bidir = lower(rx.attribute("bidirectional").value());
    r.reversible = !(bidir == "false" || bidir == "0");
    r.leak = rx.attribute("leak").value();
    r.equivalent = rx.attribute("equiv").value();
    std::map<std::string, char> token_label;  // '#' notation token -> label
    bool ok = true;
    for (const auto& part : rx.children()) {
      const std::string tag = part.name();
      if (tag != "reduct" && tag != "rproduct") continue;
      const std::string mid = part.attribute("id").value();
      const auto mi = model.metabolite_index(mid);
      if (!mi) {
        d.error("unknown pool '" + mid + "' in <" + tag + ">", line_of(part), 0, ctx);
        ok = false;
        continue;
      }
      Participant p;
      p.metabolite = *mi;
      const std::string cfg = part.attribute("cfg").value();
      if (cfg.find('#') != std::string::npos) {
        for (auto tok : split(cfg, ' ')) {
          tok = trim(tok);
          if (tok.empty()) continue;
          const auto hash = tok.find('#');
          auto e = hash == std::string_view::npos ? std::nullopt : element_from_symbol(tok.substr(0, hash));
          if (!e) {
            d.error("atom token '" + std::string(tok) + "' does not start with an element (C#1@1)", line_of(part), 0, ctx);
            ok = false;
            continue;
          }
          auto [it, inserted] = token_label.emplace(std::string(tok), '\0');
          if (inserted) {
            if (token_label.size() > kLabelAlphabet.size()) {
              d.error("more than " + std::to_string(kLabelAlphabet.size()) + " atoms in one reaction", line_of(part), 0, ctx);
              ok = false;
              break;
            }
            it->second = kLabelAlphabet[token_label.size() - 1];
          }
          p.atoms[static_cast<std::size_t>(*e)] += it->second;
        }
      } else {
        const PoolLayout& layout = layouts[*mi];
        if (!cfg.empty() && static_cast<int>(cfg.size()) != layout.total()) {
          d.error("atom string \"" + cfg + "\" of '" + mid + "' has " + std::to_string(cfg.size()) +
                      " atoms but the pool has " + std::to_string(layout.total()),
                  line_of(part), 0, ctx);
          ok = false;
          continue;
        }
        std::size_t pos = 0;
        for (const auto& [e, n] : layout.parts) {
          if (cfg.empty()) break;
          p.atoms[static_cast<std::size_t>(e)] += cfg.substr(pos, static_cast<std::size_t>(n));
          pos += static_cast<std::size_t>(n);
        }
      }
      (tag == "reduct" ? r.reactants : r.products).push_back(std::move(p));
    }
    if (!ok) continue;
    model.add_reaction(std::move(r));
    reaction_lines.push_back(ln);
  }
  if (model.reactions.empty() && !d.has_errors()) d.error("the network has no reactions", line_of(net), 0, "<reactionnetwork>");

  // boundary pools and default bounds
  const auto topo = unbalanced_by_topology(model);
  for (std::size_t i = 0; i < model.metabolites.size(); ++i) model.metabolites[i].boundary = topo[i];
  for (auto& r : model.reactions) {
    bool balanced_in = false, balanced_out = false;
    for (const auto& p : r.reactants) balanced_in = balanced_in || !model.metabolites[p.metabolite].boundary;
    for (const auto& p : r.products) balanced_out = balanced_out || !model.metabolites[p.metabolite].boundary;
    r.lower_bound = (r.reversible && balanced_in && balanced_out) ? -kDefaultFluxBound : 0.0;
    r.upper_bound = kDefaultFluxBound;
  }

  // single-flux constraints become bounds
  for (const char* kind : {"net", "xch"}) {
    const bool xch = std::string_view(kind) == "xch";
    for (const auto& block : root.child("constraints").children(kind)) {
      for (const auto& c : parse_constraint_text(block.child_value("textual"))) {
        const std::string text = c.lhs + c.op + c.rhs;
        std::optional<std::size_t> ri = model.reaction_index(c.lhs);
        auto value = parse_number(c.rhs);
        std::string op = c.op;
        if (!ri || !value) {  // "1=v1" or "0.1<=v1"
          ri = model.reaction_index(c.rhs);
          value = parse_number(c.lhs);
          if (op == "<=" || op == "=<") op = ">=";
          else if (op == ">=" || op == "=>") op = "<=";
          else if (op == "<") op = ">";
          else if (op == ">") op = "<";
        }
        if (op.empty()) {
          d.error(std::string(kind) + " constraint '" + text + "' has no comparison (=, <=, >=)", line_of(block), 0, "<constraints>");
          continue;
        }
        if (!ri || !value) {  // a relation between fluxes: kept for the flux polytope
          std::string expression, unknown;
          const std::string written = c.lhs + ' ' + op + ' ' + c.rhs;
          for (std::size_t i = 0; i < written.size();) {
            const auto word = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.'; };
            if (!word(written[i])) {
              expression += written[i++];
              continue;
            }
            std::size_t j = i;
            while (j < written.size() && word(written[j])) ++j;
            const std::string token = written.substr(i, j - i);
            if (model.reaction_index(token)) expression += xch ? "xch(" + token + ")" : token;
            else {
              if (std::isalpha(static_cast<unsigned char>(token[0])) || token[0] == '_') unknown = token;  // not a number
              expression += token;
            }
            i = j;
          }
          if (!unknown.empty()) {
            d.error(std::string(kind) + " constraint '" + text + "' names '" + unknown + "', which is not a reaction", line_of(block), 0, "<constraints>");
            continue;
          }
          model.relations.push_back({expression, line_of(block)});
          continue;
        }
        auto& r = model.reactions[*ri];
        double& lo = xch ? r.exchange_lower_bound : r.lower_bound;
        double& hi = xch ? r.exchange_upper_bound : r.upper_bound;
        if (op == "=" || op == "==") lo = hi = *value;
        else if (op == "<=" || op == "=<" || op == "<") hi = *value;
        else lo = *value;
      }
    }
  }
  if (d.has_errors()) return Result<Model>::failure(d);
  append_validation(d, model, reaction_lines, "reaction");
  if (d.has_errors()) return Result<Model>::failure(d);
  return Result<Model>::success(std::move(model), d.items());
}

namespace {

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

Result<std::string> write_fluxml(const Model& model) {
  Diagnostics d("FluxML writer");
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<fluxml xmlns=\"http://www.13cflux.net/fluxml\">\n";
  out += "  <info>\n    <name>" + xml_escape(model.id) + "</name>\n    <version>1.0</version>\n";
  out += "    <comment>" + xml_escape(model.notes.empty() ? std::string() : model.notes.front()) + "</comment>\n  </info>\n";
  out += "  <reactionnetwork>\n    <metabolitepools>\n";
  for (const auto& m : model.metabolites) {
    const auto& a = m.atoms;
    const int c = a[0], h = a[1], n = a[2], o = a[3];
    out += "      <pool id=\"" + xml_escape(m.id) + "\"";
    if (n == 0 && o == 0 && h > 0) {
      out += " C=\"" + std::to_string(c) + "\" H=\"" + std::to_string(h) + "\"";
    } else if (n == 0 && o == 0 && h == 0) {
      out += " atoms=\"" + std::to_string(c) + "\"";
    } else {
      std::string comp;
      for (Element e : kElements)
        if (a[static_cast<std::size_t>(e)] > 0) comp += std::string(element_symbol(e)) + std::to_string(a[static_cast<std::size_t>(e)]);
      out += " atoms=\"" + std::to_string(c + h + n + o) + "\" cfg=\"" + comp + "\"";
    }
    if (m.symmetric) out += " symm=\"180\"";
    out += "/>\n";
  }
  out += "    </metabolitepools>\n";
  for (const auto& r : model.reactions) {
    out += "    <reaction id=\"" + xml_escape(r.id) + "\"";
    if (!r.reversible) out += " bidirectional=\"false\"";
    // relabel atoms per element with letters: FluxML letter strings are positional
    std::array<std::map<char, char>, kElementCount> relabel;
    constexpr std::string_view letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    auto label = [&](std::size_t e, char c) {
      auto [it, inserted] = relabel[e].emplace(c, '\0');
      if (inserted) {
        if (relabel[e].size() > letters.size()) {
          d.error("more than 52 " + std::string(element_symbol(kElements[e])) + " atoms cannot be written as FluxML letters", 0, 0, "reaction '" + r.id + "'");
          it->second = '?';
        } else {
          it->second = letters[relabel[e].size() - 1];
        }
      }
      return it->second;
    };
    std::string leak, equiv;
    std::string body;
    for (const auto* side : {&r.reactants, &r.products}) {
      for (const auto& p : *side) {
        std::string cfg;
        for (std::size_t e = 0; e < kElementCount; ++e)
          for (char c : p.atoms[e]) cfg += label(e, c);
        const int reps = p.coefficient >= 1 && p.coefficient <= 100 && p.coefficient == std::floor(p.coefficient)
                             ? static_cast<int>(p.coefficient)
                             : 1;
        if (reps != p.coefficient)
          d.warning("coefficient " + format_number(p.coefficient) + " of '" + model.metabolites[p.metabolite].id +
                        "' cannot be written in FluxML; written as 1", 0, 0, "reaction '" + r.id + "'");
        for (int k = 0; k < reps; ++k)
          body += std::string("      <") + (side == &r.reactants ? "reduct" : "rproduct") + " id=\"" +
                  xml_escape(model.metabolites[p.metabolite].id) + "\" cfg=\"" + xml_escape(cfg) + "\"/>\n";
      }
    }
    for (char c : r.leak) leak += label(static_cast<std::size_t>(Element::H), c);
    for (char c : r.equivalent) equiv += label(static_cast<std::size_t>(Element::H), c);
    if (!leak.empty()) out += " leak=\"" + xml_escape(leak) + "\"";
    if (!equiv.empty()) out += " equiv=\"" + xml_escape(equiv) + "\"";
    out += ">\n" + body + "    </reaction>\n";
  }
  out += "  </reactionnetwork>\n";
  // bounds that differ from what the reader assumes
  std::string net, xch;
  for (const auto& r : model.reactions) {
    bool balanced_in = false, balanced_out = false;
    for (const auto& p : r.reactants) balanced_in = balanced_in || !model.metabolites[p.metabolite].boundary;
    for (const auto& p : r.products) balanced_out = balanced_out || !model.metabolites[p.metabolite].boundary;
    const double default_lb = (r.reversible && balanced_in && balanced_out) ? -kDefaultFluxBound : 0.0;
    auto emit = [&](std::string& dst, double lo, double hi, double dlo, double dhi) {
      if (lo == hi) {
        dst += "        " + r.id + "=" + format_number(lo) + ";\n";
        return;
      }
      if (lo != dlo) dst += "        " + r.id + ">=" + format_number(lo) + ";\n";
      if (hi != dhi) dst += "        " + r.id + "<=" + format_number(hi) + ";\n";
    };
    emit(net, r.lower_bound, r.upper_bound, default_lb, kDefaultFluxBound);
    emit(xch, r.exchange_lower_bound, r.exchange_upper_bound, 0.0, kInfinity);
  }
  // relations: on exchange fluxes only (xch(...) around every id) or on net fluxes only
  for (const auto& rel : model.relations) {
    std::string e = rel.expression;
    const bool on_exchange = e.find("xch(") != std::string::npos;
    if (on_exchange) {
      std::string plain;
      for (std::size_t i = 0; i < e.size();) {
        if (e.compare(i, 4, "xch(") == 0) {
          const auto close = e.find(')', i);
          plain += e.substr(i + 4, close - i - 4);
          i = close == std::string::npos ? e.size() : close + 1;
        } else plain += e[i++];
      }
      e = plain;
    }
    if (auto eq = e.find("=="); eq != std::string::npos) e.erase(eq, 1);
    (on_exchange ? xch : net) += "        " + e + ";\n";
  }
  if (!net.empty() || !xch.empty()) {
    out += "  <constraints>\n";
    if (!net.empty()) out += "    <net>\n      <textual>\n" + xml_escape(net) + "      </textual>\n    </net>\n";
    if (!xch.empty()) out += "    <xch>\n      <textual>\n" + xml_escape(xch) + "      </textual>\n    </xch>\n";
    out += "  </constraints>\n";
  }
  out += "</fluxml>\n";
  const auto by_rule = unbalanced_by_topology(model);
  for (std::size_t i = 0; i < model.metabolites.size(); ++i)
    if (model.metabolites[i].boundary != by_rule[i])
      d.warning("metabolite '" + model.metabolites[i].id + "' is " + (by_rule[i] ? "balanced" : "a boundary metabolite") +
                " but FluxML makes only input and output pools boundary; a reader will see it differently");
  if (d.has_errors()) return Result<std::string>::failure(d);
  return Result<std::string>::success(std::move(out), d.items());
}

}  // namespace fluxion::io
