// Fuzz target: scFEA network files must never crash the reader. The input is split at
// '\x01' into module genes, matrix, compound names and module information; its first byte
// picks the gene file's layout (CSV, GMT, JSON). A network that loads has one matrix
// column per module and one name per row.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "fluxion/io/scfea_network.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const char* names[] = {"module_gene_f.csv", "f.gmt", "f_modules_genes.json"};
  const char* kind = names[data[0] % 3];
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto cut = text.find('\x01', start);
    parts.push_back(text.substr(start, cut == std::string_view::npos ? std::string_view::npos : cut - start));
    if (cut == std::string_view::npos || parts.size() == 4) break;
    start = cut + 1;
  }
  parts.resize(4);
  fluxion::io::ScfeaNetworkFiles files{kind, "cmMat_f.csv", parts[2].empty() ? "" : "cName_f.csv", parts[3].empty() ? "" : "f.moduleinfo.csv"};
  auto net = fluxion::io::read_scfea_network(files, parts[0], parts[1], parts[2], parts[3]);
  if (net.ok()) {
    const auto& n = net.value();
    if (static_cast<std::size_t>(n.matrix.cols()) != n.modules.size() || static_cast<std::size_t>(n.matrix.rows()) != n.compounds.size() ||
        n.compound_ids.size() != n.compounds.size())
      std::abort();
    (void)fluxion::io::write_gmt(n);
    (void)fluxion::io::write_module_info(n);
  }
  return 0;
}
