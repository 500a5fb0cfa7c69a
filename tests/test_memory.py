"""The reverse-mode graph holds no reference cycles: with the cyclic garbage collector off,
saved values are freed as soon as backward has used them, and dropping an output frees its
whole graph at once."""
import gc
import weakref

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.autograd import grad as agrad

N = 200_000  # a "big" intermediate: 1.6 MB of float64


@pytest.fixture
def no_gc():
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def big_leaf():
    return wg.tensor(np.linspace(-1.0, 1.0, N), requires_grad=True)


def test_saved_intermediates_freed_right_after_backward(no_gc):
    x = big_leaf()
    h = wnp.exp(x)              # exp saves its output; h is then saved by the multiply
    h_ref = weakref.ref(h)
    arr_ref = weakref.ref(h._value)
    y = (h * h).sum()
    del h
    assert h_ref() is not None and arr_ref() is not None  # held by the graph
    y.backward()
    assert h_ref() is None and arr_ref() is None          # freed, no gc needed
    np.testing.assert_allclose(x.grad.numpy()[:3], 2 * np.exp(2 * x.detach().numpy()[:3]))
    assert y.grad_fn is not None  # the nodes stay (without their saved values)


def test_retain_graph_keeps_saved_values_until_last_backward(no_gc):
    x = big_leaf()
    h = wnp.sin(x)
    h_ref = weakref.ref(h)
    y = (h * h).sum()
    del h
    y.backward(retain_graph=True)
    assert h_ref() is not None
    y.backward()
    assert h_ref() is None


def test_autograd_grad_frees_saved_values(no_gc):
    x = big_leaf()
    h = x * 2
    h_ref = weakref.ref(h)
    y = (h * x).sum()
    del h
    (g,) = agrad(y, x)
    assert h_ref() is None
    np.testing.assert_allclose(g.numpy()[:2], 4 * x.detach().numpy()[:2])


def test_dropping_the_output_frees_the_whole_graph(no_gc):
    x = big_leaf()
    h1 = wnp.tanh(x)
    h2 = h1 * x
    y = (h2 * h1).sum()
    refs = [weakref.ref(o) for o in (h1, h2, h1._value, h2._value, y.grad_fn,
                                     h1.grad_fn, h2.grad_fn)]
    acc_ref = weakref.ref(h1.grad_fn.next_functions[0][0])
    del h1, h2
    assert all(r() is not None for r in refs)
    del y
    assert all(r() is None for r in refs)
    assert acc_ref() is None  # the leaf's AccumulateGrad too
    assert x.grad is None


def test_dropping_everything_frees_the_leaf(no_gc):
    x = big_leaf()
    x_ref = weakref.ref(x)
    y = (wnp.exp(x) * x).sum()
    y.backward()
    del x, y
    assert x_ref() is None


def test_a_deep_chain_is_freed_without_recursion(no_gc):
    x = wg.tensor(1.0, requires_grad=True)
    y = x * 1.0
    first = weakref.ref(y.grad_fn)
    for _ in range(30_000):
        y = y * 1.0
    del y
    assert first() is None


def test_hooks_retain_grad_views_and_inplace_make_no_cycles(no_gc):
    """Run a workload touching every imperative feature, then ask the cyclic collector: it
    must find nothing unreachable (every object was already freed by reference counting)."""
    gc.collect()

    def workload():
        x = wg.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
        w = wg.tensor(np.ones(3), requires_grad=True)
        x.register_hook(lambda g: g * 1.0)
        h = x * w
        h.retain_grad()
        h.register_hook(lambda g: g + 0.0)
        k = h * 1.0
        k[0].mul_(2.0)             # view written back into k
        k += wnp.sin(h)
        k[1, 1] = 3.0
        d = k.detach()
        d.add_(0.0)               # .detach() writes through
        y = (k * k).sum() + wnp.mean(h, axis=0).sum()
        y.backward(retain_graph=True)
        (gx,) = agrad(y, x, create_graph=True)
        (gx * gx).sum().backward()
        with wg.no_grad():
            w.data.mul_(1.0)
            x -= 0.1 * x.grad
        for row in h:
            row.sum()
        np.sin(x) * np.ones(3)
        return x.grad.numpy().sum() + w.grad.numpy().sum() + h.grad.numpy().sum()

    assert np.isfinite(workload())
    assert gc.collect() == 0


def test_create_graph_grad_cycle_is_broken_by_clearing_grad(no_gc):
    # As in PyTorch, x.grad from backward(create_graph=True) references a graph that
    # references x; setting x.grad = None breaks it and everything is freed without gc.
    x = big_leaf()
    h = wnp.exp(x)
    h_ref = weakref.ref(h)
    (h * h).sum().backward(create_graph=True)
    del h
    assert x.grad.requires_grad
    x.grad = None
    assert h_ref() is None


def test_no_grad_records_nothing(no_gc):
    x = big_leaf()
    with wg.no_grad():
        h = wnp.exp(x)
        y = h * h
    assert y.grad_fn is None and not y.requires_grad
    h_ref = weakref.ref(h)
    del h
    assert h_ref() is None  # nothing holds it: no graph was recorded
