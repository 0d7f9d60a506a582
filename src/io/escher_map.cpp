#include "fluxion/io/escher_map.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <unordered_map>

#include "builtin_models.hpp"
#include "text.hpp"

namespace fluxion::io {

namespace {

using Point = std::array<double, 2>;
using nlohmann::json;

Point operator+(Point a, Point b) { return {a[0] + b[0], a[1] + b[1]}; }
Point operator-(Point a, Point b) { return {a[0] - b[0], a[1] - b[1]}; }
Point operator*(double s, Point a) { return {s * a[0], s * a[1]}; }
double norm(Point a) { return std::hypot(a[0], a[1]); }

Point centroid(const std::vector<Point>& points) {
  Point c{0, 0};
  for (const auto& p : points) c = c + p;
  return points.empty() ? c : (1.0 / static_cast<double>(points.size())) * c;
}

// Cofactors, protons, water, CO2 …: drawn beside each reaction (BiGG's secondary
// metabolites). The id without a compartment suffix ("atp_c", "nadh[m]", "H_IN").
bool is_cofactor(const std::string& id) {
  static const std::set<std::string> names{"h",    "h2o",  "co2",  "o2",   "atp",   "adp", "amp",  "gtp",  "gdp",  "utp",  "udp",
                                           "ctp",  "cdp",  "nad",  "nadh", "nadp",  "nadph", "pi", "ppi",  "coa",  "nh4",  "nh3",
                                           "fad",  "fadh2", "q8",  "q8h2", "mqn8",  "mql8", "hco3", "h2o2", "so4",  "na1",  "k"};
  std::string base = detail::lower(id);
  if (const auto open = base.rfind('['); open != std::string::npos && !base.empty() && base.back() == ']' && open > 0) {
    base.resize(open);
  } else if (const auto under = base.rfind('_'); under != std::string::npos && under > 0 && base.size() - under <= 3) {
    base.resize(under);
  }
  return names.count(base) > 0;
}

// What the layout decides: a position for every drawn metabolite and reaction.
struct Placement {
  std::vector<std::optional<Point>> metabolite;  // primary metabolites of the network
  std::vector<std::optional<Point>> reaction;    // every drawn reaction's midmarker
  std::vector<bool> loose;                       // drawn in the row under the network
};

class Layout {
 public:
  Layout(const Model& model, const EscherMapOptions& o, std::vector<Diagnostic>& warnings) : model_(model), spacing_(o.spacing) {
    const std::size_t nm = model.metabolites.size(), nr = model.reactions.size();
    secondary_.assign(nm, false);
    std::vector<int> uses(nm, 0);
    for (const auto& r : model.reactions) {
      for (const auto& p : r.reactants) ++uses[p.metabolite];
      for (const auto& p : r.products) ++uses[p.metabolite];
    }
    if (o.layout && !o.layout->secondary.empty()) {
      for (const auto& id : o.layout->secondary)
        if (auto i = model.metabolite_index(id)) secondary_[*i] = true;
    } else {
      for (std::size_t i = 0; i < nm; ++i) secondary_[i] = is_cofactor(model.metabolites[i].id);
    }
    fixed_.assign(nm, std::nullopt);
    if (o.layout) {
      const std::string source = o.layout->name.empty() ? "map layout" : "map layout '" + o.layout->name + "'";
      std::size_t known = 0;
      std::vector<std::string> unknown;
      for (const auto& [id, at] : o.layout->positions) {
        if (auto i = model.metabolite_index(id)) {
          fixed_[*i] = at;
          ++known;
        } else {
          unknown.push_back(id);
        }
      }
      if (2 * known < o.layout->positions.size()) {
        warnings.push_back({Severity::warning, source, 0, 0, {},
                            "it places " + std::to_string(o.layout->positions.size()) + " metabolites of which the model has " +
                                std::to_string(known) + ": it is not this model's layout, so the map is laid out automatically"});
        fixed_.assign(nm, std::nullopt);
      } else if (!unknown.empty()) {
        std::string list;
        for (std::size_t k = 0; k < unknown.size() && k < 5; ++k) list += (k ? ", " : "") + unknown[k];
        warnings.push_back({Severity::warning, source, 0, 0, {},
                            std::to_string(unknown.size()) + " of its metabolites are not in the model (" + list +
                                (unknown.size() > 5 ? ", …" : "") + "); they are left out"});
      }
    }
    // the network: reactions joined through primary metabolites; a reaction alone (its
    // other metabolites occur nowhere else) is drawn in the row under it
    reaction_primaries_.resize(nr);
    for (std::size_t r = 0; r < nr; ++r) {
      const auto& rx = model.reactions[r];
      for (const auto* side : {&rx.reactants, &rx.products})
        for (const auto& p : *side)
          if (!secondary_[p.metabolite] &&
              std::find(reaction_primaries_[r].begin(), reaction_primaries_[r].end(), p.metabolite) == reaction_primaries_[r].end())
            reaction_primaries_[r].push_back(p.metabolite);
    }
    // a hub (biomass: tens of metabolites) would pull the network into a knot: drawn apart too
    placement_.loose.assign(nr, false);
    for (std::size_t r = 0; r < nr; ++r) {
      bool joined = false;
      for (auto m : reaction_primaries_[r]) joined = joined || uses[m] > 1;
      placement_.loose[r] = (!joined || reaction_primaries_[r].size() > kHubSize) &&
                            (model.reactions[r].reactants.size() + model.reactions[r].products.size() > 0);
    }
    // nodes of the network graph: its primary metabolites, then its reactions
    node_of_metabolite_.assign(nm, -1);
    node_of_reaction_.assign(nr, -1);
    for (std::size_t r = 0; r < nr; ++r) {
      if (placement_.loose[r] || reaction_primaries_[r].empty()) continue;
      for (auto m : reaction_primaries_[r])
        if (node_of_metabolite_[m] < 0) {
          node_of_metabolite_[m] = static_cast<int>(nodes_.size());
          nodes_.push_back({true, m});
        }
    }
    for (std::size_t r = 0; r < nr; ++r) {
      if (placement_.loose[r] || reaction_primaries_[r].empty()) continue;
      node_of_reaction_[r] = static_cast<int>(nodes_.size());
      nodes_.push_back({false, r});
    }
    adjacency_.resize(nodes_.size());
    for (std::size_t r = 0; r < nr; ++r) {
      if (node_of_reaction_[r] < 0) continue;
      for (auto m : reaction_primaries_[r]) {
        adjacency_[static_cast<std::size_t>(node_of_reaction_[r])].push_back(node_of_metabolite_[m]);
        adjacency_[static_cast<std::size_t>(node_of_metabolite_[m])].push_back(node_of_reaction_[r]);
      }
    }
  }

