"""The docs site, rendered offline (tests/render_site.py: nbdev's processors + nbconvert, no Quarto), then
opened in a real headless Chromium. Screenshots are kept in test_artifacts/site/ for a person to look at.

Chromium is a system package (`apt-get install chromium`); CI installs it. Outside CI the browser checks
skip when it is missing; in CI (`CI=true`) they fail, so a broken install cannot pass unnoticed.
KaTeX (math) is an npm package the site carries: without it render_site stops with the command that installs
it (`render_site.KATEX_INSTALL`), and every test here that needs the site errors with that line."""
from __future__ import annotations

import base64
import functools
import html
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests"))
import render_site as rs  # noqa: E402
from render_site import render_site  # noqa: E402

ARTIFACTS = ROOT / "test_artifacts" / "site"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def lessons() -> list[Path]:
    return sorted((ROOT / "nbs").glob("[0-9][0-9]_*.ipynb"))


def page_name(nb: Path) -> str:
    "nbdev's page name for a notebook: the number prefix dropped (00_core.ipynb -> core.html)."
    return re.sub(r"^\d+_", "", nb.stem) + ".html"


def first_title(nb: Path) -> str:
    "The `# Title` of the notebook's first markdown cell."
    import nbformat
    md = next(c.source for c in nbformat.read(nb, as_version=4).cells if c.cell_type == "markdown")
    return re.search(r"^#\s+(.+?)\s*$", md, re.M).group(1)


class Links(HTMLParser):
    "Every href and img src in a page, and which hrefs sit in the sidebar or pager."
    def __init__(self):
        super().__init__(); self.hrefs, self.nav_hrefs, self.imgs, self.assets, self._nav = [], [], [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "nav": self._nav += 1
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
            if self._nav: self.nav_hrefs.append(a["href"])
        if tag == "img": self.imgs.append(a.get("src") or "")
        if tag == "script" and a.get("src"): self.assets.append(a["src"])
        if tag == "link" and a.get("rel") == "stylesheet": self.assets.append(a.get("href") or "")

    def handle_endtag(self, tag):
        if tag == "nav": self._nav -= 1


@functools.lru_cache(maxsize=None)
def parse(page: Path) -> Links:
    "A page's links, parsed once per run (pages are written once, by the `site` fixture): read them, never change them."
    p = Links(); p.feed(page.read_text(encoding="utf-8")); return p


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    "The site, rendered once per run: `pytest -n 2` workers share it through a lock (pytest-xdist's recipe)."
    import json
    from filelock import FileLock
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"): shared = shared.parent
    out, done = shared / "site", shared / "site.json"
    with FileLock(str(shared / "site.lock")):
        if not done.is_file():
            done.write_text(json.dumps(render_site(out, verbose=False)))
    return out, json.loads(done.read_text())


def test_every_lesson_has_a_page_in_order(site):
    out, info = site
    assert (out / "index.html").is_file()
    for nb in lessons(): assert (out / page_name(nb)).is_file(), f"no page for {nb.name}"
    srcs = [p[0] for p in info["pages"]]
    assert srcs == ["index.ipynb"] + [nb.name for nb in lessons()], srcs
    assert not info["errors"], "cells the docs need failed to run:\n" + "\n".join(info["errors"])


def test_sidebar_lists_lessons_in_order_with_their_titles(site):
    out, _ = site
    page = parse(out / "index.html")
    expected = ["index.html"] + [page_name(nb) for nb in lessons()]
    assert list(dict.fromkeys(h for h in page.nav_hrefs if h in expected)) == expected
    text = (out / "index.html").read_text(encoding="utf-8")
    for nb in lessons():
        title = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(first_title(nb)))
        assert title in text, f"sidebar misses the title of {nb.name}: {title!r}"


