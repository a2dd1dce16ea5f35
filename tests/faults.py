"""`python -m cleangpt.train`, with faults: the entry point tests/test_faults.py starts to break real runs.

    python tests/faults.py --preset tiny ...                       # = python -m cleangpt.train --preset tiny ...
    python -m torch.distributed.run --nproc_per_node 2 tests/faults.py ...      # the same under torchrun

The faults are switched on by environment variables, which only this file reads:

- `CLEANGPT_FAULT_KILL_AT=a,b,c` (with `CLEANGPT_FAULT_RANK`, default 0): after the optimizer step that ends
  step a (or b, or c), the process of that rank SIGKILLs itself, once per run folder (a marker file
  `run_dir/.fault-injected-<step>` remembers it), so the restarted run goes past that step.
- `CLEANGPT_FAULT_STALL_SAVE=step_000020.pt`: when `atomic_save` writes the file of that name, once
  `torch.save` has filled the temporary file it keeps half of it, fsyncs, touches `<tempfile>.stalled` (the
  test's cue that the write is half done) and hangs, until the test kills it.

Why here and not in cleangpt/: the library is what users run, and it should not carry code, or read
environment variables, that exist only for its tests. So this script wraps two library functions from
outside (`Trainer.train_step`, and the `atomic_file` that `cleangpt.checkpoint.atomic_save` writes through)
and then runs the real CLI, `cleangpt.train.main`, unchanged. `grep -r CLEANGPT_FAULT cleangpt/` finds nothing.
"""
import contextlib
import functools
import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# run as a script, Python puts tests/ first on the path; `python -m cleangpt.train` (run from the repository
# root, as the tests do) would put the root there: import the same cleangpt as it does
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent: sys.path[0] = str(ROOT)

import cleangpt.checkpoint
import cleangpt.train
import cleangpt.trainer
from cleangpt.core import run_cli


def kill_after_steps(train_step):
    "Wrap `Trainer.train_step`: SIGKILL this process after each step listed in `$CLEANGPT_FAULT_KILL_AT`."
    at = [s for s in os.environ.get("CLEANGPT_FAULT_KILL_AT", "").split(",") if s.strip()]
    rank = int(os.environ.get("CLEANGPT_FAULT_RANK", 0))

    @functools.wraps(train_step)
    def step_then_maybe_die(self, *args, **kwargs):
        out = train_step(self, *args, **kwargs)              # self.step is now the step just finished
        if str(self.step) in at and self.info.rank == rank:
            marker = Path(self.run_dir) / f".fault-injected-{self.step}"
            if not marker.exists():                          # once per run folder: the restarted run goes on
                marker.parent.mkdir(parents=True, exist_ok=True); marker.touch()
                os.kill(os.getpid(), signal.SIGKILL)
        return out
    return step_then_maybe_die


def stall_when_writing(atomic_file, name: str):
    "Wrap `atomic_file`: for a file called `name`, once the caller has written it, keep half and hang."
    @contextlib.contextmanager
    @functools.wraps(atomic_file)
    def maybe_stalling(path, *args, **kwargs):
        with atomic_file(path, *args, **kwargs) as f:
            yield f                                          # atomic_save's torch.save(obj, f) runs here
            if Path(path).name == name:
                f.flush(); f.truncate(f.tell() // 2); os.fsync(f.fileno())
                Path(f"{f.name}.stalled").touch()            # tells the test the write is half done: now kill -9 us
                while True: time.sleep(1)
    return maybe_stalling


def install() -> None:
    "Install the faults the environment asks for (none when it asks for none)."
    if os.environ.get("CLEANGPT_FAULT_KILL_AT"):
        cleangpt.trainer.Trainer.train_step = kill_after_steps(cleangpt.trainer.Trainer.train_step)
    if name := os.environ.get("CLEANGPT_FAULT_STALL_SAVE"):
        # atomic_save looks `atomic_file` up in its module's namespace (`from .core import atomic_file`)
        cleangpt.checkpoint.atomic_file = stall_when_writing(cleangpt.checkpoint.atomic_file, name)


if __name__ == "__main__":
    install()
    run_cli(cleangpt.train.main)
