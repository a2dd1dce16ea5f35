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

Usage: python tests/render_site.py [OUT_DIR] [--nbdev-exact]
  OUT_DIR defaults to test_artifacts/site/ (git-ignored); then open OUT_DIR/index.html.
  --nbdev-exact runs, like nbdev, every cell with an import in it to draw show_doc (slower; reports the
  cells that would stop `nbdev_docs`). Exit status 1 when any cell needed for the docs failed.
"""
from __future__ import annotations

import html
import os
import re
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

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
<style>{css}</style><style>{pygments}</style></head>
<body><nav class="sidebar" aria-label="Lessons"><a class="brand" href="index.html">{site}</a><ol>
{nav}
</ol></nav>
<main><header class="page"><h1 class="title">{title}</h1><p class="description">{description}</p></header>
{body}
<nav class="pager" aria-label="Previous and next lesson">{pager}</nav></main></body></html>
"""

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


def _markdown(src: str, site_url: str) -> str:
    "Markdown as CommonMark renderers read it: nbdev's absolute doc links made relative."
    src = _LINK_ATTRS.sub(r"\1", src)
    return src.replace(site_url, "") if site_url else src


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


def to_nbformat(nb, site_url: str):
    "The processed notebook as an nbformat notebook, with Quarto's cell options applied."
    import nbformat
    cells = []
    for c in nb.cells:
        if c.cell_type == "raw": continue                       # the YAML front matter cell nbdev inserts
        if c.cell_type == "markdown":
            if c.source.startswith("<!-- WARNING: THIS FILE WAS AUTOGENERATED"): continue
            cells.append(nbformat.v4.new_markdown_cell(_markdown(c.source, site_url))); continue
        opts, src = quarto_options(c.source)
        if opts.get("include") == "false": continue
        outputs = [_clean_output(o) for o in c.get("outputs", [])]
        if opts.get("output") == "asis":                        # show_doc: its markdown becomes page text
            md = "\n".join(o["data"]["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {}))
            if md: cells.append(nbformat.v4.new_markdown_cell(_markdown(md, site_url)))
            continue
        if opts.get("output") == "false": outputs = []
        if opts.get("echo") == "false" and not outputs: continue
        for o in outputs:                                      # outputs may carry markdown with nbdev links too
            if "text/markdown" in o.get("data", {}): o["data"]["text/markdown"] = _markdown(o["data"]["text/markdown"], site_url)
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
    "A title as HTML: escaped, `code` spans shown as code (titles are one line of markdown)."
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(title))


def _lower_ids(body: str) -> str:
    "Heading ids in lower case, as Quarto writes them, so nbdev's links (`optim.html#schedule`) land."
    body = re.sub(r'(<h[1-6] id=")([^"]*)"', lambda m: m.group(1) + m.group(2).lower() + '"', body)
    return re.sub(r'(class="anchor-link" href="#)([^"]*)"', lambda m: m.group(1) + m.group(2).lower() + '"', body)


def _nav(pages: list, current: str) -> str:
    items = []
    for p in pages:
        num = re.match(r"(\d+)_", p["src"])
        cls = ' class="current" aria-current="page"' if p["href"] == current else ""
        label = f'<span class="num">{num.group(1)}</span>' if num else '<span class="num">·</span>'
        items.append(f'<li><a href="{p["href"]}"{cls}>{label}{_inline(p["title"])}</a></li>')
    return "\n".join(items)


def _pager(pages: list, i: int) -> str:
    out = []
    if i > 0:
        p = pages[i - 1]; out.append(f'<a class="prev" rel="prev" href="{p["href"]}"><small>← Previous</small>{_inline(p["title"])}</a>')
    if i < len(pages) - 1:
        p = pages[i + 1]; out.append(f'<a class="next" rel="next" href="{p["href"]}"><small>Next →</small>{_inline(p["title"])}</a>')
    return "".join(out)


def render_site(out_dir: Path, nbs_path: Path | None = None, exact: bool = False, verbose: bool = True) -> dict:
    "Write one HTML page per notebook (index first, then lessons in file-name order) into `out_dir`."
    from pygments.formatters import HtmlFormatter
    from nbdev.config import get_config
    t0 = time.time()
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
    exporter, pyg = _exporter(), HtmlFormatter(style="friendly").get_style_defs(".highlight")
    for i, p in enumerate(pages):
        body, _ = exporter.from_notebook_node(to_nbformat(p["nb"], site_url))
        page = PAGE.format(title=_inline(p["title"]), plain_title=html.escape(p["title"].replace("`", "")), description=_inline(p["description"]), plain_description=html.escape(p["description"].replace("`", "")), site=html.escape(cfg.title),
                           css=CSS, pygments=pyg, nav=_nav(pages, p["href"]), body=_lower_ids(body), pager=_pager(pages, i))
        (out_dir / p["href"]).write_text(page, encoding="utf-8")
    secs = time.time() - t0
    if verbose:
        print(f"rendered {len(pages)} pages into {out_dir} in {secs:.1f}s; open {out_dir / 'index.html'}")
        if errors:
            why = ("nbdev runs every cell with an import to draw show_doc: give imports their own cell" if exact
                   else "an exported or show_doc cell failed")
            print(f"warning: {len(errors)} cells would stop `nbdev_docs` ({why}):")
            for e in errors: print("  " + e)
    return dict(pages=[(p["src"], p["href"], p["title"]) for p in pages], errors=errors, seconds=secs)


if __name__ == "__main__":
    args = sys.argv[1:]
    exact = "--nbdev-exact" in args
    args = [a for a in args if a != "--nbdev-exact"]
    out = Path(args[0]).resolve() if args else ROOT / "test_artifacts" / "site"
    status = 1 if render_site(out, exact=exact)["errors"] else 0
    sys.stdout.flush(); sys.stderr.flush()
    os._exit(status)      # every page is written and closed; skip the ~9 s teardown of nbdev's in-process IPython shells
