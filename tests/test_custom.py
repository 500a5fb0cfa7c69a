"""User-defined derivative rules: ``wg.custom_vjp`` and ``wg.custom_jvp`` (JAX semantics, plus a
derived forward rule for custom_vjp), ``wg.stop_gradient``, and ``wg.autograd.Function``
(PyTorch semantics), under every transform, against analytic derivatives."""
from functools import partial

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert._errors import GradientError
from wengert._transforms.custom import CustomRuleError
from wengert.autograd import Function, once_differentiable

RNG = np.random.default_rng(2)
X = np.array([-1.5, 0.3, 2.0])


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x)))     # no overflow at |x| = 800


# --- the chapter's examples --------------------------------------------------------------------------
@wg.custom_vjp
def softplus(x):
    """log(1 + e^x), stable for large |x|."""
    return wnp.maximum(x, 0.0) + wnp.log1p(wnp.exp(-wnp.abs(x)))


def _softplus_fwd(x):
    return softplus(x), x                       # fwd may call the function itself


def _softplus_bwd(x, g):
    return (g * wnp.sigmoid(x),)                # written with wengert ops: differentiable


softplus.defvjp(_softplus_fwd, _softplus_bwd)


@wg.custom_vjp
def logsumexp(x):
    m = wnp.max(x)
    return m + wnp.log(wnp.sum(wnp.exp(x - m)))


def _lse_fwd(x):
    out = logsumexp(x)
    return out, (x, out)


def _lse_bwd(res, g):
    x, out = res
    return (g * wnp.exp(x - out),)              # softmax, from the saved output


logsumexp.defvjp(_lse_fwd, _lse_bwd)


@wg.custom_vjp
def ste_round(x):
    """round(x) with the straight-through (identity) gradient."""
    return wnp.round(x)


ste_round.defvjp(lambda x: (ste_round(x), None), lambda _, g: (g,))


def test_softplus_values_and_all_derivative_orders():
    x = np.array([-800.0, -1.5, 0.0, 0.3, 800.0])
    np.testing.assert_allclose(softplus(x).numpy(), np.logaddexp(x, 0.0))   # stable at +-800
    s = sigmoid(x)
    np.testing.assert_allclose(wg.grad(lambda v: softplus(v).sum())(x), s, atol=1e-300)
    # forward mode is derived from bwd (JAX refuses this)
    np.testing.assert_allclose(wg.jvp(softplus, (x,), (np.ones_like(x),))[1], s)
    np.testing.assert_allclose(wg.jacfwd(softplus)(x), np.diag(s))
    # second order: bwd is differentiable (reverse-over-reverse and forward-over-reverse)
    np.testing.assert_allclose(wg.hessian(lambda v: softplus(v).sum())(x), np.diag(s * (1 - s)))
    gg = wg.grad(lambda v: wg.grad(lambda u: softplus(u).sum())(v).sum())(x)
    np.testing.assert_allclose(gg, s * (1 - s))
    # third order through nested grads
    g3 = wg.grad(lambda v: wg.grad(lambda u: wg.grad(lambda w: softplus(w).sum())(u).sum())(v)
                 .sum())(X)
    sx = sigmoid(X)
    np.testing.assert_allclose(g3, sx * (1 - sx) * (1 - 2 * sx))
    # per-example under vmap, and the imperative API
    np.testing.assert_allclose(wg.vmap(wg.grad(softplus))(X), sigmoid(X))
    t = wg.tensor(X, requires_grad=True)
    softplus(t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), sigmoid(X))


def test_logsumexp_custom_vjp():
    x = np.array([1000.0, 1001.0, 999.0])          # overflows naively
    out = logsumexp(x)
    np.testing.assert_allclose(out.numpy(), 1001.0 + np.log(np.exp(-1) + 1 + np.exp(-2)))
    p = np.exp(x - out.numpy())
    np.testing.assert_allclose(wg.grad(logsumexp)(x), p)
    np.testing.assert_allclose(wg.jvp(logsumexp, (x,), (np.arange(3.0),))[1], p @ np.arange(3.0))
    # Hessian of logsumexp: diag(p) - p p^T; the residual `out` is differentiated too
    np.testing.assert_allclose(wg.hessian(logsumexp)(x), np.diag(p) - np.outer(p, p), atol=1e-12)
    Xb = RNG.standard_normal((4, 3))
    g = wg.vmap(wg.grad(logsumexp))(Xb)
    np.testing.assert_allclose(g, np.exp(Xb) / np.exp(Xb).sum(1, keepdims=True))