def test_sidebar_yml_lists_every_notebook_and_stars_the_core_path(site):
    "nbs/sidebar.yml is Quarto's sidebar (custom_sidebar = True): every notebook in order, starred ones titled."
    import yaml
    contents = yaml.safe_load((ROOT / "nbs" / "sidebar.yml").read_text(encoding="utf-8"))["website"]["sidebar"]["contents"]
    hrefs = [e if isinstance(e, str) else e["href"] for e in contents]
    assert hrefs == ["index.ipynb"] + [nb.name for nb in lessons()], hrefs
    core = rs.core_path()
    assert len(core) >= 6, core
    for e in contents:
        if isinstance(e, dict): assert e["text"] == "★ " + first_title(ROOT / "nbs" / e["href"]), e
    out, _ = site
    page = (out / "index.html").read_text(encoding="utf-8")
    starred = re.findall(r'<a href="([^"]+)"[^>]*><span class="num">[^<]*</span><span class="core"', page)
    assert starred == [page_name(ROOT / "nbs" / n) for n in core], starred
    assert "custom_sidebar = True" in (ROOT / "settings.ini").read_text()


def test_every_local_link_resolves(site):
    out, _ = site
    for page in sorted(out.glob("*.html")):
        links = parse(page)
        assert links.nav_hrefs, f"{page.name} has no navigation"
        for href in links.hrefs:
            if re.match(r"^[a-z]+:", href) or href.startswith("#"): continue   # external, or same page
            target = href.split("#")[0]
            assert (out / target).is_file(), f"{page.name} links to missing {href}"


def test_prev_next_links(site):
    out, _ = site
    order = ["index.html"] + [page_name(nb) for nb in lessons()]
    for i, name in enumerate(order):
        text = (out / name).read_text(encoding="utf-8")
        prev = re.search(r'rel="prev" href="([^"]+)"', text)
        nxt = re.search(r'rel="next" href="([^"]+)"', text)
        assert (prev.group(1) if prev else None) == (order[i - 1] if i else None), name
        assert (nxt.group(1) if nxt else None) == (order[i + 1] if i + 1 < len(order) else None), name


def test_plots_are_embedded_and_hidden_cells_are_not(site):
    out, _ = site
    big = {}
    for page in out.glob("*.html"):
        for src in parse(page).imgs:
            m = re.match(r"data:image/png;base64,(.+)", src, re.S)
            if m:
                png = base64.b64decode(m.group(1))
                assert png[:8] == b"\x89PNG\r\n\x1a\n"
                if len(png) > 1024: big.setdefault(page.name, len(png))
    assert "optim.html" in big, f"the schedules plot is missing from optim.html (pages with plots: {sorted(big)})"
    for page in out.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        shown = re.findall(r'<span class="c1">(#\|[^<]*)</span>', text)     # a code comment starting `#|`
        assert not shown, f"{page.name} shows nbdev/Quarto directive lines: {shown[:3]}"
    # a hidden cell's code never reaches a page: 08_optim's first `#| hide` cell
    import nbformat
    hidden = [c.source for c in nbformat.read(ROOT / "nbs/08_optim.ipynb", as_version=4).cells
              if c.cell_type == "code" and re.search(r"^#\|\s*hide\s*$", c.source, re.M)]
    assert hidden
    line = next(l for l in hidden[0].splitlines()[1:] if len(l.strip()) > 20).strip()
    assert html.escape(line) not in (out / "optim.html").read_text(encoding="utf-8")


def folded_cells(nb: Path) -> list[str]:
    "The code (directives removed) of the cells a page shows folded: `#| code-fold: true`, not hidden."
    import nbformat
    out = []
    for c in nbformat.read(nb, as_version=4).cells:
        lines = c.source.splitlines() if c.cell_type == "code" else []
        dirs = [l.replace(" ", "") for l in lines if l.startswith("#|")]
        if "#|code-fold:true" in dirs and not {"#|hide", "#|include:false", "#|echo:false"} & set(dirs):
            out.append("\n".join(l for l in lines if not l.startswith("#|")))
    return out


def test_teaching_code_is_on_the_page(site):
    "Cells marked `#| exports` are the lesson itself: their code is on the page (nbdev shows it in an open Exported source fold)."
    out, _ = site
    def shown(name: str) -> str:   # the page's text without closed folds (solutions), tags stripped (pygments splits tokens)
        page = re.sub(r'<details class="code-fold">.*?</details>', "", (out / name).read_text(encoding="utf-8"), flags=re.S)
        return html.unescape(re.sub(r"<[^>]+>", "", page))
    model = shown("model.html")
    for name in ("class CausalSelfAttention", "class MLP", "class Block", "class GPT", "class RMSNorm", "def apply_rope"):
        assert name in model, name
    assert model.count("def forward") >= 5, model.count("def forward")   # attention, MLP, block, GPT, RMSNorm
    attention = shown("attention.html")
    assert "def attention" in attention and "masked_fill" in attention and "class MultiHeadAttention" in attention
    for page, code in [("tokenizers.html", "def merge_pair"), ("loading.html", "def draw_shift"), ("generate.html", "def top_p_filter"),
                       ("optim.html", "class Schedule"), ("distributed.html", "def accumulate"), ("trainer.html", "def train_step")]:
        assert code in shown(page), (page, code)


