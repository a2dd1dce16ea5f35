"01_tokenizers: three BPE merges on the lesson's toy words, computed with the lesson's own count_pairs/merge_pair."
import sys
from pathlib import Path
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]   # svglib, and the repository's cleangpt
from svglib import *
from cleangpt.tokenizers import count_pairs, merge_pair

words, counts = [list(b"hello"), list(b"yell")], [3, 2]
vocab = {i: bytes([i]) for i in range(256)}
states = []                       # (words, stats, chosen pair, new id)
for k in range(4):
    stats = count_pairs(words, counts)
    pair = max(stats, key=stats.get) if k < 3 else None
    states.append(([list(w) for w in words], stats, pair, 256 + k))
    if pair is None: break
    vocab[256 + k] = vocab[pair[0]] + vocab[pair[1]]
    words = [merge_pair(w, pair, 256 + k) for w in words]

tok = lambda i: vocab[i].decode()
W, ROW, GAPR = 720, 74, 40
top = 80
H = top + 4 * ROW + 3 * GAPR + 44
b = []
b.append(rich(20, 26, "Byte-pair encoding on lesson 01's toy words: `hello` ×3 and `yell` ×2", 15, bold=True))
b.append(rich(20, 46, "Pairs are counted once per word and weighted by its count; the most frequent pair becomes a new token.",
              12.5, color=GREY_TEXT))
# column headers
b.append(rich(128, top - 8, "word, count", 12, color=GREY_TEXT))
b.append(rich(318, top - 8, "tokens", 12, anchor="end", color=GREY_TEXT))
b.append(rich(352, top - 8, "pair counts, weighted by the word counts", 12, color=GREY_TEXT))
CH = 24   # chip height
y = top
for k, (ws, stats, pair, new_id) in enumerate(states):
    # row frame
    b.append(rect(14, y, W - 28, ROW, "plain", rx=8, sw=1, stroke="#dfe3e7"))
    label = "start: bytes" if k == 0 else f"after merge {k}"
    b.append(rich(26, y + 20, label, 12.5, bold=True, color=BLUE_DARK))
    total = sum(len(w) * c for w, c in zip(ws, counts))
    b.append(rich(26, y + 38, f"{total} tokens", 12, color=GREY_TEXT))
    b.append(rich(26, y + 54, "in the text", 12, color=GREY_TEXT))
    # words as chips
    for j, (w, c) in enumerate(zip(ws, counts)):
        cy = y + 9 + j * (CH + 8)
        x = 128
        for t in w:
            s = tok(t)
            cw = text_width(f"`{s}`", 14) + 14
            fresh = t >= 256 and t == states[k - 1][3] if k else False
            b.append(rect(x, cy, cw, CH, "data", rx=4, sw=1.6 if fresh else 1.1,
                          fill="#cfe1f6" if fresh else None))
            b.append(rich(x + cw / 2, cy + 17, s, 14, anchor="middle", mono=True))
            x += cw + 4
        b.append(rich(x + 4, cy + 17, f"×{c}", 12.5, color=GREY_TEXT))
        b.append(rich(318, cy + 17, f"{len(w)}", 12.5, anchor="end", color=GREY_TEXT))
    # pair counts
    px = 352
    if pair is None: b.append(rich(W - 26, y + 44, "what is left", 12, anchor="end", color=GREY_TEXT))
    x = px
    for (a, c2), n in stats.items():
        s = f"{tok(a)} {tok(c2)}"
        cw = max(text_width(f"`{s}`", 13) + 16, 44)
        win = (a, c2) == pair
        tie = pair is not None and n == stats[pair] and not win
        b.append(rect(x, y + 17, cw, 40, "op" if win else "plain", rx=4, sw=1.8 if win else 1,
                      stroke=None if win else ("#b8bfc6" if not tie else GREY), dash=tie))
        b.append(rich(x + cw / 2, y + 33, s, 13, anchor="middle", mono=True))
        b.append(rich(x + cw / 2, y + 50, str(n), 12.5, anchor="middle", bold=win,
                      color=ORANGE_DARK if win else INK))
        x += cw + 6
    y += ROW
    if pair is not None:
        # the merge arrow between rows
        ax = 60
        b.append(arrow(ax, y + 3, ax, y + GAPR - 3, "orange", sw=1.8))
        t1 = (f"merge {k + 1}: `{tok(pair[0])}` + `{tok(pair[1])}` → token {new_id} `{tok(pair[0]) + tok(pair[1])}`,"
              f" replaced in every word")
        b.append(rich(ax + 14, y + 19, t1, 13, color=ORANGE_DARK))
        note = {0: "(l, l) also occurs 5 times (dashed): ties go to the pair seen first",
                1: "", 2: "(ell, o) also occurs 3 times: the tie goes to (h, ell), seen first"}[k]
        if note: b.append(rich(ax + 14, y + 34, note, 12, color=GREY_TEXT))
        y += GAPR
b.append(rich(20, y + 22, "Merge k creates token 256 + k; the tokens per word shrink 5 → 4 → 3 → 2 (hello) and 4 → 3 → 2 → 2 (yell).",
              12.5, color=GREY_TEXT))
H = int(y + 36)
desc = ("Three rows of merges on the words hello (count 3) and yell (count 2). Start: bytes h e l l o and y e l l, "
        "23 tokens; pair counts he 3, el 5, ll 5, lo 3, ye 2. Merge 1 makes token 256 'el' (tie with ll, first seen wins), "
        "18 tokens. Merge 2 makes 257 'ell' (count 5), 13 tokens. Merge 3 makes 258 'hell' (count 3, tie with ell+o), "
        "10 tokens.")
open("nbs/images/bpe_merges.svg", "w", encoding="utf-8").write(
    svg(W, H, "BPE merges on hello and yell", desc, b))