def test_straight_through_estimator():
    x = np.array([0.2, 1.7, -2.4])
    np.testing.assert_array_equal(ste_round(x).numpy(), np.round(x))
    f = lambda v: (ste_round(v) * np.array([1.0, 2.0, 3.0])).sum()
    np.testing.assert_allclose(wg.grad(f)(x), [1.0, 2.0, 3.0])    # round' = 0 would give 0
    np.testing.assert_allclose(wg.grad(lambda v: wnp.round(v).sum())(x), 0.0)
    np.testing.assert_allclose(wg.jvp(ste_round, (x,), (np.ones(3),))[1], np.ones(3))
    np.testing.assert_allclose(wg.vmap(wg.grad(ste_round))(x), np.ones(3))
    # a quantised linear layer trained through the estimator
    w = np.array([0.4, -1.3])
    loss = lambda w_: ((ste_round(w_ * 4.0) / 4.0 - np.array([0.5, -1.0])) ** 2).sum()
    q = np.round(w * 4.0) / 4.0
    np.testing.assert_allclose(wg.grad(loss)(w), 2 * (q - [0.5, -1.0]))


def test_stop_gradient():
    x = np.array([0.5, -1.0])
    f = lambda v: v * wg.stop_gradient(v) + wg.stop_gradient(v ** 2)
    np.testing.assert_allclose(f(x).numpy(), 2 * x ** 2)
    np.testing.assert_allclose(wg.grad(lambda v: f(v).sum())(x), x)
    np.testing.assert_allclose(wg.jvp(f, (x,), (np.ones(2),))[1], x)
    np.testing.assert_allclose(wg.hessian(lambda v: f(v).sum())(x), np.zeros((2, 2)))
    np.testing.assert_allclose(wg.vmap(wg.grad(lambda v: f(v)))(x), x)
    t = wg.tensor(x, requires_grad=True)
    assert not wg.stop_gradient(t).requires_grad


# --- custom_vjp semantics ------------------------------------------------------------------------
def test_custom_vjp_nondiff_argnums():
    @partial(wg.custom_vjp, nondiff_argnums=(0, 2))
    def apply(fn, x, k):
        return fn(x) * k

    def fwd(fn, x, k):
        return apply(fn, x, k), x

    def bwd(fn, k, x, g):                   # nondiff args first, then residuals, cotangent
        assert callable(fn) and k == 3
        return (g * 100.0,)                 # a deliberately fake rule

    apply.defvjp(fwd, bwd)
    np.testing.assert_allclose(apply(wnp.sin, X, 3).numpy(), np.sin(X) * 3)
    np.testing.assert_allclose(wg.grad(lambda v: apply(wnp.sin, v, 3).sum())(X), 100.0)
    np.testing.assert_allclose(wg.jvp(lambda v: apply(wnp.sin, v, 3), (X,),
                                      (np.ones(3),))[1], 100.0)


def test_custom_vjp_pytrees():
    @wg.custom_vjp
    def f(p, x):
        return {"y": p["a"] * x, "z": (p["b"] * 2.0, x.sum())}

    def fwd(p, x):
        return f(p, x), (p, x)

    def bwd(res, g):
        p, x = res
        return ({"a": g["y"] * x, "b": g["z"][0] * 2.0}, g["y"] * p["a"] + g["z"][1])

    f.defvjp(fwd, bwd)
    p = {"a": RNG.standard_normal(3), "b": np.array(0.7)}
    x = RNG.standard_normal(3)

    def loss(p, x):
        o = f(p, x)
        return (o["y"] ** 2).sum() + o["z"][0] * o["z"][1]

    gp, gx = wg.grad(loss, argnums=(0, 1))(p, x)
    np.testing.assert_allclose(gp["a"], 2 * p["a"] * x ** 2)
    np.testing.assert_allclose(gp["b"], 2 * x.sum())
    np.testing.assert_allclose(gx, 2 * p["a"] ** 2 * x + 2 * 0.7)
    # forward mode through the derived rule agrees with the pairing <J^T u, v> = <u, J v>
    _, tan = wg.jvp(loss, (p, x), ({"a": np.ones(3), "b": np.array(1.0)}, np.zeros(3)))
    np.testing.assert_allclose(tan, gp["a"].sum() + gp["b"])


def test_custom_vjp_none_cotangent_and_static_residuals():
    @wg.custom_vjp
    def f(x, y):
        return x * y

    def fwd(x, y):
        return f(x, y), (y, 2.5, "note")     # non-array residuals come back unchanged

    def bwd(res, g):
        y, k, note = res
        assert k == 2.5 and note == "note"
        return g * y * (k / 2.5), None       # None: zero cotangent for y

    f.defvjp(fwd, bwd)
    gx, gy = wg.grad(lambda a, b: f(a, b).sum(), argnums=(0, 1))(X, X[::-1].copy())
    np.testing.assert_allclose(gx, X[::-1])
    np.testing.assert_allclose(gy, 0.0)


