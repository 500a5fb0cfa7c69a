"""Forward mode: functional ``jvp``/``linearize`` and PyTorch-style dual tensors
(``wg.autograd.forward_ad``) with nested levels.  References are analytic derivatives."""
import math

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.autograd import forward_ad as fwAD


def f_vec(x):
    return wnp.sin(x) * wnp.exp(x[0])


def jac_vec(x):
    J = np.diag(np.cos(x) * np.exp(x[0]))
    J[:, 0] += np.sin(x) * np.exp(x[0])
    return J


X = np.array([0.3, -1.2, 2.0])
V = np.array([1.0, 0.5, -2.0])


# -- jvp / linearize ----------------------------------------------------------------------
def test_jvp_plain_arrays():
    out, t = wg.jvp(f_vec, (X,), (V,))
    assert type(out) is np.ndarray and type(t) is np.ndarray
    np.testing.assert_allclose(out, np.sin(X) * np.exp(X[0]), rtol=1e-14)
    np.testing.assert_allclose(t, jac_vec(X) @ V, rtol=1e-14)


def test_jvp_python_scalars_and_constant_output():
    out, t = wg.jvp(lambda x: x ** 3, (2.0,), (1.0,))
    assert type(t) is np.ndarray and float(t) == 12.0
    out, t = wg.jvp(lambda x: 1.0, (2.0,), (1.0,))
    assert type(out) is np.ndarray and float(out) == 1.0 and float(t) == 0.0


def test_jvp_pytrees_and_has_aux():
    def f(p, s):
        return {"a": p["w"] * s, "b": (wnp.sum(p["w"] ** 2), None)}, "aux"

    p = {"w": np.array([1.0, 2.0])}
    out, t, aux = wg.jvp(f, (p, 3.0), ({"w": np.array([1.0, 0.0])}, 0.5), has_aux=True)
    assert aux == "aux"
    assert out["b"][1] is None and t["b"][1] is None
    np.testing.assert_allclose(t["a"], np.array([1.0, 0.0]) * 3 + p["w"] * 0.5)
    np.testing.assert_allclose(t["b"][0], 2.0)


def test_jvp_float32_and_integer_primal():
    x = np.array([1.0, 2.0], dtype=np.float32)
    out, t = wg.jvp(lambda x, n: x ** n, (x, 3), (np.ones(2, np.float32), 0))
    assert out.dtype == np.float32 and t.dtype == np.float32
    np.testing.assert_allclose(t, 3 * x ** 2)


def test_linearize():
    out, f_jvp = wg.linearize(f_vec, X)
    np.testing.assert_allclose(out, np.sin(X) * np.exp(X[0]), rtol=1e-14)
    J = jac_vec(X)
    for v in (V, np.eye(3)[1]):
        np.testing.assert_allclose(f_jvp(v), J @ v, rtol=1e-14)
    np.testing.assert_allclose(f_jvp(2 * V) - 2 * f_jvp(V), 0, atol=1e-14)


def test_linearize_pytree():
    out, f_jvp = wg.linearize(lambda a, b: a["x"] * b, {"x": 2.0}, 3.0)
    assert float(out) == 6.0
    assert float(f_jvp({"x": 1.0}, 0.0)) == 3.0 and float(f_jvp({"x": 0.0}, 1.0)) == 2.0
    with pytest.raises(wg.TreeError, match="2 tangent"):
        f_jvp({"x": 1.0})


def test_jvp_bad_input():
    with pytest.raises(wg.TreeError, match="structure"):
        wg.jvp(lambda x: x, (np.ones(2),), ([np.ones(2)],))
    with pytest.raises(wg.TreeError):
        wg.jvp(lambda x, y: x, (1.0, 2.0), (1.0,))
    with pytest.raises(wg.ShapeError, match=r"\(3,\).*\(2,\)"):
        wg.jvp(lambda x: x, (np.ones(2),), (np.ones(3),))
    with pytest.raises(wg.DTypeError, match="tangent"):
        wg.jvp(lambda x: x, (np.ones(2),), (np.ones(2, dtype=int),))
    with pytest.raises(TypeError, match="tuples"):
        wg.jvp(lambda x: x, np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="pair"):
        wg.jvp(lambda x: x, (1.0,), (1.0,), has_aux=True)


