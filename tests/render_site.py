"""Render the course website to static HTML, offline, without Quarto.

The real site is built by `nbdev_docs` (nbdev's notebook processors, then Quarto). Quarto is a separate
download, so this script does the same first half with nbdev's own processors (`FilterDefaults`: front matter,
`#| hide` and `#| export` cells removed, `show_doc` for every exported name) and replaces Quarto with
nbconvert's `HTMLExporter`: one page per lesson plus index.html, a sidebar listing the lessons in file-name
order, prev/next links, and the stored outputs (plots are embedded PNGs). The Quarto cell options that change
what a page shows are applied: `include`, `echo`, `output`, and `code-fold` (with `code-summary`), which folds
a cell's code into a closed `<details>` element as Quarto does (the exercises' solutions). Nothing in the
notebooks is run except what nbdev itself runs to draw `show_doc` (the exported cells and imports). Pages are
named as nbdev names them (`00_core.ipynb` -> `core.html`), so nbdev's doc links between lessons resolve offline.

Math in markdown (`$...$`, `$$...$$`, read as pandoc reads it) is kept out of the markdown converter's reach and
typeset in the browser by KaTeX: the npm package, installed into tests/.katex/ (KATEX_INSTALL) and copied into
the site, never a CDN. The local images a page's markdown shows (`![alt](images/x.svg)`) are copied into the
site at the same relative path.

Usage: python tests/render_site.py [OUT_DIR] [--nbdev-exact]
  OUT_DIR defaults to test_artifacts/site/ (git-ignored); then open OUT_DIR/index.html.
  Needs KaTeX once: npm install --no-audit --no-fund --save-exact --prefix tests/.katex katex@<KATEX_VERSION>.
  --nbdev-exact runs, like nbdev, every cell with an import in it to draw show_doc (slower; reports the
  cells that would stop `nbdev_docs`). Exit status 1 when any cell needed for the docs failed, 2 without KaTeX.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# KaTeX, from the npm registry (never a CDN), into a git-ignored folder; .ci/run runs the same command
KATEX_VERSION = "0.16.47"
KATEX_DIR = ROOT / "tests" / ".katex" / "node_modules" / "katex"
KATEX_INSTALL = f"npm install --no-audit --no-fund --save-exact --prefix tests/.katex katex@{KATEX_VERSION}"
KATEX_FILES = ["katex.min.js", "katex.min.css", "fonts", "contrib/auto-render.min.js"]   # from its dist/

CSS = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#212529;background:#fff}
a{color:#2780e3;text-decoration:none} a:hover{text-decoration:underline}
.sidebar{position:fixed;top:0;left:0;bottom:0;width:270px;overflow-y:auto;background:#f7f8fa;border-right:1px solid #e3e6ea;padding:18px 14px}
.sidebar .brand{display:block;font-size:1.35em;font-weight:700;color:#212529;margin:0 6px 12px}
.sidebar ol{list-style:none;margin:0;padding:0}
.sidebar li a{display:block;padding:5px 8px;border-radius:5px;color:#343a40;font-size:.92em;line-height:1.3}
.sidebar li a:hover{background:#e9ecef;text-decoration:none}
.sidebar li a.current{background:#2780e3;color:#fff}
.sidebar .num{display:inline-block;width:1.9em;color:#868e96;font-variant-numeric:tabular-nums}
.sidebar li a.current .num{color:#dbe9fb}
.sidebar .core{color:#e8a317}
main{margin-left:270px;padding:28px 48px 60px;max-width:1080px}
header.page h1{font-size:2.1em;margin:.1em 0 .2em} header.page .description{color:#5a6169;font-size:1.12em;margin:0 0 1.4em}
h2{margin-top:1.8em;padding-bottom:.2em;border-bottom:1px solid #e9ecef} h3{margin-top:1.4em}
.anchor-link{display:none}
pre{max-width:100%;overflow-x:auto}
.cell,.rendered_html,.output_subarea{min-width:0;max-width:100%;overflow-x:auto}
p:has(> a[href*="/blob/"][href*="#L"]:only-child){float:right;margin:0 0 0 1em;font-size:.85em}
pre,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.88em}
:not(pre)>code{background:#f1f3f5;padding:.1em .3em;border-radius:3px;color:#9a2d4e}
.cell{margin:0 0 .9em}
.input_area,.rendered_html pre{background:#f6f8fa;border:1px solid #e3e6ea;border-radius:6px;padding:8px 12px}
.input_area pre,.input_area .highlight{margin:0;background:none;border:0;padding:0}
.output_subarea pre{margin:.3em 0;padding:6px 12px;border-left:3px solid #dee2e6;white-space:pre-wrap;color:#343a40}
.output_stderr pre{border-left-color:#f0ad4e;background:#fff8ec}
.prompt{display:none}
.output_subarea img{max-width:100%;height:auto;display:block;margin:.4em 0}
.text_cell_render img{max-width:100%;height:auto}
.katex-display{overflow-x:auto;overflow-y:hidden}
table{border-collapse:collapse;margin:.6em 0} th,td{border:1px solid #dee2e6;padding:4px 10px} th{background:#f1f3f5}
blockquote{margin:.6em 0;padding:.2em 1em;border-left:4px solid #2780e3;background:#f4f8fd;color:#3b4249}
hr{border:0;border-top:1px solid #e3e6ea;margin:1.6em 0 .6em}
details.code-fold{margin:0 0 .4em}
details.code-fold>summary{cursor:pointer;color:#5a6169;font-size:.92em;margin-bottom:.3em}
details.code-fold>summary:hover{color:#2780e3}
nav.pager{display:flex;justify-content:space-between;gap:16px;margin-top:3em;padding-top:1em;border-top:1px solid #e3e6ea}
nav.pager a{display:block;max-width:48%;padding:10px 14px;border:1px solid #dee2e6;border-radius:6px}
nav.pager a.next{margin-left:auto;text-align:right} nav.pager small{display:block;color:#868e96}
@media (max-width:800px){.sidebar{position:static;width:auto;border-right:0}main{margin-left:0;padding:16px}}
"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{plain_title} – {site}</title><meta name="description" content="{plain_description}">
<style>{css}</style><style>{pygments}</style>
<link rel="stylesheet" href="katex/katex.min.css">
<script defer src="katex/katex.min.js"></script><script defer src="katex/contrib/auto-render.min.js"></script>
<script>{katex_js}</script></head>
<body><nav class="sidebar" aria-label="Lessons"><a class="brand" href="index.html">{site}</a><ol>
{nav}
</ol></nav>
<main><header class="page"><h1 class="title">{title}</h1><p class="description">{description}</p></header>
{body}
<nav class="pager" aria-label="Previous and next lesson">{pager}</nav></main></body></html>
"""

