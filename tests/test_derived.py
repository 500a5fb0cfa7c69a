"""jacfwd, jacrev, jacobian, hessian and hvp: shapes (``out.shape + in.shape``), pytrees and
argnums, has_aux, the mode choice of ``jacobian``, dtypes, against analytic derivatives and
central differences."""
import tracemalloc

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert._errors import DTypeError

RNG = np.random.default_rng(1)
JACS = [wg.jacfwd, wg.jacrev, wg.jacobian]


def numerical_jacobian(f, x, eps=1e-6):
    """Central differences: shape f(x).shape + x.shape."""
    x = np.asarray(x, dtype=np.float64)
    y0 = np.asarray(f(x))
    J = np.zeros(y0.shape + x.shape)
    for k in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[k] = eps
        J[(Ellipsis,) + k] = (np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * eps)
    return J


FUNCS = {  # name: (f, x)
    "scalar_to_scalar": (lambda x: wnp.sin(x) * x, np.array(0.7)),
    "vector_to_vector": (lambda x: wnp.tanh(x) * x.sum(), RNG.standard_normal(4)),
    "matrix_to_scalar": (lambda x: wnp.log(wnp.exp(x).sum()), RNG.standard_normal((2, 3))),
    "vector_to_matrix": (lambda x: wnp.outer(x, wnp.sin(x)), RNG.standard_normal(3)),
    "matrix_to_matrix": (lambda x: x @ x.T + wnp.exp(x[:, :2]), RNG.standard_normal((2, 3))),
    "tall": (lambda x: wnp.concatenate([wnp.sin(x), x ** 2, wnp.cos(x)]), RNG.standard_normal(2)),
}


@pytest.mark.parametrize("name", list(FUNCS))
@pytest.mark.parametrize("jac", JACS, ids=lambda j: j.__name__)
def test_jacobian_shapes_and_values(name, jac):
    f, x = FUNCS[name]
    J = jac(f)(x)
    ref = numerical_jacobian(f, x)
    assert isinstance(J, np.ndarray)
    assert J.shape == np.shape(f(x)) + x.shape
    np.testing.assert_allclose(J, ref, rtol=1e-7, atol=1e-8)


def _g(p, q):
    return {"a": p["u"] * q, "b": (p["v"] ** 2).sum() * q[0]}


@pytest.mark.parametrize("jac", JACS, ids=lambda j: j.__name__)
def test_pytrees_and_argnums(jac):
    p = {"u": RNG.standard_normal(3), "v": RNG.standard_normal((2, 2))}
    q = RNG.standard_normal(3)
    J = jac(_g, argnums=(0, 1))(p, q)
    # J[out_key][argnum][in_key]: shape out.shape + in.shape
    assert set(J) == {"a", "b"} and isinstance(J["a"], tuple) and len(J["a"]) == 2
    np.testing.assert_allclose(J["a"][0]["u"], np.diag(q))
    np.testing.assert_allclose(J["a"][0]["v"], np.zeros((3, 2, 2)))
    np.testing.assert_allclose(J["a"][1], np.diag(p["u"]))
    np.testing.assert_allclose(J["b"][0]["v"], 2 * p["v"] * q[0])
    np.testing.assert_allclose(J["b"][1], np.array([(p["v"] ** 2).sum(), 0, 0]))
    assert J["b"][0]["u"].shape == (3,)
    # a single argnum gives the inner structure without the tuple
    J0 = jac(_g, argnums=1)(p, q)
    np.testing.assert_allclose(J0["a"], np.diag(p["u"]))
    # tuple and list outputs
    Jt = jac(lambda x: (x * 2.0, [x.sum(), x[0] ** 2]))(q)
    np.testing.assert_allclose(Jt[0], 2 * np.eye(3))
    np.testing.assert_allclose(Jt[1][0], np.ones(3))
    np.testing.assert_allclose(Jt[1][1], [2 * q[0], 0, 0])


