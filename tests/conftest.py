import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Tests never talk to wandb's servers, and never download: data comes from the mirror or is generated.
os.environ.setdefault("WANDB_MODE", "disabled")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# The suite runs two test processes at once (pytest -n 2) on 2 cores: one thread each. Two OpenMP threads
# per process on a shared core spin against each other and run tiny models tens of times slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")
TEST_FLAGS = os.environ.get("CLEANGPT_TEST_FLAGS", "").split()


def pytest_collection_modifyitems(config, items):
    if "slow" in TEST_FLAGS: return
    skip = pytest.mark.skip(reason='slow: set CLEANGPT_TEST_FLAGS="slow" to run')
    for item in items:
        if "slow" in item.keywords: item.add_marker(skip)


@pytest.fixture
def root():
    return ROOT


def run_py(*args, env=None, cwd=None, timeout=600, **kw):
    "Run `python *args` as a user would; returns the CompletedProcess with text output."
    import subprocess
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=full_env,
                          cwd=cwd or ROOT, timeout=timeout, **kw)
