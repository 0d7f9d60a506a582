"""Constraint-based modelling from Python: FBA, pFBA and FVA against cobrapy and against the
command line; FBApro projections without copies; the GIL released while the engine works."""
import csv
import subprocess
import threading
import time

import numpy as np
import pytest

import fluxion


def test_fba_equals_cobrapy(textbook):
    expected = textbook.optimize()
    ours = fluxion.fba(textbook)
    assert ours.attrs["status"] == "optimal"
    assert ours.attrs["objective"] == pytest.approx(expected.objective_value, abs=1e-6)
    assert ours.loc["Biomass_Ecoli_core", "flux"] == pytest.approx(expected.fluxes["Biomass_Ecoli_core"], abs=1e-6)


def test_pfba_equals_cobrapy(textbook):
    from cobra.flux_analysis import pfba

    expected = pfba(textbook)
    ours = fluxion.pfba(textbook)
    assert ours.attrs["status"] == "optimal"
    assert ours.attrs["total_flux"] == pytest.approx(expected.objective_value, abs=1e-6)  # cobrapy's objective: Σ|v|
    assert ours.attrs["objective"] == pytest.approx(textbook.slim_optimize(), abs=1e-6)
    np.testing.assert_allclose(ours["flux"].loc[expected.fluxes.index], expected.fluxes, atol=1e-6)


@pytest.mark.parametrize("fraction", [1.0, 0.9])
def test_fva_equals_cobrapy(textbook, fraction):
    from cobra.flux_analysis import flux_variability_analysis

    expected = flux_variability_analysis(textbook, fraction_of_optimum=fraction, processes=1)
    ours = fluxion.fva(textbook, fraction=fraction, threads=1)
    assert (ours["status"] == "optimal").all()
    np.testing.assert_allclose(ours.loc[expected.index, "minimum"], expected["minimum"], atol=1e-6)
    np.testing.assert_allclose(ours.loc[expected.index, "maximum"], expected["maximum"], atol=1e-6)


def test_knockouts_equal_cobrapy(textbook):
    gene = next(iter(textbook.reactions.get_by_id("PPS").genes)).id  # ppsA, PPS's only gene
    with textbook:
        textbook.genes.get_by_id(gene).knock_out()
        textbook.reactions.get_by_id("PGI").knock_out()
        expected = textbook.slim_optimize()
    ours = fluxion.fba(textbook, knockout_genes=[gene], knockout="PGI")
    assert ours.attrs["objective"] == pytest.approx(expected, abs=1e-6)
    assert "PPS" in ours.attrs["gene_blocked"]


def test_infeasible_is_a_status_not_an_exception(textbook):
    textbook.reactions.get_by_id("ATPM").lower_bound = 1000.0
    ours = fluxion.fba(textbook)
    assert ours.attrs["status"] == "infeasible"
    assert "infeasible" in ours.attrs["failure"]


def test_same_numbers_as_the_command_line(textbook, fluxion_binary, tmp_path):
    import cobra.io

    path = tmp_path / "ecoli.json"
    cobra.io.save_json_model(textbook, str(path))
    subprocess.run([fluxion_binary, "fba", "-m", str(path), "--fva", "--fraction", "0.95", "--threads", "1", "-o", str(tmp_path / "out")],
                   check=True, capture_output=True)
    ours = fluxion.fba(str(path), fva=True, fraction=0.95, threads=1)
    with open(tmp_path / "out" / "fluxes.tsv") as f:
        rows = {r["reaction"]: float(r["net"]) for r in csv.DictReader(f, delimiter="\t")}
    assert list(rows) == list(ours.index)
    np.testing.assert_allclose(list(rows.values()), ours["flux"].to_numpy(), rtol=1e-9, atol=1e-12)  # the CLI prints 10 digits
    with open(tmp_path / "out" / "fva.tsv") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            assert float(r["minimum"]) == pytest.approx(ours.loc[r["reaction"], "minimum"], rel=1e-9, abs=1e-12)
            assert float(r["maximum"]) == pytest.approx(ours.loc[r["reaction"], "maximum"], rel=1e-9, abs=1e-12)


