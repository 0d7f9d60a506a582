// Small networks written inline for the constraint-based tests.
#pragma once

#include <Eigen/Dense>
#include <cmath>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "fluxion/core/model.hpp"

namespace fluxion::test_models {

struct SmallReaction {
  std::string id;
  std::vector<std::pair<std::string, double>> stoichiometry;  // metabolite, coefficient (< 0 consumed)
  double lower = 0.0, upper = 1000.0;
};

inline Model small_model(const std::string& id, const std::vector<SmallReaction>& reactions) {
  Model m;
  m.id = id;
  for (const auto& spec : reactions) {
    Reaction r;
    r.id = spec.id;
    r.lower_bound = spec.lower;
    r.upper_bound = spec.upper;
    for (const auto& [met, c] : spec.stoichiometry)
      (c < 0 ? r.reactants : r.products).push_back(Participant{m.ensure_metabolite(met), std::fabs(c), {}});
    m.add_reaction(r);
  }
  return m;
}

// The FBApro paper's §4 network: v1 imports A, v2 A → B, v3 A → 2 C, v4 exports B, v5 exports C
inline Model fbapro_toy() {
  return small_model("toy", {{"v1", {{"A", 1}}}, {"v2", {{"A", -1}, {"B", 1}}}, {"v3", {{"A", -1}, {"C", 2}}}, {"v4", {{"B", -1}}}, {"v5", {{"C", -1}}}});
}

inline Eigen::VectorXd vec(std::initializer_list<double> x) {
  Eigen::VectorXd v(static_cast<Eigen::Index>(x.size()));
  Eigen::Index i = 0;
  for (double e : x) v(i++) = e;
  return v;
}

}  // namespace fluxion::test_models
