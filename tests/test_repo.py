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


# --- the README's reference sections: present, and in step with the code they describe ---------------------

def readme_section(heading: str) -> str:
    "The text under `heading` (a full '## ...' or '### ...' line) up to the next heading of the same or a higher level."
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    level = heading.split(" ", 1)[0]
    assert f"\n{heading}\n" in text, f"README.md has no '{heading}' section"
    body = text.split(f"\n{heading}\n", 1)[1]
    stops = [m.start() for m in re.finditer(r"^#{1,%d} " % len(level), body, re.M)]
    return body[:stops[0]] if stops else body


def table_rows(section: str) -> list[list[str]]:
    "The body rows of the markdown tables in `section`, as lists of stripped cells."
    rows = []
    for line in section.splitlines():
        if line.startswith("|") and not re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", line):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return [r for r in rows if r and not r[0].startswith(("notebook", "hardware", "file", "preset"))]


README_SECTIONS = ["## Two commands", "## Lessons", "## Hardware", "## Data sources and the offline mirror",
                   "## Training runs", "### What each preset reaches", "## Full-scale recipes",
                   "## Working on the course (nbdev)", "### Moving to nbdev 3 later"]


def test_readme_has_its_sections_in_order():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    at = [text.find(f"\n{h}\n") for h in README_SECTIONS]
    assert all(i >= 0 for i in at), [h for h, i in zip(README_SECTIONS, at) if i < 0]
    assert at == sorted(at), "README sections are out of order"


def test_readme_lesson_table_times_every_notebook():
    rows = {r[0].strip("`"): r for r in table_rows(readme_section("## Lessons"))}
    notebooks = sorted(p.stem for p in (ROOT / "nbs").glob("[0-9]*.ipynb"))
    assert sorted(rows) == notebooks, "the lesson table and nbs/ list different notebooks"
    for nb, row in rows.items():
        assert len(row) == 4 and re.fullmatch(r"\d+(\.\d)? (s|min)", row[3]), f"{nb}: no time on 2 CPU cores: {row}"
    assert re.search(r"measured on 20\d\d-\d\d-\d\d", readme_section("## Lessons")), "say when the times were measured"


def registry_files() -> dict[str, tuple[str | None, str | None]]:
    "Every public file the code knows: mirror path -> (canonical URL, pinned sha256)."
    from cleangpt.datasets import REGISTRY
    from cleangpt.tokenizers import GPT2_BPE_SHA256, GPT2_BPE_URLS
    files = {s.relpath: (s.url, s.sha256) for spec in REGISTRY.values() for s in spec.sources.values()}
    files.update({f"gpt2_bpe/{n}": (GPT2_BPE_URLS[n], GPT2_BPE_SHA256[n]) for n in GPT2_BPE_URLS})
    return files


def test_readme_data_table_matches_the_registry():
    known = registry_files()
    rows = {r[0].strip("`"): r for r in table_rows(readme_section("## Data sources and the offline mirror"))}
    assert sorted(rows) == sorted(known), "the data table and the code's registry list different files"
    for path, (path_, used_by, url, licence, sha) in rows.items():
        want_url, want_sha = known[path]
        if want_url: assert url == want_url, f"{path}: README says {url}, the code downloads {want_url}"
        assert licence, f"{path}: no licence"
        if want_sha: assert sha.strip("`") == want_sha, f"{path}: README sha256 {sha} != the code's {want_sha}"
        else: assert sha == "not pinned", f"{path}: the code pins no sha256, the README says {sha}"
    # every 64-hex string in that section is one the code pins: no stale hash hides in the prose
    pinned = {sha for _, sha in known.values() if sha}
    found = set(re.findall(r"\b[0-9a-f]{64}\b", readme_section("## Data sources and the offline mirror")))
    assert found == pinned, found ^ pinned


