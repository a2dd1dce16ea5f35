"03_loading: draw_shift's two steps (uniform phase, then a shift with that phase) vs the old uniform shift."
import sys
from pathlib import Path
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]   # svglib, and the repository's cleangpt
from fractions import Fraction as F
from svglib import *

T, max_shift = 7, 8            # the lesson's example: 100 tokens, T = 7, N = 13
shifts = list(range(max_shift + 1))
phases = list(range(min(T, max_shift + 1)))
old_shift = {s: F(1, len(shifts)) for s in shifts}
old_phase = {p: sum(old_shift[s] for s in shifts if s % T == p) for p in phases}
new_shift = {s: F(1, len(phases)) / len([t for t in shifts if t % T == s % T]) for s in shifts}
new_phase = {p: sum(new_shift[s] for s in shifts if s % T == p) for p in phases}
assert all(v == F(1, 7) for v in new_phase.values()) and old_phase[0] == F(2, 9)

W = 720
b = []
b.append(rich(16, 24, "Drawing an epoch's shift: every phase (shift mod T) equally often", 14, bold=True))
b.append(rich(16, 44, "The lesson's example: 100 tokens, T = 7, N = 13 windows, `max_shift` = 8. Fractions: probability per epoch.",
              12.5, color=GREY_TEXT))
fr = lambda f: f"{f.numerator}/{f.denominator}"
panels = [(16, "old: `rng.integers(0, max_shift + 1)`", "shift first, uniform; its phase follows", old_shift, old_phase, True),
          (372, "`draw_shift`: two steps", "phase first, uniform; then a shift with it", new_shift, new_phase, False)]
for px0, title, sub, ps, pp, up in panels:
    pw = 332
    b.append(rect(px0, 58, pw, 250, "plain", rx=8, sw=1, stroke="#dfe3e7"))
    b.append(rich(px0 + 12, 80, title, 13, bold=True))
    b.append(rich(px0 + 12, 97, sub, 12.5, color=GREY_TEXT))
    # phase row (top)
    yP, yS = 132, 236
    bw, gapP = 32, 7
    xP = px0 + 48 + (pw - 56 - (len(phases) * (bw + gapP) - gapP)) / 2
    pc = {}
    b.append(rich(px0 + 12, yP + 17.5, "phase", 12, color=GREY_TEXT))
    for p in phases:
        X = xP + p * (bw + gapP)
        biased = pp[p] != min(pp.values())
        b.append(rect(X, yP, bw, 26, "op" if biased else "data", rx=3, sw=1.3))
        b.append(rich(X + bw / 2, yP + 17.5, str(p), 13, anchor="middle", mono=True))
        b.append(rich(X + bw / 2, yP + 44, fr(pp[p]), 12.5, anchor="middle", bold=biased,
                      color=ORANGE_DARK if biased else BLUE_DARK))
        pc[p] = X + bw / 2
    # shift row (bottom)
    sw2, gapS = 26, 4
    xS = px0 + 48 + (pw - 56 - (len(shifts) * (sw2 + gapS) - gapS)) / 2
    b.append(rich(px0 + 12, yS + 17.5, "shift", 12, color=GREY_TEXT))
    for s in shifts:
        X = xS + s * (sw2 + gapS)
        b.append(rect(X, yS, sw2, 26, "plain", rx=3, sw=1.1, stroke=GREY))
        b.append(rich(X + sw2 / 2, yS + 17.5, str(s), 13, anchor="middle", mono=True))
        b.append(rich(X + sw2 / 2, yS + 44, fr(ps[s]), 12, anchor="middle", color=GREY_TEXT))
        # edge between phase s % T and shift s
        a = (pc[s % T], yP + 52)
        z = (X + sw2 / 2, yS - 4)
        if up: b.append(arrow(z[0], z[1], a[0], a[1] + 2, "grey", sw=1.1))
        else: b.append(arrow(a[0], a[1], z[0], z[1], "grey", sw=1.1))
b.append(rich(16, 330, "Left: shifts 0 and 7 both cut at phase 0, and 1 and 8 at phase 1, so those two phases are twice as likely.", 12.5, color=GREY_TEXT))
b.append(rich(16, 348, "Right: every phase 1/7, and every shift can still come up. Capping the shift at T − 1 = 6 would even", 12.5, color=GREY_TEXT))
b.append(rich(16, 366, "the phases too, but shifts 7 and 8 would never come up: tokens 98 and 99 would never be a target.", 12.5,
              color=GREY_TEXT))
H = 380
desc = ("Two panels for 100 tokens at T = 7 (max_shift 8). Left, the old rule: each of the 9 shifts has probability "
        "1/9, so phases 0 and 1, reached by shifts 0 and 7 and by 1 and 8, get 2/9 and the other phases 1/9. Right, "
        "draw_shift: each of the 7 phases has probability 1/7, then a shift with that phase is chosen uniformly: shifts "
        "0, 7, 1 and 8 get 1/14 each, shifts 2 to 6 get 1/7.")
open("nbs/images/draw_shift.svg", "w", encoding="utf-8").write(svg(W, H, "draw_shift: a uniform phase, then a shift", desc, b))
