// The results of a run as fluxion's Python scflux puts them into an AnnData (scflux/run.hpp).
#include <string>
#include <vector>

#include "fluxion/core/version.hpp"
#include "fluxion/scflux/run.hpp"

namespace fluxion::scflux {

io::H5adAdditions h5ad_additions(const ScfluxInputs& in, const ScfluxRun& run, const ScfluxRequest& q, const std::string& command) {
  const io::ScfeaNetwork& net = in.network.network;
  const ScfeaResult& r = run.result;
  auto matrix_frame = [&](const Eigen::MatrixXf& m, const std::vector<std::string>& names) {
    io::H5adFrame f;
    f.index = in.cells.cells;
    for (Eigen::Index c = 0; c < m.cols(); ++c) {
      io::H5adColumn col;
      col.name = names[static_cast<std::size_t>(c)];
      col.numbers.resize(static_cast<std::size_t>(m.rows()));
      for (Eigen::Index i = 0; i < m.rows(); ++i) col.numbers[static_cast<std::size_t>(i)] = m(i, c);
      f.columns.push_back(std::move(col));
    }
    return f;
  };
  std::vector<std::string> module_ids, module_names;
  for (const auto& m : net.modules) module_ids.push_back(m.id), module_names.push_back(m.name);
  io::H5adAdditions add;
  add.obsm.emplace_back("scflux_flux", matrix_frame(r.flux, module_ids));
  add.obsm.emplace_back("scflux_balance", matrix_frame(r.balance, net.compounds));
  add.uns_key = "scflux";
  io::H5adUnsEntry modules;
  modules.key = "modules";
  modules.kind = io::H5adUnsEntry::Kind::frame;
  modules.frame.index_name = "module";
  modules.frame.index = module_ids;
  io::H5adColumn name, found;
  name.name = "name", name.is_string = true, name.strings = module_names;
  found.name = "genes_found", found.is_integer = true;
  for (std::size_t g : r.genes_found) found.integers.push_back(static_cast<long long>(g));
  modules.frame.columns = {name, found};
  add.uns.push_back(std::move(modules));
  io::H5adUnsEntry compounds;
  compounds.key = "compounds", compounds.kind = io::H5adUnsEntry::Kind::strings, compounds.strings = net.compounds;
  add.uns.push_back(std::move(compounds));
  add.uns.push_back({"summary", io::H5adUnsEntry::Kind::string, run.summary, {}, {}, {}});
  add.uns.push_back({"termination", io::H5adUnsEntry::Kind::string, to_string(r.summary.termination), {}, {}, {}});
  // the group comparison, as groups_modules.csv and groups_balance.csv hold it (and as
  // fluxion.scflux puts it in uns)
  if (!run.groups.groups.empty()) {
    auto text = [](std::vector<std::string> v, const char* n) {
      io::H5adColumn c;
      c.name = n, c.is_string = true, c.strings = std::move(v);
      return c;
    };
    auto number = [](std::vector<double> v, const char* n) {
      io::H5adColumn c;
      c.name = n, c.numbers = std::move(v);
      return c;
    };
    auto count = [](std::vector<long long> v, const char* n) {
      io::H5adColumn c;
      c.name = n, c.is_integer = true, c.integers = std::move(v);
      return c;
    };
    const auto& cmp = run.groups;
    io::H5adUnsEntry mods;
    mods.key = "groups_modules", mods.kind = io::H5adUnsEntry::Kind::frame;
    std::vector<std::string> group, module, mname;
    std::vector<long long> n_in, n_out;
    std::vector<double> mean_in, mean_out, effect, p, qv;
    for (const auto& m : cmp.modules) {
      mods.frame.index.push_back(std::to_string(mods.frame.index.size()));
      group.push_back(m.group), module.push_back(net.modules[m.module].id), mname.push_back(net.modules[m.module].name);
      n_in.push_back(static_cast<long long>(m.n_in)), n_out.push_back(static_cast<long long>(m.n_out));
      mean_in.push_back(m.mean_in), mean_out.push_back(m.mean_out), effect.push_back(m.effect), p.push_back(m.p), qv.push_back(m.q);
    }
    mods.frame.columns = {text(group, "group"), text(module, "module"), text(mname, "name"), count(n_in, "cells_in_group"), count(n_out, "cells_in_other_groups"),
                          number(mean_in, "mean_in_group"), number(mean_out, "mean_in_other_groups"), number(effect, "effect_rank_biserial"), number(p, "p"),
                          number(qv, "q")};
    add.uns.push_back(std::move(mods));
    io::H5adUnsEntry bal;
    bal.key = "groups_balance", bal.kind = io::H5adUnsEntry::Kind::frame;
    std::vector<std::string> bgroup, compound, call;
    std::vector<long long> cells;
    std::vector<double> mean, median, positive, bp, bq;
    for (const auto& b : cmp.balances) {
      bal.frame.index.push_back(std::to_string(bal.frame.index.size()));
      bgroup.push_back(b.group), compound.push_back(net.compounds[b.compound]), call.push_back(b.call);
      cells.push_back(static_cast<long long>(b.n));
      mean.push_back(b.mean), median.push_back(b.median), positive.push_back(b.positive), bp.push_back(b.p), bq.push_back(b.q);
    }
    bal.frame.columns = {text(bgroup, "group"), text(compound, "compound"), count(cells, "cells"), number(mean, "mean_balance"), number(median, "median_balance"),
                         number(positive, "share_above_zero"), number(bp, "p"), number(bq, "q"), text(call, "call")};
    add.uns.push_back(std::move(bal));
  }
  io::H5adUnsEntry provenance;
  provenance.key = "provenance", provenance.kind = io::H5adUnsEntry::Kind::dict, provenance.dict = run.settings;
  provenance.dict.emplace_back("fluxion_version", std::string(version()));
  provenance.dict.emplace_back("git_commit", std::string(git_hash()));
  provenance.dict.emplace_back("layer", q.layer.empty() ? "X" : q.layer);
  provenance.dict.emplace_back("groups", q.groups);
  provenance.dict.emplace_back("command", command);
  add.uns.push_back(std::move(provenance));
  return add;
}

}  // namespace fluxion::scflux
