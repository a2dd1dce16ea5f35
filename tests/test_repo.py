"Repository shape: the design card's layout, README in step with index.ipynb, the docs config link."
import configparser
import re

from conftest import ROOT
from sync_readme import render


def test_layout():
    for name in ["nbs", "cleangpt", "lessons_data", "settings.ini", "setup.py", "README.md", "_quarto.yml", "LICENSE", ".ci/run"]:
        assert (ROOT / name).exists(), name


def test_readme_matches_index_notebook():
    assert (ROOT / "README.md").read_text(encoding="utf-8") == render(), \
        "README.md is out of step with nbs/index.ipynb: run `python tests/sync_readme.py`"


def test_nbdev_reads_the_top_level_quarto_config():
    link = ROOT / "nbs" / "_quarto.yml"
    assert link.is_symlink() and link.resolve() == (ROOT / "_quarto.yml").resolve()


def test_nbdev_2_pins():
    cfg = configparser.ConfigParser(); cfg.read(ROOT / "settings.ini")
    reqs = cfg["DEFAULT"]["requirements"].split()
    for pin in ["nbdev>=2.4,<3", "fastcore>=1.5,<2", "execnb<0.2", "ghapi<2"]: assert pin in reqs, pin
    torch_req = next(r for r in reqs if r.startswith("torch"))
    assert re.fullmatch(r"torch>=2\.\d+,<3", torch_req), "keep torch a range that the CPU wheel (2.13) satisfies"
    assert "import pkg_resources" not in (ROOT / "setup.py").read_text()


def readme_commands():
    "The fenced shell commands under '## Two commands': [main job, tests]."
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_readme_has_two_commands():
    main, tests = readme_commands()
    assert "pip install torch==2.13.0" in main and "pip install torch==2.13.0" in tests
    assert "pytest" in tests
