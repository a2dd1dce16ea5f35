"13_distributed: DDP (full copies, gradients all-reduced) against FSDP2 (shards, all-gather and reduce-scatter)."
import sys
from pathlib import Path
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]   # svglib, and the repository's cleangpt
from svglib import *

W = 740
b = []
b.append(rich(16, 24, "Data parallel, two ways: W = 2 ranks, each on its own shard of every batch", 14, bold=True))
rx = [16, 498]
rw = 226
mid0, mid1 = rx[0] + rw, rx[1]
midc = (mid0 + mid1) / 2
BAR_W = rw - 24
def bars(x, y, rank, sharded):
    "The model state of one rank: params, grads, AdamW moments; full, or one half."
    rows = [("parameters", 14), ("gradients", 14), ("AdamW exp_avg, exp_avg_sq", 24)]
    yy = y
    out = {}
    for name, h in rows:
        b.append(rich(x + 12, yy + 12, name, 12, color=GREY_TEXT))
        yy += 17
        bx = x + 12
        if not sharded:
            b.append(rect(bx, yy, BAR_W, h, "data", rx=2, sw=1, fill="#b9d3f1", stroke=BLUE))
        else:
            half = BAR_W / 2
            mine = bx if rank == 0 else bx + half
            other = bx + half if rank == 0 else bx
            b.append(rect(other, yy, half, h, "plain", rx=2, sw=0.9, stroke="#c3c9cf", dash=True))
            b.append(rect(mine, yy, half, h, "data", rx=2, sw=1, fill="#b9d3f1", stroke=BLUE))
            b.append(rich(other + half / 2, yy + h / 2 + 4, f"rank {1 - rank}'s", 12, anchor="middle", color=GREY_TEXT))
        out[name] = yy + h / 2
        yy += h + 6
    return out, yy

# ------------------------------------------------------------------ DDP
y = 44
b.append(rect(8, y, W - 16, 232, "plain", rx=10, sw=1, stroke="#dfe3e7"))
b.append(rich(20, y + 22, "DDP: every rank holds the whole model; the gradients are averaged", 13.5, bold=True))
yr = y + 36
for r in range(2):
    b.append(rect(rx[r], yr, rw, 150, "data", rx=7, sw=1.2, fill="#f5f9fe"))
    b.append(rich(rx[r] + 12, yr + 18, f"rank {r}", 13, bold=True, color=BLUE_DARK))
    b.append(rich(rx[r] + rw - 12, yr + 18, "16 bytes/param", 12, anchor="end", color=GREY_TEXT))
    pos, _ = bars(rx[r], yr + 26, r, False)
gy = pos["gradients"]
b.append(line(mid0 + 4, gy, mid1 - 4, gy, color=ORANGE, sw=2.2, marker="ah-orange", marker_start="ah-orange"))
b.append(box(midc - 98, gy - 66, 196, 50, ["**all-reduce** the gradients", ("sum, then ÷ world", {"size": 12})], "op",
             size=12.5))
b.append(rich(midc, gy + 20, "during backward, in buckets;", 12, anchor="middle", color=GREY_TEXT))
b.append(rich(midc, gy + 36, "`no_sync()` skips it on the", 12, anchor="middle", color=GREY_TEXT))
b.append(rich(midc, gy + 52, "first g − 1 micro-steps", 12, anchor="middle", color=GREY_TEXT))
b.append(rich(20, y + 220, "Each rank then takes the same AdamW step, so the copies stay equal; a 1.5B model needs "
              "24 GB on every GPU.", 12.5, color=GREY_TEXT))

# ------------------------------------------------------------------ FSDP2
y = 290
hF = 300
b.append(rect(8, y, W - 16, hF, "plain", rx=10, sw=1, stroke="#dfe3e7"))
b.append(rich(20, y + 22, "FSDP2 (`fully_shard` per block): each rank holds 1/W of everything", 13.5, bold=True))
yr = y + 36
for r in range(2):
    b.append(rect(rx[r], yr, rw, 204, "data", rx=7, sw=1.2, fill="#f5f9fe"))
    b.append(rich(rx[r] + 12, yr + 18, f"rank {r}", 13, bold=True, color=BLUE_DARK))
    b.append(rich(rx[r] + rw - 12, yr + 18, "16 / W bytes/param", 12, anchor="end", color=GREY_TEXT))
    pos, yy = bars(rx[r], yr + 26, r, True)
    # the temporary full copy of one block
    b.append(rich(rx[r] + 12, yy + 12, "while a block runs:", 12, color=GREY_TEXT))
    b.append(rect(rx[r] + 12, yy + 18, BAR_W, 14, "op", rx=2, sw=1, dash=True))
    b.append(rich(rx[r] + 12 + BAR_W / 2, yy + 29, "its full parameters, then freed", 12, anchor="middle", color=ORANGE_DARK))
# the collectives, in order, for one block
seq = ["**all-gather** the block's params", "forward, then free the copy", "**all-gather** again for backward",
       "**reduce-scatter** the gradients", "AdamW steps the local slice"]
sy = yr + 2
for j, s in enumerate(seq):
    coll = "**" in s
    b.append(box(midc - 98, sy, 196, 30, [s], "op" if coll else "plain", size=12))
    if j < len(seq) - 1: b.append(arrow(midc, sy + 31, midc, sy + 39))
    if coll:
        b.append(line(mid0 + 3, sy + 15, midc - 100, sy + 15, color=ORANGE, sw=1.6, marker_start="ah-orange", marker="ah-orange"))
        b.append(line(midc + 100, sy + 15, mid1 - 3, sy + 15, color=ORANGE, sw=1.6, marker="ah-orange", marker_start="ah-orange"))
    sy += 40
b.append(rich(20, y + hF - 30, "The model state per rank shrinks by W, for more communication. Lesson 13's check: "
              "rank 0 holds 177 of 321", 12.5, color=GREY_TEXT))
b.append(rich(20, y + hF - 13, "parameters. A snapshot gathers the whole state on rank 0 (`full_state_dicts`): "
              "a plain file.", 12.5, color=GREY_TEXT))
H = y + hF + 8
desc = ("Two panels with two ranks each. DDP: each rank holds full parameters, gradients and AdamW moments (16 bytes "
        "per parameter); the gradients are all-reduced (sum, then divided by the world size) during backward, skipped "
        "by no_sync on the first g - 1 micro-steps, and each rank takes the same AdamW step. FSDP2: each rank holds one "
        "half of the parameters, gradients and moments; for each block the parameters are all-gathered for forward and "
        "freed, all-gathered again for backward, the gradients are reduce-scattered, and AdamW steps the local slice.")
open("nbs/images/ddp_fsdp.svg", "w", encoding="utf-8").write(svg(W, H, "DDP against FSDP2", desc, b))
