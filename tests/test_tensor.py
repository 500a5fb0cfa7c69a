"""The imperative (PyTorch-style) API: requires_grad, leaves, backward and its options,
autograd.grad, grad modes, detach, grad_fn, hooks, retain_grad, traversal, dtypes and the
Tensor conveniences.  Reference values are analytic derivatives."""
import math
import threading

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.autograd import grad as agrad


def leaf(values, dtype=None):
    return wg.tensor(values, requires_grad=True, dtype=dtype)


# --- requires_grad and leaves ----------------------------------------------------------------
@pytest.mark.parametrize("data", [[1, 2], [True, False], np.arange(3, dtype=np.int32),
                                  np.array([1, 2], dtype=np.uint8)])
def test_integer_and_bool_tensors_cannot_require_grad(data):
    with pytest.raises(wg.DTypeError, match="floating point or complex"):
        wg.tensor(data, requires_grad=True)
    t = wg.tensor(data)
    with pytest.raises(wg.DTypeError):
        t.requires_grad_()
    with pytest.raises(wg.DTypeError):
        t.requires_grad = True
    assert not t.requires_grad


def test_requires_grad_dtype_error_is_also_a_runtime_error():
    # PyTorch raises RuntimeError here, JAX-style code expects TypeError: both catch it
    for exc in (RuntimeError, TypeError, wg.GradientError, wg.DTypeError):
        with pytest.raises(exc):
            wg.tensor([1, 2], requires_grad=True)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.complex64,
                                   np.complex128])
def test_inexact_tensors_can_require_grad(dtype):
    t = wg.tensor([1, 2], requires_grad=True, dtype=dtype)
    assert t.requires_grad and t.is_leaf and t.grad is None and t.grad_fn is None
    assert t.dtype == dtype


def test_leaf_and_non_leaf():
    x = leaf([1.0, 2.0])
    c = wg.tensor([3.0, 4.0])
    y = x * c
    assert x.is_leaf and c.is_leaf and not y.is_leaf
    assert y.requires_grad and not c.requires_grad
    assert not (c * 2).requires_grad and (c * 2).is_leaf  # nothing to record
    with wg.no_grad():
        z = x * 2
    assert z.is_leaf and not z.requires_grad and z.grad_fn is None
    d = y.detach()
    assert d.is_leaf and not d.requires_grad
    np.testing.assert_array_equal(d.numpy(), [3.0, 8.0])


def test_requires_grad_flags():
    x = wg.tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    y = x * 2
    with pytest.raises(wg.GradientError, match="leaf"):
        y.requires_grad = False
    y.requires_grad_(True)  # already true: allowed, as in PyTorch
    x.requires_grad = False
    assert not x.requires_grad
    y = x * 2
    y.detach_()
    assert y.is_leaf and not y.requires_grad


# --- backward -----------------------------------------------------------------------------------
def test_grad_accumulates_across_backward_calls_and_resets_with_none():
    x = leaf([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0, 6.0])
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, -1.0, 9.0])
    assert not x.grad.requires_grad and x.grad.grad_fn is None
    x.grad = None
    wnp.sin(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos([1.0, -2.0, 3.0]))


def test_grad_zero_in_place_between_steps():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    x.grad.zero_()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_backward_of_non_scalar_needs_gradient():
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(wg.GradientError, match="scalar outputs") as info:
        y.backward()
    assert "gradient=" in str(info.value) and "(2,)" in str(info.value)
    assert isinstance(info.value, wg.NonScalarOutputError)
    assert x.grad is None


def test_backward_of_one_element_tensor_needs_no_gradient():
    x = leaf([[1.5]])
    (x * x).backward()
    np.testing.assert_allclose(x.grad.numpy(), [[3.0]])


@pytest.mark.parametrize("bad", [np.ones(3), np.ones((1, 2)), np.ones(()), [1.0]])
def test_backward_with_wrongly_shaped_gradient(bad):
    x = leaf([1.0, 2.0])
    with pytest.raises(wg.ShapeError, match=r"shape") as info:
        (x * 2).backward(gradient=bad)
    assert "(2,)" in str(info.value)
    assert x.grad is None