# Typeset what the markdown step marked as math (`span.math`, pandoc's markup: `\(...\)`, `\[...\]`), only that:
# a `$` in code, in a cell's output or in prose that is not math stays as it is. Deferred scripts run before
# DOMContentLoaded. Errors are shown in place (`.katex-error`, the message in its title), not thrown; what
# auto-render could not even hand to KaTeX stays raw text, its error kept in window.katexErrors.
KATEX_JS = """window.katexErrors = [];
document.addEventListener("DOMContentLoaded", () => {
  const options = {throwOnError: false, errorCallback: (msg, err) => { window.katexErrors.push(`${msg} ${err}`); console.error(msg, err); },
    delimiters: [
    {left: "$$", right: "$$", display: true}, {left: "\\\\[", right: "\\\\]", display: true},
    {left: "$", right: "$", display: false}, {left: "\\\\(", right: "\\\\)", display: false}]};
  for (const el of document.querySelectorAll("span.math")) renderMathInElement(el, options);
});"""

_QUARTO_OPT = re.compile(r"^\s*#\|\s*([\w-]+)\s*:\s*(.*?)\s*$")
_VERBATIM = {"code-summary"}                                 # options whose value is text shown on the page
_LINK_ATTRS = re.compile(r"(\]\([^)\s]*\))\{[^}\n]*\}")   # pandoc's [text](url){target=...}: not CommonMark


