"""`python -m cleangpt.bench`: every subcommand runs with tiny settings, prints a table and a JSON line
with the expected keys (also written by --json); bad input is one line and exit status 2."""
import json
import os
from pathlib import Path

import pytest

from conftest import run_py

ENV = {"OMP_NUM_THREADS": "1"}   # the data mirror, if any, comes from the environment (CI sets it)
MIRROR = os.environ.get("CLEANGPT_DATA_MIRROR") or None
HAVE_SHAKESPEARE = MIRROR is not None and (Path(MIRROR) / "tinyshakespeare" / "input.txt").is_file()
ROW_KEYS = {"name", "median", "min", "max", "repeats", "unit"}


def bench(*args, tmp_path=None, env=None):
    extra = ["--json", str(tmp_path / "out.json")] if tmp_path else []
    res = run_py("-m", "cleangpt.bench", *args, *extra, env={**ENV, **(env or {})}, timeout=180)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    report = json.loads(res.stdout.strip().splitlines()[-1])     # the JSON line is the last line
    assert res.stdout.splitlines()[1].split()[:3] == ["name", "median", "min-max"]   # the table's header
    assert {"bench", "machine", "rows"} <= set(report) and report["bench"] == args[0]
    if tmp_path: assert json.loads((tmp_path / "out.json").read_text()) == report
    return report


def measured(report):
    rows = [r for r in report["rows"] if "skipped" not in r]
    for r in rows:
        assert ROW_KEYS <= set(r), r
        assert r["min"] <= r["median"] <= r["max"]
    return rows


def test_peak(tmp_path):
    rep = bench("peak", "--n", "64", "--repeats", "2", tmp_path=tmp_path)
    fp32 = next(r for r in rep["rows"] if r["name"] == "fp32")
    assert fp32["repeats"] == 2 and fp32["best"] == fp32["max"] > 0 and fp32["unit"] == "GFLOP/s"
    assert rep["matmul_n"] == 64


def test_train(tmp_path):
    rep = bench("train", "--preset", "shakespeare_char_cpu", "--modes", "eager,bf16", "--steps", "3",
                "--repeats", "2", "--peak-n", "64", "--n_layer", "2", tmp_path=tmp_path)
    assert rep["config"]["n_layer"] == 2 and rep["config"]["batch_size"] == 12 and rep["config"]["block_size"] == 64
    eager, bf16 = rep["rows"]
    assert eager["name"] == "eager" and eager["repeats"] == 2
    assert abs(eager["mfu"] - rep["config"]["flops_per_token"] * eager["median"] / (eager["peak_gflops"] * 1e9)) < 1e-9
    if not rep["machine"]["native_bf16"]: assert "no native bf16" in bf16["skipped"]
    measured(rep)


def test_loader():
    rep = bench("loader", "--batches", "5", "--repeats", "2", "--mb", "1", "--big-mb", "200")
    names = [r["name"] for r in measured(rep)]
    assert names[:6] == ["vectorised B=12 T=64", "loop B=12 T=64", "vectorised B=64 T=256", "loop B=64 T=256",
                         "vectorised B=12 T=1024", "loop B=12 T=1024"]
    assert [r["file_mb"] for r in rep["rows"][6:]] == [1, 200]
    assert all(r["max"] < 100 for r in rep["rows"][6:])    # sampling a 200 MB memmap does not copy it to the heap


def test_prepare():
    rep = bench("prepare", "--mb", "0.05", "--repeats", "2", "--tokenizer", "char")
    assert rep["tokenizer"] == "char" and [r["name"] for r in measured(rep)][0] == "1 process"
    assert "speedup" in rep["rows"][1]


def test_generate():
    rep = bench("generate", "--new-tokens", "16", "--repeats", "2")
    assert rep["new_tokens"] == 16 and [r["name"] for r in measured(rep)] == ["kv cache", "no cache"]


@pytest.mark.data
def test_bf16_quality(tmp_path):
    # the default preset trains on Tiny Shakespeare; without a mirror copy the `tiny` preset (the adder, generated) stands in
    preset = "shakespeare_char_cpu" if HAVE_SHAKESPEARE else "tiny"
    rep = bench("bf16-quality", "--preset", preset, "--max_steps", "4", "--eval-interval", "2", tmp_path=tmp_path,
                env={"CLEANGPT_DATA_DIR": str(tmp_path / "data")})
    fp32, bf16, gap = measured(rep)
    assert [r["name"] for r in (fp32, bf16, gap)] == ["fp32", "bf16", "gap"] and rep["max_steps"] == 4 and rep["preset"] == preset
    (steps32, val32), (steps16, val16) = rep["curves"]["fp32"], rep["curves"]["bf16"]    # (steps, values) each
    assert fp32["steps"] == bf16["steps"] == 4 and steps32 == steps16 == [2, 4]
    assert val32[-1] == fp32["median"] and val16[-1] == bf16["median"] and val32 != val16
    assert gap["median"] == pytest.approx(abs(bf16["median"] - fp32["median"])) and gap["target"] == 0.03
    if not rep["machine"]["native_bf16"]: assert "via fp32" in bf16["kernels"]


@pytest.mark.parametrize("args, words", [
    (["fly"], "invalid choice: 'fly'"),
    (["train", "--preset", "shakespear_char"], "unknown preset 'shakespear_char'"),
    (["generate", "--repeats", "0"], "--repeats must be >= 1, got 0"),
    (["bf16-quality", "--max-steps", "0"], "--max-steps must be >= 1, got 0"),
    (["bf16-quality", "--preset", "nope"], "unknown preset 'nope'"),
    (["train", "--n_layer", "0"], "--n-layer must be >= 1, got 0"),
])
def test_bad_input(args, words):
    res = run_py("-m", "cleangpt.bench", *args, env=ENV, timeout=60)
    assert res.returncode == 2, res.stderr
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("error: ") and words in res.stderr, res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""
