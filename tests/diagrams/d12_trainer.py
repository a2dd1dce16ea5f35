"14_trainer: micro-batches -> optimizer steps -> macro-batches, with what happens at each boundary."
import sys
from pathlib import Path
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]   # svglib, and the repository's cleangpt
from svglib import *

# the lesson's demo run: batch_size=64, micro_batch=32, one process -> grad_accum 2; 60 steps, eval_interval 20
max_steps, eval_interval, grad_accum, micro_batch, world = 60, 20, 2, 32, 1
W = 740
b = []
b.append(rich(16, 24, "Three units of work, in the lesson's demo run", 14, bold=True))
b.append(rich(16, 44, "`batch_size=64`, `micro_batch=32`, one process, so grad_accum = 2; `max_steps=60`, `eval_interval=20`.", 12.5, color=GREY_TEXT))
# ------------------------------------------------------------------ A: the run
x0, x1 = 40, 700
sx = (x1 - x0) / max_steps
yA = 80
b.append(rich(16, yA - 8, "the run: 60 optimizer steps = 3 macro-batches", 12.5, bold=True, color=BLUE_DARK))
for mbi in range(max_steps // eval_interval):
    a, z = x0 + mbi * eval_interval * sx, x0 + (mbi + 1) * eval_interval * sx
    b.append(rect(a + 1, yA, z - a - 2, 26, "data", rx=4, sw=1.1, fill="#cfe1f6" if mbi == 1 else None))
    b.append(rich((a + z) / 2, yA + 17.5, f"macro-batch {mbi + 1}: steps {mbi * eval_interval + 1}-{(mbi + 1) * eval_interval}",
                  12.5, anchor="middle"))
    # boundary marker
    bx = z
    b.append(f'<path d="M{bx:.1f},{yA - 6} l7,16 l-7,16 l-7,-16 z" fill="{ORANGE_FILL}" stroke="{ORANGE}" stroke-width="1.4"/>')
    b.append(rich(bx, yA + 46, f"step {(mbi + 1) * eval_interval}", 12, anchor="middle", color=ORANGE_DARK))
b.append(rich(x0, yA + 46, "0", 12, anchor="middle", color=GREY_TEXT))
# ------------------------------------------------------------------ B: one macro-batch
yB = 196
bx0, bx1 = 40, 452
step_w = (bx1 - bx0) / eval_interval
# zoom lines from macro-batch 2 in A to B
a2, z2 = x0 + eval_interval * sx, x0 + 2 * eval_interval * sx

b.append(rich(16, yB - 12, "macro-batch 2: `eval_interval` = 20 optimizer steps", 12.5, bold=True, color=BLUE_DARK))
zoom_step = 7
for s in range(eval_interval):
    X = bx0 + s * step_w
    hl = s == zoom_step - 1
    b.append(rect(X + 1.5, yB, step_w - 3, 30, "op", rx=2.5, sw=1.6 if hl else 1, fill="#f9d6ad" if hl else None))
    if s in (0, zoom_step - 1, eval_interval - 1):
        b.append(rich(X + step_w / 2, yB + 46, str(eval_interval + s + 1), 12, anchor="middle", color=GREY_TEXT))
b.append(rich(bx0, yB + 64, "every `log_interval` steps: train loss, lr, grad norm, tokens/s, MFU", 12, color=GREY_TEXT))
# boundary box
gx, gw = 478, W - 478 - 16
b.append(line(bx1, yB + 15, gx - 3, yB + 15, color=ORANGE, sw=1.6, marker="ah-orange"))
bl = [("**at the boundary (step 40)**", {}),
      ("`estimate_loss`: val/loss on", {}), ("`eval_iters` fixed batches", {"color": GREY_TEXT}),
      ("`math_accuracy` (math tasks)", {}), ("`early.update(val_loss)`", {}), ("`tracker.log`, then `snapshot()`:", {}),
      ("`best.maybe_save`, `snapshots.save`", {}), ("stop if `early.should_stop`", {})]
hbox = 20 + len(bl) * 17
b.append(rect(gx, yB - 40, gw, hbox, "op", rx=6, sw=1.4))
for j, (t, o) in enumerate(bl):
    b.append(rich(gx + 12, yB - 40 + 20 + j * 17, t, 12.5, **o))
# ------------------------------------------------------------------ C: one optimizer step
yC = 352
zx = bx0 + (zoom_step - 1) * step_w

b.append(rich(16, yC - 12, f"one optimizer step (step {eval_interval + zoom_step}): `grad_accum` = 2 micro-batches of "
              f"`micro_batch` = 32 sequences", 12.5, bold=True, color=BLUE_DARK))
cx0 = 16
items = [("op", ["`apply_hparams`:", "this step's lr and", "weight decay; `ramp(step)`"], 166),
         ("data", ["**micro-batch 1**", "forward + backward", "inside `no_sync()`"], 150),
         ("data", ["**micro-batch 2**", "forward + backward,", "gradients all-reduced"], 160),
         ("op", ["unscale, `clip_grad_norm_`,", "`opt.step()`, `zero_grad`"], 184)]
X = cx0
for j, (kind, lines, w) in enumerate(items):
    b.append(box(X, yC, w, 62, lines, kind, size=12.5))
    X += w
    if j < len(items) - 1:
        b.append(arrow(X + 2, yC + 31, X + 14, yC + 31)); X += 16
for j, t in enumerate(["Each loss is divided by grad_accum before `backward`, so the gradients add up to the mean over",
                       "batch_size = grad_accum × world × micro_batch = 64 sequences. With one process the all-reduce and",
                       "`no_sync()` do nothing; under torchrun they average the gradients over the world processes."]):
    b.append(rich(16, yC + 84 + 17 * j, t, 12.5, color=GREY_TEXT))
H = yC + 84 + 17 * 2 + 14
desc = ("Three zoom levels for the lesson's demo run (batch_size 64, micro_batch 32, one process, so grad_accum 2; "
        "max_steps 60, eval_interval 20). Top: the run as three macro-batches of 20 optimizer steps, with a boundary "
        "at steps 20, 40 and 60. Middle: one macro-batch of 20 steps, logged every log_interval steps, ending at a "
        "boundary that runs estimate_loss on eval_iters fixed batches, math_accuracy on math tasks, early.update, "
        "tracker.log, then snapshot (best.maybe_save, snapshots.save), and stops if early stopping says so. Bottom: one "
        "optimizer step: set the schedules, micro-batch 1 forward and backward inside no_sync, micro-batch 2 forward "
        "and backward with the gradients averaged, then unscale, clip_grad_norm_, opt.step and zero_grad.")
open("nbs/images/trainer_timeline.svg", "w", encoding="utf-8").write(svg(W, H, "Micro-batches, optimizer steps, macro-batches", desc, b))
