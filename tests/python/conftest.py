"""Fixtures of the Python package's tests: the fluxion binary of the same build, cobrapy's
bundled E. coli core model ("textbook", shipped inside python3-cobra: no ../shared needed)."""
import os
import shutil

import pytest


@pytest.fixture(scope="session")
def fluxion_binary():
    path = os.environ.get("FLUXION_BINARY") or shutil.which("fluxion")
    if not path or not os.path.exists(path):
        pytest.skip("the fluxion binary of this build is not known (ctest sets FLUXION_BINARY)")
    return path


@pytest.fixture(scope="session")
def shared_data():
    path = os.environ.get("FLUXION_SHARED_DATA", "")
    if not path or not os.path.isdir(path):
        pytest.skip("../shared/data is not here (a user's clone)")
    return path


@pytest.fixture()
def textbook():
    """A fresh cobra.Model of E. coli core (cobrapy's bundled copy of BiGG's e_coli_core)."""
    cobra = pytest.importorskip("cobra")
    return cobra.io.load_model("textbook")
