"""What the model and attention notebooks can't show well: importing the modules stays light and offline, and the
model holds one attention path and one GELU (lesson 10's CPU spellings are an opt-in)."""
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



def traced(model, x):
    "The model's logits on x through Dynamo with a backend that records the graph's functions and runs it as is."
    import torch
    ops = []
    def backend(gm, _):
        ops.extend(getattr(n.target, "__name__", str(n.target)) for n in gm.graph.nodes if n.op == "call_function")
        return gm.forward
    torch._dynamo.reset()
    logits = torch.compile(model, backend=backend)(x)[0]
    torch._dynamo.reset()
    return logits, set(ops)


def test_one_attention_path_and_the_cpu_spellings_are_an_opt_in():
    # lesson 05's GPT holds no compile switch: traced for a CPU it is SDPA and PyTorch's tanh GELU; lesson 10's
    # use_cpu_compile_spellings swaps in the written-out attention and the sigmoid GELU, with the same numbers
    import copy, torch
    from cleangpt.model import GPT, GPTConfig
    from cleangpt.compile import use_cpu_compile_spellings
    torch.manual_seed(0)
    plain = GPT(GPTConfig(block_size=16, vocab_size=50, n_layer=1, n_head=2, n_embd=16))
    spelled = use_cpu_compile_spellings(copy.deepcopy(plain))
    x = torch.randint(0, 50, (2, 16))
    (lp, ops_p), (ls, ops_s) = traced(plain, x), traced(spelled, x)
    assert {"scaled_dot_product_attention", "gelu"} <= ops_p and "sigmoid" not in ops_p, ops_p
    assert "sigmoid" in ops_s and not {"scaled_dot_product_attention", "gelu"} & ops_s, ops_s
    assert torch.allclose(lp, ls, atol=1e-5), (lp - ls).abs().max()
    with torch.no_grad(): assert torch.equal(plain(x)[0], spelled(x)[0])      # eager: the very same kernels
    source = (ROOT / "cleangpt" / "model.py").read_text()
    assert not [w for w in ("is_compiling", "spell_out", "sigmoid") if w in source]
