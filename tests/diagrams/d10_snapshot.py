"11_checkpoint: what a snapshot holds (the keys of lesson 14's Trainer.state_dict) and how it is written atomically."
import sys
from pathlib import Path
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]   # svglib, and the repository's cleangpt
from svglib import *

W = 740
b = []
b.append(rich(16, 24, "A snapshot: all an exact resume needs, written so that a crash never leaves half a file", 14,
              bold=True))
b.append(rich(16, 44, "The keys of lesson 14's `Trainer.state_dict()`; `Snapshots.save` writes it to `snapshots/step_000120.pt`.", 12.5, color=GREY_TEXT))
# ------------------------------------------------------------------ the file's contents
x0, y0, w0 = 16, 60, 432
keys = [("step", "120; the schedules follow from it"),
        ("model", "`clean_state_dict`: plain names"),
        ("optimizer", "AdamW moments and param groups"),
        ("scaler", "GradScaler (in use with fp16)"),
        ("sampler", "`seed`, `consumed`, … (lesson 03)"),
        ("rng", "per rank: python, numpy, torch, cuda"),
        ("early_stopping", "`best`, `bad_evals`"),
        ("run_id", "the tracking run to continue"),
        ("config", "the resolved `TrainConfig`"),
        ("model_config", "`GPTConfig` and the tokenizer"),
        ("world", "the number of processes")]
rh = 27
h0 = 34 + len(keys) * rh + 10
b.append(rect(x0, y0, w0, h0, "data", rx=8, sw=1.4))
b.append(rich(x0 + 12, y0 + 22, "`step_000120.pt`", 13.5, bold=True, color=BLUE_DARK))
b.append(rich(x0 + w0 - 12, y0 + 22, "a dict of plain types", 12, anchor="end", color=GREY_TEXT))
for j, (k, d) in enumerate(keys):
    Y = y0 + 34 + j * rh
    b.append(rect(x0 + 8, Y, w0 - 16, rh - 4, "plain", rx=4, sw=0.8, stroke="#c9d8ea"))
    b.append(rich(x0 + 16, Y + 16, f'"{k}"', 12.5, mono=True, bold=True))
    b.append(rich(x0 + 146, Y + 16, d, 12.5))
# ------------------------------------------------------------------ the atomic write
x1, w1 = 466, W - 466 - 16
b.append(rich(x1, y0 + 12, "Writing it: `atomic_save`", 13, bold=True))
steps = [("op", ["`check_loadable(state)`", ("fails early on non-plain data", {"size": 12})]),
         ("op", ["`torch.save` into a temp file", ("`.step_000120.pt.<pid>.<hex>.tmp`", {"size": 12}),
                 ("in the same folder", {"size": 12})]),
         ("op", ["`flush`, then `os.fsync(file)`", ("the bytes are on the disk", {"size": 12})]),
         ("op", ["`os.replace(tmp, step_000120.pt)`", ("atomic within one file system", {"size": 12})]),
         ("op", ["`fsync` the folder", ("the rename survives a power cut", {"size": 12})]),
         ("op", ["prune: keep the newest `keep_last`", ("never the file just written", {"size": 12})])]
y = y0 + 26
hs = [44, 58, 44, 44, 44, 44]
for j, ((kind, lines), h) in enumerate(zip(steps, hs)):
    b.append(box(x1, y, w1, h, lines, kind, size=12.5))
    y += h
    if j < len(steps) - 1:
        b.append(arrow(x1 + w1 / 2, y + 1, x1 + w1 / 2, y + 11))
        y += 12
y_end = y
# crash note under the left card
yn = max(y0 + h0, y_end) + 24
for j, t in enumerate(["A crash before `os.replace` leaves the previous snapshot whole (at worst a stray `.tmp`, which the next",
                       "save removes); after it, the new one is complete. Reading back: `torch.load(path, weights_only=True,`",
                       "`map_location=\"cpu\")`, which refuses anything but plain data."]):
    b.append(rich(16, yn + 17 * j, t, 12.5, color=GREY_TEXT))
H = int(yn + 47)
desc = ("Left, the snapshot file step_000120.pt as a dict with the keys of Trainer.state_dict: step, model (clean state "
        "dict), optimizer (AdamW moments and groups), scaler, sampler (seed, shuffle, consumed, num_items, block_size), "
        "rng (one rng_state per rank: python, numpy, torch, cuda), early_stopping (best, bad_evals), run_id, config "
        "(the resolved TrainConfig), model_config (GPTConfig plus tokenizer) and world. Right, the atomic write: "
        "check_loadable, torch.save into a temporary file in the same folder, flush and fsync, os.replace onto the final "
        "name, fsync the folder, then prune to keep_last snapshots.")
open("nbs/images/snapshot.svg", "w", encoding="utf-8").write(svg(W, H, "What a snapshot holds and how it is written", desc, b))
