"""The chapter's worked example (§2.2, §3.3, §4.2) through every face of the library."""
import math

import numpy as np

import wengert as wg
import wengert.numpy as wnp

X1, X2 = 1.0, 2.0
F = (X1 + X2) * math.sin(X1)
DF1 = math.sin(X1) + (X1 + X2) * math.cos(X1)
DF2 = math.sin(X1)


def f(x1, x2):
    return (x1 + x2) * wnp.sin(x1)


def test_functional_reverse_and_forward():
    g = wg.grad(f, argnums=(0, 1))(X1, X2)
    np.testing.assert_allclose(g, (DF1, DF2), rtol=1e-14)
    out, tan = wg.jvp(f, (X1, X2), (1.0, 0.0))
    np.testing.assert_allclose((out, tan), (F, DF1), rtol=1e-14)


def test_imperative():
    x1 = wg.tensor(X1, requires_grad=True)
    x2 = wg.tensor(X2, requires_grad=True)
    y = f(x1, x2)
    assert y.grad_fn.name() == "MultiplyBackward0"
    y.backward()
    np.testing.assert_allclose([x1.grad.item(), x2.grad.item()], [DF1, DF2], rtol=1e-14)


def test_dual_numbers():
    from wengert.dual import sin
    r = (wg.Dual(X1, 1.0) + X2) * sin(wg.Dual(X1, 1.0))
    assert math.isclose(r.real, F) and math.isclose(r.dual, DF1)
    assert round(r.real, 3) == 2.524 and round(r.dual, 3) == 2.462


def test_main_command_runs(capsys):
    from wengert.__main__ import main
    main(["--quick"])  # the full tour adds timing tables (sections 7-9)
    text = capsys.readouterr().out
    assert "2.5244" in text and "2.4624" in text and "0.8415" in text
