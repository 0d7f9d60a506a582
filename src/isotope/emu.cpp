#include "fluxion/isotope/emu.hpp"

#include <amd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

namespace fluxion::isotope {

double natural_heavy_abundance(Element e) {
  switch (e) {
    case Element::C: return 0.0107;
    case Element::H: return 0.000115;
    case Element::N: return 0.00364;
    case Element::O: return 0.00205;
  }
  return 0.0;
}

std::vector<Diagnostic> EmuOptions::validate() const {
  Diagnostics d("EMU options");
  std::set<std::string> seen;
  for (const auto& m : measured)
    if (!seen.insert(m).second) d.error("names '" + m + "' twice", 0, 0, "measured");
  return d.items();
}

namespace {

// One-way flux index: 2·column (forward), 2·column + 1 (backward).
struct Term {
  int flux = 0;
  double coef = 0.0;
};

// A reaction as the EMU walk sees it: one direction, with its atom strings of the
// traced element. Leak pseudo-reactions are built as such views too.
struct Step {
  int flux = 0;                         // one-way flux index
  std::vector<std::size_t> reactants;   // metabolite per occurrence
  std::vector<std::string> reactant_atoms;
  std::vector<std::size_t> products;
  std::vector<std::string> product_atoms;
  std::string equivalent;               // labels of product atoms that are interchangeable
  std::string reaction_id;
};

struct Production {
  std::size_t step = 0;
  std::size_t occurrence = 0;  // product occurrence
};

using EmuKey = std::pair<std::size_t, std::uint64_t>;  // metabolite, atom mask

}  // namespace

namespace {

struct MeasuredFragments {
  std::vector<std::size_t> metabolites;
  std::vector<std::string> names;
  std::vector<std::uint64_t> masks;
};

// The measured metabolites and fragments of one element: the options' list, else the
// model's measured metabolites that carry the element, else every inner metabolite that
// does; each with the mask of its atoms. Problems go to `d`, naming the field "measured".
MeasuredFragments measured_fragments(const Model& model, const EmuOptions& options, Diagnostics& d) {
  const Element el = options.element;
  const auto ei = static_cast<std::size_t>(el);
  MeasuredFragments out;
  std::vector<std::string> measured_ids = options.measured;
  if (measured_ids.empty()) {
    for (const auto& spec : model.measured) {
      auto f = parse_fragment(spec);
      auto mi = f ? model.metabolite_index(f.value().metabolite) : std::nullopt;
      if (mi && model.metabolites[*mi].atoms[ei] > 0) measured_ids.push_back(spec);
    }
  }
  if (measured_ids.empty())
    for (const auto& m : model.metabolites)
      if (!m.boundary && m.atoms[ei] > 0) measured_ids.push_back(m.id);
  for (const auto& spec : measured_ids) {
    auto f = parse_fragment(spec);
    if (!f) {
      d.error(f.diagnostics().front().message, 0, 0, "measured");
      continue;
    }
    auto mi = model.metabolite_index(f.value().metabolite);
    if (!mi) {
      d.error("measured metabolite '" + f.value().metabolite + "' is not in the model", 0, 0, "measured");
      continue;
    }
    const int n = model.metabolites[*mi].atoms[ei];
    if (n == 0) {
      d.error("measured metabolite '" + f.value().metabolite + "' has no " + std::string(element_symbol(el)) + " atoms", 0, 0,
              "measured");
      continue;
    }
    std::uint64_t mask = 0;
    if (f.value().atoms.empty()) mask = n == 64 ? ~0ULL : ((1ULL << n) - 1);
    for (int a : f.value().atoms) {
      if (a > n) {
        d.error("fragment '" + spec + "' names atom " + std::to_string(a) + " but '" + f.value().metabolite + "' has " +
                    std::to_string(n) + " " + std::string(element_symbol(el)) + " atoms",
                0, 0, "measured");
        continue;
      }
      mask |= 1ULL << (a - 1);
    }
    out.metabolites.push_back(*mi);
    out.names.push_back(spec);
    out.masks.push_back(mask);
  }
  return out;
}

// The one-way steps of the network for one element: both directions of every reaction
// that can run backwards, and the hydrogen leak pseudo-reactions. Problems go to `d`.
std::vector<Step> one_way_steps(const Model& model, const FluxSpace& space, Element el, Diagnostics& d) {
  const auto ei = static_cast<std::size_t>(el);
  std::vector<Step> steps;
  std::optional<std::size_t> solvent = model.metabolite_index("H");
  for (Eigen::Index col = 0; col < space.n_columns(); ++col) {
    const std::size_t ri = space.column_reaction(col);
    const Reaction& r = model.reactions[ri];
    Step fwd;
    fwd.reaction_id = r.id;
    for (const auto& p : r.reactants) {
      fwd.reactants.push_back(p.metabolite);
      fwd.reactant_atoms.push_back(p.atoms[ei]);
    }
    for (const auto& p : r.products) {
      fwd.products.push_back(p.metabolite);
      fwd.product_atoms.push_back(p.atoms[ei]);
    }
    if (el == Element::H) fwd.equivalent = r.equivalent;
    if (space.is_leak_column(col)) {
      if (el != Element::H) continue;  // leaks move hydrogen only
      // The reaction with hydrogen `leak` taken from the solvent pool and the original
      // atom released to it: label exchange with water at the reaction's intermediate.
      if (!solvent) {
        d.error("leak needs a solvent hydrogen pool named 'H'", 0, 0, "reaction '" + r.id + "'");
        continue;
      }
      std::set<char> used;
      for (const auto& a : fwd.reactant_atoms) used.insert(a.begin(), a.end());
      for (const auto& a : fwd.product_atoms) used.insert(a.begin(), a.end());
      for (char x : r.leak) {
        char fresh = 0;
        for (int c = 33; c < 127 && !fresh; ++c)
          if (!used.count(static_cast<char>(c)) && c != '(' && c != ')') fresh = static_cast<char>(c);
        used.insert(fresh);
        for (auto& a : fwd.product_atoms) std::replace(a.begin(), a.end(), x, fresh);
        fwd.reactants.push_back(*solvent);
        fwd.reactant_atoms.push_back(std::string(1, fresh));
        fwd.products.push_back(*solvent);
        fwd.product_atoms.push_back(std::string(1, x));
      }
      fwd.equivalent.clear();
    } else if (!r.has_atom_map(el)) {
      // produces nothing traceable; only matters when it produces a metabolite with atoms
      bool produces = false;
      for (const auto& p : r.products) produces = produces || model.metabolites[p.metabolite].atoms[ei] > 0;
      const bool backwards = r.reversible || r.lower_bound < 0;
      for (const auto& p : r.reactants) produces = produces || (backwards && model.metabolites[p.metabolite].atoms[ei] > 0);
      if (!produces) continue;
    }
    // a reversible reaction runs backwards only through its exchange flux or a negative net
    // flux: an in- or outflow without either (FluxML's default-bidirectional effluxes)
    // has no backward step (it would make atoms from nothing)
    const bool has_exchange = std::binary_search(space.exchange_columns().begin(), space.exchange_columns().end(), static_cast<Eigen::Index>(col));
    const bool backwards = space.is_leak_column(col) || (r.reversible && has_exchange) || r.lower_bound < 0;
    Step rev;
    if (backwards) {
      rev.reaction_id = r.id + " (backward)";
      rev.reactants = fwd.products;
      rev.reactant_atoms = fwd.product_atoms;
      rev.products = fwd.reactants;
      rev.product_atoms = fwd.reactant_atoms;
      rev.flux = static_cast<int>(2 * col + 1);
    }
    fwd.flux = static_cast<int>(2 * col);
    steps.push_back(std::move(fwd));
    if (backwards) steps.push_back(std::move(rev));
  }
  return steps;
}

}  // namespace

struct EmuModel::Impl {
  struct EmuInfo {
    std::size_t metabolite = 0;
    std::uint64_t mask = 0;
    int size = 0;
    bool substrate = false;
    // Start of this EMU's values, in units of one experiment's storage: its MIDs for all
    // experiments sit at [offset · n_experiments, + n_experiments · (size + 1)), experiment
    // by experiment. The unknowns of one level are consecutive in solve order, so a
    // level's unknowns form one row-major matrix [row][experiment][isotopologue] that is
    // solved in place.
    std::size_t offset = 0;
    int level = -1, row = -1;
  };
  struct Input {
    std::vector<int> factors;  // EMU ids to convolve
    bool direct = false;       // one substrate EMU of the level's size: read in place
  };
  struct BEntry {
    int row = 0;
    int input = 0;
  };
  // The linear system of one EMU size, A·X = −B·Y, in solve order: rows are grouped into
  // the strongly connected blocks of A's graph, blocks ordered so that a block only
  // depends on earlier ones (A is block lower triangular) and rows within a block in
  // AMD order. The LU factors are computed without pivoting on a pattern fixed at compile
  // time: A is diagonally dominant (−production on the diagonal, the same-size
  // precursors, a part of it, off it), so Gaussian elimination needs no pivoting.
  struct Level {
    int size = 0;
    std::vector<int> unknowns;  // EMU ids; row i = unknowns[i]
    std::vector<int> blocks;    // first row of each block, then n
    // A's entries, the flux terms of each, and the slot of the factor pattern it lands in
    // A's entries, in the slots of the factor pattern: the flux terms of slot s are
    // slot_terms[slot_term_ptr[s] .. slot_term_ptr[s+1]) (none for fill), plus on the
    // diagonal the drain (−production) of the row's metabolite
    std::vector<int> slot_term_ptr;
    std::vector<Term> slot_terms;
    std::vector<int> term_slot;  // the slot of each of slot_terms
    std::vector<int> row_drain;  // per row, its metabolite's drain (index into Impl::drains)
    // factor pattern by rows: [entries on earlier blocks | L | diagonal | U]
    std::vector<int> f_ptr, f_col, f_diagonal;
    // elimination program: row i applies updates[elim_ptr[i] .. elim_ptr[i+1]), in order,
    // each a_target −= a_multiplier · u_source (one flat loop per row: the trip counts
    // vary from row to row, and every loop exit costs a branch the CPU cannot predict)
    struct Update {
      int target = 0, multiplier = 0, source = 0;
    };
    std::vector<int> elim_ptr;
    std::vector<Update> updates;
    std::vector<Input> inputs;
    std::vector<BEntry> b;
    std::vector<int> b_term_ptr;
    std::vector<Term> b_terms;
  };

