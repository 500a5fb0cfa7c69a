"""Indexing: ``x[idx]`` reads and ``x[idx] = v`` writes, ``take``, ``concatenate`` and
``stack``: values against NumPy, derivatives (reverse, forward, second order) against central
differences, and the imperative (PyTorch-style) usage."""
import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert._errors import GradientError, InplaceError
from wengert.autograd import gradcheck, gradgradcheck
from wengert.autograd.forward_ad import dual_level, make_dual, unpack_dual
from wengert.numpy._shape import index_update

X = np.random.default_rng(0).standard_normal((4, 5, 3))
MASK = X > 0

# indices into X (shape (4, 5, 3))
READS = {
    "int": 1,
    "negative_int": -1,
    "scalar_0d": (1, 2, 0),
    "slice": slice(1, 3),
    "negative_stride": (slice(None, None, -1), slice(3, 0, -2)),
    "ellipsis": (Ellipsis, 1),
    "newaxis": (None, 1, Ellipsis, None),
    "int_array_repeated": np.array([0, 0, 2, 0]),
    "int_array_2d": (np.array([[0, 1], [1, 1]]), slice(None), np.array([2, 2])),
    "list": [0, 1, 1],
    "empty_list": [],
    "mask_same_shape": MASK,
    "mask_leading_axis": np.array([True, False, True, True]),
    "mask_leading_axes": MASK[..., 0],
    "mixed_adjacent": (slice(1, 3), np.array([0, 4, 4]), 1),
    "mixed_separated": (np.array([0, 3]), slice(None), np.array([1, 1])),
    "mask_and_slice": (np.array([True, False, True, True]), slice(None, None, -1), 0),
    "mask_and_int_array": (np.array([True, False, True, True]), np.array([0, 1, 0])),
    "empty_tuple": (),
}


@pytest.mark.parametrize("name", list(READS))
def test_getitem_value(name):
    idx = READS[name]
    got = wg.tensor(X)[idx]
    ref = X[idx]
    assert got.shape == ref.shape
    np.testing.assert_array_equal(got.numpy(), ref)


@pytest.mark.parametrize("name", list(READS))
def test_getitem_derivatives(name):
    idx = READS[name]
    assert gradcheck(lambda a: a[idx], (X,))                      # reverse and forward
    assert gradgradcheck(lambda a: wnp.sin(a[idx]) * a[idx], (X,))


def test_repeated_indices_accumulate():
    t = wg.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    t[np.array([0, 0, 2])].sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [[2] * 4, [0] * 4, [1] * 4])
    t.grad = None
    t[[1, 1], [3, 3]].sum().backward()
    expect = np.zeros((3, 4))
    expect[1, 3] = 2
    np.testing.assert_array_equal(t.grad.numpy(), expect)


def test_forward_and_second_order_through_repeated_indices():
    f = lambda a: (a[np.array([0, 0, 1])] ** 3).sum()
    a0 = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(wg.grad(f)(a0), [6.0, 12.0, 0.0, 0.0])
    e0 = np.array([1.0, 0.0, 0.0, 0.0])
    _, hv = wg.jvp(wg.grad(f), (a0,), (e0,))          # forward over reverse: 2 * 6 a0
    np.testing.assert_allclose(hv, [12.0, 0.0, 0.0, 0.0])
    g2 = wg.grad(lambda a: wg.grad(f)(a)[0])(a0)        # reverse over reverse
    np.testing.assert_allclose(g2, [12.0, 0.0, 0.0, 0.0])


def test_tensor_valued_indices():
    x = wg.tensor(X, requires_grad=True)
    i = wg.tensor(np.array([3, 1, 3]))
    np.testing.assert_array_equal(x[i].detach().numpy(), X[[3, 1, 3]])
    np.testing.assert_array_equal(x[wg.tensor(2)].detach().numpy(), X[2])
    np.testing.assert_array_equal(x[wg.tensor(MASK)].detach().numpy(), X[MASK])
    np.testing.assert_array_equal(x[[wg.tensor(2), wg.tensor(0)]].detach().numpy(), X[[2, 0]])
    x[i, wg.tensor(1)].sum().backward()
    expect = np.zeros_like(X)
    expect[3, 1] = 2
    expect[1, 1] = 1
    np.testing.assert_array_equal(x.grad.numpy(), expect)


def test_float_index_is_an_error():
    with pytest.raises(IndexError, match="valid indices"):
        wg.tensor(X)[wg.tensor([0.5])]