def test_custom_vjp_malformed_rules():
    @wg.custom_vjp
    def f(x):
        return x * 2.0

    with pytest.raises(CustomRuleError, match="no rule yet"):
        f(X)
    f.defvjp(lambda x: f(x), lambda r, g: (g,))
    with pytest.raises(CustomRuleError, match="pair"):
        f(X)
    f.defvjp(lambda x: (f(x), None), lambda r, g: g)
    with pytest.raises(CustomRuleError, match="tuple"):
        wg.grad(lambda v: f(v).sum())(X)
    f.defvjp(lambda x: (f(x), None), lambda r, g: (g, g))
    with pytest.raises(CustomRuleError, match="2 cotangents for 1"):
        wg.grad(lambda v: f(v).sum())(X)
    f.defvjp(lambda x: (f(x), None), lambda r, g: (wnp.ones(5),))
    with pytest.raises(CustomRuleError, match="shape \\(5,\\).*shape \\(3,\\)"):
        wg.grad(lambda v: f(v).sum())(X)

    @wg.custom_vjp
    def h(p):
        return p["a"]

    h.defvjp(lambda p: (h(p), None), lambda r, g: ((g,),))
    with pytest.raises(CustomRuleError, match="structure"):
        wg.grad(lambda a: h({"a": a}).sum())(X)
    with pytest.raises(CustomRuleError, match="nondiff_argnums"):
        h({"a": X, "mode": "fast"})


def test_custom_vjp_under_vmap_in_both_orders():
    Xb = RNG.standard_normal((4, 3))
    s = sigmoid(Xb)
    np.testing.assert_allclose(wg.vmap(softplus)(Xb), np.logaddexp(Xb, 0.0))
    np.testing.assert_allclose(wg.vmap(wg.grad(lambda v: softplus(v).sum()))(Xb), s)
    np.testing.assert_allclose(wg.grad(lambda m: wg.vmap(softplus)(m).sum())(Xb), s)
    _, t = wg.jvp(wg.vmap(softplus), (Xb,), (np.ones_like(Xb),))
    np.testing.assert_allclose(t, s)
    # batched over one argument only
    @wg.custom_vjp
    def scale(x, w):
        return x * w

    scale.defvjp(lambda x, w: (scale(x, w), (x, w)), lambda r, g: (g * r[1], g * r[0]))
    w = np.array([1.0, 2.0, 3.0])
    gw = wg.vmap(wg.grad(lambda x, w_: scale(x, w_).sum(), argnums=1), in_axes=(0, None))(Xb, w)
    np.testing.assert_allclose(gw, Xb)


# --- custom_jvp semantics ------------------------------------------------------------------------
@wg.custom_jvp
def sin_times(x, y):
    return wnp.sin(x) * y


@sin_times.defjvp
def _sin_times_jvp(primals, tangents):
    x, y = primals
    tx, ty = tangents
    return sin_times(x, y), wnp.cos(x) * tx * y + wnp.sin(x) * ty


def test_custom_jvp_all_modes():
    x, y = X, np.array([2.0, -1.0, 0.5])
    _, t = wg.jvp(sin_times, (x, y), (np.ones(3), np.zeros(3)))
    np.testing.assert_allclose(t, np.cos(x) * y)
    gx, gy = wg.grad(lambda a, b: sin_times(a, b).sum(), argnums=(0, 1))(x, y)  # transposed
    np.testing.assert_allclose(gx, np.cos(x) * y)
    np.testing.assert_allclose(gy, np.sin(x))
    np.testing.assert_allclose(wg.hessian(lambda a: sin_times(a, y).sum())(x),
                               np.diag(-np.sin(x) * y))
    np.testing.assert_allclose(wg.vmap(sin_times)(np.stack([x, x]), np.stack([y, y])),
                               np.stack([np.sin(x) * y] * 2))
    np.testing.assert_allclose(wg.vmap(wg.grad(sin_times))(x, y), np.cos(x) * y)
    t = wg.tensor(x, requires_grad=True)
    sin_times(t, y).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), np.cos(x) * y)


