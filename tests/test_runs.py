"""Runs that start, end and grow (issue 12): one validation point, run folders by content, finished runs.

- every bad value of `train --preset tiny` is one `error:` line, exit 2, and no file written;
- under torchrun a config error is printed once, by rank 0;
- `--init_from RUN_FOLDER` fine-tunes from a finished run; a config.json is named for what it is;
- a run whose metrics.jsonl ends in a cut line and whose newest snapshot is gone resumes and finishes;
- re-running a finished run (its folder spelled any way, or moved) says it is complete and exits 0;
- changing --max_steps needs --reschedule, which prints the new schedule and records it in config.json;
- a boundary's metrics are logged before its snapshot; stale temp files in best/ are cleaned.
"""
import contextlib
import io
import json
import os
import shutil
from pathlib import Path

import pytest
import torch

from conftest import TORCHRUN, ROOT, run_py, train, losses


def cli(argv):
    "Run the train CLI in this process, as run_cli does for `python -m cleangpt.train`: (exit status, stdout, stderr)."
    from cleangpt.core import run_cli
    from cleangpt.train import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try: run_cli(main, argv)
        except SystemExit as e: code = e.code
    return code, out.getvalue(), err.getvalue()


# (arguments, what the one line must name): the option and its valid range
BAD_VALUES = [
    ("--log_interval 0", "--log_interval must be >= 1"), ("--eval_interval 0", "--eval_interval must be >= 1"),
    ("--micro_batch 0", "--micro_batch must be >= 1"), ("--keep_best -1", "--keep_best must be >= 0"),
    ("--keep_snapshots -3", "--keep_snapshots must be >= 0"), ("--lr -1", "--lr must be > 0"), ("--lr 0", "--lr must be > 0"),
    ("--lr nan", "--lr must be > 0, got nan"), ("--min_lr -1e-4", "--min_lr must be in [0, 0.003]"),
    ("--min_lr 1", "--min_lr must be in [0, 0.003]"), ("--beta1 1.5", "--beta1 must be in [0, 1)"),
    ("--beta2 1", "--beta2 must be in [0, 1)"), ("--beta1 -0.1", "--beta1 must be in [0, 1)"),
    ("--eval_iters 0", "--eval_iters must be >= 1"), ("--grad_clip -1", "--grad_clip must be >= 0"),
    ("--dropout 1", "--dropout must be in [0, 1)"), ("--max_steps 0", "--max_steps must be >= 1"),
    ("--warmup_steps -1", "--warmup_steps must be >= 0"), ("--warmup_steps 100", "warmup=100 must be between 0 and total=40"),
    ("--batch_size 0", "--batch_size must be >= 1"), ("--batch_size 33", "not a multiple of world x micro_batch"),
    ("--batch_size_start 64", "--batch_size_start must be <= 32"), ("--batch_ramp_steps -1", "--batch_ramp_steps must be >= 0"),
    ("--block_size 0", "--block_size must be >= 1"), ("--n_layer 0", "--n_layer must be >= 1"),
    ("--n_embd 31", "n_embd=31 is not divisible by n_head=2"), ("--n_kv_head 3", "n_kv_head=3 does not divide n_head=2"),
    ("--weight_decay -0.1", "--weight_decay must be >= 0"), ("--weight_decay_final -2", "--weight_decay_final must be >= 0"),
    ("--decay_frac 0", "--decay_frac must be in (0, 1]"), ("--eval_accuracy -2", "--eval_accuracy must be >= 0"),
    ("--patience -1", "--patience must be >= 0"), ("--min_delta -1", "--min_delta must be >= 0"),
    ("--seed -1", "--seed must be >= 0"), ("--norm batchnorm", "--norm 'batchnorm' is not one of"),
    ("--mlp relu", "--mlp 'relu' is not one of"), ("--lr_schedule step", "--lr_schedule 'step' is not one of"),
    ("--dtype fp8", "--dtype 'fp8' is not one of"), ("--dtype fp16 --device cpu", "--dtype fp16: fp16 autocast is for CUDA"),
    ("--wandb on", "--wandb 'on' is not one of"), ("--device tpu", "--device 'tpu' is not a device"),
    ("--compile maybe", "--compile expects true or false"), ("--n_layer 2.5", "--n_layer expects an int"),
    ("--run_name a/b", "--run_name 'a/b' must be a folder name"), ("--dataset nosuchdata", "--dataset 'nosuchdata' is neither"),
    ("--init_from runs/nothing", "runs/nothing does not exist"),
    ("--lr_schedule wsd --decay_frac 0.99", "inside the 5-step warmup"),
]
if not torch.cuda.is_available(): BAD_VALUES.append(("--device cuda", "--device cuda: this torch"))


