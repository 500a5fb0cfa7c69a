"""Functional reverse mode (JAX semantics): grad, value_and_grad, vjp over pytrees, and the
errors for bad input.  Reference values are analytic formulas."""
import collections
import math

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp

Point = collections.namedtuple("Point", "w b")


def assert_array(x, value, dtype=np.float64):
    """``x`` is a plain ndarray (not a Tensor) of the given dtype and value."""
    assert type(x) is np.ndarray, type(x)
    assert x.dtype == dtype
    np.testing.assert_allclose(x, value, rtol=1e-13, atol=1e-15)


# -- grad / value_and_grad ----------------------------------------------------------------
def test_grad_of_python_scalar_gives_0d_array():
    g = wg.grad(lambda x: x ** 3 + 2.0 * x)(1.5)
    assert_array(g, 3 * 1.5 ** 2 + 2)
    assert g.shape == ()


def test_grad_of_array_function():
    x = np.array([0.1, -0.7, 2.0])
    g = wg.grad(lambda x: wnp.sum(wnp.sin(x) * x))(x)
    assert_array(g, np.cos(x) * x + np.sin(x))


def test_value_and_grad():
    x = np.array([1.0, 2.0, 3.0])
    v, g = wg.value_and_grad(lambda x: wnp.sum(x ** 2) / 2)(x)
    assert_array(v, 7.0)
    assert_array(g, x)


def test_python_float_output_becomes_array():
    v, g = wg.value_and_grad(lambda x: 1.0)(np.ones(2))
    assert_array(v, 1.0)
    assert_array(g, np.zeros(2))


@pytest.mark.parametrize("f", [lambda x: 3.0, lambda x: wnp.sum(np.ones(3)),
                               lambda x: wnp.sum(wg.stop_gradient(x) ** 2),
                               lambda x: wnp.sum(x > 0) * 1.0])
def test_grad_of_function_not_depending_on_input_is_zero(f):
    x = np.array([1.0, -2.0, 3.0])
    assert_array(wg.grad(f)(x), np.zeros(3))


def test_float32_stays_float32():
    x = np.array([1.0, 2.0], dtype=np.float32)
    w = np.array([0.5, 0.25])  # float64: the computation is promoted, the gradient is not
    _v, g = wg.value_and_grad(lambda x: wnp.sum(x * w) + wnp.sum(x ** 2))(x)
    assert_array(g, 2 * x.astype(np.float64) + w, dtype=np.float32)
    g32 = wg.grad(lambda x: wnp.sum(wnp.exp(x)))(x)
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, np.exp(x), rtol=1e-6)


def test_gradient_has_input_shape_under_broadcasting():
    x = np.array([[1.0], [2.0]])          # (2, 1) broadcast against (3,)
    y = np.array([1.0, 2.0, 3.0])
    gx, gy = wg.grad(lambda x, y: wnp.sum(x * y), argnums=(0, 1))(x, y)
    assert_array(gx, np.full((2, 1), 6.0))
    assert_array(gy, np.full(3, 3.0))


def test_argnums_int_tuple_negative():
    f = lambda x, y, z: x * y ** 2 * z ** 3
    args = (2.0, 3.0, 0.5)
    assert_array(wg.grad(f, argnums=1)(*args), 2 * 2 * 3 * 0.125)
    gx, gz = wg.grad(f, argnums=(0, 2))(*args)
    assert_array(gx, 9 * 0.125)
    assert_array(gz, 2 * 9 * 3 * 0.25)
    assert_array(wg.grad(f, argnums=-1)(*args), 2 * 9 * 3 * 0.25)
    (g,) = wg.grad(f, argnums=(1,))(*args)  # a tuple argnums gives a tuple
    assert_array(g, 1.5)


def test_keyword_arguments_are_not_differentiated():
    g = wg.grad(lambda x, scale=1.0: scale * x ** 2)(3.0, scale=5.0)
    assert_array(g, 30.0)


def test_has_aux():
    def f(x):
        y = wnp.sum(x ** 2)
        return y, {"y": y, "note": "text", "x2": x * 2}

    x = np.array([1.0, 2.0])
    g, aux = wg.grad(f, has_aux=True)(x)
    assert_array(g, 2 * x)
    assert_array(aux["y"], 5.0)
    assert_array(aux["x2"], 2 * x)
    assert aux["note"] == "text"
    (v, _aux2), g2 = wg.value_and_grad(f, has_aux=True)(x)
    assert_array(v, 5.0)
    assert_array(g2, 2 * x)


