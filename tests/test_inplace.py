"""In-place operations: results and gradients, version counters, the error for a modified
saved tensor (at backward time, naming the operation), the error for a leaf that requires
grad, optimizer-style updates under no_grad and through ``.data``, and views."""
import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp


def leaf(values, dtype=None):
    return wg.tensor(values, requires_grad=True, dtype=dtype)


X = np.array([0.5, -1.5, 2.0])


# Each case: in-place update of h = 2x, the same update written out of place, both as
# functions of h (the reference gradient comes from the out-of-place graph's known rule).
CASES = {
    "iadd": (lambda h: h.__iadd__(3.0), lambda h: h + 3.0),
    "isub": (lambda h: h.__isub__(X), lambda h: h - X),
    "imul": (lambda h: h.__imul__(h), lambda h: h * h),
    "itruediv": (lambda h: h.__itruediv__(4.0), lambda h: h / 4.0),
    "ipow": (lambda h: h.__ipow__(3), lambda h: h ** 3),
    "add_": (lambda h: h.add_(X), lambda h: h + X),
    "add_alpha": (lambda h: h.add_(X, alpha=-0.5), lambda h: h - 0.5 * X),
    "sub_": (lambda h: h.sub_(1.0), lambda h: h - 1.0),
    "mul_": (lambda h: h.mul_(X), lambda h: h * X),
    "div_": (lambda h: h.div_(2.0), lambda h: h / 2.0),
    "neg_": (lambda h: h.neg_(), lambda h: -h),
    "exp_": (lambda h: h.exp_(), wnp.exp),
    "sin_": (lambda h: h.sin_(), wnp.sin),
    "tanh_": (lambda h: h.tanh_(), wnp.tanh),
    "clamp_": (lambda h: h.clamp_(-1.0, 2.0), lambda h: wnp.clip(h, -1.0, 2.0)),
    "clamp_min": (lambda h: h.clamp_(min=0.0), lambda h: wnp.maximum(h, 0.0)),
    "zero_": (lambda h: h.zero_(), lambda h: h * 0.0),
    "fill_": (lambda h: h.fill_(7.0), lambda h: h * 0.0 + 7.0),
    "copy_": (lambda h: h.copy_(X), lambda h: h * 0.0 + X),
    "addcmul_": (lambda h: h.addcmul_(h, X, value=2.0), lambda h: h + 2.0 * h * X),
    "setitem": (lambda h: h.__setitem__(1, 5.0),
                lambda h: wnp.where(np.arange(3) == 1, 5.0, h)),
    "setitem_slice": (lambda h: h.__setitem__(slice(0, 2), h[1:] * 3),
                      lambda h: wnp.concatenate([h[1:] * 3, h[2:]])),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_inplace_value_and_gradient_match_out_of_place(name):
    inplace, outplace = CASES[name]
    x = leaf(X)
    h = x * 2
    v0 = h._version
    r = inplace(h)
    if r is not None:
        assert r is h
    assert h._version > v0
    (h * np.array([1.0, 2.0, 3.0])).sum().backward()
    x2 = leaf(X)
    ref = outplace(x2 * 2)
    np.testing.assert_allclose(h.detach().numpy(), ref.detach().numpy(), rtol=1e-15)
    (ref * np.array([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-14, atol=1e-15)


def test_augmented_assignment_keeps_the_object():
    x = leaf([1.0, 2.0])
    h = x * 1
    ident = id(h)
    h += 1
    h *= x
    h -= 0.5
    h /= 2
    assert id(h) == ident and h._version == 4
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (2 * np.array([1.0, 2.0]) + 1) / 2)


def test_setitem_gradient_reaches_the_value():
    a = leaf([1.0, 2.0, 3.0])
    b = a * 1
    b[1] = a[0] * 10
    b.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [11.0, 0.0, 1.0])


def test_setitem_of_grad_value_into_constant_tensor():
    w = leaf(2.0)
    z = wnp.zeros(3)
    assert z.is_leaf and not z.requires_grad
    z[1] = w
    assert z.requires_grad and not z.is_leaf and z.grad_fn.name() == "SetitemBackward0"
    (z * z).sum().backward()
    assert w.grad.item() == 4.0


def test_version_counter_increments():
    x = leaf([1.0, 2.0])
    h = x * 2
    versions = [h._version]
    h += 1
    versions.append(h._version)
    h[0] = 3.0
    versions.append(h._version)
    h.mul_(2)
    versions.append(h._version)
    assert versions == [0, 1, 2, 3]
    assert (h * 1)._version == 0  # a fresh result starts at 0


@pytest.mark.parametrize("op,name", [
    (lambda a, b: a * b, "MultiplyBackward0"),
    (lambda a, b: wnp.sin(a) + b, "SinBackward0"),
    (lambda a, b: a ** 2 + b, "PowerBackward0"),
    (lambda a, b: a / b, "DivideBackward0"),
    (lambda a, b: a @ b, "MatmulBackward0"),
])
def test_modifying_a_saved_tensor_raises_at_backward_naming_the_operation(op, name):
    x = leaf([1.0, 2.0])
    a = x * 1
    b = x + 1
    y = op(a, b)
    a += 1  # no error yet: maybe the graph is never used
    assert a._version == 1
    with pytest.raises(wg.InplaceError, match=name) as info:
        y.sum().backward()
    msg = str(info.value)
    assert "modified by an inplace operation" in msg and "version 1" in msg
    assert isinstance(info.value, RuntimeError)


def test_modifying_a_tensor_not_saved_is_fine():
    x = leaf([1.0, 2.0])
    a = x * 3
    y = a + 1            # add saves nothing
    a.mul_(100)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_inplace_result_reused_correctly():
    # h is saved by the in-place multiply itself (as its value before the update)
    x = leaf([1.0, 2.0])
    h = x * 1
    h *= h
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


@pytest.mark.parametrize("op", [
    lambda x: x.__iadd__(1.0), lambda x: x.__imul__(2.0), lambda x: x.add_(1.0),
    lambda x: x.mul_(2.0), lambda x: x.zero_(), lambda x: x.clamp_(0.0, 1.0),
    lambda x: x.__setitem__(0, 5.0), lambda x: x.__itruediv__(2.0), lambda x: x.fill_(1.0),
    lambda x: x.copy_(np.zeros(2)), lambda x: x[0].zero_(),
])
def test_inplace_on_leaf_requiring_grad_raises_at_once(op):
    x = leaf([1.0, 2.0])
    with pytest.raises(wg.InplaceError, match="leaf") as info:
        op(x)
    assert "no_grad" in str(info.value)
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0])
    assert x._version == 0 and x.is_leaf