@pytest.mark.parametrize("args,says", BAD_VALUES, ids=[a for a, _ in BAD_VALUES])
def test_bad_value_is_one_line_exit_2_and_writes_nothing(adder, tmp_path, monkeypatch, args, says):
    monkeypatch.setenv("CLEANGPT_DATA_DIR", str(adder.parent))
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(["--preset", "tiny", "--out_dir", str(tmp_path / "out"), *args.split()])
    assert code == 2 and out == "", (code, out)
    assert err.count("\n") == 1 and err.startswith("error: ") and says in err, err
    assert not (tmp_path / "out").exists(), sorted((tmp_path / "out").rglob("*"))


def test_config_error_under_torchrun_is_printed_once(adder, tmp_path):
    import subprocess
    cmd = TORCHRUN + ["-m", "cleangpt.train", "--preset", "tiny", "--dataset", str(adder), "--grad_clip", "-1",
                      "--out_dir", str(tmp_path)]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert res.returncode != 0
    said = [l for l in (res.stdout + res.stderr).splitlines() if l.startswith("error: ")]
    assert said == ["error: --grad_clip must be >= 0, got -1.0 (0 turns clipping off)"], said
    assert not any(tmp_path.iterdir())


@pytest.fixture(scope="module")
def finished(adder, tmp_path_factory):
    "A finished tiny run in its own out_dir."
    out = tmp_path_factory.mktemp("finished")
    train(["--preset", "tiny", "--dataset", str(adder)], out)
    return out


def test_init_from_a_run_folder_finetunes(adder, finished, tmp_path):
    res = train(["--preset", "tiny", "--dataset", str(adder), "--init_from", str(finished / "tiny"), "--max_steps", "10",
                 "--run_name", "ft"], tmp_path)
    assert "held-out exact-match accuracy" in res.stdout
    from cleangpt.checkpoint import init_from
    start = init_from(finished / "tiny")[0]                     # the run's best checkpoint
    assert (finished / "tiny" / "best" / "best.json").exists() and start["lm_head.weight"].shape[0] == 14
    # a config.json handed over as a checkpoint is named for what it is
    res = train(["--preset", "tiny", "--dataset", str(adder), "--init_from", str(finished / "tiny" / "config.json"),
                 "--run_name", "ft2"], tmp_path, check=False)
    assert res.returncode == 2 and res.stderr.strip().endswith("is a JSON text file (a config or an index), not a "
                                                                "checkpoint: pass the run folder that holds it, or a .pt checkpoint file")
    assert not (tmp_path / "ft2").exists()


