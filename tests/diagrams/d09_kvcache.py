"06_generate: the KV cache filling: prefill, then one new token per step."
import sys
from pathlib import Path
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]   # svglib, and the repository's cleangpt
import torch
from svglib import *

prompt = torch.randint(0, 256, (2, 5), generator=torch.Generator().manual_seed(0))[0].tolist()
new = [115, 215, 60]          # lesson 06's first look: greedy continuation of that prompt (row 0)
assert prompt == [172, 47, 117, 192, 67]

W = 740
b = []
b.append(rich(16, 24, "The KV cache: a prefill of the prompt, then one new token per step", 14, bold=True))
b.append(rich(16, 44, "The prompt of \u201cA first look\u201d below, row 0: 172 47 117 192 67, decoded greedily. One layer, one head shown.", 12.5, color=GREY_TEXT))
cw, rh = 36, 22
gx = 96
ncol = 10
steps = [("prefill", "`logits, _ = model(idx, cache=cache)`: 5 new positions, causal among themselves", 0, 5, new[0]),
         ("step 1", "`model(new[:, None], cache=cache)`: 1 new position, it attends to every stored key", 5, 1, new[1]),
         ("step 2", "the same for the next token", 6, 1, new[2])]
lg = 62
b.append(rect(16, lg - 11, 26, 14, "data", rx=2, sw=1.6, fill="#b9d3f1", stroke=BLUE_DARK))
b.append(rich(48, lg, "written by this forward", 12, color=GREY_TEXT))
b.append(rect(196, lg - 11, 26, 14, "data", rx=2, sw=1))
b.append(rich(228, lg, "stored earlier", 12, color=GREY_TEXT))
b.append(rect(330, lg - 11, 26, 14, "plain", rx=2, sw=0.8, stroke="#c3c9cf", dash=True))
b.append(rich(362, lg, "still empty", 12, color=GREY_TEXT))
b.append(rect(452, lg - 11, 26, 14, "op", rx=2, sw=1.2))
b.append(rich(484, lg, "query computed", 12, color=GREY_TEXT))
y = 82
toks = prompt + new
for name, title, start, n, out in steps:
    b.append(rich(16, y + 14, name, 13, bold=True, color=ORANGE_DARK))
    b.append(rich(gx, y + 14, title, 12.5))
    y0 = y + 26
    labels = ["token", "q", "K", "V"]
    for r, lab in enumerate(labels):
        b.append(rich(gx - 10, y0 + r * rh + 15, lab, 12.5, anchor="end", mono=(r > 0),
                      color=GREY_TEXT if r == 0 else INK, bold=(r > 0)))
    for c in range(ncol):
        X = gx + c * cw
        fed = start <= c < start + n
        stored_before = c < start
        # token row: the ids fed to this forward; earlier ones faded
        if c < start + n:
            b.append(rich(X + cw / 2, y0 + 15, str(toks[c]), 12, anchor="middle", mono=True,
                          color=INK if fed else "#aab1b8", bold=fed))
        # q row: only the positions fed now
        if fed:
            b.append(rect(X + 2, y0 + rh + 2, cw - 4, rh - 4, "op", rx=2, sw=1.2))
            b.append(rich(X + cw / 2, y0 + rh + 15, f"q{c}", 12, anchor="middle", mono=True, color=ORANGE_DARK))
        else:
            b.append(rect(X + 2, y0 + rh + 2, cw - 4, rh - 4, "plain", rx=2, sw=0.8, stroke="#e3e6e9", dash=True))
        for r, kv in ((2, "k"), (3, "v")):
            Y = y0 + r * rh
            if fed:
                b.append(rect(X + 2, Y + 2, cw - 4, rh - 4, "data", rx=2, sw=1.6, fill="#b9d3f1", stroke=BLUE_DARK))
                b.append(rich(X + cw / 2, Y + 15, f"{kv}{c}", 12, anchor="middle", mono=True, bold=True))
            elif stored_before:
                b.append(rect(X + 2, Y + 2, cw - 4, rh - 4, "data", rx=2, sw=1))
                b.append(rich(X + cw / 2, Y + 15, f"{kv}{c}", 12, anchor="middle", mono=True, color=BLUE_DARK))
            else:
                b.append(rect(X + 2, Y + 2, cw - 4, rh - 4, "plain", rx=2, sw=0.8, stroke="#c3c9cf", dash=True))
    b.append(rich(gx + ncol * cw + 4, y0 + 2 * rh + 15, "…", 13, color=GREY_TEXT))
    b.append(rich(gx + ncol * cw + 4, y0 + 3 * rh + 15, "…", 13, color=GREY_TEXT))
    # what attention reads: keys 0 .. start+n-1
    end = start + n
    bx1, bx2 = gx + 2, gx + end * cw - 2
    b.append(brace(bx1, bx2, y0 + 4 * rh + 5, up=True, color=BLUE, sw=1.3))
    b.append(rich((bx1 + bx2) / 2, y0 + 4 * rh + 19, f"read by attention: positions 0-{end - 1}", 12, anchor="middle",
                  color=BLUE_DARK))
    # right: the counter and the sampled token
    rx = gx + ncol * cw + 28
    b.append(rich(rx, y0 + rh + 15, f"`cache.pos`: {start} → {end}", 12.5))
    b.append(rich(rx, y0 + 2 * rh + 15, f"`logits[:, -1]` → next token {out}", 12.5))
    b.append(rich(rx, y0 + 3 * rh + 15, f"computed: {n} q, {n} k, {n} v", 12.5, color=GREY_TEXT))
    y = y0 + 4 * rh + 34
notes = ["The buffers `cache.k` and `cache.v` are (n_layer, B, n_kv_head, max_len, head_dim); here",
         "max_len = min(block_size, T + max_new_tokens) = min(256, 5 + 12) = 17. `update` writes the new k and v",
         "at positions pos … pos+T−1 and returns everything stored so far. Without a cache, step t recomputes q, k",
         "and v for all t positions. A full cache is `reset()` and refilled from the last block_size tokens."]
for j, t in enumerate(notes):
    b.append(rich(16, y + 4 + 17 * j, t, 12.5, color=GREY_TEXT))
H = int(y + 4 + 17 * len(notes))
desc = ("Three rows over ten cache positions. Prefill: the five prompt tokens 172 47 117 192 67 at positions 0-4 get "
        "queries q0-q4 and write k0-k4 and v0-v4, attending causally among themselves; cache.pos goes 0 to 5 and the "
        "next token is 115. Step 1: only token 115 at position 5 is fed, one query q5, k5 and v5 are written, and q5 "
        "reads keys 0-5; pos 5 to 6, next token 215. Step 2: token 215 at position 6, q6, k6, v6; pos 6 to 7, next "
        "token 60. The buffers have shape (n_layer, B, n_kv_head, max_len, head_dim).")
open("nbs/images/kv_cache.svg", "w", encoding="utf-8").write(svg(W, H, "The KV cache filling step by step", desc, b))