def test_inplace_under_no_grad_on_leaf_is_an_update():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    with wg.no_grad():
        x -= 0.1 * x.grad
        x.mul_(2)
        x[0] = 7.0
        x.clamp_(max=5.0)
    assert x.is_leaf and x.requires_grad and x.grad_fn is None
    assert x._version == 4
    np.testing.assert_allclose(x.detach().numpy(), [5.0, 2 * (2.0 - 0.4)])
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [10.0, 4 * 1.6])


def test_inplace_under_no_grad_on_non_leaf_keeps_its_grad_fn():
    x = leaf([1.0, 2.0])
    y = x * 3
    with wg.no_grad():
        y.add_(1)
    assert y.requires_grad and y.grad_fn.name() == "MultiplyBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_saved_leaf_updated_under_no_grad_is_detected():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    with wg.no_grad():
        x.add_(1)
    with pytest.raises(wg.InplaceError, match="MultiplyBackward0"):
        y.backward()


def test_data_update_in_place():
    p = leaf([1.0, 2.0])
    (p * p).sum().backward()
    p.data -= 0.25 * p.grad
    assert p.is_leaf and p.requires_grad
    np.testing.assert_allclose(p.detach().numpy(), [0.5, 1.0])
    p.data.mul_(2)
    np.testing.assert_allclose(p.detach().numpy(), [1.0, 2.0])
    d = p.data
    d[1] = 9.0
    np.testing.assert_allclose(p.detach().numpy(), [1.0, 9.0])
    p.data = np.array([4.0, 5.0])
    np.testing.assert_allclose(p.detach().numpy(), [4.0, 5.0])
    p.grad = None
    (p * p).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), [8.0, 10.0])