def test_zero_d_results():
    x = wg.tensor(X, requires_grad=True)
    y = x[1, 2, 0]
    assert y.shape == ()
    (y * y).backward()
    expect = np.zeros_like(X)
    expect[1, 2, 0] = 2 * X[1, 2, 0]
    np.testing.assert_array_equal(x.grad.numpy(), expect)
    s = wg.tensor(3.0, requires_grad=True)
    for idx in [(), Ellipsis, None]:
        assert s[idx].shape == np.array(3.0)[idx].shape
    assert gradcheck(lambda a: a[None] * a[()], (np.array(3.0),))


def test_float32_stays_float32():
    x = wg.tensor(X.astype(np.float32), requires_grad=True)
    x[MASK].sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), MASK.astype(np.float32))


def test_dual_tensor_forward_mode():
    tangent = np.random.default_rng(1).standard_normal(X.shape)
    with dual_level():
        d = make_dual(wg.tensor(X), wg.tensor(tangent))
        p, tan = unpack_dual(d[np.array([0, 0, 3]), ::-1])
    np.testing.assert_array_equal(p.numpy(), X[[0, 0, 3], ::-1])
    np.testing.assert_array_equal(tan.numpy(), tangent[[0, 0, 3], ::-1])


# --- writes --------------------------------------------------------------------------------------
_rng = np.random.default_rng(2)
Y = _rng.standard_normal((4, 5))
WRITES = {
    "row": ((0,), _rng.standard_normal(5)),
    "negative_stride": ((slice(None, None, -2), 1), _rng.standard_normal(2)),
    "ellipsis_scalar": ((Ellipsis, 2), _rng.standard_normal(())),
    "mask": (Y > 0, _rng.standard_normal(int((Y > 0).sum()))),
    "mask_broadcast_scalar": (Y > 0, _rng.standard_normal(())),
    "mask_leading_axis": (np.array([True, False, False, True]), _rng.standard_normal((2, 5))),
    "int_array": (np.array([3, 1]), _rng.standard_normal((2, 5))),
    "repeated_rows": (np.array([0, 2, 0]), _rng.standard_normal((3, 5))),
    "repeated_rows_broadcast": (np.array([0, 2, 0]), _rng.standard_normal(5)),
    "repeated_points": ((np.array([1, 1]), np.array([3, 3])), _rng.standard_normal(2)),
    "mixed": ((slice(1, 3), np.array([4, 0, 4])), _rng.standard_normal((2, 3))),
    "newaxis": ((None, 1), _rng.standard_normal((1, 5))),
    "column_broadcast": ((slice(None), 1), _rng.standard_normal(())),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_index_update_value(name):
    idx, v = WRITES[name]
    ref = Y.copy()
    ref[idx] = v
    np.testing.assert_array_equal(index_update(wg.tensor(Y), idx, wg.tensor(v)).numpy(), ref)
    x = wg.tensor(Y)
    x[idx] = v                                   # the Tensor method
    np.testing.assert_array_equal(x.numpy(), ref)


@pytest.mark.parametrize("name", list(WRITES))
def test_index_update_derivatives(name):
    idx, v = WRITES[name]
    f = lambda a, b: wnp.sin(index_update(a, idx, b)) * index_update(a, idx, b)
    assert gradcheck(lambda a, b: index_update(a, idx, b), (Y, v))
    assert gradgradcheck(f, (Y, v))


def test_index_update_gradient_rules():
    x = wg.tensor(Y, requires_grad=True)
    v = wg.tensor(np.ones(5), requires_grad=True)
    w = np.arange(20.0).reshape(4, 5)
    (index_update(x, np.array([0, 2, 0]), v) * w).sum().backward()
    expect_x = w.copy()
    expect_x[[0, 2]] = 0                          # zero where written
    np.testing.assert_array_equal(x.grad.numpy(), expect_x)
    # v broadcast to three rows, but row 0 is written twice and only the last write lands
    np.testing.assert_array_equal(v.grad.numpy(), w[0] + w[2])


def test_repeated_write_only_last_value_gets_gradient():
    v = wg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = index_update(wnp.zeros(4), np.array([1, 1, 2]), v)
    np.testing.assert_array_equal(out.detach().numpy(), [0.0, 2.0, 3.0, 0.0])
    (out * np.array([10.0, 20.0, 30.0, 40.0])).sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), [0.0, 20.0, 30.0])