def quarto_options(source: str) -> tuple[dict, str]:
    "The `#| key: value` lines nbdev leaves for Quarto (echo, output, eval, ...), and the code without them."
    lines, opts = source.splitlines(), {}
    while lines and (m := _QUARTO_OPT.match(lines[0])):
        value = m.group(2).strip("'\"")
        opts[m.group(1)] = value if m.group(1) in _VERBATIM else value.lower(); lines.pop(0)
    return opts, "\n".join(lines)


def _join(v): return "".join(v) if isinstance(v, list) else v


def _clean_output(o: dict) -> dict:
    "A plain nbformat output (execnb keeps multi-line strings as lists)."
    o = {k: v for k, v in o.items() if not k.endswith("_")}
    if "text" in o: o["text"] = _join(o["text"])
    if "data" in o: o["data"] = {k: (v if k.endswith("json") else _join(v)) for k, v in o["data"].items()}
    if o.get("output_type") in ("display_data", "execute_result"): o.setdefault("metadata", {})
    if o.get("output_type") == "execute_result": o.setdefault("execution_count", None)
    return o


# --- math and images in markdown -------------------------------------------------------------------------
_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})")
_NO_BLANK = r"(?:(?!\n[ \t]*\n)[\s\S])"                     # any character, a paragraph break excepted
# in prose, leftmost first: code and raw-HTML code kept as they are; escapes; then math as pandoc reads it
# (tex_math_dollars: `$` opens before a non-space, closes after one and not before a digit, so `$5 and $10` is
# text; `$$` display math may sit inside a paragraph) and, for the offline page only, `\(...\)`, `\[...\]`;
# last, a `$` that is none of these: text
_SPANS = re.compile(rf"""
    (?P<code>(?<!`)(?P<ticks>`+)(?!`){_NO_BLANK}+?(?<!`)(?P=ticks)(?!`))
  | (?P<html><!--[\s\S]*?-->|<(?P<tag>pre|code|kbd|samp|script|style)\b[^>]*>[\s\S]*?</(?P=tag)\s*>)
  | (?P<esc>\\[\\$`])
  | \$\$(?P<display>{_NO_BLANK}+?)\$\$
  | \\\[(?P<bdisplay>{_NO_BLANK}+?)\\\]
  | \\\((?P<binline>{_NO_BLANK}+?)\\\)
  | \$(?![\s$])(?P<inline>(?:\\[\s\S]|(?!\n[ \t]*\n)[^\\$])+?)(?<!\s)\$(?!\d)
  | (?P<dollar>\$)
""", re.X)


def split_code(src: str) -> list[tuple[bool, str]]:
    "Markdown as (is_code, text) pieces: fenced code blocks apart from the rest (code spans are in `_SPANS`)."
    out, buf, fence = [], [], None
    def flush(code):
        if buf: out.append((code, "".join(buf))); buf.clear()
    for line in src.splitlines(keepends=True):
        if fence is None:
            m = _FENCE.match(line)
            if m and not (m.group(1)[0] == "`" and "`" in line[m.end():]):   # a backtick fence's info has no backtick
                flush(False); fence = m.group(1)
            buf.append(line)
        else:
            buf.append(line)
            if re.fullmatch(rf"[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*", line.rstrip("\r\n")): flush(True); fence = None
    flush(fence is not None)
    return out


def math_spans(src: str) -> list[tuple[str, str, str]]:
    "The math in markdown: (kind, tex, source) with kind `inline` or `display`, outside code."
    found = []
    for code, text in split_code(src):
        if code: continue
        for m in _SPANS.finditer(text):
            kind = next((k for k in ("display", "bdisplay", "binline", "inline") if m.group(k) is not None), None)
            if kind: found.append(("display" if "display" in kind else "inline", m.group(kind), m.group(0)))
    return found