# -- dual tensors -------------------------------------------------------------------------
def test_make_dual_unpack_dual():
    with fwAD.dual_level():
        x = fwAD.make_dual(wg.tensor(X), wg.tensor(V))
        y = f_vec(x)
        p, t = fwAD.unpack_dual(y)
        assert fwAD.unpack_dual(y).tangent is t
    np.testing.assert_allclose(p.numpy(), np.sin(X) * np.exp(X[0]), rtol=1e-14)
    np.testing.assert_allclose(t.numpy(), jac_vec(X) @ V, rtol=1e-14)


def test_unpack_dual_without_tangent():
    with fwAD.dual_level():
        c = wg.tensor([1.0, 2.0])
        p, t = fwAD.unpack_dual(c)
        assert t is None and p is c
        x = fwAD.make_dual(wg.tensor(1.0), wg.tensor(1.0))
        assert fwAD.unpack_dual(c * 2.0).tangent is None       # does not depend on x
        assert fwAD.unpack_dual(x > 0).tangent is None          # not differentiable
    assert fwAD.unpack_dual(c).tangent is None                  # outside every level


def test_nested_levels_give_second_derivatives():
    # x^3 at 2: inner tangent 3x^2 = 12, its outer tangent 6x = 12, outer tangent 12
    with fwAD.dual_level():
        x = fwAD.make_dual(wg.tensor(2.0), wg.tensor(1.0))
        with fwAD.dual_level():
            x2 = fwAD.make_dual(x, wg.tensor(1.0))
            p, t = fwAD.unpack_dual(x2 ** 3)
        pp, pt = fwAD.unpack_dual(p)
        tp, tt = fwAD.unpack_dual(t)
    assert (pp.item(), pt.item(), tp.item(), tt.item()) == (8.0, 12.0, 12.0, 12.0)


def test_nested_levels_mixed_partials_and_level_argument():
    # z = x^2 y sin(y) at x = 2, y = 3
    x0, y0 = 2.0, 3.0
    with fwAD.dual_level() as outer:
        x = fwAD.make_dual(wg.tensor(x0), wg.tensor(1.0))
        with fwAD.dual_level() as inner:
            assert inner != outer
            y = fwAD.make_dual(wg.tensor(y0), wg.tensor(1.0))
            z = x * x * y * wnp.sin(y)
            _p_in, t_in = fwAD.unpack_dual(z)                 # d/dy, default: innermost
            p_out, t_out = fwAD.unpack_dual(z, level=outer)  # d/dx, still carrying d/dy
            _, mixed_a = fwAD.unpack_dual(t_in, level=outer)
            dx_val, mixed_b = fwAD.unpack_dual(t_out, level=inner)
            _, dy_of_primal = fwAD.unpack_dual(p_out, level=inner)
    dzdy = x0 ** 2 * (math.sin(y0) + y0 * math.cos(y0))
    dzdx = 2 * x0 * y0 * math.sin(y0)
    mixed = 2 * x0 * (math.sin(y0) + y0 * math.cos(y0))
    assert math.isclose(fwAD.unpack_dual(t_in).primal.item(), dzdy, rel_tol=1e-14)
    assert math.isclose(dx_val.item(), dzdx, rel_tol=1e-14)
    assert math.isclose(mixed_a.item(), mixed, rel_tol=1e-14)
    assert math.isclose(mixed_b.item(), mixed, rel_tol=1e-14)
    assert math.isclose(dy_of_primal.item(), dzdy, rel_tol=1e-14)


def test_make_dual_at_an_outer_level():
    with fwAD.dual_level() as outer, fwAD.dual_level() as inner:
        y = fwAD.make_dual(wg.tensor(3.0), wg.tensor(1.0))          # inner tangent 1
        yy = fwAD.make_dual(y, wg.tensor(2.0), level=outer)         # outer tangent 2
        z = yy ** 2
        d_in = fwAD.unpack_dual(z, level=inner).tangent             # 2y = 6, outer: 4
        d_out = fwAD.unpack_dual(z, level=outer).tangent            # 2y*2 = 12, inner: 4
        a = fwAD.unpack_dual(d_in, level=outer)
        b = fwAD.unpack_dual(d_out, level=inner)
    assert (a.primal.item(), a.tangent.item()) == (6.0, 4.0)
    assert (b.primal.item(), b.tangent.item()) == (12.0, 4.0)


