"""NumPy interop: plain ``numpy`` calls on Tensors stay differentiable through
``__array_ufunc__``/``__array_function__``; a function with no rule raises an error naming
it; converting a tensor that requires grad to an ndarray is refused with a hint."""
import io

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.numpy import _dispatch

A = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
B = np.array([[1.0, 2.0, -3.0], [0.5, -2.0, 4.0]])


def leaf(values=A, dtype=None):
    return wg.tensor(values, requires_grad=True, dtype=dtype)


def grad_of(fn, x=A):
    t = leaf(x)
    out = fn(t)
    assert isinstance(out, wg.Tensor), type(out)
    assert out.requires_grad
    out.sum().backward()
    return out, t.grad.numpy()


# (function of a tensor, reference value from NumPy on the array, analytic gradient of sum)
DIFFERENTIABLE = {
    "np.sin": (np.sin, np.sin, lambda a: np.cos(a)),
    "np.exp": (np.exp, np.exp, np.exp),
    "np.sqrt(abs)": (lambda t: np.sqrt(np.abs(t)), lambda a: np.sqrt(np.abs(a)),
                     lambda a: np.sign(a) * 0.5 / np.sqrt(np.abs(a))),
    "np.sum axis=0": (lambda t: np.sum(t, axis=0), lambda a: np.sum(a, axis=0),
                      lambda a: np.ones_like(a)),
    "np.sum keepdims": (lambda t: np.sum(t, axis=1, keepdims=True),
                        lambda a: np.sum(a, axis=1, keepdims=True), lambda a: np.ones_like(a)),
    "np.mean": (np.mean, np.mean, lambda a: np.full_like(a, 1 / a.size)),
    "np.mean axis": (lambda t: np.mean(t, axis=1), lambda a: np.mean(a, axis=1),
                     lambda a: np.full_like(a, 1 / a.shape[1])),
    "np.maximum(t, 0)": (lambda t: np.maximum(t, 0), lambda a: np.maximum(a, 0),
                         lambda a: (a > 0).astype(float)),
    "t * ndarray": (lambda t: t * B, lambda a: a * B, lambda a: B),
    "ndarray * t": (lambda t: B * t, lambda a: B * a, lambda a: B),
    "ndarray + t": (lambda t: B + t, lambda a: B + a, lambda a: np.ones_like(a)),
    "ndarray - t": (lambda t: B - t, lambda a: B - a, lambda a: -np.ones_like(a)),
    "ndarray / t": (lambda t: B / t, lambda a: B / a, lambda a: -B / a**2),
    "ndarray ** t": (lambda t: np.abs(B) ** t, lambda a: np.abs(B) ** a,
                     lambda a: np.abs(B) ** a * np.log(np.abs(B))),
    "np.dot": (lambda t: np.dot(t, B.T), lambda a: np.dot(a, B.T),
               lambda a: np.ones((2, 2)) @ B),
    "ndarray @ t": (lambda t: B.T @ t, lambda a: B.T @ a,
                    lambda a: B @ np.ones((3, 3))),
    "np.matmul": (lambda t: np.matmul(t, B.T), lambda a: a @ B.T,
                  lambda a: np.ones((2, 2)) @ B),
    "np.where": (lambda t: np.where(B > 0, t, 0.0), lambda a: np.where(B > 0, a, 0.0),
                 lambda a: (B > 0).astype(float)),
    "np.float64 * t": (lambda t: np.float64(2.5) * t, lambda a: 2.5 * a,
                       lambda a: np.full_like(a, 2.5)),
    "np.add.reduce": (lambda t: np.add.reduce(t, axis=1), lambda a: a.sum(axis=1),
                      lambda a: np.ones_like(a)),
    "np.maximum.reduce": (lambda t: np.maximum.reduce(t, axis=None),
                          lambda a: np.max(a), lambda a: (a == a.max()).astype(float)),
    "np.multiply.outer": (lambda t: np.multiply.outer(t, np.array([1.0, 3.0])),
                          lambda a: np.multiply.outer(a, [1.0, 3.0]),
                          lambda a: np.full_like(a, 4.0)),
    "np.tanh(dtype=)": (lambda t: np.tanh(t, dtype=np.float64), np.tanh,
                        lambda a: 1 - np.tanh(a) ** 2),
    "np.transpose/reshape": (lambda t: np.reshape(np.transpose(t), (6,)) * np.arange(6.0),
                             lambda a: a.T.reshape(6) * np.arange(6.0),
                             lambda a: np.arange(6.0).reshape(3, 2).T),
    "np.concatenate": (lambda t: np.concatenate([t, B]) * 2, lambda a: np.concatenate([a, B]) * 2,
                       lambda a: np.full_like(a, 2.0)),
    "np.clip": (lambda t: np.clip(t, -0.9, 1.0), lambda a: np.clip(a, -0.9, 1.0),
                lambda a: ((a > -0.9) & (a < 1.0)).astype(float)),
    "np.einsum": (lambda t: np.einsum("ij,ij->i", t, B), lambda a: np.einsum("ij,ij->i", a, B),
                  lambda a: B),
}


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
def test_numpy_calls_stay_differentiable(name):
    fn, ref, dref = DIFFERENTIABLE[name]
    out, g = grad_of(fn)
    np.testing.assert_allclose(out.detach().numpy(), ref(A), rtol=1e-14)
    np.testing.assert_allclose(g, dref(A), rtol=1e-13, atol=1e-15)