class Math:
    r"""Math kept away from the markdown converter, which reads `_`, `*` and `\` in it as markup: `protect`
    puts a plain-letters token in each span's place, `restore` writes the page's math where the tokens landed,
    as pandoc writes it for KaTeX (`<span class="math inline">\(...\)</span>`; display: `math display`, `\[...\]`)."""
    _TOKEN = re.compile(r"cgptmath(\d+)x")

    def __init__(self): self.spans = []

    def _stash(self, m: re.Match) -> str:
        kind = next((k for k in ("display", "bdisplay", "binline", "inline") if m.group(k) is not None), None)
        # a `$` left in prose (or escaped, or in inline HTML's <code>) becomes `&#36;`: nbconvert's markdown
        # converter has math rules of its own, looser than pandoc's, and would pair it with another into raw text
        if m.group("dollar") or m.group("esc") == "\\$": return "&#36;"
        if m.group("esc") == "\\\\": return "&#92;"                    # `\\(` is text, not nbconvert's math either
        if m.group("tag") in ("pre", "code", "kbd", "samp"): return m.group(0).replace("$", "&#36;")
        if not kind: return m.group(0)                          # code, comments, escapes: as they are
        self.spans.append(("display" if "display" in kind else "inline", m.group(kind), m.group(0)))
        return f"cgptmath{len(self.spans) - 1}x"

    def protect(self, src: str) -> str:
        return "".join(text if code else _SPANS.sub(self._stash, text) for code, text in split_code(src))

    def _html(self, m: re.Match) -> str:
        kind, tex, _ = self.spans[int(m.group(1))]
        return (f'<span class="math display">\\[{html.escape(tex, quote=False)}\\]</span>' if kind == "display"
                else f'<span class="math inline">\\({html.escape(tex, quote=False)}\\)</span>')

    def restore(self, body: str) -> str:
        # inside a tag (a heading's id, an image's alt) the math goes back as its source text; elsewhere as markup
        if not self.spans: return body
        plain = lambda m: html.escape(self.spans[int(m.group(1))][2])
        body = re.sub(r"<[^<>]*cgptmath\d+x[^<>]*>", lambda t: self._TOKEN.sub(plain, t.group(0)), body)
        return self._TOKEN.sub(self._html, body)


_IMG_MD = re.compile(r"""!\[(?P<alt>(?:\\.|\[[^\]\n]*\]|[^\[\]\\])*)\]\(\s*(?P<src><[^<>\n]*>|[^\s()]+(?:\([^\s()]*\)[^\s()]*)*)
                         (?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)""", re.X)
_IMG_HTML = re.compile(r"<img\b[^>]*>", re.I)
_ATTR = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


def prose(src: str) -> str:
    "Markdown without its code (fenced blocks, code spans, raw-HTML code, comments), each replaced by a space."
    return "".join(" " if code else _SPANS.sub(lambda m: " " if m.group("code") or m.group("html") else m.group(0), text)
                   for code, text in split_code(src))


def markdown_images(src: str) -> list[tuple[str, str]]:
    "The images markdown shows, outside code: (alt text, src), from `![alt](src)` and from `<img>` tags."
    text, found = prose(src), []
    for m in _IMG_MD.finditer(text): found.append((m.group("alt").strip(), m.group("src").strip("<>")))
    for m in _IMG_HTML.finditer(text):
        a = {k.lower(): next(v for v in vals if v is not None) for k, *vals in _ATTR.findall(m.group(0))}
        found.append((a.get("alt", "").strip(), a.get("src", "")))
    return found


def is_local(src: str) -> bool:
    "A path relative to the page: not a URL (`https:`, `data:`), not absolute, not a fragment."
    return bool(src) and not re.match(r"^[a-zA-Z][\w+.-]*:", src) and not src.startswith(("/", "#"))


def _markdown(src: str, site_url: str, math: Math | None = None) -> str:
    "Markdown as CommonMark renderers read it: nbdev's absolute doc links made relative, math protected."
    src = _LINK_ATTRS.sub(r"\1", src)
    if site_url: src = src.replace(site_url, "")
    return math.protect(src) if math is not None else src


_EXPORTED = {"export", "exports", "exporti", "exec_doc"}
_re_showdoc = re.compile(r"^show_doc\(", re.MULTILINE)


def _runs_for_docs(cell) -> bool:
    "Exported cells (they define what show_doc documents, with their imports) and the show_doc cells."
    if cell.cell_type != "code" or not cell.source: return False
    if _re_showdoc.search(cell.source): return True
    d = getattr(cell, "directives_", None) or {}
    return bool(d.keys() & _EXPORTED) and d.get("eval:", [""])[0].lower() != "false"


