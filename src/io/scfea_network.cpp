#include "fluxion/io/scfea_network.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <unordered_map>

#include "text.hpp"

namespace fluxion::io {

using namespace detail;

namespace {

std::string_view strip_bom(std::string_view text) {
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF && static_cast<unsigned char>(text[1]) == 0xBB &&
      static_cast<unsigned char>(text[2]) == 0xBF)
    text.remove_prefix(3);
  return text;
}

std::string clean(std::string_view cell) { return std::string(trim(unquote(trim(cell)))); }

// The cells of one delimited line, cleaned; `sep` is a tab when the line holds one.
std::vector<std::string> cells_of(std::string_view line, char sep) {
  std::vector<std::string> out;
  for (auto c : split_cells(line, sep)) out.push_back(clean(c));
  return out;
}

char separator_of(std::string_view line) { return line.find('\t') != std::string_view::npos ? '\t' : ','; }

struct ModuleGenes {
  std::vector<ScfeaModule> modules;
};

// module_gene_*.csv (ragged, optional dummy header) or a GMT (tab-separated, a name column)
Result<ModuleGenes> read_module_genes(std::string_view text, const std::string& source) {
  using R = Result<ModuleGenes>;
  Diagnostics d(source);
  ModuleGenes out;
  const bool gmt = ends_with(lower(source), ".gmt") || ends_with(lower(source), ".gmt.gz");
  std::set<std::string> seen;
  int ln = 0;
  for (auto line : split_lines(strip_bom(text))) {
    ++ln;
    if (trim(line).empty()) continue;
    const char sep = gmt ? '\t' : separator_of(line);
    auto cells = cells_of(line, sep);
    if (cells.empty() || cells[0].empty()) {
      d.error("a module row starts with its module id (M_1, …); this one has none", ln, 1);
      continue;
    }
    // the reference files start with a dummy line "1,A,A,…" that fixes the column count
    if (ln == 1 && !gmt && parse_number(cells[0])) continue;
    ScfeaModule m;
    m.id = cells[0];
    std::size_t first_gene = 1;
    if (gmt) {
      m.name = cells.size() > 1 ? cells[1] : std::string{};
      first_gene = 2;
    }
    for (std::size_t c = first_gene; c < cells.size(); ++c)
      if (!cells[c].empty()) m.genes.push_back(cells[c]);
    if (!seen.insert(m.id).second) {
      d.error("module '" + m.id + "' is listed twice", ln, 1);
      continue;
    }
    // GMT files list modules without genes; the matrices leave them out
    if (gmt && m.genes.empty()) continue;
    if (m.genes.empty()) d.warning("module '" + m.id + "' lists no genes: its flux is a constant", ln, 1);
    out.modules.push_back(std::move(m));
  }
  if (out.modules.empty() && !d.has_errors()) d.error("no modules: expected lines 'M_1,GENE1,GENE2,…'");
  if (d.has_errors()) return R::failure(d);
  return R::success(std::move(out), d.items());
}

Result<ModuleGenes> read_module_genes_json(std::string_view text, const std::string& source) {
  using R = Result<ModuleGenes>;
  Diagnostics d(source);
  nlohmann::ordered_json j;
  try {
    j = nlohmann::ordered_json::parse(strip_bom(text));
  } catch (const nlohmann::json::exception& e) {  // malformed, or a number too large for a double
    d.error(std::string("not JSON: ") + e.what());
    return R::failure(d);
  }
  if (!j.is_object()) {
    d.error("expected a JSON object: module id → list of genes");
    return R::failure(d);
  }
  ModuleGenes out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    ScfeaModule m;
    m.id = it.key();
    if (!it.value().is_array()) {
      d.error("module '" + m.id + "': expected a list of gene names", 0, 0, m.id);
      continue;
    }
    for (const auto& g : it.value()) {
      if (!g.is_string()) {
        d.error("module '" + m.id + "': gene names are strings", 0, 0, m.id);
        break;
      }
      m.genes.push_back(g.get<std::string>());
    }
    out.modules.push_back(std::move(m));
  }
  if (out.modules.empty() && !d.has_errors()) d.error("no modules in the JSON object");
  if (d.has_errors()) return R::failure(d);
  return R::success(std::move(out), d.items());
}