def test_readme_preset_table_covers_every_preset_and_dates_its_numbers():
    from cleangpt.train import PRESETS
    rows = {r[0].strip("`"): r for r in table_rows(readme_section("### What each preset reaches"))}
    assert sorted(rows) == sorted(PRESETS), "the preset table and cleangpt.train.PRESETS differ"
    for name, row in rows.items():
        reaches = row[-1]
        assert (reaches == "not measured here" or "smoke test" in reaches or re.search(r"measured \d{4}-\d\d-\d\d", reaches)), \
            f"{name}: a result needs the date it was measured, else say 'not measured here': {reaches}"


def readme_shell_commands() -> list[list[str]]:
    "Every command line in the README's sh blocks, continuation lines joined, split as the shell would."
    import shlex
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    cmds = []
    for block in re.findall(r"```sh\n(.*?)\n```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                words, cmd = shlex.split(line, comments=True), []
                for w in words + ["&&"]:
                    if w == "&&": cmds.append(cmd); cmd = []
                    else: cmd.append(w)
    return cmds


def test_readme_training_commands_use_real_options(monkeypatch):
    "torchrun's options exist in this torch, and every `cleangpt.train` command line parses (preset and --key names)."
    import torch
    import cleangpt.trainer
    from torch.distributed.run import get_args_parser
    from cleangpt.train import parse_args
    # the recipes name the device they are for (--device cuda): whether this machine has it is not the question here
    monkeypatch.setattr(cleangpt.trainer, "resolve_device", lambda name="auto": torch.device("cpu" if name == "auto" else name))
    monkeypatch.setattr(cleangpt.trainer, "resolve_dtype", lambda requested, device: torch.float32)
    checked = 0
    for argv in readme_shell_commands():
        if "torchrun" in argv:
            args = get_args_parser().parse_args(argv[argv.index("torchrun") + 1:])
            assert args.module and args.training_script == "cleangpt.train", argv
            parse_args(args.training_script_args); checked += 1
        elif argv[:3] == ["python", "-m", "cleangpt.train"]:
            parse_args(argv[3:]); checked += 1
    assert checked >= 5, f"only {checked} training command lines found in README.md"


def test_no_public_data_file_is_committed():
    import subprocess
    res = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if res.returncode: return                                   # not a git checkout: nothing to check
    names = {p.rsplit("/", 1)[-1] for p in registry_files()}
    tracked = [f for f in res.stdout.splitlines() if f.rsplit("/", 1)[-1] in names]
    assert not tracked, f"public data files are committed (the README says they never are): {tracked}"


def cli_lines(text: str, lang=("sh", "bash")) -> list[list[str]]:
    "Every command line in the fenced shell blocks of `text`, continuation lines joined, split on && as the shell would."
    import shlex
    cmds = []
    for block in re.findall(r"```(?:%s)\n(.*?)\n```" % "|".join(lang), text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                cmd = []
                for w in shlex.split(line, comments=True) + ["&&"]:
                    if w == "&&": cmds.append(cmd); cmd = []
                    else: cmd.append(w)
    return cmds


def test_documented_cli_commands_parse():
    "Every `-m cleangpt.{datasets,evaluate,bench,hf}` line in the README and in the lessons' shell blocks parses and passes its checks."
    import json as json_
    from cleangpt import bench, datasets, evaluate, hf
    clis = {"cleangpt.datasets": (datasets.make_parser, datasets.check_args), "cleangpt.evaluate": (evaluate._parser, evaluate.check_args),
            "cleangpt.bench": (bench.make_parser, None), "cleangpt.hf": (hf.make_parser, None)}
    texts = [(ROOT / "README.md").read_text(encoding="utf-8")]
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        texts += ["".join(c["source"]) for c in json_.loads(nb.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "markdown"]
    seen = set()
    for text in texts:
        for argv in cli_lines(text):
            at = next((i for i in range(len(argv) - 1) if argv[i] == "-m" and argv[i + 1] in clis), None)
            if at is None: continue
            make, check = clis[argv[at + 1]]
            args = make().parse_args(argv[at + 2:])
            if check: check(args)
            seen.add(argv[at + 1])
    assert seen == set(clis), f"no documented command line for {set(clis) - seen}"
