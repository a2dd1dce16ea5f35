"""The training engine as users run it: real processes, real kill -9, real torchrun.

- (exact resume after kill -9, SIGTERM and the other faults: tests/test_faults.py)
- DDP equivalence: 2 processes x grad_accum g == 1 process x 2g, losses to 1e-6;
- checkpoints from compiled and DDP runs load into a plain model;
- a resumed run appends to the same metrics.jsonl and keeps its run id;
- bad input: one line, non-zero exit, no run folder written.

Runs go through the real entry point, `python -m cleangpt.train`; a run that must die (CLEANGPT_FAULT_KILL_AT)
goes through tests/faults.py, which adds the fault from outside the library (conftest's `train` picks it).
"""
import json
import os
import shutil
import signal
import sys

import pytest
import torch

from conftest import ROOT, run_py, train, final_weights, losses


def test_ddp_equals_single_process_with_twice_the_accumulation(adder, tmp_path):
    common = ["--preset", "tiny", "--dataset", str(adder), "--log_interval", "1", "--max_steps", "12",
              "--batch_size", "32", "--micro_batch", "8"]
    train(common, tmp_path / "one")                     # 1 process: grad_accum 4
    train(common, tmp_path / "two", torchrun=True)      # 2 processes: grad_accum 2 each
    one, two = losses(tmp_path / "one" / "tiny"), losses(tmp_path / "two" / "tiny")
    train_losses = [(a[1], b[1]) for a, b in zip(one, two) if a[1] is not None]
    assert len(train_losses) >= 10
    for a, b in train_losses: assert abs(a - b) <= 1e-6, (a, b)
    # DDP's checkpoint keys carry no "module." prefix and load into a plain model
    from cleangpt.checkpoint import init_from
    from cleangpt.checkpoint import model_from_checkpoint
    state, _ = init_from(tmp_path / "two" / "tiny" / "best")
    assert not any(k.startswith(("module.", "_orig_mod.")) for k in state)
    model_from_checkpoint(tmp_path / "two" / "tiny" / "best")     # loads into a plain GPT, strictly


def test_compiled_run_checkpoint_loads_into_plain_model(adder, tmp_path):
    train(["--preset", "tiny", "--dataset", str(adder), "--compile", "true", "--max_steps", "10"], tmp_path)
    from cleangpt.checkpoint import init_from
    from cleangpt.checkpoint import model_from_checkpoint
    state, _ = init_from(tmp_path / "tiny" / "best")
    assert not any("_orig_mod." in k or "module." in k for k in state)
    model_from_checkpoint(tmp_path / "tiny" / "best")
    snap = final_weights(tmp_path / "tiny")
    assert not any("_orig_mod." in k for k in snap)


def test_resumed_run_appends_same_log_and_run_id(adder, tmp_path):
    args = ["--preset", "tiny", "--dataset", str(adder), "--wandb", "offline"]
    env = {"WANDB_MODE": "offline", "WANDB_DIR": str(tmp_path), "CLEANGPT_FAULT_KILL_AT": "25"}
    assert train(args, tmp_path, env=env, check=False).returncode == -signal.SIGKILL   # through tests/faults.py
    run = tmp_path / "tiny"
    first_lines = (run / "metrics.jsonl").read_text().splitlines()
    snaps = sorted((run / "snapshots").glob("step_*.pt"))
    run_id = torch.load(snaps[-1], weights_only=True)["run_id"]
    train(args, tmp_path, env={k: v for k, v in env.items() if k != "CLEANGPT_FAULT_KILL_AT"})
    lines = (run / "metrics.jsonl").read_text().splitlines()
    kept = [l for l in first_lines if json.loads(l)["step"] <= 20]
    assert lines[:len(kept)] == kept and len(lines) > len(first_lines)
    final_snap = sorted((run / "snapshots").glob("step_*.pt"))[-1]
    assert torch.load(final_snap, weights_only=True)["run_id"] == run_id
    wandb_runs = {p.name.rsplit("-", 1)[-1] for p in tmp_path.rglob("offline-run-*")}
    assert wandb_runs == {run_id}, wandb_runs


@pytest.fixture(scope="module")
def text_data(tmp_path_factory):
    d = tmp_path_factory.mktemp("text")
    (d / "poem.txt").write_text("the quick brown fox jumps over the lazy dog\n" * 200)
    res = run_py("-m", "cleangpt.datasets", "prepare", "file", "--path", str(d / "poem.txt"), "--tokenizer", "char",
                 env={"CLEANGPT_DATA_DIR": str(d)})
    assert res.returncode == 0, res.stderr
    return d / "poem"


BAD = [
    (["--preset", "tiny", "--learning_rate", "1"], "did you mean 'lr'"),
    (["--preset", "tiny", "--lr", "fast"], "expects a float"),
    (["--preset", "tinny"], "did you mean 'tiny'"),
    (["--preset", "tiny", "--batch_size", "30", "--micro_batch", "16"], "not a multiple"),
    (["--preset", "tiny", "--dataset", "no_such_data"], "is neither a registered dataset"),
    (["--preset", "tiny", "--dtype", "fp16", "--device", "cpu"], "fp16"),
]


