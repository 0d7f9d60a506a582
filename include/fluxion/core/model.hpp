// Model: the metabolic network every fluxion method works on.
//
// A Model holds compartments, metabolites, reactions, genes and an objective, in the
// order they were read (that order fixes the columns of the stoichiometric matrix
// and so the order of free fluxes, kernels and network outputs). Reactions may carry
// atom transitions for isotope tracing: for each tracked element (C, H, N, O) every
// reactant and product lists its atoms as reaction-local labels, one character per
// atom; a product atom with label 'a' comes from the reactant atom labelled 'a'.
//
// The model is plain data. Readers in fluxion/io build it; validate() checks it and
// returns every problem found, naming the reaction or metabolite concerned.
#pragma once

#include <array>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fluxion/core/diagnostics.hpp"

namespace fluxion {

// Elements whose atoms can be traced through reactions.
enum class Element : int { C = 0, H = 1, N = 2, O = 3 };
inline constexpr std::size_t kElementCount = 4;
inline constexpr std::array<Element, kElementCount> kElements = {Element::C, Element::H, Element::N,
                                                                  Element::O};
std::string_view element_symbol(Element e);
std::optional<Element> element_from_symbol(std::string_view symbol);

// Per-element atom counts, indexed by static_cast<int>(Element).
using ElementCounts = std::array<int, kElementCount>;

inline constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Conventional "unbounded" flux bound of constraint-based models (cobrapy's default).
inline constexpr double kDefaultFluxBound = 1000.0;

struct Metabolite {
  std::string id;           // unique within the model
  std::string name;         // human-readable name; may be empty
  std::string compartment;  // compartment id; may be empty
  std::string formula;      // chemical formula as given (e.g. "C6H12O6"); may be empty
  std::optional<int> charge;
  ElementCounts atoms{};    // atoms tracked by atom transitions, per element (may differ
                            // from the formula: e.g. only carbon-bound hydrogens)
  bool boundary = false;    // not mass balanced: an input or output pool, SBML boundaryCondition
  bool symmetric = false;   // rotationally symmetric (succinate, fumarate): an atom order and
                            // its reverse are the same molecule
};

// One occurrence of a metabolite on one side of a reaction.
struct Participant {
  std::size_t metabolite = 0;  // index into Model::metabolites
  double coefficient = 1.0;    // > 0; the side says whether it is consumed or produced
  std::array<std::string, kElementCount> atoms;  // reaction-local atom labels per element;
                                                 // empty = no atoms of that element mapped
};

struct Reaction {
  std::string id;          // unique within the model
  std::string name;        // may be empty
  std::string subsystem;   // may be empty
  std::string gpr;         // gene-protein-reaction rule ("b0001 and (b0002 or b0003)"); may be empty
  std::vector<Participant> reactants;
  std::vector<Participant> products;
  double lower_bound = 0.0;   // net flux bounds, flux units of the model (mmol/gDW/h, or relative)
  double upper_bound = kDefaultFluxBound;
  bool reversible = false;    // has a backward direction: a net and an exchange flux
  double exchange_lower_bound = 0.0;  // exchange (min of forward and backward) flux bounds
  double exchange_upper_bound = kInfinity;
  double objective_coefficient = 0.0;
  std::string leak;        // hydrogen labels that exchange with solvent water (FluxML 'leak')
  std::string equivalent;  // labels of chemically equivalent hydrogens (FluxML 'equiv')
  bool pseudo = false;     // its reactants are not drawn from their pools: only its products
                           // are balanced (mfapy's 'pseudo' reactions, which dilute a measured
                           // pool with one of its precursors for a G-value)

  bool has_atom_map(Element e) const;
  bool has_any_atom_map() const;
};

struct Gene {
  std::string id;
  std::string name;  // may be empty
};

struct Compartment {
  std::string id;
  std::string name;  // may be empty
};

enum class ObjectiveSense { maximize, minimize };

// A linear constraint between fluxes that is not a bound on one flux (FluxML's textual
// constraints tying reactions together), kept in the syntax of constraint tables
// ("sucoasB_12 == sucoasA_12", "xch(pgi_U) == xch(pgi_12)"); `line` is where the model
// file states it (0: unknown). io::model_relations turns them into constraints.
struct FluxRelation {
  std::string expression;
  int line = 0;
};

class Model {
 public:
  std::string id;
  std::string name;
  std::vector<std::string> notes;  // free text lines carried through conversions
  std::vector<Compartment> compartments;
  std::vector<Metabolite> metabolites;
  std::vector<Reaction> reactions;
  std::vector<Gene> genes;
  ObjectiveSense objective_sense = ObjectiveSense::maximize;
  std::vector<std::string> measured;  // measured metabolites or fragments ("Ala", "Ala[2,3]"), in order
  std::vector<FluxRelation> relations;  // linear constraints beyond the bounds
  // FreeFlux's convention (its reader sets it): a product that a reaction makes without an
  // atom map (biomass side products) is left out of that metabolite's labelling balance,
  // with a warning, instead of being an error
  bool unmapped_products_ignored = false;

  // Lookups by id; nullopt when absent. Entries appended to the vectors are indexed on
  // the next lookup; after changing or removing entries call reindex().
  std::optional<std::size_t> metabolite_index(std::string_view id) const;
  std::optional<std::size_t> reaction_index(std::string_view id) const;
  std::optional<std::size_t> gene_index(std::string_view id) const;

  // Adds a metabolite (or returns the index of the existing one with that id).
  std::size_t ensure_metabolite(const std::string& id);
  std::size_t add_reaction(Reaction r);
  std::size_t ensure_gene(const std::string& id);
  void reindex() const;

  // Element counts seen on atom-mapped reactions, for every atom-mapped element.
  bool has_atom_maps(Element e) const;
  std::size_t atom_mapped_reactions(Element e) const;

  // Checks ids, references, bounds and atom transitions; returns all problems.
  // `source` names the input in the diagnostics.
  std::vector<Diagnostic> validate(const std::string& source = {}) const;

 private:
  mutable std::unordered_map<std::string, std::size_t> metabolite_by_id_;
  mutable std::unordered_map<std::string, std::size_t> reaction_by_id_;
  mutable std::unordered_map<std::string, std::size_t> gene_by_id_;
  mutable std::size_t indexed_metabolites_ = 0, indexed_reactions_ = 0, indexed_genes_ = 0;
  void refresh_indices() const;
};

// Sets Metabolite::atoms for every element a metabolite's atom strings show and that
// has no count yet (count 0), from the first atom-mapped occurrence. Unequal string
// lengths for one metabolite are left for validate() to report.
void infer_atom_counts(Model& model);

// Isotope formats (FluxML, mfapy, the reaction TSV) treat a metabolite that never
// appears as a product (an input pool) or never as a reactant (an output pool) as a
// boundary metabolite. Returns that flag per metabolite, whatever the reversibility.
std::vector<bool> unbalanced_by_topology(const Model& model);

// A measured fragment: some atoms of a metabolite, written "Ala" (all atoms), "Ala[2,3]"
// or "Ala[2-3]" (1-based positions in the metabolite's atom string of the traced element).
struct FragmentSpec {
  std::string metabolite;
  std::vector<int> atoms;  // ascending, unique; empty = all atoms
};
Result<FragmentSpec> parse_fragment(std::string_view text);
std::string format_fragment(const FragmentSpec& f);  // "Ala", "Ala[2,3]"

// A parsed gene-protein-reaction rule: a gene, or an AND (complex) / OR (isozymes) of
// sub-rules. 'and' binds tighter than 'or', as in cobrapy.
struct GprNode {
  enum class Kind { gene, all_of, any_of } kind = Kind::gene;
  std::string gene;               // Kind::gene
  std::vector<GprNode> children;  // Kind::all_of / any_of, at least two
};

// Parses a GPR rule: gene ids joined by 'and' / 'or' (any case) with parentheses. An
// empty rule gives nullopt inside a successful result. Errors name the column.
Result<std::optional<GprNode>> parse_gpr(std::string_view rule);
// Canonical text: lower-case operators, parentheses only where needed.
std::string format_gpr(const GprNode& node);
// The gene ids a rule names, in order of first appearance.
Result<std::vector<std::string>> gpr_genes(std::string_view rule);

}  // namespace fluxion
