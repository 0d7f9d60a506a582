"""Least-squares 13C-MFA from Python: the command line's numbers, progress, Ctrl-C."""
import os
import signal
import subprocess
import threading

import pandas as pd
import pytest

import fluxion

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
MIDS = os.path.join(ROOT, "examples", "glycolysis", "mids.tsv")


def test_fit_equals_the_command_line(fluxion_binary, tmp_path):
    subprocess.run([fluxion_binary, "fit", "-m", "glycolysis", "-i", MIDS, "--starts", "4", "--seed", "3", "--threads", "1",
                    "-o", str(tmp_path / "cli")], check=True, capture_output=True)
    ours = fluxion.fit("glycolysis", MIDS, starts=4, seed=3, threads=1, progress=False)
    for name in ("fluxes.tsv", "residuals.tsv", "starts.tsv"):
        cli = (tmp_path / "cli" / name).read_text()
        if name == "starts.tsv":  # wall times differ; the rest is the same
            cli = pd.read_csv(tmp_path / "cli" / name, sep="\t").drop(columns=["seconds"], errors="ignore")
            mine = ours.starts.drop(columns=["seconds"], errors="ignore")
            pd.testing.assert_frame_equal(mine, cli)
        else:
            assert ours.files[name] == cli, name
    assert ours.accepted == (ours.ssr <= ours.chi2_critical)
    assert ours.dof == ours.n_measurements - ours.n_parameters
    assert set(ours.fluxes.columns) >= {"reaction", "net"}
    assert ours.provenance["git_commit"] == fluxion.git_commit


def test_fit_from_a_data_frame_equals_the_file():
    frame = pd.read_csv(MIDS, sep="\t", comment="#")
    a = fluxion.fit("glycolysis", frame, starts=2, seed=1, threads=1, progress=False)
    b = fluxion.fit("glycolysis", MIDS, starts=2, seed=1, threads=1, progress=False)
    assert a.files["fluxes.tsv"] == b.files["fluxes.tsv"]


def test_fit_options_are_checked():
    with pytest.raises(fluxion.InputError, match=r"starts: must be between 0 and 100000, not -1"):
        fluxion.fit("glycolysis", MIDS, starts=-1)
    with pytest.raises(fluxion.InputError, match=r"colour: is not an option here"):
        fluxion.fit("glycolysis", MIDS, colour=1)
    with pytest.raises(fluxion.InputError, match=r"no_such.tsv"):
        fluxion.fit("glycolysis", "no_such.tsv")


def test_progress_is_reported(capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):  # the line fallback, whether tqdm is installed or not
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    fluxion.fit("glycolysis", MIDS, starts=3, threads=1, progress=True)
    assert "fit: 3/3 starts" in capsys.readouterr().err


def test_ctrl_c_stops_the_fit_cleanly():
    """SIGINT during a long fit (20,000 starts: minutes) raises KeyboardInterrupt once the
    engine has stopped at its next safe point; no engine thread is left running."""
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        fluxion.fit("glycolysis", MIDS, starts=20000, threads=1, progress=False)
    timer.join()
    assert not [t for t in threading.enumerate() if t.name == "fluxion" and t.is_alive()]
    # and the package still works afterwards
    assert fluxion.fit("glycolysis", MIDS, starts=1, threads=1, progress=False).ssr > 0


