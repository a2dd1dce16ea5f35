"04_attention: multi-head causal attention with shapes, and the T x T scores/mask/weights of the lesson's one-head example."
import sys, math
import torch
from svglib import *
from cleangpt.core import seed_everything
from cleangpt.attention import attention_weights, causal_mask

seed_everything(0)
q, k, v = torch.randn(3, 4, 8).unbind(0)          # the lesson's cell: four positions, eight features
scores = (q @ k.T / math.sqrt(8)).tolist()
mask = causal_mask(4).tolist()
weights = attention_weights(q, k, causal_mask(4)).tolist()

W = 740
b = []
b.append(rich(16, 24, "Causal self-attention, shape by shape: `softmax(Q Kᵀ / √d) V`, d = head_dim = C / n_head", 14,
              bold=True))
b.append(rich(16, 44, "Lesson 04's names. In grey: `MultiHeadAttention(32, 4)` on x of shape (2, 5, 32).", 12.5,
              color=GREY_TEXT))
lx, lw = 16, 290
cx = lx + lw / 2
sx = lx + lw + 18
y = 60
def right(y, h, main, sub=None, note=False):
    if note:
        b.append(rich(sx, y + h / 2 + 4.5, main, 12.5, color=GREY_TEXT))
        return
    b.append(rich(sx, y + h / 2 - (1 if sub else -4.5), main, 13, mono=True))
    if sub: b.append(rich(sx, y + h / 2 + 15, sub, 12, mono=True, color=GREY_TEXT))
def down(y, x=cx):
    b.append(arrow(x, y + 1, x, y + 13)); return y + 14
steps = [
    ("data", "x", "(B, T, C)", "(2, 5, 32)"),
    ("op", "`qkv` Linear (C → 3C), then `split_heads`", "one fused matmul; heads move before T", None),
    ("qkv", None, "(B, n_head, T, head_dim)", "(2, 4, 5, 8)"),
    ("op", "`q @ k.transpose(-2, -1)`", "score of query i against key j", None),
    ("data", "scores", "(B, n_head, T, T)", "(2, 4, 5, 5)"),
    ("op", "`/ math.sqrt(d)`", "keeps their spread near 1", None),
    ("op", "`masked_fill(~mask, -inf)`", "`mask = causal_mask(T)`: True where j ≤ i", None),
    ("op", "`softmax(dim=-1)`", "over the keys j of each row", None),
    ("data", "weights", "(B, n_head, T, T)", "each row sums to 1"),
    ("op", "`weights @ v`", "", None),
    ("data", "y", "(B, n_head, T, head_dim)", "(2, 4, 5, 8)"),
    ("op", "`merge_heads`, then `proj` Linear (C → C)", "heads side by side again", None),
    ("data", "out", "(B, T, C)", "(2, 5, 32)"),
]
qkv_x = {}
at_y = None
qw = (lw - 20 - 16) / 3
inner = False          # between the q/k/v row and `weights @ v`: the chain sits under q and k, v runs beside it
for i, (kind, label, r1, r2) in enumerate(steps):
    ccx = lx + 10 + qw + 4 if inner else cx
    if i and steps[i - 1][0] == "qkv":
        for n in "qk": b.append(arrow(qkv_x[n], y + 1, qkv_x[n], y + 13))
        y += 14
    elif i: y = down(y, ccx if not (label == "`weights @ v`") else lx + 10 + qw + 4)
    if kind == "data":
        h = 30
        dw = 2 * qw + 8 - 40 if inner else lw - 140
        b.append(box(ccx - dw / 2, y, dw, h, [label], "data", size=13.5))
        right(y, h, r1, r2)
    elif kind == "op":
        h = 26
        if label == "`weights @ v`": inner = False
        ow = 2 * qw + 8 if inner else lw - 20
        ox = lx + 10
        b.append(box(ox, y, ow, h, [label], "op", size=12.5))
        if r1: right(y, h, r1, note=True)
        if label == "`weights @ v`": at_y = y
    else:
        h = 30
        for j, n in enumerate("qkv"):
            X = lx + 10 + j * (qw + 8)
            b.append(box(X, y, qw, h, [f"`{n}`"], "data", size=14))
            qkv_x[n] = X + qw / 2
        right(y, h, r1, r2)
        qkv_bottom = y + h
        inner = True
    y += h
