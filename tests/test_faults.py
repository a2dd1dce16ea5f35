"""Fault injection: each fault of lesson 15's table "What survives which fault", done to real processes.

R1 kill -9 at random steps · R2 kill -9 in the middle of a snapshot write · R3 damaged snapshots ·
R4 a checkpoint that carries code · R5 bad input on every command · R6 SIGTERM / SIGINT ·
R7 a rank that dies under `torchrun --max-restarts=1` · R8 downloads, racing prepares, rank-0 prepare ·
R9 a full disk.

Every run is compared with an uninterrupted run of the same command, trained once per test session (and
shared by the xdist workers). The counts are printed after pytest's summary (conftest.py).
`CLEANGPT_TEST_FLAGS=slow` runs the longer variants.

The library has no fault hooks: a run with a fault is started through tests/faults.py, which wraps the library
from outside and runs the same CLI (conftest's `train` does so whenever its env sets a `CLEANGPT_FAULT_*`).
Random choices (kill steps, when to signal) come from the session's seed (conftest's `chance`): a failure
names it, and `CLEANGPT_TEST_SEED=<seed>` draws the same choices again.
"""
import hashlib
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import torch

from conftest import (FAULTS, ROOT, TEST_FLAGS, run_py, train, train_cmd, train_env, final_weights, losses,
                      assert_bitwise)

pytestmark = pytest.mark.skipif(os.name == "nt", reason="kill -9, signals, flock and rlimits are POSIX")
SLOW = "slow" in TEST_FLAGS
MAX_STEPS, EVAL_EVERY = 40, 10           # the tiny preset: snapshots at steps 10, 20, 30, 40
# dropout on, so that resuming must restore the random state too; every snapshot kept, to compare each one
ARGS = ["--preset", "tiny", "--dropout", "0.1", "--log_interval", "1", "--keep_snapshots", "0"]
RESUMED_STATE = ("step", "model", "optimizer", "scaler", "sampler", "rng", "early_stopping", "world")


# -- the uninterrupted runs ------------------------------------------------------------------------------
class Runs:
    "The shared adder data and the uninterrupted runs, built once under a lock by whichever worker asks first."
    def __init__(self, root: Path):
        self.root = root
        self.data = self._once("data", lambda: _check(run_py("-m", "cleangpt.datasets", "prepare", "adder",
                                                              env={"CLEANGPT_DATA_DIR": str(root / "data")}))) / "adder"
        self.args = ARGS + ["--dataset", str(self.data)]

    def _once(self, name: str, build):
        import fcntl
        with open(self.root / f".{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (self.root / f".{name}.done").exists():
                shutil.rmtree(self.root / name, ignore_errors=True)
                build()
                (self.root / f".{name}.done").touch()
        return self.root / name

    def straight(self, nproc: int = 1) -> Path:
        "The run folder of the uninterrupted run with `nproc` processes."
        name = f"straight{nproc}"
        return self._once(name, lambda: train(self.args, self.root / name, torchrun=nproc == 2)) / "tiny"


def _check(res):
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    return res


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "faults-shared"
    root.mkdir(exist_ok=True)
    return Runs(root)


def snapshot_state(path: Path) -> dict:
    state = torch.load(path, weights_only=True)
    return {k: state[k] for k in RESUMED_STATE}


def assert_same_snapshots(run: Path, straight: Path) -> int:
    "Each snapshot of `run` at a step where the uninterrupted run has one equals it, bit for bit; returns how many."
    mine = [p for p in sorted((run / "snapshots").glob("step_*.pt")) if (straight / "snapshots" / p.name).exists()]
    for p in mine: assert_bitwise(snapshot_state(p), snapshot_state(straight / "snapshots" / p.name), p.name)
    return len(mine)


def assert_same_run(run: Path, straight: Path) -> None:
    assert_bitwise(final_weights(run), final_weights(straight), "final weights")
    assert losses(run) == losses(straight), "logged losses differ"


def files(folder: Path) -> dict:
    "Every file under `folder` with its mtime and sha256: proof that nothing was rewritten."
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(folder.rglob("*")) if p.is_file()}


def one_error_line(res) -> str:
    "The process failed with exit status 2 and said why in one `error:` line, without a traceback."
    assert res.returncode == 2, (res.returncode, res.stdout[-1500:], res.stderr[-3000:])
    assert "Traceback" not in res.stdout + res.stderr, res.stderr[-3000:]
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr[-3000:]
    return lines[0]