def test_wrong_gradient_shape_error_is_also_a_runtime_error():
    x = leaf([1.0, 2.0])
    for exc in (RuntimeError, ValueError, wg.GradientError, wg.ShapeError):
        with pytest.raises(exc, match="Mismatch in shape"):
            (x * 2).backward(gradient=np.ones(3))


def test_grad_does_not_alias_the_gradient_argument():
    x = leaf([1.0, 2.0])
    v = np.array([5.0, 6.0])
    x.backward(gradient=v)
    v[:] = 0.0
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 6.0])


@pytest.mark.parametrize("make", [np.asarray, list, wg.tensor])
def test_backward_with_gradient_is_a_vector_jacobian_product(make):
    x = leaf([0.5, 1.0, 2.0])
    v = [1.0, -2.0, 0.25]
    (x ** 3).backward(gradient=make(v))
    np.testing.assert_allclose(x.grad.numpy(), np.array(v) * 3 * np.array([0.5, 1.0, 2.0]) ** 2)


def test_backward_on_a_leaf_itself():
    x = leaf([1.0, 2.0])
    x.backward(gradient=np.array([3.0, 4.0]))
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])


def test_backward_of_tensor_without_graph_is_an_error():
    c = wg.tensor(2.0)
    with pytest.raises(wg.GradientError, match="does not require grad"):
        (c * 3).backward()


def test_second_backward_raises_unless_graph_retained():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(wg.GradientError, match="retain_graph=True") as info:
        y.backward()
    assert "second time" in str(info.value)
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])  # untouched by the failed call


def test_retain_graph_allows_repeated_backward():
    x = leaf([1.0, 2.0])
    y = (wnp.exp(x) * x).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0])))
    with pytest.raises(wg.GradientError):
        y.backward()


def test_autograd_grad_frees_graph_too():
    x = leaf(2.0)
    y = x ** 3
    (g,) = agrad(y, x)
    assert g.item() == pytest.approx(12.0)
    with pytest.raises(wg.GradientError, match="second time"):
        y.backward()


def test_backward_inside_no_grad_still_works():
    x = leaf(3.0)
    y = x * x
    with wg.no_grad():
        y.backward()
        assert not wg.is_grad_enabled()
    assert x.grad.item() == 6.0 and wg.is_grad_enabled()


# --- create_graph / higher order ---------------------------------------------------------------
def test_create_graph_through_backward_gives_second_derivative():
    x0 = 0.7
    x = leaf(x0)
    y = wnp.sin(x) * x * x
    y.backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.grad_fn is not None
    assert g.item() == pytest.approx(math.cos(x0) * x0**2 + 2 * x0 * math.sin(x0), rel=1e-13)
    x.grad = None
    g.backward()
    d2 = -math.sin(x0) * x0**2 + 4 * x0 * math.cos(x0) + 2 * math.sin(x0)
    assert x.grad.item() == pytest.approx(d2, rel=1e-13)


def test_create_graph_through_autograd_grad_to_fourth_order():
    x0 = 0.3
    x = leaf(x0)
    y = wnp.exp(2 * x) * wnp.sin(x)
    derivs = []
    out = y
    for _ in range(4):
        (out,) = agrad(out, x, create_graph=True)
        derivs.append(out.item())
    # d^n/dx^n e^{2x} sin x = 5^{n/2} e^{2x} sin(x + n*atan(1/2))
    for n, d in enumerate(derivs, start=1):
        ref = 5 ** (n / 2) * math.exp(2 * x0) * math.sin(x0 + n * math.atan(0.5))
        assert d == pytest.approx(ref, rel=1e-12)


def test_grad_of_grad_mixes_backward_and_autograd_grad():
    x = leaf([1.0, 2.0])
    w = leaf([0.5, -1.0])
    (g,) = agrad((x * x * w).sum(), x, create_graph=True)   # 2 x w
    (g * g).sum().backward()                                 # sum 4 x^2 w^2
    np.testing.assert_allclose(x.grad.numpy(), 8 * np.array([1.0, 2.0]) * np.array([0.25, 1.0]))
    np.testing.assert_allclose(w.grad.numpy(), 8 * np.array([1.0, 4.0]) * np.array([0.5, -1.0]))


