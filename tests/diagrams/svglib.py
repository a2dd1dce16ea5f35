"""A tiny SVG toolkit for the course diagrams: one palette, rich text with `code`, **bold**, _{sub}, ^{sup},
boxes, arrows with markers. Text widths are measured with DejaVu Sans (wider than most system-ui fonts),
so what fits here fits elsewhere."""
from __future__ import annotations

import math
import re
from html import escape
from functools import lru_cache

from PIL import ImageFont

# palette: blue = data/tensors, orange = operations, grey = notes
BLUE, BLUE_FILL, BLUE_DARK = "#2f6db5", "#e8f1fb", "#1f4f8a"
ORANGE, ORANGE_FILL, ORANGE_DARK = "#d9822b", "#fdf0e1", "#9a5510"
GREY, GREY_FILL, GREY_TEXT = "#8f98a1", "#f3f4f6", "#5c646c"
INK, LINE = "#1d2125", "#4a5259"
SANS = "system-ui, sans-serif"
MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace"

FONTS = {
    ("sans", False): "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ("sans", True): "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ("mono", False): "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    ("mono", True): "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
}


@lru_cache(maxsize=None)
def _font(kind: str, bold: bool, size: float):
    return ImageFont.truetype(FONTS[kind, bold], max(1, round(size * 4)))   # 4x for sub-pixel accuracy


def _len(s: str, kind: str, bold: bool, size: float) -> float:
    return _font(kind, bold, size).getlength(s) / 4


TOKEN = re.compile(r"(\*\*`[^`]*`\*\*|`[^`]*`|\*\*[^*]+\*\*|_\{[^}]*\}|\^\{[^}]*\})")


def segments(s: str):
    "Split rich text into (text, mono, bold, script) pieces; script is 0, 'sub' or 'sup'."
    out = []
    for part in TOKEN.split(s):
        if not part: continue
        if part.startswith("**`"): out.append((part[3:-3], True, True, 0))
        elif part.startswith("`"): out.append((part[1:-1], True, False, 0))
        elif part.startswith("**"): out.append((part[2:-2], False, True, 0))
        elif part.startswith("_{"): out.append((part[2:-1], False, False, "sub"))
        elif part.startswith("^{"): out.append((part[2:-1], False, False, "sup"))
        else: out.append((part, False, False, 0))
    return out


def text_width(s: str, size: float = 13, bold: bool = False, mono: bool = False) -> float:
    w = 0.0
    for t, m, b, sc in segments(s):
        sz = max(10, size * 0.8) if sc else size
        if m and not mono and not sc: sz = max(12, size * 0.93)
        w += _len(t, "mono" if (m or mono) else "sans", b or bold, sz)
    return w


def rich(x: float, y: float, s: str, size: float = 13, anchor: str = "start", color: str = INK,
         bold: bool = False, mono: bool = False, italic: bool = False, opacity: float | None = None) -> str:
    "A <text> element with tspans for `code`, **bold**, _{sub} and ^{sup}."
    fam = MONO if mono else SANS
    attrs = f'x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{color}" font-family="{fam}"'
    if anchor != "start": attrs += f' text-anchor="{anchor}"'
    if bold: attrs += ' font-weight="bold"'
    if italic: attrs += ' font-style="italic"'
    if opacity is not None: attrs += f' fill-opacity="{opacity}"'
    parts, dy = [], 0.0
    for t, m, b, sc in segments(s):
        a = []
        if m and not mono: a.append(f'font-family="{MONO}" font-size="{max(12, size * 0.93):.2f}"')
        if b: a.append('font-weight="bold"')
        want = {0: 0.0, "sub": size * 0.3, "sup": -size * 0.38}[sc]
        if sc: a.append(f'font-size="{max(10, size * 0.8):.2f}"')
        if want != dy: a.append(f'dy="{want - dy:.2f}"'); dy = want
        t = escape(t, quote=False).replace("  ", "\u00a0 ")
        parts.append(f'<tspan {" ".join(a)}>{t}</tspan>' if a else t)
    if dy:   # nothing follows, but keep the element balanced for any later text in the same run
        pass
    return f'<text {attrs} xml:space="preserve">{"".join(parts)}</text>'


STYLES = {
    "data": (BLUE_FILL, BLUE),
    "op": (ORANGE_FILL, ORANGE),
    "note": (GREY_FILL, GREY),
    "plain": ("#ffffff", GREY),
    "none": ("none", "none"),
}


