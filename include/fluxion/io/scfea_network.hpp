// scFEA module networks: modules (groups of reactions between two intermediate
// compounds, each with a gene set) and the compound × module matrix that says which
// module produces (+1) or consumes (−1) which intermediate.
//
// Three layouts are read (../shared/notes/scfea.md §3):
//   reference  module_gene_<net>.csv (ragged CSV, an optional dummy first line "1,A,A,…",
//              then "M_1,GENE1,GENE2,…"), cmMat_<net>.csv (headerless K × M numbers),
//              cName_<net>.csv (row 1 compound names, row 2 ids; optional), and a module
//              information CSV (optional);
//   scFLUX     <net>.gmt ("M_1<TAB>name<TAB>GENE…"; modules with no genes are left out, as
//              the matrices leave them out), a headerless cmMat, <net>.moduleinfo.csv;
//              compound names come from the module information (for each row the one
//              compound its producers make and its consumers take);
//   ptdang1001 a cmMat with compound row names and module column names, and a JSON
//              object module → genes.
// BOM, CRLF, float-formatted integers, duplicated genes (kept as listed: scFEA's module
// expression divides by the listed count) and swapped name/id columns are tolerated;
// every mismatch is an error naming the file and line.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/diagnostics.hpp"

namespace fluxion::io {

struct ScfeaModule {
  std::string id;                   // "M_1"
  std::string name;                 // "Glucose_G6P" (or "Glucose → G6P" from the compounds)
  std::vector<std::string> genes;   // as listed (duplicates kept)
  std::vector<std::string> inputs;  // compound names it consumes ("+"-joined in the files)
  std::vector<std::string> outputs;
  int supermodule = 0;              // 0: not given
};

struct ScfeaNetwork {
  std::string name;
  std::vector<ScfeaModule> modules;
  std::vector<std::string> compounds;     // one per matrix row (balance columns)
  std::vector<std::string> compound_ids;  // KEGG ids where known, else empty strings
  Eigen::MatrixXd matrix;                 // compounds × modules; +1 produced, −1 consumed
  std::vector<std::string> sources;       // the files it was read from

  std::size_t n_genes() const;  // distinct genes over all modules
};

struct ScfeaNetworkFiles {
  std::string module_genes;    // module_gene_*.csv, a .gmt, or a .json object
  std::string stoichiometry;   // cmMat
  std::string compound_names;  // cName (optional)
  std::string module_info;     // module information CSV (optional)
};

Result<ScfeaNetwork> load_scfea_network(const ScfeaNetworkFiles& files);
// The same from texts already read; `files` gives their names (for messages and to tell a
// .gmt or .json gene file) and which of the optional ones are present.
Result<ScfeaNetwork> read_scfea_network(const ScfeaNetworkFiles& files, std::string_view module_genes, std::string_view stoichiometry,
                                        std::string_view compound_names = {}, std::string_view module_info = {});
// A directory holding one network: the files are found by name (module_gene*, *.gmt or
// *modules_genes.json; cmMat*; cName*; *moduleinfo*, *information*, module_info*).
Result<ScfeaNetwork> load_scfea_network_directory(const std::string& directory);

// The network as files: GMT (module, name, genes), module information (scFLUX's columns),
// the headerless compound × module matrix and the compound names (names, then ids). A
// directory holding the four (modules.gmt, module_info.csv, cmMat.csv, cName.csv) reads back
// with load_scfea_network_directory.
std::string write_gmt(const ScfeaNetwork& network);
std::string write_module_info(const ScfeaNetwork& network);
std::string write_stoichiometry(const ScfeaNetwork& network);
std::string write_compound_names(const ScfeaNetwork& network);

}  // namespace fluxion::io