def test_make_dual_replaces_a_tangent_at_the_same_level():
    with fwAD.dual_level():
        x = fwAD.make_dual(wg.tensor(1.0), wg.tensor(1.0))
        x = fwAD.make_dual(x, wg.tensor(5.0))
        assert fwAD.unpack_dual(x * 2).tangent.item() == 10.0


def test_level_exit_drops_tangents():
    with fwAD.dual_level():
        x = fwAD.make_dual(wg.tensor([2.0]), wg.tensor([1.0]))
        y = x * 3
    assert fwAD.unpack_dual(y).tangent is None
    np.testing.assert_array_equal(np.asarray(y), [6.0])
    assert repr(y) == "tensor([6.])"
    assert float((y + 1).sum()) == 7.0


def test_forward_over_reverse_imperative():
    """make_dual of a tensor that requires grad: autograd.grad/backward through dual
    tensors give gradients that carry tangents (Hessian-vector products)."""
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    v = wg.tensor([1.0, 0.0])
    f = lambda x: (x ** 3).sum() + x[0] * x[1]
    H = np.diag(6 * x.detach().numpy()) + np.array([[0.0, 1.0], [1.0, 0.0]])
    with fwAD.dual_level():
        y = f(fwAD.make_dual(x, v))
        (g,) = wg.autograd.grad(y, x)
        p, t = fwAD.unpack_dual(g)
        np.testing.assert_allclose(p.numpy(), [5.0, 13.0])
        np.testing.assert_allclose(t.numpy(), H @ v.numpy())
        f(fwAD.make_dual(x, v)).backward()
        np.testing.assert_allclose(fwAD.unpack_dual(x.grad).tangent.numpy(), H @ v.numpy())
    np.testing.assert_allclose(np.asarray(x.grad), [5.0, 13.0])


def test_reverse_over_forward_imperative():
    # the tangent of a dual tensor is an ordinary tensor on x's graph: grad of J v
    x = wg.tensor([0.5, 1.5], requires_grad=True)
    with fwAD.dual_level():
        y = wnp.sum(wnp.sin(fwAD.make_dual(x, wg.tensor([1.0, 1.0]))))
        t = fwAD.unpack_dual(y).tangent          # sum(cos x)
    t.backward()
    np.testing.assert_allclose(x.grad.numpy(), -np.sin([0.5, 1.5]), rtol=1e-15)


def test_dual_bad_input():
    with pytest.raises(wg.GradientError, match="dual_level"):
        fwAD.make_dual(wg.tensor(1.0), wg.tensor(1.0))
    with fwAD.dual_level():
        with pytest.raises(wg.ShapeError, match=r"\(\).*\(2,\)"):
            fwAD.make_dual(wg.tensor([1.0, 2.0]), wg.tensor(1.0))
        with pytest.raises(wg.DTypeError, match="int64"):
            fwAD.make_dual(wg.tensor([1, 2]), wg.tensor([1.0, 1.0]))
        with pytest.raises(wg.GradientError, match="not active"):
            fwAD.unpack_dual(wg.tensor(1.0), level=-5)


def test_nested_levels_have_no_perturbation_confusion():
    # d/dx [x * d/dy (x + y)] = 1 with the two derivatives at two dual levels
    with fwAD.dual_level() as outer:
        x = fwAD.make_dual(wg.tensor(1.0), wg.tensor(1.0))
        with fwAD.dual_level() as inner:
            y = fwAD.make_dual(wg.tensor(1.0), wg.tensor(1.0))
            dy = fwAD.unpack_dual(x + y, level=inner).tangent
            # y made from x itself: still only y's own perturbation counts at this level
            y2 = fwAD.make_dual(x, wg.tensor(1.0))
            dy2 = fwAD.unpack_dual(x + y2, level=inner).tangent
        r = fwAD.unpack_dual(x * dy, level=outer).tangent
        r2 = fwAD.unpack_dual(x * dy2, level=outer).tangent
    assert dy.item() == 1.0 and r.item() == 1.0
    assert dy2.item() == 1.0 and r2.item() == 1.0
