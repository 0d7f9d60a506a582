// COBRA / BiGG JSON (cobrapy's schema v1). Non-finite bounds are the strings "inf",
// "-inf" as cobrapy writes them. A boundary (unbalanced) metabolite, which the schema
// cannot express, is kept in its notes as {"boundary": true}.
#include <nlohmann/json.hpp>

#include <cmath>

#include "fluxion/io/model_io.hpp"
#include "text.hpp"

namespace fluxion::io {

using namespace detail;
using nlohmann::json;

namespace {

std::pair<int, int> line_col(std::string_view text, std::size_t byte) {
  int line = 1, col = 1;
  for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

json bound_json(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

}  // namespace

Result<Model> read_cobra_json(std::string_view text, const std::string& source) {
  Diagnostics d(source);
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    auto [ln, col] = line_col(text, e.byte > 0 ? e.byte - 1 : 0);
    std::string msg = e.what();
    if (auto pos = msg.find("parse error"); pos != std::string::npos) msg = msg.substr(pos);
    d.error("malformed JSON: " + msg, ln, col);
    return Result<Model>::failure(d);
  } catch (const json::exception& e) {  // e.g. a number too large for a double
    d.error(std::string("malformed JSON: ") + e.what());
    return Result<Model>::failure(d);
  }
  if (!doc.is_object()) {
    d.error("the top level must be a JSON object with 'reactions', 'metabolites' and 'genes'");
    return Result<Model>::failure(d);
  }
  Model model;
  auto str = [&](const json& obj, const char* key, const std::string& where, bool required) -> std::string {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (required) d.error(std::string("missing required field '") + key + "'", 0, 0, where);
      return {};
    }
    if (!it->is_string()) {
      d.error(std::string("field '") + key + "' must be a string", 0, 0, where);
      return {};
    }
    return it->get<std::string>();
  };
  auto num = [&](const json& obj, const char* key, double fallback, const std::string& where, bool required) -> double {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (required) d.error(std::string("missing required field '") + key + "'", 0, 0, where);
      return fallback;
    }
    if (it->is_number()) return it->get<double>();
    if (it->is_string()) {
      if (auto v = parse_number(it->get<std::string>())) return *v;
    }
    d.error(std::string("field '") + key + "' must be a number (or \"inf\", \"-inf\")", 0, 0, where);
    return fallback;
  };
  auto array = [&](const char* key) -> const json* {
    auto it = doc.find(key);
    if (it == doc.end()) {
      d.error(std::string("missing required top-level field '") + key + "'");
      return nullptr;
    }
    if (!it->is_array()) {
      d.error(std::string("top-level field '") + key + "' must be an array");
      return nullptr;
    }
    return &*it;
  };
  model.id = str(doc, "id", "model", false);
  model.name = str(doc, "name", "model", false);
  if (auto it = doc.find("compartments"); it != doc.end() && it->is_object())
    for (auto& [cid, cname] : it->items()) model.compartments.push_back({cid, cname.is_string() ? cname.get<std::string>() : ""});

