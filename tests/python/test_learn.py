"""The engines on LibTorch from Python: scFEA on an AnnData, ML-Flux prediction; against the
command line on the same inputs."""
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import fluxion

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_import_does_not_load_libtorch():
    code = "import sys, fluxion; assert 'fluxion._learn' not in sys.modules; fluxion.predictor('glycolysis'); assert 'fluxion._learn' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ))


def test_predict_equals_the_command_line(fluxion_binary, tmp_path):
    mids = os.path.join(ROOT, "examples", "glycolysis", "mids.tsv")
    subprocess.run([fluxion_binary, "predict", "-p", "glycolysis", "-i", mids, "-o", str(tmp_path / "cli")], check=True, capture_output=True)
    ours = fluxion.predict("glycolysis", mids)
    for name in ("fluxes", "delta_g"):
        cli = pd.read_csv(tmp_path / "cli" / f"{name}.tsv", sep="\t", keep_default_na=False, na_values=["NA"])
        pd.testing.assert_frame_equal(ours[name], cli, check_exact=False, rtol=1e-9)
    p = fluxion.predictor("glycolysis")  # opened once, applied again
    pd.testing.assert_frame_equal(fluxion.predict(p, pd.read_csv(mids, sep="\t"))["fluxes"], ours["fluxes"])
    with pytest.raises(fluxion.InputError, match="imputer"):
        fluxion.predict(p, mids, imputer="magic")


@pytest.fixture()
def cells(textbook, tmp_path):
    """60 cells × E. coli core's genes (by name, as a derived network lists them), two groups."""
    anndata = pytest.importorskip("anndata")
    import cobra.io
    import scipy.sparse

    model = tmp_path / "ecoli.json"
    cobra.io.save_json_model(textbook, str(model))
    rng = np.random.default_rng(3)
    genes = sorted({g.name for g in textbook.genes if g.name})
    x = rng.poisson(3.0, size=(60, len(genes))).astype(np.float32)
    x[rng.random(x.shape) < 0.5] = 0
    obs = pd.DataFrame({"kind": ["a"] * 30 + ["b"] * 30}, index=[f"c{i}" for i in range(60)])
    adata = anndata.AnnData(X=scipy.sparse.csr_matrix(x), obs=obs, var=pd.DataFrame(index=genes))
    path = tmp_path / "cells.h5ad"
    adata.write_h5ad(path)
    groups = tmp_path / "groups.tsv"
    obs.rename_axis("cell").reset_index().to_csv(groups, sep="\t", index=False)
    return adata, str(path), str(model), str(groups)


def test_scflux_on_anndata_equals_the_command_line(cells, fluxion_binary, tmp_path):
    import anndata

    adata, path, model, groups = cells
    subprocess.run([fluxion_binary, "scflux", "-e", path, "-m", model, "--epochs", "5", "--threads", "1", "--groups", groups,
                    "-o", str(tmp_path / "cli")], check=True, capture_output=True)
    cli_flux = pd.read_csv(tmp_path / "cli" / "flux.csv", index_col=0)
    cli_balance = pd.read_csv(tmp_path / "cli" / "balance.csv", index_col=0)

    assert fluxion.scflux(adata, model=model, epochs=5, threads=1, groups="kind", progress=False) is None  # in place, as scanpy
    flux, balance = adata.obsm["scflux_flux"], adata.obsm["scflux_balance"]
    assert flux.shape == (60, cli_flux.shape[0]) and balance.shape == (60, cli_balance.shape[0])
    assert list(flux.index) == list(adata.obs_names) and list(flux.columns) == list(cli_flux.index)
    np.testing.assert_allclose(flux.to_numpy(), cli_flux.T.to_numpy(), rtol=1e-5, atol=1e-9)  # the CSV holds 7 digits
    np.testing.assert_allclose(balance.to_numpy(), cli_balance.T.to_numpy(), rtol=1e-5, atol=1e-9)
    uns = adata.uns["scflux"]
    assert list(uns["modules"].index) == list(flux.columns)
    assert uns["provenance"]["git_commit"] == fluxion.git_commit and uns["provenance"]["groups"] == "kind"
    assert "groups_modules" in uns
    cli_groups = pd.read_csv(tmp_path / "cli" / "groups_modules.csv")
    assert list(uns["groups_modules"].columns) == list(cli_groups.columns)

    out = tmp_path / "out.h5ad"
    adata.write_h5ad(out)
    back = anndata.read_h5ad(out)  # reopened by anndata: shapes, names, provenance
    assert back.obsm["scflux_flux"].shape == flux.shape
    assert list(back.obsm["scflux_flux"].columns) == list(flux.columns)
    assert back.uns["scflux"]["provenance"]["fluxion_version"] == fluxion.__version__