@pytest.mark.parametrize("args,msg", BAD, ids=[m for _, m in BAD])
def test_bad_input_one_line_no_run_folder(adder, tmp_path, args, msg):
    args = [a if a != "ADDER" else str(adder) for a in args]
    if "--dataset" not in args: args += ["--dataset", str(adder)]
    res = train(args, tmp_path / "out", check=False)
    assert res.returncode != 0
    err = res.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and msg in err[0], res.stderr[-2000:]
    assert not (tmp_path / "out").exists()


def test_compile_where_it_cannot_run(adder, tmp_path):
    res = train(["--preset", "tiny", "--dataset", str(adder), "--compile", "true"], tmp_path / "out",
                env={"CXX": "no-such-compiler"}, check=False)
    assert res.returncode != 0 and res.stderr.count("\n") == 1 and "C++ compiler" in res.stderr, res.stderr[-2000:]
    assert not (tmp_path / "out").exists()


def test_block_size_above_positions_and_vocab_mismatch(adder, text_data, tmp_path):
    poem_ckpt = _small_run(text_data, tmp_path / "poem", "--block_size", "8")
    adder_ckpt = _small_run(adder, tmp_path / "adder")
    # a model with 8 positions cannot take 64-token windows
    res = train(["--preset", "tiny", "--dataset", str(text_data), "--block_size", "64", "--init_from", str(poem_ckpt)],
                tmp_path / "out", check=False)
    assert res.returncode != 0 and res.stderr.count("\n") == 1 and "positions" in res.stderr, res.stderr[-2000:]
    # the adder model's characters are not this text's
    res = train(["--preset", "tiny", "--dataset", str(text_data), "--block_size", "8", "--init_from", str(adder_ckpt)],
                tmp_path / "out", check=False)
    assert res.returncode != 0 and res.stderr.count("\n") == 1 and "vocab mismatch" in res.stderr, res.stderr[-2000:]
    assert not (tmp_path / "out").exists()
    # while finetuning from a matching checkpoint works, with a fresh optimizer
    train(["--preset", "tiny", "--dataset", str(text_data), "--block_size", "8", "--init_from", str(poem_ckpt),
           "--max_steps", "5"], tmp_path / "finetune")


def _small_run(data, out, *extra):
    train(["--preset", "tiny", "--dataset", str(data), "--max_steps", "10", *extra], out)
    return out / "tiny" / "best"


def test_help_lists_every_option():
    res = run_py("-m", "cleangpt.train", "--help")
    assert res.returncode == 0
    from cleangpt.trainer import TrainConfig
    import dataclasses
    for f in dataclasses.fields(TrainConfig): assert f"--{f.name}" in res.stdout


def test_importing_train_module_does_not_run_it():
    res = run_py("-c", "import cleangpt.train; print('imported')")
    assert res.returncode == 0 and res.stdout.strip() == "imported"


def test_fsdp_matches_ddp_resumes_bitwise_and_writes_plain_checkpoints(adder, tmp_path, chance):
    "FSDP2 (--fsdp true) under torchrun: DDP's losses, exact resume after kill -9, checkpoints a plain GPT loads."
    from conftest import assert_bitwise
    from cleangpt.checkpoint import model_from_checkpoint
    args = ["--preset", "tiny", "--dataset", str(adder), "--log_interval", "1", "--dropout", "0.1"]
    fsdp = args + ["--fsdp", "true"]
    train(args, tmp_path / "ddp", torchrun=True)
    train(fsdp, tmp_path / "fsdp", torchrun=True)
    ddp_losses, fsdp_losses = losses(tmp_path / "ddp" / "tiny"), losses(tmp_path / "fsdp" / "tiny")
    assert [r[0] for r in ddp_losses] == [r[0] for r in fsdp_losses]
    for a, b in zip(ddp_losses, fsdp_losses):
        for x, y in zip(a[1:3], b[1:3]):
            if x is not None: assert abs(x - y) <= 1e-5, (a, b)     # the same training, summed in another order
    kill_at = chance.randint(11, 38)
    with chance.explain(kill_step=kill_at):
        crashed = train(fsdp, tmp_path / "crashed", env={"CLEANGPT_FAULT_KILL_AT": str(kill_at)}, torchrun=True,
                        check=False)
        assert crashed.returncode != 0 and (tmp_path / "crashed" / "tiny" / f".fault-injected-{kill_at}").exists()
        assert "resumed from step" in train(fsdp, tmp_path / "crashed", torchrun=True).stdout
        assert_bitwise(final_weights(tmp_path / "crashed" / "tiny"), final_weights(tmp_path / "fsdp" / "tiny"))
        assert losses(tmp_path / "crashed" / "tiny") == fsdp_losses
    model, _ = model_from_checkpoint(tmp_path / "fsdp" / "tiny" / "best")   # whole tensors, plain keys, strict load
    assert sum(p.numel() for p in model.parameters()) > 0