def test_custom_jvp_changes_the_derivative_and_nondiff_argnums():
    @wg.custom_jvp
    def safe_log(x):
        return wnp.log(x)

    @safe_log.defjvp
    def _(primals, tangents):
        return safe_log(primals[0]), tangents[0] / wnp.maximum(primals[0], 1e-3)

    with np.errstate(divide="ignore"):
        g = wg.grad(lambda v: safe_log(v).sum())(np.array([0.0, 2.0]))
    np.testing.assert_allclose(g, [1e3, 0.5])

    @partial(wg.custom_jvp, nondiff_argnums=(0,))
    def power(n, x):
        return x ** n

    @power.defjvp
    def _(n, primals, tangents):
        return power(n, primals[0]), n * primals[0] ** (n - 1) * tangents[0]

    np.testing.assert_allclose(wg.grad(lambda v: power(3, v).sum())(X), 3 * X ** 2)
    np.testing.assert_allclose(wg.hessian(lambda v: power(3, v).sum())(X), np.diag(6 * X))

    @wg.custom_jvp
    def expo(x):
        return wnp.exp(x)

    expo.defjvps(lambda t, ans, x: ans * t)
    np.testing.assert_allclose(wg.grad(lambda v: expo(v).sum())(X), np.exp(X))


def test_custom_jvp_malformed_rule():
    @wg.custom_jvp
    def f(x):
        return x * 2.0

    with pytest.raises(CustomRuleError, match="no rule yet"):
        f(X)
    f.defjvp(lambda p, t: t[0] * 2.0)
    with pytest.raises(CustomRuleError, match="pair"):
        wg.jvp(f, (X,), (X,))
    f.defjvp(lambda p, t: (f(*p), (t[0], t[0])))
    with pytest.raises(CustomRuleError, match="structure"):
        wg.jvp(f, (X,), (X,))


# --- wg.autograd.Function (PyTorch semantics) ----------------------------------------------------
class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = wnp.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class ScaledProduct(Function):
    """Two outputs, a non-tensor argument, and needs_input_grad."""
    seen_needs = None

    @staticmethod
    def forward(ctx, x, k, y):
        ctx.k = k
        ctx.save_for_backward(x, y)
        return x * y * k, x + y

    @staticmethod
    def backward(ctx, g_prod, g_sum):
        x, y = ctx.saved_tensors
        ScaledProduct.seen_needs = ctx.needs_input_grad
        gx = g_prod * y * ctx.k + g_sum if ctx.needs_input_grad[0] else None
        gy = g_prod * x * ctx.k + g_sum if ctx.needs_input_grad[2] else None
        return gx, None, gy


def test_function_basics():
    x = wg.tensor(X, requires_grad=True)
    y = Exp.apply(x)
    assert y.grad_fn.name() == "ExpBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(X))
    a = wg.tensor([1.0, 2.0], requires_grad=True)
    b = wg.tensor([3.0, 4.0])
    p, s = ScaledProduct.apply(a, 2.0, b)
    np.testing.assert_allclose(p.detach().numpy(), [6.0, 16.0])
    (p.sum() + 10.0 * s.sum()).backward()
    assert ScaledProduct.seen_needs == (True, False, False)
    np.testing.assert_allclose(a.grad.numpy(), [2 * 3 + 10, 2 * 4 + 10])
    assert b.grad is None
    # only one output used: the other's gradient arrives as zeros
    a.grad = None
    ScaledProduct.apply(a, 2.0, b)[1].sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [1.0, 1.0])


def test_function_under_functional_transforms():
    np.testing.assert_allclose(wg.grad(lambda v: Exp.apply(v).sum())(X), np.exp(X))
    np.testing.assert_allclose(wg.jvp(Exp.apply, (X,), (np.ones(3),))[1], np.exp(X))
    np.testing.assert_allclose(wg.hessian(lambda v: Exp.apply(v).sum())(X), np.diag(np.exp(X)))
    Xb = RNG.standard_normal((4, 3))
    np.testing.assert_allclose(wg.vmap(Exp.apply)(Xb), np.exp(Xb))
    np.testing.assert_allclose(wg.vmap(wg.grad(lambda v: Exp.apply(v).sum()))(Xb), np.exp(Xb))
    y = np.array([0.5, 1.0, 1.5])
    gx, gy = wg.grad(lambda a, b: ScaledProduct.apply(a, 3.0, b)[0].sum(), argnums=(0, 1))(X, y)
    np.testing.assert_allclose(gx, 3 * y)
    np.testing.assert_allclose(gy, 3 * X)
    _, t = wg.jvp(lambda a: ScaledProduct.apply(a, 3.0, y)[0], (X,), (np.ones(3),))
    np.testing.assert_allclose(t, 3 * y)
    # integer tensor arguments are passed through (and batched by vmap)
    class Pick(Function):
        @staticmethod
        def forward(ctx, x, i):
            ctx.save_for_backward(i)
            ctx.n = x.shape[0]
            return x[i]

        @staticmethod
        def backward(ctx, g):
            (i,) = ctx.saved_tensors
            return wnp.where(wnp.arange(ctx.n) == i, g, 0.0), None

    idx = np.array([2, 0, 1, 1])
    vals = wg.vmap(Pick.apply)(Xb, idx)
    np.testing.assert_allclose(vals, Xb[np.arange(4), idx])
    g = wg.vmap(wg.grad(Pick.apply))(Xb, idx)
    np.testing.assert_allclose(g, np.eye(3)[idx])