def process_notebook(path: Path, errors: list, exact: bool = False):
    """nbdev's doc processing (what `nbdev_proc_nbs` does to a notebook before Quarto sees it).

    nbdev also runs every cell that has an import in it to draw `show_doc` output; with `exact=False` only the
    exported cells and the show_doc cells run: the same signatures and docstrings, without re-running the
    lesson's demos (subprocesses, model downloads' imports), so the whole site renders in seconds.
    A cell that fails is recorded in `errors` (nbdev would stop the docs build there) and skipped."""
    from execnb.nbio import read_nb
    from nbdev.processors import FilterDefaults, exec_show_docs

    class show_docs(exec_show_docs):
        def __call__(self, cell):
            if exact:
                try: super().__call__(cell)
                except Exception as e:
                    errors.append(f"{path.name} cell {cell.idx_}: {e.__cause__ or e}".splitlines()[0]); self.k.exc = None
                return
            if not self.nb.has_docs_ or not hasattr(self, "k") or not _runs_for_docs(cell): return
            self.k.cell(cell)
            if self.k.exc:
                errors.append(f"{path.name} cell {cell.idx_}: {self.k.exc}".splitlines()[0]); self.k.exc = None

    class Filter(FilterDefaults):
        def base_procs(self): return [show_docs if p is exec_show_docs else p for p in super().base_procs()]

    nb = read_nb(path)
    Filter()(nb)
    return nb


def to_nbformat(nb, site_url: str, math: Math | None = None):
    """The processed notebook as an nbformat notebook, with Quarto's cell options applied; its markdown's math
    goes into `math` (restore it in the HTML)."""
    import nbformat
    cells = []
    for c in nb.cells:
        if c.cell_type == "raw": continue                       # the YAML front matter cell nbdev inserts
        if c.cell_type == "markdown":
            if c.source.startswith("<!-- WARNING: THIS FILE WAS AUTOGENERATED"): continue
            cells.append(nbformat.v4.new_markdown_cell(_markdown(c.source, site_url, math))); continue
        opts, src = quarto_options(c.source)
        if opts.get("include") == "false": continue
        outputs = [_clean_output(o) for o in c.get("outputs", [])]
        if opts.get("output") == "asis":                        # show_doc: its markdown becomes page text
            md = "\n".join(o["data"]["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {}))
            if md: cells.append(nbformat.v4.new_markdown_cell(_markdown(md, site_url, math)))
            continue
        if opts.get("output") == "false": outputs = []
        if opts.get("echo") == "false" and not outputs: continue
        for o in outputs:                                      # outputs may carry markdown with nbdev links too
            if "text/markdown" in o.get("data", {}): o["data"]["text/markdown"] = _markdown(o["data"]["text/markdown"], site_url, math)
        cell = nbformat.v4.new_code_cell(src, outputs=outputs)
        if opts.get("echo") == "false": cell.metadata["tags"] = ["remove_input"]
        elif opts.get("code-fold") in ("true", "show"):         # Quarto: true starts folded, show starts open
            cell.metadata["code_fold"] = {"summary": opts.get("code-summary", "Code"), "open": opts["code-fold"] == "show"}
        cells.append(cell)
    return nbformat.v4.new_notebook(cells=cells, metadata={"language_info": {"name": "python"}})


# nbconvert's basic template, with a code cell's input wrapped in <details> when the cell asks for `code-fold`:
# the markup Quarto writes for a folded cell (`details.code-fold`, its `summary` the `code-summary` text)
FOLD_TEMPLATE = """{%- extends 'basic/index.html.j2' -%}
{% block input_group -%}
{%- set fold = cell.metadata.get('code_fold') -%}
{%- if fold -%}
<details class="code-fold"{{ ' open' if fold.open }}><summary>{{ fold.summary | escape }}</summary>
{{ super() }}
</details>
{%- else -%}
{{ super() }}
{%- endif -%}
{%- endblock input_group %}
"""


def _exporter():
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from traitlets.config import Config
    cfg = Config()
    cfg.TagRemovePreprocessor.enabled = True
    cfg.TagRemovePreprocessor.remove_input_tags = {"remove_input"}
    # our own notebooks: skip nbconvert's HTML sanitizer (bleach), a third of the render time, so every
    # cell's input and output is shown exactly as stored
    return HTMLExporter(config=cfg, template_name="basic", exclude_input_prompt=True, exclude_output_prompt=True,
                        filters={"clean_html": lambda s: s}, extra_loaders=[DictLoader({"fold.html.j2": FOLD_TEMPLATE})],
                        template_file="fold.html.j2")


def _inline(title: str) -> str:
    "A title as HTML: escaped, `code` spans shown as code, math marked for KaTeX (titles are one line of markdown)."
    m = Math()
    text = m.protect(title).replace("&#36;", "$").replace("&#92;", "\\\\")
    return m.restore(re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text)))


