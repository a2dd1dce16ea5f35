"02_datasets: the path from public text to a loss."
import sys
from pathlib import Path
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]   # svglib, and the repository's cleangpt
from svglib import *

W = 740
b = []
b.append(rich(16, 24, "From text to loss: what lesson 02 writes once, and what every training step reads", 15, bold=True))

def row_label(y, s):
    b.append(rich(16, y, s, 12.5, color=GREY_TEXT, bold=True))

# ---- row 1: prepare -------------------------------------------------------------------------------
y1, h1 = 64, 108
row_label(y1 - 10, "lesson 02 · `prepare(name)`: once per dataset")
cols = [16, 200, 384, 568]
wid = [156, 156, 156, 156]
b.append(box(cols[0], y1, wid[0], h1, ["**text source**", "canonical URL", "or its mirror copy",
                                       "or a local file (`file`)"], "data", size=12.5))
b.append(box(cols[1], y1, wid[1], h1, [("**`download`**", {"size": 13.5}), "from the mirror or URL", "sha256 verified",
                                       "temp file → rename"], "op", size=12.5))
b.append(box(cols[2], y1, wid[2], h1, ["**tokenize**", "`char` or `gpt2` BPE", "`encode_text`, split over",
                                       "worker processes"], "op", size=12.5))
fh = 50
b.append(box(cols[3], y1, wid[3], fh, ["`train.bin` · `val.bin`", "ids, uint16, no header"], "data", size=12.5))
b.append(box(cols[3], y1 + h1 - fh, wid[3], fh, ["`meta.json`", ("tokenizer, dtype, counts", {"size": 12})], "data", size=12.5))
for i in range(3):
    b.append(arrow(cols[i] + wid[i] + 2, y1 + h1 / 2, cols[i + 1] - 3, y1 + h1 / 2))
b.append(rich(cols[3] + wid[3], y1 + h1 + 16, "`write_dataset`: all or nothing", 12, anchor="end", color=GREY_TEXT))
b.append(rich(cols[0], y1 + h1 + 16, "mirror: `CLEANGPT_DATA_MIRROR`; math tasks: generated from a seed", 12,
              color=GREY_TEXT))

# ---- row 2: load ----------------------------------------------------------------------------------
y2, h2 = 258, 78
row_label(y2 - 10, "lesson 03 · every micro-batch")
b.append(box(cols[0], y2, wid[0], h2, [("**`np.memmap`**", {"size": 13.5}), "read-only view of", "`train.bin`, size checked"], "data",
             size=12.5))
b.append(box(cols[1], y2, wid[1], h2, ["**sampler**", "`ShardedBatchSampler`", "B window starts"], "op", size=12.5))
b.append(box(cols[2], y2, wid[2], h2, ["**gather**", "`__getitems__`: one", "fancy index, (B, T+1)"], "op",
             size=12.5))
b.append(box(cols[3], y2, wid[3], h2, ["**batch**", "`x`, `y`: (B, T) int64", "`y` = `x` moved on by 1"], "data",
             size=12.5))
for i in range(3):
    b.append(arrow(cols[i] + wid[i] + 2, y2 + h2 / 2, cols[i + 1] - 3, y2 + h2 / 2))
# files -> memmap (route through the corridor under row 1)
cy = y1 + h1 + 40
fx = cols[3] + wid[3] / 2
b.append(arrow_path(f"M{fx + 40:.1f},{y1 + h1 + 2} L{fx + 40:.1f},{cy} L{cols[0] + wid[0] / 2:.1f},{cy} "
                    f"L{cols[0] + wid[0] / 2:.1f},{y2 - 3}"))
b.append(rich(cols[1] + 8, cy - 5, "`open_tokens(folder, \"train\")`: dtype and length from meta.json", 12,
              color=GREY_TEXT))

# ---- row 3: the model -----------------------------------------------------------------------------
y3, h3 = 424, 72
row_label(y3 - 10, "lessons 04-05 · the model")
b.append(box(cols[0], y3, wid[0], h3, [("**`GPT`**", {"size": 13.5}), "embeddings, blocks,", "`lm_head`"], "op", size=12.5))
b.append(box(cols[1], y3, wid[1], h3, ["**logits**", "(B, T, vocab_size)"], "data", size=12.5))
b.append(box(cols[2], y3, wid[2], h3, [("**`F.cross_entropy`**", {"size": 13.5}), "logits against `y`", "`ignore_index=-1`"], "op",
             size=12.5))
b.append(box(cols[3], y3, wid[3], h3, ["**loss**", "one number:", "mean over B·T targets"], "data", size=12.5))
for i in range(3):
    b.append(arrow(cols[i] + wid[i] + 2, y3 + h3 / 2, cols[i + 1] - 3, y3 + h3 / 2))
# x -> GPT, y -> cross_entropy
c1, c2 = y2 + h2 + 22, y2 + h2 + 44
xb = cols[3] + 40
b.append(arrow_path(f"M{xb},{y2 + h2 + 2} L{xb},{c1} L{cols[0] + wid[0] / 2:.1f},{c1} L{cols[0] + wid[0] / 2:.1f},{y3 - 3}",
                    "blue"))
b.append(rich(cols[0] + wid[0] / 2 + 8, c1 + 16, "inputs `x`", 12, color=BLUE_DARK))
yb = cols[3] + wid[3] - 36
ce = cols[2] + wid[2] / 2
b.append(arrow_path(f"M{yb},{y2 + h2 + 2} L{yb},{c2} L{ce:.1f},{c2} L{ce:.1f},{y3 - 3}", "blue"))
b.append(rich(ce + 8, c2 + 16, "targets `y`", 12, color=BLUE_DARK))
H = y3 + h3 + 18
desc = ("Three rows. Lesson 02, once per dataset: a text source (canonical URL, the CLEANGPT_DATA_MIRROR copy, or a "
        "local file; math tasks are generated) is downloaded with its sha256 verified, tokenized with the char or "
        "GPT-2 tokenizer in worker processes, and written atomically as train.bin and val.bin (uint16 ids, no header) "
        "plus meta.json. Lesson 03, every micro-batch: open_tokens maps train.bin as a read-only np.memmap, the "
        "ShardedBatchSampler picks B window starts, __getitems__ gathers them in one fancy index, giving x and y of "
        "shape (B, T). Lessons 04-05: the GPT turns x into logits of shape (B, T, vocab_size), and F.cross_entropy "
        "against y gives the loss.")
open("nbs/images/data_flow.svg", "w", encoding="utf-8").write(svg(W, H, "From text to loss", desc, b))
