"""wg.jit: caching, guards, optimisation passes, composition."""
import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert._transforms.jit import RetraceError


def loss(w, x, y):
    return wnp.mean((wnp.tanh(x @ w) - y) ** 2)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((3, 2)), rng.standard_normal((5, 3)), rng.standard_normal((5, 2))


def test_jit_matches_eager_and_caches(data):
    f = wg.jit(loss)
    np.testing.assert_allclose(f(*data), np.asarray(loss(*data)), rtol=1e-14)
    f(*data)
    assert f.trace_count == 1
    w, x, y = data
    f(w, x[:4], y[:4])  # new shapes: new trace
    assert f.trace_count == 2


def test_jit_of_grad_matches_grad(data):
    g = wg.grad(loss)
    jg = wg.jit(g)
    np.testing.assert_allclose(jg(*data), g(*data), rtol=1e-13)
    np.testing.assert_allclose(jg(*data), g(*data), rtol=1e-13)  # compiled path
    assert isinstance(jg(*data), np.ndarray)


def test_grad_vmap_of_jit_and_jit_of_vmap(data):
    w, x, y = data
    f = wg.jit(loss)
    np.testing.assert_allclose(wg.grad(f)(w, x, y), wg.grad(loss)(w, x, y), rtol=1e-13)
    per = wg.vmap(lambda xi, yi: f(w, xi[None], yi[None]))(x, y)
    ref = np.array([float(loss(w, x[i:i + 1], y[i:i + 1])) for i in range(5)])
    np.testing.assert_allclose(per, ref, rtol=1e-13)
    jv = wg.jit(wg.vmap(wg.grad(loss), in_axes=(None, 0, 0)))
    ref = np.stack([wg.grad(loss)(w, x[i], y[i]) for i in range(5)])
    np.testing.assert_allclose(jv(w, x, y), ref, rtol=1e-12)
    np.testing.assert_allclose(wg.jvp(f, (w, x, y), (w, 0 * x, 0 * y))[1],
                               wg.jvp(loss, (w, x, y), (w, 0 * x, 0 * y))[1], rtol=1e-12)


def test_value_dependent_branch_is_guarded():
    def f(x):
        if x.sum() > 0:
            return x * 2
        return x * 3

    jf = wg.jit(f)
    np.testing.assert_allclose(jf(np.ones(2)), [2, 2])
    np.testing.assert_allclose(jf(-np.ones(2)), [-3, -3])  # guard failed -> re-traced
    assert jf.trace_count == 2
    np.testing.assert_allclose(jf(np.ones(2)), [2, 2])  # both traces cached now
    assert jf.trace_count == 2
    strict = wg.jit(f, retrace=False)
    strict(np.ones(2))
    with pytest.raises(RetraceError):
        strict(-np.ones(2))


def test_static_argnums():
    f = wg.jit(lambda x, n: x ** n, static_argnums=1)
    np.testing.assert_allclose(f(np.array(2.0), 3), 8.0)
    np.testing.assert_allclose(f(np.array(2.0), 2), 4.0)
    assert f.trace_count == 2


def test_lowered_text_and_optimisations():
    def f(x):
        a = wnp.sin(x)
        b = wnp.sin(x)   # common subexpression
        unused = wnp.exp(x)  # noqa: F841  dead code
        return a * 1.0 + b * 0 + a

    text = wg.jit(f).lower(np.ones(3)).as_text()
    assert text.count("# sin") == 1
    assert "# exp" not in text
    assert "def compiled" in text
    np.testing.assert_allclose(wg.jit(f)(np.ones(3)), 2 * np.sin(np.ones(3)))


def test_jit_of_hessian_and_checkpoint():
    f = lambda x: wnp.sum(wnp.sin(x) * x ** 2)  # noqa: E731
    x = np.array([0.3, 0.8])
    np.testing.assert_allclose(wg.jit(wg.hessian(f))(x), wg.hessian(f)(x), rtol=1e-12)
    c = wg.jit(wg.grad(lambda x: wnp.sum(wg.checkpoint(wnp.sin)(x) ** 2)))
    np.testing.assert_allclose(c(x), 2 * np.sin(x) * np.cos(x), rtol=1e-13)


def test_strong_zeros_survive_compilation():
    # the compiled fast variant multiplies plainly; a non-finite output triggers the
    # strong-zero variant, so the untaken sqrt branch does not leak NaN
    g = wg.jit(wg.grad(lambda x: wnp.sum(wnp.where(x > 0, wnp.sqrt(x), 0.0))))
    with np.errstate(invalid="ignore"):
        got = g(np.array([-1.0, 4.0]))
        got = g(np.array([-1.0, 4.0]))
    np.testing.assert_array_equal(got, [0.0, 0.25])


def test_elementwise_chains_fuse_with_numexpr_when_installed():
    pytest.importorskip("numexpr", reason="numexpr is the optional fusion backend")
    f = wg.grad(lambda x: wnp.sum(wnp.sin(x) * wnp.exp(-x * x)))
    x = np.random.default_rng(0).standard_normal(1 << 17)
    jf = wg.jit(f)
    assert "_ne.evaluate" in jf.lower(x).as_text()
    ref = np.cos(x) * np.exp(-x * x) - 2 * x * np.sin(x) * np.exp(-x * x)
    np.testing.assert_allclose(jf(x), ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(jf(x), ref, rtol=1e-12, atol=1e-15)  # compiled path
    small = np.linspace(-1, 1, 8)  # below the size threshold: plain NumPy calls
    assert "_ne.evaluate" not in jf.lower(small).as_text()