  static constexpr std::size_t kHubSize = 8;  // primary metabolites of a reaction drawn apart

  Placement place() {
    const std::size_t n = nodes_.size();
    std::vector<Point> at(n);
    std::vector<bool> fixed(n, false);
    for (std::size_t i = 0; i < n; ++i)
      if (nodes_[i].metabolite && fixed_[nodes_[i].index]) {
        at[i] = *fixed_[nodes_[i].index];
        fixed[i] = true;
      }
    const bool any_fixed = std::find(fixed.begin(), fixed.end(), true) != fixed.end();
    if (any_fixed)
      start_around_fixed(at, fixed);
    else
      start_in_layers(at);
    majorise_stress(at, fixed);
    remove_overlaps(at, fixed);
    placement_.metabolite.assign(model_.metabolites.size(), std::nullopt);
    placement_.reaction.assign(model_.reactions.size(), std::nullopt);
    for (std::size_t i = 0; i < n; ++i) (nodes_[i].metabolite ? placement_.metabolite : placement_.reaction)[nodes_[i].index] = at[i];
    // a reaction between metabolites placed by hand sits halfway between its two sides
    for (std::size_t r = 0; r < model_.reactions.size(); ++r) {
      if (node_of_reaction_[r] < 0) continue;
      const auto [in, out] = sides(r);
      bool all_fixed = !in.empty() && !out.empty();
      for (auto m : reaction_primaries_[r]) all_fixed = all_fixed && fixed_[m].has_value();
      if (all_fixed) placement_.reaction[r] = 0.5 * (centroid(in) + centroid(out));
    }
    place_drains();
    separate_coinciding_reactions();
    place_loose_reactions();
    return placement_;
  }

