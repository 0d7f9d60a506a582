#include "fluxion/isotope/emu.hpp"

#include <klu.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

namespace fluxion {

double natural_heavy_abundance(Element e) {
  switch (e) {
    case Element::C: return 0.0107;
    case Element::H: return 0.000115;
    case Element::N: return 0.00364;
    case Element::O: return 0.00205;
  }
  return 0.0;
}

std::string EmuOptions::validate() const {
  std::set<std::string> seen;
  for (const auto& m : measured)
    if (!seen.insert(m).second) return "measured names '" + m + "' twice";
  return {};
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

struct EmuModel::Impl {
  struct EmuInfo {
    std::size_t metabolite = 0;
    std::uint64_t mask = 0;
    int size = 0;
    bool substrate = false;
    std::size_t offset = 0;  // into one experiment's MID storage
    int level = -1, row = -1;
  };
  struct Input {
    std::vector<int> factors;  // EMU ids to convolve
  };
  struct BEntry {
    int row = 0;
    int input = 0;
  };
  struct Level {
    int size = 0;
    std::vector<int> unknowns;  // EMU ids; row i = unknowns[i]
    std::vector<int> ap, ai;    // A in compressed columns
    std::vector<int> diagonal;  // position of A(i, i) among the stored entries
    std::vector<int> a_term_ptr;  // terms of stored entry k: a_terms[a_term_ptr[k] .. a_term_ptr[k+1])
    std::vector<Term> a_terms;
    std::vector<Input> inputs;
    std::vector<BEntry> b;      // sorted by input
    std::vector<int> b_term_ptr;
    std::vector<Term> b_terms;
    klu_symbolic* symbolic = nullptr;
  };

  Element element = Element::C;
  Eigen::Index n_columns = 0;
  Eigen::MatrixXd kernel;                  // net kernel of the flux space [n_columns × n_free_net]
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
  klu_common common{};

  ~Impl() {
    for (auto& l : levels)
      if (l.symbolic) klu_free_symbolic(&l.symbolic, &common);
  }
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

}  // namespace

Result<EmuModel> EmuModel::compile(const Model& model, const FluxSpace& space, const EmuOptions& options) {
  Diagnostics d("EMU network of model '" + model.id + "' (" + std::string(element_symbol(options.element)) + ")");
  if (auto msg = options.validate(); !msg.empty()) {
    d.error(msg, 0, 0, "EmuOptions");
    return Result<EmuModel>::failure(d);
  }
  auto impl = std::make_shared<Impl>();
  klu_defaults(&impl->common);
  const Element el = options.element;
  const auto ei = static_cast<std::size_t>(el);
  impl->element = el;
  impl->n_columns = space.n_columns();
  impl->kernel = space.net_kernel();
  impl->exchange_columns = space.exchange_columns();
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
    impl->measured.push_back(*mi);
    impl->measured_names.push_back(spec);
    impl->measured_mask.push_back(mask);
  }
  if (impl->measured.empty() && !d.has_errors()) d.error("nothing to simulate: no metabolite carries atoms of this element");
  if (d.has_errors()) return Result<EmuModel>::failure(d);

  // one-way steps: both directions of every reaction that can run backwards, and the
  // hydrogen leak pseudo-reactions
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
    const bool backwards = space.is_leak_column(col) || r.reversible || r.lower_bound < 0;
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
  if (d.has_errors()) return Result<EmuModel>::failure(d);

  // which steps produce each metabolite
  std::vector<std::vector<Production>> producers(model.metabolites.size());
  for (std::size_t s = 0; s < steps.size(); ++s)
    for (std::size_t k = 0; k < steps[s].products.size(); ++k) producers[steps[s].products[k]].push_back({s, k});

  // EMU walk from the measured metabolites
  std::map<EmuKey, int> emu_id;
  auto& emus = impl->emus;
  std::vector<int> queue;
  auto get_emu = [&](std::size_t met, std::uint64_t mask) {
    auto [it, inserted] = emu_id.emplace(EmuKey{met, mask}, static_cast<int>(emus.size()));
    if (inserted) {
      Impl::EmuInfo info;
      info.metabolite = met;
      info.mask = mask;
      info.size = std::popcount(mask);
      info.substrate = model.metabolites[met].boundary;
      emus.push_back(info);
      queue.push_back(it->second);
    }
    return it->second;
  };
  for (std::size_t k = 0; k < impl->measured.size(); ++k)
    impl->measured_emu.push_back(get_emu(impl->measured[k], impl->measured_mask[k]));

  struct EmuTerm {
    int flux;
    double coef;
    std::vector<int> factors;  // one: same-size precursor; several: convolution
  };
  std::map<int, std::vector<EmuTerm>> terms_of;   // unknown EMU -> production terms
  std::map<std::size_t, std::vector<Term>> production_of;  // metabolite -> total production
  for (std::size_t qi = 0; qi < queue.size(); ++qi) {
    const int e = queue[qi];
    const Impl::EmuInfo info = emus[static_cast<std::size_t>(e)];
    if (info.substrate) continue;
    const std::size_t m = info.metabolite;
    const int n_atoms = impl->metabolite_atoms[m];
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
  if (d.has_errors()) return Result<EmuModel>::failure(d);

  // levels by EMU size
  int max_size = 0;
  for (const auto& info : emus) max_size = std::max(max_size, info.size);
  impl->levels.resize(static_cast<std::size_t>(max_size));
  for (int s = 0; s < max_size; ++s) impl->levels[static_cast<std::size_t>(s)].size = s + 1;
  for (std::size_t e = 0; e < emus.size(); ++e) {
    auto& info = emus[e];
    info.offset = impl->storage;
    impl->storage += static_cast<std::size_t>(info.size) + 1;
    if (info.substrate) {
      impl->substrate_emus.push_back(static_cast<int>(e));
      impl->substrate_storage += static_cast<std::size_t>(info.size) + 1;
      continue;
    }
    auto& level = impl->levels[static_cast<std::size_t>(info.size - 1)];
    info.level = info.size - 1;
    info.row = static_cast<int>(level.unknowns.size());
    level.unknowns.push_back(static_cast<int>(e));
  }
  for (auto& level : impl->levels) {
    const int n = static_cast<int>(level.unknowns.size());
    std::map<std::pair<int, int>, std::vector<Term>> a;  // (col, row) -> terms
    std::map<std::vector<int>, int> input_index;
    std::map<std::pair<int, int>, std::vector<Term>> b;  // (input, row) -> terms
    for (int row = 0; row < n; ++row) {
      const int e = level.unknowns[static_cast<std::size_t>(row)];
      auto& diag = a[{row, row}];
      for (const Term& t : production_of[emus[static_cast<std::size_t>(e)].metabolite]) diag.push_back({t.flux, -t.coef});
      for (const EmuTerm& t : terms_of[e]) {
        if (t.factors.size() == 1 && !emus[static_cast<std::size_t>(t.factors[0])].substrate) {
          const int col = emus[static_cast<std::size_t>(t.factors[0])].row;
          a[{col, row}].push_back({t.flux, t.coef});
        } else {
          auto [it, inserted] = input_index.emplace(t.factors, static_cast<int>(level.inputs.size()));
          if (inserted) level.inputs.push_back({t.factors});
          b[{it->second, row}].push_back({t.flux, t.coef});
        }
      }
    }
    // terms with the same flux are merged
    auto append_terms = [](const std::vector<Term>& terms, std::vector<Term>& out) {
      std::map<int, double> merged;
      for (const Term& t : terms) merged[t.flux] += t.coef;
      for (auto [f, c] : merged)
        if (c != 0.0) out.push_back({f, c});
    };
    level.ap.assign(static_cast<std::size_t>(n) + 1, 0);
    level.diagonal.assign(static_cast<std::size_t>(n), -1);
    level.a_term_ptr.push_back(0);
    for (auto& [key, terms] : a) {
      ++level.ap[static_cast<std::size_t>(key.first) + 1];
      if (key.first == key.second) level.diagonal[static_cast<std::size_t>(key.first)] = static_cast<int>(level.ai.size());
      level.ai.push_back(key.second);
      append_terms(terms, level.a_terms);
      level.a_term_ptr.push_back(static_cast<int>(level.a_terms.size()));
    }
    for (int c = 0; c < n; ++c) level.ap[static_cast<std::size_t>(c) + 1] += level.ap[static_cast<std::size_t>(c)];
    level.b_term_ptr.push_back(0);
    for (auto& [key, terms] : b) {
      level.b.push_back({key.second, key.first});
      append_terms(terms, level.b_terms);
      level.b_term_ptr.push_back(static_cast<int>(level.b_terms.size()));
    }
    if (n > 0) {
      level.symbolic = klu_analyze(n, level.ap.data(), level.ai.data(), &impl->common);
      if (!level.symbolic) {
        d.error("KLU could not analyse the level-" + std::to_string(level.size) + " system");
        return Result<EmuModel>::failure(d);
      }
    }
  }
  EmuModel out;
  out.impl_ = std::move(impl);
  return Result<EmuModel>::success(std::move(out), d.items());
}

Element EmuModel::element() const { return impl_->element; }
const std::vector<std::size_t>& EmuModel::measured() const { return impl_->measured; }
std::vector<std::string> EmuModel::measured_ids() const { return impl_->measured_names; }
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

struct EmuSimulator::Work {
  std::shared_ptr<const EmuModel::Impl> model;
  klu_common common{};
  std::vector<klu_numeric*> numeric;  // per level
  std::vector<double> oneway;
  std::vector<double> storage;        // [experiment][emu MIDs]
  std::vector<std::vector<double>> ax;  // per level, A values
  std::vector<double> rhs, y, bval;
  std::vector<double> dw, dstorage, drhs, dterm, dy, dpart;  // sensitivities
  std::vector<int> dw_ptr;
  std::vector<Term> dw_sparse;  // (parameter, derivative) pairs per one-way flux
  std::string message;

  ~Work() {
    for (auto*& n : numeric)
      if (n) klu_free_numeric(&n, &common);
  }
};

EmuSimulator::EmuSimulator(const EmuModel& model) : work_(std::make_unique<Work>()) {
  work_->model = model.impl_;  // shared: the simulator keeps the compiled model alive
  klu_defaults(&work_->common);
  work_->common.scale = 0;  // A is diagonally dominant: no scaling needed for stable pivots
  const auto& im = *work_->model;
  work_->numeric.assign(im.levels.size(), nullptr);
  work_->ax.resize(im.levels.size());
  for (std::size_t l = 0; l < im.levels.size(); ++l) work_->ax[l].resize(im.levels[l].ai.size());
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
  const int n_exp = inputs.n_experiments;
  const auto nx = static_cast<std::size_t>(n_exp);
  if (v.net.size() != im.n_columns || v.exchange.size() != im.n_columns)
    throw std::invalid_argument("EmuSimulator::simulate: flux vectors must have one entry per flux-space column");
  if (inputs.values.size() != im.substrate_storage * nx)
    throw std::invalid_argument("EmuSimulator::simulate: inputs were made for another EMU model");
  for (Eigen::Index c = 0; c < im.n_columns; ++c) {
    const double net = v.net(c), xch = v.exchange(c);
    w.oneway[static_cast<std::size_t>(2 * c)] = xch + std::max(0.0, net);
    w.oneway[static_cast<std::size_t>(2 * c + 1)] = xch - std::min(0.0, net);
  }
  // Sensitivities: d(one-way flux)/d(free parameter). Forward = xch + max(0, net),
  // backward = xch − min(0, net); at net = 0 the forward branch's slope is taken.
  const auto np = static_cast<std::size_t>(jacobian ? im.kernel.cols() + static_cast<Eigen::Index>(im.exchange_columns.size()) : 0);
  if (jacobian) {
    w.dw.assign(w.oneway.size() * np, 0.0);  // [flux][parameter]
    for (Eigen::Index c = 0; c < im.n_columns; ++c) {
      const bool forward = v.net(c) >= 0;
      for (Eigen::Index k = 0; k < im.kernel.cols(); ++k) {
        const double dk = im.kernel(c, k);
        if (dk == 0.0) continue;
        w.dw[static_cast<std::size_t>(forward ? 2 * c : 2 * c + 1) * np + static_cast<std::size_t>(k)] = forward ? dk : -dk;
      }
    }
    for (std::size_t j = 0; j < im.exchange_columns.size(); ++j) {
      const auto c = static_cast<std::size_t>(im.exchange_columns[j]);
      const std::size_t p = static_cast<std::size_t>(im.kernel.cols()) + j;
      w.dw[(2 * c) * np + p] = 1.0;
      w.dw[(2 * c + 1) * np + p] = 1.0;
    }
    w.dstorage.assign(im.storage * nx * np, 0.0);  // [parameter][experiment][EMU MIDs]; substrates stay 0
  }
  // substrate MIDs into the per-experiment storage
  w.storage.resize(im.storage * nx);  // every entry is written below
  for (std::size_t x = 0; x < nx; ++x) {
    const double* src = inputs.values.data() + x * im.substrate_storage;
    double* dst = w.storage.data() + x * im.storage;
    for (int e : im.substrate_emus) {
      const auto& info = im.emus[static_cast<std::size_t>(e)];
      std::copy(src, src + info.size + 1, dst + info.offset);
      src += info.size + 1;
    }
  }
  const double* oneway = w.oneway.data();
  auto eval = [oneway](const Term* begin, const Term* end) {
    double s = 0.0;
    for (const Term* t = begin; t != end; ++t) s += t->coef * oneway[t->flux];
    return s;
  };
  // derivative of a term list for every parameter, into d[0..np)
  // d(one-way flux)/d(parameter) as sparse rows: most fluxes depend on few parameters
  if (jacobian) {
    w.dw_ptr.assign(w.oneway.size() + 1, 0);
    w.dw_sparse.clear();
    for (std::size_t f = 0; f < w.oneway.size(); ++f) {
      for (std::size_t p = 0; p < np; ++p)
        if (w.dw[f * np + p] != 0.0) w.dw_sparse.push_back({static_cast<int>(p), w.dw[f * np + p]});
      w.dw_ptr[f + 1] = static_cast<int>(w.dw_sparse.size());
    }
  }
  auto eval_d = [&w, np](const Term* begin, const Term* end, double* d) {
    std::fill(d, d + np, 0.0);
    for (const Term* t = begin; t != end; ++t)
      for (int k = w.dw_ptr[static_cast<std::size_t>(t->flux)]; k < w.dw_ptr[static_cast<std::size_t>(t->flux) + 1]; ++k)
        d[w.dw_sparse[static_cast<std::size_t>(k)].flux] += t->coef * w.dw_sparse[static_cast<std::size_t>(k)].coef;
  };
  // y (width values) = convolution of the factors' MIDs in `base`; when `dbase` is given,
  // factor `which` is taken from it instead (one term of the product rule)
  auto convolve = [&im](const std::vector<int>& factors, const double* base, double* y, int width, int which,
                        const double* dbase) {
    int len = 0;
    for (std::size_t fi = 0; fi < factors.size(); ++fi) {
      const auto& f = im.emus[static_cast<std::size_t>(factors[fi])];
      const double* g = (static_cast<int>(fi) == which ? dbase : base) + f.offset;
      if (fi == 0) {
        std::copy(g, g + f.size + 1, y);
        len = f.size + 1;
        continue;
      }
      for (int k = len + f.size - 1; k >= 0; --k) {  // Cauchy product, in place from the top
        double s = 0.0;
        for (int b = std::max(0, k - len + 1); b <= std::min(k, f.size); ++b) s += y[k - b] * g[b];
        y[k] = s;
      }
      len += f.size;
    }
    std::fill(y + len, y + width, 0.0);
  };
  for (std::size_t l = 0; l < im.levels.size(); ++l) {
    const auto& level = im.levels[l];
    const int n = static_cast<int>(level.unknowns.size());
    if (n == 0) continue;
    const auto un = static_cast<std::size_t>(n);
    const int width = level.size + 1;
    const auto uw = static_cast<std::size_t>(width);
    auto& ax = w.ax[l];
    const Term* at = level.a_terms.data();
    for (std::size_t k = 0; k < ax.size(); ++k) ax[k] = eval(at + level.a_term_ptr[k], at + level.a_term_ptr[k + 1]);
    // singular when a metabolite has no production (a zero diagonal)
    for (int c = 0; c < n; ++c)
      if (!(std::fabs(ax[static_cast<std::size_t>(level.diagonal[static_cast<std::size_t>(c)])]) > 0)) {
        w.message = "no flux produces metabolite '" +
                    im.metabolite_ids[im.emus[static_cast<std::size_t>(level.unknowns[static_cast<std::size_t>(c)])].metabolite] +
                    "', so its labelling is undefined";
        return SimulationStatus::singular;
      }
    bool ok;
    if (!w.numeric[l]) {
      w.numeric[l] = klu_factor(const_cast<int*>(level.ap.data()), const_cast<int*>(level.ai.data()), ax.data(),
                                level.symbolic, &w.common);
      ok = w.numeric[l] != nullptr;
    } else {
      ok = klu_refactor(const_cast<int*>(level.ap.data()), const_cast<int*>(level.ai.data()), ax.data(),
                        level.symbolic, w.numeric[l], &w.common) == 1;
    }
    if (!ok || w.common.status == KLU_SINGULAR) {
      w.message = "the level-" + std::to_string(level.size) + " EMU system is singular";
      if (w.numeric[l]) klu_free_numeric(&w.numeric[l], &w.common);
      return SimulationStatus::singular;
    }
    // inputs Y: [input][experiment][isotopologue]
    const std::size_t cols = uw * nx;
    w.y.resize(level.inputs.size() * cols);
    for (std::size_t in = 0; in < level.inputs.size(); ++in)
      for (std::size_t x = 0; x < nx; ++x)
        convolve(level.inputs[in].factors, w.storage.data() + x * im.storage, w.y.data() + in * cols + x * uw, width, -1, nullptr);
    // B values
    w.bval.resize(level.b.size());
    const Term* bt = level.b_terms.data();
    for (std::size_t bi = 0; bi < level.b.size(); ++bi)
      w.bval[bi] = eval(bt + level.b_term_ptr[bi], bt + level.b_term_ptr[bi + 1]);
    // right-hand sides −B·Y, columns [experiment][isotopologue]
    w.rhs.assign(un * cols, 0.0);
    for (std::size_t bi = 0; bi < level.b.size(); ++bi) {
      const double coef = w.bval[bi];
      if (coef == 0.0) continue;
      const auto row = static_cast<std::size_t>(level.b[bi].row);
      const double* y = w.y.data() + static_cast<std::size_t>(level.b[bi].input) * cols;
      for (std::size_t c = 0; c < cols; ++c) w.rhs[c * un + row] -= coef * y[c];
    }
    klu_solve(level.symbolic, w.numeric[l], n, static_cast<int>(cols), w.rhs.data(), &w.common);
    for (std::size_t row = 0; row < un; ++row) {
      const auto& info = im.emus[static_cast<std::size_t>(level.unknowns[row])];
      for (std::size_t x = 0; x < nx; ++x) {
        double* dst = w.storage.data() + x * im.storage + info.offset;
        for (std::size_t k = 0; k < uw; ++k) dst[k] = w.rhs[(x * uw + k) * un + row];
      }
    }
    if (!jacobian || np == 0) continue;

    // A·dX = −(dA·X + dB·Y + B·dY) for every parameter: columns [parameter][experiment][isotopologue]
    const std::size_t dcols = cols * np;
    w.drhs.assign(un * dcols, 0.0);
    w.dterm.resize(np);
    for (int c = 0; c < n; ++c) {  // dA·X: stored entry (row i, column c) times X of unknown c
      const auto& xinfo = im.emus[static_cast<std::size_t>(level.unknowns[static_cast<std::size_t>(c)])];
      for (int k = level.ap[static_cast<std::size_t>(c)]; k < level.ap[static_cast<std::size_t>(c) + 1]; ++k) {
        eval_d(at + level.a_term_ptr[static_cast<std::size_t>(k)], at + level.a_term_ptr[static_cast<std::size_t>(k) + 1], w.dterm.data());
        const auto row = static_cast<std::size_t>(level.ai[static_cast<std::size_t>(k)]);
        for (std::size_t p = 0; p < np; ++p) {
          const double da = w.dterm[p];
          if (da == 0.0) continue;
          for (std::size_t x = 0; x < nx; ++x) {
            const double* xv = w.storage.data() + x * im.storage + xinfo.offset;
            for (std::size_t q = 0; q < uw; ++q) w.drhs[((p * nx + x) * uw + q) * un + row] -= da * xv[q];
          }
        }
      }
    }
    for (std::size_t bi = 0; bi < level.b.size(); ++bi) {  // dB·Y
      eval_d(bt + level.b_term_ptr[bi], bt + level.b_term_ptr[bi + 1], w.dterm.data());
      const auto row = static_cast<std::size_t>(level.b[bi].row);
      const double* y = w.y.data() + static_cast<std::size_t>(level.b[bi].input) * cols;
      for (std::size_t p = 0; p < np; ++p) {
        const double db = w.dterm[p];
        if (db == 0.0) continue;
        for (std::size_t c = 0; c < cols; ++c) w.drhs[(p * cols + c) * un + row] -= db * y[c];
      }
    }
    // B·dY: dY of each input by the product rule over its factors (substrate factors
    // have dX = 0), computed once per input and used by every row that reads it
    w.dy.assign(level.inputs.size() * dcols, 0.0);  // [input][parameter][experiment][isotopologue]
    w.dpart.resize(uw);
    std::vector<char> has_dy(level.inputs.size(), 0);
    for (std::size_t in = 0; in < level.inputs.size(); ++in) {
      const auto& factors = level.inputs[in].factors;
      for (std::size_t fi = 0; fi < factors.size(); ++fi) {
        if (im.emus[static_cast<std::size_t>(factors[fi])].substrate) continue;
        has_dy[in] = 1;
        for (std::size_t p = 0; p < np; ++p)
          for (std::size_t x = 0; x < nx; ++x) {
            const double* base = w.storage.data() + x * im.storage;
            const double* dbase = w.dstorage.data() + (p * nx + x) * im.storage;
            convolve(factors, base, w.dpart.data(), width, static_cast<int>(fi), dbase);
            double* dst = w.dy.data() + in * dcols + (p * nx + x) * uw;
            for (std::size_t q = 0; q < uw; ++q) dst[q] += w.dpart[q];
          }
      }
    }
    for (std::size_t bi = 0; bi < level.b.size(); ++bi) {
      const double coef = w.bval[bi];
      const auto in = static_cast<std::size_t>(level.b[bi].input);
      if (coef == 0.0 || !has_dy[in]) continue;
      const auto row = static_cast<std::size_t>(level.b[bi].row);
      const double* dy = w.dy.data() + in * dcols;
      for (std::size_t c = 0; c < dcols; ++c) w.drhs[c * un + row] -= coef * dy[c];
    }
    klu_solve(level.symbolic, w.numeric[l], n, static_cast<int>(dcols), w.drhs.data(), &w.common);
    for (std::size_t row = 0; row < un; ++row) {
      const auto& info = im.emus[static_cast<std::size_t>(level.unknowns[row])];
      for (std::size_t p = 0; p < np; ++p)
        for (std::size_t x = 0; x < nx; ++x) {
          double* dst = w.dstorage.data() + (p * nx + x) * im.storage + info.offset;
          for (std::size_t q = 0; q < uw; ++q) dst[q] = w.drhs[((p * nx + x) * uw + q) * un + row];
        }
    }
  }
  // measured MIDs
  out.n_experiments = n_exp;
  out.offsets.resize(im.measured_emu.size());
  std::size_t block = 0;
  for (std::size_t k = 0; k < im.measured_emu.size(); ++k) {
    out.offsets[k] = block;
    block += static_cast<std::size_t>(im.emus[static_cast<std::size_t>(im.measured_emu[k])].size) + 1;
  }
  out.block = block;
  out.values.resize(block * nx);
  if (jacobian) jacobian->resize(static_cast<Eigen::Index>(block * nx), static_cast<Eigen::Index>(np));
  for (std::size_t x = 0; x < nx; ++x)
    for (std::size_t k = 0; k < im.measured_emu.size(); ++k) {
      const auto& info = im.emus[static_cast<std::size_t>(im.measured_emu[k])];
      const double* src = w.storage.data() + x * im.storage + info.offset;
      std::copy(src, src + info.size + 1, out.values.data() + x * block + out.offsets[k]);
      if (!jacobian) continue;
      for (std::size_t p = 0; p < np; ++p) {
        const double* dsrc = w.dstorage.data() + (p * nx + x) * im.storage + info.offset;
        for (int q = 0; q <= info.size; ++q)
          (*jacobian)(static_cast<Eigen::Index>(x * block + out.offsets[k] + static_cast<std::size_t>(q)), static_cast<Eigen::Index>(p)) =
              info.substrate ? 0.0 : dsrc[q];
      }
    }
  return SimulationStatus::ok;
}

}  // namespace fluxion
