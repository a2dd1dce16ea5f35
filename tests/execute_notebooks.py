"""Run lesson notebooks in place so their stored outputs (values, plots) are fresh for the docs.

Like `jupyter nbconvert --execute --inplace`, but it skips the cells `nbdev_test` skips: `#| eval: false`
(full-scale commands), and `#| slow` / `#| gpu` unless asked for (`--flags slow`; `gpu` only with CUDA).
Run `nbdev_clean` afterwards. Usage: python tests/execute_notebooks.py nbs/08_optim.ipynb [...] [--flags slow]
"""
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def skipped(source: str, flags: set) -> bool:
    lines = [l.strip().replace("#|", "#| ").replace("#|  ", "#| ") for l in source.splitlines() if l.strip().startswith("#|")]
    if any(l.replace(" ", "") == "#|eval:false" for l in lines): return True
    return any(l == f"#| {f}" for f in ("slow", "gpu") if f not in flags for l in lines)


def execute(path: Path, flags: set) -> int:
    nb = nbformat.read(path, as_version=4)
    marked = [c for c in nb.cells if c.cell_type == "code" and skipped(c.source, flags)]
    for c in marked: c.metadata.setdefault("tags", []).append("skip-execution")
    NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    for c in marked:
        c.metadata["tags"].remove("skip-execution")
        if not c.metadata["tags"]: del c.metadata["tags"]
    nbformat.write(nb, path)
    return len(marked)


if __name__ == "__main__":
    args, flags = sys.argv[1:], set()
    if "--flags" in args:
        i = args.index("--flags"); flags = set(args[i + 1].split()); del args[i:i + 2]
    if "gpu" in flags:
        import torch
        if not torch.cuda.is_available(): sys.exit("error: --flags gpu needs a CUDA GPU")
    for p in args:
        print(f"{p}: executed, {execute(Path(p), flags)} cells skipped", flush=True)
