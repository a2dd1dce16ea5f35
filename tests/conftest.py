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


# -- training runs as users start them (shared by test_train.py and test_faults.py) --------------------------
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]


@pytest.fixture(scope="module")
def adder(tmp_path_factory):
    "A prepared adder dataset (generated, no download)."
    data = tmp_path_factory.mktemp("data")
    res = run_py("-m", "cleangpt.datasets", "prepare", "adder", env={"CLEANGPT_DATA_DIR": str(data)})
    assert res.returncode == 0, res.stderr
    return data / "adder"


def train_cmd(args, out, torchrun=False, torchrun_args=()):
    return (TORCHRUN + list(torchrun_args) if torchrun else [sys.executable]) + ["-m", "cleangpt.train", *map(str, args),
                                                                                 "--out_dir", str(out)]


def train_env(env=None):
    return {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}


def train(args, out, env=None, torchrun=False, check=True, torchrun_args=()):
    "Run `python -m cleangpt.train` (or torchrun with 2 processes) to completion; returns the CompletedProcess."
    import subprocess
    res = subprocess.run(train_cmd(args, out, torchrun, torchrun_args), capture_output=True, text=True, cwd=ROOT,
                         timeout=600, env=train_env(env))
    if check: assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-4000:]
    return res


def final_weights(run_dir):
    "The model weights in the newest snapshot of a run folder."
    import torch
    snaps = sorted((Path(run_dir) / "snapshots").glob("step_*.pt"))
    return torch.load(snaps[-1], weights_only=True)["model"]


def losses(run_dir):
    "(step, train loss, val loss, accuracy) of every line in a run's metrics.jsonl."
    import json
    rows = [json.loads(l) for l in (Path(run_dir) / "metrics.jsonl").read_text().splitlines()]
    return [(r["step"], r.get("train/loss"), r.get("val/loss"), r.get("val/accuracy")) for r in rows]


def assert_bitwise(a, b, where="state"):
    "Two nested states (dicts, lists, tensors, numbers) are exactly equal."
    import torch
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b), f"{where} differs"
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), f"{where}: keys differ"
        for k in a: assert_bitwise(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b)): assert_bitwise(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


# -- counts of the fault-injection suite, printed after pytest's summary ------------------------------------
def pytest_terminal_summary(terminalreporter):
    "Print what tests recorded with `record_property('fault', line)`; count `fault_case` items by outcome."
    lines, cases = [], {}
    for outcome in ("passed", "failed"):
        for rep in terminalreporter.stats.get(outcome, []):
            for key, value in getattr(rep, "user_properties", []):
                if key == "fault": lines.append(value)
                if key == "fault_case":
                    ok, total = cases.get(value, (0, 0)); cases[value] = (ok + (outcome == "passed"), total + 1)
    lines += [f"{label}: {ok}/{total} cases passed" for label, (ok, total) in cases.items()]
    if not lines: return
    terminalreporter.section("fault injection (tests/test_faults.py)")
    for line in sorted(lines): terminalreporter.write_line(line)