def test_without_create_graph_grads_do_not_require_grad():
    x = leaf(1.0)
    (g,) = agrad(x * x, x)
    assert not g.requires_grad
    (x * x).backward()
    assert not x.grad.requires_grad


# --- autograd.grad ---------------------------------------------------------------------------------
def test_autograd_grad_does_not_touch_dot_grad_and_supports_lists():
    x = leaf([1.0, 2.0])
    z = leaf(3.0)
    y = (x * z).sum()
    gx, gz = agrad(y, [x, z])
    np.testing.assert_allclose(gx.numpy(), [3.0, 3.0])
    assert gz.item() == 3.0 and gz.shape == ()
    assert x.grad is None and z.grad is None


def test_autograd_grad_with_grad_outputs_and_several_outputs():
    x = leaf([1.0, 2.0])
    y1 = x * x
    y2 = (x * 3).sum()
    (g,) = agrad([y1, y2], [x], grad_outputs=[np.array([1.0, 10.0]), None])
    np.testing.assert_allclose(g.numpy(), [2.0 + 3.0, 40.0 + 3.0])


def test_autograd_grad_unused_input():
    x = leaf(2.0)
    unused = leaf([1.0, 1.0])
    y = x ** 2
    with pytest.raises(wg.GradientError, match="allow_unused=True") as info:
        agrad(y, [x, unused], retain_graph=True)
    assert "input 1" in str(info.value)
    gx, gu = agrad(y, [x, unused], retain_graph=True, allow_unused=True)
    assert gx.item() == 4.0 and gu is None
    gx, gu = agrad(y, [x, unused], materialize_grads=True)
    np.testing.assert_array_equal(gu.numpy(), [0.0, 0.0])


def test_autograd_grad_input_must_require_grad():
    x = leaf(2.0)
    c = wg.tensor(1.0)
    with pytest.raises(wg.GradientError, match="does not require grad"):
        agrad(x * c, [x, c])


def test_autograd_grad_wrt_non_leaf():
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    gh, gx = agrad(y, [h, x])
    np.testing.assert_allclose(gh.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(gx.numpy(), [18.0, 36.0])


def test_backward_inputs_restricts_accumulation():
    x = leaf([1.0, 2.0])
    w = leaf(3.0)
    h = x * w
    y = (h * h).sum()
    y.backward(inputs=[x], retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), 2 * 9 * np.array([1.0, 2.0]))
    assert w.grad is None
    y.backward(inputs=[h])  # a non-leaf input accumulates into its .grad
    np.testing.assert_allclose(h.grad.numpy(), [6.0, 12.0])
    assert w.grad is None


def test_autograd_backward_function():
    x = leaf([1.0, 2.0])
    y1 = (x * x).sum()
    y2 = x * 2
    wg.autograd.backward([y1, y2], [None, np.array([1.0, 1.0])])
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 6.0])


# --- grad modes ----------------------------------------------------------------------------------
def test_no_grad_and_enable_grad_context_managers_nest():
    x = leaf(1.0)
    with wg.no_grad():
        assert not wg.is_grad_enabled()
        assert not (x * 2).requires_grad
        with wg.enable_grad():
            assert wg.is_grad_enabled()
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert wg.is_grad_enabled() and (x * 2).requires_grad


def test_same_grad_mode_object_reentered():
    ng = wg.no_grad()
    with ng:
        with ng:
            assert not wg.is_grad_enabled()
        assert not wg.is_grad_enabled()
    assert wg.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    def fail():
        with wg.no_grad():
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fail()
    assert wg.is_grad_enabled()


def test_grad_modes_as_decorators():
    x = leaf(1.0)

    @wg.no_grad()
    def f(a):
        return a * 2

    @wg.no_grad
    def g(a):
        return a * 2

    @wg.enable_grad()
    def h(a):
        return a * 2

    @wg.set_grad_enabled(False)
    def k(a):
        return a * 2

    assert wg.is_grad_enabled()  # decorating did not switch the mode
    assert not f(x).requires_grad and not g(x).requires_grad and not k(x).requires_grad
    with wg.no_grad():
        assert h(x).requires_grad
    assert f.__name__ == "f" and wg.is_grad_enabled()


