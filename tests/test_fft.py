"""wnp.fft: values against numpy.fft, derivatives (reverse, forward, second order) against
finite differences, the transposes written out, NumPy dispatch, dtypes and errors."""
import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from _checks import check_grads, check_imperative

RNG = np.random.default_rng(1)
X = RNG.standard_normal((3, 5))                      # real input
Z = X + 1j * RNG.standard_normal((3, 5))            # complex input
NORMS = [None, "backward", "ortho", "forward"]

# (name, input, kwargs): every transform, with padding (n/s larger), truncation (smaller),
# other axes and every norm represented.
CASES = [
    ("fft", Z, {}), ("fft", Z, dict(n=7, axis=0, norm="ortho")),
    ("fft", X, dict(n=3, norm="forward")),
    ("ifft", Z, {}), ("ifft", Z, dict(n=3, norm="forward")), ("ifft", Z, dict(n=8, axis=0)),
    ("rfft", X, {}), ("rfft", X, dict(n=8, axis=0, norm="ortho")),
    ("rfft", X, dict(n=4, norm="forward")),
    ("irfft", Z, {}), ("irfft", Z, dict(n=7, norm="ortho")), ("irfft", Z, dict(n=4, axis=0)),
    ("irfft", Z, dict(n=12, norm="forward")), ("irfft", X, dict(n=5)),
    ("hfft", Z, {}), ("hfft", Z, dict(n=5, norm="ortho")),
    ("ihfft", X, {}), ("ihfft", X, dict(n=6, norm="forward")),
    ("fft2", Z, {}), ("fft2", Z, dict(s=(4, 3), norm="ortho")),
    ("ifft2", Z, dict(s=(2, 6))),
    ("rfft2", X, {}), ("rfft2", X, dict(s=(4, 6), norm="forward")),
    ("irfft2", Z, {}), ("irfft2", Z, dict(s=(2, 5), norm="ortho")),
    ("fftn", Z, {}), ("fftn", Z, dict(s=(4, 3), axes=(1, 0))), ("fftn", Z, dict(axes=(0,))),
    ("fftn", Z, dict(s=(4, 3), axes=(1, 1))),           # a repeated axis: transformed twice
    ("ifftn", Z, dict(s=(2, 6), axes=(0, 1), norm="forward")),
    ("rfftn", X, dict(s=(4, 6), axes=(0, 1))), ("rfftn", X, dict(axes=(1, 0))),
    ("irfftn", Z, dict(s=(2, 5), axes=(0, 1))), ("irfftn", Z, dict(s=(3, 8), axes=(1, 0))),
    ("irfftn", Z, dict(s=(4, -1), axes=(0, 1))),
    ("fftshift", X, {}), ("fftshift", X, dict(axes=1)),
    ("ifftshift", Z, {}), ("ifftshift", X, dict(axes=(0,))),
]


def _id(case):
    name, a, kw = case
    return f"{name}-{'c' if np.iscomplexobj(a) else 'r'}-" + ",".join(
        f"{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_values_match_numpy(case):
    name, a, kw = case
    got = getattr(wnp.fft, name)(a, **kw)
    ref = getattr(np.fft, name)(a, **kw)
    assert isinstance(got, wg.Tensor)
    assert got.dtype == ref.dtype and got.shape == ref.shape
    np.testing.assert_allclose(np.asarray(got), ref, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_derivatives(case):
    name, a, kw = case
    fn = getattr(wnp.fft, name)
    check_grads(lambda x: fn(x, **kw), [a], order=2, label=name)


@pytest.mark.parametrize("norm", NORMS)
def test_fft_is_its_own_transpose(norm):
    # DFT matrices are symmetric, and JAX's convention does not conjugate: vjp(fft)(g) = fft(g)
    g = RNG.standard_normal(6) + 1j * RNG.standard_normal(6)
    for name in ("fft", "ifft"):
        z0 = RNG.standard_normal(6) + 1j * RNG.standard_normal(6)
        _, pull = wg.vjp(lambda z, name=name: getattr(wnp.fft, name)(z, norm=norm), z0)
        np.testing.assert_allclose(pull(g)[0], getattr(np.fft, name)(g, norm=norm),
                                   rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("n", [6, 7])
@pytest.mark.parametrize("norm", NORMS)
def test_rfft_irfft_transposes_explicitly(n, norm):
    m = n // 2 + 1
    x = RNG.standard_normal(n)
    g = RNG.standard_normal(m) + 1j * RNG.standard_normal(m)
    # rfft: the dropped frequencies get zero cotangent; the real part goes back to real x
    _, pull = wg.vjp(lambda v: wnp.fft.rfft(v, norm=norm), x)
    padded = np.concatenate([g, np.zeros(n - m)])
    np.testing.assert_allclose(pull(g)[0], np.fft.fft(padded, norm=norm).real,
                               rtol=1e-13, atol=1e-14)
    # irfft: weight 1 at frequency 0 (and n/2 for even n), 2 for the mirrored ones
    y = RNG.standard_normal(n)
    _, pull = wg.vjp(lambda v: wnp.fft.irfft(v, n=n, norm=norm), g)
    c = np.full(m, 2.0)
    c[0] = 1.0
    if n % 2 == 0:
        c[-1] = 1.0
    np.testing.assert_allclose(pull(y)[0], c * np.fft.ifft(y, norm=norm)[:m],
                               rtol=1e-13, atol=1e-14)


def test_irfft_ignores_imaginary_parts_it_drops():
    # Im X[0] and Im X[n/2] do not affect irfft's output: their derivative must be 0
    g = wg.grad(lambda v: wnp.sum(wnp.fft.irfft(v) * np.arange(6.0)))(Z[0, :4])
    np.testing.assert_allclose(np.imag(g[[0, 3]]), 0.0, atol=1e-15)


def test_gradcheck_on_real_outputs():
    # the documented gradcheck entry point, on real-valued functions of the transforms
    x = RNG.standard_normal(5)
    assert wg.autograd.gradcheck(lambda v: wnp.abs(wnp.fft.rfft(v, n=8)) ** 2, (x,))
    assert wg.autograd.gradgradcheck(lambda v: wnp.real(wnp.fft.ifft(v * v, norm="ortho")),
                                     (x,))


def test_power_spectrum_gradient_analytic():
    # d/dx sum |fft(x)|^2 = 2 n x (Parseval)
    x = RNG.standard_normal(7)
    g = wg.grad(lambda v: wnp.sum(wnp.abs(wnp.fft.fft(v)) ** 2))(x)
    np.testing.assert_allclose(g, 2 * 7 * x, rtol=1e-12)


def test_imperative_api_and_roundtrip():
    check_imperative(lambda v: wnp.fft.irfft(wnp.fft.rfft(v) * np.arange(1.0, 4.0), n=5),
                     [X[0]], label="filter")
    x = wg.tensor(X, requires_grad=True)
    y = wnp.fft.irfftn(wnp.fft.rfftn(x), s=X.shape, axes=(0, 1))
    np.testing.assert_allclose(y.detach().numpy(), X, atol=1e-14)
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * X, atol=1e-13)


@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2",
                                  "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn",
                                  "irfftn", "fftshift", "ifftshift"])