  // The positions of a reaction's primary reactants and products (those placed).
  std::pair<std::vector<Point>, std::vector<Point>> sides(std::size_t r) const {
    std::vector<Point> in, out;
    const auto& rx = model_.reactions[r];
    for (const auto& p : rx.reactants)
      if (!secondary_[p.metabolite] && placement_.metabolite.size() > p.metabolite && placement_.metabolite[p.metabolite])
        in.push_back(*placement_.metabolite[p.metabolite]);
    for (const auto& p : rx.products)
      if (!secondary_[p.metabolite] && placement_.metabolite.size() > p.metabolite && placement_.metabolite[p.metabolite])
        out.push_back(*placement_.metabolite[p.metabolite]);
    return {in, out};
  }

  bool secondary(std::size_t m) const { return secondary_[m]; }

 private:
  struct Node {
    bool metabolite;
    std::size_t index;  // into the model's metabolites or reactions
  };

  // Hop counts from node `from` (-1: unreachable).
  std::vector<int> hops_from(std::size_t from) const {
    std::vector<int> hops(nodes_.size(), -1);
    std::deque<std::size_t> queue{from};
    hops[from] = 0;
    while (!queue.empty()) {
      const auto i = queue.front();
      queue.pop_front();
      for (int j : adjacency_[i])
        if (hops[static_cast<std::size_t>(j)] < 0) {
          hops[static_cast<std::size_t>(j)] = hops[i] + 1;
          queue.push_back(static_cast<std::size_t>(j));
        }
    }
    return hops;
  }

  // A pathway runs downwards: layers by hops from the metabolites nothing makes (inputs),
  // each layer ordered by its neighbours above.
  void start_in_layers(std::vector<Point>& at) const {
    const std::size_t n = nodes_.size();
    std::vector<bool> made(model_.metabolites.size(), false);
    for (const auto& r : model_.reactions) {
      const bool backward = r.reversible || r.lower_bound < 0;
      for (const auto& p : r.products) made[p.metabolite] = true;
      if (backward)
        for (const auto& p : r.reactants) made[p.metabolite] = true;
    }
    std::vector<int> layer(n, -1);
    std::deque<std::size_t> queue;
    auto spread = [&] {
      while (!queue.empty()) {
        const auto i = queue.front();
        queue.pop_front();
        for (int j : adjacency_[i])
          if (layer[static_cast<std::size_t>(j)] < 0) {
            layer[static_cast<std::size_t>(j)] = layer[i] + 1;
            queue.push_back(static_cast<std::size_t>(j));
          }
      }
    };
    for (std::size_t i = 0; i < n; ++i)
      if (nodes_[i].metabolite && (model_.metabolites[nodes_[i].index].boundary || !made[nodes_[i].index])) {
        layer[i] = 0;
        queue.push_back(i);
      }
    spread();
    for (std::size_t i = 0; i < n; ++i)  // components without an input start at their first node
      if (layer[i] < 0) {
        layer[i] = 0;
        queue.push_back(i);
        spread();
      }
    const int depth = n ? *std::max_element(layer.begin(), layer.end()) : 0;
    std::vector<double> x(n, 0.0);
    for (int k = 0; k <= depth; ++k) {
      std::vector<std::pair<double, std::size_t>> order;
      for (std::size_t i = 0; i < n; ++i) {
        if (layer[i] != k) continue;
        double sum = 0;
        int count = 0;
        for (int j : adjacency_[i])
          if (layer[static_cast<std::size_t>(j)] == k - 1) sum += x[static_cast<std::size_t>(j)], ++count;
        order.emplace_back(count ? sum / count : 1e9 + static_cast<double>(i), i);
      }
      std::stable_sort(order.begin(), order.end());
      for (std::size_t q = 0; q < order.size(); ++q) {
        const auto i = order[q].second;
        x[i] = (static_cast<double>(q) - 0.5 * static_cast<double>(order.size() - 1)) * spacing_;
        at[i] = {x[i], 0.5 * spacing_ * k};
      }
    }
  }

