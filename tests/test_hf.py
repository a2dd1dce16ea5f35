"""`python -m cleangpt.hf` as a user runs it: offline failures and bad folders give one line and exit status 2,
and a folder exported by the CLI is one that `transformers` loads and agrees with."""
import json

import pytest
import torch

from conftest import run_py

safetensors_torch = pytest.importorskip("safetensors.torch")
transformers = pytest.importorskip("transformers")


def one_line_error(res, *parts):
    "The command failed as a user error: status 2, nothing on stdout, exactly one line on stderr holding every part."
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert res.stdout == "", res.stdout
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    for p in parts: assert p in lines[0], (p, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def hf_folder(tmp_path_factory):
    "A tiny random GPT-2 written by transformers itself, and the model that wrote it."
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(0)
    hf = GPT2LMHeadModel(GPT2Config(n_layer=2, n_head=2, n_embd=32, n_positions=64, vocab_size=500,
                                    bos_token_id=None, eos_token_id=None)).eval()
    with torch.no_grad():
        for p in hf.parameters(): p.add_(0.05 * torch.randn_like(p))
    folder = tmp_path_factory.mktemp("hf") / "tiny-gpt2"
    hf.save_pretrained(folder)
    return folder, hf


def variant(src, dst, edit_tensors=None, edit_config=None):
    "A copy of the folder `src` with its tensors and/or config changed."
    dst.mkdir()
    tensors = safetensors_torch.load_file(src / "model.safetensors")
    config = json.loads((src / "config.json").read_text())
    if edit_tensors: tensors = edit_tensors(tensors)
    if edit_config: config = edit_config(config)
    safetensors_torch.save_file({k: v.contiguous() for k, v in tensors.items()}, dst / "model.safetensors", metadata={"format": "pt"})
    (dst / "config.json").write_text(json.dumps(config))
    return dst


def test_by_name_offline_is_one_line(tmp_path):
    res = run_py("-m", "cleangpt.hf", "gpt2-medium", env={"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path)}, timeout=300)
    one_line_error(res, "could not download 'gpt2-medium'", "openai-community/gpt2-medium", "HF_HUB_OFFLINE",
                   "load_gpt2('path/to/gpt2-medium')")


def test_unreachable_hub_fails_at_once(tmp_path):
    # Nothing listens on port 9 of this machine: a network that refuses connections, without HF_HUB_OFFLINE.
    # huggingface_hub alone would retry five times with back-off and log each retry; we must print one line.
    env = {"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_CACHE": str(tmp_path), "HF_HUB_OFFLINE": "0"}
    res = run_py("-m", "cleangpt.hf", "gpt2", env=env, timeout=300)
    one_line_error(res, "could not download 'gpt2'", "--local-dir gpt2")
    assert "Retrying" not in res.stderr


@pytest.mark.parametrize("name,parts", [
    ("missing", ["lacks 1 tensor(s) that its config.json implies: transformer.h.1.mlp.c_fc.bias"]),
    ("extra", ["has 2 tensor(s) that a GPT-2 with this config.json does not have: transformer.h.2.ln_1.bias, v_head.weight"]),
    ("shape", ["1 tensor(s) have the wrong shape: transformer.wpe.weight is (32, 32), config.json implies (64, 32)"]),
    ("llama", ["config.json describes a 'llama' model", "not GPT-2"]),
    ("activation", ["activation_function='relu'"]),
    ("no weights", ["has no weights: expected one of model.safetensors"]),
    ("no folder", ["no such folder:", "use one of gpt2, gpt2-medium, gpt2-large, gpt2-xl"]),
])
def test_bad_folder_is_one_line(hf_folder, tmp_path, name, parts):
    src, _ = hf_folder
    d = tmp_path / "bad"
    if name == "missing": variant(src, d, lambda t: {k: v for k, v in t.items() if k != "transformer.h.1.mlp.c_fc.bias"})
    if name == "extra": variant(src, d, lambda t: {**t, "v_head.weight": torch.ones(1, 32), "transformer.h.2.ln_1.bias": torch.ones(32)})
    if name == "shape": variant(src, d, lambda t: {**t, "transformer.wpe.weight": t["transformer.wpe.weight"][:32]})
    if name == "llama":
        from transformers import LlamaConfig
        d.mkdir(); LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                               vocab_size=100, bos_token_id=None, eos_token_id=None).save_pretrained(d)
    if name == "activation": variant(src, d, edit_config=lambda c: {**c, "activation_function": "relu"})
    if name == "no weights": d.mkdir(); (d / "config.json").write_text((src / "config.json").read_text())
    one_line_error(run_py("-m", "cleangpt.hf", str(d)), *parts)


def test_cli_crop_and_export_is_loaded_by_transformers(hf_folder, tmp_path):
    from transformers import GPT2LMHeadModel
    src, hf = hf_folder
    out = tmp_path / "exported"
    res = run_py("-m", "cleangpt.hf", str(src), "--block-size", "16", "--export", str(out))
    assert res.returncode == 0, res.stderr
    assert "block_size=16" in res.stdout and f"exported to {out}" in res.stdout, res.stdout
    back, info = GPT2LMHeadModel.from_pretrained(out, output_loading_info=True)
    assert all(not v for v in info.values()), info
    assert back.config.n_positions == 16 and back.config.n_layer == 2
    idx = torch.randint(0, 500, (3, 16), generator=torch.Generator().manual_seed(1))
    with torch.no_grad(): diff = (back.eval()(idx).logits - hf(idx).logits).abs().max().item()
    assert diff <= 1e-5, diff


@pytest.mark.parametrize("argv, parts", [
    (["--block-size", "65"], ["--block-size must be in [1, 64], got 65: cropping can only shrink the context"]),
    (["--block_size", "0"], ["--block-size must be >= 1, got 0"]),
    (["--block-size", "many"], ["argument --block-size: invalid int value: 'many'"]),
])
def test_bad_block_size_is_one_line_and_exports_nothing(hf_folder, tmp_path, argv, parts):
    src, _ = hf_folder
    out = tmp_path / "exported"
    one_line_error(run_py("-m", "cleangpt.hf", str(src), *argv, "--export", str(out)), *parts)
    assert not out.exists()


def test_underscore_spelling_and_export_onto_a_file(hf_folder, tmp_path):
    src, _ = hf_folder
    res = run_py("-m", "cleangpt.hf", str(src), "--block_size", "8")
    assert res.returncode == 0 and "block_size=8" in res.stdout, res.stdout + res.stderr
    (tmp_path / "taken").write_text("not a folder")
    one_line_error(run_py("-m", "cleangpt.hf", str(src), "--export", str(tmp_path / "taken")), "--export", "is a file")
    assert (tmp_path / "taken").read_text() == "not a folder"