# v bypasses the scores and joins at `weights @ v`; q and k both feed q @ k^T (the centre arrow is k's)
b.append(arrow_path(f"M{qkv_x['v']:.1f},{qkv_bottom + 1} L{qkv_x['v']:.1f},{at_y - 1}", "blue"))
b.append(rich(qkv_x['v'] + 6, (qkv_bottom + at_y) / 2 + 4, "v", 12.5, color=BLUE_DARK, mono=True))
y_pipe = y
# ----------------------------------------------------------------- the T x T grids of the one-head example
gy = y_pipe + 44
b.append(rich(16, gy - 14, "The lesson's one head, T = 4 positions and d = 8 features: row i is query i, column j is key j", 13,
              bold=True))
cw, chh = 44, 22
gxs = [40, 290, 540]
titles = ["`mask = causal_mask(4)`", "scores / √8, after `masked_fill`", "weights = `softmax(dim=-1)`"]
kinds = ["mask", "masked", "weights"]
top = gy + 16
for g, (gx, title, kind) in enumerate(zip(gxs, titles, kinds)):
    b.append(rich(gx + 2 * cw, top - 2, title, 12.5, anchor="middle", bold=True))
    for i in range(4):
        for j in range(4):
            X, Y = gx + j * cw, top + 6 + i * chh
            hidden = j > i
            if kind == "mask":
                fill, stroke, t, col = ((BLUE_FILL, BLUE, "True", BLUE_DARK) if not hidden else
                                        ("#ffffff", "#c3c9cf", "False", GREY_TEXT))
            elif kind == "masked":
                fill, stroke, t, col = ((BLUE_FILL, BLUE, f"{scores[i][j]:.2f}", INK) if not hidden else
                                        ("#e6e9ec", GREY, "−∞", GREY_TEXT))
            else:
                fill, stroke, t, col = ((BLUE_FILL, BLUE, f"{weights[i][j]:.2f}", INK) if not hidden else
                                        ("#ffffff", "#c3c9cf", "0", GREY_TEXT))
            b.append(rect(X + 1, Y + 1, cw - 2, chh - 2, "data", rx=2, sw=0.9, fill=fill, stroke=stroke))
            b.append(rich(X + cw / 2, Y + 15, t, 12, anchor="middle", mono=True, color=col))
    for i in range(4):
        b.append(rich(gx - 6, top + 6 + i * chh + 15, str(i), 12, anchor="end", mono=True, color=GREY_TEXT))
    for j in range(4):
        b.append(rich(gx + j * cw + cw / 2, top + 6 + 4 * chh + 15, str(j), 12, anchor="middle", mono=True,
                      color=GREY_TEXT))
    if g < 2:
        mid = top + 6 + 2 * chh
        a1, a2 = gx + 4 * cw + 10, gxs[g + 1] - 16
        b.append(arrow(a1, mid, a2, mid, "orange", sw=1.6))
yb = top + 6 + 4 * chh + 40
for j, t in enumerate(["`masked_fill` sets the scores where the mask is False to −∞, and `softmax` turns −∞ into a weight of exactly 0.",
                       "Row 0 can only look at itself; row 3 spreads its weight over all four positions. The same holds",
                       "in every (batch, head) slice of the (B, n_head, T, T) scores."]):
    b.append(rich(16, yb + 17 * j, t, 12.5, color=GREY_TEXT))
yb += 17 * 2
H = int(yb + 18)
desc = ("Top, the pipeline with shapes: x (B, T, C) goes through the fused qkv Linear and split_heads into q, k and v, "
        "each (B, n_head, T, head_dim); q @ k.transpose(-2, -1) gives scores (B, n_head, T, T), which are divided by "
        "sqrt(d), masked_fill(~mask, -inf) with mask = causal_mask(T), and softmax over the last dimension gives the "
        "weights; weights @ v gives (B, n_head, T, head_dim), and merge_heads plus proj give (B, T, C). Bottom, the "
        "lesson's one-head example with T = 4: the scaled scores, causal_mask(4) (True on and below the diagonal), the "
        "scores with minus infinity above the diagonal, and the weights: row 0 is 1, 0, 0, 0 and row 3 is "
        "0.20, 0.62, 0.10, 0.07.")
open("nbs/images/attention.svg", "w", encoding="utf-8").write(svg(W, H, "Causal self-attention, shape by shape", desc, b))
