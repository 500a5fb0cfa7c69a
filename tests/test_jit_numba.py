"""wg.jit's numba backend: elementwise regions compiled into one loop each.

Every result is checked against the NumPy backend (the same program, one NumPy call per
operation) and, where one exists, against a hand-derived derivative."""
import warnings

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert._transforms import _numba_backend as nbk

pytest.importorskip("numba", reason="numba is the optional backend these tests exercise")

F64_RTOL = 4 * np.finfo(np.float64).eps  # the C library and NumPy's loops agree to an ulp
F32_RTOL = 4 * np.finfo(np.float32).eps


def kernels_in(jf, *args):
    return jf.lower(*args).as_text().count("numba_kernel")


def both(f, *args, n_kernels=None):
    """Run f under backend='numba' (twice: traced, then compiled) and 'numpy'; return both."""
    nbk.last_error = None
    jn, jp = wg.jit(f, backend="numba"), wg.jit(f, backend="numpy")
    jn(*args)
    got = jn(*args)
    ref = jp(*args)
    ref = jp(*args)
    assert nbk.last_error is None
    if n_kernels is not None:
        assert kernels_in(jn, *args) == n_kernels
    return got, ref


def assert_close(got, ref, rtol):
    for g, r in zip(np.atleast_1d(got) if not isinstance(got, tuple) else got,
                    np.atleast_1d(ref) if not isinstance(ref, tuple) else ref):
        g, r = np.asarray(g), np.asarray(r)
        assert g.dtype == r.dtype and g.shape == r.shape
        np.testing.assert_allclose(g, r, rtol=rtol, atol=0, equal_nan=True)


def w1(x):
    for _ in range(50):
        x = wnp.sin(x)
        x = x * 1.01
        x = x + 0.1
        x = wnp.tanh(x)
    return wnp.sum(x)


def w1_grad(x):  # by hand
    xs = []
    for _ in range(50):
        s = x
        u = np.sin(x) * 1.01 + 0.1
        x = np.tanh(u)
        xs.append((s, x))
    g = np.ones_like(x)
    for s, t in reversed(xs):
        g = g * (1 - t * t) * 1.01 * np.cos(s)
    return g


def test_w1_gradient_is_one_kernel_and_matches_the_hand_derivative():
    x = np.random.default_rng(0).uniform(-1, 1, 16)
    g = wg.jit(wg.grad(w1))  # "auto" chooses numba for 499 operations on 16 elements
    g(x)
    assert kernels_in(g, x) == 1
    assert "# sin" not in g.lower(x).as_text()
    np.testing.assert_allclose(g(x), w1_grad(x), rtol=1e-13)
    got, ref = both(wg.grad(w1), x, n_kernels=1)
    assert_close(got, ref, 1e-13)


UNARY = ["sin", "cos", "tan", "tanh", "sinh", "cosh", "exp", "log", "sqrt", "expm1", "log1p",
         "log2", "log10", "exp2", "arcsin", "arccos", "arctan", "arcsinh", "arccosh",
         "arctanh", "cbrt", "absolute", "fabs", "floor", "ceil", "trunc", "rint", "negative",
         "square", "reciprocal", "sign", "deg2rad", "rad2deg", "sigmoid", "softplus"]
BINARY = ["add", "subtract", "multiply", "divide", "maximum", "minimum", "fmax", "fmin",
          "arctan2", "hypot", "power", "copysign", "logaddexp"]
PREDICATES = ["isnan", "isfinite", "isinf", "signbit"]
COMPARISONS = ["greater", "greater_equal", "less", "less_equal", "equal", "not_equal"]
SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 1e300, -1e300, np.inf, -np.inf, np.nan,
                    3.0, 1e-310, 700.0, -700.0, 0.25])