def test_arithmetic_with_ndarray_on_the_left_returns_tensors():
    t = leaf()
    for out in (B + t, B - t, B * t, B / t, B ** 2 * t, B @ t.T, B > t, np.float32(2) * t):
        assert isinstance(out, wg.Tensor)
    assert (B > t).dtype == np.bool_ and not (B > t).requires_grad


def test_float32_interop_keeps_float32():
    t = leaf(A, dtype=np.float32)
    out = np.sin(t) * np.float32(2) + np.mean(t, axis=0)
    assert out.dtype == np.float32
    out.sum().backward()
    assert t.grad.dtype == np.float32
    # NumPy's promotion: a float64 array operand promotes, the gradient keeps float32
    t.grad = None
    out = t * B
    assert out.dtype == np.float64
    out.sum().backward()
    assert t.grad.dtype == np.float32


def test_numpy_reductions_on_constant_tensors():
    c = wg.tensor(A)
    r = np.sum(c, axis=0)
    assert isinstance(r, wg.Tensor) and not r.requires_grad
    np.testing.assert_allclose(r.numpy(), A.sum(axis=0))


# --- no rule: a clear error, never a silent ndarray -------------------------------------------
def _named(info, name):
    msg = str(info.value)
    assert name in msg, msg
    assert "detach" in msg


def test_ufunc_at_raises():
    t = leaf()
    with pytest.raises(wg.UnsupportedError) as info:
        np.add.at(t, [0], 1.0)
    _named(info, "numpy.add.at")
    np.testing.assert_array_equal(t.detach().numpy(), A)


def test_ufunc_reduceat_and_unknown_method_raise():
    t = leaf(A[0])
    with pytest.raises(wg.UnsupportedError) as info:
        np.add.reduceat(t, [0, 1])
    _named(info, "numpy.add.reduceat")


def test_ufunc_with_out_raises():
    t = leaf()
    buf = np.zeros_like(A)
    with pytest.raises(wg.UnsupportedError, match=r"numpy\.sin.*out=") as info:
        np.sin(t, out=buf)
    assert "in place" in str(info.value)
    np.testing.assert_array_equal(buf, 0.0)
    with pytest.raises(wg.UnsupportedError, match="out="):
        np.add(B, t, out=buf)
    arr = B.copy()
    with pytest.raises(wg.UnsupportedError, match="out="):
        arr += t            # ndarray augmented assignment would write a Tensor into arr
    np.testing.assert_array_equal(arr, B)
    with pytest.raises(wg.UnsupportedError, match="out="):
        np.sum(t, out=np.zeros(()))


def test_ufunc_where_and_initial_are_refused():
    t = leaf()
    with pytest.raises(wg.UnsupportedError, match="where="):
        np.exp(t, where=B > 0)
    with pytest.raises(wg.UnsupportedError, match="initial="):
        np.add.reduce(t, initial=5.0)


def test_function_without_rule_raises_naming_it(monkeypatch):
    # make einsum look unknown: not in the table and not found by name
    monkeypatch.delitem(_dispatch.FUNCTIONS, np.einsum)
    monkeypatch.setattr(_dispatch, "_SUBMODULES", {})
    t = leaf()
    with pytest.raises(wg.UnsupportedError) as info:
        np.einsum("ij->", t)
    _named(info, "numpy.einsum")
    assert "derivative rule" in str(info.value)


def test_ufunc_without_rule_raises_naming_it(monkeypatch):
    monkeypatch.delitem(_dispatch.UFUNCS, np.sin)
    monkeypatch.setattr(_dispatch, "_SUBMODULES", {})
    with pytest.raises(wg.UnsupportedError) as info:
        np.sin(leaf())
    _named(info, "numpy.sin")