  if (const json* mets = array("metabolites")) {
    for (std::size_t i = 0; i < mets->size(); ++i) {
      const json& jm = (*mets)[i];
      const std::string where = "metabolites[" + std::to_string(i) + "]";
      if (!jm.is_object()) {
        d.error("must be an object", 0, 0, where);
        continue;
      }
      Metabolite m;
      m.id = str(jm, "id", where, true);
      m.name = str(jm, "name", where, false);
      m.compartment = str(jm, "compartment", where, false);
      m.formula = str(jm, "formula", where, false);
      if (auto it = jm.find("charge"); it != jm.end() && !it->is_null()) {
        const double c = it->is_number() ? it->get<double>() : 0.5;
        if (c == std::floor(c) && std::fabs(c) <= 1e6) m.charge = static_cast<int>(c);
        else d.error("field 'charge' must be an integer", 0, 0, where);
      }
      if (auto it = jm.find("notes"); it != jm.end() && it->is_object())
        if (auto b = it->find("boundary"); b != it->end() && b->is_boolean()) m.boundary = b->get<bool>();
      if (m.id.empty()) continue;
      if (model.metabolite_index(m.id)) {
        d.error("duplicate metabolite id '" + m.id + "'", 0, 0, where);
        continue;
      }
      model.metabolites.push_back(std::move(m));
    }
  }
  if (const json* genes = array("genes")) {
    for (std::size_t i = 0; i < genes->size(); ++i) {
      const json& jg = (*genes)[i];
      const std::string where = "genes[" + std::to_string(i) + "]";
      if (!jg.is_object()) {
        d.error("must be an object", 0, 0, where);
        continue;
      }
      const std::string id = str(jg, "id", where, true);
      if (id.empty()) continue;
      if (model.gene_index(id)) {
        d.error("duplicate gene id '" + id + "'", 0, 0, where);
        continue;
      }
      model.genes[model.ensure_gene(id)].name = str(jg, "name", where, false);
    }
  }
  if (const json* rxns = array("reactions")) {
    for (std::size_t i = 0; i < rxns->size(); ++i) {
      const json& jr = (*rxns)[i];
      const std::string where = "reactions[" + std::to_string(i) + "]";
      if (!jr.is_object()) {
        d.error("must be an object", 0, 0, where);
        continue;
      }
      Reaction r;
      r.id = str(jr, "id", where, true);
      const std::string ctx = r.id.empty() ? where : where + " '" + r.id + "'";
      r.name = str(jr, "name", ctx, false);
      r.lower_bound = num(jr, "lower_bound", 0.0, ctx, true);
      r.upper_bound = num(jr, "upper_bound", kDefaultFluxBound, ctx, true);
      r.reversible = r.lower_bound < 0;
      r.objective_coefficient = num(jr, "objective_coefficient", 0.0, ctx, false);
      r.gpr = str(jr, "gene_reaction_rule", ctx, false);
      r.subsystem = str(jr, "subsystem", ctx, false);
      auto it = jr.find("metabolites");
      if (it == jr.end() || !it->is_object()) {
        d.error("field 'metabolites' must be an object of metabolite id -> coefficient", 0, 0, ctx);
        continue;
      }
      for (auto& [mid, coef] : it->items()) {
        const auto mi = model.metabolite_index(mid);
        if (!mi) {
          d.error("unknown metabolite '" + mid + "'", 0, 0, ctx);
          continue;
        }
        if (!coef.is_number()) {
          d.error("coefficient of '" + mid + "' must be a number", 0, 0, ctx);
          continue;
        }
        const double c = coef.get<double>();
        if (c == 0) continue;
        Participant p;
        p.metabolite = *mi;
        p.coefficient = std::fabs(c);
        (c < 0 ? r.reactants : r.products).push_back(p);
      }
      if (!r.gpr.empty()) {
        auto genes = gpr_genes(r.gpr);
        if (genes)
          for (const auto& g : genes.value()) model.ensure_gene(g);
      }
      if (r.id.empty()) continue;
      if (model.reaction_index(r.id)) {
        d.error("duplicate reaction id '" + r.id + "'", 0, 0, where);
        continue;
      }
      model.add_reaction(std::move(r));
    }
  }
  if (d.has_errors()) return Result<Model>::failure(d);
  d.append(model.validate(source));
  if (d.has_errors()) return Result<Model>::failure(d);
  return Result<Model>::success(std::move(model), d.items());
}

Result<std::string> write_cobra_json(const Model& model) {
  Diagnostics d("COBRA JSON writer");
  json doc = json::object();
  json mets = json::array(), rxns = json::array(), genes = json::array();
  for (const auto& m : model.metabolites) {
    json jm = {{"id", m.id}, {"name", m.name}, {"compartment", m.compartment}};
    if (!m.formula.empty()) jm["formula"] = m.formula;
    if (m.charge) jm["charge"] = *m.charge;
    if (m.boundary) jm["notes"] = {{"boundary", true}};
    mets.push_back(std::move(jm));
  }
  bool atom_maps = false;
  for (const auto& r : model.reactions) {
    atom_maps = atom_maps || r.has_any_atom_map();
    json coefs = json::object();
    for (const auto& p : r.reactants) {
      auto& c = coefs[model.metabolites[p.metabolite].id];
      c = (c.is_number() ? c.get<double>() : 0.0) - p.coefficient;
    }
    for (const auto& p : r.products) {
      auto& c = coefs[model.metabolites[p.metabolite].id];
      c = (c.is_number() ? c.get<double>() : 0.0) + p.coefficient;
    }
    json jr = {{"id", r.id},
               {"name", r.name},
               {"metabolites", coefs},
               {"lower_bound", bound_json(r.lower_bound)},
               {"upper_bound", bound_json(r.upper_bound)},
               {"gene_reaction_rule", r.gpr}};
    if (r.objective_coefficient != 0.0) jr["objective_coefficient"] = r.objective_coefficient;
    if (!r.subsystem.empty()) jr["subsystem"] = r.subsystem;
    rxns.push_back(std::move(jr));
  }
  for (const auto& g : model.genes) genes.push_back({{"id", g.id}, {"name", g.name}});
  doc["metabolites"] = std::move(mets);
  doc["reactions"] = std::move(rxns);
  doc["genes"] = std::move(genes);
  doc["id"] = model.id;
  if (!model.name.empty()) doc["name"] = model.name;
  json comps = json::object();
  for (const auto& c : model.compartments) comps[c.id] = c.name;
  doc["compartments"] = std::move(comps);
  doc["version"] = "1";
  if (atom_maps) d.warning("COBRA JSON cannot hold atom maps or exchange-flux bounds; they are not written");
  if (model.objective_sense == ObjectiveSense::minimize)
    d.warning("COBRA JSON has no objective direction; the minimised objective will read back as maximised");
  return Result<std::string>::success(doc.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", d.items());
}

}  // namespace fluxion::io