def test_chapter_style_imperative_writes():
    t = wg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = t * 1
    x[0] = 5.0
    x.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(x.detach().numpy(), [5.0, 2.0, 3.0])

    t = wg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    t[:, ::-1].sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.ones((2, 3)))


def test_write_a_tensor_that_requires_grad_into_a_buffer():
    v = wg.tensor([2.0, 3.0], requires_grad=True)
    buf = wnp.zeros(5)
    buf[np.array([4, 0])] = v * v
    assert buf.requires_grad
    (buf * np.arange(5.0)).sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), [2 * 2.0 * 4, 0.0])


def test_write_into_a_leaf_that_requires_grad_raises():
    t = wg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(GradientError, match="leaf"):
        t[0] = 3.0
    with wg.no_grad():
        t[0] = 3.0                                # allowed, as in optimiser updates
    np.testing.assert_array_equal(t.detach().numpy(), [3.0, 2.0])


def test_write_into_a_saved_tensor_raises_at_backward():
    t = wg.tensor([1.0, 2.0], requires_grad=True)
    y = t * 1
    z = y * y                                     # saves y
    y[0] = 7.0
    with pytest.raises(InplaceError, match="inplace"):
        z.sum().backward()


def test_index_update_forward_mode():
    rng = np.random.default_rng(3)
    tx, tv = rng.standard_normal((4, 5)), rng.standard_normal(5)
    idx = np.array([0, 2, 0])
    _, tan = wg.jvp(lambda a, b: index_update(a, idx, b), (Y, np.ones(5)), (tx, tv))
    expect = tx.copy()
    expect[idx] = tv
    np.testing.assert_array_equal(tan, expect)


# --- take / concatenate / stack ------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    {"indices": [2, 0, 2], "axis": 0}, {"indices": [-1, 1], "axis": -1},
    {"indices": np.array([[1, 1], [0, 2]]), "axis": 1}, {"indices": 3},
    {"indices": [5, 7], "axis": None}, {"indices": [-1, 7], "axis": -1, "mode": "wrap"},
    {"indices": [-1, 7], "axis": 1, "mode": "clip"}, {"indices": 2, "axis": -2},
])
def test_take(kwargs):
    np.testing.assert_array_equal(wnp.take(wg.tensor(X), **kwargs).numpy(), np.take(X, **kwargs))
    np.testing.assert_array_equal(np.take(wg.tensor(X), **kwargs).numpy(), np.take(X, **kwargs))
    assert gradcheck(lambda a: wnp.take(a, **kwargs), (X[:3, :3, :2],))


def test_take_repeated_indices_accumulate():
    a = wg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    wnp.take(a, [2, 2, 0, 2]).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 0.0, 3.0])


@pytest.mark.parametrize("axis,a,b", [
    (0, X[:1, :2], X[1:, :2]),
    (1, X[:, :2], X[:, 2:]),
    (-1, X[:2, :2, :1], X[:2, :2, 1:]),
    (-2, X[:2, :2], X[:2, 3:]),
    (-3, X[:1], X[3:]),
    (None, X[0], X[1, :2]),
])
def test_concatenate(axis, a, b):
    ref = np.concatenate([a, b], axis=axis)
    np.testing.assert_array_equal(wnp.concatenate([a, b], axis=axis).numpy(), ref)
    np.testing.assert_array_equal(np.concatenate([wg.tensor(a), b], axis=axis).numpy(), ref)
    assert gradcheck(lambda u, w: wnp.concatenate([u, w], axis=axis) ** 2, (a, b))


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
def test_stack(axis):
    a, b = X[0], X[1]
    ref = np.stack([a, b], axis=axis)
    np.testing.assert_array_equal(wnp.stack([a, b], axis=axis).numpy(), ref)
    np.testing.assert_array_equal(np.stack([wg.tensor(a), b], axis=axis).numpy(), ref)
    assert gradcheck(lambda u, w: wnp.stack([u, w], axis=axis) ** 2, (a[:2], b[:2]))


def test_concatenate_and_stack_errors():
    with pytest.raises(np.exceptions.AxisError):
        wnp.concatenate([Y, Y], axis=2)
    with pytest.raises(np.exceptions.AxisError):
        wnp.stack([Y, Y], axis=-4)
    with pytest.raises(ValueError, match="same shape"):
        wnp.stack([Y, Y[:2]])
    with pytest.raises(ValueError, match="zero-dimensional"):
        wnp.concatenate([np.array(1.0), np.array(2.0)])
