"""The lessons that read downloaded data (Tiny Shakespeare, GPT-2's BPE files, the TinyStories sample), for
.ci/run's no-mirror pass: `pytest -m data` with CLEANGPT_DATA_MIRROR unset, an empty CLEANGPT_DATA_DIR and no
network. Each must still pass, on the stand-in data it makes itself.

In a plain run (no `-m data`) these items skip at once: tests/test_notebooks.py runs the same notebooks there.
"""
import pytest

from conftest import ROOT
from test_notebooks import test_notebook as run_notebook

# every lesson whose cells look for a file from the mirror or the web
DATA_NOTEBOOKS = ["01_tokenizers", "02_datasets", "03_loading", "06_generate", "17_bench"]


@pytest.mark.data
@pytest.mark.parametrize("nb", DATA_NOTEBOOKS)
def test_notebook_without_data(nb, request):
    if "data" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("runs only in .ci/run's no-mirror pass (pytest -m data); tests/test_notebooks.py runs it here")
    run_notebook(ROOT / "nbs" / f"{nb}.ipynb")


def test_data_notebooks_exist():
    assert all((ROOT / "nbs" / f"{nb}.ipynb").is_file() for nb in DATA_NOTEBOOKS)