struct Stoichiometry {
  Eigen::MatrixXd matrix;
  std::vector<std::string> row_names;     // ptdang1001 layout only
  std::vector<std::string> column_names;  // ptdang1001 layout only
};

// headerless K × M numbers, or with a header of module ids and compound row names
Result<Stoichiometry> read_stoichiometry(std::string_view text, const std::string& source) {
  using R = Result<Stoichiometry>;
  Diagnostics d(source);
  Stoichiometry out;
  std::vector<std::vector<double>> rows;
  bool named = false;
  std::size_t width = 0;
  int ln = 0, first = 0;
  for (auto line : split_lines(strip_bom(text))) {
    ++ln;
    if (trim(line).empty()) continue;
    const auto raw = split_cells(line, separator_of(line));
    auto cells = cells_of(line, separator_of(line));
    auto column = [&](std::size_t c) { return static_cast<int>(raw[c].data() - line.data()) + 1; };
    if (first == 0) {
      first = ln;
      // a header when some cell past the first is not a number
      for (std::size_t c = 1; c < cells.size(); ++c)
        if (!parse_number(cells[c])) named = true;
      if (named) {
        out.column_names.assign(cells.begin() + 1, cells.end());
        width = out.column_names.size();
        continue;
      }
      width = cells.size();
    }
    std::size_t from = 0;
    if (named) {
      out.row_names.push_back(cells.empty() ? std::string{} : cells[0]);
      from = 1;
    }
    if (cells.size() - from != width) {
      d.error("this row has " + std::to_string(cells.size() - from) + " entries, the first " + std::to_string(width) +
                  " (one per module)",
              ln, 1);
      continue;
    }
    std::vector<double> row;
    for (std::size_t c = from; c < cells.size(); ++c) {
      const auto v = parse_number(cells[c]);
      if (!v || !std::isfinite(*v)) {
        d.error("'" + cells[c] + "' is not a number (the matrix holds +1 produced, −1 consumed, 0)", ln, column(c));
        row.push_back(0.0);
        continue;
      }
      row.push_back(*v);
    }
    rows.push_back(std::move(row));
    if (d.error_count() >= 50) {
      d.error("too many errors; stopping", ln, 0);
      break;
    }
  }
  if (rows.empty() && !d.has_errors()) d.error("no matrix rows (one row per intermediate compound, one column per module)");
  if (d.has_errors()) return R::failure(d);
  out.matrix.resize(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(width));
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (std::size_t c = 0; c < width; ++c) out.matrix(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = rows[r][c];
  return R::success(std::move(out), d.items());
}

// cName: row 1 names, row 2 ids (optional)
Result<std::pair<std::vector<std::string>, std::vector<std::string>>> read_compound_names(std::string_view text, const std::string& source) {
  using R = Result<std::pair<std::vector<std::string>, std::vector<std::string>>>;
  Diagnostics d(source);
  std::vector<std::vector<std::string>> rows;
  for (auto line : split_lines(strip_bom(text)))
    if (!trim(line).empty()) rows.push_back(cells_of(line, separator_of(line)));
  if (rows.empty()) {
    d.error("no compound names: expected a row of names (and a row of ids)");
    return R::failure(d);
  }
  if (rows.size() > 1 && rows[1].size() != rows[0].size())
    d.error("row 2 has " + std::to_string(rows[1].size()) + " ids for " + std::to_string(rows[0].size()) + " names", 2, 1);
  if (d.has_errors()) return R::failure(d);
  return R::success({rows[0], rows.size() > 1 ? rows[1] : std::vector<std::string>(rows[0].size())}, d.items());
}

// KEGG compounds (C00267), scFEA's own (CC…), glycans (G…), iron (F000001); MHC-I ids
// carry a trailing underscore
bool looks_like_id(const std::string& s) {
  static const std::regex id(R"(^(C\d{5}|CC\w*|G\d{5}|F\d{6}|[A-Z]+\d+_?)(\+(C\d{5}|CC\w*|G\d{5}|F\d{6}|[A-Z]+\d+_?))*_?$)");
  return std::regex_match(s, id);
}

std::vector<std::string> split_plus(const std::string& s) {
  std::vector<std::string> out;
  for (auto part : split(s, '+'))
    if (auto t = std::string(trim(part)); !t.empty()) out.push_back(t);
  return out;
}

struct ModuleInfoRow {
  std::string name;
  std::vector<std::string> inputs, input_ids, outputs, output_ids;
  int supermodule = 0;
};

// Both headers: "",Module_id,Compound_IN_name,Compound_IN_ID,Compound_OUT_name,Compound_OUT_ID,Supermodule_id
// and M_id,M_name,C_in,C_in_name,C_out,C_out_name[,SM_id] (names and ids told apart by pattern).
Result<std::map<std::string, ModuleInfoRow>> read_module_info(std::string_view text, const std::string& source) {
  using R = Result<std::map<std::string, ModuleInfoRow>>;
  Diagnostics d(source);
  TableReader t(strip_bom(text));
  if (!t.read_header(d, {}, {}, "module id, compound in, compound out")) return R::failure(d);
  const auto& names = t.header_names();
  auto find = [&](std::initializer_list<const char*> options) -> int {
    for (const char* o : options)
      for (std::size_t c = 0; c < names.size(); ++c)
        if (lower(names[c]) == lower(o)) return static_cast<int>(c);
    return -1;
  };
  const int name_col = find({"M_name"});
  int in_a = find({"Compound_IN_name", "C_in"}), in_b = find({"Compound_IN_ID", "C_in_name"});
  int out_a = find({"Compound_OUT_name", "C_out"}), out_b = find({"Compound_OUT_ID", "C_out_name"});
  const int sm = find({"Supermodule_id", "SM_id"});
  if (in_a < 0 || out_a < 0) {
    d.error("the header names no input and output compound columns (Compound_IN_name / C_in, Compound_OUT_name / C_out)", t.line(), 1);
    return R::failure(d);
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;
  while (t.next()) {
    std::vector<std::string> r;
    for (std::size_t c = 0; c < t.size(); ++c) r.emplace_back(t.cell(c));
    r.resize(names.size());
    rows.push_back(std::move(r));
    lines.push_back(t.line());
  }
  // which of each pair holds ids: the one whose cells mostly look like ids
  auto id_share = [&](int col) {
    if (col < 0) return 0.0;
    std::size_t n = 0, ids = 0;
    for (const auto& r : rows)
      if (!r[static_cast<std::size_t>(col)].empty()) {
        ++n;
        ids += looks_like_id(r[static_cast<std::size_t>(col)]);
      }
    return n ? static_cast<double>(ids) / static_cast<double>(n) : 0.0;
  };
  if (in_b >= 0 && id_share(in_a) > id_share(in_b)) std::swap(in_a, in_b);
  if (out_b >= 0 && id_share(out_a) > id_share(out_b)) std::swap(out_a, out_b);
  std::map<std::string, ModuleInfoRow> out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const std::string& id = r[0];
    if (id.empty()) {
      d.error("a row without a module id", lines[i], 1);
      continue;
    }
    ModuleInfoRow row;
    if (name_col >= 0) row.name = r[static_cast<std::size_t>(name_col)];
    row.inputs = split_plus(r[static_cast<std::size_t>(in_a)]);
    row.outputs = split_plus(r[static_cast<std::size_t>(out_a)]);
    if (in_b >= 0) row.input_ids = split_plus(r[static_cast<std::size_t>(in_b)]);
    if (out_b >= 0) row.output_ids = split_plus(r[static_cast<std::size_t>(out_b)]);
    if (sm >= 0 && !r[static_cast<std::size_t>(sm)].empty()) {
      const auto v = parse_int(r[static_cast<std::size_t>(sm)], 0, 1000000);
      if (!v)
        d.error("super-module '" + r[static_cast<std::size_t>(sm)] + "' is not a whole number", lines[i], t.start(static_cast<std::size_t>(sm)));
      else
        row.supermodule = *v;
    }
    if (!out.emplace(id, std::move(row)).second) d.error("module '" + id + "' has two rows", lines[i], 1);
  }
  if (d.has_errors()) return R::failure(d);
  return R::success(std::move(out), d.items());
}

std::optional<std::string> read_text(const std::string& path, Diagnostics& all) {
  std::string error;
  auto text = read_file(path, error);
  if (!text) all.add(Diagnostic{Severity::error, path, 0, 0, {}, error});
  return text;
}

}  // namespace

