"""The four command lines built on lesson 00's `ArgParser` (datasets, evaluate, bench, hf), as a user runs them.

A number outside its range is refused before any work: exit status 2, exactly one stderr line starting with
`error:` that names the option (in its dash spelling) and the range, nothing on stdout, and no file anywhere
in the run's folder (data dir, --json, --export). The evaluate and hf cases pass the source `gpt2`, which
would need a download: their message proves the check came first. Every long option parses the same with
dashes and with underscores.
"""
import argparse
import os

import pytest

from conftest import run_py

OFFLINE = {"HF_HUB_OFFLINE": "1", "CLEANGPT_DATA_MIRROR": "", "https_proxy": "http://127.0.0.1:9",
           "HTTPS_PROXY": "http://127.0.0.1:9", "no_proxy": "", "NO_PROXY": ""}

# (module, argv, the one error line); {out} is a path in the test's folder that the command must not create.
# SUBPROCESS cases run as real commands; every case also runs in-process through run_cli (fast).
SUBPROCESS = [
    ("datasets", ["prepare", "adder", "--digits", "10"], "error: --digits must be in [1, 9], got 10"),
    ("datasets", ["prepare", "adder", "--n_train", "-1"], "error: --n-train must be >= 1, got -1"),
    ("datasets", ["prepare", "adder", "--workers", "0"], "error: --workers must be >= 1, got 0"),
    ("datasets", ["prepare", "file", "--path", "x.txt", "--val_fraction", "1"], "error: --val-fraction must be in (0, 1), got 1.0"),
    ("evaluate", ["sample", "gpt2", "--temperature", "-0.5"], "error: --temperature must be >= 0, got -0.5"),
    ("evaluate", ["sample", "gpt2", "--top_p", "0"], "error: --top-p must be in (0, 1], got 0.0"),
    ("evaluate", ["sample", "gpt2", "--max_new_tokens", "-1"], "error: --max-new-tokens must be >= 0, got -1"),
    ("evaluate", ["loss", "gpt2", "--micro-batch", "0"], "error: --micro-batch must be >= 1, got 0"),
    ("evaluate", ["loss", "gpt2", "--device", "cuda:99"], "error: --device cuda:99: "),
    ("bench", ["generate", "--new_tokens", "0", "--json", "{out}"], "error: --new-tokens must be >= 1, got 0"),
    ("bench", ["train", "--steps", "0", "--json", "{out}"], "error: --steps must be >= 1, got 0"),
    ("bench", ["loader", "--mb", "-1", "--json", "{out}"], "error: --mb must be in [0.01, inf), got -1.0"),
    ("bench", ["bf16-quality", "--max_steps", "0", "--json", "{out}"], "error: --max-steps must be >= 1, got 0"),
    ("hf", ["gpt2", "--block-size", "0", "--export", "{out}"], "error: --block-size must be >= 1, got 0"),
    ("hf", ["gpt2", "--block_size", "-5"], "error: --block-size must be >= 1, got -5"),
]
CASES = SUBPROCESS + [
    ("datasets", ["prepare", "adder", "--digits", "0"], "error: --digits must be in [1, 9], got 0"),
    ("datasets", ["prepare", "adder", "--n-val=0"], "error: --n-val must be >= 1, got 0"),
    ("datasets", ["prepare", "adder", "--seed", "-3"], "error: --seed must be >= 0, got -3"),
    ("datasets", ["prepare", "file", "--path", "x.txt", "--val-fraction", "nan"], "error: --val-fraction must be in (0, 1), got nan"),
    ("datasets", ["prepare", "adder", "--digits", "two"], "error: argument --digits: invalid int value: 'two'"),
    ("evaluate", ["sample", "gpt2", "--top_k", "0"], "error: --top-k must be >= 1, got 0"),
    ("evaluate", ["sample", "gpt2", "--top-p", "1.5"], "error: --top-p must be in (0, 1], got 1.5"),
    ("evaluate", ["sample", "gpt2", "--num-samples", "0"], "error: --num-samples must be >= 1, got 0"),
    ("evaluate", ["sample", "gpt2", "--seed", "-1"], "error: --seed must be >= 0, got -1"),
    ("evaluate", ["loss", "gpt2", "--iters", "0"], "error: --iters must be >= 1, got 0"),
    ("evaluate", ["accuracy", "gpt2", "--n", "0"], "error: --n must be >= 1, got 0 (or -1 for every problem)"),
    ("evaluate", ["loss", "gpt2", "--dtype", "fp8"], "error: --dtype fp8: unknown precision 'fp8'"),
    ("evaluate", ["loss", "gpt2", "--device", "tpu"], "error: --device 'tpu' is not a device"),
    ("bench", ["train", "--n_embd", "-8"], "error: --n-embd must be >= 1, got -8"),
    ("bench", ["train", "--modes", "eager,fast"], "error: unknown mode 'fast'"),
    ("bench", ["peak", "--repeats", "0", "--json", "{out}"], "error: --repeats must be >= 1, got 0"),
    ("bench", ["peak", "--n", "0", "--json", "{out}"], "error: --n must be >= 1, got 0"),
    ("bench", ["loader", "--big_mb", "0.001"], "error: --big-mb must be in [0.01, inf), got 0.001"),
    ("bench", ["prepare", "--mb", "inf", "--json", "{out}"], "error: --mb must be in (0, inf), got inf"),
    ("bench", ["prepare", "--workers", "0"], "error: --workers must be >= 1, got 0"),
    ("bench", ["bf16-quality", "--eval-interval", "0"], "error: --eval-interval must be >= 1, got 0"),
    ("hf", ["gpt2", "--block-size", "x"], "error: argument --block-size: invalid int value: 'x'"),
]
ids = lambda cases: [f"{m} {' '.join(a)}".replace("{out}", "OUT") for m, a, _ in cases]