def test_detach_shares_data_with_its_source():
    x = leaf([1.0, 2.0])
    x.detach().zero_()
    np.testing.assert_array_equal(x.detach().numpy(), [0.0, 0.0])
    assert x.is_leaf and x.requires_grad and x._version == 1
    y = x * 2
    z = y * y
    y.detach().add_(1)  # y is saved by z's multiply: caught at backward, as in PyTorch
    with pytest.raises(wg.InplaceError, match="MultiplyBackward0"):
        z.sum().backward()


def test_stale_data_alias_refuses_to_overwrite():
    p = leaf([1.0, 2.0])
    d = p.data
    with wg.no_grad():
        p.add_(1)
    with pytest.raises(wg.InplaceError, match="modified in place since"):
        d.add_(1)
    np.testing.assert_array_equal(p.detach().numpy(), [2.0, 3.0])


def test_sgd_loop_converges():
    target = np.array([3.0, -1.0])
    w = leaf([0.0, 0.0])
    for _ in range(60):
        loss = ((w - target) ** 2).sum()
        w.grad = None
        loss.backward()
        with wg.no_grad():
            w -= 0.1 * w.grad
    np.testing.assert_allclose(w.detach().numpy(), target, atol=1e-5)


def test_zero_and_fill_are_exact_on_non_finite_values():
    a = wg.tensor([np.inf, np.nan, -1.0])
    a.zero_()
    np.testing.assert_array_equal(a.numpy(), [0.0, 0.0, 0.0])
    b = wg.tensor([np.inf, np.nan])
    b.fill_(2.5)
    np.testing.assert_array_equal(b.numpy(), [2.5, 2.5])


def test_inplace_dtype_and_shape_rules():
    a = wg.tensor([1.0, 2.0], dtype=np.float32)
    a += np.float64(1.5)
    a *= np.ones(2)
    assert a.dtype == np.float32
    np.testing.assert_allclose(a.numpy(), [2.5, 3.5])
    i = wg.tensor([1, 2])
    i += 1
    i *= 3
    np.testing.assert_array_equal(i.numpy(), [6, 9])
    with pytest.raises(TypeError, match="can't be cast"):
        i /= 2
    with pytest.raises(ValueError, match="shape"):
        a += np.ones((2, 2))


def test_float32_inplace_gradient_stays_float32():
    x = leaf([1.0, 2.0], dtype=np.float32)
    h = x * 2
    h += np.array([0.5, 0.5])          # float64 operand, result cast back
    h.mul_(np.float64(3.0))
    assert h.dtype == np.float32
    h.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])


# --- views: basic indexing shares data, as in NumPy and PyTorch ------------------------------------
def test_inplace_on_a_view_writes_into_the_base():
    x = wg.tensor([[1.0, 2.0], [3.0, 4.0]])
    x[0].zero_()
    x[1][0] = 9.0
    x[:, 1].mul_(10)
    for row in x:
        row.add_(1)
    np.testing.assert_array_equal(x.numpy(), [[1.0, 1.0], [10.0, 41.0]])


def test_view_of_leaf_under_no_grad():
    w = leaf([[1.0, 2.0], [3.0, 4.0]])
    with wg.no_grad():
        w[0].zero_()
    assert w.is_leaf and w.requires_grad and w._version == 1
    np.testing.assert_array_equal(w.detach().numpy(), [[0.0, 0.0], [3.0, 4.0]])


def test_view_inplace_is_differentiable():
    w = leaf([1.0, 2.0, 3.0])
    y = w * 1
    y[1].mul_(w[0])          # y = [w0, w1 w0, w2]
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [1.0 + 2.0, 1.0, 1.0])


def test_stale_view_refuses_to_overwrite():
    x = wg.tensor([1.0, 2.0])
    r = x[0]
    r.add_(1)
    r.add_(1)                 # its own updates keep it current
    np.testing.assert_array_equal(x.numpy(), [3.0, 2.0])
    x += 1
    with pytest.raises(wg.InplaceError, match="view"):
        r.add_(1)


def test_advanced_index_is_a_copy():
    x = wg.tensor([1.0, 2.0, 3.0])
    x[[0, 2]].zero_()
    x[x.detach() > 1].zero_()
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0, 3.0])