def test_projection_reads_a_fortran_batch_in_place(textbook):
    model = fluxion.from_cobra(textbook)
    rng = np.random.default_rng(1)
    references = np.asfortranarray(rng.normal(size=(len(model.reactions), 200)))
    seen = fluxion._core._buffer_address(references)
    assert seen == references.ctypes.data  # the engine reads numpy's own buffer
    c_order = np.ascontiguousarray(references)
    assert fluxion._core._buffer_address(c_order) != c_order.ctypes.data  # converted once, as documented

    p = fluxion.projector(model)  # every reaction noisy, as the command's default: ker S's orthogonal projector
    out = p.apply(references)
    assert out.shape == references.shape
    assert out.flags.f_contiguous and not np.shares_memory(out, references)
    assert type(out.base).__name__ == "PyCapsule"  # Eigen's result handed over, not copied
    s, _, _ = fluxion.stoichiometry(model)
    assert np.abs(out).max() > 0.1
    assert np.abs(s @ out).max() < 1e-9  # steady states
    # an orthogonal projection: idempotent, and what it removes is orthogonal to what it keeps
    np.testing.assert_allclose(p.apply(out), out, atol=1e-9)
    np.testing.assert_allclose(np.einsum("ij,ij->j", out, references - out), 0, atol=1e-8)
    np.testing.assert_allclose(fluxion.projector(model, variant="basic").apply(references), out, atol=1e-9)
    frame = fluxion.project(textbook, __import__("pandas").DataFrame(references[:, :3], index=model.reactions))
    np.testing.assert_allclose(frame.to_numpy(), out[:, :3], atol=1e-12)


def test_projection_errors(textbook):
    model = fluxion.from_cobra(textbook)
    with pytest.raises(fluxion.InputError, match="expected 95 rows"):
        fluxion.projector(model).apply(np.zeros((3, 2), order="F"))
    with pytest.raises(fluxion.InputError, match="fixed: 'nope' is not a reaction"):
        fluxion.projector(model, fixed=["nope"])
    with pytest.raises(fluxion.InputError, match="variant"):
        fluxion.projector(model, variant="diagonal")


def test_the_gil_is_released_during_fva(textbook):
    """While one thread is inside the engine, another runs Python: with the GIL held, no step
    of the other thread could fall inside the call's window."""
    model = fluxion.from_cobra(textbook)
    marks, windows = [], []
    done = threading.Event()

    def engine():
        for _ in range(5):
            start = time.perf_counter()
            fluxion._core.fba(model, fva=True, threads=1)
            windows.append((start, time.perf_counter()))
        done.set()

    worker = threading.Thread(target=engine)
    worker.start()
    while not done.is_set():
        marks.append(time.perf_counter())
        time.sleep(0.0005)
    worker.join()
    inside = sum(1 for t in marks for a, b in windows if a < t < b)
    assert inside >= 5, f"{inside} Python steps ran during {sum(b - a for a, b in windows):.3f} s inside the engine"


def test_projection_reproduces_fbapro_table_1_as_the_command_line(fluxion_binary, tmp_path):
    """FBApro's toy network (Bruner & Singh, Table 1): v1 fixed at 7, v3 and v4 noisy; the full
    variant gives (7, 4.2, 2.8, 4.2, 5.6), as `fluxion project` does."""
    import os

    root = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "fbapro_toy")
    toy, refs = os.path.join(root, "toy.tsv"), os.path.join(root, "references.tsv")
    subprocess.run([fluxion_binary, "project", "-m", toy, "-r", refs, "--variant", "full", "-o", str(tmp_path / "cli")],
                   check=True, capture_output=True)
    cli = __import__("pandas").read_csv(tmp_path / "cli" / "fluxes.tsv", sep="\t").set_index("reaction")["table1"]
    references = __import__("pandas").read_csv(refs, sep="\t", comment="#").set_index("reaction")[["table1"]]
    ours = fluxion.project(toy, references, fixed=["v1"], noisy=["v3", "v4"])
    np.testing.assert_allclose(ours["table1"].to_numpy(), [7, 4.2, 2.8, 4.2, 5.6], atol=1e-12)
    np.testing.assert_allclose(ours["table1"].to_numpy(), cli.loc[ours.index].to_numpy(), rtol=1e-9)


def _cli_table(fluxion_binary, tmp_path, *args):
    out = tmp_path / args[0]
    subprocess.run([fluxion_binary, *args, "-o", str(out)], check=True, capture_output=True)
    return out


@pytest.fixture()
def ecoli_json(textbook, tmp_path):
    import cobra.io

    path = tmp_path / "ecoli.json"
    cobra.io.save_json_model(textbook, str(path))
    return str(path)


def _expression(textbook, samples=3, seed=2):
    import pandas as pd

    rng = np.random.default_rng(seed)
    genes = sorted(g.id for g in textbook.genes)
    return pd.DataFrame(rng.gamma(2.0, 50.0, size=(len(genes), samples)), index=pd.Index(genes, name="gene"),
                        columns=[f"s{i}" for i in range(samples)])