def test_no_grad_decorates_generators():
    x = leaf(1.0)

    @wg.no_grad()
    def gen():
        for i in range(2):
            yield x * i

    it = gen()
    first = next(it)
    assert wg.is_grad_enabled() and not first.requires_grad
    assert not next(it).requires_grad


def test_set_grad_enabled_as_function_and_context():
    try:
        wg.set_grad_enabled(False)
        assert not wg.is_grad_enabled()
    finally:
        wg.set_grad_enabled(True)
    assert wg.is_grad_enabled()
    with wg.set_grad_enabled(False):
        assert not wg.is_grad_enabled()
    assert wg.is_grad_enabled()
    with wg.no_grad():
        with wg.set_grad_enabled(True):
            assert wg.is_grad_enabled()
        assert not wg.is_grad_enabled()


def test_grad_mode_is_thread_local():
    inside, go_on = threading.Event(), threading.Event()
    seen = {}

    def disabled_thread():
        with wg.no_grad():
            seen["a_mode"] = wg.is_grad_enabled()
            inside.set()
            go_on.wait(10)

    def recording_thread():
        inside.wait(10)
        x = leaf(2.0)
        y = x * x
        seen["b_mode"] = wg.is_grad_enabled()
        seen["b_records"] = y.requires_grad
        y.backward()
        seen["b_grad"] = x.grad.item()
        go_on.set()

    a = threading.Thread(target=disabled_thread)
    b = threading.Thread(target=recording_thread)
    a.start()
    b.start()
    a.join(10)
    b.join(10)
    assert seen == {"a_mode": False, "b_mode": True, "b_records": True, "b_grad": 4.0}
    assert wg.is_grad_enabled()


def test_new_thread_starts_with_grad_enabled():
    seen = []
    with wg.no_grad():
        t = threading.Thread(target=lambda: seen.append(wg.is_grad_enabled()))
        t.start()
        t.join(10)
    assert seen == [True]


# --- detach ------------------------------------------------------------------------------------------
def test_detach_cuts_the_gradient():
    x = leaf([1.0, 2.0])
    y = (x * x.detach()).sum()  # d/dx = x (the detached factor is a constant)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 2.0])
    d = (x * 3).detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    np.testing.assert_array_equal(d.numpy(), [3.0, 6.0])


# --- grad_fn and next_functions --------------------------------------------------------------------
def test_grad_fn_names_and_next_functions():
    x = leaf([1.0, 2.0])
    c = wg.tensor([3.0, 4.0])
    m = x * c
    y = wnp.sin(m)
    assert x.grad_fn is None
    assert y.grad_fn.name() == "SinBackward0"
    ((node, nr),) = y.grad_fn.next_functions
    assert node is m.grad_fn and nr == 0 and node.name() == "MultiplyBackward0"
    (acc, nr0), (const, nr1) = m.grad_fn.next_functions
    assert acc.name() == "AccumulateGrad" and acc.variable is x and nr0 == 0
    assert const is None and nr1 == 0
    assert acc.next_functions == ()
    assert "MultiplyBackward0" in repr(m.grad_fn)


def test_one_accumulate_grad_per_leaf_in_a_graph():
    x = leaf(1.0)
    a = x * 2
    b = x + 1
    assert a.grad_fn.next_functions[0][0] is b.grad_fn.next_functions[0][0]
    z = a * b
    assert z.grad_fn.name() == "MultiplyBackward0"
    assert [n.name() for n, _ in z.grad_fn.next_functions] == ["MultiplyBackward0",
                                                                "AddBackward0"]


# --- hooks and retain_grad --------------------------------------------------------------------------
def test_leaf_hook_sees_and_replaces_gradient():
    x = leaf([1.0, 2.0])
    seen = []

    def hook(g):
        seen.append(g.numpy().copy())
        return g * 10

    handle = x.register_hook(hook)
    (x * x).sum().backward()
    np.testing.assert_allclose(seen[0], [2.0, 4.0])
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 40.0])
    handle.remove()
    handle.remove()  # removing twice is harmless
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    assert len(seen) == 1


