"""`python -m cleangpt.datasets` as a user runs it: list, prepare, re-runs, the offline path, and every bad input.

Every bad input must end in exactly one stderr line starting with "error:", a non-zero exit status, no
traceback, and no change to datasets already prepared. Nothing here touches the network: "offline" runs
route HTTP(S) through a closed local port (a real attempt that is refused at once), and data comes from
the local mirror named by CLEANGPT_DATA_MIRROR (CI sets it) or is generated; a test that needs a mirror file
skips, naming the file, when the variable is unset. The tests marked `data` run again in .ci/run's no-mirror pass.
"""
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import run_py

SHAKESPEARE_URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
MIRROR = Path(os.environ["CLEANGPT_DATA_MIRROR"]) if os.environ.get("CLEANGPT_DATA_MIRROR") else None
HAVE_SHAKESPEARE = MIRROR is not None and (MIRROR / "tinyshakespeare" / "input.txt").is_file()
NO_SHAKESPEARE = "needs tinyshakespeare/input.txt in CLEANGPT_DATA_MIRROR (unset, or without it)"
needs_mirror = pytest.mark.skipif(not HAVE_SHAKESPEARE, reason=NO_SHAKESPEARE)
# No mirror, and every connection refused immediately by a port where nothing listens.
OFFLINE = {"CLEANGPT_DATA_MIRROR": "", "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
           "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "no_proxy": "", "NO_PROXY": ""}


def datasets(*args, data_dir, **env):
    return run_py("-m", "cleangpt.datasets", *map(str, args), env={"CLEANGPT_DATA_DIR": str(data_dir), **env})


def snapshot(folder: Path) -> dict:
    "Every file under `folder` with its mtime and bytes: proof that nothing was rewritten."
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_one_line_error(res, *words):
    assert res.returncode != 0, res.stdout
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    for w in words: assert w in lines[0], (w, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    "A data dir holding a prepared adder (and shakespeare_char when the mirror is here), shared by the bad-input tests."
    d = tmp_path_factory.mktemp("data")
    assert datasets("prepare", "adder", data_dir=d, **OFFLINE).returncode == 0
    if HAVE_SHAKESPEARE:
        assert datasets("prepare", "shakespeare_char", data_dir=d, CLEANGPT_DATA_MIRROR=str(MIRROR)).returncode == 0
    return d


def test_list_shows_the_registry(tmp_path):
    res = datasets("list", data_dir=tmp_path)
    assert res.returncode == 0, res.stderr
    for name in ["shakespeare_char", "shakespeare", "tinystories", "tinystories_sample", "file", "adder", "multiplier"]:
        assert name in res.stdout
    assert SHAKESPEARE_URL in res.stdout


def test_help_lists_options_with_defaults(tmp_path):
    res = datasets("prepare", "--help", data_dir=tmp_path)
    assert res.returncode == 0
    for opt in ["--data-dir", "--mirror", "--force", "--workers", "--dtype", "--path", "--tokenizer", "--digits",
                "--n-train", "--n-val", "--seed", "--reverse"]:
        assert opt in res.stdout, opt
    assert "default: 2" in res.stdout and "default: 1337" in res.stdout
    assert "--n-train or --n_train" in " ".join(res.stdout.split())   # the help says both spellings work


@pytest.mark.data
def test_prepare_adder_offline_without_mirror(tmp_path):
    "The README's main job: no network, no mirror. Both spellings of an option work."
    res = datasets("prepare", "adder", "--n_train", "9000", "--n-val", "1000", data_dir=tmp_path, **OFFLINE)
    assert res.returncode == 0, res.stderr
    out = tmp_path / "adder"
    assert str(out) in res.stdout and "train 90,000 tokens" in res.stdout and "val 10,000 tokens" in res.stdout
    meta = json.loads((out / "meta.json").read_text())
    task, L = meta["task"], meta["task"]["example_len"]
    assert (task["kind"], task["digits"], L, task["answer_start"], task["reverse_answer"]) == ("adder", 2, 10, 6, True)
    chars = meta["tokenizer"]["chars"]
    rows = {s: ["".join(chars[i] for i in r) for r in np.fromfile(out / f"{s}.bin", dtype=meta["dtype"]).reshape(-1, L)]
            for s in ("train", "val")}
    for s, texts in rows.items():
        for t in texts:  # arithmetic truth, read independently of the library: "ab+cd=" + reversed 3-digit sum + "\n"
            assert int(t[:2]) + int(t[3:5]) == int(t[6:9][::-1]) and t[2] == "+" and t[5] == "=" and t[9] == "\n", t
    assert not set(r[:6] for r in rows["train"]) & set(r[:6] for r in rows["val"])   # disjoint problems
    assert len(rows["train"]) + len(rows["val"]) == 10_000


@pytest.mark.data
@needs_mirror
def test_shakespeare_char_from_mirror_then_nothing_to_do(tmp_path):
    res = datasets("prepare", "shakespeare_char", data_dir=tmp_path, CLEANGPT_DATA_MIRROR=str(MIRROR))
    assert res.returncode == 0, res.stderr
    out = tmp_path / "shakespeare_char"
    meta = json.loads((out / "meta.json").read_text())
    assert (meta["train_tokens"], meta["val_tokens"], meta["vocab_size"]) == (1_003_854, 111_540, 65)
    assert (out / "train.bin").stat().st_size == 2 * 1_003_854 and (out / "val.bin").stat().st_size == 2 * 111_540
    assert meta["source"]["text"]["sha256"] == "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
    before = snapshot(tmp_path)
    time.sleep(0.01)
    again = datasets("prepare", "shakespeare_char", data_dir=tmp_path, CLEANGPT_DATA_MIRROR=str(MIRROR))
    assert again.returncode == 0 and "up to date" in again.stdout, again.stdout + again.stderr
    assert snapshot(tmp_path) == before


@pytest.mark.data
def test_shakespeare_char_offline_without_mirror_fails_in_one_line(tmp_path):
    t0 = time.time()
    res = datasets("prepare", "shakespeare_char", data_dir=tmp_path, **OFFLINE)
    assert_one_line_error(res, SHAKESPEARE_URL, "CLEANGPT_DATA_MIRROR", "tinyshakespeare/input.txt")
    assert time.time() - t0 < 60
    assert not (tmp_path / "shakespeare_char" / "meta.json").exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]   # no partial download left behind


@pytest.mark.data
def test_tinystories_sample_missing_from_mirror_says_how_to_get_it(tmp_path):
    empty_mirror = tmp_path / "mirror"; empty_mirror.mkdir()
    res = datasets("prepare", "tinystories_sample", data_dir=tmp_path / "data", CLEANGPT_DATA_MIRROR=str(empty_mirror))
    assert_one_line_error(res, "first 2,316 stories", "TinyStoriesV2-GPT4-train.txt", "tinystories/TinyStories-sample.txt")


def bad_inputs(tmp: Path) -> dict:
    "name -> (argv, env, words the one-line error must contain); files are created in `tmp`."
    (tmp / "empty.txt").write_text("")
    (tmp / "latin1.txt").write_bytes("naïve text".encode("latin1"))   # 0xef at offset 2
    (tmp / "wide.txt").write_text("".join(map(chr, range(0x10000, 0x10000 + 70_000))), encoding="utf-8")
    corrupt = tmp / "corrupt_mirror" / "tinyshakespeare"; corrupt.mkdir(parents=True)
    if HAVE_SHAKESPEARE:
        corrupt.joinpath("input.txt").write_bytes((MIRROR / "tinyshakespeare" / "input.txt").read_bytes()[:50_000])
    return {
        "unknown_dataset": (["prepare", "addr"], {}, ["unknown dataset 'addr'", "did you mean 'adder'"]),
        "missing_file": (["prepare", "file", "--path", tmp / "missing.txt", "--name", "adder"], {}, ["no such text file"]),
        "empty_file": (["prepare", "file", "--path", tmp / "empty.txt", "--name", "adder"], {}, ["is empty"]),
        "not_utf8": (["prepare", "file", "--path", tmp / "latin1.txt", "--name", "adder"], {}, ["not UTF-8", "0xef", "offset 2"]),
        "vocab_too_big_for_dtype": (["prepare", "file", "--path", tmp / "wide.txt", "--name", "adder", "--dtype", "uint16"], {},
                                    ["vocab_size 70,000 does not fit uint16"]),
        "unknown_option": (["prepare", "adder", "--bogus", "3"], {}, ["unrecognized arguments: --bogus"]),
        "option_of_another_recipe": (["prepare", "adder", "--tokenizer", "gpt2"], {}, ["unknown option 'tokenizer' for adder"]),
        "bad_value": (["prepare", "adder", "--digits", "two"], {}, ["invalid int value"]),
        "too_many_problems": (["prepare", "adder", "--digits", "1", "--n-train", "95", "--n-val", "10"], {}, ["only 100 distinct problems"]),
        "corrupt_download": (["prepare", "shakespeare_char", "--force"], {"CLEANGPT_DATA_MIRROR": str(corrupt.parent)},
                             ["is corrupt or truncated", "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
                              str(corrupt / "input.txt")]),
    }


@pytest.mark.parametrize("case", ["unknown_dataset", "missing_file", "empty_file", "not_utf8", "vocab_too_big_for_dtype",
                                  "unknown_option", "option_of_another_recipe", "bad_value", "too_many_problems",
                                  pytest.param("corrupt_download", marks=pytest.mark.data)])
def test_bad_input_is_one_line_and_changes_nothing(case, prepared, tmp_path):
    argv, env, words = bad_inputs(tmp_path)[case]
    if case == "corrupt_download" and not HAVE_SHAKESPEARE: pytest.skip(NO_SHAKESPEARE)
    if case == "corrupt_download":  # a verified copy already downloaded would be used instead of the mirror: drop it
        shutil.rmtree(prepared / "downloads", ignore_errors=True)
    before = snapshot(prepared)
    res = datasets(*argv, data_dir=prepared, **{**OFFLINE, **env})
    line = assert_one_line_error(res, *words)
    assert snapshot(prepared) == before, f"{case} changed prepared files ({line})"


@pytest.mark.data
@needs_mirror
def test_corrupt_download_leaves_no_file(tmp_path):
    cases = bad_inputs(tmp_path)
    argv, env, words = cases["corrupt_download"]
    data = tmp_path / "data"
    assert_one_line_error(datasets(*argv, data_dir=data, **env), *words)
    assert not [p for p in data.rglob("*") if p.is_file()], list(data.rglob("*"))


def test_file_dataset_and_parallel_equals_single_process(tmp_path):
    text = "".join(f"Line {i}: the quick brown fox, {i * 7 % 13} times.\n" for i in range(20_000))
    src = tmp_path / "fox.txt"; src.write_text(text)
    outs = {}
    for w in (1, 2):
        res = datasets("prepare", "file", "--path", src, "--workers", w, "--name", f"fox{w}", data_dir=tmp_path / "data", **OFFLINE)
        assert res.returncode == 0, res.stderr
        outs[w] = {s: (tmp_path / "data" / f"fox{w}" / f"{s}.bin").read_bytes() for s in ("train", "val")}
    assert outs[1] == outs[2]
    meta = json.loads((tmp_path / "data" / "fox2" / "meta.json").read_text())
    n = int(len(text) * 0.9)
    assert (meta["train_tokens"], meta["val_tokens"]) == (n, len(text) - n)   # char level: one token per character
    assert meta["tokenizer"]["chars"] == "".join(sorted(set(text)))
    ids = np.frombuffer(outs[2]["train"], dtype="<u2")
    assert "".join(meta["tokenizer"]["chars"][i] for i in ids) == text[:n]