def test_scflux_output_h5ad_is_the_input_with_the_results(cells, fluxion_binary, tmp_path):
    """`fluxion scflux --output-h5ad`: a copy of the input AnnData with the results where the
    Python call puts them, read back by Debian's anndata; the input file is not changed."""
    import anndata
    import hashlib

    adata, path, model, _ = cells
    before = hashlib.sha256(open(path, "rb").read()).hexdigest()
    out = tmp_path / "with_flux.h5ad"
    subprocess.run([fluxion_binary, "scflux", "-q", "-e", path, "-m", model, "--epochs", "4", "--threads", "1",
                    "-o", str(tmp_path / "cli"), "--output-h5ad", str(out)], check=True, capture_output=True)
    assert hashlib.sha256(open(path, "rb").read()).hexdigest() == before
    back = anndata.read_h5ad(out)
    cli_flux = pd.read_csv(tmp_path / "cli" / "flux.csv", index_col=0)
    cli_balance = pd.read_csv(tmp_path / "cli" / "balance.csv", index_col=0)
    flux, balance = back.obsm["scflux_flux"], back.obsm["scflux_balance"]
    assert flux.shape == (adata.n_obs, cli_flux.shape[0]) and balance.shape == (adata.n_obs, cli_balance.shape[0])
    assert list(flux.index) == list(adata.obs_names)
    assert list(flux.columns) == list(cli_flux.index) and list(balance.columns) == list(cli_balance.index)
    np.testing.assert_allclose(flux.to_numpy(), cli_flux.T.to_numpy(), rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(balance.to_numpy(), cli_balance.T.to_numpy(), rtol=1e-5, atol=1e-9)
    uns = back.uns["scflux"]
    assert list(uns["modules"].index) == list(flux.columns) and uns["modules"].index.name == "module"
    assert list(uns["modules"].columns) == ["name", "genes_found"] and uns["modules"]["genes_found"].dtype == np.int64
    assert list(uns["compounds"]) == list(balance.columns)
    assert uns["termination"] == "completed" and "samples" in uns["summary"]
    assert uns["provenance"]["fluxion_version"] == fluxion.__version__ and uns["provenance"]["epochs"] == "4"
    assert "--output-h5ad" in uns["provenance"]["command"]
    # the input's own contents are kept
    assert list(back.obs["kind"]) == list(adata.obs["kind"]) and back.shape == adata.shape
    np.testing.assert_array_equal(back.X.toarray(), adata.X.toarray())
    # the same layout as the Python call's
    fluxion.scflux(adata, model=model, epochs=4, threads=1, progress=False)
    assert list(adata.obsm["scflux_flux"].columns) == list(flux.columns)
    assert set(adata.uns["scflux"]) >= set(uns) - {"provenance"}

    # with cell groups: the comparison in uns as groups_modules.csv and groups_balance.csv hold it
    groups = tmp_path / "groups.tsv"
    pd.DataFrame({"cell": adata.obs_names, "group": adata.obs["kind"].astype(str)}).to_csv(groups, sep="\t", index=False)
    out_g = tmp_path / "with_groups.h5ad"
    subprocess.run([fluxion_binary, "scflux", "-q", "-e", path, "-m", model, "--epochs", "4", "--threads", "1", "--groups", str(groups),
                    "-o", str(tmp_path / "cli_g"), "--output-h5ad", str(out_g)], check=True, capture_output=True)
    g = anndata.read_h5ad(out_g).uns["scflux"]
    for key, keys in (("groups_modules", ["group", "module"]), ("groups_balance", ["group", "compound", "call"])):
        csv = pd.read_csv(tmp_path / "cli_g" / f"{key}.csv", keep_default_na=False)
        frame = g[key].reset_index(drop=True)
        assert list(frame.columns) == list(csv.columns) and len(frame) == len(csv) > 0
        for c in csv.columns:
            if c in keys:
                assert list(frame[c].astype(str)) == list(csv[c].astype(str)), c
            elif c != "name":
                np.testing.assert_allclose(frame[c].to_numpy(dtype=float), csv[c].to_numpy(dtype=float), rtol=1e-6, atol=1e-12, err_msg=c)

    # refused: the input itself as the output, an input that is not .h5ad
    same = subprocess.run([fluxion_binary, "scflux", "-q", "-e", path, "-m", model, "--epochs", "1", "-o", str(tmp_path / "c2"),
                           "--output-h5ad", path], capture_output=True, text=True)
    assert same.returncode != 0 and "is the input file" in same.stderr
    assert hashlib.sha256(open(path, "rb").read()).hexdigest() == before
    table = tmp_path / "cells.csv"
    pd.DataFrame(adata.X.toarray().T, index=adata.var_names, columns=adata.obs_names).to_csv(table)
    dense = subprocess.run([fluxion_binary, "scflux", "-q", "-e", str(table), "-m", model, "--epochs", "1", "-o", str(tmp_path / "c3"),
                            "--output-h5ad", str(tmp_path / "x.h5ad")], capture_output=True, text=True)
    assert dense.returncode == 2 and "needs an .h5ad expression input" in dense.stderr


def test_scflux_from_a_path_returns_a_new_anndata(cells):
    adata, path, model, _ = cells
    result = fluxion.scflux(path, model=model, epochs=2, threads=1, progress=False)
    assert result.obsm["scflux_flux"].shape[0] == adata.n_obs
    assert "scflux_flux" not in adata.obsm


def test_scflux_from_a_dense_table_equals_the_anndata(cells, tmp_path):
    adata, _, model, _ = cells
    table = tmp_path / "cells.csv"  # genes × cells, as scFEA's examples
    pd.DataFrame(adata.X.toarray().T, index=adata.var_names, columns=adata.obs_names).to_csv(table)
    from_file = fluxion.scflux(str(table), model=model, epochs=3, threads=1, progress=False)
    fluxion.scflux(adata, model=model, epochs=3, threads=1, progress=False)
    assert list(from_file.obs_names) == list(adata.obs_names)
    np.testing.assert_allclose(from_file.obsm["scflux_flux"].to_numpy(), adata.obsm["scflux_flux"].to_numpy(), rtol=1e-6, atol=1e-9)


def test_scflux_errors(cells):
    adata, _, model, _ = cells
    with pytest.raises(fluxion.InputError, match="groups: 'tissue' is not a column of obs"):
        fluxion.scflux(adata, model=model, groups="tissue")
    with pytest.raises(fluxion.InputError, match="epochs"):
        fluxion.scflux(adata, model=model, epochs=-3)
    duplicated = adata.copy()  # a CSR with a repeated (cell, gene) entry is summed, as scipy sums it
    x = duplicated.X.tocoo()
    import scipy.sparse

    duplicated.X = scipy.sparse.csr_matrix((np.r_[x.data, [1.0]], (np.r_[x.row, [0]], np.r_[x.col, [0]])), shape=x.shape)
    fluxion.scflux(duplicated, model=model, epochs=1, threads=1, progress=False)
    bad = adata.copy()
    bad.X = bad.X.toarray()
    bad.X[0, 0] = np.nan
    with pytest.raises(fluxion.InputError, match="finite"):
        fluxion.scflux(bad, model=model, epochs=1, progress=False)


def test_scflux_with_genes_outside_the_network_equals_the_command_line(cells, fluxion_binary, tmp_path):
    """An AnnData with 300 genes the network lacks: Python copies only the network's genes (the
    others as per-cell totals), as the command line reads them; the fluxes agree, and differ
    from those of the network genes alone (CPM counts every gene in a cell's library size)."""
    import anndata
    import scipy.sparse

    adata, _, model, _ = cells
    rng = np.random.default_rng(5)
    extra = rng.poisson(1.0, size=(adata.n_obs, 300)).astype(np.float32)
    wide = anndata.AnnData(X=scipy.sparse.hstack([adata.X, scipy.sparse.csr_matrix(extra)]).tocsr(), obs=adata.obs.copy(),
                           var=pd.DataFrame(index=list(adata.var_names) + [f"OTHER{i}" for i in range(300)]))
    path = tmp_path / "wide.h5ad"
    wide.write_h5ad(path)
    subprocess.run([fluxion_binary, "scflux", "-q", "-e", str(path), "-m", model, "--epochs", "5", "--threads", "1", "--normalisation", "cpm",
                    "-o", str(tmp_path / "cli")],
                   check=True, capture_output=True)
    cli = pd.read_csv(tmp_path / "cli" / "flux.csv", index_col=0)
    fluxion.scflux(wide, model=model, epochs=5, threads=1, normalisation="cpm", progress=False)
    np.testing.assert_allclose(wide.obsm["scflux_flux"].to_numpy(), cli.T.to_numpy(), rtol=1e-5, atol=1e-9)
    narrow = adata.copy()
    fluxion.scflux(narrow, model=model, epochs=5, threads=1, normalisation="cpm", progress=False)
    assert not np.allclose(narrow.obsm["scflux_flux"].to_numpy(), wide.obsm["scflux_flux"].to_numpy(), rtol=1e-3)


@pytest.fixture(scope="module")
def simple_dataset(fluxion_binary, tmp_path_factory):
    out = tmp_path_factory.mktemp("dataset") / "simple"
    subprocess.run([fluxion_binary, "dataset", "-m", "simple", "-n", "1500", "--threads", "1", "-o", str(out), "-q"], check=True)
    return str(out)


def test_train_equals_the_command_line(simple_dataset, fluxion_binary, tmp_path):
    subprocess.run([fluxion_binary, "train", "-d", simple_dataset, "-o", str(tmp_path / "cli"), "--epochs", "3", "--seed", "2",
                    "--pcnn-epochs", "0", "-q"], check=True)
    ours = fluxion.train(simple_dataset, str(tmp_path / "py"), epochs=3, seed=2, pcnn_epochs=0, progress=False)
    assert not ours["paused"] and ours["package"].endswith("predictor.fluxpkg")
    for name in ("loss", "test_errors"):
        cli = pd.read_csv(tmp_path / "cli" / f"{name}.tsv", sep="\t", keep_default_na=False, na_values=["NA"])
        mine = ours[name]
        if "seconds" in cli.columns:  # wall time differs
            cli, mine = cli.drop(columns=["seconds"]), mine.drop(columns=["seconds"])
        pd.testing.assert_frame_equal(mine, cli, check_exact=False, rtol=1e-6)
    assert ours["test_mae_mean"] < ours["trivial_test_mae_mean"] * 2  # a number the report gives beside the baseline
    mids = os.path.join(ROOT, "examples", "simple", "mids.tsv")
    assert len(fluxion.predict(ours["package"], mids)["fluxes"]) > 0  # the package predicts


def test_ensemble_equals_the_command_line(simple_dataset, fluxion_binary, tmp_path):
    members = []
    for seed in (1, 2):
        run = fluxion.train(simple_dataset, str(tmp_path / f"m{seed}"), epochs=2, seed=seed, hidden="16", pcnn_epochs=0, progress=False)
        members.append(run["package"])
    subprocess.run([fluxion_binary, "ensemble", "-d", simple_dataset, "--member", members[0], "--member", members[1], "--masked-rows", "100",
                    "-o", str(tmp_path / "cli"), "-q"], check=True)
    ours = fluxion.ensemble(members, simple_dataset, str(tmp_path / "py"), masked_rows=100)
    assert ours["members"] == members and ours["package"].endswith("predictor.fluxpkg")
    for name in ("test_errors", "error_tables"):
        cli = pd.read_csv(tmp_path / "cli" / f"{name}.tsv", sep="\t", keep_default_na=False, na_values=["NA"])
        pd.testing.assert_frame_equal(ours[name], cli, check_exact=False, rtol=1e-9)
    # the ensemble's MAE per flux is at most the mean of its members' (the triangle inequality)
    single = [pd.read_csv(tmp_path / f"m{seed}" / "test_errors.tsv", sep="\t") for seed in (1, 2)]
    assert (ours["test_errors"]["mae"] <= (single[0]["mae"] + single[1]["mae"]) / 2 + 1e-12).all()
    with pytest.raises(fluxion.InputError, match="two or more"):
        fluxion.ensemble(members[:1], simple_dataset, str(tmp_path / "bad"))


def test_score_equals_the_command_line(simple_dataset, fluxion_binary, tmp_path):
    subprocess.run([fluxion_binary, "score", "-p", "simple", "-d", simple_dataset, "--subset", "all", "-o", str(tmp_path / "cli"), "-q"], check=True)
    ours = fluxion.score("simple", simple_dataset, subset="all")
    for name in ("scores", "paper_metrics"):
        cli = pd.read_csv(tmp_path / "cli" / f"{name}.tsv", sep="\t", keep_default_na=False, na_values=["NA"])
        pd.testing.assert_frame_equal(ours[name], cli, check_exact=False, rtol=1e-9)
    assert "skill" in " ".join(ours["scores"].columns)


def test_train_pauses_and_resumes(simple_dataset, tmp_path):
    out = str(tmp_path / "run")
    first = fluxion.train(simple_dataset, out, epochs=4, seed=2, pcnn_epochs=0, stop_after_epochs=2, progress=False)
    assert first["paused"] and first["package"] == "" and len(first["loss"]) == 2
    with pytest.raises(fluxion.InputError, match="resume"):
        fluxion.train(simple_dataset, out, epochs=4, seed=2, pcnn_epochs=0, progress=False)
    second = fluxion.train(simple_dataset, out, epochs=4, seed=2, pcnn_epochs=0, resume=True, progress=False)
    assert not second["paused"] and len(second["loss"]) == 4


def test_dynamics_train_and_predict_equal_the_command_line(fluxion_binary, tmp_path):
    syn = tmp_path / "syn"
    subprocess.run([fluxion_binary, "dynamics", "synthesize", "-o", str(syn)], check=True, capture_output=True)
    data = str(syn / "expression")
    subprocess.run([fluxion_binary, "dynamics", "train", "-d", data, "--model", "np", "--epochs", "3", "-o", str(tmp_path / "cli"), "-q"],
                   check=True, capture_output=True)
    ours = fluxion.dynamics_train(str(tmp_path / "py"), data=data, model="np", epochs=3, progress=False)
    assert ours["usable"] and "paper test MSE" in ours["report"]
    cli = pd.read_csv(tmp_path / "cli" / "day_metrics.csv")
    pd.testing.assert_frame_equal(ours["day_metrics"], cli, check_exact=False, rtol=1e-6)
    assert (tmp_path / "py" / "model.pt").exists()

    subprocess.run([fluxion_binary, "dynamics", "predict", "-m", str(tmp_path / "cli"), "-c", data, "--days", "0,15,20", "-o",
                    str(tmp_path / "cli_pred")], check=True, capture_output=True)
    summary = fluxion.dynamics_predict(str(tmp_path / "py"), data, days=[0, 15, 20])
    pd.testing.assert_frame_equal(summary, pd.read_csv(tmp_path / "cli_pred" / "summary.csv"), check_exact=False, rtol=1e-6)
    with pytest.raises(fluxion.InputError, match="either data"):
        fluxion.dynamics_train(str(tmp_path / "x"), progress=False)

    network = str(syn / "network")
    subprocess.run([fluxion_binary, "dynamics", "scfea", "-d", data, "-n", network, "--epochs", "3", "--threads", "1", "-o",
                    str(tmp_path / "cli_flux")], check=True, capture_output=True)
    run = fluxion.dynamics_scfea(data, network, str(tmp_path / "py_flux"), epochs=3, threads=1, progress=False)
    assert str(tmp_path / "py_flux" / "flux") in run["written"] and "module fluxes" in run["summary"]
    for day in ("d0.csv.gz", "d15.csv.gz"):
        a = pd.read_csv(tmp_path / "cli_flux" / "flux" / day, index_col=0)
        b = pd.read_csv(tmp_path / "py_flux" / "flux" / day, index_col=0)
        pd.testing.assert_frame_equal(b, a, check_exact=False, rtol=1e-6)


def test_a_time_course_predictor_takes_times_and_predicts_pools(tmp_path):
    # a time-course dataset (pool sizes drawn per flux set), a network on it, a prediction
    # from MIDs at two of its three times
    made = fluxion.dataset("simple", str(tmp_path / "ds"), rows=400, threads=1, times="0.5,1,2", pool_range="0.2,5", progress=False)
    assert made["complete"] and made["rows"] == 400
    trained = fluxion.train(str(tmp_path / "ds"), str(tmp_path / "train"), epochs=2, hidden="8", pcnn_epochs=0, masked_rows=50, progress=False)
    errors = trained["test_errors"]
    assert {"pool:molB", "pool:molF"} <= set(errors["flux"])
    rows = []
    for t in (0.5, 2.0):
        for metabolite, mid in (("molB", [0.7, 0.3, 0, 0]), ("molF", [0.8, 0.1, 0.1, 0])):
            rows += [{"experiment": "e1", "metabolite": metabolite, "time": t, "isotopologue": k, "fraction": f} for k, f in enumerate(mid)]
    out = fluxion.predict(trained["package"], pd.DataFrame(rows))
    pools = out["pools"]
    assert list(pools.columns) == ["metabolite", "size", "se", "sd"]
    assert set(pools["metabolite"]) == {"molB", "molC", "molD", "molE", "molF"}
    assert ((pools["size"] >= 0.2) & (pools["size"] <= 5)).all()  # within the range they were drawn from
    assert "time" in out["mids"].columns
    with pytest.raises(fluxion.InputError, match="has no time"):
        fluxion.predict(trained["package"], pd.DataFrame([{k: v for k, v in r.items() if k != "time"} for r in rows if r["time"] == 0.5]))
