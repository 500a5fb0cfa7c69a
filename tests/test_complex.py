"""Complex numbers (issue 3, item 3).

One convention, JAX's, everywhere: a VJP rule is the transpose of the JVP rule for the real
bilinear pairing ``<a, b> = Re sum(a * b)`` (no conjugation).  So for a holomorphic f the VJP
multiplies by f'(z), and ``grad`` of a real-valued f of complex z is ``df/dx - i df/dy``,
the conjugate of PyTorch's ``z.grad`` (docs/conventions.md).

* every entry of the op table (tests/op_specs.py) is run again with complex inputs (all of
  them complex, and mixed real/complex): value and dtype against NumPy, derivatives against
  finite differences along complex directions in both modes and to second order; with
  complex64 the derivatives stay complex64; where NumPy refuses complex input so does
  wengert;
* the complex step Im f(x + ih)/h checks every complex-analytic entry on real inputs;
* the convention itself: grad of |z|^2, of Re/Im of holomorphic functions, directional
  derivatives, the real-linear parts, contractions without conjugation, dtypes.
"""
import warnings

import numpy as np
import pytest
from _checks import check_complex_step, check_grads, inner, numerical_jvp
from op_specs import OPS

import wengert as wg
import wengert.numpy as wnp
from wengert._errors import DTypeError

# Samplers whose functions NumPy defines on real numbers only (floor, ceil, trunc and fix,
# floor_divide): their arguments stay real, and the refusal is checked on a complex copy.
_REAL_ONLY = {"off_int", "near_one"}
# Functions that wengert extends holomorphically where the SciPy reference refuses complex
# input: (reference formula).
_EXTENDED = {
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "expit": lambda z: 1 / (1 + np.exp(-z)),
    "softplus": lambda z: np.log1p(np.exp(z)),
    "log_sigmoid": lambda z: -np.log1p(np.exp(-z)),
}


def _complexify(op, seed, which=None, dtype=np.complex128):
    """The op's sample with 0.3i * N(0, 1) added to its floating-point arguments (all, or only
    argument ``which``): near the real domain of the sampler, so away from branch cuts, poles
    and ties.  Round-to-integer samplers get integer-near imaginary parts too."""
    rng = np.random.default_rng(seed)
    out = []
    for i, a in enumerate(op.args):
        x = a.sample(rng)
        if a.kind == "complex":
            x = x.astype(dtype)
        elif (np.issubdtype(x.dtype, np.floating) and a.kind not in _REAL_ONLY
                and (which is None or which == i)):
            im = a.sample(rng) if a.kind == "near_int" else 0.3 * rng.standard_normal(x.shape)
            x = (x + 1j * im).astype(dtype)
        out.append(x)
    return out


def _numpy_accepts(op):
    """Whether the reference accepts complex input (NumPy refuses e.g. floor, arctan2, and
    casting complex to float32 with a ComplexWarning)."""
    rng = np.random.default_rng(0)
    args = [np.asarray(a.sample(rng)) + 0j if np.issubdtype(a.sample(rng).dtype, np.floating)
            else a.sample(rng) for a in op.args]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            op.ref(*args)
    except Exception:  # noqa: BLE001 - any refusal counts
        return False
    return True


_FLOAT_OPS = [op for op in OPS
              if any(a.kind != "complex" and a.dtype is None for a in op.args)]
_ACCEPTS = {op.id: _numpy_accepts(op) for op in _FLOAT_OPS}
_COMPLEX_OPS = [op for op in _FLOAT_OPS if _ACCEPTS[op.id] or op.name in _EXTENDED]
_REFUSED_OPS = [op for op in _FLOAT_OPS if not _ACCEPTS[op.id] and op.name not in _EXTENDED]


def _raises(fn, args):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fn(*args)
    except Exception:  # noqa: BLE001 - any refusal counts
        return True
    return False


def _tol(op):
    return {"eps": op.eps, "rtol": op.rtol, "atol": op.atol}


