"05_model: the GPT forward pass with shapes on every arrow, and weight tying."
import sys
from pathlib import Path
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]   # svglib, and the repository's cleangpt
from svglib import *
import torch
from cleangpt.model import GPT, GPTConfig

torch.manual_seed(0)
tiny = dict(block_size=32, vocab_size=65, n_layer=2, n_head=4, n_embd=32)
m = GPT(GPTConfig(**tiny))
logits, _ = m(torch.randint(0, 65, (2, 16)))
assert tuple(logits.shape) == (2, 16, 65) and m.num_params() == 28576
assert m.lm_head.weight is m.transformer.wte.weight

W = 720
b = []
b.append(rich(16, 24, "The GPT forward pass: `logits, loss = model(idx, targets)`", 14, bold=True))
b.append(rich(16, 44, "C = n_embd. In grey: lesson 05's `tiny` config (vocab_size 65, n_layer 2, n_embd 32) on idx of shape (2, 16).",
              12.5, color=GREY_TEXT))
cx, bw = 250, 250
X0 = cx - bw / 2
def shape_on(y1, y2, s, ex=None, x=cx):
    b.append(arrow(x, y1 + 1, x, y2 - 1))
    b.append(rich(x + 10, (y1 + y2) / 2 + (0 if ex else 4.5), s, 12.5, mono=True))
    if ex: b.append(rich(x + 10, (y1 + y2) / 2 + 14, ex, 12, mono=True, color=GREY_TEXT))
y = 62
b.append(box(cx - 60, y, 120, 30, ["`idx`"], "data", size=14))
b.append(rich(cx + 70, y + 14, "(B, T) token ids", 12.5, mono=False))
b.append(rich(cx + 70, y + 29, "(2, 16)", 12, mono=True, color=GREY_TEXT))
y_idx = y + 30
# two embeddings
ye = y_idx + 44
wte = (cx - 212, ye, 192, 46)
wpe = (cx + 20, ye, 192, 46)
b.append(path(f"M{cx - 20},{y_idx} L{cx - 20},{y_idx + 16} L{wte[0] + wte[2] / 2},{y_idx + 16} L{wte[0] + wte[2] / 2},{ye - 2}",
              marker="ah-ink"))
b.append(box(*wte, ["`transformer.wte`", ("Embedding(vocab_size, C)", {"size": 12})], "op", size=12.5))
b.append(rich(wpe[0] + wpe[2] / 2, ye - 8, "`positions = arange(T)`", 12, anchor="middle", color=GREY_TEXT))
b.append(box(*wpe, ["`transformer.wpe`", ("Embedding(block_size, C)", {"size": 12})], "op", size=12.5))
yplus = ye + 46 + 44
pc = (cx, yplus + 11)
b.append(f'<circle cx="{pc[0]}" cy="{pc[1]}" r="11" fill="{ORANGE_FILL}" stroke="{ORANGE}" stroke-width="1.4"/>')
b.append(rich(pc[0], pc[1] + 5, "+", 16, anchor="middle", bold=True, color=ORANGE_DARK))
wx, px_ = wte[0] + wte[2] / 2, wpe[0] + wpe[2] / 2
b.append(arrow_path(f"M{wx},{ye + 47} L{wx},{pc[1]} L{pc[0] - 13},{pc[1]}"))
b.append(arrow_path(f"M{px_},{ye + 47} L{px_},{pc[1]} L{pc[0] + 13},{pc[1]}"))
b.append(rich(wx + 8, ye + 70, "(B, T, C)", 12.5, mono=True))
b.append(rich(wx + 8, ye + 84, "(2, 16, 32)", 12, mono=True, color=GREY_TEXT))
b.append(rich(px_ + 8, ye + 70, "(T, C)", 12.5, mono=True))
b.append(rich(px_ + 8, ye + 84, "(16, 32), broadcast", 12, mono=True, color=GREY_TEXT))
y = yplus + 22
steps = [("op", ["`drop`: Dropout"], 28), ("blocks", None, 58), ("op", ["`ln_f`: LayerNorm (or RMSNorm)"], 28),
         ("op", ["`lm_head`: Linear(C, vocab_size, bias=False)"], 28), ("data", ["`logits`"], 30),
         ("op", ["`F.cross_entropy(..., ignore_index=-1)`"], 28), ("data", ["`loss`"], 30)]