@pytest.mark.parametrize("jac", JACS + [wg.hessian], ids=lambda j: j.__name__)
def test_has_aux(jac):
    x = RNG.standard_normal(3)
    J, aux = jac(lambda v: ((v ** 3).sum(), {"norm": (v ** 2).sum(), "tag": "t"}),
                 has_aux=True)(x)
    expect = np.diag(6 * x) if jac is wg.hessian else 3 * x ** 2
    np.testing.assert_allclose(J, expect)
    assert isinstance(aux["norm"], np.ndarray)
    np.testing.assert_allclose(aux["norm"], (x ** 2).sum())
    assert aux["tag"] == "t"


def test_jacobian_chooses_mode_from_sizes():
    jac_tall = wg.jacobian(lambda x: wnp.outer(x, x).ravel())    # n = 3 inputs, m = 9 outputs
    jac_tall(np.ones(3))
    assert jac_tall.last_mode == "forward"
    jac_wide = wg.jacobian(lambda x: wnp.sum(x * x, axis=0))     # n = 12, m = 3
    J = jac_wide(np.ones((4, 3)))
    assert jac_wide.last_mode == "reverse"
    assert J.shape == (3, 4, 3)
    jac_scalar = wg.jacobian(lambda x: (x ** 2).sum())
    jac_scalar(np.ones(5))
    assert jac_scalar.last_mode == "reverse"
    forced = wg.jacobian(lambda x: (x ** 2).sum(), mode="forward")
    np.testing.assert_allclose(forced(np.arange(3.0)), [0.0, 2.0, 4.0])
    assert forced.last_mode == "forward"
    forced = wg.jacobian(lambda x: wnp.outer(x, x), mode="reverse")
    forced(np.ones(2))
    assert forced.last_mode == "reverse"
    with pytest.raises(ValueError, match="mode"):
        wg.jacobian(lambda x: x, mode="sideways")


def test_hessian_against_analytic():
    A = RNG.standard_normal((4, 4))
    x = RNG.standard_normal(4)
    f = lambda v: 0.5 * v @ (A @ v) + wnp.sin(v).sum()
    H = wg.hessian(f)(x)
    np.testing.assert_allclose(H, 0.5 * (A + A.T) + np.diag(-np.sin(x)), atol=1e-12)
    # matrix input: shape in.shape + in.shape
    X = RNG.standard_normal((2, 3))
    H = wg.hessian(lambda m: (m ** 3).sum())(X)
    assert H.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(H.reshape(6, 6), np.diag(6 * X.ravel()))
    # against central differences of the gradient
    g = lambda v: wg.grad(f)(v)
    np.testing.assert_allclose(wg.hessian(f)(x), numerical_jacobian(g, x), rtol=1e-6,
                               atol=1e-7)


def test_hessian_pytree_and_argnums():
    a, b = RNG.standard_normal(2), np.array(0.4)
    f = lambda p: (p["a"] ** 2).sum() * p["b"] ** 3
    H = wg.hessian(f)({"a": a, "b": b})
    np.testing.assert_allclose(H["a"]["a"], 2 * b ** 3 * np.eye(2))
    np.testing.assert_allclose(H["a"]["b"], 6 * a * b ** 2)
    np.testing.assert_allclose(H["b"]["a"], 6 * a * b ** 2)
    np.testing.assert_allclose(H["b"]["b"], 6 * (a ** 2).sum() * b)
    h = wg.hessian(lambda x, y: (x * y).sum() ** 2, argnums=(0, 1))(a, a[::-1].copy())
    s = (a * a[::-1]).sum()
    np.testing.assert_allclose(h[0][1], 2 * np.outer(a[::-1], a) + 2 * s * np.eye(2))


def test_hvp_matches_materialised_hessian():
    A = RNG.standard_normal((5, 5))
    x, v = RNG.standard_normal(5), RNG.standard_normal(5)
    f = lambda y: wnp.exp(y @ A @ y / 10.0) + (y ** 4).sum()
    np.testing.assert_allclose(wg.hvp(f, x, v), wg.hessian(f)(x) @ v, rtol=1e-10)
    # pytree points and directions, and extra (non-differentiated) arguments
    p = {"w": x, "s": np.array(0.3)}
    d = {"w": v, "s": np.array(1.0)}
    g = lambda q, c: (wnp.sin(q["w"]) * q["s"] * c).sum()
    hv = wg.hvp(g, p, d, 2.0)
    np.testing.assert_allclose(hv["w"], -np.sin(x) * 0.3 * 2.0 * v + np.cos(x) * 2.0)
    np.testing.assert_allclose(hv["s"], (np.cos(x) * 2.0 * v).sum())


