"""What the model and attention notebooks can't show well: importing the modules stays light and offline."""
from conftest import run_py, ROOT


def test_import_is_light():
    # plotting, widgets and HF transformers load only when a function needs them, never at import time
    code = ("import sys, cleangpt.attention, cleangpt.model; "
            "heavy = [m for m in ('transformers', 'matplotlib', 'ipywidgets') if m in sys.modules]; "
            "assert not heavy, heavy")
    res = run_py("-c", code, cwd=ROOT)
    assert res.returncode == 0, res.stderr


def test_bad_config_is_one_line():
    import pytest
    from cleangpt.model import GPTConfig
    with pytest.raises(ValueError, match="n_head=3") as e: GPTConfig(n_embd=100, n_head=3)
    assert "\n" not in str(e.value)


def test_kv_cache_matches_full_forward_in_a_fresh_process():
    code = ("import torch\n"
            "from cleangpt.model import GPT, GPTConfig\n"
            "torch.manual_seed(0)\n"
            "m = GPT(GPTConfig(block_size=16, vocab_size=50, n_layer=2, n_head=4, n_embd=32, pos='rope', n_kv_head=1)).eval()\n"
            "idx = torch.randint(0, 50, (1, 12))\n"
            "with torch.no_grad():\n"
            "    full = m(idx)[0]; c = m.new_cache(1)\n"
            "    step = torch.cat([m(idx[:, i:i+1], cache=c)[0] for i in range(12)], 1)\n"
            "assert torch.allclose(full, step, atol=1e-5), (full - step).abs().max()\n")
    res = run_py("-c", code, cwd=ROOT)
    assert res.returncode == 0, res.stderr


def test_no_live_frontend_outside_jupyter():
    res = run_py("-c", "from cleangpt.attention import has_live_frontend; print(has_live_frontend())", cwd=ROOT)
    assert res.returncode == 0 and res.stdout.strip() == "False", res.stderr