  // Metabolites not placed by hand start at the mean of their placed neighbours, breadth
  // first from the placed ones; a node with none starts below the drawing.
  void start_around_fixed(std::vector<Point>& at, const std::vector<bool>& fixed) const {
    const std::size_t n = nodes_.size();
    std::vector<bool> placed(fixed);
    double bottom = -1e300, left = 1e300;
    for (std::size_t i = 0; i < n; ++i)
      if (fixed[i]) bottom = std::max(bottom, at[i][1]), left = std::min(left, at[i][0]);
    bool progress = true;
    while (progress) {
      progress = false;
      for (std::size_t i = 0; i < n; ++i) {
        if (placed[i]) continue;
        std::vector<Point> around;
        for (int j : adjacency_[i])
          if (placed[static_cast<std::size_t>(j)]) around.push_back(at[static_cast<std::size_t>(j)]);
        if (around.empty()) continue;
        // off the line through its neighbours, in a direction fixed by the node's index
        const double angle = 2.399963 * static_cast<double>(i);
        at[i] = centroid(around) + Point{0.3 * spacing_ * std::cos(angle), 0.3 * spacing_ * std::sin(angle)};
        placed[i] = true;
        progress = true;
      }
    }
    double x = left;
    for (std::size_t i = 0; i < n; ++i)
      if (!placed[i]) {
        at[i] = {x, bottom + spacing_};
        x += 0.5 * spacing_;
      }
  }

  // Stress majorisation (Gansner, Koren & North 2004), node by node: each free node moves
  // to the weighted mean of where its distance to every other node would be exact, with
  // graph distances of spacing/2 per metabolite–reaction edge and weights 1/d².
  void majorise_stress(std::vector<Point>& at, const std::vector<bool>& fixed) const {
    const std::size_t n = nodes_.size();
    if (n < 2) return;
    std::vector<float> d(n * n);
    int longest = 1;
    for (std::size_t i = 0; i < n; ++i) {
      const auto hops = hops_from(i);
      for (std::size_t j = 0; j < n; ++j) {
        d[i * n + j] = static_cast<float>(hops[j]);
        longest = std::max(longest, hops[j]);
      }
    }
    for (auto& v : d) v = static_cast<float>(0.5 * spacing_) * (v < 0 ? static_cast<float>(longest + 2) : v);
    const int iterations = n > 1500 ? 60 : n > 500 ? 150 : 300;
    for (int it = 0; it < iterations; ++it) {
      double moved = 0;
      for (std::size_t i = 0; i < n; ++i) {
        if (fixed[i]) continue;
        double sx = 0, sy = 0, sw = 0;
        for (std::size_t j = 0; j < n; ++j) {
          if (j == i) continue;
          const double dij = d[i * n + j];
          const double w = 1.0 / (dij * dij);
          double dx = at[i][0] - at[j][0], dy = at[i][1] - at[j][1];
          double len = std::hypot(dx, dy);
          if (len < 1e-9) {  // on top of each other: apart in a direction fixed by the pair
            const double angle = 0.7 * static_cast<double>(i) + 1.3 * static_cast<double>(j);
            dx = std::cos(angle), dy = std::sin(angle), len = 1;
          }
          sx += w * (at[j][0] + dij * dx / len);
          sy += w * (at[j][1] + dij * dy / len);
          sw += w;
        }
        const Point next{sx / sw, sy / sw};
        moved = std::max(moved, norm(next - at[i]));
        at[i] = next;
      }
      if (moved < 1e-3 * spacing_) break;
    }
  }