def test_two_fits_run_at_once():
    """Two threads, each in a fit: the progress each engine reports interleaves with the
    other's. An engine that held the GIL would run its whole fit before the other could start."""
    events = []

    def one(name):
        def progress(phase, done, total, unit):
            events.append(name)
            return True

        fluxion._core.fit(progress, model="glycolysis", mids=MIDS, starts=60, threads=1)

    threads = [threading.Thread(target=one, args=(name,)) for name in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    switches = sum(1 for x, y in zip(events, events[1:]) if x != y)
    assert events.count("a") >= 60 and events.count("b") >= 60
    assert switches >= 2, f"the fits ran one after the other: {''.join(events)}"


def test_perturbed_starts_and_the_solver_reach_python():
    fit = fluxion.fit("glycolysis", MIDS, starts=2, perturbed_starts=2, seed=1, threads=1, progress=False)
    assert list(fit.starts["from"]) == ["sampled", "sampled", "perturbed", "perturbed"]
    assert set(fit.starts["reached_best"]) <= {"yes", "no"}
    assert (fit.starts["reached_best"] == "yes").any()
    with pytest.raises(fluxion.InputError, match=r"solver"):
        fluxion.fit("glycolysis", MIDS, solver="newton")


def test_parallel_mfapy_experiments_fit_from_python(shared_data):
    """mfapy's Example 3: one MDV sheet per tracer experiment, mfapy's SD, accepted."""
    mf = os.path.join(shared_data, "mfa", "mfapy")
    sheets = [os.path.join(mf, f"Example_3_MCF7_mdv_{t}.txt") for t in ("1_13C_Glc", "U_13C_Gln")]
    with pytest.warns(UserWarning, match="not in the model's //Target_fragments"):
        fit = fluxion.fit(os.path.join(mf, "Example_3_MCF7_model.txt"), mfapy_mdv=sheets, mfapy_sd=0.015,
                          mfapy_status=os.path.join(mf, "Example_3_MCF7_status.csv"),
                          tracers=os.path.join(ROOT, "examples", "mfapy_mcf7", "tracers.tsv"),
                          natural_abundance=["SubsGlc", "SubsGln", "SubsLeu", "SubsIle", "SubsVal", "SubsArg"],
                          starts=4, seed=1, progress=False)
    assert set(fit.residuals["experiment"]) >= {"ex1", "ex2"}
    assert fit.accepted
    assert fit.ssr == pytest.approx(42.11, abs=0.05)


def test_ftbl_file_fits_from_python_with_its_scale_factors(shared_data):
    """influx_si's E. coli FTBL carries its tracer, MIDs and acetate flux: the fit needs nothing else and
    reaches influx_si's own cost, 61.5141593, with its 9 MS scale factors counted as parameters."""
    import json

    fit = fluxion.fit(os.path.join(shared_data, "mfa", "influx_si", "e_coli.ftbl"), starts=4, seed=1, progress=False)
    assert fit.ssr == pytest.approx(61.5141593, abs=1e-4)
    assert (fit.n_measurements, fit.n_parameters, fit.dof) == (54, 21, 33)
    scales = {s["mid"]: s["factor"] for s in json.loads(fit.json)["scale_factors"]}
    assert scales["Suc"] == pytest.approx(1.15931584, abs=1e-5)



def test_time_course_fit_from_python_with_a_pools_frame(fluxion_binary, tmp_path):
    """A non-stationary fit: MIDs at two times (simulated, pools all 1) and pool sizes as a
    DataFrame, molD fitted from 2: the fit finds 1, as pools.tsv of the command would."""
    subprocess.run([fluxion_binary, "simulate", "-m", "simple", "-f", os.path.join(ROOT, "examples", "simple", "true_fluxes.tsv"),
                    "--times", "0.5,2", "--default-pool", "1", "-o", str(tmp_path / "sim")], check=True, capture_output=True)
    pools = pd.DataFrame({"metabolite": ["molD"], "size": [2.0], "status": ["free"]})
    r = fluxion.fit("simple", str(tmp_path / "sim" / "mids.tsv"), mid_sd=0.01, pools=pools, default_pool=1, starts=3, threads=1, progress=False)
    assert r.ssr < 1e-6
    assert "time" in r.residuals.columns
    molD = r.pools.set_index("metabolite").loc["molD"]
    assert molD["fitted"] == "yes"
    assert abs(molD["size"] - 1) < 1e-4
    assert r.pools.set_index("metabolite").loc["molB", "fitted"] == "no"
