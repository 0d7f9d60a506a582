"""The notebooks of examples/notebooks, executed: with Debian's jupyter nbconvert when it is
installed, otherwise their code cells run in order as one script."""
import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NOTEBOOKS = os.path.join(ROOT, "examples", "notebooks")


def run_notebook(name, tmp_path, env):
    path = os.path.join(NOTEBOOKS, name)
    nbconvert = shutil.which("jupyter-nbconvert")
    if nbconvert:
        subprocess.run([nbconvert, "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=600", "--output-dir", str(tmp_path), path],
                       check=True, cwd=ROOT, env=env, capture_output=True)
        with open(tmp_path / name) as f:
            executed = json.load(f)
        errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, errors
    else:
        with open(path) as f:
            cells = json.load(f)["cells"]
        script = "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT, env=env)


@pytest.fixture()
def env(tmp_path):
    e = dict(os.environ, FLUXION_REPOSITORY=ROOT, FLUXION_NOTEBOOK_OUT=str(tmp_path), PYDEVD_DISABLE_FILE_VALIDATION="1",
             OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    return e


def test_isotope_tracing(tmp_path, env):
    pytest.importorskip("matplotlib")
    run_notebook("isotope_tracing.ipynb", tmp_path, env)
    assert (tmp_path / "isotope_tracing.png").stat().st_size > 1000


def test_scfea_anndata(tmp_path, env):
    pytest.importorskip("matplotlib")
    pytest.importorskip("anndata")
    run_notebook("scfea_anndata.ipynb", tmp_path, env)
    assert (tmp_path / "scfea_groups.png").stat().st_size > 1000


def test_fbapro_recon1(tmp_path, env, shared_data):
    pytest.importorskip("matplotlib")
    if not os.path.exists(os.path.join(shared_data, "bigg", "RECON1.xml.gz")):
        pytest.skip("RECON1 is not in ../shared/data/bigg")
    run_notebook("fbapro_recon1.ipynb", tmp_path, dict(env, FLUXION_SHARED_DATA=shared_data))
    assert (tmp_path / "fbapro_recon1.png").stat().st_size > 1000