def _lower_ids(body: str) -> str:
    "Heading ids in lower case, as Quarto writes them, so nbdev's links (`optim.html#schedule`) land."
    body = re.sub(r'(<h[1-6] id=")([^"]*)"', lambda m: m.group(1) + m.group(2).lower() + '"', body)
    return re.sub(r'(class="anchor-link" href="#)([^"]*)"', lambda m: m.group(1) + m.group(2).lower() + '"', body)


def core_path(nbs_path: Path = ROOT / "nbs") -> list[str]:
    "The notebooks the sidebar stars (nbs/sidebar.yml, Quarto's sidebar for the real site): the core path."
    import yaml
    contents = yaml.safe_load((nbs_path / "sidebar.yml").read_text(encoding="utf-8"))["website"]["sidebar"]["contents"]
    return [e["href"] for e in contents if isinstance(e, dict) and str(e.get("text", "")).startswith("★")]


def _nav(pages: list, current: str) -> str:
    items, core = [], set(core_path())
    for p in pages:
        num = re.match(r"(\d+)_", p["src"])
        cls = ' class="current" aria-current="page"' if p["href"] == current else ""
        label = f'<span class="num">{num.group(1)}</span>' if num else '<span class="num">·</span>'
        star = '<span class="core" title="core path">★ </span>' if p["src"] in core else ""
        items.append(f'<li><a href="{p["href"]}"{cls}>{label}{star}{_inline(p["title"])}</a></li>')
    return "\n".join(items)


def _pager(pages: list, i: int) -> str:
    out = []
    if i > 0:
        p = pages[i - 1]; out.append(f'<a class="prev" rel="prev" href="{p["href"]}"><small>← Previous</small>{_inline(p["title"])}</a>')
    if i < len(pages) - 1:
        p = pages[i + 1]; out.append(f'<a class="next" rel="next" href="{p["href"]}"><small>Next →</small>{_inline(p["title"])}</a>')
    return "".join(out)


def katex_dist() -> Path:
    "KaTeX's dist/ folder, as npm installed it; when it is missing, a one-line error naming the install command."
    try: version = json.loads((KATEX_DIR / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError): version = None
    missing = [f for f in KATEX_FILES if not (KATEX_DIR / "dist" / f).exists()]
    if version != KATEX_VERSION or missing:
        found = (f"KaTeX {version} is in {KATEX_DIR.relative_to(ROOT)}" + (f" without {', '.join(missing)}" if missing else "")
                 if version else "KaTeX is not installed")
        raise RuntimeError(f"{found}: the site typesets math with KaTeX {KATEX_VERSION} from npm; "
                           f"in the repository root run: {KATEX_INSTALL}")
    return KATEX_DIR / "dist"


def copy_katex(out_dir: Path) -> None:
    "KaTeX's script, style sheet, fonts and auto-render extension into `out_dir`/katex/, as the pages load them."
    dist = katex_dist()
    for f in KATEX_FILES:
        src, dst = dist / f, out_dir / "katex" / f
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir(): shutil.copytree(src, dst, dirs_exist_ok=True)
        else: shutil.copy2(src, dst)


def copy_images(nb, name: str, nbs_path: Path, out_dir: Path, missing: list) -> list[str]:
    "The local images the notebook's markdown shows, copied to the same path relative to the page."
    from urllib.parse import unquote
    copied, root = [], nbs_path.resolve()
    for c in nb.cells:
        if c.cell_type != "markdown": continue
        for _, src in markdown_images(c.source):
            if not is_local(src): continue
            rel = unquote(re.split(r"[?#]", src)[0])
            path = (nbs_path / rel).resolve()
            if not path.is_file() or not path.is_relative_to(root):
                missing.append(f"{name}: {src}"); continue
            dst = out_dir / path.relative_to(root)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dst); copied.append(path.relative_to(root).as_posix())
    return copied