# -- the hooks -----------------------------------------------------------------------------------------------
def test_faults_come_from_tests_faults_py_and_the_library_ignores_them(runs, tmp_path, record_property):
    "tests/faults.py kills a run where it is told; `python -m cleangpt.train` with the same variables trains on."
    readers = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "cleangpt").rglob("*.py")) if "CLEANGPT_FAULT" in p.read_text()]
    assert readers == [], f"the library reads the test-only CLEANGPT_FAULT_* variables: {readers}"
    args = runs.args + ["--max_steps", "6", "--eval_interval", "3"]
    env = train_env({"CLEANGPT_FAULT_KILL_AT": "2", "CLEANGPT_FAULT_STALL_SAVE": "step_000003.pt"})
    hooked, plain = tmp_path / "hooked", tmp_path / "plain"
    res = subprocess.run(train_cmd(args, hooked, faults=True), cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert train_cmd(args, hooked, faults=True)[1] == FAULTS
    assert res.returncode == -signal.SIGKILL, (res.returncode, res.stdout[-1500:], res.stderr[-3000:])
    assert (hooked / "tiny" / ".fault-injected-2").exists()
    assert metrics_step(hooked / "tiny") == 1                           # killed once step 2 was done, before its log line
    assert not (hooked / "tiny" / "snapshots").exists()                 # it died before its first snapshot
    res = subprocess.run(train_cmd(args, plain), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert train_cmd(args, plain)[1:3] == ["-m", "cleangpt.train"]
    assert res.returncode == 0, (res.returncode, res.stdout[-1500:], res.stderr[-3000:])
    assert not list((plain / "tiny").glob(".fault-injected-*")) and metrics_step(plain / "tiny") == 6
    snaps = sorted(p.name for p in (plain / "tiny" / "snapshots").iterdir())
    assert snaps == ["step_000003.pt", "step_000006.pt"], snaps       # and no save stalled
    record_property("fault", "hooks: 1/1 tests/faults.py SIGKILLed the run after step 2; python -m cleangpt.train "
                             "with the same CLEANGPT_FAULT_* variables ran to the end; cleangpt/ never reads them")


# -- R1 ------------------------------------------------------------------------------------------------------
def test_r1_kill_9_at_random_steps_resumes_bitwise(runs, tmp_path, record_property, chance):
    straight = runs.straight()
    n = 20 if SLOW else 5
    steps = sorted(chance.sample(range(1, MAX_STEPS), n))
    with chance.explain(kill_steps=steps): equal, run = _kill_and_resume(runs, tmp_path, straight, steps)
    record_property("fault", f"R1 kill-resume: {equal}/{n} kill -9s resumed bitwise equal (steps {steps}); "
                             f"final weights and {len(losses(run))} log lines bitwise equal")


def _kill_and_resume(runs, tmp_path, straight: Path, steps: list[int]) -> tuple[int, Path]:
    "Kill the run after each of `steps`, restarting it each time; returns (resumes bitwise equal, run folder)."
    n = len(steps)
    out, env = tmp_path / "killed", {"CLEANGPT_FAULT_KILL_AT": ",".join(map(str, steps))}
    run, equal = out / "tiny", 0
    for launch in range(n + 1):
        res = train(runs.args, out, env=env, check=False)
        if launch:   # the run restarted after kill number `launch`: what it has written must be what a run never killed wrote
            last_snapshot = (steps[launch - 1] - 1) // EVAL_EVERY * EVAL_EVERY   # a kill at step 20 comes before its snapshot
            if last_snapshot: assert f"resumed from step {last_snapshot} " in res.stdout, res.stdout[-2000:]
            else: assert "resumed" not in res.stdout, res.stdout[-2000:]      # killed before the first snapshot: a fresh start
            assert_same_snapshots(run, straight); equal += 1
        if res.returncode == 0: break
        assert res.returncode == -signal.SIGKILL, res.stderr[-3000:]
    assert res.returncode == 0 and launch == n, f"{launch} kills, {n} planned"
    assert sorted(int(p.name.rsplit("-", 1)[1]) for p in run.glob(".fault-injected-*")) == steps
    assert_same_run(run, straight)
    return equal, run


# -- R2 ------------------------------------------------------------------------------------------------------
def wait_for(predicate, what: str, proc=None, timeout: float = 300):
    deadline = time.time() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the run ended (status {proc.returncode}) before {what}: {proc.stderr.read()[-3000:]}")
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_r2_kill_9_in_the_middle_of_a_snapshot_write(runs, tmp_path, record_property):
    straight = runs.straight()
    out = tmp_path / "stalled"; snaps = out / "tiny" / "snapshots"
    env = train_env({"CLEANGPT_FAULT_STALL_SAVE": "step_000020.pt"})
    proc = subprocess.Popen(train_cmd(runs.args, out, faults=True), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: list(snaps.glob(".step_000020.pt.*.tmp.stalled")), "the stalled snapshot write", proc)
        before = (snaps / "step_000010.pt").read_bytes()
        partial = [p for p in snaps.glob(".step_000020.pt.*.tmp")]
        proc.kill()
    finally:
        proc.kill(); proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert len(partial) == 1 and partial[0].stat().st_size > 0           # half a snapshot reached the disk...
    assert not (snaps / "step_000020.pt").exists()                       # ...under a name nothing reads
    assert (snaps / "step_000010.pt").read_bytes() == before             # the previous snapshot: byte for byte
    assert_bitwise(snapshot_state(snaps / "step_000010.pt"), snapshot_state(straight / "snapshots" / "step_000010.pt"))
    res = train(runs.args, out)
    assert "resumed from step 10" in res.stdout, res.stdout[-2000:]
    assert not list(snaps.glob(".*")), list(snaps.glob(".*"))           # the next save removed the leftovers
    assert_same_run(out / "tiny", straight)
    record_property("fault", "R2 kill mid-save: 1/1 previous snapshot intact and used; half-written file never read "
                             "and removed; final weights bitwise equal")


# -- R3 ------------------------------------------------------------------------------------------------------
def test_r3_damaged_newest_snapshot_falls_back(runs, tmp_path, record_property):
    straight = runs.straight()
    out = tmp_path / "damaged"; run = out / "tiny"; snaps = run / "snapshots"
    train(runs.args, out, env={"CLEANGPT_FAULT_KILL_AT": "35"}, check=False)
    newest = snaps / "step_000030.pt"
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 3])     # a copy cut short
    damaged, kept = newest.read_bytes(), set(files(snaps))
    res = train(runs.args, out)
    assert "step_000030.pt" in res.stderr and "resuming from step_000020.pt instead" in res.stderr, res.stderr[-2000:]
    assert "resumed from step 20" in res.stdout
    assert (snaps / "step_000030.pt.damaged").read_bytes() == damaged     # kept for a human, not overwritten
    assert kept <= set(files(snaps)), kept - set(files(snaps))           # no snapshot deleted
    assert assert_same_snapshots(run, straight) == 4
    assert_same_run(run, straight)
    record_property("fault", "R3 damaged snapshot: 1/1 truncated newest snapshot named in a warning, fallback to the "
                             "previous one, damaged file kept, final weights bitwise equal")