def rect(x, y, w, h, kind="data", rx=6, dash=False, sw=1.4, fill=None, stroke=None, opacity=None) -> str:
    f, s = STYLES[kind]
    f, s = fill or f, stroke or s
    d = ' stroke-dasharray="4 3"' if dash else ""
    o = f' fill-opacity="{opacity}"' if opacity is not None else ""
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{rx}" fill="{f}"{o} stroke="{s}" stroke-width="{sw}"{d}/>'


def box(x, y, w, h, lines, kind="data", size=13, rx=6, dash=False, line_gap=None, colors=None, bold_first=False,
        fill=None, stroke=None) -> str:
    "A rectangle with centred lines of rich text. A line may be a str or (str, dict of rich() options)."
    out = [rect(x, y, w, h, kind, rx, dash, fill=fill, stroke=stroke)]
    lines = [l if isinstance(l, tuple) else (l, {}) for l in lines]
    sizes = [o.get("size", size) for _, o in lines]
    gap = line_gap if line_gap is not None else 1.32
    heights = [sz * gap for sz in sizes]
    total = sum(heights) - (heights[-1] - sizes[-1]) if lines else 0
    cy = y + (h - total) / 2
    for i, ((s, o), sz) in enumerate(zip(lines, sizes)):
        opts = dict(size=sz, anchor="middle")
        if bold_first and i == 0: opts["bold"] = True
        opts.update(o)
        out.append(rich(x + w / 2, cy + sz * 0.8, s, **opts))
        cy += heights[i]
    return "\n".join(out)


def line(x1, y1, x2, y2, color=LINE, sw=1.4, dash=False, marker=None, marker_start=None, opacity=None) -> str:
    d = ' stroke-dasharray="4 3"' if dash else ""
    m = f' marker-end="url(#{marker})"' if marker else ""
    ms = f' marker-start="url(#{marker_start})"' if marker_start else ""
    o = f' stroke-opacity="{opacity}"' if opacity is not None else ""
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{color}" stroke-width="{sw}"{d}{m}{ms}{o}/>'


def path(d, color=LINE, sw=1.4, dash=False, marker=None, fill="none", marker_start=None, opacity=None) -> str:
    da = ' stroke-dasharray="4 3"' if dash else ""
    m = f' marker-end="url(#{marker})"' if marker else ""
    ms = f' marker-start="url(#{marker_start})"' if marker_start else ""
    o = f' stroke-opacity="{opacity}"' if opacity is not None else ""
    return f'<path d="{d}" fill="{fill}" stroke="{color}" stroke-width="{sw}"{da}{m}{ms}{o}/>'


def arrow(x1, y1, x2, y2, color="ink", **kw) -> str:
    c = {"ink": LINE, "blue": BLUE, "orange": ORANGE, "grey": GREY}[color]
    return line(x1, y1, x2, y2, color=c, marker=f"ah-{color}", **kw)


def arrow_path(d, color="ink", **kw) -> str:
    c = {"ink": LINE, "blue": BLUE, "orange": ORANGE, "grey": GREY}[color]
    return path(d, color=c, marker=f"ah-{color}", **kw)


def defs() -> str:
    ms = []
    for name, c in (("ink", LINE), ("blue", BLUE), ("orange", ORANGE), ("grey", GREY)):
        ms.append(f'<marker id="ah-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
                  f'markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0.8 L9.5,5 L0,9.2 z" fill="{c}"/></marker>')
    return "<defs>\n" + "\n".join(ms) + "\n</defs>"


def svg(w, h, title, desc, body) -> str:
    body = body if isinstance(body, str) else "\n".join(body)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            f'font-family="{SANS}" role="img" aria-labelledby="title desc">\n'
            f'<title id="title">{escape(title)}</title>\n<desc id="desc">{escape(desc)}</desc>\n'
            f'{defs()}\n<rect width="{w}" height="{h}" fill="#ffffff"/>\n{body}\n</svg>\n')


def brace(x1, x2, y, up=False, color=GREY, depth=7, sw=1.2) -> str:
    "A horizontal square bracket from x1 to x2 at y; ticks point down (or up)."
    d = -depth if up else depth
    return path(f"M{x1:.1f},{y + d:.1f} L{x1:.1f},{y:.1f} L{x2:.1f},{y:.1f} L{x2:.1f},{y + d:.1f}", color=color, sw=sw)