  Element element = Element::C;
  Eigen::Index n_columns = 0;
  Eigen::MatrixXd kernel;                  // net kernel of the flux space [n_columns × n_free_net]
  std::vector<std::vector<Term>> kernel_rows;  // nonzeros of each kernel row: (free net flux, value)
  std::vector<int> exchange_parameter;     // per column: its free exchange parameter, or −1
  std::vector<Eigen::Index> exchange_columns;
  std::vector<std::string> metabolite_ids;
  std::vector<int> metabolite_atoms;  // of the element
  std::vector<EmuInfo> emus;
  std::size_t storage = 0;            // MID values per experiment
  std::vector<int> substrate_emus;    // EMU ids, in substrate-input order
  std::size_t substrate_storage = 0;
  std::vector<Level> levels;
  std::vector<std::size_t> measured;        // metabolite of each measured fragment
  std::vector<std::string> measured_names;  // as given: "Ala", "Ala[2,3]"
  std::vector<std::uint64_t> measured_mask;
  std::vector<int> measured_emu;
  // drains: −(total production) of each metabolite with unknown EMUs, shared by the
  // diagonals of all its EMUs: terms drain_terms[drain_ptr[d] .. drain_ptr[d+1])
  std::vector<int> drain_ptr{0};
  std::vector<Term> drain_terms;
  std::vector<std::size_t> drain_metabolite;
};

namespace {

// All permutations of `positions` applied within a string of length n, as position maps.
std::vector<std::vector<int>> permutations_of(const std::vector<int>& positions, int n) {
  std::vector<std::vector<int>> out;
  std::vector<int> targets = positions;
  std::sort(targets.begin(), targets.end());
  do {
    std::vector<int> map(static_cast<std::size_t>(n));
    std::iota(map.begin(), map.end(), 0);
    for (std::size_t k = 0; k < positions.size(); ++k) map[static_cast<std::size_t>(positions[k])] = targets[k];
    out.push_back(std::move(map));
  } while (std::next_permutation(targets.begin(), targets.end()));
  return out;
}

// Strongly connected components of the graph with edges v → adj[v], each listed after
// every component it reaches (Tarjan's algorithm, iteratively, so that long chains do not
// exhaust the stack). With "row i depends on unknown j" as edge i → j, this is an order
// in which every block only depends on blocks before it.
std::vector<std::vector<int>> dependency_ordered_components(const std::vector<std::vector<int>>& adj) {
  const auto n = adj.size();
  std::vector<int> index(n, -1), low(n, 0);
  std::vector<char> on_stack(n, 0);
  std::vector<int> stack;
  std::vector<std::pair<int, std::size_t>> calls;  // vertex, next edge
  std::vector<std::vector<int>> out;
  int counter = 0;
  for (std::size_t s = 0; s < n; ++s) {
    if (index[s] >= 0) continue;
    auto visit = [&](int v) {
      index[static_cast<std::size_t>(v)] = low[static_cast<std::size_t>(v)] = counter++;
      stack.push_back(v);
      on_stack[static_cast<std::size_t>(v)] = 1;
      calls.emplace_back(v, 0);
    };
    visit(static_cast<int>(s));
    while (!calls.empty()) {
      const int v = calls.back().first;
      const auto uv = static_cast<std::size_t>(v);
      if (calls.back().second < adj[uv].size()) {
        const int w = adj[uv][calls.back().second++];
        const auto uw = static_cast<std::size_t>(w);
        if (index[uw] < 0)
          visit(w);
        else if (on_stack[uw])
          low[uv] = std::min(low[uv], index[uw]);
        continue;
      }
      if (low[uv] == index[uv]) {
        std::vector<int> component;
        int w;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[static_cast<std::size_t>(w)] = 0;
          component.push_back(w);
        } while (w != v);
        out.push_back(std::move(component));
      }
      calls.pop_back();
      if (!calls.empty()) {
        const auto u = static_cast<std::size_t>(calls.back().first);
        low[u] = std::min(low[u], low[uv]);
      }
    }
  }
  return out;
}

// The vertices of one component in an order that keeps the fill of its LU factors small
// (approximate minimum degree on the component's pattern, symmetrised by AMD itself).
std::vector<int> fill_reducing_order(std::vector<int> component, const std::vector<std::vector<int>>& adj) {
  const auto nb = component.size();
  if (nb <= 2) return component;
  std::sort(component.begin(), component.end());
  auto local = [&](int v) {
    const auto it = std::lower_bound(component.begin(), component.end(), v);
    return it != component.end() && *it == v ? static_cast<int>(it - component.begin()) : -1;
  };
  std::vector<int> ap{0}, ai;
  for (int v : component) {
    for (int w : adj[static_cast<std::size_t>(v)])
      if (const int j = local(w); j >= 0) ai.push_back(j);
    ap.push_back(static_cast<int>(ai.size()));
  }
  std::vector<int> perm(nb);
  const int status = amd_order(static_cast<int>(nb), ap.data(), ai.data(), perm.data(), nullptr, nullptr);
  if (status != AMD_OK && status != AMD_OK_BUT_JUMBLED) return component;  // any order is valid; only fill differs
  std::vector<int> out(nb);
  for (std::size_t k = 0; k < nb; ++k) out[k] = component[static_cast<std::size_t>(perm[k])];
  return out;
}

}  // namespace


