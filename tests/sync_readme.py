"""Write README.md from nbs/index.ipynb, the README's source (nbdev's `readme_nb`).

nbdev_readme needs Quarto, which is not available everywhere; this renders the same notebook the
plain way: markdown cells verbatim, visible code cells as fenced Python, hidden cells dropped.
tests/test_repo.py fails when README.md and the notebook disagree.
Usage: python tests/sync_readme.py
"""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = "<!-- Generated from nbs/index.ipynb by tests/sync_readme.py: edit the notebook, not this file. -->\n\n"


def render(nb_path: Path = ROOT / "nbs" / "index.ipynb") -> str:
    cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
    parts = []
    for cell in cells:
        src = "".join(cell["source"]).strip()
        if not src: continue
        if cell["cell_type"] == "markdown": parts.append(src)
        elif cell["cell_type"] == "code" and not src.startswith(("#| hide", "#|hide")):
            parts.append("```python\n" + src + "\n```")
    return HEADER + "\n\n".join(parts) + "\n"


if __name__ == "__main__":
    (ROOT / "README.md").write_text(render(), encoding="utf-8")
    print("wrote README.md")