SPECIAL32 = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 1e30, -1e30, np.inf, -np.inf, np.nan,
                      3.0, 1e-40, 90.0, -90.0, 0.25], np.float32)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_supported_operation_matches_numpy_including_nan_inf_and_signed_zeros(dtype):
    # one kernel per dtype holding every operation, on values that exercise the edge cases
    x = SPECIAL if dtype == np.float64 else SPECIAL32
    y = np.random.default_rng(1).permutation(x)

    def f(a, b):
        outs = [getattr(wnp, n)(a) for n in UNARY + PREDICATES]
        outs += [getattr(wnp, n)(a, b) for n in BINARY + COMPARISONS]
        return tuple(outs)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy warns about log(-1) etc.
        got, ref = both(f, x, y, n_kernels=1)
    rtol = F64_RTOL if dtype == np.float64 else F32_RTOL
    for name, g, r in zip(UNARY + PREDICATES + BINARY + COMPARISONS, got, ref):
        assert g.dtype == r.dtype, name
        if r.dtype == bool:
            np.testing.assert_array_equal(g, r, err_msg=name)
        else:
            np.testing.assert_allclose(g, r, rtol=rtol, atol=0, equal_nan=True, err_msg=name)
            # infinities, NaNs and zeros in the same places
            np.testing.assert_array_equal(np.isnan(g), np.isnan(r), err_msg=name)
            np.testing.assert_array_equal(g[~np.isnan(g)] == 0, r[~np.isnan(r)] == 0,
                                          err_msg=name)


def test_transcendental_results_agree_with_numpy_to_1e14():
    x = np.random.default_rng(2).uniform(-3, 3, 1000)

    def f(a):
        return wnp.sin(a), wnp.tanh(a), wnp.exp(a), wnp.cos(a) * wnp.log1p(a * a)

    got, ref = both(f, x, n_kernels=1)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-14, atol=0)
    np.testing.assert_allclose(got[0], np.sin(x), rtol=1e-14)
    np.testing.assert_allclose(got[1], np.tanh(x), rtol=1e-14)
    np.testing.assert_allclose(got[2], np.exp(x), rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradients_of_where_clip_maximum_sigmoid_match_hand_derivatives(dtype):
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, 40).astype(dtype)
    y = rng.uniform(-1, 1, 40).astype(dtype)
    x[:3] = [0.0, 0.5, -0.5]  # kinks: sqrt's branch, clip's bounds
    y[1] = 0.5  # a tie of maximum

    def f(a, b):
        return wnp.sum(wnp.clip(a, -0.5, 0.5) * wnp.maximum(a, b)
                       + wnp.where(a > 0, wnp.sqrt(a), 0.0) + wnp.sigmoid(a * b) * 2.0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # sqrt of the untaken negatives
        got, ref = both(wg.grad(f, argnums=(0, 1)), x, y, n_kernels=1)
    assert_close(got, ref, F64_RTOL if dtype == np.float64 else F32_RTOL)
    # by hand (float64), with the library's kink conventions
    a, b = x.astype(float), y.astype(float)
    clip = np.clip(a, -0.5, 0.5)
    dclip = ((a > -0.5) & (a < 0.5)).astype(float)
    dmax_a = (a > b) + 0.5 * (a == b)
    with np.errstate(divide="ignore", invalid="ignore"):
        dsqrt = np.where(a > 0, 0.5 / np.sqrt(np.where(a > 0, a, 1.0)), 0.0)
    s = 1 / (1 + np.exp(-a * b))
    ga = dclip * np.maximum(a, b) + clip * dmax_a + dsqrt + 2 * s * (1 - s) * b
    gb = clip * ((b > a) + 0.5 * (a == b)) + 2 * s * (1 - s) * a
    tol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(got[0], ga, rtol=tol, atol=tol)
    np.testing.assert_allclose(got[1], gb, rtol=tol, atol=tol)
    assert got[0].dtype == dtype


def test_float32_stays_float32_and_python_scalars_are_weak():
    x = np.linspace(-1, 1, 32, dtype=np.float32)

    def f(a):
        for _ in range(4):
            a = wnp.tanh(a * 1.1 + 0.3) - 0.1 / (1.0 + a * a)
        return a

    got, ref = both(f, x, n_kernels=1)
    assert got.dtype == np.float32
    # an ulp of tanh, amplified where the result cancels to ~0.002
    np.testing.assert_allclose(got, ref, rtol=F32_RTOL, atol=F32_RTOL)
    # a float64 operand promotes, as in NumPy
    got, ref = both(lambda a, b: wnp.sin(a) * b + a, x, x.astype(np.float64), n_kernels=1)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, ref, rtol=F32_RTOL)  # sin(a) is float32 in both
    sin32 = np.sin(x)
    np.testing.assert_allclose(got, sin32.astype(np.float64) * x + x, rtol=F32_RTOL)