namespace {

// A production term of an unknown EMU: its flux and coefficient, and the EMUs it is made of.
struct EmuTerm {
  int flux;
  double coef;
  std::vector<int> factors;  // one: same-size precursor; several: convolution
};

// What the EMU walk finds: per unknown EMU its production terms, per metabolite its total
// production (the drain of its EMUs).
struct EmuNetwork {
  std::map<int, std::vector<EmuTerm>> terms_of;
  std::map<std::size_t, std::vector<Term>> production_of;
};

// Terms with the same flux are merged.
void append_terms(const std::vector<Term>& terms, std::vector<Term>& out) {
  std::map<int, double> merged;
  for (const Term& t : terms) merged[t.flux] += t.coef;
  for (auto [f, c] : merged)
    if (c != 0.0) out.push_back({f, c});
}

// The EMU walk from the measured metabolites: every EMU their MIDs depend on, found through
// the atom maps of the steps that produce it, with its production terms. Problems go to `d`.
EmuNetwork walk_emus(const Model& model, const std::vector<Step>& steps, Element el, EmuModel::Impl& impl, Diagnostics& d) {
  EmuNetwork network;
  auto& terms_of = network.terms_of;
  auto& production_of = network.production_of;
  std::set<std::pair<std::string, std::size_t>> warned_unmapped;  // (reaction, metabolite) left out of a balance
  // which steps produce each metabolite
  std::vector<std::vector<Production>> producers(model.metabolites.size());
  std::vector<bool> drawn(model.metabolites.size(), false);  // a reactant of some step
  for (std::size_t s = 0; s < steps.size(); ++s) {
    for (std::size_t k = 0; k < steps[s].products.size(); ++k) producers[steps[s].products[k]].push_back({s, k});
    for (std::size_t m : steps[s].reactants) drawn[m] = true;
  }
  // A boundary pool that steps draw from is an input (its labelling is given); one that
  // steps only fill is an output, labelled by what makes it, like any produced pool
  // (measuring a secreted product must not read it as unlabelled substrate).
  auto is_substrate = [&](std::size_t met) { return model.metabolites[met].boundary && (drawn[met] || producers[met].empty()); };

  // EMU walk from the measured metabolites
  std::map<EmuKey, int> emu_id;
  auto& emus = impl.emus;
  std::vector<int> queue;
  auto get_emu = [&](std::size_t met, std::uint64_t mask) {
    // The atoms of a symmetric metabolite and their mirror images have one MID (its
    // production averages both orientations): one EMU for both.
    if (model.metabolites[met].symmetric) {
      const int n = impl.metabolite_atoms[met];
      std::uint64_t mirrored = 0;
      for (int i = 0; i < n; ++i)
        if (mask >> i & 1ULL) mirrored |= 1ULL << (n - 1 - i);
      mask = std::min(mask, mirrored);
    }
    auto [it, inserted] = emu_id.emplace(EmuKey{met, mask}, static_cast<int>(emus.size()));
    if (inserted) {
      EmuModel::Impl::EmuInfo info;
      info.metabolite = met;
      info.mask = mask;
      info.size = std::popcount(mask);
      info.substrate = is_substrate(met);
      emus.push_back(info);
      queue.push_back(it->second);
    }
    return it->second;
  };
  for (std::size_t k = 0; k < impl.measured.size(); ++k)
    impl.measured_emu.push_back(get_emu(impl.measured[k], impl.measured_mask[k]));

  for (std::size_t qi = 0; qi < queue.size(); ++qi) {
    const int e = queue[qi];
    const EmuModel::Impl::EmuInfo info = emus[static_cast<std::size_t>(e)];
    if (info.substrate) continue;
    const std::size_t m = info.metabolite;
    const int n_atoms = impl.metabolite_atoms[m];
    if (producers[m].empty()) {
      d.error("metabolite '" + model.metabolites[m].id + "' is needed for the simulation but no reaction produces it");
      continue;
    }
    auto& prod = production_of[m];
    const bool fill_production = prod.empty();
    std::vector<EmuTerm> terms;
    for (const Production& pr : producers[m]) {
      const Step& st = steps[pr.step];
      const std::string& patoms = st.product_atoms[pr.occurrence];
      if (patoms.empty() && model.unmapped_products_ignored) {
        if (warned_unmapped.insert({st.reaction_id, m}).second)
          d.warning("produces '" + model.metabolites[m].id + "' without an atom map: left out of its labelling balance (FreeFlux's convention)", 0, 0,
                  "reaction '" + st.reaction_id + "'");
        continue;
      }
      if (static_cast<int>(patoms.size()) != n_atoms) {
        d.error("produces '" + model.metabolites[m].id + "' without an atom map for its " +
                    std::to_string(n_atoms) + " " + std::string(element_symbol(el)) + " atoms",
                0, 0, "reaction '" + st.reaction_id + "'");
        continue;
      }
      if (fill_production) prod.push_back({st.flux, 1.0});
      // alternative atom orders of the product: symmetry and equivalent atoms
      std::vector<std::vector<int>> alts{std::vector<int>(static_cast<std::size_t>(n_atoms))};
      std::iota(alts[0].begin(), alts[0].end(), 0);
      if (!st.equivalent.empty()) {
        std::vector<int> positions;
        for (int i = 0; i < n_atoms; ++i)
          if (st.equivalent.find(patoms[static_cast<std::size_t>(i)]) != std::string::npos) positions.push_back(i);
        if (positions.size() > 1) alts = permutations_of(positions, n_atoms);
      }
      if (model.metabolites[m].symmetric) {
        const std::size_t base = alts.size();
        for (std::size_t a = 0; a < base; ++a) {
          std::vector<int> reversed(alts[a].rbegin(), alts[a].rend());
          alts.push_back(std::move(reversed));
        }
      }
      const double weight = 1.0 / static_cast<double>(alts.size());
      for (const auto& alt : alts) {
        std::map<std::size_t, std::uint64_t> groups;  // reactant occurrence -> mask
        bool ok = true;
        for (int i = 0; i < n_atoms && ok; ++i) {
          if (!(info.mask >> i & 1ULL)) continue;
          const char label = patoms[static_cast<std::size_t>(alt[static_cast<std::size_t>(i)])];
          bool found = false;
          for (std::size_t j = 0; j < st.reactants.size() && !found; ++j) {
            const auto pos = st.reactant_atoms[j].find(label);
            if (pos != std::string::npos) {
              groups[j] |= 1ULL << pos;
              found = true;
            }
          }
          if (!found) {
            d.error("product atom '" + std::string(1, label) + "' of '" + model.metabolites[m].id + "' has no source",
                    0, 0, "reaction '" + st.reaction_id + "'");
            ok = false;
          }
        }
        if (!ok) continue;
        EmuTerm t{st.flux, weight, {}};
        for (const auto& [j, mask] : groups) t.factors.push_back(get_emu(st.reactants[j], mask));
        std::sort(t.factors.begin(), t.factors.end());
        terms.push_back(std::move(t));
      }
    }
    terms_of[e] = std::move(terms);
  }
  return network;
}

// Each unknown EMU on the level of its size (its row set later); the substrate EMUs apart.
void assign_levels(EmuModel::Impl& impl) {
  auto& emus = impl.emus;
  int max_size = 0;
  for (const auto& info : emus) max_size = std::max(max_size, info.size);
  impl.levels.resize(static_cast<std::size_t>(max_size));
  for (int s = 0; s < max_size; ++s) impl.levels[static_cast<std::size_t>(s)].size = s + 1;
  for (std::size_t e = 0; e < emus.size(); ++e) {
    auto& info = emus[e];
    if (info.substrate) {
      impl.substrate_emus.push_back(static_cast<int>(e));
      continue;
    }
    auto& level = impl.levels[static_cast<std::size_t>(info.size - 1)];
    info.level = info.size - 1;
    level.unknowns.push_back(static_cast<int>(e));
  }
}

// One level's system A(v)·X = −B(v)·Y compiled for the simulator: the rows and inputs of its
// EMUs, a solve order (dependency-ordered blocks, AMD within each), the symbolic LU pattern
// without pivoting, the slots and terms of A, the drains, the elimination program and B.
void compile_level(EmuModel::Impl::Level& level, EmuModel::Impl& impl, EmuNetwork& network) {
  auto& emus = impl.emus;
  auto& terms_of = network.terms_of;
  auto& production_of = network.production_of;
  const int n = static_cast<int>(level.unknowns.size());
  const auto un = static_cast<std::size_t>(n);
  std::vector<int> row_of(emus.size(), -1);
  for (int r = 0; r < n; ++r) row_of[static_cast<std::size_t>(level.unknowns[static_cast<std::size_t>(r)])] = r;
  std::map<std::pair<int, int>, std::vector<Term>> a;  // (row, col) -> terms, rows as collected
  std::map<std::vector<int>, int> input_index;
  std::map<std::pair<int, int>, std::vector<Term>> b;  // (row, input) -> terms
  for (int row = 0; row < n; ++row) {
    const int e = level.unknowns[static_cast<std::size_t>(row)];
    a[{row, row}];  // the diagonal: the drain, added at assembly
    for (const EmuTerm& t : terms_of[e]) {
      if (t.factors.size() == 1 && !emus[static_cast<std::size_t>(t.factors[0])].substrate) {
        a[{row, row_of[static_cast<std::size_t>(t.factors[0])]}].push_back({t.flux, t.coef});
      } else {
        auto [it, inserted] = input_index.emplace(t.factors, static_cast<int>(level.inputs.size()));
        if (inserted) {
          const bool direct = t.factors.size() == 1;  // a substrate EMU of this size
          level.inputs.push_back({t.factors, direct});
        }
        b[{row, it->second}].push_back({t.flux, t.coef});
      }
    }
  }
  // solve order: dependency-ordered blocks, AMD order within each
  std::vector<std::vector<int>> adj(un);
  for (const auto& [key, terms] : a)
    if (key.first != key.second) adj[static_cast<std::size_t>(key.first)].push_back(key.second);
  std::vector<int> order;  // solve position -> collected row
  std::vector<int> block_of(un, 0);
  for (const auto& component : dependency_ordered_components(adj)) {
    const int block = static_cast<int>(level.blocks.size());
    level.blocks.push_back(static_cast<int>(order.size()));
    for (int v : fill_reducing_order(component, adj)) {
      block_of[order.size()] = block;
      order.push_back(v);
    }
  }
  level.blocks.push_back(n);
  std::vector<int> position(un);
  for (std::size_t k = 0; k < un; ++k) position[static_cast<std::size_t>(order[k])] = static_cast<int>(k);
  std::vector<int> unknowns(un);
  for (std::size_t k = 0; k < un; ++k) {
    unknowns[k] = level.unknowns[static_cast<std::size_t>(order[k])];
    emus[static_cast<std::size_t>(unknowns[k])].row = static_cast<int>(k);
  }
  level.unknowns = std::move(unknowns);
  std::map<std::pair<int, int>, std::vector<Term>> as;  // (row, col) in solve order
  for (auto& [key, terms] : a)
    as[{position[static_cast<std::size_t>(key.first)], position[static_cast<std::size_t>(key.second)]}] = std::move(terms);
  // symbolic LU without pivoting, block by block: row i's pattern is its own entries
  // plus the U part of every row it eliminates
  std::vector<std::vector<int>> pattern(un);
  for (int i = 0; i < n; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    std::vector<int> earlier;
    std::set<int> within{i};
    for (auto it = as.lower_bound({i, 0}); it != as.end() && it->first.first == i; ++it) {
      const int c = it->first.second;
      if (block_of[static_cast<std::size_t>(c)] < block_of[ui])
        earlier.push_back(c);
      else if (block_of[static_cast<std::size_t>(c)] == block_of[ui])
        within.insert(c);
      else
        throw std::logic_error("EMU level ordering: a block depends on a later one");
    }
    for (auto it = within.begin(); it != within.end() && *it < i; ++it)
      for (int j : pattern[static_cast<std::size_t>(*it)])
        if (j > *it) within.insert(j);
    pattern[ui] = std::move(earlier);
    pattern[ui].insert(pattern[ui].end(), within.begin(), within.end());
  }
  level.f_ptr.assign(un + 1, 0);
  level.f_diagonal.assign(un, -1);
  for (std::size_t i = 0; i < un; ++i) {
    for (int c : pattern[i]) {
      if (c == static_cast<int>(i)) level.f_diagonal[i] = static_cast<int>(level.f_col.size());
      level.f_col.push_back(c);
    }
    level.f_ptr[i + 1] = static_cast<int>(level.f_col.size());
  }
  auto slot = [&level](int i, int j) {
    const auto begin = level.f_col.begin() + level.f_ptr[static_cast<std::size_t>(i)];
    const auto end = level.f_col.begin() + level.f_ptr[static_cast<std::size_t>(i) + 1];
    return static_cast<int>(std::lower_bound(begin, end, j) - level.f_col.begin());
  };
  {
    std::vector<std::vector<Term>> slot_terms(level.f_col.size());
    for (const auto& [key, terms] : as) slot_terms[static_cast<std::size_t>(slot(key.first, key.second))] = terms;
    level.slot_term_ptr.push_back(0);
    for (const auto& terms : slot_terms) {
      append_terms(terms, level.slot_terms);
      level.term_slot.resize(level.slot_terms.size(), static_cast<int>(level.slot_term_ptr.size()) - 1);
      level.slot_term_ptr.push_back(static_cast<int>(level.slot_terms.size()));
    }
  }
  for (int e : level.unknowns) {
    const std::size_t m = emus[static_cast<std::size_t>(e)].metabolite;
    auto it = std::find(impl.drain_metabolite.begin(), impl.drain_metabolite.end(), m);
    if (it == impl.drain_metabolite.end()) {
      impl.drain_metabolite.push_back(m);
      std::vector<Term> drain;
      for (const Term& t : production_of[m]) drain.push_back({t.flux, -t.coef});
      append_terms(drain, impl.drain_terms);
      impl.drain_ptr.push_back(static_cast<int>(impl.drain_terms.size()));
      it = impl.drain_metabolite.end() - 1;
    }
    level.row_drain.push_back(static_cast<int>(it - impl.drain_metabolite.begin()));
  }
  // elimination program (row-wise Crout: for each L entry l_ik of row i in column
  // order, a_ij −= l_ik · u_kj for the entries of row k of the unit, scaled U)
  level.elim_ptr.push_back(0);
  for (int i = 0; i < n; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    for (int p = level.f_ptr[ui]; p < level.f_diagonal[ui]; ++p) {
      const int k = level.f_col[static_cast<std::size_t>(p)];
      const auto uk = static_cast<std::size_t>(k);
      if (block_of[uk] < block_of[ui]) continue;  // an entry on an earlier block: not eliminated
      for (int q = level.f_diagonal[uk] + 1; q < level.f_ptr[uk + 1]; ++q)
        level.updates.push_back({slot(i, level.f_col[static_cast<std::size_t>(q)]), p, q});
    }
    level.elim_ptr.push_back(static_cast<int>(level.updates.size()));
  }
  level.b_term_ptr.push_back(0);
  std::map<std::pair<int, int>, const std::vector<Term>*> bs;  // (input, row) in solve order
  for (const auto& [key, terms] : b) bs[{key.second, position[static_cast<std::size_t>(key.first)]}] = &terms;
  for (const auto& [key, terms] : bs) {
    level.b.push_back({key.second, key.first});
    append_terms(*terms, level.b_terms);
    level.b_term_ptr.push_back(static_cast<int>(level.b_terms.size()));
  }
}

// Where each EMU's MIDs are stored: the substrate EMUs, then each level's unknowns in solve order.
void assign_storage(EmuModel::Impl& impl) {
  auto& emus = impl.emus;
  for (int e : impl.substrate_emus) {
    auto& info = emus[static_cast<std::size_t>(e)];
    info.offset = impl.storage;
    impl.storage += static_cast<std::size_t>(info.size) + 1;
  }
  impl.substrate_storage = impl.storage;
  for (const auto& level : impl.levels)
    for (int e : level.unknowns) {
      auto& info = emus[static_cast<std::size_t>(e)];
      info.offset = impl.storage;
      impl.storage += static_cast<std::size_t>(info.size) + 1;
    }
}

}  // namespace