def test_non_leaf_hook_replaces_gradient_flowing_further():
    x = leaf([1.0, 2.0])
    h = x * 3
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))  # observer, returns None
    h.register_hook(lambda g: g + 1)
    (h * h).sum().backward()
    np.testing.assert_allclose(seen[0], [6.0, 12.0])
    np.testing.assert_allclose(x.grad.numpy(), 3 * (np.array([6.0, 12.0]) + 1))


def test_hooks_run_in_registration_order_and_chain():
    x = leaf(1.0)
    x.register_hook(lambda g: g * 2)
    x.register_hook(lambda g: g + 1)
    (x * 5).backward()
    assert x.grad.item() == 11.0


def test_hooks_run_in_autograd_grad():
    x = leaf(2.0)
    h = x * x
    h.register_hook(lambda g: g * 0.5)
    (g,) = agrad(h * 3, x)
    assert g.item() == pytest.approx(0.5 * 3 * 4.0)


def test_hook_must_keep_shape():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g.sum())
    with pytest.raises(wg.ShapeError, match="shape"):
        (x * x).sum().backward()


def test_hook_needs_requires_grad():
    with pytest.raises(wg.GradientError, match="requires_grad"):
        wg.tensor(1.0).register_hook(lambda g: g)


def test_retain_grad_on_non_leaf():
    x = leaf([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    h.retain_grad()  # idempotent
    k = x * 2
    y = (h * h).sum() + k.sum()
    y.backward(retain_graph=True)
    np.testing.assert_allclose(h.grad.numpy(), [6.0, 12.0])
    assert k.grad is None  # not retained
    y.backward()
    np.testing.assert_allclose(h.grad.numpy(), [12.0, 24.0])
    x.retain_grad()  # a leaf: no-op
    with pytest.raises(wg.GradientError):
        wg.tensor(1.0).retain_grad()


def test_retain_grad_sees_hook_modified_gradient():
    x = leaf(1.0)
    h = x * 3
    h.retain_grad()
    h.register_hook(lambda g: g * 100)  # registered after, still runs before retain
    (h * 2).backward()
    assert h.grad.item() == 200.0 and x.grad.item() == 600.0


# --- traversal: order, depth, fan-out ------------------------------------------------------------
def test_chain_of_100000_operations():
    x = leaf(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.backward()
    assert x.grad.item() == pytest.approx(1.00001 ** 100_000, rel=1e-9)


def test_fan_out_accumulates():
    x0 = 1.7
    x = leaf(x0)
    (x * x * x).backward()
    assert x.grad.item() == pytest.approx(3 * x0**2, rel=1e-15)
    x.grad = None
    total = x
    for _ in range(999):
        total = total + x
    total.backward()
    assert x.grad.item() == 1000.0


def test_diamond():
    x0 = 0.4
    x = leaf(x0)
    a = x * 2
    b = wnp.sin(a)
    c = wnp.cos(a)
    d = b * c  # = sin(4x)/2, d' = 2 cos(4x)
    d.backward()
    assert x.grad.item() == pytest.approx(2 * math.cos(4 * x0), rel=1e-13)


def test_shared_subgraph_with_several_outputs():
    x = leaf([1.0, 2.0])
    h = wnp.exp(x)
    y1 = (h * 2).sum()
    y2 = (h * h).sum()
    wg.autograd.backward([y1, y2])
    e = np.exp([1.0, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), 2 * e + 2 * e * e)


# --- dtypes ---------------------------------------------------------------------------------------
def test_float32_stays_float32_forward_and_backward():
    x = leaf(np.linspace(0.5, 2.0, 6).reshape(2, 3), dtype=np.float32)
    y = (wnp.exp(x) / 3.0 + x ** 2 + wnp.sqrt(x) + x.mean(axis=0) + wnp.tanh(x * 0.5)
         + (x @ x.T).sum() + wnp.maximum(x, 1.0) - wnp.log(x))
    assert y.dtype == np.float32
    s = y.sum()
    assert s.dtype == np.float32
    s.backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == (2, 3)


def test_mixed_precision_promotes_forward_and_keeps_leaf_dtypes_backward():
    x32 = leaf([1.0, 2.0], dtype=np.float32)
    x64 = leaf([3.0, 4.0])
    y = (x32 * x64).sum()
    assert y.dtype == np.float64
    y.backward()
    assert x32.grad.dtype == np.float32 and x64.grad.dtype == np.float64
    np.testing.assert_allclose(x32.grad.numpy(), [3.0, 4.0])
    np.testing.assert_allclose(x64.grad.numpy(), [1.0, 2.0])


def test_gradient_argument_of_other_dtype_gives_leaf_dtype():
    x = leaf([1.0, 2.0], dtype=np.float32)
    x.backward(gradient=np.array([1.0, 2.0], dtype=np.float64))
    assert x.grad.dtype == np.float32
    (x * 2).backward(gradient=wg.tensor([1, 1]))
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])


def test_gradients_have_input_shapes_under_broadcasting():
    a = leaf(np.ones((3, 1)))
    b = leaf(np.arange(4.0))
    s = leaf(2.0)
    (a * b * s).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,) and s.grad.shape == ()
    np.testing.assert_allclose(a.grad.numpy(), np.full((3, 1), 2 * 6.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 2 * 3.0))
    assert s.grad.item() == pytest.approx(3 * 6.0)


