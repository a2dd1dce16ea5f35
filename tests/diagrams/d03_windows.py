"03_loading: the one-token shift between x and y, side-by-side windows of an epoch, and the batch gather."
import sys
from pathlib import Path
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]   # svglib, and the repository's cleangpt
from svglib import *

W = 720
b = []
# ---------------------------------------------------------------- panel A: one window
b.append(rich(16, 24, "One window: `x, y = ds[10]`, T = 8, on the counting file (token i holds the number i)", 14,
              bold=True))
cw, ch = 34, 26
x0 = 96
ys = 70           # stream row
first = 8
def cell_x(pos): return x0 + (pos - first) * cw
# x row above, y row below, the stream in the middle
yx, yy = ys - 36, ys + 36
b.append(rich(x0 - 12, ys + 18, "tokens", 12.5, anchor="end", color=GREY_TEXT))
b.append(rich(x0 - 12, yx + 18, "x", 13, anchor="end", bold=True, color=BLUE_DARK))
b.append(rich(x0 - 12, yy + 18, "y", 13, anchor="end", bold=True, color=BLUE_DARK))
for pos in range(first, 21):
    X = cell_x(pos)
    b.append(rect(X, ys, cw - 4, ch, "plain", rx=3, sw=1, stroke="#c3c9cf"))
    b.append(rich(X + (cw - 4) / 2, ys + 18, str(pos), 13, anchor="middle", mono=True, color=GREY_TEXT))
hl_t = 3
for t in range(8):
    X = cell_x(10 + t)
    past = t <= hl_t
    b.append(rect(X, yx, cw - 4, ch, "data", rx=3, sw=1.1, fill="#cfe1f6" if past else None))
    b.append(rich(X + (cw - 4) / 2, yx + 18, str(10 + t), 13, anchor="middle", mono=True))
    X = cell_x(11 + t)
    tgt = t == hl_t
    b.append(rect(X, yy, cw - 4, ch, "op" if tgt else "data", rx=3, sw=1.6 if tgt else 1.1))
    b.append(rich(X + (cw - 4) / 2, yy + 18, str(11 + t), 13, anchor="middle", mono=True,
                  bold=tgt, color=ORANGE_DARK if tgt else INK))
b.append(rich(cell_x(18) + 8, yx + 18, "`x = tokens[s : s+T]`", 13))
b.append(rich(cell_x(19) + 8, yy + 18, "`y = tokens[s+1 : s+T+1]`", 13))
b.append(rich(x0, yy + ch + 22, f"`y[t]` is the token that follows `x[:t+1]`: `y[{hl_t}]` = 14 follows 10, 11, 12, 13.", 12.5, color=GREY_TEXT))

# ---------------------------------------------------------------- panel B: one epoch of windows
top = 186
b.append(rich(16, top, "One epoch: N windows side by side, all shifted by the epoch's `shift`", 14, bold=True))
b.append(rich(16, top + 19, "n = 1,000 tokens, T = 8: N = ⌊(n − T) / T⌋ = 124 windows, `max_shift` = n − 1 − NT = 7", 12.5, color=GREY_TEXT))
sw_ = 13
yB = top + 58
shift, T, n, N = 4, 8, 1000, 124
segA = list(range(0, 28))
segB = list(range(980, 1000))
gap = 36
xA = 20
xB = xA + len(segA) * sw_ + gap
def px(pos):
    return xA + pos * sw_ if pos <= segA[-1] else xB + (pos - segB[0]) * sw_
# windows (x ranges) as bands above the cells
for i in list(range(0, 3)) + [122, 123]:
    s = shift + i * T
    a, z = s, s + T - 1
    a_vis = max(a, 0) if a <= segA[-1] else max(a, segB[0])
    z_vis = min(z, segA[-1]) if a <= segA[-1] else z
    X1, X2 = px(a_vis), px(z_vis) + sw_
    open_right = z > segA[-1] and a <= segA[-1]
    open_left = a < segB[0] and a > segA[-1]
    b.append(rect(X1 + 1, yB - 24, X2 - X1 - 2, 20, "data", rx=3, sw=1.1,
                  fill="#cfe1f6" if i % 2 == 0 else "#e8f1fb"))
    lab = f"window {i}"
    b.append(rich((X1 + X2) / 2, yB - 10, lab, 12, anchor="middle", color=BLUE_DARK))
    # start tick
    if not open_left:
        b.append(line(X1, yB - 26, X1, yB + 20, color=BLUE, sw=1.2))
        b.append(rich(X1, yB + 34, str(a), 12, anchor="middle", mono=True, color=BLUE_DARK))