def test_solutions_are_folded(site):
    "Each lesson's `#| code-fold: true` cells (the exercises' solutions) become closed <details>, as Quarto makes them."
    out, _ = site
    folded_pages = 0
    for nb in lessons():
        text = (out / page_name(nb)).read_text(encoding="utf-8")
        blocks = re.findall(r'<details class="code-fold"( open)?><summary>([^<]*)</summary>(.*?)</details>', text, re.S)
        cells = folded_cells(nb)
        assert len(blocks) == len(cells), f"{page_name(nb)}: {len(blocks)} folded blocks for {len(cells)} code-fold cells"
        for (opened, summary, body), code in zip(blocks, cells):
            assert not opened and summary == "Solution", (page_name(nb), opened, summary)
            shown = html.unescape(re.sub(r"<[^>]+>", "", body))               # the highlighted code as text
            line = max(code.splitlines(), key=len).strip()
            assert line in shown, f"{page_name(nb)}: {line!r} is not inside its <details>"
        folded_pages += bool(cells)
    assert folded_pages >= 10, f"only {folded_pages} lessons have folded solutions"


# --- a real browser -------------------------------------------------------------------------------------

def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe: return exe
    msg = "Chromium is not installed: `apt-get install chromium` (Debian/Ubuntu; CI's .ci/run installs it)"
    if IN_CI: pytest.fail(msg)
    pytest.skip(msg)