def test_integer_constants_mix_with_float_leaves():
    x = leaf([1.0, 2.0])
    n = wg.tensor([3, 4])
    (x * n + n).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])
    assert x.grad.dtype == np.float64


def test_assigned_grad_is_checked():
    x = leaf([1.0, 2.0], dtype=np.float32)
    x.grad = np.array([1.0, 1.0])
    assert x.grad.dtype == np.float32
    with pytest.raises(wg.ShapeError):
        x.grad = np.ones(3)


# --- Tensor conveniences -----------------------------------------------------------------------------
def test_repr():
    x = leaf([1.0, 2.0])
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MultiplyBackward0>)"
    assert repr(wg.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(wg.tensor([1.0], dtype=np.float32)) == "tensor([1.], dtype=float32)"
    assert repr(wg.tensor(3.0)) == "tensor(3.)"


def test_array_attributes_and_conversions():
    data = np.arange(6.0).reshape(2, 3)
    x = leaf(data)
    assert x.shape == (2, 3) and x.dtype == np.float64 and x.ndim == 2
    assert x.size == 6 and x.size() == (2, 3) and x.size(1) == 3 and x.numel() == 6
    assert x.T.shape == (3, 2)
    np.testing.assert_array_equal(x.T.detach().numpy(), data.T)
    with pytest.raises(wg.GradientError, match="detach"):
        x.numpy()
    assert isinstance(x.detach().numpy(), np.ndarray)
    assert x.tolist() == data.tolist()
    assert x.sum().item() == 15.0 and isinstance(x.sum().item(), float)
    assert float(x[1, 2]) == 5.0 and int(x[1, 2]) == 5
    assert len(x) == 2
    with pytest.raises(ValueError, match="one-element"):
        float(x)
    with pytest.raises(TypeError, match="0-d"):
        len(x.sum())
    with pytest.raises(TypeError, match="0-d"):
        iter(x.sum())
    assert bool(wg.tensor(1.0)) and not bool(wg.tensor(0.0))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x)
    assert 4.0 in x.detach() and 7.0 not in x.detach()
    assert [1, 2, 3][wg.tensor(2)] == 3


def test_iteration_is_differentiable():
    x = leaf(np.arange(6.0).reshape(3, 2))
    rows = list(x)
    assert len(rows) == 3 and all(r.shape == (2,) for r in rows)
    total = sum((i + 1) * r.sum() for i, r in enumerate(rows))
    total.backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1, 1], [2, 2], [3, 3]])