def test_scalars_broadcast_into_the_loop():
    x = np.random.default_rng(4).standard_normal((3, 5))
    s = np.array(0.7)  # a 0-d input

    def f(a, c):
        m = wnp.sum(a)  # a NumPy scalar, computed outside the kernel, enters it
        return wnp.exp(-a * c) * m + wnp.sin(a) / c

    got, ref = both(f, x, s, n_kernels=1)
    np.testing.assert_allclose(got, np.exp(-x * 0.7) * x.sum() + np.sin(x) / 0.7,
                               rtol=1e-14)
    np.testing.assert_allclose(got, ref, rtol=F64_RTOL)
    g, gr = both(wg.grad(lambda a, c: wnp.sum(f(a, c)), argnums=(0, 1)), x, s)
    assert_close(g, gr, 1e-13)
    assert g[1].shape == ()


def test_strong_zeros_hold_inside_kernels():
    # the untaken sqrt branch has an infinite/NaN derivative and a zero cotangent: 0, not NaN
    f = wg.grad(lambda x: wnp.sum(wnp.where(x > 0, wnp.sqrt(x), 0.0) * 3.0))
    x = np.array([-1.0, 4.0, 0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got, ref = both(f, x, n_kernels=1)
    np.testing.assert_array_equal(got, [0.0, 0.75, 0.0, 1.5])
    np.testing.assert_array_equal(got, ref)
    # a genuine infinity stays: d/dx sqrt(x) at 0 with a nonzero cotangent
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy: divide by zero
        got, _ = both(wg.grad(lambda x: wnp.sum(wnp.sqrt(x) * 2.0 + x)), np.array([0.0, 1.0]))
    np.testing.assert_array_equal(got, [np.inf, 2.0])
    # NaN inputs propagate
    got, ref = both(wg.grad(lambda x: wnp.sum(wnp.sin(x) * wnp.cos(x))), np.array([np.nan, 0.0]))
    assert np.isnan(got[0]) and got[1] == 1.0 and np.isnan(ref[0])


def test_strong_mul_semantics_directly():
    from wengert.numpy._family import strong_mul2_p, strong_mul_p

    def f(g, d):
        return strong_mul_p(g, d) + 0.0, strong_mul2_p(g, d) + 0.0

    g = np.array([0.0, 0.0, 0.0, 2.0, 0.0, np.nan, 1.0])
    d = np.array([np.inf, np.nan, 3.0, np.inf, -np.inf, 0.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got, ref = both(f, g, d, n_kernels=1)
    np.testing.assert_array_equal(got[0], [0, 0, 0, np.inf, 0, np.nan, 2])
    np.testing.assert_array_equal(got[1], [0, 0, 0, np.inf, 0, 0, 2])
    np.testing.assert_array_equal(got[0], ref[0])
    np.testing.assert_array_equal(got[1], ref[1])


def test_unsupported_operations_stay_numpy_calls_between_kernels():
    x = np.random.default_rng(5).standard_normal((4, 6))
    b = np.random.default_rng(6).standard_normal(6)

    def f(a, bias):
        h = wnp.tanh(wnp.sin(a) * 2.0 + 1.0)
        m = wnp.sum(h, axis=0)  # a reduction: NumPy
        h = h + bias  # a broadcast of shape (6,) against (4, 6): NumPy
        return wnp.exp(h) * 2.0 - h, wnp.cos(m) + m * m

    got, ref = both(f, x, b, n_kernels=3)
    text = wg.jit(f, backend="numba").lower(x, b).as_text()
    assert "# sum" in text and "# add" in text
    assert_close(got, ref, F64_RTOL)
    # integer and complex operands are not compiled
    got, ref = both(lambda a, n: wnp.sin(a) * n + 1.0, x, np.arange(6), n_kernels=0)
    assert_close(got, ref, 0)
    z = x + 1j
    got, ref = both(lambda a: wnp.exp(a) * 2.0 + a, z, n_kernels=0)
    assert_close(got, ref, 0)


def test_non_contiguous_inputs_and_literal_arrays():
    x = np.random.default_rng(7).standard_normal((5, 4)).T  # Fortran order
    c = np.linspace(1, 2, 20).reshape(4, 5)

    def f(a):
        return wnp.sin(a) * c + wnp.cos(a) * wnp.exp(c * 0.5)

    got, ref = both(f, x, n_kernels=1)
    np.testing.assert_allclose(got, ref, rtol=F64_RTOL)
    np.testing.assert_allclose(got, np.sin(x) * c + np.cos(x) * np.exp(c * 0.5), rtol=1e-14)
    assert got.shape == (4, 5)


def test_auto_builds_kernels_only_where_they_pay():
    x16 = np.random.default_rng(8).uniform(-1, 1, 16)
    small = wg.jit(lambda x: wnp.sin(x) * 2.0 + 1.0)  # 3 operations: not worth a compile
    small(x16)
    assert kernels_in(small, x16) == 0
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    assert nbk._worth_it("tanh", f32, 16) and nbk._worth_it("sin", f64, 1 << 22)
    assert not nbk._worth_it("tanh", f32, 1 << 16)  # NumPy's SIMD float32 tanh
    assert nbk._worth_it("multiply", f32, 1 << 22)
    # large float32 arrays: tanh stays a NumPy call, the arithmetic around it is fused
    big = np.random.default_rng(9).uniform(-1, 1, 1 << 16).astype(np.float32)

    def chain(x):
        for _ in range(6):
            x = x * 1.01 + 0.1
        x = wnp.tanh(x)
        for _ in range(6):
            x = x * 0.99 - 0.1
        return x

    jf = wg.jit(chain)
    text = jf.lower(big).as_text()
    assert text.count("numba_kernel") == 2 and "# tanh" in text
    np.testing.assert_allclose(jf(big), wg.jit(chain, backend="numpy")(big), rtol=F32_RTOL,
                               atol=F32_RTOL)


def test_multiple_outputs_and_guards_on_kernel_values():
    def f(x):
        y = wnp.sin(x) * 2.0 + wnp.cos(x)
        if y > 0:  # a guard on a value the kernel computes (shape (1,))
            return wnp.exp(y) * 1.5 - y, y
        return -y * 3.0 + 1.0, y

    jf = wg.jit(f, backend="numba")
    for v in (0.3, -2.0, 0.4, -1.5):
        x = np.array([v])
        got = jf(x)
        y = np.sin(x) * 2 + np.cos(x)
        ref = (np.exp(y) * 1.5 - y) if y[0] > 0 else (-y * 3 + 1)
        np.testing.assert_allclose(got[0], ref, rtol=1e-14)
        np.testing.assert_allclose(got[1], y, rtol=1e-14)
    assert jf.trace_count == 2


def test_composition_jit_grad_vmap_and_grad_of_jit():
    rng = np.random.default_rng(10)
    x = rng.uniform(-1, 1, (3, 8))

    def f(v):
        return wnp.sum(wnp.tanh(wnp.sin(v) * 1.3 + 0.2) * wnp.exp(-v * v))

    # jit(vmap(grad(f)))
    jv = wg.jit(wg.vmap(wg.grad(f)), backend="numba")
    ref = np.stack([wg.grad(f)(x[i]) for i in range(3)])
    np.testing.assert_allclose(jv(x), ref, rtol=1e-13)
    np.testing.assert_allclose(jv(x), ref, rtol=1e-13)
    assert kernels_in(jv, x) >= 1
    # grad(jit(f)) differentiates f itself
    jf = wg.jit(f, backend="numba")
    np.testing.assert_allclose(wg.grad(jf)(x[0]), wg.grad(f)(x[0]), rtol=1e-14)
    # jit(value_and_grad): the value and the gradient come out of one compiled program
    jvg = wg.jit(wg.value_and_grad(f), backend="numba")
    jvg(x[0])
    val, g = jvg(x[0])
    np.testing.assert_allclose(val, float(f(x[0])), rtol=1e-14)
    np.testing.assert_allclose(g, wg.grad(f)(x[0]), rtol=1e-13)
    # jit(hessian) (second-order products strong_mul2)
    jh = wg.jit(wg.hessian(f), backend="numba")
    np.testing.assert_allclose(jh(x[0]), wg.hessian(f)(x[0]), rtol=1e-12)
    np.testing.assert_allclose(jh(x[0]), wg.hessian(f)(x[0]), rtol=1e-12)


def test_kernels_are_shared_between_shapes_and_programs():
    def f(x):
        return wnp.cos(x) * 0.5 + wnp.sin(x) * wnp.sin(x) - 0.25

    jf = wg.jit(f, backend="numba")
    jf(np.ones(5))
    n = len(nbk._KERNELS)
    for shape in (7, 11):
        x = np.linspace(0, 1, shape)
        np.testing.assert_allclose(jf(x), np.cos(x) * 0.5 + np.sin(x) ** 2 - 0.25, rtol=1e-14)
    assert jf.trace_count == 3 and len(nbk._KERNELS) == n


def test_fallbacks_without_numba_or_when_compiling_fails(monkeypatch):
    x = np.random.default_rng(11).uniform(-1, 1, 16)
    ref = w1_grad(x)
    # a compile error: the equations stay NumPy calls, the error is kept
    monkeypatch.setattr(nbk, "_emit", lambda *a: 1 / 0)
    monkeypatch.setattr(nbk, "_KERNELS", {})
    g = wg.jit(wg.grad(w1), backend="numba")
    np.testing.assert_allclose(g(x), ref, rtol=1e-13)
    np.testing.assert_allclose(g(x), ref, rtol=1e-13)
    assert kernels_in(g, x) == 0 and isinstance(nbk.last_error, ZeroDivisionError)
    monkeypatch.undo()
    # numba missing: "auto" is silent, "numba" says what to do
    monkeypatch.setattr(nbk, "_nb", False)
    g = wg.jit(wg.grad(w1))
    np.testing.assert_allclose(g(x), ref, rtol=1e-13)
    assert kernels_in(g, x) == 0
    with pytest.raises(ImportError, match="pip install numba"):
        wg.jit(w1, backend="numba")
    with pytest.raises(ValueError, match="backend"):
        wg.jit(w1, backend="cuda")


def test_numpy_backend_makes_no_kernels_and_no_numexpr():
    x = np.random.default_rng(12).standard_normal(1 << 17)
    f = wg.grad(lambda v: wnp.sum(wnp.sin(v) * wnp.exp(-v * v)))
    text = wg.jit(f, backend="numpy").lower(x).as_text()
    assert "numba_kernel" not in text and "_ne.evaluate" not in text
    jn = wg.jit(f, backend="numba")
    jn(x)
    ref = np.cos(x) * np.exp(-x * x) - 2 * x * np.sin(x) * np.exp(-x * x)
    np.testing.assert_allclose(jn(x), ref, rtol=1e-12, atol=1e-15)