def _value_check(op, args):
    got = op.fn(*args)
    ref = _EXTENDED.get(op.name, op.ref)
    want = ref(*args)
    for g, w in zip(wg.tree_leaves(got), wg.tree_leaves(want)):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype, f"{op.id}: dtype {g.dtype}, NumPy gives {w.dtype}"
        single = g.dtype in (np.complex64, np.float32)
        np.testing.assert_allclose(g, w, rtol=1e-5 if single else max(op.value_rtol, 1e-12),
                                   atol=1e-6 if single else 1e-14)


# --- the whole op table on complex input ----------------------------------------------------------
@pytest.mark.parametrize("op", _COMPLEX_OPS, ids=lambda o: o.id)
def test_complex_input(op):
    args = _complexify(op, 1)
    _value_check(op, args)
    check_grads(op.fn, args, order=min(op.order, 2), modes=op.modes, label=op.id, **_tol(op))


_MIXED = [op for op in _COMPLEX_OPS
          if sum(a.kind not in _REAL_ONLY and a.kind != "complex" and a.dtype is None
                 for a in op.args) >= 2]


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("op", _MIXED, ids=lambda o: o.id)
def test_mixed_real_and_complex_input(op, which):
    """One argument complex, the others real: the real ones get real cotangents (the real
    part of the complex one: the transpose of the inclusion R -> C), checked in
    check_grads by dtype and by the pairing."""
    args = _complexify(op, 2, which=which)
    if _raises(op.ref, args):  # x[idx] = complex into a real x: NumPy's ComplexWarning
        assert _raises(op.fn, args), f"{op.id}: NumPy refuses, wengert accepts"
        return
    _value_check(op, args)
    check_grads(op.fn, args, order=1, modes=op.modes, label=f"{op.id}[arg {which} complex]",
                **_tol(op))


@pytest.mark.parametrize("op", _COMPLEX_OPS, ids=lambda o: o.id)
def test_complex64_stays_complex64(op):
    args = _complexify(op, 3, dtype=np.complex64)
    _value_check(op, args)  # NumPy's result dtype, complex64 where NumPy gives complex64
    # cotangents have the inputs' dtypes, tangents the outputs' (asserted in check_grads)
    check_grads(op.fn, args, order=1, modes=op.modes, rtol=op.f32_rtol * 5, atol=1e-4,
                label=f"{op.id}[complex64]")


