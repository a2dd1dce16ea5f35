"""What lesson 01 can't show well inside a notebook: fresh processes, a machine without network, the CLI error line."""
import os
from pathlib import Path

import pytest

from conftest import run_py

MIRROR = os.environ.get("CLEANGPT_DATA_MIRROR", "")
HAVE_BPE = bool(MIRROR) and all((Path(MIRROR) / "gpt2_bpe" / n).is_file() for n in ("vocab.bpe", "encoder.json"))
HELLO = [15496, 995, 11, 428, 318, 257, 1332, 13]   # GPT-2's ids for "Hello world, this is a test." (per tiktoken)
DEAD_PROXY = "http://127.0.0.1:9"                   # any download attempt fails at once, as on a machine without network


def offline_env(tmp_path, mirror=""):
    return {"CLEANGPT_DATA_MIRROR": mirror, "TIKTOKEN_CACHE_DIR": str(tmp_path / "empty_cache"),
            "HTTPS_PROXY": DEAD_PROXY, "https_proxy": DEAD_PROXY, "NO_PROXY": "", "no_proxy": ""}


def test_import_is_light():
    res = run_py("-c", "import sys, cleangpt.tokenizers; print([m for m in ('tiktoken', 'matplotlib', 'requests') if m in sys.modules])")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


@pytest.mark.data
def test_offline_without_mirror_is_one_clear_error(tmp_path):
    code = "from cleangpt.core import run_cli; from cleangpt.tokenizers import gpt2_tokenizer; run_cli(lambda argv: gpt2_tokenizer(), [])"
    res = run_py("-c", code, env=offline_env(tmp_path))
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot get GPT-2's BPE files"), res.stderr
    for part in ("https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/vocab.bpe",
                 "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/encoder.json",
                 "CLEANGPT_DATA_MIRROR", "gpt2_bpe/vocab.bpe", "gpt2_bpe/encoder.json"):
        assert part in lines[0]


@pytest.mark.data
@pytest.mark.skipif(not HAVE_BPE, reason="needs gpt2_bpe/vocab.bpe and gpt2_bpe/encoder.json in CLEANGPT_DATA_MIRROR (unset, or without them)")
def test_gpt2_from_mirror_needs_no_network(tmp_path):
    code = ("from cleangpt.tokenizers import gpt2_tokenizer; t = gpt2_tokenizer(); "
            "print(t.vocab_size, t.eot_id, t.encode('Hello world, this is a test.'))")
    res = run_py("-c", code, env=offline_env(tmp_path, MIRROR))
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().split(maxsplit=2) == ["50257", "50256", str(HELLO)]


def test_bpe_tokenizer_survives_meta_json_between_processes(tmp_path):
    text = "the theme of the thesis: there, then, the other " * 20 + "naïve 🙂"
    (tmp_path / "corpus.txt").write_text(text, encoding="utf-8")
    save = ("import sys; from pathlib import Path; from cleangpt.tokenizers import BPETokenizer, save_tokenizer; "
            "d = Path(sys.argv[1]); t = BPETokenizer.train((d / 'corpus.txt').read_text(), 300, eot='<|endoftext|>'); "
            "save_tokenizer(t, d / 'meta.json'); print(t.encode(d.joinpath('corpus.txt').read_text()))")
    load = ("import sys; from pathlib import Path; from cleangpt.tokenizers import load_tokenizer; "
            "d = Path(sys.argv[1]); t = load_tokenizer(d); ids = t.encode((d / 'corpus.txt').read_text()); "
            "assert t.decode(ids) == (d / 'corpus.txt').read_text(); print(ids)")
    first, second = run_py("-c", save, str(tmp_path)), run_py("-c", load, str(tmp_path))
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert first.stdout == second.stdout
    assert len(first.stdout) < len(str(list(text.encode())))   # the merges do compress
