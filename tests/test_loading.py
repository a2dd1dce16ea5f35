"""What the 03_loading notebook cannot hold well: separate processes, and statistics over many epochs.

- every window phase (shift % T) comes up equally often across epochs, and every shift still comes up;
- a sampler snapshot written by one process continues exactly in a fresh process (no hidden per-process state);
- two real gloo ranks draw disjoint shards that cover the stream, and restore from rank 0's snapshot;
- importing the module stays light (no matplotlib, no file access).
"""
import json
import socket

import numpy as np

from conftest import run_py

def write_data(folder, n: int = 5000):
    "n counting tokens; 5,000 give 311 windows of 16 per epoch, shift 0..23."
    folder.mkdir(parents=True, exist_ok=True)
    np.arange(n, dtype=np.uint16).tofile(folder / "train.bin")
    (folder / "meta.json").write_text(json.dumps({"dtype": "uint16", "vocab_size": n, "train_tokens": n}))


def chi_square(counts) -> float:
    "Pearson's statistic against equal counts."
    counts = np.asarray(counts, dtype=float)
    return float(((counts - counts.mean()) ** 2 / counts.mean()).sum())


def chi2_999(df: int) -> float:
    "The chi-square distribution's 99.9% point (Wilson-Hilferty): a uniform draw stays below it 999 times in 1,000."
    return df * (1 - 2 / (9 * df) + 3.09 * (2 / (9 * df)) ** 0.5) ** 3


def test_window_phases_are_uniform(tmp_path):
    from cleangpt.loading import TokenDataset, ShardedBatchSampler
    # (tokens, T, epochs): max_shift 8 >= T (the old draw gave phases 0, 1 twice the others), 23 >= 16 (phases
    # 0..7 twice), and a short split whose max_shift 19 < T-1 = 29 (only phases 0..19 reachable).
    for n, T, epochs, old_was_biased in ((100, 7, 7000, True), (5000, 16, 4800, True), (50, 30, 2000, False)):
        write_data(tmp_path / str(n), n)
        ds = TokenDataset(tmp_path / str(n), "train", block_size=T)
        s = ShardedBatchSampler(ds, 4, seed=0)
        shifts = np.array([s.epoch_plan(e)[0] for e in range(epochs)])
        phases = min(T, ds.max_shift + 1)
        new = np.bincount(shifts % T, minlength=T)
        assert new[phases:].sum() == 0, (n, T)                         # nothing outside the reachable phases
        assert chi_square(new[:phases]) < chi2_999(phases - 1), (n, T, new)
        assert set(shifts.tolist()) == set(range(ds.max_shift + 1)), (n, T)   # every shift, so every target, still comes up
        # the old draw, same generators: uniform over 0..max_shift. It fails the same test where max_shift >= T.
        old_shifts = [int(np.random.default_rng([0, e]).integers(0, ds.max_shift + 1)) for e in range(epochs)]
        old = np.bincount(np.array(old_shifts) % T, minlength=T)[:phases]
        assert (chi_square(old) >= chi2_999(phases - 1)) == old_was_biased, (n, T, old)
        # the plan is (seed, epoch)'s alone: a fresh sampler gives any epoch's plan without the ones before it
        shift, order = ShardedBatchSampler(ds, 3, seed=0).epoch_plan(epochs - 1)
        assert shift == shifts[-1] and sorted(order.tolist()) == list(range(ds.num_items))


def test_resume_with_two_step_shifts(tmp_path):
    "Exact resume where the shift has two candidates per phase (100 tokens, T=7: max_shift 8), across epoch boundaries."
    from cleangpt.loading import TokenDataset, ShardedBatchSampler
    write_data(tmp_path, 100)
    ds = TokenDataset(tmp_path, "train", block_size=7)                 # 13 windows per epoch
    for k in (0, 3, 13, 20):
        original = ShardedBatchSampler(ds, 2, seed=9)
        it = iter(original)
        for _ in range(k): next(it)
        fresh = ShardedBatchSampler(ds, 2, seed=1)
        fresh.load_state_dict(original.state_dict())
        cont = iter(fresh)
        assert [next(cont).tolist() for _ in range(40)] == [next(it).tolist() for _ in range(40)], k   # 80 items: 6 epochs


