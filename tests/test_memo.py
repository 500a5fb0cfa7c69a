"""The forward-over-reverse memo (primitive._memoized): each ufunc runs once per value, results
stay correct under in-place updates, and nothing is kept after the transform ends."""
import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert._core.primitive import PRIMITIVES


@pytest.fixture
def count_calls():
    """Count evaluations of the named primitives on arrays of more than one element."""
    counts = {}
    saved = {}

    def install(*names):
        for name in names:
            prim = PRIMITIVES[name]
            impl = saved[name] = prim.impl

            def counting(*a, _impl=impl, _name=name, **k):
                if np.size(a[0]) > 1:
                    counts[_name] = counts.get(_name, 0) + 1
                return _impl(*a, **k)
            prim.impl = counting
        return counts

    yield install
    for name, impl in saved.items():
        PRIMITIVES[name].impl = impl


def f_sin(x):
    return wnp.sum(wnp.sin(x)) + 0.5 * wnp.sum(x) ** 2


def test_hvp_evaluates_each_transcendental_once(count_calls):
    counts = count_calls("sin", "cos")
    rng = np.random.default_rng(0)
    x, v = rng.normal(size=50), rng.normal(size=50)
    hv = wg.hvp(f_sin, x, v)
    np.testing.assert_allclose(hv, -np.sin(x) * v + v.sum(), rtol=1e-13, atol=1e-13)
    assert counts == {"sin": 1, "cos": 1}


def test_plain_jvp_and_grad_do_not_memoize(count_calls):
    counts = count_calls("sin", "cos")
    x = np.linspace(-1, 1, 7)

    def g(y):
        return wnp.sin(y) + wnp.sin(y)   # computed twice: no memo outside jvp-of-grad

    wg.jvp(g, (x,), (np.ones(7),))
    assert counts["sin"] == 2
    counts.clear()
    wg.grad(lambda y: wnp.sum(g(y)))(x)
    assert counts["sin"] == 2


def test_inplace_update_invalidates_the_memo():
    def f(x):
        y = x * 1.0
        a = wnp.sum(wnp.exp(y))        # exp saves its output, not y: y may change in place
        y += 1.0                       # so exp(y) below is of a new value
        b = wnp.sum(wnp.exp(y) * wnp.exp(y))
        return a + b

    rng = np.random.default_rng(1)
    x, v = rng.normal(size=9), rng.normal(size=9)
    hv = wg.hvp(f, x, v)
    # d2/dx2 [exp(x) + exp(2 (x + 1))] = exp(x) + 4 exp(2 (x + 1))
    np.testing.assert_allclose(hv, (np.exp(x) + 4 * np.exp(2 * (x + 1))) * v, rtol=1e-12)


def test_memo_matches_hessian_by_other_modes():
    def f(x):
        return wnp.sum(wnp.exp(wnp.tanh(x)) * wnp.cos(x))

    x = np.array([0.3, -1.2, 2.0, 0.0])
    v = np.array([1.0, -0.5, 0.25, 2.0])
    H = wg.jacrev(wg.jacrev(f))(x)
    np.testing.assert_allclose(wg.hvp(f, x, v), H @ v, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(wg.jacfwd(wg.grad(f))(x), H, rtol=1e-12, atol=1e-12)


def test_nothing_is_kept_after_the_transform():
    seen = []

    def f(y):
        out = wnp.sum(wnp.sin(y))
        seen.append((y.primal, y.primal._memo is not None))  # memoized while recording
        return out

    x = wg.tensor(np.linspace(0.1, 1, 5))
    wg.jvp(wg.grad(f), (x,), (np.ones(5),))
    primal, was_on = seen[0]
    assert was_on
    assert primal._memo is None and x._memo is None   # cleared when the jvp ended


def test_memo_hits_only_the_same_value():
    from wengert._transforms.forward import JVPTrace
    x = np.linspace(-2, 2, 6)
    p = wg.tensor(x)
    with JVPTrace() as trace:
        trace._memoize(p)
        a = wnp.sin(p)
        again = wnp.sin(p)
        assert again._value is a._value and again is not a   # a hit: a fresh Tensor
        p += 1.0                                             # rebinds p's value
        b = wnp.sin(p)
        b += 1.0                                             # and never writes into a
    np.testing.assert_array_equal(a._value, np.sin(x))
    np.testing.assert_array_equal(b._value, np.sin(x + 1) + 1)
    assert p._memo is None


def test_ufuncs_with_several_results_are_not_memoized():
    # a ufunc with two outputs (np.modf): the memo holds one array per primitive, so it must
    # pass such a primitive by and return its tuple of results
    from wengert._core.primitive import Primitive, bind
    from wengert._transforms.forward import JVPTrace
    p = Primitive("test_memo_modf", np.modf, multiple_results=True)
    try:
        assert p.accepts_out
        x = np.array([0.25, 1.5, -2.75])
        t = wg.tensor(x)
        with JVPTrace() as trace:
            trace._memoize(t)
            res = bind(p, t)
        assert type(res) is tuple and len(res) == 2
        frac, whole = res
        np.testing.assert_array_equal(frac._value, np.modf(x)[0])
        np.testing.assert_array_equal(whole._value, np.modf(x)[1])
    finally:
        del PRIMITIVES["test_memo_modf"]