def test_hvp_memory_is_linear():
    n = 200_000
    x = np.linspace(-1.0, 1.0, n)
    v = np.ones(n)
    f = lambda y: (wnp.sin(y) * y).sum() + (y[1:] * y[:-1]).sum()
    tracemalloc.start()
    try:
        hv = wg.hvp(f, x, v)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    d2 = 2 * np.cos(x) - x * np.sin(x)
    ref = d2 * v
    ref[1:] += v[:-1]
    ref[:-1] += v[1:]
    np.testing.assert_allclose(hv, ref, atol=1e-12)
    assert peak < 60 * 8 * n          # a few dozen n-vectors; the Hessian would be n^2


@pytest.mark.parametrize("fn", ["jacfwd", "jacrev", "jacobian", "hessian"])
def test_float32_stays_float32(fn):
    x = RNG.standard_normal(3).astype(np.float32)
    J = getattr(wg, fn)(lambda v: wnp.sin(v) * v.sum())(x)
    assert J.dtype == np.float32
    x64 = x.astype(np.float64)
    if fn == "hessian":   # one Hessian per output; their sum is the Jacobian of grad(sum f)
        ref = numerical_jacobian(lambda v: wg.grad(lambda u: (wnp.sin(u) * u.sum()).sum())(v),
                                 x64)
        np.testing.assert_allclose(J.sum(0), ref, rtol=1e-4, atol=1e-4)
    else:
        ref = numerical_jacobian(lambda v: np.sin(v) * v.sum(), x64)
        np.testing.assert_allclose(J, ref, rtol=1e-5, atol=1e-5)
    hv = wg.hvp(lambda v: (v ** 3).sum(), x, np.ones(3, np.float32))
    assert hv.dtype == np.float32
    np.testing.assert_allclose(hv, 6 * x, rtol=1e-6)


def test_nesting_and_composition():
    x = RNG.standard_normal(3)
    f = lambda v: (wnp.sin(v) ** 2).sum() * v[0]
    H = wg.hessian(f)(x)
    for outer in (wg.jacfwd, wg.jacrev):
        for inner in (wg.jacfwd, wg.jacrev):
            np.testing.assert_allclose(outer(inner(f))(x), H, atol=1e-12)
    np.testing.assert_allclose(wg.jacfwd(wg.grad(f))(x), H, atol=1e-12)
    # per-example Jacobians and Hessians under vmap
    X = RNG.standard_normal((4, 3))
    Hs = wg.vmap(wg.hessian(f))(X)
    for i in range(4):
        np.testing.assert_allclose(Hs[i], wg.hessian(f)(X[i]), atol=1e-12)
    Js = wg.vmap(wg.jacrev(lambda v: wnp.exp(v) * v[1]))(X)
    for i in range(4):
        ref = np.diag(np.exp(X[i])) * X[i, 1]
        ref[:, 1] += np.exp(X[i])
        np.testing.assert_allclose(Js[i], ref)
    # the gradient of a function of a Jacobian (third order)
    g = wg.grad(lambda v: wg.jacrev(wg.grad(f))(v).sum())(x)
    np.testing.assert_allclose(g, numerical_jacobian(lambda v: wg.hessian(f)(v).sum(), x),
                               rtol=1e-6, atol=1e-7)


def test_jacfwd_rejects_integer_inputs():
    with pytest.raises(DTypeError):
        wg.jacfwd(lambda v: v * 2)(np.arange(3))
    with pytest.raises(DTypeError):
        wg.jacrev(lambda v: v * 2)(np.arange(3))


def test_keyword_arguments_pass_through():
    f = lambda x, scale=1.0: wnp.sin(x) * scale
    x = RNG.standard_normal(3)
    for jac in JACS:
        np.testing.assert_allclose(jac(f)(x, scale=3.0), np.diag(3.0 * np.cos(x)))
