"""The README's main command, run as a user would (minus the pip installs the test setup already did):
offline, no mirror, 2 CPU processes under torchrun; it must end with >= 98% held-out exact-match accuracy."""
import os
import re
import subprocess
import time

from conftest import ROOT
from test_repo import readme_commands


def test_readme_main_job_trains_the_adder(tmp_path):
    main = readme_commands()[0]
    steps = [s.strip() for s in main.split("&&") if not s.strip().startswith("pip install")]
    assert any("torchrun" in s for s in steps), steps
    env = {k: v for k, v in os.environ.items() if k != "CLEANGPT_DATA_MIRROR"}   # no mirror: nothing to download
    env.update(CLEANGPT_DATA_DIR=str(tmp_path / "data"), https_proxy="http://127.0.0.1:9", http_proxy="http://127.0.0.1:9")
    t0 = time.time()
    res = subprocess.run(" && ".join(steps), shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    took = time.time() - t0
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    found = re.findall(r"held-out exact-match accuracy: ([\d.]+)%", res.stdout)
    assert len(found) == 1, res.stdout[-2000:]         # printed once, by rank 0
    print(f"README main job: {found[0]}% held-out exact match in {took:.0f} s")
    assert float(found[0]) >= 98.0
