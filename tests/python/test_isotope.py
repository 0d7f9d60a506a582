"""Isotope labelling from Python: simulate against the command line."""
import os
import subprocess

import numpy as np
import pandas as pd
import pytest

import fluxion

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
FLUXES = os.path.join(ROOT, "examples", "glycolysis", "true_fluxes.tsv")


@pytest.fixture(scope="module")
def cli_simulation(fluxion_binary, tmp_path_factory):
    out = tmp_path_factory.mktemp("simulate")
    subprocess.run([fluxion_binary, "simulate", "-m", "glycolysis", "-f", FLUXES, "--sensitivities", "-o", str(out / "run")],
                   check=True, capture_output=True)
    return (pd.read_csv(out / "run" / "mids.tsv", sep="\t", keep_default_na=False),
            pd.read_csv(out / "run" / "jacobian.tsv", sep="\t", keep_default_na=False))


@pytest.mark.parametrize("given", ["file", "frame"])
def test_simulate_equals_the_command_line(cli_simulation, given):
    mids, jacobian = cli_simulation
    fluxes = FLUXES if given == "file" else pd.read_csv(FLUXES, sep="\t").set_index("reaction")
    ours = fluxion.simulate("glycolysis", fluxes, sensitivities=True)
    assert ours.attrs["failed"] == ""
    keys = ["experiment", "element", "metabolite", "isotopologue"]
    assert ours[keys].astype(str).values.tolist() == mids[keys].astype(str).values.tolist()
    np.testing.assert_allclose(ours["fraction"], mids["fraction"], rtol=1e-9, atol=1e-15)  # the CLI prints 10 digits
    theirs = jacobian.drop(columns=keys)
    assert list(ours.attrs["jacobian"].columns) == list(theirs.columns)
    np.testing.assert_allclose(ours.attrs["jacobian"].to_numpy(), theirs.to_numpy(), rtol=1e-9, atol=1e-15)


def test_simulate_sums_to_one_per_fragment():
    mids = fluxion.simulate("glycolysis", FLUXES, natural_abundance="all")
    sums = mids.groupby(["experiment", "element", "metabolite"])["fraction"].sum()
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)


def test_simulate_errors_name_the_line_or_argument(tmp_path):
    bad = tmp_path / "fluxes.tsv"
    bad.write_text("reaction\tnet\nGLC_IN\tone\n")
    with pytest.raises(fluxion.InputError, match="fluxes.tsv:2"):
        fluxion.simulate("glycolysis", str(bad))
    with pytest.raises(fluxion.InputError, match="elements"):
        fluxion.simulate("glycolysis", FLUXES, elements=["Xx"])
    with pytest.raises(fluxion.InputError, match="no built-in tracer experiments"):
        fluxion.simulate(fluxion.load_model(os.path.join(ROOT, "examples", "fbapro_toy", "toy.tsv")), {"r1": 1.0})


SERINE = ("sample\tmetabolite\tisotopologue\tarea\tformula\tderivative\n"
          "s1\tSer\t0\t4000\tC3H7NO3\tC14H33Si3\ns1\tSer\t1\t1500\tC3H7NO3\tC14H33Si3\n"
          "s1\tSer\t2\t1200\tC3H7NO3\tC14H33Si3\ns1\tSer\t3\t1000\tC3H7NO3\tC14H33Si3\n")


def test_correct_equals_the_command_line(fluxion_binary, tmp_path):
    path = tmp_path / "intensities.tsv"
    path.write_text(SERINE)
    subprocess.run([fluxion_binary, "correct", str(path), "--purity", "0.99", "-o", str(tmp_path / "cli")], check=True, capture_output=True)
    cli = pd.read_csv(tmp_path / "cli" / "corrected.tsv", sep="\t")
    ours = fluxion.correct(str(path), purity=0.99)
    pd.testing.assert_frame_equal(ours, cli)
    frame = pd.read_csv(path, sep="\t")
    pd.testing.assert_frame_equal(fluxion.correct(frame, purity=0.99), cli)  # a DataFrame in


def test_correct_errors_name_the_line(tmp_path):
    path = tmp_path / "dup.tsv"
    path.write_text(SERINE + "s1\tSer\t1\t1500\tC3H7NO3\tC14H33Si3\n")
    with pytest.raises(fluxion.InputError, match=r"dup.tsv:6:\d+: error: M\+1 of 'Ser' in sample 's1' is given twice"):
        fluxion.correct(str(path))
    with pytest.raises(fluxion.InputError, match="tracer"):
        fluxion.correct(str(path), tracer="14C")


def test_dataset_equals_the_command_line(fluxion_binary, tmp_path):
    import h5py

    subprocess.run([fluxion_binary, "dataset", "-m", "simple", "-n", "300", "--threads", "1", "--seed", "4", "-o", str(tmp_path / "cli"), "-q"],
                   check=True)
    ours = fluxion.dataset("simple", str(tmp_path / "py"), rows=300, threads=1, seed=4, progress=False)
    assert ours["complete"] and ours["rows"] == 300
    with h5py.File(tmp_path / "cli" / "dataset.h5") as a, h5py.File(ours["file"]) as b:
        names = []
        a.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
        assert names
        for name in names:
            np.testing.assert_array_equal(a[name][()], b[name][()], err_msg=name)
    with pytest.raises(fluxion.InputError, match="rows"):
        fluxion.dataset("simple", str(tmp_path / "none"), progress=False)
    with pytest.raises(fluxion.InputError, match="method"):
        fluxion.dataset("simple", str(tmp_path / "bad"), rows=10, method="gibbs", progress=False)


def test_ctrl_c_stops_a_dataset_after_the_part_in_hand(tmp_path):
    import os
    import signal
    import threading

    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        fluxion.dataset("simple", str(tmp_path / "d"), rows=400000, threads=1, progress=False)
    timer.join()
    assert list((tmp_path / "d" / "parts").glob("part-*.bin"))  # the parts made are kept for resume=True
    assert not (tmp_path / "d" / "dataset.h5").exists()
