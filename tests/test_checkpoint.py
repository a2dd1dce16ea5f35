"""Crash safety of cleangpt.checkpoint with real processes killed by SIGKILL (a notebook cannot kill itself)."""
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import pytest
import torch

from conftest import ROOT, run_py
from cleangpt.checkpoint import Snapshots, load

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")

KILLED_MID_WRITE = textwrap.dedent("""
    import io, os, signal, sys, torch
    from cleangpt.checkpoint import Snapshots
    snaps = Snapshots(sys.argv[1], keep_last=2)
    snaps.save(1, {"step": 1, "w": torch.ones(1000)})
    real_save = torch.save
    def half_then_die(obj, f, *a, **k):
        buf = io.BytesIO(); real_save(obj, buf)
        f.write(buf.getvalue()[: len(buf.getvalue()) // 2]); f.flush(); os.fsync(f.fileno())
        os.kill(os.getpid(), signal.SIGKILL)   # no except clause, no finally: like kill -9 or the OOM killer
    torch.save = half_then_die
    snaps.save(2, {"step": 2, "w": torch.zeros(1000)})
""")


def test_sigkill_in_the_middle_of_a_write(tmp_path):
    res = run_py("-c", KILLED_MID_WRITE, str(tmp_path), timeout=300)
    assert res.returncode == -signal.SIGKILL, res.stderr
    snaps = Snapshots(tmp_path, keep_last=2)
    leftovers = list(snaps.dir.glob(".step_000002.pt.*.tmp"))
    assert len(leftovers) == 1 and leftovers[0].stat().st_size > 0     # the half-written temporary file
    assert [p.name for p in snaps.paths()] == ["step_000001.pt"]        # no partial final file
    with warnings.catch_warnings():
        warnings.simplefilter("error")                                  # no fallback needed: nothing damaged
        path, state = snaps.latest()
    assert state["step"] == 1 and torch.equal(state["w"], torch.ones(1000))
    snaps.save(2, {"step": 2})                                          # the next save removes the leftover
    assert list(snaps.dir.glob("*.tmp")) == []


WRITER_LOOP = textwrap.dedent("""
    import sys, torch
    from cleangpt.checkpoint import Snapshots
    snaps = Snapshots(sys.argv[1], keep_last=2)
    print("ready", flush=True)
    step = 0
    while True:
        step += 1
        snaps.save(step, {"step": step, "w": torch.full((500_000,), float(step))})  # 2 MB per file
""")


@pytest.mark.parametrize("delay", [0.3, 0.7, 1.1])
def test_sigkill_at_a_random_moment_leaves_a_loadable_snapshot(tmp_path, delay):
    proc = subprocess.Popen([sys.executable, "-c", WRITER_LOOP, str(tmp_path)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        deadline = time.time() + 120
        while not Snapshots(tmp_path).paths() and time.time() < deadline: time.sleep(0.05)
        time.sleep(delay)
    finally:
        proc.kill(); proc.wait()
    snaps = Snapshots(tmp_path, keep_last=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path, state = snaps.latest()
    assert state["step"] >= 1 and torch.equal(state["w"], torch.full((500_000,), float(state["step"])))
    assert len(snaps.paths()) <= 3   # pruning ran (a kill between write and prune can leave one extra)


def test_malicious_file_is_refused_in_a_fresh_process(tmp_path):
    marker = tmp_path / "PWNED"
    make = textwrap.dedent(f"""
        import torch
        class Payload:
            def __reduce__(self): return (exec, ("open({str(marker)!r}, 'w').write('x')",))
        torch.save({{"model": Payload()}}, {str(tmp_path / 'evil.pt')!r})
    """)
    assert run_py("-c", make).returncode == 0
    res = run_py("-c", f"from cleangpt.checkpoint import load; load({str(tmp_path / 'evil.pt')!r})")
    assert res.returncode != 0 and "CheckpointError" in res.stderr and "evil.pt" in res.stderr
    assert not marker.exists()


def test_init_from_a_hugging_face_folder_gives_hf_logits(tmp_path):
    "init_from(folder with config.json) goes through cleangpt.hf; the weights reproduce transformers' logits."
    transformers = pytest.importorskip("transformers")
    from cleangpt.checkpoint import init_from
    from cleangpt.model import GPT, GPTConfig
    torch.manual_seed(0)
    hf_config = transformers.GPT2Config(vocab_size=64, n_positions=16, n_embd=32, n_layer=2, n_head=4)
    hf = transformers.GPT2LMHeadModel(hf_config).eval()
    hf.save_pretrained(tmp_path / "tiny_gpt2")
    sd, config = init_from(tmp_path / "tiny_gpt2")
    model = GPT(GPTConfig(**config)).eval()
    model.load_state_dict(sd, strict=True)
    idx = torch.randint(0, 64, (2, 16))
    with torch.no_grad():
        ours = model(idx)[0]
        theirs = hf(idx).logits
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)