def test_numpy_dispatch(name):
    a = X if name in ("rfft", "ihfft", "rfft2", "rfftn", "fftshift") else Z
    x = wg.tensor(a, requires_grad=True)
    y = getattr(np.fft, name)(x)
    assert isinstance(y, wg.Tensor) and y.requires_grad
    np.testing.assert_allclose(y.detach().numpy(), getattr(np.fft, name)(a), atol=1e-13)


def test_float32_stays_single_precision():
    x32 = X.astype(np.float32)
    assert wnp.fft.rfft(x32).dtype == np.complex64
    assert wnp.fft.fft(x32).dtype == np.complex64
    assert wnp.fft.irfft(wnp.fft.rfft(x32)).dtype == np.float32
    g = wg.grad(lambda v: wnp.sum(wnp.abs(wnp.fft.fft2(v, s=(4, 4))) ** 2))(x32)
    assert g.dtype == np.float32
    check_grads(lambda v: wnp.fft.irfft(wnp.fft.rfft(v, norm="ortho") * 1.5, n=5), [x32],
                order=1)


def test_frequencies():
    np.testing.assert_array_equal(np.asarray(wnp.fft.fftfreq(8, 0.1)), np.fft.fftfreq(8, 0.1))
    np.testing.assert_array_equal(np.asarray(wnp.fft.rfftfreq(7)), np.fft.rfftfreq(7))
    # differentiable in the sample spacing: d/dd (k / (n d)) = -k / (n d^2)
    g = wg.grad(lambda d: wnp.sum(wnp.fft.fftfreq(8, d)))(0.5)
    np.testing.assert_allclose(g, -np.sum(np.fft.fftfreq(8, 1.0)) / 0.25, atol=1e-15)
    g = wg.grad(lambda d: wnp.sum(wnp.fft.rfftfreq(8, d)))(0.5)
    np.testing.assert_allclose(g, -np.sum(np.fft.rfftfreq(8, 1.0)) / 0.25)


def test_errors_match_numpy():
    with pytest.raises(ValueError, match="Invalid norm value"):
        wnp.fft.fft(Z, norm="unitary")
    with pytest.raises(ValueError, match="Invalid number of FFT data points"):
        wnp.fft.fft(Z, n=0)
    with pytest.raises(ValueError, match="Invalid number of FFT data points"):
        wnp.fft.irfft(np.ones(1, complex))
    with pytest.raises(TypeError, match="real input"):
        wnp.fft.rfft(Z)
    with pytest.raises(ValueError, match="Shape and axes"):
        wnp.fft.fftn(Z, s=(2, 2), axes=(0,))
    with pytest.raises(np.exceptions.AxisError):
        wnp.fft.fft(Z, axis=2)
    with pytest.raises(wg.UnsupportedError, match="in place"):
        wnp.fft.fft(Z, out=np.empty_like(Z))
    with pytest.warns(DeprecationWarning, match="axes"):
        r = wnp.fft.fftn(Z, s=(2, 4))
    np.testing.assert_allclose(np.asarray(r), np.fft.fftn(Z, s=(2, 4), axes=(0, 1)))