Result<EmuModel> EmuModel::compile(const Model& model, const FluxSpace& space, const EmuOptions& options) {
  Diagnostics d("EMU network of model '" + model.id + "' (" + std::string(element_symbol(options.element)) + ")");
  if (auto problems = options.validate(); !problems.empty()) return Result<EmuModel>::failure(problems);
  auto impl = std::make_shared<Impl>();
  const Element el = options.element;
  const auto ei = static_cast<std::size_t>(el);
  impl->element = el;
  impl->n_columns = space.n_columns();
  impl->kernel = space.net_kernel();
  impl->exchange_columns = space.exchange_columns();
  impl->kernel_rows.resize(static_cast<std::size_t>(impl->n_columns));
  for (Eigen::Index c = 0; c < impl->n_columns; ++c)
    for (Eigen::Index k = 0; k < impl->kernel.cols(); ++k)
      if (impl->kernel(c, k) != 0.0) impl->kernel_rows[static_cast<std::size_t>(c)].push_back({static_cast<int>(k), impl->kernel(c, k)});
  impl->exchange_parameter.assign(static_cast<std::size_t>(impl->n_columns), -1);
  for (std::size_t j = 0; j < impl->exchange_columns.size(); ++j)
    impl->exchange_parameter[static_cast<std::size_t>(impl->exchange_columns[j])] = static_cast<int>(impl->kernel.cols()) + static_cast<int>(j);
  for (const auto& m : model.metabolites) {
    impl->metabolite_ids.push_back(m.id);
    impl->metabolite_atoms.push_back(m.atoms[ei]);
    if (m.atoms[ei] > 63) {
      d.error("metabolite has " + std::to_string(m.atoms[ei]) + " " + std::string(element_symbol(el)) +
                  " atoms; EMU simulation handles at most 63",
              0, 0, "metabolite '" + m.id + "'");
      return Result<EmuModel>::failure(d);
    }
  }

  // measured metabolites or fragments
  {
    MeasuredFragments m = measured_fragments(model, options, d);
    impl->measured = std::move(m.metabolites);
    impl->measured_names = std::move(m.names);
    impl->measured_mask = std::move(m.masks);
  }
  if (impl->measured.empty() && !d.has_errors()) d.error("nothing to simulate: no metabolite carries atoms of this element");
  if (d.has_errors()) return Result<EmuModel>::failure(d);

  // one-way steps: both directions of every reaction that can run backwards, and the
  // hydrogen leak pseudo-reactions
  const std::vector<Step> steps = one_way_steps(model, space, options.element, d);
  if (d.has_errors()) return Result<EmuModel>::failure(d);

  // the EMU walk from the measured metabolites, then the levels by EMU size
  EmuNetwork network = walk_emus(model, steps, el, *impl, d);
  if (d.has_errors()) return Result<EmuModel>::failure(d);
  assign_levels(*impl);
  for (auto& level : impl->levels) compile_level(level, *impl, network);
  assign_storage(*impl);
  EmuModel out;
  out.impl_ = std::move(impl);
  return Result<EmuModel>::success(std::move(out), d.items());
}

Element EmuModel::element() const { return impl_->element; }
const std::vector<std::size_t>& EmuModel::measured() const { return impl_->measured; }
std::vector<std::string> EmuModel::measured_ids() const { return impl_->measured_names; }
std::vector<int> EmuModel::measured_atoms() const {
  std::vector<int> out;
  for (std::uint64_t mask : impl_->measured_mask) out.push_back(std::popcount(mask));
  return out;
}
std::size_t EmuModel::n_emus() const { return impl_->emus.size() - impl_->substrate_emus.size(); }
std::size_t EmuModel::n_substrate_emus() const { return impl_->substrate_emus.size(); }
int EmuModel::max_size() const { return static_cast<int>(impl_->levels.size()); }
std::vector<std::size_t> EmuModel::level_sizes() const {
  std::vector<std::size_t> out;
  for (const auto& l : impl_->levels) out.push_back(l.unknowns.size());
  return out;
}

namespace {

// Distribution of the number of heavy atoms among independent atoms with the given
// heavy probabilities.
void heavy_count_distribution(const std::vector<double>& p, std::vector<double>& out) {
  out.assign(p.size() + 1, 0.0);
  out[0] = 1.0;
  for (std::size_t i = 0; i < p.size(); ++i)
    for (std::size_t k = i + 1; k-- > 0;) {
      const double stay = out[k] * (1.0 - p[i]);
      if (k + 1 < out.size()) out[k + 1] += out[k] * p[i];
      out[k] = stay;
    }
}

}  // namespace

Result<EmuInputs> EmuModel::inputs(const std::vector<TracerExperiment>& experiments,
                                   const SubstrateLabelling& labelling) const {
  Diagnostics d("tracer inputs");
  const Impl& im = *impl_;
  EmuInputs out;
  out.n_experiments = static_cast<int>(experiments.size());
  out.values.reserve(im.substrate_storage * experiments.size());
  const double abundance = natural_heavy_abundance(im.element);
  auto natural_for = [&](const std::string& id) {
    for (const auto& s : labelling.natural_abundance)
      if (s == "*" || s == id) return true;
    return false;
  };
  std::vector<double> p, dist;
  for (const auto& ex : experiments) {
    for (int e : im.substrate_emus) {
      const auto& info = im.emus[static_cast<std::size_t>(e)];
      const std::string& id = im.metabolite_ids[info.metabolite];
      const int n_atoms = im.metabolite_atoms[info.metabolite];
      const double natural = natural_for(id) ? abundance : 0.0;
      std::vector<double> mid(static_cast<std::size_t>(info.size) + 1, 0.0);
      double remainder = 1.0;
      for (const auto& c : ex.components) {
        if (c.substrate != id) continue;
        auto bits = c.label.bits(im.element, n_atoms);
        if (!bits) {
          d.error(format_label(c.label) + " on '" + id + "': " + bits.diagnostics().front().message, 0, 0,
                  "experiment '" + ex.id + "'");
          continue;
        }
        p.clear();
        for (int i = 0; i < n_atoms; ++i)
          if (info.mask >> i & 1ULL) p.push_back(bits.value()[static_cast<std::size_t>(i)] ? c.purity : natural);
        heavy_count_distribution(p, dist);
        for (std::size_t k = 0; k < mid.size(); ++k) mid[k] += c.fraction * dist[k];
        remainder -= c.fraction;
      }
      if (remainder < -1e-9) d.error("the fractions of substrate '" + id + "' add up to more than 1", 0, 0, "experiment '" + ex.id + "'");
      if (remainder > 0) {
        p.assign(static_cast<std::size_t>(info.size), natural);
        heavy_count_distribution(p, dist);
        for (std::size_t k = 0; k < mid.size(); ++k) mid[k] += remainder * dist[k];
      }
      out.values.insert(out.values.end(), mid.begin(), mid.end());
    }
  }
  if (d.has_errors()) return Result<EmuInputs>::failure(d);
  return Result<EmuInputs>::success(std::move(out));
}

// ---------------------------------------------------------------------------
// Simulation
//
// Storage layout: the MIDs of an EMU for all experiments are [isotopologue][experiment],
// so that M+1 .. M+n of a level's rows form one strided block of right-hand sides. Only
// those are solved: M+0 = 1 − (M+1 + … + M+n), because every row of A·X = −B·Y balances
// (the drain equals the sum of all production terms) and every input MID sums to 1.
// Sensitivities are [parameter][isotopologue][experiment] per EMU, all columns solved.