def test_numpy_and_torch_style_keywords():
    data = np.arange(24.0).reshape(2, 3, 4)
    x = leaf(data)
    np.testing.assert_allclose(x.sum(axis=1, keepdims=True).detach().numpy(),
                               data.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(x.sum(dim=1, keepdim=True).detach().numpy(),
                               data.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(x.sum(dim=(0, 2)).detach().numpy(), data.sum(axis=(0, 2)))
    np.testing.assert_allclose(x.mean(dim=-1).detach().numpy(), data.mean(axis=-1))
    np.testing.assert_allclose(x.prod(axis=0).detach().numpy(), data.prod(axis=0))
    np.testing.assert_allclose(x.max(axis=2).detach().numpy(), data.max(axis=2))
    values, indices = x.max(dim=2)
    np.testing.assert_allclose(values.detach().numpy(), data.max(axis=2))
    np.testing.assert_array_equal(indices.numpy(), data.argmax(axis=2))
    assert x.min(dim=0).indices.shape == (3, 4)
    np.testing.assert_allclose(x.amax(dim=1).detach().numpy(), data.max(axis=1))
    np.testing.assert_allclose(x.var(axis=0).detach().numpy(), data.var(axis=0))
    np.testing.assert_allclose(x.std(dim=0, unbiased=True).detach().numpy(),
                               data.std(axis=0, ddof=1))
    np.testing.assert_array_equal(x.argmax(dim=1).numpy(), data.argmax(axis=1))


def test_reshape_transpose_forms():
    data = np.arange(6.0)
    x = leaf(data)
    assert x.reshape(2, 3).shape == (2, 3)
    assert x.reshape((2, 3)).shape == (2, 3)
    assert x.reshape([3, -1]).shape == (3, 2)
    assert x.view(3, 2).shape == (3, 2)
    m = x.reshape(2, 3)
    assert m.transpose().shape == (3, 2) and m.transpose(1, 0).shape == (3, 2)
    assert m.permute(1, 0).shape == (3, 2) and m.t().shape == (3, 2)
    c = x.reshape(1, 2, 3)
    assert c.transpose(0, 2).shape == (3, 2, 1)      # two axes on a 3-d tensor: swap them
    assert c.transpose(2, 0, 1).shape == (3, 1, 2)   # a full permutation, as NumPy
    assert c.flatten().shape == (6,) and c.flatten(1).shape == (1, 6)
    assert c.squeeze(0).shape == (2, 3) and c.squeeze(dim=0).shape == (2, 3)
    assert m.unsqueeze(1).shape == (2, 1, 3)
    assert m[None].expand(4, -1, -1).shape == (4, 2, 3)
    (m.transpose(1, 0) * np.arange(6.0).reshape(3, 2)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.arange(6.0).reshape(3, 2).T.ravel())


def test_torch_style_arithmetic_methods():
    x = leaf([1.0, 2.0])
    y = leaf([3.0, 5.0])
    z = x.add(y, alpha=2).mul(x).sub(1).div(2).pow(2)
    z.sum().backward()
    # z = ((x + 2y) x - 1)^2 / 4
    xv, yv = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    inner = (xv + 2 * yv) * xv - 1
    np.testing.assert_allclose(x.grad.numpy(), inner / 2 * (2 * xv + 2 * yv))
    np.testing.assert_allclose(y.grad.numpy(), inner / 2 * 2 * xv)
    assert x.float().dtype == np.float32 and x.double().dtype == np.float64
    assert x.long().dtype == np.int64 and x.bool().dtype == np.bool_


def test_tensor_and_as_tensor_constructors():
    x = leaf([1.0, 2.0])
    c = wg.tensor(x)                # a copy: a new leaf without grad
    assert c is not x and c.is_leaf and not c.requires_grad
    np.testing.assert_array_equal(c.numpy(), [1.0, 2.0])
    assert wg.as_tensor(x) is x
    y = wg.as_tensor(x, dtype=np.float32)
    assert y.dtype == np.float32 and y.requires_grad
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    arr = np.array([1.0, 2.0])
    assert wg.as_tensor(arr).numpy() is arr or np.shares_memory(wg.as_tensor(arr).numpy(), arr)
    assert wg.tensor([1.0, 2.0], dtype="float32").dtype == np.float32
    assert wg.tensor(1.5).dtype == np.float64 and wg.tensor(1).dtype == np.int64
