import contextlib
import os
import random
import secrets
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


# -- one seed for every random choice of the suite -----------------------------------------------------------
# `$CLEANGPT_TEST_SEED`, else a fresh one for this session. pytest-xdist's workers get the controller's (below),
# so `pytest -n 2` and a plain `pytest` draw the same choices for the same seed.
SEED_VAR = "CLEANGPT_TEST_SEED"


def pytest_configure(config):
    if hasattr(config, "workerinput"): seed = config.workerinput[SEED_VAR]       # an xdist worker
    elif os.environ.get(SEED_VAR): seed = int(os.environ[SEED_VAR])
    else: seed = secrets.randbelow(1_000_000)
    config.stash[_seed_key] = seed


_seed_key = pytest.StashKey[int]()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    "xdist (in the controller): hand this session's seed to each worker."
    node.workerinput[SEED_VAR] = node.config.stash[_seed_key]


def pytest_report_header(config):
    seed = config.stash[_seed_key]
    return f"random choices of the tests: seed {seed} (rerun them with {SEED_VAR}={seed})"


class Chance(random.Random):
    """The random choices of one test: a `random.Random` seeded from the session seed and the test's id, so
    that what a test draws depends on neither the order of the tests nor xdist's split among workers.
    `explain(**chosen)` puts the seed and what was drawn into the message of any failure inside it."""
    def __init__(self, session_seed: int, nodeid: str):
        super().__init__(f"{session_seed}/{nodeid}")
        self.session_seed, self.nodeid = session_seed, nodeid

    def hint(self, **chosen) -> str:
        said = "".join(f", {k.replace('_', ' ')} {v}" for k, v in chosen.items())
        return f"seed {self.session_seed}{said}: rerun with {SEED_VAR}={self.session_seed} pytest '{self.nodeid}'"

    @contextlib.contextmanager
    def explain(self, **chosen):
        "Any failure in this block (an assert, a timeout, a crash) starts with `hint(**chosen)`."
        try: yield
        except AssertionError as e:
            raise AssertionError(f"{self.hint(**chosen)}\n{e}").with_traceback(e.__traceback__) from None
        except Exception as e:
            e.add_note(self.hint(**chosen)); raise


@pytest.fixture
def chance(request) -> Chance:
    "This test's random choices (see `Chance`)."
    seed = request.config.stash[_seed_key]
    request.node.user_properties.append(("seed", seed))      # the terminal summary says which seed was used
    return Chance(seed, request.node.nodeid)


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


# The library carries no test hooks: a run with faults is started through tests/faults.py, which installs
# them (from `$CLEANGPT_FAULT_*`) and then runs the same CLI. A run without faults starts the real entry point.
FAULTS = str(ROOT / "tests" / "faults.py")


def is_fault_env(env) -> bool:
    return any(k.startswith("CLEANGPT_FAULT_") for k in (env or {}))


def train_cmd(args, out, torchrun=False, torchrun_args=(), faults=False):
    "The command line of `python -m cleangpt.train` (`python tests/faults.py` with `faults`), or of torchrun."
    entry = [FAULTS] if faults else ["-m", "cleangpt.train"]
    return (TORCHRUN + list(torchrun_args) if torchrun else [sys.executable]) + entry + [*map(str, args),
                                                                                     "--out_dir", str(out)]


def train_env(env=None):
    # a CLEANGPT_FAULT_* left in the shell must not leak into a run that is meant to be plain
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLEANGPT_FAULT_")}
    return {**base, "OMP_NUM_THREADS": "1", **(env or {})}


def train(args, out, env=None, torchrun=False, check=True, torchrun_args=()):
    """Run `python -m cleangpt.train` (or torchrun with 2 processes) to completion; returns the CompletedProcess.
    An `env` that sets a `CLEANGPT_FAULT_*` variable runs tests/faults.py instead, which obeys it."""
    import subprocess
    cmd = train_cmd(args, out, torchrun, torchrun_args, faults=is_fault_env(env))
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600, env=train_env(env))
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
    if lines:
        terminalreporter.section("fault injection (tests/test_faults.py)")
        for line in sorted(lines): terminalreporter.write_line(line)
    # the seed, also under -q (which hides the header), whenever a test drew from it
    drew = {rep.nodeid for reports in terminalreporter.stats.values() for rep in reports
            if any(key == "seed" for key, _ in getattr(rep, "user_properties", []))}
    if drew:
        seed = terminalreporter.config.stash[_seed_key]
        terminalreporter.write_line(f"random choices of {len(drew)} test(s): seed {seed} "
                                    f"(rerun them with {SEED_VAR}={seed})")