def browse(exe: str, url: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-quic", "--hide-scrollbars",
           f"--user-data-dir={profile}", *args, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", ["index", "optim", "attention"])
def test_pages_load_in_headless_chromium(site, tmp_path, name):
    exe = chromium()
    out, _ = site
    page = out / f"{name}.html"
    title = "cleangpt" if name == "index" else first_title(ROOT / "nbs" / {"optim": "08_optim.ipynb", "attention": "04_attention.ipynb"}[name])
    r = browse(exe, page.as_uri(), tmp_path / "profile", "--dump-dom")
    assert r.returncode == 0, r.stderr[-2000:]
    dom = r.stdout
    assert f'<h1 class="title">{title}</h1>' in dom, f"{name}.html: the browser's DOM has no title {title!r}"
    assert 'class="sidebar"' in dom and 'aria-current="page"' in dom
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    shot.unlink(missing_ok=True)
    r = browse(exe, page.as_uri(), tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,900")
    assert r.returncode == 0 and shot.is_file(), r.stderr[-2000:]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000, f"{shot}: {len(png)} bytes, a blank page?"
    w, h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (w, h) == (1200, 900), (w, h)


def test_a_plot_shows_in_headless_chromium(site, tmp_path):
    "Lesson 08 from the cell with its first plot on (optim-plot.png, for a person to look at)."
    exe = chromium()
    out, _ = site
    text = (out / "optim.html").read_text(encoding="utf-8")
    cell = re.findall(r'id="cell-id=([^"]+)"', text[:re.search(r'<img[^>]*src="data:image/png', text).start()])[-1]
    # headless Chromium paints a blank page when asked to scroll to a #fragment: hide what comes before instead
    css = (f'<style>header.page,main>.cell{{display:none}} main>[id="cell-id={cell}"],'
           f'main>[id="cell-id={cell}"]~.cell{{display:block}}</style></head>')
    page = tmp_path / "optim-plot-view.html"          # not in the shared site: other workers read that
    page.write_text(text.replace("</head>", css, 1), encoding="utf-8")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "optim-plot.png"
    shot.unlink(missing_ok=True)
    r = browse(exe, page.as_uri(), tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,900")
    assert r.returncode == 0 and shot.is_file(), r.stderr[-2000:]
    assert len(shot.read_bytes()) > 20_000, "a blank screenshot"


def test_solution_unfolds_in_headless_chromium(site, tmp_path):
    "Lesson 04's first solution: the browser does not render its code while folded, and does once it is opened."
    exe = chromium()
    out, _ = site
    probe = """<script>
    const d = document.querySelector("details.code-fold:not([open])"), code = d.querySelector("pre");   // "Exported source" folds start open
    const shown = () => code.checkVisibility();        // false inside a closed <details> (content-visibility: hidden)
    const folded = shown(); d.open = true; const opened = shown();
    document.body.dataset.probe = `summary=${d.querySelector("summary").textContent} folded=${folded} opened=${opened}`;
    </script></body>"""
    page = tmp_path / "attention-fold.html"            # a copy: other workers read the shared site
    page.write_text((out / "attention.html").read_text(encoding="utf-8").replace("</body>", probe, 1), encoding="utf-8")
    r = browse(exe, page.as_uri(), tmp_path / "profile", "--dump-dom")
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'data-probe="summary=Solution folded=false opened=true"' in r.stdout, re.findall(r'data-probe="[^"]*"', r.stdout)


# --- math and diagrams ------------------------------------------------------------------------------------
# Lessons write math as Quarto reads it (pandoc's `$...$` and `$$...$$`); render_site marks it `span.math` and
# the page typesets it with KaTeX, carried in the site (katex/). Diagrams are image files under nbs/ that the
# markdown shows (`![what it shows](images/name.svg)`); render_site copies them next to the pages.

def notebooks(nbs: Path = ROOT / "nbs") -> list[Path]:
    "The notebooks the site has a page for: index, then the lessons."
    return sorted((p for p in nbs.glob("*.ipynb") if not p.name.startswith(("_", "."))), key=lambda p: (p.name != "index.ipynb", p.name))


def markdown_cells(nb: Path) -> list[str]:
    return [c["source"] if isinstance(c["source"], str) else "".join(c["source"])
            for c in json.loads(nb.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "markdown"]


def math_count(nb: Path) -> int:
    "The formulas the notebook's markdown typesets (math in an image's alt text stays text)."
    return sum(len(rs.math_spans(rs._IMG_MD.sub(" ", md))) for md in markdown_cells(nb))


def local_images(nb: Path) -> list[tuple[str, str]]:
    "(alt, src) of every image the notebook's markdown shows (remote ones too: `src` is then not local)."
    return [im for md in markdown_cells(nb) for im in rs.markdown_images(md)]


def diagrams(nbs: Path = ROOT / "nbs") -> dict[str, set[str]]:
    "Numbered lesson -> the image files under nbs/ its markdown shows (paths relative to nbs/)."
    out = {}
    for nb in sorted(nbs.glob("[0-9][0-9]_*.ipynb")):
        files = {os.path.normpath(unquote(src)) for _, src in local_images(nb) if rs.is_local(src) and (nbs / unquote(src)).is_file()}
        if files: out[nb.name] = files
    return out


def test_math_in_markdown_is_what_quarto_reads():
    """Per markdown cell: `$$` paired; no `\\(...\\)` or `\\[...\\]` (Quarto's pandoc reads them as escaped brackets,
    quarto-cli#2924: the real site would show `(x_1)`); no inline math that swallowed a code span (a lone `$` in
    prose pairs with one in later code: write it `\\$`)."""
    problems = []
    for nb in notebooks():
        for i, md in enumerate(markdown_cells(nb)):
            text = rs.prose(md).replace("\\\\", "").replace("\\$", "")
            if text.count("$$") % 2: problems.append(f"{nb.name} markdown cell {i}: an odd number of `$$`")
            for kind, tex, src in rs.math_spans(md):
                if src.startswith(("\\(", "\\[")): problems.append(f"{nb.name} markdown cell {i}: {src[:40]!r} uses \\( or \\[: write $...$ or $$...$$")
                if kind == "inline" and "`" in tex: problems.append(f"{nb.name} markdown cell {i}: math {src[:60]!r} holds a backtick: a stray `$`?")
    assert not problems, "\n".join(problems)


def test_markdown_readers_on_known_cases(tmp_path):
    "The math and image readers that render_site and these tests share, on the cases that trip markdown up."
    md = r"""Attention is $\mathrm{softmax}(QK^\top/\sqrt{d_k})V$; next $x_{t+1}$, a product $a_i * b_i$; costs $5 and $10.
Code keeps its dollars: `echo $HOME $x$`, <code>$y$</code>, \$3 is text, $\text{\$5}$ is math.

$$
\begin{aligned}
y_t &= a_t * x_t \\
z &= \frac{1}{2}
\end{aligned}
$$

```bash
echo $PATH $$ $z_1$
```
![The attention pattern, $T \times T$](images/attn.svg "a title") ![](images/no-alt.png) <img src="images/c.svg" alt="C">
`![not an image](images/in-code.svg)` ![remote](https://example.com/x.png)"""
    spans = [(k, t) for k, t, _ in rs.math_spans(md)]
    assert spans == [("inline", r"\mathrm{softmax}(QK^\top/\sqrt{d_k})V"), ("inline", "x_{t+1}"), ("inline", "a_i * b_i"),
                     ("inline", r"\text{\$5}"), ("display", "\n\\begin{aligned}\ny_t &= a_t * x_t \\\\\nz &= \\frac{1}{2}\n\\end{aligned}\n"),
                     ("inline", r"T \times T")], spans
    assert rs.markdown_images(md) == [("The attention pattern, $T \\times T$", "images/attn.svg"), ("", "images/no-alt.png"),
                                      ("remote", "https://example.com/x.png"), ("C", "images/c.svg")]
    # the markdown converter sees no math: tokens in its place, and the HTML gets back exactly the source's TeX
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    m = rs.Math()
    out = m.restore(markdown2html_mistune(m.protect(md)))
    tex = [html.unescape(t) for t in re.findall(r'<span class="math (?:inline|display)">\\[(\[](.*?)\\[)\]]</span>', out, re.S)]
    assert tex == [t for _, t in spans][:-1], tex                            # the last is in an alt text
    assert "<code>echo $HOME $x$</code>" in out and "costs $5 and $10." in out and "$3 is text" in out
    assert 'alt="The attention pattern, $T \\times T$"' in out                # math in an attribute: its source text
    # the diagram count: lessons (numbered notebooks) only, files that exist, each file once per lesson
    nbs = tmp_path / "nbs"; (nbs / "images").mkdir(parents=True)
    for f in ("a.svg", "b.svg"): (nbs / "images" / f).write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    def nb(name, *cells):
        (nbs / name).write_text(json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": c} for c in cells],
                                            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    nb("01_one.ipynb", "![A](images/a.svg) ![B](./images/b.svg)", "![A again](images/a.svg) `![code](images/b.svg)`")
    nb("02_two.ipynb", "![missing](images/nope.svg)")
    nb("index.ipynb", "![B](images/b.svg)")
    assert diagrams(nbs) == {"01_one.ipynb": {"images/a.svg", "images/b.svg"}}


def test_images_exist_and_have_alt_text():
    "Every image a notebook's markdown shows is a file under nbs/ (the site is offline) and says what it shows."
    problems = []
    for nb in notebooks():
        for alt, src in local_images(nb):
            if not rs.is_local(src): problems.append(f"{nb.name}: {src} is not a file under nbs/"); continue
            path = (nb.parent / unquote(src.split("#")[0].split("?")[0])).resolve()
            if not path.is_relative_to((ROOT / "nbs").resolve()) or not path.is_file(): problems.append(f"{nb.name}: {src} is missing")
            if not alt: problems.append(f"{nb.name}: {src} has no alt text")
    assert not problems, "\n".join(problems)


def test_katex_and_images_are_in_the_site(site):
    "Every page loads KaTeX from the site itself (relative paths, no CDN), and every image it shows is there."
    out, info = site
    assert not info["missing_images"], info["missing_images"]
    for page in sorted(out.glob("*.html")):
        links = parse(page)
        for want in ("katex/katex.min.css", "katex/katex.min.js", "katex/contrib/auto-render.min.js"):
            assert want in links.assets, f"{page.name} does not load {want}"
        for src in links.assets + [s for s in links.imgs if not s.startswith("data:")]:
            assert rs.is_local(src), f"{page.name} loads {src} from outside the site"
            assert (out / unquote(src.split("#")[0].split("?")[0])).is_file(), f"{page.name} loads missing {src}"
    assert sorted((out / "katex" / "fonts").glob("KaTeX_Main-Regular.*")), "KaTeX's fonts are not in the site"
    assert "renderMathInElement" in (out / "index.html").read_text(encoding="utf-8")


def test_the_test_command_installs_the_pinned_katex():
    import test_repo
    assert rs.KATEX_INSTALL in test_repo.readme_commands()[1], f"the README's test command must run: {rs.KATEX_INSTALL}"
    assert re.fullmatch(r"0\.16\.\d+", rs.KATEX_VERSION)


# A page's probe, run in the browser once the page has loaded (fonts included): what KaTeX typeset, each formula
# typeset again strictly (throwOnError: false draws an unknown command in red and carries on), the images, and
# the page's visible text without code and typeset math (raw TeX left there is math that was not typeset).
PROBE_JS = r"""
function probe(win) {
  const doc = win.document, r = {warnings: [], errors: [], tex: []};
  r.math = doc.querySelectorAll("span.math").length;
  r.katex = doc.querySelectorAll(".katex").length;
  for (const e of doc.querySelectorAll(".katex-error")) r.errors.push(e.title);
  r.errors.push(...(win.katexErrors || []));
  for (const a of doc.querySelectorAll('.katex annotation[encoding="application/x-tex"]')) {
    const tex = a.textContent; r.tex.push(tex);
    try { win.katex.renderToString(tex, {displayMode: !!a.closest(".katex-display"), throwOnError: true,
            strict: (code, msg) => { r.warnings.push(`${code}: ${msg} in ${tex}`); return "ignore"; }}); }
    catch (e) { r.errors.push(`${e.message}`); }
  }
  r.fonts = r.katex ? doc.fonts.check("16px KaTeX_Main") : null;
  r.imgs = [...doc.images].filter(i => !i.src.startsWith("data:"))
             .map(i => ({src: i.getAttribute("src"), alt: i.alt, loaded: i.complete && i.naturalWidth > 0}));
  for (const el of doc.querySelectorAll("pre, code, .katex")) el.style.display = "none";
  r.text = doc.body.innerText;
  return r;
}
(async () => {
  const out = {}, frame = document.getElementById("page");
  for (const p of PAGES) {
    await new Promise(done => { frame.onload = done; frame.src = p; });
    try { await frame.contentDocument.fonts.ready; out[p] = probe(frame.contentWindow); }
    catch (e) { out[p] = {probe_error: String(e)}; }
  }
  document.body.dataset.probe = JSON.stringify(out);
})();
"""


def probe_pages(exe: str, out: Path, pages: list[str], profile: Path) -> dict:
    """Open `pages` of the site at `out` one after another in one headless Chromium, served over HTTP from
    127.0.0.1 (a same-origin frame the probe can read), and return each page's probe."""
    import http.server
    import threading
    harness = (f'<!DOCTYPE html><html><body><iframe id="page" style="width:1200px;height:900px"></iframe>'
               f'<script>const PAGES = {json.dumps(pages)};{PROBE_JS}</script></body></html>').encode()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/__probe__.html": return super().do_GET()
            self.send_response(200); self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(harness))); self.end_headers(); self.wfile.write(harness)
        def log_message(self, *args): pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        r = browse(exe, f"http://127.0.0.1:{server.server_port}/__probe__.html", profile,
                   "--virtual-time-budget=120000", "--dump-dom")
    finally:
        server.shutdown(); server.server_close()
    assert r.returncode == 0, r.stderr[-2000:]
    m = re.search(r'<body data-probe="([^"]*)"', r.stdout)
    assert m, f"the probe did not finish: {r.stdout[-1000:]}"
    return json.loads(html.unescape(m.group(1)))


# raw TeX in a page's visible text: math the page did not typeset
_RAW_TEX = re.compile(r"\$\$|\\\(|\\\[|\$[^\s$](?:[^$\n]*[^\s$])?\$(?!\d)")


def check_probe(name: str, r: dict, math: int, images: list[tuple[str, str]]) -> list[str]:
    "What is wrong on a page: `math` formulas in its notebook, `images` (alt, src) shown from its markdown."
    if "probe_error" in r: return [f"{name}: {r['probe_error']}"]
    bad = [f"{name}: KaTeX: {e}" for e in r["errors"]] + [f"{name}: KaTeX (strict): {w}" for w in r["warnings"]]
    if r["katex"] != r["math"] or r["katex"] < math:
        bad.append(f"{name}: {r['katex']} formulas typeset, {r['math']} marked as math, {math} in the notebook")
    if r["katex"] and not r["fonts"]: bad.append(f"{name}: KaTeX's fonts did not load")
    raw = [r["text"][max(0, m.start() - 30):m.end() + 30].replace("\n", " ") for m in _RAW_TEX.finditer(r["text"])]
    if raw: bad.append(f"{name}: raw TeX in the visible text: {raw[:5]}")
    shown = {unquote(i["src"]): i for i in r["imgs"]}
    wanted = {unquote(src) for _, src in images if rs.is_local(src)}
    for src in sorted(wanted):
        if src not in shown: bad.append(f"{name}: no <img> for {src}")
        elif not shown[src]["loaded"]: bad.append(f"{name}: {src} did not load (naturalWidth 0)")
    bad += [f"{name}: {src} did not load" for src, i in shown.items() if not i["loaded"] and src not in wanted]
    return bad


def test_math_and_diagrams_show_in_headless_chromium(site, tmp_path):
    "Every page whose notebook has math or images: typeset by KaTeX without errors, no raw TeX left, images loaded."
    exe = chromium()
    out, info = site
    want = {href: (math_count(ROOT / "nbs" / src), local_images(ROOT / "nbs" / src)) for src, href, _ in info["pages"]}
    want = {href: w for href, w in want.items() if w[0] or w[1]}
    assert want, "no page has math or images"
    results = probe_pages(exe, out, sorted(want), tmp_path / "profile")
    problems = [p for href, (math, images) in want.items() for p in check_probe(href, results.get(href, {"probe_error": "not probed"}), math, images)]
    assert not problems, "\n".join(problems)


def test_tricky_math_and_an_image_in_headless_chromium(tmp_path):
    """A scratch notebook (outside the repository) with the formulas markdown mangles, code with dollars in it and
    a diagram, rendered by render_site and opened in Chromium: each formula typeset from exactly its source TeX."""
    exe = chromium()
    import nbformat
    nbs = tmp_path / "nbs"; (nbs / "images").mkdir(parents=True)
    (nbs / "images" / "scratch.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 60">'
                                                '<rect x="5" y="5" width="110" height="50" fill="#2780e3"/></svg>')
    md = r"""Attention is $\mathrm{softmax}(QK^\top/\sqrt{d_k})V$, the next token $x_{t+1}$, a product $a_i * b_i$ and $c_j * d_j$.

$$
\begin{aligned}
h_t &= \tanh(W_h h_{t-1} + W_x x_t) \\
y_t &= W_y * h_t
\end{aligned}
$$

Prices are text: $5 and $10. Code is code: `echo $HOME $x_1$`.

![A blue box, the scratch diagram](images/scratch.svg)"""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Scratch\n> math and a diagram"),
                                         nbformat.v4.new_markdown_cell(md),
                                         nbformat.v4.new_code_cell('print("$HOME $$ $x_1$")')])
    nbformat.write(nb, nbs / "01_scratch.ipynb")
    out = tmp_path / "site"
    info = render_site(out, nbs_path=nbs, verbose=False)
    assert info["images"] == ["images/scratch.svg"] and (out / "images" / "scratch.svg").is_file(), info
    assert [p[1] for p in info["pages"]] == ["scratch.html"], info["pages"]
    r = probe_pages(exe, out, ["scratch.html"], tmp_path / "profile")["scratch.html"]
    spans = rs.math_spans(md)
    assert len(spans) == 5
    assert not check_probe("scratch.html", r, len(spans), rs.markdown_images(md))
    assert [t.strip() for t in r["tex"]] == [t.strip() for _, t, _ in spans], r["tex"]    # the TeX, unmangled
    assert r["katex"] == 5, r
    assert "$5 and $10" in r["text"]


# last in the module: until the lessons show their diagrams it fails, and `-x` should not hide the rest
def test_lessons_have_diagrams():
    "At least 12 diagram files, shown from at least 8 lessons."
    found = diagrams()
    files = set().union(*found.values()) if found else set()
    summary = "; ".join(f"{k}: {', '.join(sorted(v))}" for k, v in found.items()) or "none"
    assert len(files) >= 12 and len(found) >= 8, f"{len(files)} diagram files from {len(found)} lessons ({summary})"