namespace {

using Level = EmuModel::Impl::Level;

// y[0 .. m) += a · x[0 .. m)
inline void axpy(double* __restrict y, const double* __restrict x, double a, std::size_t m) {
  for (std::size_t c = 0; c < m; ++c) y[c] += a * x[c];
}

// y[0 .. m) += a[0 .. m) ⊙ b[0 .. m)
inline void add_product(double* __restrict y, const double* __restrict a, const double* __restrict b, std::size_t m) {
  for (std::size_t c = 0; c < m; ++c) y[c] += a[c] * b[c];
}

// y = the convolution (Cauchy product) of the MIDs g[f] (len[f] isotopologues each), for
// nx experiments at once: element (k, x) of each at [k · nx + x]; y has `width`
// isotopologues, zero-padded. `scratch` holds 2 · 64 · nx values.
template <std::size_t NX>
void convolve_fixed(const double* const* g, const int* len, std::size_t n, std::size_t nx_dynamic, double* y,
                    int width, double* scratch) {
  const std::size_t nx = NX > 0 ? NX : nx_dynamic;
  for (std::size_t k = 0; k < static_cast<std::size_t>(width) * nx; ++k) y[k] = 0.0;
  if (n == 1) {
    for (std::size_t k = 0; k < static_cast<std::size_t>(len[0]) * nx; ++k) y[k] = g[0][k];
    return;
  }
  const double* left = g[0];
  int have = len[0];
  for (std::size_t f = 1; f < n; ++f) {
    double* out = f + 1 == n ? y : scratch + (f % 2) * 64 * nx;
    if (f + 1 < n)
      for (std::size_t k = 0; k < static_cast<std::size_t>(have + len[f] - 1) * nx; ++k) out[k] = 0.0;
    for (int i = 0; i < have; ++i)
      for (int j = 0; j < len[f]; ++j)
        add_product(out + static_cast<std::size_t>(i + j) * nx, left + static_cast<std::size_t>(i) * nx,
                    g[f] + static_cast<std::size_t>(j) * nx, nx);
    left = out;
    have += len[f] - 1;
  }
}

void convolve(const double* const* g, const int* len, std::size_t n, std::size_t nx, double* y, int width,
              double* scratch) {
  if (nx == 1) return convolve_fixed<1>(g, len, n, nx, y, width, scratch);
  convolve_fixed<0>(g, len, n, nx, y, width, scratch);
}

// M+0 = 1 − (M+1 + … + M+n) for rows [n][width][nx]
template <std::size_t NX>
void complete_m0_fixed(double* r, std::size_t n, std::size_t width, std::size_t nx_dynamic) {
  const std::size_t nx = NX > 0 ? NX : nx_dynamic;
  for (std::size_t i = 0; i < n; ++i) {
    double* ri = r + i * width * nx;
    for (std::size_t x = 0; x < nx; ++x) {
      double s = 1.0;
      for (std::size_t k = 1; k < width; ++k) s -= ri[k * nx + x];
      ri[x] = s;
    }
  }
}

void complete_m0(double* r, std::size_t n, std::size_t width, std::size_t nx) {
  if (nx == 1) return complete_m0_fixed<1>(r, n, width, nx);
  complete_m0_fixed<0>(r, n, width, nx);
}

double eval(const Term* begin, const Term* end, const double* oneway) {
  double s = 0.0;
  for (const Term* t = begin; t != end; ++t) s += t->coef * oneway[t->flux];
  return s;
}

// The same sum with every one-way flux at 1.
double eval_at_one(const Term* begin, const Term* end) {
  double s = 0.0;
  for (const Term* t = begin; t != end; ++t) s += t->coef;
  return s;
}

// The numeric LU factors of a level in place of its assembled entries (Crout form: L
// keeps the pivots, U has a unit diagonal and is stored scaled; keeping the multipliers
// unscaled takes a multiplication off the dependency chain from one row to the next);
// false when a pivot vanishes. `inv` receives 1 / pivot.
bool eliminate(const Level& level, double* lu, double* inv) {
  const auto n = level.unknowns.size();
  const Level::Update* u = level.updates.data();
  for (std::size_t i = 0; i < n; ++i) {
    for (const Level::Update* end = level.updates.data() + level.elim_ptr[i + 1]; u != end; ++u)
      lu[u->target] -= lu[u->multiplier] * lu[u->source];
    const double d = lu[level.f_diagonal[i]];
    if (!(std::fabs(d) > 0) || !std::isfinite(d)) return false;
    const double s = 1.0 / d;
    inv[i] = s;
    for (int p = level.f_diagonal[i] + 1; p < level.f_ptr[i + 1]; ++p) lu[p] *= s;
  }
  return true;
}

// Solves A·X = R in place for right-hand sides R of m columns whose rows are `stride`
// apart, block by block: entries on earlier (already solved) blocks and L forwards
// (dividing by the pivots), then the unit U backwards. M > 0 fixes m at compile time (one experiment: 1 to 8 columns per level).
template <std::size_t M>
void solve_fixed(const Level& level, const double* lu, const double* inv, double* r, std::size_t m_dynamic,
                 std::size_t stride) {
  const int* col = level.f_col.data();
  // one row's sums: in registers when m is fixed, so that consecutive entries do not
  // wait on a store and reload of the same values
  auto row_update = [&](double* __restrict ri, int begin, int end, double scale) {
    if constexpr (M > 0) {
      double acc[M];
      for (std::size_t c = 0; c < M; ++c) acc[c] = ri[c];
      for (int p = begin; p < end; ++p) {
        const double* __restrict rk = r + static_cast<std::size_t>(col[p]) * stride;
        const double a = lu[p];
        for (std::size_t c = 0; c < M; ++c) acc[c] -= a * rk[c];
      }
      for (std::size_t c = 0; c < M; ++c) ri[c] = acc[c] * scale;
    } else {
      for (int p = begin; p < end; ++p) {
        const double* __restrict rk = r + static_cast<std::size_t>(col[p]) * stride;
        const double a = lu[p];
        for (std::size_t c = 0; c < m_dynamic; ++c) ri[c] -= a * rk[c];
      }
      if (scale != 1.0)
        for (std::size_t c = 0; c < m_dynamic; ++c) ri[c] *= scale;
    }
  };
  for (std::size_t b = 0; b + 1 < level.blocks.size(); ++b) {
    const auto first = static_cast<std::size_t>(level.blocks[b]), last = static_cast<std::size_t>(level.blocks[b + 1]);
    for (std::size_t i = first; i < last; ++i) row_update(r + i * stride, level.f_ptr[i], level.f_diagonal[i], inv[i]);
    for (std::size_t i = last; i-- > first;) row_update(r + i * stride, level.f_diagonal[i] + 1, level.f_ptr[i + 1], 1.0);
  }
}

void solve(const Level& level, const double* lu, const double* inv, double* r, std::size_t m, std::size_t stride) {
  switch (m) {
    case 1: return solve_fixed<1>(level, lu, inv, r, m, stride);
    case 2: return solve_fixed<2>(level, lu, inv, r, m, stride);
    case 3: return solve_fixed<3>(level, lu, inv, r, m, stride);
    case 4: return solve_fixed<4>(level, lu, inv, r, m, stride);
    case 5: return solve_fixed<5>(level, lu, inv, r, m, stride);
    case 6: return solve_fixed<6>(level, lu, inv, r, m, stride);
    case 7: return solve_fixed<7>(level, lu, inv, r, m, stride);
    case 8: return solve_fixed<8>(level, lu, inv, r, m, stride);
    default: return solve_fixed<0>(level, lu, inv, r, m, stride);
  }
}

}  // namespace

struct EmuSimulator::Work {
  std::shared_ptr<const EmuModel::Impl> model;
  std::vector<double> oneway, drain;
  std::vector<std::vector<double>> lu, inv;  // per level: factors and inverse pivots
  std::vector<double> storage;               // [EMU][isotopologue][experiment]
  std::vector<double> y, bval;               // convolved inputs [input][isotopologue][experiment]
  std::vector<double> dstorage, dy, dpart;   // sensitivities: [EMU][parameter][isotopologue][experiment]
  std::vector<double> scratch;
  std::vector<char> has_dy;
  std::vector<char> idle;  // per row of the level being solved: no flux produces its metabolite
  double idle_threshold = 0.0;  // production at or below this counts as none (1e-12 of the largest one-way flux)
  std::vector<int> dflux_ptr;
  std::vector<Term> dflux;  // d(one-way flux)/d(parameter) as (parameter, value) lists
  std::vector<const double*> g;
  std::vector<int> glen;
  std::string message;
};