@pytest.mark.parametrize("op", _REFUSED_OPS, ids=lambda o: o.id)
def test_refused_where_numpy_refuses(op):
    """floor, arctan2, float32 casts, ...: NumPy refuses complex input; so does wengert
    (with NumPy's own error or warning), rather than inventing a meaning."""
    args = [np.asarray(a) + 0j if np.issubdtype(np.asarray(a).dtype, np.floating) else a
            for a in op.sample(4)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises((TypeError, ValueError, np.exceptions.ComplexWarning,
                            np.exceptions.DTypePromotionError, wg.WengertError)):
            op.fn(*args)


# --- the complex step on every complex-analytic entry ----------------------------------------------
# Table entries that are not complex-analytic on real input (so the complex step does not
# apply), by public name, with the reason.  Everything else must pass it.
NOT_ANALYTIC = {
    "abs": "|x + ih| is not the analytic continuation of |x|",
    "absolute": "as abs", "fabs": "as abs",
    "sign": "sign(z) is z/|z| (NumPy), not the analytic continuation of the real step",
    "real": "real-linear, not complex-linear", "imag": "real-linear",
    "conj": "real-linear", "conjugate": "real-linear", "angle": "real-linear in log",
    "var": "conjugates its input", "std": "conjugates its input", "nanvar": "as var",
    "nanstd": "as std", "cov": "conjugates", "corrcoef": "conjugates",
    "vdot": "conjugates its first argument",
    "hypot": "sqrt(x^2 + y^2) of complex x is not |x + iy|",
    "correlate": "conjugates its second argument (NumPy's definition)",
    "vecdot": "conjugates its first argument", "vecmat": "conjugates its first argument",
    "partition": "the order on each side of kth is unspecified, and differs between real "
                 "and complex input",
    "roots": "the eigenvalues' order changes under a complex perturbation of the "
             "coefficients (complex-conjugate pairs split)",
    "polyfit": "least squares conjugates (lstsq of complex data uses A^H)",
    "real_if_close": "drops an imaginary part below 100 eps by design (the complex step's "
                     "is 1e-20)",
}
_CSTEP_OPS = [op for op in _FLOAT_OPS
              if not op.cstep and _ACCEPTS[op.id] and op.name not in NOT_ANALYTIC
              and all(a.dtype is None and a.kind != "complex" for a in op.args)]


@pytest.mark.parametrize("op", _CSTEP_OPS, ids=lambda o: o.id)
def test_complex_step_on_analytic_entries(op):
    """The entries not already flagged ``cstep`` in the table (shape ops, where, clip,
    max/min, rounding, ...): on real input they are the restriction of a complex-analytic
    function (or have derivative 0 that the complex step also sees), so Im f(x + ih)/h is
    their derivative to rounding."""
    check_complex_step(op.fn, op.sample(5), rtol=op.cstep_rtol, label=op.id)


def test_gradcheck_complex_step_method():
    x = np.array([0.3, -1.2, 2.0])

    def f(a):
        return wnp.sum(wnp.sin(a) * wnp.exp(a) / (1 + a ** 2)) + wnp.prod(wnp.tanh(a))

    assert wg.autograd.gradcheck(f, (x,), method="complex_step", atol=1e-13, rtol=1e-13)
    with pytest.raises(wg.autograd.GradcheckError, match="complex-analytic"):
        wg.autograd.gradcheck(lambda a: wnp.sum(wnp.abs(a)), (x,), method="complex_step")


# --- the convention ------------------------------------------------------------------------------------
Z = np.array([3.0 + 4.0j, 1.0 - 2.0j, -0.5 + 0.25j])


@pytest.mark.parametrize("f", [
    lambda z: wnp.real(z * wnp.conj(z)),
    lambda z: wnp.abs(z) ** 2,
    lambda z: wnp.real(z) ** 2 + wnp.imag(z) ** 2,
    lambda z: wnp.real(wnp.vdot(z, z)),
], ids=["z*conj(z)", "abs**2", "re**2+im**2", "vdot"])
def test_grad_of_abs_squared_is_twice_conj_z(f):
    """|z|^2 = x^2 + y^2: df/dx - i df/dy = 2x - 2iy = 2 conj(z).  PyTorch's z.grad is the
    conjugate, 2z (the steepest-ascent direction); a descent step is z - lr * conj(grad)."""
    g = wg.grad(lambda z: wnp.sum(f(z)))(Z)
    np.testing.assert_allclose(g, 2 * np.conj(Z), rtol=1e-15)
    assert g.dtype == np.complex128
    t = wg.tensor(Z, requires_grad=True)
    wnp.sum(f(t)).backward()
    np.testing.assert_allclose(t.grad.numpy(), 2 * np.conj(Z), rtol=1e-15)
    # the ascent direction conj(g) increases f at rate |g|^2
    step = np.conj(g)
    h = 1e-7
    rate = (np.sum(np.abs(Z + h * step) ** 2) - np.sum(np.abs(Z - h * step) ** 2)) / (2 * h)
    np.testing.assert_allclose(rate, np.sum(np.abs(g) ** 2), rtol=1e-7)


@pytest.mark.parametrize("f", [
    lambda z: wnp.abs(z),
    lambda z: wnp.real(z ** 3 * wnp.conj(z)) + wnp.imag(wnp.exp(z)),
    lambda z: wnp.abs(wnp.sin(z)) * wnp.real(z),
    lambda z: wnp.log(wnp.abs(z) ** 2 + 1) * wnp.imag(wnp.sqrt(z)),
], ids=["abs", "re(z^3 conj z)+im(exp)", "abs(sin)*re", "log*im(sqrt)"])
def test_directional_derivative_is_re_of_grad_times_v(f):
    """df(z; v) = Re sum(grad * v) for every complex direction v (real and imaginary
    directions both), the defining property of the convention."""
    rng = np.random.default_rng(0)
    g = wg.grad(lambda z: wnp.sum(f(z)))(Z)
    for v in (rng.standard_normal(3) + 1j * rng.standard_normal(3), np.ones(3) + 0j,
              1j * np.ones(3)):
        num = numerical_jvp(lambda z: np.sum(np.asarray(f(z))), [Z], [v], 1e-4)[0]
        np.testing.assert_allclose(inner([g], [v]), num, rtol=1e-9)


def _holomorphic():
    fs = [("exp", wnp.exp, np.exp), ("sin", wnp.sin, np.cos),
          ("cos", wnp.cos, lambda z: -np.sin(z)), ("tan", wnp.tan, lambda z: 1 / np.cos(z) ** 2),
          ("tanh", wnp.tanh, lambda z: 1 / np.cosh(z) ** 2), ("log", wnp.log, lambda z: 1 / z),
          ("log1p", wnp.log1p, lambda z: 1 / (1 + z)), ("expm1", wnp.expm1, np.exp),
          ("sqrt", wnp.sqrt, lambda z: 0.5 / np.sqrt(z)),
          ("reciprocal", wnp.reciprocal, lambda z: -1 / z ** 2),
          ("square", wnp.square, lambda z: 2 * z), ("cube", lambda z: z ** 3,
                                                    lambda z: 3 * z ** 2),
          ("arctan", wnp.arctan, lambda z: 1 / (1 + z ** 2)),
          ("sigmoid", wnp.sigmoid, lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
          ("power z**w", lambda z: wnp.power(z, 1.5 - 0.5j),
           lambda z: (1.5 - 0.5j) * z ** (0.5 - 0.5j))]
    extra = {"sinh": np.cosh, "cosh": np.sinh, "arcsin": lambda z: 1 / np.sqrt(1 - z ** 2),
             "arccos": lambda z: -1 / np.sqrt(1 - z ** 2),
             "arcsinh": lambda z: 1 / np.sqrt(z ** 2 + 1),
             "arctanh": lambda z: 1 / (1 - z ** 2),
             "exp2": lambda z: np.log(2) * 2 ** z, "log2": lambda z: 1 / (z * np.log(2)),
             "log10": lambda z: 1 / (z * np.log(10))}
    for name, d in extra.items():  # added by another change; checked when present
        if hasattr(wnp, name):
            fs.append((name, getattr(wnp, name), d))
    return fs


@pytest.mark.parametrize("name,f,df", _holomorphic(), ids=[h[0] for h in _holomorphic()])
def test_holomorphic_derivative_without_conjugation(name, f, df):
    z = np.array([0.4 + 0.3j, -0.2 + 0.7j])
    d = df(z)
    (g,) = wg.vjp(f, z)[1](np.ones(2, complex))
    np.testing.assert_allclose(g, d, rtol=1e-13)
    np.testing.assert_allclose(wg.jvp(f, (z,), (np.ones(2, complex),))[1], d, rtol=1e-13)
    # Re f has gradient f'(z), Im f has gradient -i f'(z)
    np.testing.assert_allclose(wg.grad(lambda a: wnp.sum(wnp.real(f(a))))(z), d, rtol=1e-13)
    np.testing.assert_allclose(wg.grad(lambda a: wnp.sum(wnp.imag(f(a))))(z), -1j * d,
                               rtol=1e-13)


def test_real_linear_parts_are_transposed_not_conjugated():
    u = np.array([2.0, -1.0])
    uc = np.array([1.0 + 2.0j, -3.0 + 0.5j])
    np.testing.assert_array_equal(wg.vjp(wnp.real, Z[:2])[1](u)[0], u + 0j)
    np.testing.assert_array_equal(wg.vjp(wnp.imag, Z[:2])[1](u)[0], -1j * u)
    np.testing.assert_array_equal(wg.vjp(wnp.conj, Z[:2])[1](uc)[0], np.conj(uc))
    v = np.array([0.5 - 1.0j, 2.0j])
    np.testing.assert_array_equal(wg.jvp(wnp.real, (Z[:2],), (v,))[1], v.real)
    np.testing.assert_array_equal(wg.jvp(wnp.imag, (Z[:2],), (v,))[1], v.imag)
    np.testing.assert_array_equal(wg.jvp(wnp.conj, (Z[:2],), (v,))[1], np.conj(v))


def test_contractions_do_not_conjugate():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))
    b = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    g = rng.standard_normal((2, 4)) + 1j * rng.standard_normal((2, 4))
    for f in (wnp.matmul, lambda x, y: wnp.einsum("ij,jk->ik", x, y),
              lambda x, y: wnp.tensordot(x, y, 1), wnp.dot):
        ga, gb = wg.vjp(f, a, b)[1](g)
        np.testing.assert_allclose(ga, g @ b.T, rtol=1e-14)
        np.testing.assert_allclose(gb, a.T @ g, rtol=1e-14)
    # vdot conjugates its first argument, as NumPy does; its gradients follow from that:
    # Re vdot(a, b) = Re sum(conj(a) b) has gradient conj(b) in a and conj(a) in b
    x, y = a.ravel(), b.ravel()[:6]
    gx, gy = wg.grad(lambda p, q: wnp.real(wnp.vdot(p, q)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, np.conj(y), rtol=1e-15)
    np.testing.assert_allclose(gy, np.conj(x), rtol=1e-15)


def test_real_input_with_complex_intermediate_gets_a_real_gradient():
    x = np.array([0.5, 1.0, -2.0])
    for dt in (np.float64, np.float32):
        g = wg.grad(lambda a: wnp.sum(wnp.real(wnp.exp(1j * a))))(x.astype(dt))
        assert g.dtype == dt
        np.testing.assert_allclose(g, -np.sin(x), rtol=1e-6 if dt == np.float32 else 1e-15)
    # |fft(x)|^2 sums to n |x|^2 (Parseval): gradient 2 n x, real
    g = wg.grad(lambda a: wnp.sum(wnp.abs(wnp.fft.fft(a)) ** 2))(x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, 2 * 3 * x, rtol=1e-14)
    # the real part of a complex cotangent reaches a real input in forward mode too
    _, t = wg.jvp(lambda a: wnp.abs(a + 2j), (x,), (np.ones(3),))
    assert t.dtype == np.float64
    np.testing.assert_allclose(t, x / np.abs(x + 2j), rtol=1e-15)


def test_complex64_and_mixed_precision_dtypes():
    z = Z.astype(np.complex64)
    g = wg.grad(lambda a: wnp.sum(wnp.abs(a) ** 2))(z)
    assert g.dtype == np.complex64
    np.testing.assert_allclose(g, 2 * np.conj(Z), rtol=1e-6)
    x = np.array([1.0, 2.0, 3.0])
    gz, gx = wg.grad(lambda a, b: wnp.sum(wnp.real(a * b)), argnums=(0, 1))(z, x)
    assert wnp.multiply(z, x).dtype == np.complex128  # NumPy's promotion
    assert gz.dtype == np.complex64 and gx.dtype == np.float64
    np.testing.assert_allclose(gz, x, rtol=1e-6)
    np.testing.assert_allclose(gx, Z.real, rtol=1e-6)
    x32 = x.astype(np.float32)
    assert wnp.multiply(x32, 1j).dtype == np.complex64  # a Python complex is weak
    g = wg.grad(lambda a: wnp.sum(wnp.imag(a * 1j * wnp.exp(a * 1j))))(x32)
    assert g.dtype == np.float32


def test_grad_requires_a_real_output():
    with pytest.raises(DTypeError, match="real floating-point scalar"):
        wg.grad(lambda z: wnp.sum(z * z))(Z)
    # vjp with an explicit cotangent is the way for complex outputs
    (g,) = wg.vjp(lambda z: z * z, Z)[1](np.ones(3, complex))
    np.testing.assert_allclose(g, 2 * Z, rtol=1e-15)


def test_sign_of_complex_is_z_over_abs_z():
    z = np.array([3.0 + 4.0j, 0.0j, -2.0j, 1e-300 + 0j])
    np.testing.assert_allclose(wnp.sign(z).numpy(), np.sign(z), rtol=2.3e-16, atol=0)
    np.testing.assert_allclose(wnp.sign(z).numpy(), [0.6 + 0.8j, 0, -1j, 1], rtol=2.3e-16)
    # smooth away from 0: d(z/|z|) checked by finite differences; 0 at z = 0 (no NaN)
    check_grads(wnp.sign, [z[[0, 2]]], order=2)
    (g,) = wg.vjp(wnp.sign, np.array([0j]))[1](np.ones(1, complex))
    np.testing.assert_array_equal(g, [0j])
    # real sign is piecewise constant: derivative 0
    assert wg.grad(wnp.sign)(2.0) == 0.0


def test_abs_of_complex_zero():
    """|z| at 0: the minimum-norm subgradient 0, in both modes and at second order."""
    z = np.array([0j, 3.0 + 4.0j])
    (g,) = wg.vjp(wnp.abs, z)[1](np.ones(2))
    np.testing.assert_allclose(g, [0j, 0.6 - 0.8j], rtol=2.3e-16, atol=0)
    assert g[0] == 0
    np.testing.assert_allclose(wg.jvp(wnp.abs, (z,), (np.array([1j, 1j]),))[1], [0.0, 0.8])
    h = wg.jacfwd(wg.grad(lambda a: wnp.sum(wnp.abs(a))))(z)
    assert np.all(np.isfinite(np.asarray(h)))


def test_second_derivative_of_a_real_function_of_complex_input():
    """f = |z|^4: grad = 4 |z|^2 conj(z); its derivative along v is
    4 (2 Re(conj(z) v) conj(z) + |z|^2 conj(v)), in every mode."""
    v = np.array([0.5 - 1.0j, 2.0 + 0.5j, -1.0j])

    def f(z):
        return wnp.sum(wnp.abs(z) ** 4)

    def grad_f(z):
        return wg.grad(f)(z)

    np.testing.assert_allclose(grad_f(Z), 4 * np.abs(Z) ** 2 * np.conj(Z), rtol=1e-14)
    want = 4 * (2 * np.real(np.conj(Z) * v) * np.conj(Z) + np.abs(Z) ** 2 * np.conj(v))
    np.testing.assert_allclose(wg.jvp(grad_f, (Z,), (v,))[1], want, rtol=1e-14)
    # reverse over reverse: the Hessian is symmetric for the pairing, <w, H v> = <H w, v>
    w = np.array([1.0 + 1.0j, -0.5j, 0.25 + 0.0j])
    hv = wg.jvp(grad_f, (Z,), (v,))[1]
    hw = wg.vjp(grad_f, Z)[1](v)[0]
    np.testing.assert_allclose(inner([w], [hv]), inner([wg.jvp(grad_f, (Z,), (w,))[1]], [v]),
                               rtol=1e-13)
    np.testing.assert_allclose(hw, hv, rtol=1e-13)


def test_imperative_and_forward_ad_agree_with_the_functional_api():
    from wengert.autograd import forward_ad

    def f(z):
        return wnp.sum(wnp.abs(wnp.exp(z) - z ** 2))

    t = wg.tensor(Z, requires_grad=True)
    f(t).backward()
    np.testing.assert_allclose(t.grad.numpy(), wg.grad(f)(Z), rtol=1e-15)
    v = np.array([1.0j, 1.0, 1.0 - 1.0j])
    with forward_ad.dual_level():
        out = f(forward_ad.make_dual(wg.tensor(Z), wg.tensor(v)))
        tan = np.asarray(forward_ad.unpack_dual(out).tangent)
    np.testing.assert_allclose(tan, inner([wg.grad(f)(Z)], [v]), rtol=1e-14)