def test_tensor_inputs_give_tensor_outputs():
    x = wg.tensor([1.0, 2.0])
    g = wg.grad(lambda x: wnp.sum(x ** 2))(x)
    assert isinstance(g, wg.Tensor) and not g.requires_grad
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])


# -- pytrees ------------------------------------------------------------------------------
def test_grad_over_nested_pytree():
    params = {"layer": [np.array([1.0, 2.0]), (3.0, None)], "scale": np.float64(0.5)}

    def f(p):
        a, (b, nothing) = p["layer"]
        assert nothing is None
        return p["scale"] * wnp.sum(a ** 2) + b ** 3

    g = wg.grad(f)(params)
    assert set(g) == {"layer", "scale"}
    assert isinstance(g["layer"], list) and isinstance(g["layer"][1], tuple)
    assert_array(g["layer"][0], 2 * 0.5 * params["layer"][0])
    assert_array(g["layer"][1][0], 27.0)
    assert g["layer"][1][1] is None
    assert_array(g["scale"], 5.0)


def test_grad_over_namedtuple_and_ordered_dict():
    p = Point(w=np.array([1.0, -1.0]), b=2.0)
    g = wg.grad(lambda p: wnp.sum(p.w * p.b) ** 2)(p)
    assert type(g) is Point
    s = float(np.sum(p.w * p.b))
    assert_array(g.w, 2 * s * p.b)
    assert_array(g.b, 2 * s * np.sum(p.w))
    od = collections.OrderedDict([("z", 1.0), ("a", 2.0)])
    god = wg.grad(lambda d: d["z"] * d["a"] ** 2)(od)
    assert type(god) is collections.OrderedDict and list(god) == ["z", "a"]
    assert_array(god["z"], 4.0)
    assert_array(god["a"], 4.0)


def test_argnums_tuple_of_pytrees():
    def loss(params, x, target):
        w, b = params
        return wnp.sum((wnp.tanh(x @ w + b) - target) ** 2)

    rng = np.random.default_rng(0)
    w, b = rng.standard_normal((3, 2)), rng.standard_normal(2)
    x, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    (gw, gb), gx = wg.grad(loss, argnums=(0, 1))((w, b), x, target)
    h = np.tanh(x @ w + b)
    d = 2 * (h - target) * (1 - h ** 2)
    assert_array(gw, x.T @ d)
    assert_array(gb, d.sum(0))
    assert_array(gx, d @ w.T)


# -- vjp ----------------------------------------------------------------------------------
def test_vjp_pytree_output_and_cotangent():
    def f(x, y):
        return {"sum": x + y, "prod": (x * y, wnp.sin(x))}

    x, y = np.array([0.5, 1.0]), np.array([2.0, -1.0])
    out, f_vjp = wg.vjp(f, x, y)
    assert_array(out["prod"][0], x * y)
    ct = {"sum": np.array([1.0, 2.0]), "prod": (np.array([3.0, 4.0]), np.array([5.0, 6.0]))}
    gx, gy = f_vjp(ct)
    assert_array(gx, ct["sum"] + ct["prod"][0] * y + ct["prod"][1] * np.cos(x))
    assert_array(gy, ct["sum"] + ct["prod"][0] * x)
    gx2, _ = f_vjp(ct)  # vjp_fn can be called again
    assert_array(gx2, gx)


def test_vjp_matches_jvp_by_duality():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((4, 3))

    def f(x):
        return wnp.tanh(A @ x) * wnp.exp(x[0])

    x, u, v = rng.standard_normal(3), rng.standard_normal(4), rng.standard_normal(3)
    _, f_vjp = wg.vjp(f, x)
    _, jv = wg.jvp(f, (x,), (v,))
    (vjp_u,) = f_vjp(u)
    assert math.isclose(float(u @ jv), float(vjp_u @ v), rel_tol=1e-12)


def test_vjp_has_aux_and_float32():
    x = np.array([1.0, 2.0], dtype=np.float32)
    out, f_vjp, aux = wg.vjp(lambda x: (x * 3, x + 1), x, has_aux=True)
    assert out.dtype == np.float32
    assert_array(aux, x + 1, dtype=np.float32)
    (g,) = f_vjp(np.ones(2, np.float32))
    assert_array(g, [3.0, 3.0], dtype=np.float32)