# `save`: run 120 batches, snapshot after each k in KS, print all 120. `load`: restore each snapshot in a
# fresh sampler and print the 60 batches that follow it.
SAMPLE = """
import json, sys, torch
from cleangpt.loading import TokenDataset, ShardedBatchSampler
folder, mode, snap = sys.argv[1], sys.argv[2], sys.argv[3]
KS = (7, 39)   # 39 batches of 8 = 312 items: just past the 311-item epoch; the 60 after cross the next boundary
ds = TokenDataset(folder, "train", block_size=16)
def sampler(): return ShardedBatchSampler(ds, 8, seed=123)
if mode == "save":
    s, out = sampler(), []
    it = iter(s)
    for i in range(120):
        if i in KS: torch.save({"sampler": s.state_dict()}, f"{snap}.{i}")
        out.append(next(it).tolist())
    print(json.dumps(out))
else:
    res = {}
    for k in KS:
        s = sampler(); s.load_state_dict(torch.load(f"{snap}.{k}", weights_only=True)["sampler"])
        it = iter(s); res[k] = [next(it).tolist() for _ in range(60)]
    print(json.dumps(res))
"""


def test_resume_in_a_fresh_process(tmp_path):
    data, snap = tmp_path / "data", tmp_path / "snap.pt"
    write_data(data)
    saved = run_py("-c", SAMPLE, str(data), "save", str(snap))
    assert saved.returncode == 0, saved.stderr
    resumed = run_py("-c", SAMPLE, str(data), "load", str(snap))
    assert resumed.returncode == 0, resumed.stderr
    straight, cont = json.loads(saved.stdout), json.loads(resumed.stdout)
    for k in (7, 39):
        assert cont[str(k)] == straight[k : k + 60], k


GLOO_RANKS = """
import json, sys, torch, torch.distributed as dist
from cleangpt.loading import TokenDataset, ShardedBatchSampler
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
ds = TokenDataset(sys.argv[1], "train", block_size=16)
s = ShardedBatchSampler(ds, 6, rank=rank, world=world, seed=5)
it = iter(s)
mine = [next(it).tolist() for _ in range(30)]   # 30 * 6 * 2 = 360 items: past the 311-item epoch
everyone = [None] * world
dist.all_gather_object(everyone, mine)
state = [s.state_dict() if rank == 0 else None]
dist.broadcast_object_list(state, src=0)        # every rank restores from rank 0's snapshot
fresh = ShardedBatchSampler(ds, 6, rank=rank, world=world, seed=0)
fresh.load_state_dict(state[0])
cont = [next(iter(fresh)).tolist() for _ in range(5)]
if rank == 0: print(json.dumps({"batches": everyone, "progress": s.progress(), "shift0": s.epoch_plan(0)[0]}))
print(json.dumps({"rank": rank, "next": cont, "expect": [next(it).tolist() for _ in range(5)]}), file=sys.stderr)
dist.destroy_process_group()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_gloo_ranks_shard_the_stream(tmp_path):
    import subprocess, sys, os
    data = tmp_path / "data"
    write_data(data)
    env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port()), "WORLD_SIZE": "2"}
    procs = [subprocess.Popen([sys.executable, "-c", GLOO_RANKS, str(data)], env={**env, "RANK": str(r)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    result = json.loads(outs[0][0])
    r0, r1 = result["batches"]
    assert len(r0) == len(r1) == 30                                     # equal shares
    job = np.concatenate([np.array(b) for pair in zip(r0, r1) for b in pair])   # the order the job uses them
    epoch0 = job[:311]
    assert sorted(epoch0.tolist()) == (result["shift0"] + 16 * np.arange(311)).tolist()   # each window once: disjoint, covering
    assert abs(result["progress"]["epoch"] - 360 / 311) < 1e-12
    for _, err in outs:                                                # restoring rank 0's snapshot continues each rank
        line = json.loads(err.strip().splitlines()[-1])
        assert line["next"] == line["expect"], line["rank"]


def test_import_is_light():
    res = run_py("-c", "import sys, cleangpt.loading; print('matplotlib' in sys.modules)")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "False"