def test_function_double_backward():
    x = wg.tensor(X, requires_grad=True)
    (g,) = wg.autograd.grad(Exp.apply(x).sum(), x, create_graph=True)
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(X))
    np.testing.assert_allclose(wg.grad(lambda v: wg.grad(lambda u: Exp.apply(u).sum())(v)
                                       .sum())(X), np.exp(X))


class NumpyCube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return wg.tensor(3 * x.numpy() ** 2 * g.numpy())   # plain NumPy is allowed here


def test_once_differentiable():
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    NumpyCube.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])
    np.testing.assert_allclose(wg.grad(lambda v: NumpyCube.apply(v).sum())(np.array([1., 2.])),
                               [3.0, 12.0])
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = wg.autograd.grad(NumpyCube.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [3.0, 12.0])
    with pytest.raises(GradientError, match="once_differentiable"):
        g.sum().backward()                           # not silently zero
    with pytest.raises(GradientError, match="once_differentiable"):
        wg.grad(lambda v: wg.grad(lambda u: NumpyCube.apply(u).sum())(v).sum())(np.ones(2))


def test_mark_non_differentiable_and_materialize_grads():
    class SortWithIndex(Function):
        @staticmethod
        def forward(ctx, x):
            i = wg.tensor(np.argsort(x.detach().numpy()))
            s = x[i]
            flags = s > 0
            scale = s * 0.0 + 1.0
            ctx.mark_non_differentiable(i, scale)
            ctx.save_for_backward(i)
            return s, i, flags, scale

        @staticmethod
        def backward(ctx, gs, gi, gf, gscale):
            (i,) = ctx.saved_tensors
            assert np.all(np.asarray(gscale.detach().numpy() if gscale is not None else 0) == 0)
            out = np.zeros(gs.shape)
            out[i.numpy()] = gs.detach().numpy()
            return wg.tensor(out)

    x = wg.tensor([3.0, -1.0, 2.0], requires_grad=True)
    s, i, flags, scale = SortWithIndex.apply(x)
    assert not flags.requires_grad                  # a bool output: never differentiable
    assert s.requires_grad and not i.requires_grad and not scale.requires_grad
    np.testing.assert_array_equal(i.numpy(), [1, 2, 0])
    (s * wg.tensor([1.0, 2.0, 3.0]) + scale).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 1.0, 2.0])

    received = []

    class Materialize(Function):

        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2.0, x * 3.0

        @staticmethod
        def backward(ctx, ga, gb):
            received.append((ga is None, gb is None))
            return ga * 2.0

    x = wg.tensor([1.0], requires_grad=True)
    Materialize.apply(x)[0].sum().backward()
    assert received == [(False, True)]
    np.testing.assert_allclose(x.grad.numpy(), [2.0])


def test_function_backward_returning_wrong_count():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g, g, g

    x = wg.tensor([1.0], requires_grad=True)
    with pytest.raises(CustomRuleError, match="3 gradients.*2 arguments"):
        Bad.apply(x, x).sum().backward()


def test_function_with_explicit_jvp():
    class Cube(Function):
        jvp_calls = 0

        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return x ** 3 * k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2 * ctx.k, None

        @staticmethod
        def jvp(ctx, tx, tk):
            Cube.jvp_calls += 1
            assert tk is None                        # k is not a tensor
            (x,) = ctx.saved_tensors
            return tx * 3 * x ** 2 * ctx.k

    _, t = wg.jvp(lambda v: Cube.apply(v, 2.0), (X,), (np.ones(3),))
    np.testing.assert_allclose(t, 6 * X ** 2)
    assert Cube.jvp_calls == 1
    np.testing.assert_allclose(wg.jacfwd(lambda v: Cube.apply(v, 2.0))(X), np.diag(6 * X ** 2))
    np.testing.assert_allclose(wg.grad(lambda v: Cube.apply(v, 2.0).sum())(X), 6 * X ** 2)
