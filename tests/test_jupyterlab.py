"""JupyterLab smoke test: the course opens where a learner opens it.

Starts a real `jupyter lab` server on the loopback address (random port, random token; stopped in every case),
checks that the Lab page and the kernel list answer, then runs lesson 00 through a real python3 kernel with
nbclient, skipping the cells `nbdev_test` skips (`#| eval: false`, `#| slow`, `#| gpu`)."""
from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests"))
from execute_notebooks import skipped  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def get(url: str, timeout: float = 10, method: str = "GET", token: str | None = None) -> tuple[int, bytes]:
    # no proxies: a loopback request must never leave the machine
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(url, method=method, data=b"{}" if method == "POST" else None,
                                 headers={"Authorization": f"token {token}"} if token else {})
    with opener.open(req, timeout=timeout) as r: return r.status, r.read()


@pytest.fixture
def lab(tmp_path):
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"), "no_proxy": "127.0.0.1,localhost"}
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--port-retries=0", f"--ServerApp.token={token}", f"--ServerApp.root_dir={ROOT / 'nbs'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0: cmd.append("--allow-root")   # CI containers run as root
    log = open(tmp_path / "lab.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{(tmp_path / 'lab.log').read_text()[-3000:]}")
            try:
                if get(f"{base}/api/status?token={token}", timeout=2)[0] == 200: break
            except OSError: pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer within 40 s:\n{(tmp_path / 'lab.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield base, token
    finally:
        proc.terminate()
        try: proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill(); proc.wait(timeout=10)
        log.close()


def test_lab_serves_the_course(lab):
    base, token = lab
    status, page = get(f"{base}/lab?token={token}")
    assert status == 200 and b"JupyterLab" in page
    status, body = get(f"{base}/api/kernelspecs?token={token}")
    assert status == 200 and "python3" in json.loads(body)["kernelspecs"]
    status, body = get(f"{base}/api/contents?token={token}")
    names = {c["name"] for c in json.loads(body)["content"]}
    assert {"00_core.ipynb", "index.ipynb"} <= names, sorted(names)
    status, body = get(f"{base}/api/kernels", method="POST", token=token)    # the server starts a kernel
    assert status == 201, body
    kid = json.loads(body)["id"]
    assert get(f"{base}/api/kernels/{kid}", method="DELETE", token=token)[0] == 204
    with pytest.raises(urllib.error.HTTPError) as e:
        get(f"{base}/api/kernelspecs")                       # the token is required
    assert e.value.code == 403


def test_lesson_00_runs_in_a_real_kernel():
    import nbformat
    from nbclient import NotebookClient
    path = ROOT / "nbs" / "00_core.ipynb"
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    skip = [c for c in code if skipped(c.source, set())]
    for c in skip: c.metadata.setdefault("tags", []).append("skip-execution")
    t0 = time.monotonic()
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    ran = [c for c in code if c not in skip]
    assert ran and all(c.execution_count for c in ran), "some cells did not run"
    errors = [o for c in ran for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    assert time.monotonic() - t0 < 60