def check_refused(tmp_path, code, stdout, stderr, line, what):
    assert code == 2, (code, stdout[-1000:], stderr[-2000:])
    assert stdout == "", stdout
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(line), stderr
    assert list(tmp_path.iterdir()) == [], f"{what} wrote {list(tmp_path.rglob('*'))}"


@pytest.mark.parametrize("module, argv, line", SUBPROCESS, ids=ids(SUBPROCESS))
def test_bad_number_is_one_line_and_writes_nothing(tmp_path, module, argv, line):
    res = run_py("-m", f"cleangpt.{module}", *[a.replace("{out}", str(tmp_path / "out")) for a in argv], cwd=tmp_path,
                 timeout=300, env={**OFFLINE, "CLEANGPT_DATA_DIR": str(tmp_path / "data"), "HF_HUB_CACHE": str(tmp_path / "hf")})
    check_refused(tmp_path, res.returncode, res.stdout, res.stderr, line, f"{module} {argv}")


@pytest.mark.parametrize("module, argv, line", CASES, ids=ids(CASES))
def test_bad_value_in_process(tmp_path, monkeypatch, capsys, module, argv, line):
    "The same refusals through `run_cli(main)`, as `python -m` runs them, without starting a process each."
    import importlib
    from cleangpt.core import run_cli
    for k, v in {**OFFLINE, "CLEANGPT_DATA_DIR": str(tmp_path / "data"), "HF_HUB_CACHE": str(tmp_path / "hf")}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(tmp_path)
    main = importlib.import_module(f"cleangpt.{module}").main
    with pytest.raises(SystemExit) as stop: run_cli(main, [a.replace("{out}", str(tmp_path / "out")) for a in argv])
    out, err = capsys.readouterr()
    check_refused(tmp_path, stop.value.code, out, err, line, f"{module} {argv}")


def parsers():
    "name -> the parser of each CLI (imported here: the module-level import of torch is the slow part)."
    from cleangpt import bench, datasets, evaluate, hf
    return {"datasets": datasets.make_parser(), "evaluate": evaluate._parser(), "bench": bench.make_parser(),
            "hf": hf.make_parser()}


def commands(parser: argparse.ArgumentParser):
    "(prefix argv, parser) for the parser itself and for each of its subcommands."
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs: return [([], parser)]
    return [([name], sub) for a in subs for name, sub in a.choices.items()]


def sample_value(action):
    if action.choices: return str(next(iter(action.choices)))
    return {int: "3", float: "0.5"}.get(action.type, "x")


@pytest.mark.parametrize("cli", ["datasets", "evaluate", "bench", "hf"])
def test_every_option_takes_dashes_and_underscores(cli):
    checked = 0
    for prefix, p in commands(parsers()[cli]):
        positionals = [sample_value(a) for a in p._actions if not a.option_strings and not isinstance(a, argparse._SubParsersAction)]
        for a in p._actions:
            longs = [s for s in a.option_strings if s.startswith("--") and s != "--help" and not s.startswith("--no-")]
            for opt in longs:
                assert "_" not in opt, f"{cli} {prefix}: {opt} should be spelled with dashes (underscores work too)"
                if "-" not in opt[2:]: continue
                value = [] if a.nargs == 0 else [sample_value(a)]
                dashed = parsers()[cli].parse_args(prefix + positionals + [opt, *value])
                under = parsers()[cli].parse_args(prefix + positionals + ["--" + opt[2:].replace("-", "_"), *value])
                assert vars(dashed) == vars(under), (cli, prefix, opt)
                assert getattr(under, a.dest) == getattr(dashed, a.dest) != a.default, (cli, prefix, opt)
                checked += 1
    assert checked >= {"datasets": 4, "evaluate": 4, "bench": 10, "hf": 1}[cli], checked