def test_vjp_output_not_depending_on_input():
    _out, f_vjp = wg.vjp(lambda x: (x * 2, np.ones(3)), np.ones(2))
    gx, = f_vjp((np.ones(2), np.ones(3)))
    assert_array(gx, [2.0, 2.0])


# -- bad input ----------------------------------------------------------------------------
def test_grad_of_non_scalar_output():
    with pytest.raises(wg.NonScalarOutputError, match=r"shape \(3,\).*sum"):
        wg.grad(lambda x: x * 2)(np.ones(3))
    with pytest.raises(wg.NonScalarOutputError, match="has_aux"):
        wg.grad(lambda x: (wnp.sum(x), x))(np.ones(3))


@pytest.mark.parametrize("arg", [np.arange(3), 3, np.array([True, False]),
                                 (np.ones(2), np.arange(2))])
def test_grad_wrt_integer_or_bool_input(arg):
    with pytest.raises(wg.DTypeError, match=r"int|bool") as e:
        wg.grad(lambda x: 1.0)(arg)
    assert "astype(float)" in str(e.value)


def test_grad_of_integer_or_complex_output():
    with pytest.raises(wg.DTypeError, match="int64"):
        wg.grad(lambda x: wnp.sum(x > 0))(np.ones(2))
    with pytest.raises(wg.DTypeError, match="complex"):
        wg.grad(lambda x: x * 1j)(1.0)


def test_vjp_cotangent_structure_mismatch():
    _, f_vjp = wg.vjp(lambda x: (x, 2 * x), np.ones(2))
    with pytest.raises(wg.TreeError, match=r"\(\*, \*\).*\[\*, \*\]"):
        f_vjp([np.ones(2), np.ones(2)])
    _, g_vjp = wg.vjp(lambda x: {"a": x}, np.ones(2))
    with pytest.raises(wg.TreeError, match="structure"):
        g_vjp({"b": np.ones(2)})
    with pytest.raises(wg.TreeError):
        g_vjp(np.ones(2))


def test_vjp_cotangent_shape_mismatch():
    _, f_vjp = wg.vjp(lambda x: x * 2, np.ones(2))
    with pytest.raises(wg.ShapeError, match=r"\(3,\).*\(2,\)"):
        f_vjp(np.ones(3))


def test_argnums_out_of_range():
    with pytest.raises(wg.ArgnumsError, match="out of range.*2 positional"):
        wg.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    with pytest.raises(wg.ArgnumsError, match="out of range"):
        wg.value_and_grad(lambda x: x, argnums=(0, -2))(1.0)
    with pytest.raises(wg.ArgnumsError, match="int"):
        wg.grad(lambda x: x, argnums="0")(1.0)
    assert issubclass(wg.ArgnumsError, ValueError)


def test_has_aux_without_a_pair():
    with pytest.raises(TypeError, match=r"pair \(output, aux\)"):
        wg.grad(lambda x: x ** 2, has_aux=True)(1.0)


def test_function_may_update_its_inputs_in_place():
    def f(x):
        x *= 2.0          # JAX code rebinding a name; here an in-place update of the alias
        x[0] = 5.0
        return wnp.sum(x ** 2)

    a = np.array([1.0, 2.0])
    assert_array(wg.grad(f)(a), [0.0, 8 * a[1]])   # L = 25 + 4 a1^2
    np.testing.assert_array_equal(a, [1.0, 2.0])    # the caller's array is untouched
    t = wg.tensor([1.0, 2.0], requires_grad=True)
    np.testing.assert_allclose(wg.grad(f)(t).detach().numpy(), [0.0, 8 * a[1]])
    np.testing.assert_array_equal(t.detach().numpy(), [1.0, 2.0])


def test_grad_under_no_grad():
    with wg.no_grad():
        assert_array(wg.grad(lambda x: x ** 2)(3.0), 6.0)
        assert_array(wg.grad(wg.grad(lambda x: x ** 3))(2.0), 12.0)
        x = wg.tensor(2.0, requires_grad=True)
        g = wg.grad(lambda y: y ** 2)(x)
        assert not g.requires_grad and g.item() == 4.0  # nothing recorded


def test_complex_input_follows_jax_convention():
    # f: C -> R; grad is the cotangent of the input under Re(g . dz): 2 conj(z) for |z|^2
    z = 3.0 + 4.0j
    assert_array(wg.grad(lambda z: wnp.abs(z) ** 2)(z), 2 * np.conj(z), dtype=np.complex128)
    assert_array(wg.grad(lambda z: wnp.real(z * z))(z), 2 * z, dtype=np.complex128)