shapes = [("(B, T, C)", "(2, 16, 32)"), ("(B, T, C)", None), ("(B, T, C)", None), ("(B, T, C)", None),
          ("(B, T, vocab_size)", "(2, 16, 65)"), None, ("a scalar", None)]
pos = {}
for (kind, lines, h), sh in zip(steps, shapes):
    y2 = y + (40 if (sh and sh[1]) or kind == "blocks" else 30)
    if sh: shape_on(y, y2, sh[0], sh[1])
    else: b.append(arrow(cx, y + 1, cx, y2 - 1))
    y = y2
    if kind == "blocks":
        for d in (8, 4):
            b.append(rect(X0 + d, y - d, bw, h, "op", rx=6, sw=1.1, fill="#fbe4c8"))
        b.append(box(X0, y, bw, h, ["`n_layer` × `Block`", ("pre-LN attention and MLP,", {"size": 12}),
                                     ("each added to the stream x", {"size": 12})], "op", size=13))
        b.append(rich(X0 + bw + 16, y + h / 2 - 2, "inside one: see “The block”", 12, color=GREY_TEXT))
        b.append(rich(X0 + bw + 16, y + h / 2 + 14, "rope: `rope_angles(positions)` go", 12, color=GREY_TEXT))
        b.append(rich(X0 + bw + 16, y + h / 2 + 30, "to every block instead of `wpe`", 12, color=GREY_TEXT))
    elif kind == "data":
        b.append(box(cx - 60, y, 120, h, lines, "data", size=14))
    else:
        b.append(box(X0 - 20, y, bw + 40, h, lines, "op", size=12.5))
    pos[lines[0] if lines else kind] = (y, h)
    y += h
# targets into cross_entropy
yce, hce = pos["`F.cross_entropy(..., ignore_index=-1)`"]
tx = X0 + bw + 20 + 150
b.append(box(tx - 60, yce - 46, 120, 30, ["`targets`"], "data", size=13.5))
b.append(rich(tx + 66, yce - 34, "(B, T)", 12.5, mono=True))
b.append(rich(tx + 66, yce - 19, "−1: no loss", 12, color=GREY_TEXT))
b.append(arrow_path(f"M{tx},{yce - 15} L{tx},{yce + hce / 2} L{X0 + bw + 22},{yce + hce / 2}"))
# weight tying: wte <-> lm_head
ylm, hlm = pos["`lm_head`: Linear(C, vocab_size, bias=False)"]
tie_x = 14
b.append(path(f"M{wte[0] - 1},{ye + 23} L{tie_x},{ye + 23} L{tie_x},{ylm + hlm / 2} L{X0 - 22},{ylm + hlm / 2}",
              color=BLUE, sw=1.8, dash=True, marker="ah-blue", marker_start="ah-blue"))
ty = (ye + 23 + ylm + hlm / 2) / 2
b.append(f'<g transform="rotate(-90 {tie_x + 14} {ty})">'
         + rich(tie_x + 14, ty, "weight tying: one (vocab_size, C) matrix", 12.5, anchor="middle", color=BLUE_DARK)
         + "</g>")
b.append(rich(X0 - 18, ylm + hlm + 20, "", 12))
yl = ylm + hlm + 14
b.append(rich(X0 + bw + 32, yl - 36, "`lm_head.weight is wte.weight`:", 12, color=BLUE_DARK))
b.append(rich(X0 + bw + 32, yl - 20, "saves vocab_size · C parameters", 12, color=BLUE_DARK))
b.append(rich(X0 + bw + 32, yl - 4, "(38.6M for GPT-2 small)", 12, color=BLUE_DARK))
H = int(y + 14)
desc = ("Vertical flow: idx (B, T) goes into transformer.wte, Embedding(vocab_size, C), giving (B, T, C); positions "
        "arange(T) go into transformer.wpe, Embedding(block_size, C), giving (T, C), broadcast and added. Then drop, "
        "n_layer Blocks, ln_f, each keeping (B, T, C), and lm_head, Linear(C, vocab_size, bias=False), giving logits "
        "(B, T, vocab_size); F.cross_entropy against targets (B, T), ignoring -1, gives a scalar loss. A dashed line "
        "joins wte and lm_head: they are one tied matrix. Grey example shapes for the tiny config: idx (2, 16), "
        "logits (2, 16, 65). With rope, rope_angles go to every block instead of wpe.")
open("nbs/images/gpt_forward.svg", "w", encoding="utf-8").write(svg(W, H, "The GPT forward pass with shapes", desc, b))
