"03_loading: ShardedBatchSampler's stream of epochs, global micro-batches and rank slices (computed with the real sampler)."
import sys, json, tempfile
from pathlib import Path
import numpy as np
from svglib import *
from cleangpt.loading import TokenDataset, ShardedBatchSampler

tmp = Path(tempfile.mkdtemp())
(tmp / "train.bin").write_bytes(np.arange(104, dtype=np.uint16).tobytes())
(tmp / "meta.json").write_text(json.dumps({"dtype": "uint16", "train_tokens": 104}))
eds = TokenDataset(tmp, "train", block_size=8)
B, world, seed, T, N = 5, 2, 0, 8, eds.num_items
s0 = ShardedBatchSampler(eds, B, rank=0, world=world, seed=seed)
plans = [s0.epoch_plan(e) for e in range(3)]
stream = [(e, i, int(plans[e][1][i])) for e in range(3) for i in range(N)][:30]
per_rank = []
for r in range(world):
    it = iter(ShardedBatchSampler(eds, B, rank=r, world=world, seed=seed))
    per_rank.append([next(it).tolist() for _ in range(3)])
# the picture must agree with the sampler
for k in range(3):
    for r in range(world):
        items = [it for _, _, it in stream[(k * world + r) * B:(k * world + r + 1) * B]]
        epochs = [e for e, _, _ in stream[(k * world + r) * B:(k * world + r + 1) * B]]
        assert per_rank[r][k] == [plans[e][0] + T * it for e, it in zip(epochs, items)]

W = 740
b = []
b.append(rich(16, 24, "`ShardedBatchSampler`: one seeded stream of epochs, sliced by rank", 14,
              bold=True))
b.append(rich(16, 44, "The lesson's `eds`: 104 tokens, T = 8, so N = 12 windows (items); B = 5, world = 2, seed = 0.",
              12.5, color=GREY_TEXT))
cw, eg, x0 = 22, 8, 56
def cx(p):  # stream position -> x
    return x0 + p * cw + (p // N) * eg
RANK_FILL = ["#cfe1f6", "#e6e9ec"]
RANK_STROKE = [BLUE, GREY]
# epoch plan boxes
yp = 62
for e in range(3):
    a = e * N
    z = min(a + N, len(stream)) - 1
    X1, X2 = cx(a), cx(z) + cw - 2
    shift, order = plans[e]
    if e < 2:
        b.append(box(X1, yp, X2 - X1, 42, [f"epoch {e}: `default_rng([{seed}, {e}])`",
                                            f"shift {shift}, then a permutation of 0..11"], "op", size=12))
    else:
        b.append(box(X1, yp, X2 - X1, 42, [f"epoch {e}", f"shift {shift}, …"], "op", size=12))
# the stream
ys = yp + 62
b.append(rich(x0 - 8, ys + 15, "items", 12, anchor="end", color=GREY_TEXT))
for p, (e, i, item) in enumerate(stream):
    k, rest = divmod(p, world * B)
    r = rest // B
    X = cx(p)
    b.append(rect(X, ys, cw - 2, 22, "data", rx=2.5, sw=1, fill=RANK_FILL[r], stroke=RANK_STROKE[r]))
    b.append(rich(X + (cw - 2) / 2, ys + 15.5, str(item), 12, anchor="middle", mono=True))

# brackets: rank slices, then global micro-batches
yr = ys + 30
for k in range(3):
    for r in range(world):
        a = (k * world + r) * B
        X1, X2 = cx(a), cx(a + B - 1) + cw - 2
        b.append(brace(X1 + 1, X2 - 1, yr + 6, up=True, color=RANK_STROKE[r], sw=1.3))
        b.append(rich((X1 + X2) / 2, yr + 21, f"rank {r}", 12, anchor="middle",
                      color=BLUE_DARK if r == 0 else GREY_TEXT))
    X1, X2 = cx(k * world * B), cx(k * world * B + world * B - 1) + cw - 2
    b.append(brace(X1 + 1, X2 - 1, yr + 34, up=True, color=LINE, sw=1.3))
    b.append(rich((X1 + X2) / 2, yr + 50, f"global micro-batch {k}", 12.5, anchor="middle", bold=True))
b.append(rich(x0 - 8, yr + 50, "", 12))
for j, t in enumerate(["A global micro-batch is the next world · B = 10 items of the stream; rank r takes the slice [r·B, (r+1)·B).",
                       "Micro-batch 1 straddles epochs 0 and 1: nothing is dropped or padded.",
                       "The job's position is one number, `consumed`: 30 items after three micro-batches."]):
    b.append(rich(16, yr + 72 + 17 * j, t, 12.5, color=GREY_TEXT))
# per-rank micro-batches as offsets
yt = yr + 138
b.append(rich(16, yt, "What each rank's process gets: token offsets, `shift + T · item`", 13, bold=True))
colx = [112, 322, 532]
for k in range(3):
    b.append(rich(colx[k], yt + 22, f"micro-batch {k}", 12, color=GREY_TEXT))
for r in range(world):
    Y = yt + 32 + r * 30
    b.append(rich(16, Y + 16, f"rank {r}", 12.5, bold=True, color=BLUE_DARK if r == 0 else GREY_TEXT))
    for k in range(3):
        X = colx[k]
        for o in per_rank[r][k]:
            wdt = 34
            b.append(rect(X, Y, wdt, 22, "data", rx=2.5, sw=1, fill=RANK_FILL[r], stroke=RANK_STROKE[r]))
            b.append(rich(X + wdt / 2, Y + 15.5, str(o), 12, anchor="middle", mono=True))
            X += wdt + 4
H = yt + 32 + 2 * 30 + 12
desc = ("The sampler's stream for the lesson's 104-token file (T = 8, 12 items), B = 5, world = 2, seed 0. Epoch 0 "
        "(shift 6) orders the items 9 2 7 4 5 11 0 3 6 10 8 1, epoch 1 (shift 4) 0 7 1 5 9 3 11 4 6 10 8 2, epoch 2 "
        "(shift 7) starts 0 10 2 1 5 7. Each global micro-batch is the next 10 items: rank 0 takes the first 5, rank 1 "
        "the next 5; micro-batch 1 straddles the epoch boundary. Rank 0's offsets: 78 22 62 38 46, 70 14 4 60 12, "
        "52 84 68 20 7; rank 1's: 94 6 30 54 86, 44 76 28 92 36, 87 23 15 47 63.")
open("nbs/images/sampler_shards.svg", "w", encoding="utf-8").write(
    svg(W, H, "How the sampler shards an endless stream of epochs over ranks", desc, b))