  // A reaction with one primary metabolite (a drain, an uptake) points where the drawing
  // is emptiest around that metabolite: of 16 directions, the one farthest from every
  // metabolite, reaction and line already drawn (right, then left first on a tie).
  void place_drains() {
    const double reach = 0.45 * spacing_;
    for (std::size_t r = 0; r < model_.reactions.size(); ++r) {
      if (node_of_reaction_[r] < 0 || reaction_primaries_[r].size() != 1) continue;
      const auto m = reaction_primaries_[r].front();
      if (!placement_.metabolite[m]) continue;
      const Point from = *placement_.metabolite[m];
      std::vector<Point> taken;
      for (std::size_t q = 0; q < model_.metabolites.size(); ++q)
        if (placement_.metabolite[q] && q != m) taken.push_back(*placement_.metabolite[q]);
      for (std::size_t q = 0; q < model_.reactions.size(); ++q) {
        if (q == r || !placement_.reaction[q]) continue;
        const Point mid = *placement_.reaction[q];
        taken.push_back(mid);
        for (auto k : reaction_primaries_[q])
          if (placement_.metabolite[k])
            for (double f : {0.25, 0.5, 0.75}) taken.push_back(mid + f * (*placement_.metabolite[k] - mid));
      }
      double best = -1;
      Point chosen = from + Point{reach, 0};
      for (int k = 0; k < 16; ++k) {
        const int step = (k % 2 == 0 ? k / 2 : 8 + k / 2);  // 0, 8, 1, 9, …: right, left, …
        const double angle = 3.14159265358979 * step / 8.0;
        const Point at = from + Point{reach * std::cos(angle), reach * std::sin(angle)};
        double clearance = 1e300;
        for (const auto& t : taken) clearance = std::min(clearance, norm(at - t));
        if (clearance > best * 1.05) best = clearance, chosen = at;
      }
      placement_.reaction[r] = chosen;
    }
  }

  // Stress leaves a dense part (a hub metabolite's reactions) crowded: nodes closer than
  // a gap (0.35 spacing between metabolites, 0.2 otherwise) are pushed apart, the free
  // ones only, until none is.
  void remove_overlaps(std::vector<Point>& at, const std::vector<bool>& fixed) const {
    const std::size_t n = nodes_.size();
    for (int pass = 0; pass < 200; ++pass) {
      bool moved = false;
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j) {
          if (fixed[i] && fixed[j]) continue;
          const double gap = (nodes_[i].metabolite && nodes_[j].metabolite ? 0.35 : 0.2) * spacing_;
          Point v = at[j] - at[i];
          double len = norm(v);
          if (len >= gap) continue;
          if (len < 1e-9) {
            const double angle = 0.7 * static_cast<double>(i) + 1.3 * static_cast<double>(j);
            v = {std::cos(angle), std::sin(angle)}, len = 1;
          }
          const Point push = ((gap - len) / len) * v;
          if (fixed[i])
            at[j] = at[j] + push;
          else if (fixed[j])
            at[i] = at[i] - push;
          else
            at[i] = at[i] - 0.5 * push, at[j] = at[j] + 0.5 * push;
          moved = true;
        }
      if (!moved) break;
    }
  }

  // Two reactions between the same metabolites (TKT1 and TAL) would draw one over the
  // other: the later one moves aside, across its own direction.
  void separate_coinciding_reactions() {
    const double near = 0.12 * spacing_;
    std::vector<std::size_t> drawn;
    for (std::size_t r = 0; r < model_.reactions.size(); ++r) {
      if (!placement_.reaction[r]) continue;
      for (int tries = 0; tries < 8; ++tries) {
        bool clash = false;
        for (auto q : drawn) clash = clash || norm(*placement_.reaction[r] - *placement_.reaction[q]) < near;
        if (!clash) break;
        const auto [in, out] = sides(r);
        Point u = in.empty() || out.empty() ? Point{0, 1} : centroid(out) - centroid(in);
        const double len = norm(u);
        u = len > 1e-9 ? (1.0 / len) * u : Point{0, 1};
        *placement_.reaction[r] = *placement_.reaction[r] + (0.2 * spacing_) * Point{-u[1], u[0]};
      }
      drawn.push_back(r);
    }
  }

  // Reactions drawn on their own (cofactor exchanges, a lone A → B), in rows under the
  // network, left to right.
  void place_loose_reactions() {
    double left = 0, right = 0, bottom = 0;
    bool any = false;
    for (const auto* list : {&placement_.metabolite, &placement_.reaction})
      for (const auto& p : *list)
        if (p) {
          if (!any) left = right = (*p)[0], bottom = (*p)[1];
          left = std::min(left, (*p)[0]), right = std::max(right, (*p)[0]), bottom = std::max(bottom, (*p)[1]);
          any = true;
        }
    const double step = 1.1 * spacing_;
    const double width = std::max(right - left, 5 * step);
    double x = left, y = any ? bottom + 1.2 * spacing_ : 0, row_height = 0;
    for (std::size_t r = 0; r < model_.reactions.size(); ++r) {
      if (!placement_.loose[r]) continue;
      const double height = loose_fan_height(r);
      if (x > left + width) x = left, y += std::max(0.8 * spacing_, row_height + 0.3 * spacing_), row_height = 0;
      row_height = std::max(row_height, height);
      placement_.reaction[r] = Point{x + 0.5 * spacing_, y + 0.5 * height};
      x += step;
    }
  }

