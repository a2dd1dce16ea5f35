"08_optim: the LR schedule shapes, computed with the lesson's own Schedule, labelled with the trainer's option names."
import sys
from pathlib import Path
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]   # svglib, and the repository's cleangpt
from svglib import *
from cleangpt.optim import Schedule

peak, final, total, decay_frac = 1e-3, 1e-4, 5000, 0.2
warmup = 500            # drawn at 10% of the run so that it can be seen; the lesson's recipe warms up for 100 steps
steps_shown = 5600
sched = {k: Schedule(kind=k, peak=peak, final=final, warmup=warmup, total=total, decay_frac=decay_frac)
         for k in ("cosine", "linear", "wsd", "constant")}
assert abs(sched["cosine"](0) - peak / warmup) < 1e-15 and sched["cosine"](total) == final

W = 740
b = []
b.append(rich(16, 24, "Learning-rate schedules: warmup, then a decay from `lr` to `min_lr` at `max_steps`", 14, bold=True))
b.append(rich(16, 44, "Computed with lesson 08's `Schedule`: lr 1e-3, min_lr 1e-4, max_steps 5,000, decay_frac 0.2.", 12.5, color=GREY_TEXT))

def plot(x0, y0, w, h, kind, big):
    s = sched[kind]
    X = lambda t: x0 + t / steps_shown * w
    Y = lambda v: y0 + h - v / (1.12 * peak) * h
    # axes
    b.append(line(x0, y0 + h, x0 + w + 6, y0 + h, color=GREY, sw=1, marker="ah-grey"))
    b.append(line(x0, y0 + h, x0, y0 - 8, color=GREY, sw=1, marker="ah-grey"))
    # guides
    for v in (peak, final):
        b.append(line(x0, Y(v), x0 + w, Y(v), color="#c3c9cf", sw=1, dash=True))
    for t in (warmup, total):
        b.append(line(X(t), y0 + h, X(t), Y(peak) - 4, color="#c3c9cf", sw=1, dash=True))
    pts = " ".join(f"{X(t):.1f},{Y(s(t)):.1f}" for t in range(0, steps_shown + 1, 10))
    b.append(f'<polyline points="{pts}" fill="none" stroke="{BLUE}" stroke-width="{2.4 if big else 2}" stroke-linejoin="round"/>')
    if kind == "wsd":
        start = total - int(decay_frac * total)
        b.append(line(X(start), y0 + h, X(start), Y(peak) - 4, color=ORANGE, sw=1.2, dash=True))
    return X, Y

# ---------------------------------------------------------------- the big cosine panel
x0, y0, w, h = 80, 96, 320, 230
b.append(rich(x0, y0 - 20, "cosine (the default)", 13, bold=True))
X, Y = plot(x0, y0, w, h, "cosine", True)
b.append(rich(x0 - 8, Y(peak) + 4, "`lr`", 12.5, anchor="end"))
b.append(rich(x0 - 8, Y(final) + 4, "`min_lr`", 12.5, anchor="end"))
b.append(rich(x0 - 8, y0 + h + 4, "0", 12, anchor="end", color=GREY_TEXT))
b.append(rich(X(warmup), y0 + h + 18, "`warmup_steps`", 12.5, anchor="middle"))
b.append(rich(X(total), y0 + h + 18, "`max_steps`", 12.5, anchor="middle"))
b.append(rich(x0 + w + 8, y0 + h + 4, "step", 12, color=GREY_TEXT))
# annotations
b.append(line(X(0) + 3, Y(peak / warmup) - 2, X(0) + 40, Y(0.3 * peak) - 4, color=GREY, sw=1))
b.append(rich(X(0) + 43, Y(0.3 * peak), "step 0 runs at", 12, color=GREY_TEXT))
b.append(rich(X(0) + 43, Y(0.3 * peak) + 15, "lr / warmup_steps, not 0", 12, color=GREY_TEXT))
mid = (warmup + total) / 2
b.append(f'<circle cx="{X(mid):.1f}" cy="{Y(sched["cosine"](mid)):.1f}" r="3.5" fill="{ORANGE}"/>')
b.append(rich(X(mid) + 8, Y(sched["cosine"](mid)) - 8, "halfway: (lr + min_lr) / 2", 12, color=ORANGE_DARK))
b.append(rich(x0 - 40, y0 + h + 44, "Half a cosine from lr down to min_lr between warmup_steps and", 12.5, color=GREY_TEXT))
b.append(rich(x0 - 40, y0 + h + 61, "max_steps; after max_steps every schedule stays at its final value.", 12.5, color=GREY_TEXT))
b.append(rich(x0 - 40, y0 + h + 78, "Warmup is drawn as 500 steps here: the recipe's 100 would not show.", 12.5, color=GREY_TEXT))
# ---------------------------------------------------------------- the small panels
sx0, sw_, sh = 500, 210, 60
notes = {"linear": ["a straight line from lr to min_lr"],
         "wsd": ["hold lr, then decay linearly over the", "last `decay_frac` = 0.2 of max_steps"],
         "constant": ["lr after warmup; min_lr unused"]}
y = 78
for kind in ("linear", "wsd", "constant"):
    b.append(rich(sx0 - 10, y + 2, kind, 13, bold=True))
    X2, Y2 = plot(sx0, y + 20, sw_, sh, kind, False)
    for j, t in enumerate(notes[kind]):
        b.append(rich(sx0 - 10, y + 20 + sh + 20 + 15 * j, t, 12, color=GREY_TEXT))
    if kind == "wsd":
        start = total - int(decay_frac * total)
        b.append(rich(X2(start) - 4, Y2(peak) + 16, "step 4,000", 12, anchor="end", color=ORANGE_DARK))
    y += 20 + sh + 20 + 15 * len(notes[kind]) + 16
H = int(max(y - 10, y0 + h + 88)) + 4
desc = ("A large panel shows the cosine schedule: a linear warmup from lr / warmup_steps up to lr at warmup_steps, then "
        "half a cosine down to min_lr at max_steps, passing (lr + min_lr) / 2 halfway, then flat at min_lr. Three small "
        "panels: linear (a straight line from lr to min_lr), wsd (hold lr until step 4,000, then decay linearly over "
        "the last decay_frac = 0.2 of max_steps) and constant (lr after warmup). Curves computed with lesson 08's "
        "Schedule, lr 1e-3, min_lr 1e-4, max_steps 5,000, warmup drawn as 500 steps.")
open("nbs/images/lr_schedules.svg", "w", encoding="utf-8").write(svg(W, H, "Learning-rate schedules", desc, b))