def test_moma_equals_the_command_line(ecoli_json, fluxion_binary, tmp_path):
    import pandas as pd

    out = _cli_table(fluxion_binary, tmp_path, "moma", "-m", ecoli_json, "--knockout", "PGI", "--linear")
    cli = pd.read_csv(out / "fluxes.tsv", sep="\t").set_index("reaction")
    ours = fluxion.moma(ecoli_json, knockout=["PGI"], linear=True)
    assert ours.loc["PGI"].abs().max() == 0
    assert list(ours.columns) == list(cli.columns)
    np.testing.assert_allclose(ours.to_numpy(), cli.loc[ours.index].to_numpy(), rtol=1e-9, atol=1e-9)
    assert (ours.attrs["samples"]["status"] == "optimal").all()


def test_expression_then_imat_equal_the_command_line(textbook, ecoli_json, fluxion_binary, tmp_path):
    import pandas as pd

    table = _expression(textbook)
    path = tmp_path / "expression.tsv"
    table.reset_index().to_csv(path, sep="\t", index=False, float_format="%.17g")
    out = _cli_table(fluxion_binary, tmp_path, "expression", "-m", ecoli_json, "-e", str(path), "--threads", "1")
    cli = pd.read_csv(out / "references.tsv", sep="\t", keep_default_na=False, na_values=["NA"]).set_index("reaction")
    ours = fluxion.expression(ecoli_json, table, threads=1)  # a DataFrame in, as from scanpy or pandas
    pd.testing.assert_frame_equal(ours, cli.loc[ours.index], check_exact=False, rtol=1e-9)
    # the references are FBApro's input: projected onto the steady states
    measured = ours.drop(columns=["confidence"])
    steady = fluxion.project(textbook, measured.fillna(0.0), noisy=list(measured.dropna().index))
    s, _, reactions = fluxion.stoichiometry(fluxion.from_cobra(textbook))
    assert np.abs(s @ steady.loc[reactions].to_numpy()).max() < 1e-9

    out = _cli_table(fluxion_binary, tmp_path, "imat", "-m", ecoli_json, "-e", str(path))
    cli = pd.read_csv(out / "fluxes.tsv", sep="\t", keep_default_na=False, na_values=["NA"]).set_index("reaction")
    ours = fluxion.imat(ecoli_json, expression=table)
    assert list(ours.columns) == list(cli.columns) == list(table.columns)
    np.testing.assert_allclose(ours.to_numpy(), cli.loc[ours.index].to_numpy(), rtol=1e-9, atol=1e-9)


def test_a_reference_table_without_a_reaction_leaves_it_unmeasured(textbook):
    """Reactions a DataFrame does not give are unmeasured, not measured at 0: dropping one
    gives the projection with that reaction left out of the noisy set."""
    import pandas as pd

    model = fluxion.from_cobra(textbook)
    rng = np.random.default_rng(4)
    full = pd.DataFrame(rng.normal(size=(len(model.reactions), 2)), index=model.reactions, columns=["s1", "s2"])
    partial = full.drop(index=["PGI", "PFK"])
    ours = fluxion.project(model, partial)
    expected = fluxion.projector(model, noisy=list(partial.index)).apply(np.asfortranarray(full.to_numpy()))
    np.testing.assert_allclose(ours.to_numpy(), expected, atol=1e-10)
    assert not np.allclose(ours.to_numpy(), fluxion.project(model, partial.reindex(model.reactions).fillna(0.0)).to_numpy())
    holes = partial.copy()
    holes.loc["CS", "s2"] = np.nan
    with pytest.raises(fluxion.InputError, match="'CS' is measured in some samples"):
        fluxion.project(model, holes)


def test_escher_map_of_a_cobra_model_draws_every_reaction(textbook):
    drawn = fluxion.escher_map(textbook)
    header, body = drawn
    assert header["schema"].startswith("https://escher.github.io/escher/jsonschema/")
    ids = sorted(r["bigg_id"] for r in body["reactions"].values())
    assert ids == sorted(r.id for r in textbook.reactions)
    segments = [s for r in body["reactions"].values() for s in r["segments"]]
    assert len(segments) == len(set(segments))  # unique in the map, as Escher needs
    for r in body["reactions"].values():
        for s in r["segments"].values():
            assert s["from_node_id"] in body["nodes"] and s["to_node_id"] in body["nodes"]
    # the built-in glycolysis on its hand layout: g6p where models/maps/glycolysis.tsv puts it
    g6p = [n for n in fluxion.escher_map("glycolysis")[1]["nodes"].values() if n.get("bigg_id") == "g6p"]
    assert [(n["x"], n["y"]) for n in g6p] == [(0, 250)]
    with pytest.raises(fluxion.InputError, match="spacing"):
        fluxion.escher_map("glycolysis", spacing=-1)
