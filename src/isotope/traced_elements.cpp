#include "fluxion/isotope/traced_elements.hpp"

namespace fluxion::isotope {

namespace {

// items, each split at its commas, blanks dropped
std::vector<std::string> split_items(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items)
    for (std::size_t a = 0; a <= item.size();) {
      const auto b = std::min(item.find(',', a), item.size());
      if (b > a) out.push_back(item.substr(a, b - a));
      a = b + 1;
    }
  return out;
}

}  // namespace

Result<SubstrateLabelling> natural_abundance_labelling(const Model& model, const std::vector<std::string>& items, const std::string& option) {
  SubstrateLabelling labelling;
  for (const auto& s : split_items(items)) {
    if (s == "none") continue;
    if (s == "all") labelling.natural_abundance.push_back("*");
    else if (!model.metabolite_index(s))
      return Result<SubstrateLabelling>::failure({Diagnostic{Severity::error, option, 0, 0, {}, "'" + s + "' is not a metabolite of the model"}});
    else labelling.natural_abundance.push_back(s);
  }
  return Result<SubstrateLabelling>::success(std::move(labelling));
}

std::string natural_abundance_text(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

Result<std::vector<Element>> traced_element_list(const std::vector<std::string>& symbols, const std::vector<TracerExperiment>& experiments,
                                                 const std::string& option) {
  std::vector<Element> elements;
  for (const auto& e : symbols) {
    auto el = element_from_symbol(e);
    if (!el) return Result<std::vector<Element>>::failure({Diagnostic{Severity::error, option, 0, 0, {}, "unknown element '" + e + "' (C, H, N, O)"}});
    elements.push_back(*el);
  }
  if (elements.empty()) elements = labelled_elements(experiments);
  return Result<std::vector<Element>>::success(std::move(elements));
}

Result<std::vector<TracedElement>> build_traced_elements(const Model& model, const FluxSpace& space, const std::vector<TracedElementSpec>& specs,
                                                         const std::vector<TracerExperiment>& experiments, const SubstrateLabelling& labelling) {
  using R = Result<std::vector<TracedElement>>;
  std::vector<TracedElement> out;
  for (const auto& spec : specs) {
    EmuOptions eo;
    eo.element = spec.element;
    eo.measured = spec.measured;
    auto emu = EmuModel::compile(model, space, eo);
    if (!emu) return R::failure(emu.diagnostics());
    auto inputs = emu.value().inputs(experiments, labelling);
    if (!inputs) return R::failure(inputs.diagnostics());
    out.push_back({std::move(emu.value()), std::move(inputs.value())});
  }
  return R::success(std::move(out));
}

}  // namespace fluxion::isotope
