"""wengert.scipy.linalg: values against scipy.linalg; derivatives (reverse, forward, second
order) against finite differences, real and complex, batched; the triangle that
solve_triangular reads; expm's Frechet derivative; the ImportError without SciPy."""
import importlib
import sys

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from _checks import check_complex_step, check_grads

sl = pytest.importorskip("scipy.linalg", reason="SciPy is an optional dependency")
wsl = importlib.import_module("wengert.scipy.linalg")
RNG = np.random.default_rng(11)


@pytest.fixture(autouse=True)
def _reseed(request):
    global RNG
    RNG = np.random.default_rng(sum(map(ord, request.node.name)))


def _r(*shape, cplx=False):
    x = RNG.standard_normal(shape)
    if cplx:
        x = x + 1j * RNG.standard_normal(shape)
    return x


def _tri(*shape, cplx=False):
    """A full matrix whose triangles are each well conditioned (diagonal 2..3 in size)."""
    n = shape[-1]
    return 0.3 * _r(*shape, cplx=cplx) + np.diag(2 + RNG.uniform(size=n))


def _spd(n, cplx=False):
    a = _r(n, n, cplx=cplx)
    return a @ np.conj(a.T) + n * np.eye(n)


def H(x):
    return wnp.conj(wnp.swapaxes(x, -1, -2))


def val(x):
    return np.asarray(x.detach()) if isinstance(x, wg.Tensor) else np.asarray(x)


# --- solve_triangular ----------------------------------------------------------------------------
ST_OPTIONS = [(trans, lower, unit) for trans in (0, 1, 2, "N", "T", "C")
              for lower in (False, True) for unit in (False, True)]


@pytest.mark.parametrize("cplx", [False, True], ids=["real", "complex"])
def test_solve_triangular_values_and_gradient_support(cplx):
    a, b = _tri(2, 3, 3, cplx=cplx), _r(2, 3, 2, cplx=cplx)
    for trans, lower, unit in ST_OPTIONS:
        kw = {"trans": trans, "lower": lower, "unit_diagonal": unit}
        np.testing.assert_allclose(val(wsl.solve_triangular(a, b, **kw)),
                                   sl.solve_triangular(a, b, **kw), rtol=1e-12, err_msg=str(kw))
        g = wg.grad(lambda a, kw=kw: wnp.sum(wnp.real(wsl.solve_triangular(a, b, **kw))))(a)
        read = np.tri(3, 3, -1 if unit else 0, dtype=bool)
        read = read if lower else read.T
        assert np.all(g[..., ~read] == 0), kw  # entries scipy never reads get no gradient
        assert np.all(g[..., read] != 0), kw
    np.testing.assert_allclose(val(wsl.solve_triangular(a[0], b[0, :, 0], lower=True)),
                               sl.solve_triangular(a[0], b[0, :, 0], lower=True), rtol=1e-12)


@pytest.mark.parametrize("trans,lower,unit", [(0, False, False), (1, True, False),
                                               ("C", False, True), (2, True, True)])
@pytest.mark.parametrize("cplx", [False, True], ids=["real", "complex"])
def test_solve_triangular_derivatives(trans, lower, unit, cplx):
    def f(a, b):
        return wsl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)
    check_grads(f, (_tri(2, 3, 3, cplx=cplx), _r(2, 3, 2, cplx=cplx)), label=str(trans))


def test_solve_triangular_vector_and_broadcast():
    check_grads(lambda a, b: wsl.solve_triangular(a, b, lower=True), (_tri(3, 3), _r(3)))
    check_grads(lambda a, b: wsl.solve_triangular(a, b), (_tri(2, 3, 3), _r(3, 2)))