@pytest.mark.parametrize("spelling", ["slash", "dot", "absolute", "moved"])
def test_a_finished_run_says_it_is_complete(adder, finished, tmp_path, spelling):
    out = finished
    if spelling == "moved":   # a copied or moved run folder resumes where it now lies
        out = tmp_path / "elsewhere"; shutil.copytree(finished, out)
    before = (out / "tiny" / "metrics.jsonl").read_text()
    out_dir = {"slash": f"{out.relative_to(out.parent)}/", "dot": f"./{out.relative_to(out.parent)}",
               "absolute": str(out.resolve()), "moved": str(out)}[spelling]
    import subprocess
    res = subprocess.run([os.sys.executable, "-m", "cleangpt.train", "--preset", "tiny", "--dataset", str(adder),
                          "--out_dir", out_dir], capture_output=True, text=True, cwd=out.parent, timeout=300,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert res.returncode == 0, res.stderr[-2000:]
    assert "is complete (step 40, max_steps=40): nothing left to train" in res.stdout, res.stdout
    assert "held-out exact-match accuracy:" in res.stdout
    assert (out / "tiny" / "metrics.jsonl").read_text() == before          # nothing trained, nothing logged


def test_max_steps_change_needs_reschedule(adder, finished, tmp_path):
    out = tmp_path / "grow"; shutil.copytree(finished, out)
    run = out / "tiny"
    config, snaps = (run / "config.json").read_text(), sorted(p.name for p in (run / "snapshots").iterdir())
    res = train(["--preset", "tiny", "--dataset", str(adder), "--max_steps", "50"], out, check=False)
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "add --reschedule" in res.stderr, res.stderr
    assert (run / "config.json").read_text() == config and sorted(p.name for p in (run / "snapshots").iterdir()) == snaps
    res = train(["--preset", "tiny", "--dataset", str(adder), "--max_steps", "50", "--reschedule"], out)
    assert "rescheduled: max_steps 40 -> 50; from step 40" in res.stdout, res.stdout
    assert json.loads((run / "config.json").read_text())["max_steps"] == 50
    assert max(s for s, *_ in losses(run)) == 50
    res = train(["--preset", "tiny", "--dataset", str(adder), "--max_steps", "30", "--reschedule"], out, check=False)
    assert res.returncode == 2 and "--max_steps 30 is below step 50" in res.stderr


def test_cut_metrics_line_and_missing_newest_snapshot_resume(adder, finished, tmp_path):
    out = tmp_path / "cut"; shutil.copytree(finished, out)
    run = out / "tiny"
    newest = sorted((run / "snapshots").glob("step_*.pt"))[-1]
    newest.unlink()                                              # the newest snapshot is gone
    with open(run / "metrics.jsonl", "a") as f: f.write('{"step": 41, "train/lo')   # a line a crash cut short
    res = train(["--preset", "tiny", "--dataset", str(adder)], out)
    assert "resumed from step 30" in res.stdout and "held-out exact-match accuracy" in res.stdout
    assert losses(run) == losses(finished / "tiny")             # the same log as the run that never broke


def _tiny_config(adder, out, **kw):
    from cleangpt.trainer import TrainConfig
    from cleangpt.train import PRESETS
    return TrainConfig(**{**PRESETS["tiny"], "dataset": str(adder), "out_dir": str(out), "run_name": "r", **kw})


def test_boundary_metrics_are_logged_before_the_snapshot(adder, tmp_path):
    from cleangpt.trainer import Trainer
    straight = Trainer(_tiny_config(adder, tmp_path / "straight"), quiet=True); straight.fit()
    crashing = Trainer(_tiny_config(adder, tmp_path / "crash"), quiet=True)
    real = crashing.snapshot
    def snapshot_then_die(val_loss=None):
        real(val_loss=val_loss)
        if crashing.step == 20: raise SystemExit("killed right after the boundary snapshot")
    crashing.snapshot = snapshot_then_die
    with pytest.raises(SystemExit): crashing.fit()
    crashing.tracker.close()
    assert any(r[0] == 20 and r[2] is not None for r in losses(tmp_path / "crash" / "r"))   # step 20's val line made it
    Trainer(_tiny_config(adder, tmp_path / "crash"), quiet=True).fit()
    assert losses(tmp_path / "crash" / "r") == losses(tmp_path / "straight" / "r")


def test_stale_temp_files_in_best_are_cleaned(adder, finished, tmp_path):
    out = tmp_path / "stale"; shutil.copytree(finished, out)
    stale = out / "tiny" / "best" / ".ckpt_step_000040.pt.4242.deadbeef.tmp"
    stale.write_bytes(b"\0" * 1024)                              # what a kill during a best-checkpoint write leaves
    from cleangpt.trainer import Trainer
    Trainer(_tiny_config(adder, out, run_name="tiny", max_steps=50), quiet=True).fit()   # a boundary at 50
    assert not stale.exists()
