// SBML Level 3 with the FBC v2 package, through libsbml, following cobrapy's
// conventions: R_/M_/G_ prefixes stripped and __<code>__ escapes decoded on read and
// restored on write; bounds as parameters; GPRs as geneProductAssociation trees.
// FBC v1 documents are converted to v2 by libsbml first (with a warning).
#include <sbml/SBMLTypes.h>
#include <sbml/conversion/ConversionProperties.h>
#include <sbml/packages/fbc/common/FbcExtensionTypes.h>

#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <set>

#include "fluxion/io/model_io.hpp"
#include "text.hpp"

namespace fluxion::io {

using namespace detail;

namespace {

// "R_glc__D_e" -> "glc__D_e"; "M_h__45__x" -> "h-x"
std::string decode_id(const std::string& id, char prefix) {
  std::string s = id;
  if (s.size() > 2 && s[0] == prefix && s[1] == '_') s = s.substr(2);
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (s.compare(i, 2, "__") == 0) {
      std::size_t j = i + 2;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
      if (j > i + 2 && j + 1 < s.size() + 1 && s.compare(j, 2, "__") == 0 && j - i - 2 <= 3) {
        out += static_cast<char>(std::stoi(s.substr(i + 2, j - i - 2)));
        i = j + 2;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

std::string encode_id(const std::string& id, char prefix) {
  std::string out;
  out += prefix;
  out += '_';
  for (unsigned char c : id) {
    if (std::isalnum(c) || c == '_') out += static_cast<char>(c);
    else out += "__" + std::to_string(static_cast<int>(c)) + "__";
  }
  return out;
}

std::string association_to_rule(const FbcAssociation* a) {
  if (!a) return {};
  if (a->isGeneProductRef()) {
    const auto* ref = static_cast<const GeneProductRef*>(a);
    return decode_id(ref->getGeneProduct(), 'G');
  }
  const bool is_and = a->isFbcAnd();
  const ListOfFbcAssociations* list = is_and ? static_cast<const FbcAnd*>(a)->getListOfAssociations()
                                             : static_cast<const FbcOr*>(a)->getListOfAssociations();
  std::string out;
  for (unsigned i = 0; i < list->size(); ++i) {
    const FbcAssociation* child = list->get(i);
    std::string part = association_to_rule(child);
    if (!child->isGeneProductRef() && list->size() > 1) part = "(" + part + ")";
    if (!out.empty()) out += is_and ? " and " : " or ";
    out += part;
  }
  return out;
}

// libsbml 5.19 (Debian 12's) reads freed memory and crashes when a gene-product association
// holds another element after its first and/or/geneProductRef (found by tests/fuzz/fuzz_sbml).
// FBC allows exactly one, so such a file is refused here, before libsbml sees it: every
// element named geneProductAssociation (any prefix) must hold at most one element. A file
// with associations must also be well-formed XML for this check to read it.
bool gene_associations_are_safe(std::string_view text, Diagnostics& d) {
  if (text.find("geneProductAssociation") == std::string_view::npos) return true;
  pugi::xml_document doc;
  const auto parsed = doc.load_buffer(text.data(), text.size(), pugi::parse_default);
  if (!parsed) {
    d.error(std::string("malformed XML: ") + parsed.description(), line_of_offset(text, parsed.offset), 0);
    return false;
  }
  struct Walker : pugi::xml_tree_walker {
    std::vector<std::ptrdiff_t> bad;
    bool for_each(pugi::xml_node& node) override {
      if (node.type() != pugi::node_element) return true;
      const std::string_view name = node.name();
      const auto colon = name.rfind(':');
      if (name.substr(colon == std::string_view::npos ? 0 : colon + 1) != "geneProductAssociation") return true;
      int elements = 0;
      for (const auto& c : node.children())
        if (c.type() == pugi::node_element) ++elements;
      if (elements > 1) bad.push_back(node.offset_debug());
      return true;
    }
  } walker;
  doc.traverse(walker);
  for (auto offset : walker.bad)
    d.error("a gene-product association holds more than one element; SBML's FBC package allows one (an and, an or or a "
            "geneProductRef)",
            line_of_offset(text, offset), 0);
  return walker.bad.empty();
}

}  // namespace

Result<Model> read_sbml(std::string_view text, const std::string& source) {
  Diagnostics d(source);
  if (!gene_associations_are_safe(text, d)) return Result<Model>::failure(d);
  std::unique_ptr<SBMLDocument> doc(readSBMLFromString(std::string(text).c_str()));
  if (!doc) {
    d.error("libsbml could not read the document");
    return Result<Model>::failure(d);
  }
  for (unsigned i = 0; i < doc->getNumErrors(); ++i) {
    const SBMLError* e = doc->getError(i);
    if (e->getSeverity() < LIBSBML_SEV_ERROR) continue;
    std::string msg(trim(e->getMessage()));
    for (auto& c : msg)
      if (c == '\n') c = ' ';
    // Unreadable XML is fatal; a rule violation that still leaves a usable model (an
    // id with a dash, say) is reported and tolerated, as cobrapy does.
    if (e->getSeverity() == LIBSBML_SEV_FATAL || e->getCategory() == LIBSBML_CAT_XML)
      d.error(msg, static_cast<int>(e->getLine()), static_cast<int>(e->getColumn()));
    else
      d.warning(msg, static_cast<int>(e->getLine()), static_cast<int>(e->getColumn()));
  }
  if (d.has_errors()) return Result<Model>::failure(d);
  ::Model* sm = doc->getModel();
  if (!sm) {
    d.error("the document has no <model>");
    return Result<Model>::failure(d);
  }
  if (doc->getLevel() < 3) {
    d.error("SBML level " + std::to_string(doc->getLevel()) +
            " is not supported; convert the model to SBML Level 3 with the FBC package (e.g. with cobrapy)");
    return Result<Model>::failure(d);
  }
  auto* mplug = dynamic_cast<FbcModelPlugin*>(sm->getPlugin("fbc"));
  if (mplug && mplug->getPackageVersion() == 1) {
    ConversionProperties props;
    props.addOption("convert fbc v1 to fbc v2", true);
    if (doc->convert(props) != LIBSBML_OPERATION_SUCCESS) {
      d.error("could not convert FBC version 1 to version 2");
      return Result<Model>::failure(d);
    }
    d.warning("FBC version 1 document converted to FBC version 2");
    sm = doc->getModel();
    mplug = dynamic_cast<FbcModelPlugin*>(sm->getPlugin("fbc"));
  }
  if (!mplug) d.warning("the model does not use the FBC package: no flux bounds, objective or genes");

  Model model;
  model.id = sm->getId();
  model.name = sm->getName();
  for (unsigned i = 0; i < sm->getNumCompartments(); ++i) {
    const ::Compartment* c = sm->getCompartment(i);
    model.compartments.push_back({c->getId(), c->getName()});
  }
  for (unsigned i = 0; i < sm->getNumSpecies(); ++i) {
    const Species* s = sm->getSpecies(i);
    Metabolite m;
    m.id = decode_id(s->getId(), 'M');
    m.name = s->getName();
    m.compartment = s->getCompartment();
    m.boundary = s->getBoundaryCondition();
    if (auto* sp = dynamic_cast<const FbcSpeciesPlugin*>(s->getPlugin("fbc"))) {
      if (sp->isSetChemicalFormula()) m.formula = sp->getChemicalFormula();
      if (sp->isSetCharge()) m.charge = static_cast<int>(sp->getCharge());
    }
    if (model.metabolite_index(m.id)) {
      d.error("duplicate species id '" + m.id + "'", static_cast<int>(s->getLine()), static_cast<int>(s->getColumn()));
      continue;
    }
    model.metabolites.push_back(std::move(m));
  }
  if (mplug) {
    for (unsigned i = 0; i < mplug->getNumGeneProducts(); ++i) {
      const GeneProduct* g = mplug->getGeneProduct(i);
      const std::size_t gi = model.ensure_gene(decode_id(g->getId(), 'G'));
      model.genes[gi].name = g->getName();
    }
  }
  auto param_value = [&](const std::string& pid, double fallback, const std::string& ctx, int ln) {
    if (pid.empty()) {
      d.warning("missing flux bound; using " + format_number(fallback), ln, 0, ctx);
      return fallback;
    }
    const Parameter* p = sm->getParameter(pid);
    if (!p) {
      d.error("flux bound refers to unknown parameter '" + pid + "'", ln, 0, ctx);
      return fallback;
    }
    return p->getValue();
  };
  for (unsigned i = 0; i < sm->getNumReactions(); ++i) {
    const ::Reaction* sr = sm->getReaction(i);
    const int ln = static_cast<int>(sr->getLine());
    Reaction r;
    r.id = decode_id(sr->getId(), 'R');
    const std::string ctx = "reaction '" + r.id + "'";
    r.name = sr->getName();
    auto add = [&](const SpeciesReference* ref, std::vector<Participant>& side) {
      const auto mi = model.metabolite_index(decode_id(ref->getSpecies(), 'M'));
      if (!mi) {
        d.error("unknown species '" + ref->getSpecies() + "'", static_cast<int>(ref->getLine()), 0, ctx);
        return;
      }
      const double c = ref->isSetStoichiometry() ? ref->getStoichiometry() : 1.0;
      if (c == 0) return;
      Participant p;
      p.metabolite = *mi;
      p.coefficient = std::fabs(c);
      (c > 0 ? side : (&side == &r.reactants ? r.products : r.reactants)).push_back(p);
    };
    for (unsigned k = 0; k < sr->getNumReactants(); ++k) add(sr->getReactant(k), r.reactants);
    for (unsigned k = 0; k < sr->getNumProducts(); ++k) add(sr->getProduct(k), r.products);
    if (auto* rp = dynamic_cast<const FbcReactionPlugin*>(sr->getPlugin("fbc")); rp && mplug) {
      r.lower_bound = param_value(rp->getLowerFluxBound(), sr->getReversible() ? -kDefaultFluxBound : 0.0, ctx, ln);
      r.upper_bound = param_value(rp->getUpperFluxBound(), kDefaultFluxBound, ctx, ln);
      if (rp->isSetGeneProductAssociation())
        r.gpr = association_to_rule(rp->getGeneProductAssociation()->getAssociation());
    } else {
      r.lower_bound = sr->getReversible() ? -kDefaultFluxBound : 0.0;
    }
    r.reversible = r.lower_bound < 0;
    if (model.reaction_index(r.id)) {
      d.error("duplicate reaction id '" + r.id + "'", ln, 0, ctx);
      continue;
    }
    model.add_reaction(std::move(r));
  }
  if (mplug && mplug->getNumObjectives() > 0) {
    const Objective* obj = mplug->getActiveObjective();
    if (!obj) obj = mplug->getObjective(0);
    model.objective_sense = obj->getObjectiveType() == OBJECTIVE_TYPE_MINIMIZE ? ObjectiveSense::minimize : ObjectiveSense::maximize;
    for (unsigned k = 0; k < obj->getNumFluxObjectives(); ++k) {
      const FluxObjective* fo = obj->getFluxObjective(k);
      if (auto ri = model.reaction_index(decode_id(fo->getReaction(), 'R')))
        model.reactions[*ri].objective_coefficient = fo->getCoefficient();
      else
        d.error("objective names unknown reaction '" + fo->getReaction() + "'", static_cast<int>(fo->getLine()), 0);
    }
  }
  if (d.has_errors()) return Result<Model>::failure(d);
  d.append(model.validate(source));
  if (d.has_errors()) return Result<Model>::failure(d);
  return Result<Model>::success(std::move(model), d.items());
}

namespace {

FbcAssociation* build_association(const GprNode& n, FbcPkgNamespaces* ns);

// An FbcAnd or FbcOr holding the children's associations (libsbml copies them).
template <class Junction>
FbcAssociation* build_junction(const GprNode& n, FbcPkgNamespaces* ns) {
  auto* junction = new Junction(ns);
  for (const auto& c : n.children) {
    std::unique_ptr<FbcAssociation> child(build_association(c, ns));
    junction->addAssociation(child.get());
  }
  return junction;
}

FbcAssociation* build_association(const GprNode& n, FbcPkgNamespaces* ns) {
  if (n.kind == GprNode::Kind::gene) {
    auto* ref = new GeneProductRef(ns);
    ref->setGeneProduct(encode_id(n.gene, 'G'));
    return ref;
  }
  return n.kind == GprNode::Kind::all_of ? build_junction<FbcAnd>(n, ns) : build_junction<FbcOr>(n, ns);
}

}  // namespace

Result<std::string> write_sbml(const Model& model) {
  Diagnostics d("SBML writer");
  FbcPkgNamespaces ns(3, 1, 2);
  SBMLDocument doc(&ns);
  doc.setPackageRequired("fbc", false);
  ::Model* sm = doc.createModel();
  std::string model_id = model.id.empty() ? "model" : encode_id(model.id, 'x').substr(2);
  if (std::isdigit(static_cast<unsigned char>(model_id[0]))) model_id = "_" + model_id;
  sm->setId(model_id);
  if (!model.name.empty()) sm->setName(model.name);
  auto* mplug = static_cast<FbcModelPlugin*>(sm->getPlugin("fbc"));
  mplug->setStrict(true);

  std::set<std::string> compartments;
  for (const auto& c : model.compartments) {
    ::Compartment* sc = sm->createCompartment();
    sc->setId(c.id);
    if (!c.name.empty()) sc->setName(c.name);
    sc->setConstant(true);
    compartments.insert(c.id);
  }
  for (const auto& m : model.metabolites) {
    const std::string cid = m.compartment.empty() ? "c" : m.compartment;
    if (compartments.insert(cid).second) {
      ::Compartment* sc = sm->createCompartment();
      sc->setId(cid);
      sc->setConstant(true);
    }
    Species* s = sm->createSpecies();
    s->setId(encode_id(m.id, 'M'));
    if (!m.name.empty()) s->setName(m.name);
    s->setCompartment(cid);
    s->setBoundaryCondition(m.boundary);
    s->setHasOnlySubstanceUnits(false);
    s->setConstant(false);
    auto* sp = static_cast<FbcSpeciesPlugin*>(s->getPlugin("fbc"));
    if (!m.formula.empty()) sp->setChemicalFormula(m.formula);
    if (m.charge) sp->setCharge(*m.charge);
  }
  // bound parameters: shared defaults and per-reaction values, as cobrapy writes them
  auto add_param = [&](const std::string& id, double v, const std::string& sbo) {
    Parameter* p = sm->createParameter();
    p->setId(id);
    p->setValue(v);
    p->setConstant(true);
    p->setSBOTerm(sbo);
    return id;
  };
  add_param("cobra_default_lb", -kDefaultFluxBound, "SBO:0000626");
  add_param("cobra_default_ub", kDefaultFluxBound, "SBO:0000626");
  add_param("cobra_0_bound", 0.0, "SBO:0000626");
  add_param("minus_inf", -kInfinity, "SBO:0000626");
  add_param("plus_inf", kInfinity, "SBO:0000626");
  auto bound_param = [&](const std::string& rid, double v, const char* which) -> std::string {
    if (v == -kDefaultFluxBound) return "cobra_default_lb";
    if (v == kDefaultFluxBound) return "cobra_default_ub";
    if (v == 0.0) return "cobra_0_bound";
    if (v == -kInfinity) return "minus_inf";
    if (v == kInfinity) return "plus_inf";
    return add_param(encode_id(rid, 'R') + "_" + which, v, "SBO:0000625");
  };
  for (const auto& g : model.genes) {
    GeneProduct* gp = mplug->createGeneProduct();
    gp->setId(encode_id(g.id, 'G'));
    gp->setLabel(g.id);
    if (!g.name.empty()) gp->setName(g.name);
  }
  bool atom_maps = false;
  for (const auto& r : model.reactions) {
    atom_maps = atom_maps || r.has_any_atom_map();
    ::Reaction* sr = sm->createReaction();
    sr->setId(encode_id(r.id, 'R'));
    if (!r.name.empty()) sr->setName(r.name);
    sr->setReversible(r.lower_bound < 0);
    sr->setFast(false);
    for (const auto& p : r.reactants) {
      SpeciesReference* ref = sr->createReactant();
      ref->setSpecies(encode_id(model.metabolites[p.metabolite].id, 'M'));
      ref->setStoichiometry(p.coefficient);
      ref->setConstant(true);
    }
    for (const auto& p : r.products) {
      SpeciesReference* ref = sr->createProduct();
      ref->setSpecies(encode_id(model.metabolites[p.metabolite].id, 'M'));
      ref->setStoichiometry(p.coefficient);
      ref->setConstant(true);
    }
    auto* rp = static_cast<FbcReactionPlugin*>(sr->getPlugin("fbc"));
    rp->setLowerFluxBound(bound_param(r.id, r.lower_bound, "lower_bound"));
    rp->setUpperFluxBound(bound_param(r.id, r.upper_bound, "upper_bound"));
    if (!r.gpr.empty()) {
      auto tree = parse_gpr(r.gpr);
      if (tree && tree.value()) {
        GeneProductAssociation* gpa = rp->createGeneProductAssociation();
        std::unique_ptr<FbcAssociation> a(build_association(*tree.value(), &ns));
        gpa->setAssociation(a.get());
      }
    }
  }
  Objective* obj = nullptr;
  for (const auto& r : model.reactions) {
    if (r.objective_coefficient == 0.0) continue;
    if (!obj) {  // SBML needs at least one flux objective in an objective
      obj = mplug->createObjective();
      obj->setId("obj");
      obj->setType(model.objective_sense == ObjectiveSense::minimize ? "minimize" : "maximize");
      mplug->setActiveObjectiveId("obj");
    }
    FluxObjective* fo = obj->createFluxObjective();
    fo->setReaction(encode_id(r.id, 'R'));
    fo->setCoefficient(r.objective_coefficient);
  }
  if (atom_maps) d.warning("SBML cannot hold atom maps or exchange-flux bounds; they are not written");
  SBMLWriter writer;
  std::unique_ptr<char, decltype(&free)> text(writer.writeSBMLToString(&doc), &free);
  if (!text) {
    d.error("libsbml could not write the document");
    return Result<std::string>::failure(d);
  }
  return Result<std::string>::success(std::string(text.get()), d.items());
}

}  // namespace fluxion::io