# --- Cholesky -------------------------------------------------------------------------------------
@pytest.mark.parametrize("lower", [False, True], ids=["upper", "lower"])
@pytest.mark.parametrize("cplx", [False, True], ids=["real", "complex"])
def test_cho_factor_cho_solve_cholesky(lower, cplx):
    a, b = _spd(3, cplx), _r(3, 2, cplx=cplx)
    c, low = wsl.cho_factor(a, lower=lower)
    cs, lows = sl.cho_factor(a, lower=lower)
    assert low == lows
    np.testing.assert_allclose(val(c), cs, rtol=1e-12)  # both triangles, as SciPy leaves them
    np.testing.assert_allclose(val(wsl.cho_solve((c, low), b)), sl.cho_solve((cs, lows), b),
                               rtol=1e-12)
    np.testing.assert_allclose(val(wsl.cholesky(a, lower=lower)), sl.cholesky(a, lower=lower),
                               rtol=1e-12)

    def solve_spd(a, b):
        return wsl.cho_solve(wsl.cho_factor((a + H(a)) / 2, lower=lower), b)

    check_grads(solve_spd, (a, b), label="cho_solve(cho_factor)")
    # the same solution as a general solve, so the same derivative
    x = wg.grad(lambda a: wnp.sum(wnp.real(solve_spd(a, b))))(a)
    y = wg.grad(lambda a: wnp.sum(wnp.real(wnp.linalg.solve((a + H(a)) / 2, b))))(a)
    np.testing.assert_allclose(x, y, rtol=1e-10)


# --- expm -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("cplx", [False, True], ids=["real", "complex"])
def test_expm(cplx):
    a = 0.5 * _r(2, 3, 3, cplx=cplx)
    np.testing.assert_allclose(val(wsl.expm(a)), sl.expm(a), rtol=1e-13)
    check_grads(wsl.expm, (a,), label="expm")
    e = _r(3, 3, cplx=cplx)
    ex, lf = wsl.expm_frechet(a[0], e)
    ex_s, lf_s = sl.expm_frechet(a[0], e)
    np.testing.assert_allclose(val(ex), ex_s, rtol=1e-12)
    np.testing.assert_allclose(val(lf), lf_s, rtol=1e-10)
    np.testing.assert_allclose(val(wsl.expm_frechet(a[0], e, compute_expm=False)), lf_s,
                               rtol=1e-10)
    _, t = wg.jvp(wsl.expm, (a[0],), (e,))  # the JVP is the Frechet derivative
    np.testing.assert_allclose(t, lf_s, rtol=1e-10)
    check_grads(wsl.expm_frechet, (a[0], e), order=1, label="expm_frechet")


def test_expm_higher_order_and_complex_step():
    a = 0.5 * _r(2, 2)
    check_grads(wsl.expm, (a,), order=3, modes=("rev",), label="expm")
    check_complex_step(wsl.expm, (a,), rtol=1e-11)
    # d/dt expm(t A) = A expm(t A)
    _, t = wg.jvp(lambda s: wsl.expm(s * a), (1.0,), (1.0,))
    np.testing.assert_allclose(t, a @ sl.expm(a), rtol=1e-12)


# --- re-exports -----------------------------------------------------------------------------------
@pytest.mark.parametrize("cplx", [False, True], ids=["real", "complex"])
def test_inv_det_solve(cplx):
    a, b = _tri(3, 3, cplx=cplx), _r(3, cplx=cplx)
    np.testing.assert_allclose(val(wsl.inv(a)), sl.inv(a), rtol=1e-12)
    np.testing.assert_allclose(val(wsl.det(a)), sl.det(a), rtol=1e-12)
    for kw in [{}, {"transposed": True}, {"assume_a": "sym"}, {"assume_a": "sym", "lower": True},
               {"assume_a": "her"}, {"assume_a": "pos", "lower": True}]:
        aa = _spd(3, cplx) + np.triu(_r(3, 3, cplx=cplx), 1) if "assume_a" in kw else a
        if kw.get("transposed") and cplx:
            continue  # SciPy rejects transposed=True for complex a
        np.testing.assert_allclose(val(wsl.solve(aa, b, **kw)), sl.solve(aa, b, **kw),
                                   rtol=1e-10, err_msg=str(kw))
        check_grads(lambda a, b, kw=kw: wsl.solve(a, b, **kw), (aa, b), order=1, label=str(kw))
    s = _r(3, 1) @ _r(1, 3)  # singular: finite cofactor gradient
    assert np.all(np.isfinite(wg.grad(wsl.det)(s)))


# --- SciPy is optional ---------------------------------------------------------------------------
def test_import_error_without_scipy(monkeypatch):
    for name in [m for m in sys.modules if m == "scipy" or m.startswith("scipy.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.delitem(sys.modules, "wengert.scipy.linalg")
    with pytest.raises(ImportError, match=r"pip install scipy.*wengert\[all\]"):
        importlib.import_module("wengert.scipy.linalg")
    import wengert.scipy  # noqa: F401  (the package itself imports nothing from SciPy)
