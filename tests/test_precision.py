"Precision and compile as a user meets them: one-line errors from a real process, no heavy imports."
from conftest import run_py

FAIL_AS_CLI = "from cleangpt.core import run_cli; from cleangpt.{mod} import {fn}; run_cli(lambda argv: {call})"


def test_fp16_on_cpu_is_one_line_error():
    res = run_py("-c", FAIL_AS_CLI.format(mod="precision", fn="resolve_dtype", call="resolve_dtype(argv[0], 'cpu')"), "fp16")
    assert res.returncode == 2, res.stderr
    assert res.stderr.count("\n") == 1 and "use bf16 or fp32" in res.stderr, res.stderr


def test_unknown_precision_is_one_line_error():
    res = run_py("-c", FAIL_AS_CLI.format(mod="precision", fn="resolve_dtype", call="resolve_dtype(argv[0], 'cpu')"), "fp8")
    assert res.returncode == 2 and "unknown precision 'fp8'" in res.stderr, res.stderr


def test_compile_without_a_cxx_compiler_is_one_line_error():
    code = FAIL_AS_CLI.format(mod="compile", fn="maybe_compile",
                              call="maybe_compile(__import__('torch').nn.Linear(2, 2), enabled=True)")
    res = run_py("-c", code, env={"PATH": "/nonexistent", "CXX": ""})
    assert res.returncode == 2, res.stderr
    assert res.stderr.count("\n") == 1 and "needs a C++ compiler" in res.stderr, res.stderr


def test_imports_stay_light():
    code = ("import sys, cleangpt.precision, cleangpt.compile; "
            "print(sorted(m for m in ('torch._dynamo', 'torch._inductor', 'matplotlib') if m in sys.modules))")
    res = run_py("-c", code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]", res.stdout
