"""cleangpt.generate outside a notebook: a light import, and generation in a plain `python` process."""
from conftest import run_py


def test_import_stays_light():
    # the playground and the plot import ipywidgets / matplotlib only when they are used
    res = run_py("-c", "import sys, cleangpt.generate; print('ipywidgets' in sys.modules, 'matplotlib' in sys.modules)")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["False", "False"]


def test_generate_in_a_script():
    # greedy with and without the cache, on a random Llama-style model, in a fresh process
    code = """
import torch
from cleangpt.model import GPT, GPTConfig
from cleangpt.generate import generate, stream
torch.manual_seed(0)
m = GPT(GPTConfig(block_size=64, vocab_size=64, n_layer=1, n_head=2, n_embd=32, pos="rope", norm="rmsnorm", mlp="swiglu", n_kv_head=1))
for p in m.parameters():
    if p.dim() > 1: torch.nn.init.normal_(p, std=0.3)
a = generate(m, [1, 2, 3], 80, temperature=0)
b = generate(m, [1, 2, 3], 80, temperature=0, use_cache=False)
assert a.tolist() == b.tolist() == list(stream(m, [1, 2, 3], 80, temperature=0)), (a, b)
print(len(a))
"""
    res = run_py("-c", code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "80"


def test_bad_sampling_setting_is_one_line():
    res = run_py("-c", "from cleangpt.generate import check_sampling; check_sampling(top_p=1.5)")
    assert res.returncode != 0
    last = res.stderr.strip().splitlines()[-1]
    assert last == "ValueError: top_p=1.5 is outside (0, 1]: pass a value such as 0.9, or None to turn nucleus sampling off"
