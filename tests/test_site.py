"""The docs site, rendered offline (tests/render_site.py: nbdev's processors + nbconvert, no Quarto), then
opened in a real headless Chromium. Screenshots are kept in test_artifacts/site/ for a person to look at.

Chromium is a system package (`apt-get install chromium`); CI installs it. Outside CI the browser checks
skip when it is missing; in CI (`CI=true`) they fail, so a broken install cannot pass unnoticed."""
from __future__ import annotations

import base64
import html
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests"))
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
        super().__init__(); self.hrefs, self.nav_hrefs, self.imgs, self._nav = [], [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "nav": self._nav += 1
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
            if self._nav: self.nav_hrefs.append(a["href"])
        if tag == "img": self.imgs.append(a.get("src") or "")

    def handle_endtag(self, tag):
        if tag == "nav": self._nav -= 1


def parse(page: Path) -> Links:
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