def render_site(out_dir: Path, nbs_path: Path | None = None, exact: bool = False, verbose: bool = True) -> dict:
    """Write one HTML page per notebook (index first, then lessons in file-name order) into `out_dir`, with
    KaTeX (in katex/) and the local images the pages show. Raises RuntimeError when KaTeX is not installed."""
    from pygments.formatters import HtmlFormatter
    from nbdev.config import get_config
    t0 = time.time()
    katex_dist()                                               # before the slow part: fail at once without it
    os.chdir(ROOT)                                             # nbdev reads settings.ini from the working dir
    os.environ["IN_TEST"] = "1"                                # as nbdev's docs driver does
    warnings.simplefilter("ignore")                            # nbdev warns about cells mixing imports and code
    cfg = get_config()
    nbs_path = Path(nbs_path or cfg.nbs_path)
    site_url = f"{cfg.doc_host.rstrip('/')}{cfg.doc_baseurl.rstrip('/')}/"
    files = sorted(p for p in nbs_path.glob("*.ipynb") if not p.name.startswith(("_", ".")))
    files.sort(key=lambda p: p.name != "index.ipynb")         # index first, then 00_..., 01_...
    errors, pages = [], []
    for f in files:
        nb = process_notebook(f, errors, exact)
        fm = getattr(nb, "frontmatter_", {})
        href = fm.get("output-file") or f.with_suffix(".html").name
        pages.append(dict(src=f.name, href=href, title=fm.get("title", f.stem), description=fm.get("description", ""), nb=nb))
    out_dir = Path(out_dir); out_dir.mkdir(parents=True, exist_ok=True)
    copy_katex(out_dir)
    exporter, pyg = _exporter(), HtmlFormatter(style="friendly").get_style_defs(".highlight")
    images, missing, math = set(), [], {}
    for i, p in enumerate(pages):
        m = Math()
        body, _ = exporter.from_notebook_node(to_nbformat(p["nb"], site_url, m))
        math[p["href"]] = len(m.spans)
        images.update(copy_images(p["nb"], p["src"], nbs_path, out_dir, missing))
        page = PAGE.format(title=_inline(p["title"]), plain_title=html.escape(p["title"].replace("`", "")), description=_inline(p["description"]), plain_description=html.escape(p["description"].replace("`", "")), site=html.escape(cfg.title),
                           css=CSS, pygments=pyg, katex_js=KATEX_JS, nav=_nav(pages, p["href"]), body=_lower_ids(m.restore(body)), pager=_pager(pages, i))
        (out_dir / p["href"]).write_text(page, encoding="utf-8")
    secs = time.time() - t0
    if verbose:
        print(f"rendered {len(pages)} pages into {out_dir} in {secs:.1f}s; open {out_dir / 'index.html'}")
        if errors:
            why = ("nbdev runs every cell with an import to draw show_doc: give imports their own cell" if exact
                   else "an exported or show_doc cell failed")
            print(f"warning: {len(errors)} cells would stop `nbdev_docs` ({why}):")
            for e in errors: print("  " + e)
        if missing: print(f"warning: {len(missing)} images the pages show are not files under {nbs_path}: " + ", ".join(missing))
    return dict(pages=[(p["src"], p["href"], p["title"]) for p in pages], errors=errors, seconds=secs,
                math=math, images=sorted(images), missing_images=missing)


if __name__ == "__main__":
    args = sys.argv[1:]
    exact = "--nbdev-exact" in args
    args = [a for a in args if a != "--nbdev-exact"]
    out = Path(args[0]).resolve() if args else ROOT / "test_artifacts" / "site"
    try: status = 1 if render_site(out, exact=exact)["errors"] else 0
    except RuntimeError as e: print(f"error: {e}", file=sys.stderr); sys.exit(2)
    sys.stdout.flush(); sys.stderr.flush()
    os._exit(status)      # every page is written and closed; skip the ~9 s teardown of nbdev's in-process IPython shells