def test_function_found_by_name_in_wengert_numpy(monkeypatch):
    calls = []

    def fake_unwrap(p, *args, **kwargs):
        calls.append(p)
        return p * 1.0

    monkeypatch.setattr(wnp, "unwrap", fake_unwrap, raising=False)
    monkeypatch.delitem(_dispatch.FUNCTIONS, np.unwrap, raising=False)
    t = leaf(A[0])
    out = np.unwrap(t)
    assert calls and calls[0] is t and out.requires_grad
    _dispatch.FUNCTIONS.pop(np.unwrap, None)  # do not leave the fake cached


def _float_leaves(obj):
    if isinstance(obj, (tuple, list)):
        return [x for o in obj for x in _float_leaves(o)]
    if isinstance(obj, np.ndarray):
        return [obj] if np.issubdtype(obj.dtype, np.inexact) else []
    if isinstance(obj, wg.Tensor):
        return [obj] if np.issubdtype(obj.dtype, np.inexact) else []
    return []


M = np.array([[2.0, 0.5, 0.1], [0.5, 3.0, 0.2], [0.1, 0.2, 4.0]])
NEVER_SILENT = {
    "fft.fft": lambda t: np.fft.fft(t[0]), "fft.rfft": lambda t: np.fft.rfft(t[0]),
    "linalg.qr": np.linalg.qr, "linalg.inv": np.linalg.inv, "linalg.det": np.linalg.det,
    "linalg.norm": np.linalg.norm, "linalg.svd": np.linalg.svd, "linalg.eigh": np.linalg.eigh,
    "cumsum": np.cumsum, "sort": np.sort, "median": np.median, "diff": np.diff,
    "ptp": np.ptp, "average": np.average, "percentile": lambda t: np.percentile(t, 30),
    "trapezoid": np.trapezoid, "unwrap": np.unwrap, "convolve": lambda t: np.convolve(
        t[0], t[1]), "kron": lambda t: np.kron(t, t), "cov": np.cov, "nanmean": np.nanmean,
    "sinh": np.sinh, "cbrt": np.cbrt, "hypot": lambda t: np.hypot(t, t),
    "cross": lambda t: np.cross(t[0], t[1]), "tril": np.tril, "trace": np.trace,
    "flip": np.flip, "roll": lambda t: np.roll(t, 1), "tile": lambda t: np.tile(t, 2),
    "pad": lambda t: np.pad(t, 1), "diagonal": np.diagonal, "cumprod": np.cumprod,
}


@pytest.mark.parametrize("name", sorted(NEVER_SILENT))
def test_numpy_function_never_silently_drops_the_graph(name):
    """Whatever the library supports today, a NumPy function applied to a tensor that
    requires grad either returns differentiable tensors or raises UnsupportedError naming
    the function: never a plain ndarray."""
    t = leaf(M)
    try:
        out = NEVER_SILENT[name](t)
    except wg.UnsupportedError as e:
        assert name.split(".")[-1] in str(e)
        return
    leaves = _float_leaves(out)
    assert leaves, f"{name} returned no floating-point output: {type(out)}"
    assert all(isinstance(x, wg.Tensor) and x.requires_grad for x in leaves), name


# --- conversion to ndarray --------------------------------------------------------------------
def test_asarray_of_tensor_requiring_grad_is_refused_with_hint():
    t = leaf()
    for convert in (np.asarray, np.array, np.ascontiguousarray):
        with pytest.raises(wg.GradientError, match=r"detach\(\)"):
            convert(t)
    with pytest.raises(wg.GradientError, match=r"detach\(\)"):
        np.asarray(t * 2)


def test_asarray_of_plain_tensor_works():
    c = wg.tensor(A)
    arr = np.asarray(c)
    assert type(arr) is np.ndarray
    np.testing.assert_array_equal(arr, A)
    assert np.asarray(c, dtype=np.float32).dtype == np.float32
    t = leaf()
    np.testing.assert_array_equal(np.asarray(t.detach()), A)
    np.testing.assert_array_equal(np.array([wg.tensor(1.0), wg.tensor(2.0)]), [1.0, 2.0])
    assert float(np.float64(wg.tensor(2.5))) == 2.5


def test_saving_a_tensor_with_numpy():
    buf = io.BytesIO()
    np.save(buf, leaf())
    buf.seek(0)
    np.testing.assert_array_equal(np.load(buf), A)


def test_comparison_helpers_work_on_tensors():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0])
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    np.testing.assert_almost_equal(x.grad, [2.0, 4.0])
    assert np.allclose(x.grad, [2.0, 4.0]) and np.array_equal(x.grad, [2.0, 4.0])
    assert np.isclose(x, [1.0, 2.1]).tolist() == [True, False]  # booleans: nothing dropped
    assert np.allclose(x, [1.0, 2.0])
    assert np.shape(x) == (2,) and np.ndim(x) == 1 and np.size(x) == 2
    assert np.argsort(x * -1).tolist() == [1, 0]
    assert np.count_nonzero(x > 1) == 1