namespace {

// One-way fluxes (forward xch + max(0, net), backward xch − min(0, net)) and each
// metabolite's drain (−total production).
void set_fluxes(EmuSimulator::Work& w, const FluxVector& v) {
  const EmuModel::Impl& im = *w.model;
  for (Eigen::Index c = 0; c < im.n_columns; ++c) {
    const double net = v.net(c), xch = v.exchange(c);
    w.oneway[static_cast<std::size_t>(2 * c)] = xch + std::max(0.0, net);
    w.oneway[static_cast<std::size_t>(2 * c + 1)] = xch - std::min(0.0, net);
  }
  double largest = 0.0;
  for (double f : w.oneway) largest = std::max(largest, std::fabs(f));
  w.idle_threshold = 1e-12 * largest;
  w.drain.resize(im.drain_metabolite.size());
  for (std::size_t dm = 0; dm < w.drain.size(); ++dm)
    w.drain[dm] = eval(im.drain_terms.data() + im.drain_ptr[dm], im.drain_terms.data() + im.drain_ptr[dm + 1], w.oneway.data());
}

// The substrate MIDs into the storage (sized for inputs.n_experiments).
void load_substrates(EmuSimulator::Work& w, const EmuInputs& inputs) {
  const EmuModel::Impl& im = *w.model;
  const auto nx = static_cast<std::size_t>(inputs.n_experiments);
  w.storage.resize(im.storage * nx);
  w.scratch.resize(2 * 64 * nx);
  for (std::size_t x = 0; x < nx; ++x) {
    const double* src = inputs.values.data() + x * im.substrate_storage;
    for (int e : im.substrate_emus) {
      const auto& info = im.emus[static_cast<std::size_t>(e)];
      double* dst = w.storage.data() + info.offset * nx + x;
      double sum = 0.0;
      for (int k = 0; k <= info.size; ++k) sum += dst[static_cast<std::size_t>(k) * nx] = *src++;
      if (!(std::fabs(sum - 1.0) <= 1e-9))  // M+0 of the unknowns is 1 − the rest: inputs must be distributions
        throw std::invalid_argument("EmuSimulator::simulate: an input MID does not sum to 1");
    }
  }
}

// A(v) of level l in its factor slots (before elimination): the flux terms, and each
// row's drain on the diagonal.
void assemble(EmuSimulator::Work& w, std::size_t l) {
  const Level& level = w.model->levels[l];
  double* lu = w.lu[l].data();
  const Term* at = level.slot_terms.data();
  std::fill(lu, lu + w.lu[l].size(), 0.0);
  for (std::size_t t = 0; t < level.slot_terms.size(); ++t) lu[level.term_slot[t]] += at[t].coef * w.oneway[static_cast<std::size_t>(at[t].flux)];
  for (std::size_t i = 0; i < level.unknowns.size(); ++i) lu[level.f_diagonal[i]] += w.drain[static_cast<std::size_t>(level.row_drain[i])];
}

// The rows of level l (assembled) whose metabolite no flux produces: at such a point the
// metabolite's balance is 0 = 0 and its labelling has no influence on anything (every flux
// that could carry it on is 0 too), but its derivatives do: a step that opens the pathway
// brings that labelling along. The row is given its limit along the direction where every
// step that can produce it runs at the same rate (its coefficients with each one-way flux
// at 1): for a metabolite made by one reaction, that reaction's input, which is the limit
// from every direction. Production below 1e-12 of the largest one-way flux counts as none
// (a flux put on its bound through the kernel lands within rounding of 0). Steady state
// only: in a time course the pool keeps the diagonal non-zero. Flags the rows in w.idle.
void define_idle_rows(EmuSimulator::Work& w, std::size_t l) {
  const EmuModel::Impl& im = *w.model;
  const Level& level = im.levels[l];
  const std::size_t n = level.unknowns.size();
  w.idle.assign(n, 0);
  double* lu = w.lu[l].data();
  const Term* at = level.slot_terms.data();
  for (std::size_t i = 0; i < n; ++i) {
    const auto dm = static_cast<std::size_t>(level.row_drain[i]);
    if (!(std::fabs(w.drain[dm]) <= w.idle_threshold)) continue;
    w.idle[i] = 1;
    for (int p = level.f_ptr[i]; p < level.f_ptr[i + 1]; ++p) {
      const auto up = static_cast<std::size_t>(p);
      double s = 0.0;
      for (int t = level.slot_term_ptr[up]; t < level.slot_term_ptr[up + 1]; ++t) s += at[t].coef;
      lu[p] = s;
    }
    for (int t = im.drain_ptr[dm]; t < im.drain_ptr[dm + 1]; ++t) lu[level.f_diagonal[i]] += im.drain_terms[static_cast<std::size_t>(t)].coef;
  }
}

// A level's inputs Y into w.y: convolutions of smaller EMUs as the storage holds them now
// (a direct substrate input is read in place).
void level_inputs(EmuSimulator::Work& w, const Level& level, std::size_t nx) {
  const EmuModel::Impl& im = *w.model;
  const int width = level.size + 1;
  const std::size_t cols = static_cast<std::size_t>(width) * nx;
  w.y.resize(level.inputs.size() * cols);
  for (std::size_t in = 0; in < level.inputs.size(); ++in) {
    const auto& input = level.inputs[in];
    if (input.direct) continue;
    if (nx == 1 && input.factors.size() == 2) {  // the common case, without the general machinery
      const auto& fa = im.emus[static_cast<std::size_t>(input.factors[0])];
      const auto& fb = im.emus[static_cast<std::size_t>(input.factors[1])];
      const double* a = w.storage.data() + fa.offset;
      const double* b = w.storage.data() + fb.offset;
      double* y = w.y.data() + in * cols;
      for (int k = 0; k < width; ++k) y[k] = 0.0;
      for (int i = 0; i <= fa.size; ++i)
        for (int j = 0; j <= fb.size; ++j) y[i + j] += a[i] * b[j];
      continue;
    }
    w.g.resize(input.factors.size());
    w.glen.resize(input.factors.size());
    for (std::size_t f = 0; f < input.factors.size(); ++f) {
      const auto& info = im.emus[static_cast<std::size_t>(input.factors[f])];
      w.g[f] = w.storage.data() + info.offset * nx;
      w.glen[f] = info.size + 1;
    }
    convolve(w.g.data(), w.glen.data(), input.factors.size(), nx, w.y.data() + in * cols, width, w.scratch.data());
  }
}

// d(one-way flux)/d(free parameter) at v: forward = xch + max(0, net), backward =
// xch − min(0, net); at net = 0 the forward branch's slope is taken.
void set_flux_derivatives(EmuSimulator::Work& w, const FluxVector& v) {
  const EmuModel::Impl& im = *w.model;
  w.dflux.clear();
  w.dflux_ptr.assign(1, 0);
  for (Eigen::Index c = 0; c < im.n_columns; ++c) {
    const auto uc = static_cast<std::size_t>(c);
    for (int dir = 0; dir < 2; ++dir) {
      const bool forward = v.net(c) >= 0;
      if ((dir == 0) == forward)
        for (const Term& t : im.kernel_rows[uc]) w.dflux.push_back({t.flux, dir == 0 ? t.coef : -t.coef});
      if (im.exchange_parameter[uc] >= 0) w.dflux.push_back({im.exchange_parameter[uc], 1.0});
      w.dflux_ptr.push_back(static_cast<int>(w.dflux.size()));
    }
  }
}

// dr = −(dA·X + dB·Y + B·dY) for a level whose values X are in the storage and inputs Y in
// w.y (level_inputs), with the smaller EMUs' derivatives in w.dstorage: rows
// [row][parameter][isotopologue][experiment], `np` parameters (those of w.dflux first).
void derivative_rhs(EmuSimulator::Work& w, const Level& level, std::size_t nx, std::size_t np, const double* bval, double* dr,
                    const char* idle_rows = nullptr) {
  const EmuModel::Impl& im = *w.model;
  const std::size_t n = level.unknowns.size();
  const int width = level.size + 1;
  const std::size_t cols = static_cast<std::size_t>(width) * nx, dcols = cols * np;
  auto emu_values = [&](int e) { return w.storage.data() + im.emus[static_cast<std::size_t>(e)].offset * nx; };
  const double* r = emu_values(level.unknowns[0]);
  auto input_values = [&](std::size_t in) -> const double* {
    const auto& input = level.inputs[in];
    return input.direct ? emu_values(input.factors[0]) : w.y.data() + in * cols;
  };
  const Term* at = level.slot_terms.data();
  const Term* bt = level.b_terms.data();
  std::fill(dr, dr + n * dcols, 0.0);
  auto add_flux_derivative = [&](const Term* begin, const Term* end, double* drow, const double* values) {
    for (const Term* t = begin; t != end; ++t)
      for (int k = w.dflux_ptr[static_cast<std::size_t>(t->flux)]; k < w.dflux_ptr[static_cast<std::size_t>(t->flux) + 1]; ++k) {
        const Term& d = w.dflux[static_cast<std::size_t>(k)];
        axpy(drow + static_cast<std::size_t>(d.flux) * cols, values, -t->coef * d.coef, cols);
      }
  };
  auto idle = [&](std::size_t i) { return idle_rows != nullptr && idle_rows[i] != 0; };  // rows with constant coefficients
  for (std::size_t i = 0; i < n; ++i) {  // dA·X
    if (idle(i)) continue;
    double* drow = dr + i * dcols;
    for (int k = level.f_ptr[i]; k < level.f_ptr[i + 1]; ++k)
      add_flux_derivative(at + level.slot_term_ptr[static_cast<std::size_t>(k)], at + level.slot_term_ptr[static_cast<std::size_t>(k) + 1],
                          drow, r + static_cast<std::size_t>(level.f_col[static_cast<std::size_t>(k)]) * cols);
    const auto dm = static_cast<std::size_t>(level.row_drain[i]);
    add_flux_derivative(im.drain_terms.data() + im.drain_ptr[dm], im.drain_terms.data() + im.drain_ptr[dm + 1], drow, r + i * cols);
  }
  for (std::size_t bi = 0; bi < level.b.size(); ++bi)  // dB·Y
    if (!idle(static_cast<std::size_t>(level.b[bi].row)))
      add_flux_derivative(bt + level.b_term_ptr[bi], bt + level.b_term_ptr[bi + 1], dr + static_cast<std::size_t>(level.b[bi].row) * dcols,
                        input_values(static_cast<std::size_t>(level.b[bi].input)));
  // B·dY: dY of each input by the product rule over its factors (substrate factors
  // have dX = 0), once per input, for every row that reads it
  w.dy.resize(level.inputs.size() * dcols);
  w.dpart.resize(cols);
  w.has_dy.assign(level.inputs.size(), 0);
  for (std::size_t in = 0; in < level.inputs.size(); ++in) {
    const auto& factors = level.inputs[in].factors;
    w.g.resize(factors.size());
    w.glen.resize(factors.size());
    double* dy = w.dy.data() + in * dcols;
    for (std::size_t fi = 0; fi < factors.size(); ++fi) {
      const auto& finfo = im.emus[static_cast<std::size_t>(factors[fi])];
      if (finfo.substrate) continue;
      if (!w.has_dy[in]) std::fill(dy, dy + dcols, 0.0);
      w.has_dy[in] = 1;
      const std::size_t fcols = (static_cast<std::size_t>(finfo.size) + 1) * nx;
      for (std::size_t f = 0; f < factors.size(); ++f) {
        w.g[f] = emu_values(factors[f]);
        w.glen[f] = im.emus[static_cast<std::size_t>(factors[f])].size + 1;
      }
      for (std::size_t p = 0; p < np; ++p) {
        w.g[fi] = w.dstorage.data() + finfo.offset * nx * np + p * fcols;
        convolve(w.g.data(), w.glen.data(), factors.size(), nx, w.dpart.data(), width, w.scratch.data());
        axpy(dy + p * cols, w.dpart.data(), 1.0, cols);
      }
    }
  }
  for (std::size_t bi = 0; bi < level.b.size(); ++bi) {
    const auto in = static_cast<std::size_t>(level.b[bi].input);
    if (bval[bi] != 0.0 && w.has_dy[in]) axpy(dr + static_cast<std::size_t>(level.b[bi].row) * dcols, w.dy.data() + in * dcols, -bval[bi], dcols);
  }
}

// The metabolites with simulated EMUs (the pools of a non-stationary simulation), ascending.
std::vector<std::size_t> pool_metabolites_of(const EmuModel::Impl& im) {
  std::vector<std::size_t> out;
  for (const auto& level : im.levels)
    for (int e : level.unknowns) out.push_back(im.emus[static_cast<std::size_t>(e)].metabolite);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// The measured EMUs' MIDs from the storage.
void write_measured(const EmuSimulator::Work& w, std::size_t nx, MidSet& out) {
  const EmuModel::Impl& im = *w.model;
  out.n_experiments = static_cast<int>(nx);
  out.offsets.resize(im.measured_emu.size());
  std::size_t block = 0;
  for (std::size_t k = 0; k < im.measured_emu.size(); ++k) {
    out.offsets[k] = block;
    block += static_cast<std::size_t>(im.emus[static_cast<std::size_t>(im.measured_emu[k])].size) + 1;
  }
  out.block = block;
  out.values.resize(block * nx);
  for (std::size_t k = 0; k < im.measured_emu.size(); ++k) {
    const auto& info = im.emus[static_cast<std::size_t>(im.measured_emu[k])];
    const auto width = static_cast<std::size_t>(info.size) + 1;
    const double* src = w.storage.data() + info.offset * nx;
    for (std::size_t x = 0; x < nx; ++x)
      for (std::size_t q = 0; q < width; ++q) out.values[x * block + out.offsets[k] + q] = src[q * nx + x];
  }
}

}  // namespace

EmuSimulator::EmuSimulator(const EmuModel& model) : work_(std::make_unique<Work>()) {
  work_->model = model.impl_;  // shared: the simulator keeps the compiled model alive
  const auto& im = *work_->model;
  work_->lu.resize(im.levels.size());
  work_->inv.resize(im.levels.size());
  for (std::size_t l = 0; l < im.levels.size(); ++l) {
    work_->lu[l].resize(im.levels[l].f_col.size());
    work_->inv[l].resize(im.levels[l].unknowns.size());
  }
  work_->oneway.resize(static_cast<std::size_t>(2 * im.n_columns));
}

EmuSimulator::~EmuSimulator() = default;
EmuSimulator::EmuSimulator(EmuSimulator&&) noexcept = default;
EmuSimulator& EmuSimulator::operator=(EmuSimulator&&) noexcept = default;

const std::string& EmuSimulator::message() const { return work_->message; }

SimulationStatus EmuSimulator::simulate(const FluxVector& v, const EmuInputs& inputs, MidSet& out,
                                        Eigen::MatrixXd* jacobian) {
  Work& w = *work_;
  const EmuModel::Impl& im = *w.model;
  const auto nx = static_cast<std::size_t>(inputs.n_experiments);
  if (v.net.size() != im.n_columns || v.exchange.size() != im.n_columns)
    throw std::invalid_argument("EmuSimulator::simulate: flux vectors must have one entry per flux-space column");
  if (inputs.n_experiments < 0 || inputs.values.size() != im.substrate_storage * nx)
    throw std::invalid_argument("EmuSimulator::simulate: inputs were made for another EMU model");
  set_fluxes(w, v);
  const double* oneway = w.oneway.data();
  // Sensitivities: d(one-way flux)/d(free parameter). Forward = xch + max(0, net),
  // backward = xch − min(0, net); at net = 0 the forward branch's slope is taken.
  const std::size_t np =
      jacobian ? static_cast<std::size_t>(im.kernel.cols()) + im.exchange_columns.size() : 0;
  if (jacobian) {
    set_flux_derivatives(w, v);
    w.dstorage.resize(im.storage * nx * np);  // every unknown's block is written before it is read
  }
  load_substrates(w, inputs);
  auto emu_values = [&](int e) { return w.storage.data() + im.emus[static_cast<std::size_t>(e)].offset * nx; };
  for (std::size_t l = 0; l < im.levels.size(); ++l) {
    const Level& level = im.levels[l];
    const std::size_t n = level.unknowns.size();
    if (n == 0) continue;
    const int width = level.size + 1;
    const auto uw = static_cast<std::size_t>(width);
    const std::size_t cols = uw * nx;  // values per row: isotopologues × experiments
    // A(v) and its factors
    double* lu = w.lu[l].data();
    assemble(w, l);
    define_idle_rows(w, l);
    for (std::size_t i = 0; i < n; ++i)  // a zero diagonal: a metabolite made only from itself
      if (!(std::fabs(lu[level.f_diagonal[i]]) > 0)) {
        w.message = "metabolite '" + im.metabolite_ids[im.emus[static_cast<std::size_t>(level.unknowns[i])].metabolite] +
                    "' is made only from itself, so its labelling is undefined";
        return SimulationStatus::singular;
      }
    double* inv = w.inv[l].data();
    if (!eliminate(level, lu, inv)) {
      w.message = "the level-" + std::to_string(level.size) +
                  " EMU system is singular: some metabolites exchange atoms only among themselves (no flux brings labelling in)";
      return SimulationStatus::singular;
    }
    // inputs Y: convolutions of smaller EMUs; substrate EMUs in place
    level_inputs(w, level, nx);
    auto input_values = [&](std::size_t in) -> const double* {
      const auto& input = level.inputs[in];
      return input.direct ? emu_values(input.factors[0]) : w.y.data() + in * cols;
    };
    // right-hand sides −B·Y (M+1 and up) into the level's rows of the storage, solved in place
    double* r = emu_values(level.unknowns[0]);
    std::fill(r, r + n * cols, 0.0);
    w.bval.resize(level.b.size());
    const Term* bt = level.b_terms.data();
    for (std::size_t bi = 0; bi < level.b.size(); ++bi) {
      const double coef = w.idle[static_cast<std::size_t>(level.b[bi].row)] ? eval_at_one(bt + level.b_term_ptr[bi], bt + level.b_term_ptr[bi + 1])
                                                                            : eval(bt + level.b_term_ptr[bi], bt + level.b_term_ptr[bi + 1], oneway);
      w.bval[bi] = coef;
      if (coef != 0.0)
        axpy(r + static_cast<std::size_t>(level.b[bi].row) * cols + nx,
             input_values(static_cast<std::size_t>(level.b[bi].input)) + nx, -coef, cols - nx);
    }
    solve(level, lu, inv, r + nx, cols - nx, cols);
    complete_m0(r, n, uw, nx);
    if (!jacobian || np == 0) continue;

    // A·dX = −(dA·X + dB·Y + B·dY) for every parameter; rows [parameter][isotopologue][experiment]
    const std::size_t dcols = cols * np;
    double* dr = w.dstorage.data() + im.emus[static_cast<std::size_t>(level.unknowns[0])].offset * nx * np;
    derivative_rhs(w, level, nx, np, w.bval.data(), dr, w.idle.data());
    solve(level, lu, inv, dr, dcols, dcols);
  }
  // measured MIDs
  write_measured(w, nx, out);
  const std::size_t block = out.block;
  if (jacobian) jacobian->resize(static_cast<Eigen::Index>(block * nx), static_cast<Eigen::Index>(np));
  for (std::size_t k = 0; jacobian && k < im.measured_emu.size(); ++k) {
    const auto& info = im.emus[static_cast<std::size_t>(im.measured_emu[k])];
    const auto width = static_cast<std::size_t>(info.size) + 1;
    for (std::size_t x = 0; x < nx; ++x)
      for (std::size_t q = 0; q < width; ++q) {
        for (std::size_t p = 0; p < np; ++p)
          (*jacobian)(static_cast<Eigen::Index>(x * block + out.offsets[k] + q), static_cast<Eigen::Index>(p)) =
              info.substrate ? 0.0 : w.dstorage[info.offset * nx * np + p * width * nx + q * nx + x];
      }
  }
  return SimulationStatus::ok;
}

std::vector<std::size_t> EmuModel::pool_metabolites() const { return pool_metabolites_of(*impl_); }

std::vector<Diagnostic> InstationaryOptions::validate() const {
  Diagnostics d("instationary options");
  if (times.empty()) d.error("give at least one output time", 0, 0, "times");
  for (std::size_t i = 0; i < times.size(); ++i) {
    if (!(times[i] >= 0) || !std::isfinite(times[i])) d.error("output times must be finite and >= 0", 0, 0, "times");
    else if (i > 0 && times[i] < times[i - 1]) d.error("output times must be ascending", 0, 0, "times");
  }
  if (!(tolerance > 0)) d.error("must be > 0", 0, 0, "tolerance");
  if (max_steps < 2) d.error("must be >= 2", 0, 0, "max_steps");
  if (steps < 0) d.error("must be >= 0", 0, 0, "steps");
  return d.items();
}

SimulationStatus EmuSimulator::simulate_instationary(const FluxVector& v, std::span<const double> pools, const EmuInputs& inputs,
                                                     const InstationaryOptions& options, std::vector<MidSet>& out,
                                                     std::vector<Eigen::MatrixXd>* jacobians) {
  Work& w = *work_;
  const EmuModel::Impl& im = *w.model;
  const auto nx = static_cast<std::size_t>(inputs.n_experiments);
  if (v.net.size() != im.n_columns || v.exchange.size() != im.n_columns)
    throw std::invalid_argument("EmuSimulator::simulate_instationary: flux vectors must have one entry per flux-space column");
  if (inputs.n_experiments < 0 || inputs.values.size() != im.substrate_storage * nx)
    throw std::invalid_argument("EmuSimulator::simulate_instationary: inputs were made for another EMU model");
  if (auto problems = options.validate(); !problems.empty())
    throw std::invalid_argument("EmuSimulator::simulate_instationary: " + problems.front().context + ": " + problems.front().message);
  if (pools.size() != im.metabolite_ids.size())
    throw std::invalid_argument("EmuSimulator::simulate_instationary: give one pool size per model metabolite (" +
                                std::to_string(im.metabolite_ids.size()) + "), not " + std::to_string(pools.size()));
  set_fluxes(w, v);
  load_substrates(w, inputs);
  // sensitivities: the flux parameters, then the pool of each metabolite with simulated EMUs
  const std::size_t np_flux = static_cast<std::size_t>(im.kernel.cols()) + im.exchange_columns.size();
  // (those options.pool_sensitivities selects)
  const std::vector<std::size_t> pool_list = pool_metabolites_of(im);
  if (!options.pool_sensitivities.empty() && options.pool_sensitivities.size() != pool_list.size())
    throw std::invalid_argument("EmuSimulator::simulate_instationary: pool_sensitivities must have one entry per pool of EmuModel::pool_metabolites() (" +
                                std::to_string(pool_list.size()) + ")");
  constexpr std::size_t kNoColumn = static_cast<std::size_t>(-1);
  std::vector<std::size_t> pool_param(im.metabolite_ids.size(), kNoColumn);
  std::size_t n_pool_columns = 0;
  for (std::size_t k = 0; k < pool_list.size(); ++k)
    if (options.pool_sensitivities.empty() || options.pool_sensitivities[k]) pool_param[pool_list[k]] = np_flux + n_pool_columns++;
  const std::size_t np = jacobians ? np_flux + n_pool_columns : 0;
  if (jacobians) {
    set_flux_derivatives(w, v);
    w.dstorage.assign(im.storage * nx * np, 0.0);  // the unlabelled start does not depend on the parameters
  }
  // per level: each row's pool size and the constant coefficients of B
  std::vector<std::vector<double>> pool(im.levels.size()), bval(im.levels.size());
  const double p = options.natural_abundance ? natural_heavy_abundance(im.element) : 0.0;
  for (std::size_t l = 0; l < im.levels.size(); ++l) {
    const Level& level = im.levels[l];
    for (int e : level.unknowns) {
      const auto& info = im.emus[static_cast<std::size_t>(e)];
      const double c = pools[info.metabolite];
      if (!(c > 0) || !std::isfinite(c))
        throw std::invalid_argument("EmuSimulator::simulate_instationary: the pool size of metabolite '" + im.metabolite_ids[info.metabolite] +
                                    "' must be > 0");
      pool[l].push_back(c);
      // the unlabelled start: binomial in the natural abundance of the element
      double* r = w.storage.data() + info.offset * nx;
      for (int k = 0; k <= info.size; ++k) {
        double choose = 1;
        for (int j = 1; j <= k; ++j) choose = choose * (info.size - k + j) / j;
        const double f = choose * std::pow(p, k) * std::pow(1 - p, info.size - k);
        for (std::size_t x = 0; x < nx; ++x) r[static_cast<std::size_t>(k) * nx + x] = f;
      }
    }
    const Term* bt = level.b_terms.data();
    for (std::size_t bi = 0; bi < level.b.size(); ++bi) bval[l].push_back(eval(bt + level.b_term_ptr[bi], bt + level.b_term_ptr[bi + 1], w.oneway.data()));
  }
  const double gamma = 1 - 1 / std::sqrt(2.0);
  // the factors of A − C/(γh) for the step size h last factored
  double factored_h = -1;
  auto factor = [&](double h) {
    if (h == factored_h) return true;
    for (std::size_t l = 0; l < im.levels.size(); ++l) {
      const Level& level = im.levels[l];
      if (level.unknowns.empty()) continue;
      assemble(w, l);
      double* lu = w.lu[l].data();
      for (std::size_t i = 0; i < level.unknowns.size(); ++i) lu[level.f_diagonal[i]] -= pool[l][i] / (gamma * h);
      if (!eliminate(level, lu, w.inv[l].data())) {
        w.message = "the level-" + std::to_string(level.size) + " EMU system is singular";
        return false;
      }
    }
    factored_h = h;
    return true;
  };
  // One SDIRK step of size h on the storage, in place. Stage i solves, level by level,
  // (A − C/(γh))·X_i = −B·Y(X_i) − C·S_i/(γh), with S_1 = X_n and
  // S_2 = X_n + (1 − γ)/γ·(X_1 − X_n); X_{n+1} = X_2.
  std::vector<double> xn, x1, dxn, dx1;
  std::size_t np_now = np;  // 0 while the step count is searched: the sensitivities follow once it is known
  auto step = [&](double h) {
    xn = w.storage;
    if (np_now > 0) dxn = w.dstorage;
    for (int stage = 1; stage <= 2; ++stage) {
      for (std::size_t l = 0; l < im.levels.size(); ++l) {
        const Level& level = im.levels[l];
        const std::size_t n = level.unknowns.size();
        if (n == 0) continue;
        const std::size_t cols = static_cast<std::size_t>(level.size + 1) * nx;
        level_inputs(w, level, nx);
        const std::size_t first = im.emus[static_cast<std::size_t>(level.unknowns[0])].offset * nx;
        double* r = w.storage.data() + first;
        std::fill(r, r + n * cols, 0.0);
        for (std::size_t bi = 0; bi < level.b.size(); ++bi) {
          if (bval[l][bi] == 0.0) continue;
          const auto& input = level.inputs[static_cast<std::size_t>(level.b[bi].input)];
          const double* y = input.direct ? w.storage.data() + im.emus[static_cast<std::size_t>(input.factors[0])].offset * nx
                                         : w.y.data() + static_cast<std::size_t>(level.b[bi].input) * cols;
          axpy(r + static_cast<std::size_t>(level.b[bi].row) * cols + nx, y + nx, -bval[l][bi], cols - nx);
        }
        const double* sn = xn.data() + first;
        const double* s1 = stage == 2 ? x1.data() + first : nullptr;
        const double mix = (1 - gamma) / gamma;
        for (std::size_t i = 0; i < n; ++i) {
          const double c = pool[l][i] / (gamma * h);
          for (std::size_t k = nx; k < cols; ++k) {
            const std::size_t at = i * cols + k;
            const double si = stage == 1 ? sn[at] : sn[at] + mix * (s1[at] - sn[at]);
            r[at] -= c * si;
          }
        }
        solve(level, w.lu[l].data(), w.inv[l].data(), r + nx, cols - nx, cols);
        complete_m0(r, n, static_cast<std::size_t>(level.size + 1), nx);
        if (np_now == 0) continue;
        // (A − C/(γh))·dX = −(dA·X + dB·Y + B·dY) − C·dS/(γh) + dC·(X − S)/(γh)
        const std::size_t dcols = cols * np, dfirst = first * np;
        double* dr = w.dstorage.data() + dfirst;
        derivative_rhs(w, level, nx, np, bval[l].data(), dr);
        const double* dsn = dxn.data() + dfirst;
        const double* ds1 = stage == 2 ? dx1.data() + dfirst : nullptr;
        for (std::size_t i = 0; i < n; ++i) {
          const double c = pool[l][i] / (gamma * h);
          double* drow = dr + i * dcols;
          for (std::size_t k = 0; k < dcols; ++k) {
            const std::size_t at = i * dcols + k;
            drow[k] -= c * (stage == 1 ? dsn[at] : dsn[at] + mix * (ds1[at] - dsn[at]));
          }
          const std::size_t pp = pool_param[im.emus[static_cast<std::size_t>(level.unknowns[i])].metabolite];
          if (pp == kNoColumn) continue;
          for (std::size_t k = 0; k < cols; ++k) {
            const std::size_t at = i * cols + k;
            const double si = stage == 1 ? sn[at] : sn[at] + mix * (s1[at] - sn[at]);
            drow[pp * cols + k] += (r[at] - si) / (gamma * h);
          }
        }
        solve(level, w.lu[l].data(), w.inv[l].data(), dr, dcols, dcols);
      }
      if (stage == 1) {
        x1 = w.storage;
        if (np_now > 0) dx1 = w.dstorage;
      }
    }
  };
  struct State {
    std::vector<double> x, dx;
  };
  auto advance = [&](State& state, double h, long m) {
    if (!factor(h)) return false;
    w.storage = state.x;
    if (np_now > 0) w.dstorage = state.dx;
    for (long k = 0; k < m; ++k) step(h);
    state.x = w.storage;
    if (np_now > 0) state.dx = w.dstorage;
    return true;
  };
  out.assign(options.times.size(), MidSet{});
  if (jacobians) jacobians->assign(options.times.size(), Eigen::MatrixXd());
  State state{w.storage, np > 0 ? w.dstorage : std::vector<double>{}}, coarse, fine;
  double t = 0, h_guess = 0;
  for (std::size_t k = 0; k < options.times.size(); ++k) {
    const double dt = options.times[k] - t;
    if (dt > 0) {
      // from the last interval's step size, at most 16 steps: a long interval after the
      // transient needs few steps (the method is L-stable), and doubling finds the rest
      long m = h_guess > 0 ? std::clamp<long>(static_cast<long>(std::min(16.0, std::ceil(dt / h_guess - 1e-9))), 1, 16) : 1;
      if (options.steps > 0) m = options.steps;
      np_now = 0;
      coarse = state;
      if (!advance(coarse, dt / static_cast<double>(m), m)) return SimulationStatus::singular;
      for (;;) {  // halve the step until the two agree; the finer one's error is about a third of their difference
        fine = state;
        if (!advance(fine, dt / static_cast<double>(2 * m), 2 * m)) return SimulationStatus::singular;
        double diff = 0;
        for (std::size_t i = 0; i < fine.x.size(); ++i) diff = std::max(diff, std::fabs(fine.x[i] - coarse.x[i]));
        if (diff <= 3 * options.tolerance || options.steps > 0) break;
        if (4 * m > options.max_steps) {
          w.message = "the labelling did not reach the tolerance " + std::to_string(options.tolerance) + " by t = " + std::to_string(options.times[k]) +
                      " within " + std::to_string(options.max_steps) + " steps";
          return SimulationStatus::step_limit;
        }
        std::swap(coarse, fine);
        m *= 2;
      }
      if (np > 0) {  // the two runs again, with their sensitivities (the same values)
        np_now = np;
        coarse = state;
        fine = state;
        if (!advance(coarse, dt / static_cast<double>(m), m) || !advance(fine, dt / static_cast<double>(2 * m), 2 * m)) return SimulationStatus::singular;
      }
      for (std::size_t i = 0; i < fine.x.size(); ++i) state.x[i] = fine.x[i] + (fine.x[i] - coarse.x[i]) / 3;  // Richardson, order 2
      for (std::size_t i = 0; i < fine.dx.size(); ++i) state.dx[i] = fine.dx[i] + (fine.dx[i] - coarse.dx[i]) / 3;
      h_guess = dt / static_cast<double>(m);
      t = options.times[k];
    }
    w.storage = state.x;
    write_measured(w, nx, out[k]);
    if (!jacobians) continue;
    const std::size_t block = out[k].block;
    Eigen::MatrixXd& jac = (*jacobians)[k];
    jac.resize(static_cast<Eigen::Index>(block * nx), static_cast<Eigen::Index>(np));
    for (std::size_t j = 0; j < im.measured_emu.size(); ++j) {
      const auto& info = im.emus[static_cast<std::size_t>(im.measured_emu[j])];
      const auto width = static_cast<std::size_t>(info.size) + 1;
      for (std::size_t x = 0; x < nx; ++x)
        for (std::size_t q = 0; q < width; ++q)
          for (std::size_t p = 0; p < np; ++p)
            jac(static_cast<Eigen::Index>(x * block + out[k].offsets[j] + q), static_cast<Eigen::Index>(p)) =
                info.substrate ? 0.0 : state.dx[info.offset * nx * np + p * width * nx + q * nx + x];
    }
  }
  return SimulationStatus::ok;
}

}  // namespace fluxion::isotope