def test_r3_no_good_snapshot_is_an_error_that_changes_nothing(runs, tmp_path, record_property):
    out = tmp_path / "all_damaged"; run = out / "tiny"
    train(runs.args, out, env={"CLEANGPT_FAULT_KILL_AT": "25"}, check=False)
    for p in (run / "snapshots").glob("step_*.pt"): p.write_bytes(b"\0" * 64)
    before = files(run)
    line = one_error_line(train(runs.args, out, check=False))
    assert "none of the 2 snapshots" in line and "nothing was changed" in line, line
    assert files(run) == before
    record_property("fault", "R3 no good snapshot: 1/1 one-line error, every file of the run unchanged")


# -- R4 ------------------------------------------------------------------------------------------------------
def test_r4_a_checkpoint_that_carries_code_never_runs(runs, tmp_path, record_property):
    marker, evil = tmp_path / "PWNED", tmp_path / "evil.pt"
    make = textwrap.dedent(f"""
        import torch
        class Payload:   # unpickling calls exec(...), which would create the marker file
            def __reduce__(self): return (exec, ("open({str(marker)!r}, 'w').write('ran')",))
        torch.save({{"model": Payload(), "config": {{}}}}, {str(evil)!r})
    """)
    assert run_py("-c", make).returncode == 0 and not marker.exists()
    planted = tmp_path / "runs" / "tiny" / "snapshots"; planted.mkdir(parents=True)
    shutil.copy(evil, planted / "step_000010.pt")                         # a snapshot someone swapped
    ways = {"train --init_from": ["-m", "cleangpt.train", *runs.args, "--init_from", evil, "--out_dir", tmp_path / "x"],
            "train resuming a snapshot": ["-m", "cleangpt.train", *runs.args, "--out_dir", tmp_path / "runs"],
            "evaluate loss": ["-m", "cleangpt.evaluate", "loss", evil, "--dataset", runs.data],
            "evaluate sample": ["-m", "cleangpt.evaluate", "sample", evil]}
    for what, argv in ways.items():
        line = one_error_line(run_py(*map(str, argv), cwd=tmp_path))
        assert "evil.pt" in line or "step_000010.pt" in line, (what, line)
        assert "could run code" in line, (what, line)
        assert not marker.exists(), f"{what} ran the payload"
    record_property("fault", f"R4 malicious checkpoint: {len(ways)}/{len(ways)} entry points refused it "
                             "in one line; the payload never ran")