std::size_t ScfeaNetwork::n_genes() const {
  std::set<std::string> g;
  for (const auto& m : modules) g.insert(m.genes.begin(), m.genes.end());
  return g.size();
}

Result<ScfeaNetwork> load_scfea_network(const ScfeaNetworkFiles& files) {
  using R = Result<ScfeaNetwork>;
  Diagnostics all;
  if (files.module_genes.empty() || files.stoichiometry.empty()) {
    all.error("a network needs its module genes file and its compound × module matrix (cmMat)");
    return R::failure(all);
  }
  std::array<std::string, 4> texts;
  const std::array<const std::string*, 4> paths{&files.module_genes, &files.stoichiometry, &files.compound_names, &files.module_info};
  for (std::size_t i = 0; i < 4; ++i) {
    if (paths[i]->empty()) continue;
    auto text = read_text(*paths[i], all);
    if (!text) return R::failure(all);
    texts[i] = std::move(*text);
  }
  return read_scfea_network(files, texts[0], texts[1], texts[2], texts[3]);
}

Result<ScfeaNetwork> read_scfea_network(const ScfeaNetworkFiles& files, std::string_view module_genes, std::string_view stoichiometry,
                                        std::string_view compound_names, std::string_view module_info) {
  using R = Result<ScfeaNetwork>;
  Diagnostics all;
  ScfeaNetwork net;
  const std::string_view* genes_text = &module_genes;
  const std::string_view* cm_text = &stoichiometry;
  const bool json = ends_with(lower(files.module_genes), ".json");
  auto genes = json ? read_module_genes_json(*genes_text, files.module_genes) : read_module_genes(*genes_text, files.module_genes);
  all.append(genes.diagnostics());
  auto cm = read_stoichiometry(*cm_text, files.stoichiometry);
  all.append(cm.diagnostics());
  if (!genes || !cm) return R::failure(all);
  net.modules = std::move(genes.value().modules);
  net.sources = {files.module_genes, files.stoichiometry};
  Stoichiometry& s = cm.value();
  const auto n_modules = static_cast<Eigen::Index>(net.modules.size());
  if (!s.column_names.empty()) {
    // columns named by module: put them in module order
    std::unordered_map<std::string, Eigen::Index> col;
    for (std::size_t c = 0; c < s.column_names.size(); ++c) col.emplace(s.column_names[c], static_cast<Eigen::Index>(c));
    Eigen::MatrixXd ordered = Eigen::MatrixXd::Zero(s.matrix.rows(), n_modules);
    for (Eigen::Index m = 0; m < n_modules; ++m) {
      auto it = col.find(net.modules[static_cast<std::size_t>(m)].id);
      if (it == col.end()) {
        all.add(Diagnostic{Severity::error, files.stoichiometry, 1, 0, {},
                           "module '" + net.modules[static_cast<std::size_t>(m)].id + "' of " + files.module_genes + " has no column"});
        continue;
      }
      ordered.col(m) = s.matrix.col(it->second);
    }
    if (s.column_names.size() != net.modules.size())
      all.add(Diagnostic{Severity::error, files.stoichiometry, 1, 0, {},
                         std::to_string(s.column_names.size()) + " module columns for " + std::to_string(net.modules.size()) + " modules in " +
                             files.module_genes});
    s.matrix = std::move(ordered);
    net.compounds = s.row_names;
  } else if (s.matrix.cols() != n_modules) {
    all.add(Diagnostic{Severity::error, files.stoichiometry, 1, 0, {},
                       "the matrix has " + std::to_string(s.matrix.cols()) + " columns but " + files.module_genes + " lists " +
                           std::to_string(net.modules.size()) + " modules (one column per module, in that order)"});
  }
  if (all.has_errors()) return R::failure(all);
  net.matrix = std::move(s.matrix);
  const auto k = static_cast<std::size_t>(net.matrix.rows());

  std::map<std::string, ModuleInfoRow> info;
  if (!files.module_info.empty()) {
    auto parsed = read_module_info(module_info, files.module_info);
    all.append(parsed.diagnostics());
    if (!parsed) return R::failure(all);
    info = std::move(parsed.value());
    net.sources.push_back(files.module_info);
    std::size_t missing = 0;
    for (auto& m : net.modules) {
      auto it = info.find(m.id);
      if (it == info.end()) {
        ++missing;
        continue;
      }
      if (!it->second.name.empty() && m.name.empty()) m.name = it->second.name;
      m.inputs = it->second.inputs;
      m.outputs = it->second.outputs;
      m.supermodule = it->second.supermodule;
    }
    if (missing)
      all.add(Diagnostic{Severity::warning, files.module_info, 0, 0, {},
                         std::to_string(missing) + " of " + std::to_string(net.modules.size()) + " modules have no row here"});
  }
  if (!files.compound_names.empty()) {
    auto parsed = read_compound_names(compound_names, files.compound_names);
    all.append(parsed.diagnostics());
    if (!parsed) return R::failure(all);
    net.sources.push_back(files.compound_names);
    if (parsed.value().first.size() != k) {
      all.add(Diagnostic{Severity::error, files.compound_names, 1, 0, {},
                         std::to_string(parsed.value().first.size()) + " compound names for the " + std::to_string(k) + " rows of " +
                             files.stoichiometry});
      return R::failure(all);
    }
    net.compounds = parsed.value().first;
    net.compound_ids = parsed.value().second;
  }
  if (net.compounds.empty()) {
    // each row's compound: the one its producers make and its consumers take. Ids vote
    // (the names are spelt differently from module to module: "Acetyl-Coa", "glutamate");
    // the row is named with the spelling most modules use.
    net.compounds.resize(k);
    net.compound_ids.assign(k, {});
    std::size_t unnamed = 0;
    for (std::size_t r = 0; r < k; ++r) {
      std::map<std::string, int> votes;                       // key: id, or lower-case name without ids
      std::map<std::string, std::map<std::string, int>> spelling;  // key → name → count
      for (Eigen::Index m = 0; m < n_modules; ++m) {
        const double v = net.matrix(static_cast<Eigen::Index>(r), m);
        if (v == 0.0) continue;
        auto it = info.find(net.modules[static_cast<std::size_t>(m)].id);
        if (it == info.end()) continue;
        const auto& names = v > 0 ? it->second.outputs : it->second.inputs;
        const auto& ids = v > 0 ? it->second.output_ids : it->second.input_ids;
        const bool with_ids = ids.size() == names.size();
        std::set<std::string> once;
        for (std::size_t i = 0; i < names.size(); ++i) {
          const std::string key = with_ids ? ids[i] : lower(names[i]);
          if (once.insert(key).second) ++votes[key];
          ++spelling[key][names[i]];
        }
      }
      int top = 0, ties = 0;
      std::string key;
      for (const auto& [k2, n] : votes) {
        if (n > top) top = n, ties = 1, key = k2;
        else if (n == top) ++ties;
      }
      if (top > 0 && ties == 1) {
        int most = 0;
        for (const auto& [name, n] : spelling[key])
          if (n > most) most = n, net.compounds[r] = name;
        if (key != lower(net.compounds[r])) net.compound_ids[r] = key;
      } else {
        net.compounds[r] = "compound_" + std::to_string(r + 1);
        ++unnamed;
      }
    }
    if (unnamed)
      all.add(Diagnostic{Severity::warning, files.stoichiometry, 0, 0, {},
                         std::to_string(unnamed) + " of " + std::to_string(k) +
                             " matrix rows could not be named from the module information (compound_<row> used); give a cName file"});
  }
  if (net.compound_ids.size() != k) net.compound_ids.assign(k, {});
  for (auto& m : net.modules)
    if (m.name.empty() && !m.inputs.empty() && !m.outputs.empty()) {
      std::string in, out;
      for (const auto& c : m.inputs) in += (in.empty() ? "" : "+") + c;
      for (const auto& c : m.outputs) out += (out.empty() ? "" : "+") + c;
      m.name = in + "_" + out;
    }
  // rows and columns that say nothing
  for (Eigen::Index m = 0; m < n_modules; ++m)
    for (Eigen::Index r = 0; r < net.matrix.rows(); ++r)
      if (const double v = net.matrix(r, m); v != 0.0 && std::fabs(v) != 1.0) {
        all.add(Diagnostic{Severity::warning, files.stoichiometry, static_cast<int>(r + 1), static_cast<int>(m + 1), {},
                           "entry " + format_short(v) + " is neither 0 nor ±1; used as a weight"});
        m = n_modules;
        break;
      }
  net.name = std::filesystem::path(files.stoichiometry).stem().string();
  return R::success(std::move(net), all.items());
}