 public:
  // A reaction drawn apart fans its metabolites out across it, this far apart.
  double loose_gap() const { return 0.16 * spacing_; }
  double loose_fan_height(std::size_t r) const {
    const auto& rx = model_.reactions[r];
    return loose_gap() * static_cast<double>(std::max(rx.reactants.size(), rx.products.size()) - 1);
  }

 private:
  const Model& model_;
  double spacing_;
  std::vector<bool> secondary_;
  std::vector<std::optional<Point>> fixed_;
  std::vector<std::vector<std::size_t>> reaction_primaries_;
  std::vector<int> node_of_metabolite_, node_of_reaction_;
  std::vector<Node> nodes_;
  std::vector<std::vector<int>> adjacency_;
  Placement placement_;
};

// Genes named in a rule ("b0001 and (b0002 or b0003)").
json rule_genes(const Model& model, const std::string& rule) {
  json genes = json::array();
  std::set<std::string> seen;
  std::string token;
  auto flush = [&] {
    if (!token.empty() && token != "and" && token != "or" && token != "AND" && token != "OR" && seen.insert(token).second) {
      std::string name;
      if (auto g = model.gene_index(token)) name = model.genes[*g].name;
      genes.push_back({{"bigg_id", token}, {"name", name.empty() ? token : name}});
    }
    token.clear();
  };
  for (char c : rule) {
    if (c == '(' || c == ')' || c == ' ' || c == '\t')
      flush();
    else
      token += c;
  }
  flush();
  return genes;
}

}  // namespace

Result<MapLayout> read_map_layout(std::string_view text, const std::string& source) {
  Diagnostics d(source);
  MapLayout out;
  int ln = 0;
  for (std::string_view line : detail::split_lines(text)) {
    ++ln;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.rfind("#!", 0) != 0) continue;
    const std::string_view body = line.substr(2);
    const auto colon = body.find(':');
    if (colon == std::string_view::npos) {
      d.error("a directive is '#! name: …' or '#! secondary: id id …'", ln, 1);
      continue;
    }
    const std::string key(detail::trim(body.substr(0, colon)));
    const std::string_view value = detail::trim(body.substr(colon + 1));
    if (key == "name") {
      out.name = std::string(value);
    } else if (key == "secondary") {
      std::string id;
      for (char c : std::string(value) + " ") {
        if (c == ' ' || c == '\t' || c == ',') {
          if (!id.empty()) out.secondary.push_back(id);
          id.clear();
        } else {
          id += c;
        }
      }
    } else {
      d.error("unknown directive '" + key.substr(0, 40) + "' (expected name or secondary)", ln, 4);
    }
  }
  detail::TableReader t(text);
  if (!t.read_header(d, {"metabolite", "x", "y"}, {"metabolite", "x", "y"}, "metabolite<TAB>x<TAB>y")) return Result<MapLayout>::failure(d);
  std::map<std::string, int> first_line;
  while (t.next()) {
    const std::string id(t.get("metabolite"));
    if (id.empty()) {
      d.error("empty metabolite id", t.line(), t.column("metabolite"));
      continue;
    }
    Point p{};
    bool ok = true;
    for (int k = 0; k < 2; ++k) {
      const std::string column = k == 0 ? "x" : "y";
      const auto v = detail::parse_number(t.get(column));
      if (!v || !std::isfinite(*v) || std::abs(*v) > 1e7) {
        d.error(column + " '" + std::string(t.get(column).substr(0, 40)) + "' is not a number (map units, |value| ≤ 1e7)", t.line(), t.column(column));
        ok = false;
      } else {
        p[static_cast<std::size_t>(k)] = *v;
      }
    }
    if (!ok) continue;
    if (auto [it, fresh] = first_line.emplace(id, t.line()); !fresh) {
      d.error("'" + id + "' is placed twice (first on line " + std::to_string(it->second) + ")", t.line(), t.column("metabolite"));
      continue;
    }
    out.positions.emplace_back(id, p);
    out.lines.push_back(t.line());
  }
  if (out.positions.empty() && !d.has_errors()) d.error("no positions (expected metabolite<TAB>x<TAB>y lines)");
  if (d.has_errors()) return Result<MapLayout>::failure(d);
  return Result<MapLayout>::success(std::move(out), d.items());
}

