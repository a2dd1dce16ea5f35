"""One pytest item per lesson notebook: each runs through `nbdev_test`, exactly as a student would run it.

Flags: CLEANGPT_TEST_FLAGS="slow" also runs the cells marked `#| slow` (`gpu` cells need a GPU).
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, TEST_FLAGS

NOTEBOOKS = sorted(p for p in (ROOT / "nbs").glob("*.ipynb") if not p.name.startswith("_"))


def nbdev_test_bin():
    local = Path(sys.executable).parent / "nbdev_test"
    return str(local) if local.exists() else shutil.which("nbdev_test")


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb):
    cmd = [nbdev_test_bin(), "--path", str(nb), "--do_print"]
    if TEST_FLAGS: cmd += ["--flags", " ".join(TEST_FLAGS)]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert res.returncode == 0, f"{nb.name} failed:\n{res.stdout[-4000:]}\n{res.stderr[-8000:]}"


def test_every_notebook_found():
    assert len(NOTEBOOKS) >= 2 and (ROOT / "nbs" / "00_core.ipynb") in NOTEBOOKS