Result<ScfeaNetwork> load_scfea_network_directory(const std::string& directory) {
  namespace fs = std::filesystem;
  Diagnostics d(directory);
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) {
    d.error("not a directory: give the folder holding one network's files");
    return Result<ScfeaNetwork>::failure(d);
  }
  std::vector<std::string> genes, cm, cname, info;
  for (const auto& e : fs::directory_iterator(directory, ec)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string(), low = lower(name);
    const std::string path = e.path().string();
    if (low.rfind("module_gene", 0) == 0 || ends_with(low, ".gmt") || ends_with(low, "modules_genes.json"))
      genes.push_back(path);
    else if (low.find("cmmat") != std::string::npos)
      cm.push_back(path);
    else if (low.rfind("cname", 0) == 0)
      cname.push_back(path);
    else if (low.find("moduleinfo") != std::string::npos || low.find("information") != std::string::npos || low.rfind("module_info", 0) == 0)
      info.push_back(path);
  }
  auto one = [&](std::vector<std::string>& v, const char* what, bool required) -> std::string {
    std::sort(v.begin(), v.end());
    if (v.size() > 1) {
      std::string list;
      for (const auto& p : v) list += "\n  " + p;
      d.error(std::string("more than one ") + what + " file; give the files one by one:" + list);
    }
    if (v.empty() && required) d.error(std::string("no ") + what + " file (looked for " +
                                       (std::string(what) == "module genes" ? "module_gene*, *.gmt, *modules_genes.json" : "*cmMat*") + ")");
    return v.empty() ? std::string{} : v[0];
  };
  ScfeaNetworkFiles f;
  f.module_genes = one(genes, "module genes", true);
  f.stoichiometry = one(cm, "compound × module matrix", true);
  f.compound_names = one(cname, "compound names", false);
  f.module_info = one(info, "module information", false);
  if (d.has_errors()) return Result<ScfeaNetwork>::failure(d);
  auto net = load_scfea_network(f);
  if (net) net.value().name = fs::path(directory).filename().string();
  return net;
}