Result<MapLayout> load_map_layout(const std::string& path) {
  std::string error;
  auto text = detail::read_file(path, error);
  if (!text) return Result<MapLayout>::failure({Diagnostic{Severity::error, path, 0, 0, {}, error}});
  return read_map_layout(*text, path);
}

std::optional<MapLayout> builtin_map_layout(std::string_view model_id) {
  for (const auto& m : detail::builtin_map_layouts())
    if (m.name == model_id) {
      auto layout = read_map_layout(m.text, "models/maps/" + std::string(m.name) + ".tsv");
      if (layout.ok()) return layout.value();
    }
  return std::nullopt;
}

Result<std::string> escher_map_json(const Model& model, const EscherMapOptions& o) {
  using R = Result<std::string>;
  auto error = [&](const std::string& what) { return R::failure({Diagnostic{Severity::error, model.id, 0, 0, {}, what}}); };
  if (!(o.spacing > 0) || !std::isfinite(o.spacing)) return error("the map's spacing must be a number > 0");
  if (model.reactions.empty()) return error("the model has no reactions to draw");
  if (model.reactions.size() > o.max_reactions)
    return error("the model has " + std::to_string(model.reactions.size()) + " reactions; maps are laid out automatically for up to " +
                 std::to_string(o.max_reactions) + " (draw a larger model on a map made for it, e.g. BiGG's Escher maps)");
  std::vector<Diagnostic> warnings;
  Layout layout(model, o, warnings);
  const Placement placed = layout.place();
  const double L = o.spacing;

  json nodes = json::object(), reactions = json::object();
  long next_id = 1, next_segment = 1;  // segment ids are unique in the whole map (Escher keys beziers by them)
  auto add_node = [&](json node) {
    const std::string id = std::to_string(next_id++);
    nodes[id] = std::move(node);
    return id;
  };
  auto metabolite_node = [&](std::size_t m, Point at, bool primary) {
    const auto& met = model.metabolites[m];
    const double dx = primary ? 0.08 * L : 0.05 * L, dy = primary ? -0.08 * L : -0.03 * L;
    return add_node({{"node_type", "metabolite"}, {"x", at[0]}, {"y", at[1]}, {"bigg_id", met.id}, {"name", met.name.empty() ? met.id : met.name},
                     {"label_x", at[0] + dx}, {"label_y", at[1] + dy}, {"node_is_primary", primary}});
  };
  std::vector<std::string> primary_node(model.metabolites.size());
  for (std::size_t m = 0; m < model.metabolites.size(); ++m)
    if (placed.metabolite[m]) primary_node[m] = metabolite_node(m, *placed.metabolite[m], true);

  for (std::size_t r = 0; r < model.reactions.size(); ++r) {
    if (!placed.reaction[r]) continue;
    const auto& rx = model.reactions[r];
    const Point mid = *placed.reaction[r];
    auto [in, out] = layout.sides(r);
    const bool loose = placed.loose[r];
    Point u = loose ? Point{1, 0}
              : !in.empty() && !out.empty() ? centroid(out) - centroid(in)
              : !in.empty()                 ? mid - centroid(in)
              : !out.empty()                ? centroid(out) - mid
                                            : Point{0, 1};
    const double len = norm(u);
    u = len > 1e-9 ? (1.0 / len) * u : Point{0, 1};
    Point across{-u[1], u[0]};
    if (across[0] < 0 || (across[0] == 0 && across[1] < 0)) across = -1.0 * across;  // the right-hand side

    json segments = json::object();
    auto segment = [&](const std::string& from, const std::string& to) {
      segments[std::to_string(next_segment++)] = {{"from_node_id", from}, {"to_node_id", to}, {"b1", nullptr}, {"b2", nullptr}};
    };
    const std::string mid_id = add_node({{"node_type", "midmarker"}, {"x", mid[0]}, {"y", mid[1]}});
    json metabolites = json::array();
    // one side: its metabolites joined through a multimarker to the midmarker
    auto draw_side = [&](const std::vector<Participant>& side, double sign) {
      if (side.empty()) return;
      const Point marker_at = mid + (sign * 0.06 * L) * u;
      const std::string marker = add_node({{"node_type", "multimarker"}, {"x", marker_at[0]}, {"y", marker_at[1]}});
      if (sign < 0)
        segment(marker, mid_id);
      else
        segment(mid_id, marker);
      int secondaries = 0, fanned = 0;
      for (const auto& p : side) {
        metabolites.push_back({{"bigg_id", model.metabolites[p.metabolite].id}, {"coefficient", sign * p.coefficient}});
        std::string node;
        if (!loose && !layout.secondary(p.metabolite) && !primary_node[p.metabolite].empty()) {
          node = primary_node[p.metabolite];
        } else if (loose) {  // fanned out across the reaction; small where the network has it already (a hub's)
          const double offset = (fanned++ - 0.5 * static_cast<double>(side.size() - 1)) * layout.loose_gap();
          node = metabolite_node(p.metabolite, mid + (sign * 0.4 * L) * u + Point{0, offset},
                                 !layout.secondary(p.metabolite) && primary_node[p.metabolite].empty());
        } else {
          const Point at = mid + (sign * (0.16 + 0.1 * secondaries) * L) * u + (0.25 * L) * across;
          ++secondaries;
          node = metabolite_node(p.metabolite, at, false);
        }
        if (sign < 0)
          segment(node, marker);
        else
          segment(marker, node);
      }
    };
    draw_side(rx.reactants, -1);
    draw_side(rx.products, +1);
    const Point label = mid + (0.1 * L) * across + Point{0, 0.03 * L};
    reactions[std::to_string(next_id++)] = {{"name", rx.name.empty() ? rx.id : rx.name},
                                            {"bigg_id", rx.id},
                                            {"reversibility", rx.reversible || rx.lower_bound < 0},
                                            {"label_x", label[0]},
                                            {"label_y", label[1]},
                                            {"gene_reaction_rule", rx.gpr},
                                            {"genes", rule_genes(model, rx.gpr)},
                                            {"metabolites", std::move(metabolites)},
                                            {"segments", std::move(segments)}};
  }

  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (const auto& [id, node] : nodes.items()) {
    (void)id;
    const double x = node["x"].get<double>(), y = node["y"].get<double>();
    x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
  }
  const double margin = 0.6 * L;
  const std::string name = o.layout && !o.layout->name.empty() ? o.layout->name : (model.id.empty() ? "model" : model.id) + " (fluxion)";
  json header = {{"map_name", name},
                 {"map_id", "fluxion-" + (model.id.empty() ? std::string("model") : model.id)},
                 {"map_description", std::string("Drawn by fluxion: ") +
                                         (o.layout ? "metabolites placed by hand, the rest by stress majorisation" : "an automatic layout (stress majorisation)")},
                 {"homepage", "https://escher.github.io"},
                 {"schema", "https://escher.github.io/escher/jsonschema/1-0-0#"}};
  json body = {{"reactions", std::move(reactions)},
               {"nodes", std::move(nodes)},
               {"text_labels", json::object()},
               {"canvas", {{"x", x0 - margin}, {"y", y0 - margin}, {"width", x1 - x0 + 2 * margin}, {"height", y1 - y0 + 2 * margin}}}};
  // names from a layout given as text may hold bytes that are not UTF-8 (the files' readers
  // convert them; a caller's text may not): written as U+FFFD rather than refused
  return R::success(json::array({header, body}).dump(1, ' ', false, json::error_handler_t::replace) + "\n", warnings);
}

std::optional<std::string> output_map_json(const Model& model) {
  EscherMapOptions o;
  o.layout = builtin_map_layout(model.id);
  o.max_reactions = kOutputMapReactions;
  if (model.reactions.empty() || model.reactions.size() > o.max_reactions) return std::nullopt;
  auto map = escher_map_json(model, o);
  if (!map.ok()) return std::nullopt;
  return map.value();
}

}  // namespace fluxion::io
