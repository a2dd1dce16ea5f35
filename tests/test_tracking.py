"""cleangpt.tracking as a user's process sees it: wandb modes chosen by WANDB_MODE, and no hang without a network."""
import json
import os
import subprocess
import sys
import time

from conftest import ROOT

SCRIPT = """
import sys
from cleangpt.tracking import Tracker
with Tracker(sys.argv[1], {"lr": 1e-3}, wandb_mode=sys.argv[2]) as tr:
    tr.log({"train/loss": 2.5}, step=1)
print(tr.mode, tr.run_id)
"""


def _env(tmp_path, **extra):
    # no WANDB_* from outside, and a HOME without ~/.netrc: no API key unless a test sets one
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env.update({"HOME": str(tmp_path), "WANDB_DIR": str(tmp_path), "NETRC": str(tmp_path / "no_netrc"),
                "WANDB_SILENT": "true", **extra})
    return env


def run_py(*args, env, timeout=300):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout)


def test_online_without_api_key_falls_back_to_offline(tmp_path):
    t0 = time.time()
    res = run_py("-c", SCRIPT, str(tmp_path / "run"), "online", env=_env(tmp_path), timeout=120)
    assert res.returncode == 0, res.stderr
    mode, run_id = res.stdout.split()
    assert mode == "offline"
    warning = [l for l in res.stderr.splitlines() if "UserWarning: wandb online is not possible" in l]  # the message is one line
    assert len(warning) == 1 and "API key" in warning[0]
    assert list((tmp_path / "wandb").glob(f"offline-run-*-{run_id}"))     # an offline run to `wandb sync`
    assert json.loads((tmp_path / "run" / "metrics.jsonl").read_text())["train/loss"] == 2.5
    assert time.time() - t0 < 100


def test_online_with_unreachable_server_falls_back_quickly(tmp_path):
    env = _env(tmp_path, WANDB_API_KEY="k" * 40, WANDB_BASE_URL="http://127.0.0.1:9")  # port 9: closed
    res = run_py("-c", SCRIPT, str(tmp_path / "run"), "online", env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split()[0] == "offline"
    assert "cannot reach 127.0.0.1:9" in res.stderr


def test_wandb_mode_online_in_the_environment_also_falls_back(tmp_path):
    res = run_py("-c", SCRIPT, str(tmp_path / "run"), "disabled", env=_env(tmp_path, WANDB_MODE="online"), timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split()[0] == "offline"


def test_wandb_mode_env_overrides_the_argument(tmp_path):
    res = run_py("-c", SCRIPT, str(tmp_path / "run"), "online", env=_env(tmp_path, WANDB_MODE="disabled"))
    assert res.returncode == 0, res.stderr
    assert res.stdout.split()[0] == "disabled"
    assert not (tmp_path / "wandb").exists()


def test_bad_mode_is_one_line(tmp_path):
    res = run_py("-c", SCRIPT, str(tmp_path / "run"), "onlin", env=_env(tmp_path))
    assert res.returncode != 0 and "'onlin' is not a wandb mode: use one of online, offline, disabled" in res.stderr