std::string write_gmt(const ScfeaNetwork& network) {
  std::string out;
  for (const auto& m : network.modules) {
    out += m.id + '\t' + m.name;
    for (const auto& g : m.genes) out += '\t' + g;
    out += '\n';
  }
  return out;
}

namespace {
std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + '"';
}
std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) {
    if (!s.empty()) s += '+';
    s += x;
  }
  return s;
}
}  // namespace

std::string write_module_info(const ScfeaNetwork& network) {
  // scFLUX's header, so that a result directory reads back as a network
  std::string out = "M_id,M_name,C_in,C_out,SM_id,genes_listed\n";
  for (const auto& m : network.modules)
    out += csv_cell(m.id) + ',' + csv_cell(m.name) + ',' + csv_cell(joined(m.inputs)) + ',' + csv_cell(joined(m.outputs)) + ',' +
           (m.supermodule ? std::to_string(m.supermodule) : std::string{}) + ',' + std::to_string(m.genes.size()) + '\n';
  return out;
}

std::string write_stoichiometry(const ScfeaNetwork& network) {
  std::string out;
  for (Eigen::Index k = 0; k < network.matrix.rows(); ++k) {
    for (Eigen::Index m = 0; m < network.matrix.cols(); ++m) {
      if (m) out += ',';
      out += format_number(network.matrix(k, m));
    }
    out += '\n';
  }
  return out;
}

std::string write_compound_names(const ScfeaNetwork& network) {
  std::string names, ids;
  for (std::size_t k = 0; k < network.compounds.size(); ++k) {
    if (k) names += ',', ids += ',';
    names += csv_cell(network.compounds[k]);
    ids += csv_cell(k < network.compound_ids.size() ? network.compound_ids[k] : std::string{});
  }
  return names + '\n' + ids + '\n';
}

}  // namespace fluxion::io
