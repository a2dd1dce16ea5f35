"05_model: a pre-LN Block: the residual stream runs straight through, only the branches' inputs are normalised."
import sys
from pathlib import Path
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]   # svglib, and the repository's cleangpt
from svglib import *

W = 720
b = []
b.append(rich(16, 24, "One pre-LN `Block`: the residual stream passes straight through", 14, bold=True))
b.append(rich(16, 44, "Only each branch's input is normalised; each branch's output is added back to the stream.",
              12.5, color=GREY_TEXT))
ys = 236              # the stream
yb = 116              # the branches
bh = 46
def branch(tap, name_ln, name_f, f_lines, plus_x, code, code_y):
    # up from the stream, through norm and sublayer, down into the +
    ln = (tap + 18, yb - bh / 2, 58, bh)
    f = (ln[0] + ln[2] + 18, yb - bh / 2, 142, bh)
    b.append(path(f"M{tap},{ys - 1} L{tap},{yb} L{ln[0] - 2},{yb}", marker="ah-ink"))
    b.append(box(*ln, [f"`{name_ln}`", ("norm", {"size": 12, "color": GREY_TEXT})], "op", size=13))
    b.append(arrow(ln[0] + ln[2] + 1, yb, f[0] - 2, yb))
    b.append(box(*f, f_lines, "op", size=13))
    b.append(path(f"M{f[0] + f[2] + 1},{yb} L{plus_x},{yb} L{plus_x},{ys - 13}", marker="ah-ink"))
    b.append(f'<circle cx="{plus_x}" cy="{ys}" r="11" fill="{ORANGE_FILL}" stroke="{ORANGE}" stroke-width="1.4"/>')
    b.append(rich(plus_x, ys + 5.5, "+", 16, anchor="middle", bold=True, color=ORANGE_DARK))
    b.append(rich(tap + 6, (ys + yb) / 2 + 22, "(B, T, C)", 12, mono=True, color=GREY_TEXT))
    b.append(rich(plus_x - 6, (ys + yb) / 2 + 22, "(B, T, C)", 12, mono=True, color=GREY_TEXT, anchor="end"))
    b.append(rich((tap + plus_x) / 2, code_y, code, 12.5, anchor="middle", mono=True, color=INK))
    return f
tap1, plus1 = 62, 322
tap2, plus2 = 374, 634
branch(tap1, "ln_1", "attn", ["`attn`", ("causal self-attention", {"size": 12})], plus1,
       "x = x + self.attn(self.ln_1(x), ...)", 74)
branch(tap2, "ln_2", "mlp", ["`mlp`", ("GELU or SwiGLU MLP", {"size": 12})], plus2,
       "return x + self.mlp(self.ln_2(x))", 74)
# the stream itself, drawn on top of the branch stubs
segs = [(20, plus1 - 11), (plus1 + 11, plus2 - 11)]
for a, z in segs:
    b.append(line(a, ys, z, ys, color=BLUE, sw=4))
b.append(line(plus2 + 11, ys, W - 8, ys, color=BLUE, sw=4, marker="ah-blue"))
b.append(rich((tap1 + plus1) / 2 + 10, ys - 9, "the residual stream", 12.5, anchor="middle", color=BLUE_DARK))
for t in (tap1, tap2):
    b.append(f'<circle cx="{t}" cy="{ys}" r="3.5" fill="{BLUE}"/>')
b.append(rich(20, ys + 24, "x  (B, T, C)", 13, mono=True, color=BLUE_DARK, bold=True))
b.append(rich((plus1 + tap2) / 2, ys + 24, "x  (B, T, C)", 13, mono=True, color=BLUE_DARK, bold=True, anchor="middle"))
b.append(rich(W - 12, ys + 24, "x  (B, T, C)", 13, mono=True, color=BLUE_DARK, bold=True, anchor="end"))
b.append(rich(W / 2, ys - 8, "", 12))
notes = ["The stream x is never normalised inside a block, so from the embedding to `ln_f` the gradient has a",
         "straight path down it, whatever the depth. Each branch ends in a `c_proj`, initialised at 0.02 / √(2 · n_layer),",
         "so the sum of the 2 · n_layer branches added to the stream does not grow with depth."]
for j, t in enumerate(notes):
    b.append(rich(16, ys + 56 + 17 * j, t, 12.5, color=GREY_TEXT))
H = ys + 56 + 17 * len(notes) + 4
desc = ("A thick horizontal line, the residual stream x of shape (B, T, C), runs from left to right through two plus "
        "signs. Before each plus a branch taps the stream, goes up through a norm (ln_1, then ln_2) and a sublayer "
        "(attn, causal self-attention; then mlp) and comes back down into the plus: x = x + attn(ln_1(x)), then "
        "x + mlp(ln_2(x)). The stream itself is never normalised inside the block.")
open("nbs/images/block_residual.svg", "w", encoding="utf-8").write(svg(W, H, "A pre-LN block and its residual stream", desc, b))