# the cells
for pos in segA + segB:
    X = px(pos)
    target = shift + 1 <= pos <= shift + N * T
    b.append(rect(X + 0.5, yB, sw_ - 1, 16, "plain" if target else "note", rx=1.5, sw=0.8,
                  stroke="#9fb8d6" if target else GREY, fill=None if target else "#dde1e5"))
b.append(rich(xA + len(segA) * sw_ + gap / 2, yB + 13, "…", 14, anchor="middle", color=GREY_TEXT))
b.append(rich(px(0), yB + 34, "0", 12, anchor="middle", mono=True, color=GREY_TEXT))
b.append(rich(px(999) + sw_, yB + 34, "999", 12, anchor="end", mono=True, color=GREY_TEXT))
# legend
ly = yB + 56
b.append(rect(22, ly - 11, 14, 12, "note", rx=1.5, sw=0.8, fill="#dde1e5"))
b.append(rich(42, ly, "not a target this epoch (shift = 4): token 0, tokens 1-4, and 997-999 after the last window", 12.5, color=GREY_TEXT))
b.append(rich(22, ly + 18, "Window i starts at shift + iT; every other token is a target exactly once per epoch.", 12.5, color=GREY_TEXT))

# ---------------------------------------------------------------- panel C: the gather
top = ly + 52
b.append(rich(16, top, "A batch: `ds.__getitems__(offsets)` reads a (B, T+1) grid in one fancy index", 14, bold=True))
offs = [548, 44, 556, 644]
gx, gy, gw, gh = 112, top + 38, 34, 22
b.append(rich(gx - 54, gy - 8, "offsets", 12, anchor="middle", color=GREY_TEXT))
for j in range(9):
    b.append(rich(gx + j * gw + gw / 2, gy - 8, f"+{j}", 12, anchor="middle", mono=True, color=GREY_TEXT))
for r, o in enumerate(offs):
    Y = gy + r * gh
    b.append(rect(gx - 80, Y, 52, gh - 3, "op", rx=3, sw=1))
    b.append(rich(gx - 54, Y + 14.5, str(o), 12.5, anchor="middle", mono=True))
    for j in range(9):
        b.append(rect(gx + j * gw + 1, Y, gw - 3, gh - 3, "data", rx=2, sw=0.9))
        b.append(rich(gx + j * gw + gw / 2 - 0.5, Y + 14.5, str(o + j), 12, anchor="middle", mono=True))
# brackets for x and y under the grid
by = gy + 4 * gh + 6
b.append(brace(gx + 2, gx + 8 * gw - 3, by + 7, up=True, color=BLUE, sw=1.4))
b.append(rich(gx + 4 * gw, by + 22, "`x = rows[:, :-1]`  (4, 8)", 12.5, anchor="middle", color=BLUE_DARK))
b.append(brace(gx + gw + 2, gx + 9 * gw - 3, by + 34, up=True, color=BLUE, sw=1.4))
b.append(rich(gx + 5 * gw, by + 49, "`y = rows[:, 1:]`  (4, 8)", 12.5, anchor="middle", color=BLUE_DARK))
tx = gx + 9 * gw + 20
for k, s in enumerate(["the sampler's first micro-batch", "(B = 4, seed 1337): every offset is",
                       "shift + T·item = 4 + 8·item.", "",
                       "grid: `offsets[:, None] + arange(T+1)`", "both halves become int64, which",
                       "`nn.Embedding` and `cross_entropy` take."]):
    b.append(rich(tx, gy + 4 + k * 17, s, 12.5, color=GREY_TEXT))
H = int(by + 62)
desc = ("Three panels. One window: positions 10 to 17 are x and 11 to 18 are y, so y[3] = 14 is the token after "
        "x[:4] = 10..13. One epoch of the 1,000-token counting file with T = 8: 124 windows side by side starting at "
        "shift 4, 12, 20, ... 980, 988; tokens 0 to 4 and 997 to 999 are not targets this epoch (7 = max_shift). A batch: "
        "offsets 548, 44, 556, 644 plus arange(9) give a 4 by 9 grid of positions; x is its first 8 columns and y its last 8.")
open("nbs/images/loading_windows.svg", "w", encoding="utf-8").write(svg(W, H, "Windows, targets and the batch gather", desc, b))