# -- R5 ------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def workspace(runs, tmp_path_factory):
    "A user's folder: prepared data, a finished run, a few files; no bad command may change any of it."
    ws = tmp_path_factory.mktemp("workspace")
    shutil.copytree(runs.data.parent, ws / "data")
    _check(run_py("-m", "cleangpt.train", "--preset", "tiny", "--max_steps", "10", "--dataset", "data/adder",
                  cwd=ws, env={"CLEANGPT_DATA_DIR": str(ws / "data")}))
    (ws / "latin1.txt").write_bytes("naïve text".encode("latin1"))
    (ws / "garbage.pt").write_bytes(b"this is not a checkpoint")
    return ws


PREPARE, TRAIN, EVALUATE = ["-m", "cleangpt.datasets", "prepare"], ["-m", "cleangpt.train"], ["-m", "cleangpt.evaluate"]
TINY = TRAIN + ["--preset", "tiny", "--dataset", "data/adder"]
BAD_INPUT = {   # name: (argv, words the one error line must contain)
    "prepare unknown dataset": (PREPARE + ["addr"], ["unknown dataset 'addr'", "did you mean 'adder'"]),
    "prepare missing file": (PREPARE + ["file", "--path", "nope.txt"], ["no such text file"]),
    "prepare file that is not UTF-8, over an existing dataset": (PREPARE + ["file", "--path", "latin1.txt", "--name", "adder"], ["not UTF-8"]),
    "prepare bad number": (PREPARE + ["adder", "--digits", "two"], ["invalid int value"]),
    "prepare --force with an impossible size": (PREPARE + ["adder", "--digits", "12", "--force"], ["--digits must be in [1, 9], got 12"]),
    "prepare option of another recipe": (PREPARE + ["adder", "--tokenizer", "gpt2"], ["unknown option 'tokenizer' for adder"]),
    "train nanoGPT's option name": (TINY + ["--learning_rate", "1"], ["unknown option --learning_rate", "did you mean 'lr'"]),
    "train bad number": (TINY + ["--lr", "fast"], ["--lr expects a float"]),
    "train unknown preset": (TRAIN + ["--preset", "tinny"], ["did you mean 'tiny'"]),
    "train batch not a multiple": (TINY + ["--batch_size", "30", "--micro_batch", "16", "--run_name", "b"], ["not a multiple"]),
    "train warmup longer than the run": (TINY + ["--max_steps", "3", "--run_name", "w"], ["warmup=5 must be between 0 and total=3", "--warmup_steps"]),
    "train another experiment into a run folder": (TINY + ["--n_layer", "3"], ["holds a run with n_layer=2", "--run_name"]),
    "train --init_from a missing file": (TINY + ["--init_from", "nope.pt", "--run_name", "ft"], ["nope.pt does not exist"]),
    "train fp16 on the CPU": (TINY + ["--dtype", "fp16", "--device", "cpu", "--run_name", "fp16"], ["fp16"]),
    "train unprepared dataset": (TRAIN + ["--preset", "tiny", "--dataset", "no_such_data", "--run_name", "u"], ["--dataset 'no_such_data' is neither a registered dataset", "cleangpt.datasets list"]),
    "sample missing run": (EVALUATE + ["sample", "runs/nope"], ["runs/nope does not exist"]),
    "sample negative temperature": (EVALUATE + ["sample", "runs/tiny", "--temperature", "-1"], ["--temperature must be >= 0, got -1.0"]),
    "sample top_p above 1": (EVALUATE + ["sample", "runs/tiny", "--top_p", "1.5"], ["--top-p must be in (0, 1], got 1.5"]),
    "sample empty prompt": (EVALUATE + ["sample", "runs/tiny", "--prompt", ""], ["the prompt is empty"]),
    "sample characters the model never saw": (EVALUATE + ["sample", "runs/tiny", "--prompt", "hello"], ["'h'", "not in this tokenizer"]),
    "evaluate a file that is not a checkpoint": (EVALUATE + ["loss", "garbage.pt", "--dataset", "data/adder"], ["garbage.pt is truncated or corrupted"]),
    "evaluate on a missing dataset": (EVALUATE + ["loss", "runs/tiny", "--dataset", "nope"], ["no prepared dataset at nope"]),
    "evaluate a split that does not exist": (EVALUATE + ["loss", "runs/tiny", "--split", "test"], ["test"]),
    "evaluate unknown command": (EVALUATE + ["perplexity", "runs/tiny"], ["invalid choice: 'perplexity'"]),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_r5_bad_input_is_one_line_and_changes_nothing(workspace, case, record_property):
    record_property("fault_case", "R5 bad input (exit 2, one line, no traceback, no file changed)")
    argv, words = BAD_INPUT[case]
    before = files(workspace)
    line = one_error_line(run_py(*argv, cwd=workspace, env={"CLEANGPT_DATA_DIR": str(workspace / "data")}))
    for w in words: assert w in line, (w, line)
    assert files(workspace) == before, f"{case} changed files"


@pytest.mark.parametrize("argv", [TINY + ["--dtype", "fp16", "--device", "cpu", "--run_name", "fp16"],
                                  PREPARE + ["adder", "--digits", "12"]], ids=["train", "prepare"])
def test_r5_debug_shows_the_traceback(workspace, argv):
    res = run_py(*argv, "--debug", cwd=workspace, env={"CLEANGPT_DATA_DIR": str(workspace / "data")})
    assert res.returncode != 0 and "Traceback" in res.stderr, res.stderr[-2000:]


# -- R6 ------------------------------------------------------------------------------------------------------
def metrics_step(run: Path) -> int:
    f = run / "metrics.jsonl"
    if not f.exists(): return 0
    return max([json.loads(l)["step"] for l in f.read_text().splitlines() if l.strip()] or [0])


def stop_with(sig: int, proc, run: Path, after_step: int) -> None:
    "Freeze the run once it has logged `after_step`, queue `sig`, and let it go on: the signal lands mid-run."
    wait_for(lambda: metrics_step(run) >= after_step, f"step {after_step}", proc)
    proc.send_signal(signal.SIGSTOP); proc.send_signal(sig); proc.send_signal(signal.SIGCONT)


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_r6_signal_writes_a_snapshot_and_rerunning_resumes(runs, tmp_path, sig, record_property, chance):
    straight = runs.straight()
    after_step = chance.randint(3, 20)
    with chance.explain(signal_after_step=after_step):
        stopped_at = _signal_and_resume(runs, tmp_path, straight, sig, after_step)
    record_property("fault", f"R6 {sig}: 1/1 snapshot at step {stopped_at}, exit status 0, re-run resumed bitwise equal")


def _signal_and_resume(runs, tmp_path, straight: Path, sig: str, after_step: int) -> int:
    "Send `sig` once the run has logged `after_step`, then re-run it; returns the step it stopped at."
    out = tmp_path / "signalled"; run = out / "tiny"
    proc = subprocess.Popen(train_cmd(runs.args, out), cwd=ROOT, env=train_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        stop_with(getattr(signal, sig), proc, run, after_step=after_step)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr[-3000:]
    said = [l for l in stdout.splitlines() if l.startswith(f"{sig} at step")]
    assert len(said) == 1 and "run the same command again to resume" in said[0], stdout[-2000:]
    stopped_at = int(said[0].split()[3].rstrip(":"))
    assert stopped_at < MAX_STEPS and (run / "snapshots" / f"step_{stopped_at:06d}.pt").exists()
    assert_same_snapshots(run, straight)
    res = train(runs.args, out)
    assert f"resumed from step {stopped_at}" in res.stdout, res.stdout[-2000:]
    assert_same_run(run, straight)
    return stopped_at


@pytest.mark.slow
def test_r6_sigterm_to_torchrun_stops_every_rank_at_the_same_step(runs, tmp_path, record_property):
    straight = runs.straight(2)
    out = tmp_path / "signalled"; run = out / "tiny"
    proc = subprocess.Popen(train_cmd(runs.args, out, torchrun=True), cwd=ROOT, env=train_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stop_with(signal.SIGTERM, proc, run, after_step=5)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        proc.kill()
    said = [l for l in stdout.splitlines() if l.startswith("SIGTERM at step")]
    assert len(said) == 1, stdout[-2000:] + stderr[-3000:]
    stopped_at = int(said[0].split()[3].rstrip(":"))
    res = train(runs.args, out, torchrun=True)
    assert f"resumed from step {stopped_at}" in res.stdout
    assert_same_run(run, straight)
    record_property("fault", f"R6 SIGTERM to torchrun: 1/1 both ranks stopped at step {stopped_at}; resumed bitwise equal")


# -- R7 ------------------------------------------------------------------------------------------------------
def test_r7_torchrun_restarts_a_crashed_rank_and_the_run_resumes(runs, tmp_path, record_property, chance):
    straight = runs.straight(2)
    kill_at = chance.randint(11, MAX_STEPS - 2)
    out = tmp_path / "elastic"; run = out / "tiny"
    with chance.explain(kill_step=kill_at):
        res = train(runs.args, out, torchrun=True, torchrun_args=["--max-restarts", "1"],
                    env={"CLEANGPT_FAULT_KILL_AT": str(kill_at), "CLEANGPT_FAULT_RANK": "1"})
        assert (run / f".fault-injected-{kill_at}").exists()              # rank 1 did die
        assert "resumed from step" in res.stdout, res.stdout[-2000:]      # and the restarted group resumed by itself
        assert_same_run(run, straight)
    record_property("fault", f"R7 elastic restart: 1/1 rank 1 killed at step {kill_at}, torchrun restarted the "
                             "group, which resumed; final weights bitwise equal to an uninterrupted 2-process run")


# -- R8 ------------------------------------------------------------------------------------------------------
GOOD = b"First Citizen:\nBefore we proceed any further, hear me speak.\n" * 2000
GOOD_SHA = hashlib.sha256(GOOD).hexdigest()


class _Server(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = {"/good": GOOD, "/corrupt": GOOD[:-1] + b"?", "/cut": GOOD}[self.path]
        self.send_response(200); self.send_header("Content-Length", str(len(GOOD))); self.end_headers()
        if self.path == "/cut":                 # the connection drops half-way through
            self.wfile.write(body[: len(body) // 2]); self.wfile.flush(); self.close_connection = True; return
        self.wfile.write(body)

    def log_message(self, *a): pass


@pytest.fixture
def server(monkeypatch):
    for k in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"): monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("CLEANGPT_DATA_MIRROR", "")
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


def test_r8_bad_downloads_are_never_used(server, tmp_path, record_property):
    from cleangpt.core import UserError
    from cleangpt.datasets import download
    dest = tmp_path / "downloads" / "input.txt"
    for path, words in {"/cut": "connection dropped after 61,000 of 122,000 bytes", "/corrupt": "is corrupt or truncated"}.items():
        with pytest.raises(UserError, match=words): download(server + path, dest, GOOD_SHA)
        assert list(dest.parent.iterdir()) == [], f"{path} left a file"   # not even a partial one
    dest.write_bytes(GOOD[:1000])                  # a file cut short by an earlier, killed run...
    (dest.parent / ".input.txt.4242.part").write_bytes(GOOD[:10])        # ...and its temporary file
    download(server + "/good", dest, GOOD_SHA)     # is not trusted: fetched again and checked
    assert dest.read_bytes() == GOOD
    record_property("fault", "R8 downloads: 3/3 bad files (connection cut, wrong bytes, truncated leftover) "
                             "caught by sha256 and never used")


def test_r8_two_prepares_racing_leave_one_correct_result(tmp_path, record_property):
    cmd = [sys.executable, "-m", "cleangpt.datasets", "prepare", "adder", "--digits", "4", "--n-train", "200000"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    racers = [subprocess.Popen(cmd, cwd=ROOT, env={**env, "CLEANGPT_DATA_DIR": str(tmp_path / "race")},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    said = [r.communicate(timeout=300) for r in racers]
    assert [r.returncode for r in racers] == [0, 0], said
    stdout = "".join(o for o, _ in said)
    assert stdout.count("adder: wrote") == 1 and stdout.count("up to date") == 1, stdout
    alone = run_py(*cmd[1:], env={**env, "CLEANGPT_DATA_DIR": str(tmp_path / "alone")})
    assert alone.returncode == 0
    for f in ("train.bin", "val.bin"):
        assert (tmp_path / "race" / "adder" / f).read_bytes() == (tmp_path / "alone" / "adder" / f).read_bytes()
    assert sorted(p.name for p in (tmp_path / "race" / "adder").iterdir()) == ["meta.json", "train.bin", "val.bin"]
    waited = "waiting for it to finish" in stdout
    record_property("fault", f"R8 racing prepares: 1/1 one wrote, the other {'waited for the lock, then ' if waited else ''}"
                             "found it up to date; files equal to a prepare run alone")


def test_r8_under_torchrun_only_rank_0_prepares(tmp_path, record_property):
    data = tmp_path / "data"
    res = train(["--preset", "tiny", "--max_steps", "2", "--warmup_steps", "0"], tmp_path / "runs", torchrun=True,
                env={"CLEANGPT_DATA_DIR": str(data)})
    assert res.stdout.count("adder: wrote") == 1, res.stdout[-3000:]
    assert "up to date" not in res.stdout and "waiting" not in res.stdout, res.stdout[-3000:]
    assert (data / "adder" / "meta.json").exists()
    record_property("fault", "R8 torchrun on an unprepared dataset: 1/1 rank 0 prepared it once, rank 1 waited")


# -- R9 ------------------------------------------------------------------------------------------------------
def test_r9_a_full_disk_fails_loudly_and_the_previous_snapshot_survives(runs, tmp_path, record_property):
    import resource
    straight = runs.straight()
    out = tmp_path / "full"; run = out / "tiny"; snaps = run / "snapshots"
    train(runs.args, out, env={"CLEANGPT_FAULT_KILL_AT": "15"}, check=False)
    size, before = (snaps / "step_000010.pt").stat().st_size, (snaps / "step_000010.pt").read_bytes()

    def no_big_files():   # in the child: the kernel refuses to grow any file past half a snapshot (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size // 2, size // 2))
    res = subprocess.run(train_cmd(runs.args, out), cwd=ROOT, env=train_env(), capture_output=True, text=True,
                         timeout=600, preexec_fn=no_big_files)
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr[-3000:]
    line = res.stderr.strip().splitlines()[-1]
    assert line.startswith("error: could not write") and "step_000020.pt" in line and "File too large" in line, line
    assert (snaps / "step_000010.pt").read_bytes() == before                # the previous snapshot, byte for byte
    assert sorted(p.name for p in snaps.iterdir()) == ["step_000010.pt"]    # no partial file left
    train(runs.args, out)                                                   # with room again, the run goes on
    assert_same_run(run, straight)
    record_property("fault", "R9 full disk: 1/1 one-line error naming the file, previous snapshot intact, "
                             "the run finished bitwise equal once there was room")


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root may write into a read-only folder")
def test_r9_a_read_only_snapshot_folder_fails_loudly(runs, tmp_path):
    out = tmp_path / "ro"; snaps = out / "tiny" / "snapshots"
    train(runs.args, out, env={"CLEANGPT_FAULT_KILL_AT": "15"}, check=False)
    before = (snaps / "step_000010.pt").read_bytes()
    snaps.chmod(0o555)
    try: res = train(runs.args, out, check=False)
    finally: snaps.chmod(0o755)
    assert res.returncode == 2 and res.stderr.strip().splitlines()[-1].startswith("error: could not write")
    assert (snaps / "step_000010.pt").read_bytes() == before
