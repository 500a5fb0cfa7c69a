"""The engine alone: scalar tensors, their Python operators, the recorded graph and its
traversal (``wg.toposort``).  No function of ``wengert.numpy`` is called directly."""
import math
import weakref

import pytest

import wengert as wg


def _reachable(roots):
    seen, stack = set(), list(roots)
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        stack.extend(p for p, _ in n.next_functions if p is not None)
    return seen


def assert_topological(order, roots):
    """Every node comes before the nodes of its inputs, and each reachable node once."""
    assert len(order) == len(set(order))
    assert set(order) == _reachable(roots)
    pos = {n: i for i, n in enumerate(order)}
    for n in order:
        for p, _ in n.next_functions:
            if p is not None:
                assert pos[p] > pos[n], (n.name(), p.name())


def diamond():
    """x -> (a = 3x, b = x*x) -> c = a + b -> d = c * c: a diamond between x and c."""
    x = wg.tensor(1.5, requires_grad=True)
    a = x * 3.0
    b = x * x
    c = a + b
    d = c * c
    return x, a, b, c, d


@pytest.mark.parametrize("method", ["dfs", "kahn"])
def test_toposort_of_a_diamond(method):
    x, a, b, c, d = diamond()
    order = wg.toposort([d.grad_fn], method=method)
    assert_topological(order, [d.grad_fn])
    assert order[0] is d.grad_fn and order[1] is c.grad_fn
    assert {order[2], order[3]} == {a.grad_fn, b.grad_fn}
    assert order[-1].name() == "AccumulateGrad" and order[-1].variable is x
    assert len(order) == 5


@pytest.mark.parametrize("method", ["dfs", "kahn"])
def test_toposort_with_several_roots_and_shared_nodes(method):
    _x, a, b, c, d = diamond()
    e = b * 2.0 - a
    roots = [d.grad_fn, e.grad_fn, c.grad_fn, d.grad_fn]  # repeats and inner nodes are fine
    order = wg.toposort(roots, method=method)
    assert_topological(order, roots)


@pytest.mark.parametrize("method", ["dfs", "kahn"])
def test_toposort_of_a_long_chain_does_not_recurse(method):
    x = wg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(3_000):  # 6,000 nodes: far deeper than Python's recursion limit
        y = y * 1.0 + 0.0
    order = wg.toposort([y.grad_fn], method=method)
    assert len(order) == 6_001
    assert order[0] is y.grad_fn and order[-1].variable is x


def test_toposort_rejects_unknown_method():
    _x, _a, _b, _c, d = diamond()
    with pytest.raises(ValueError, match="dfs.*kahn"):
        wg.toposort([d.grad_fn], method="bfs")


def test_backward_runs_nodes_in_reverse_topological_order():
    x, a, b, c, d = diamond()
    ran = []
    for t in (a, b, c, d):
        t.grad_fn.register_hook(lambda gi, go, n=t.grad_fn: ran.append(n))
    d.backward()
    assert len(ran) == 4 and ran[0] is d.grad_fn and ran[1] is c.grad_fn
    # c's gradient is complete (both a and b read it) before either runs; x gets both paths
    xv = 1.5
    cv = 3 * xv + xv * xv
    assert x.grad.item() == pytest.approx(2 * cv * (3 + 2 * xv), rel=1e-15)


def test_graph_structure_and_names():
    x = wg.tensor(2.0, requires_grad=True)
    y = (x * 3.0 + 1.0) / x
    assert y.grad_fn.name() == "DivideBackward0"
    (add, _), (acc, _) = y.grad_fn.next_functions
    assert add.name() == "AddBackward0" and acc.name() == "AccumulateGrad"
    mul, const = add.next_functions
    assert mul[0].name() == "MultiplyBackward0" and const == (None, 0)
    assert mul[0].next_functions[0][0] is acc  # one AccumulateGrad per leaf


# (expression, derivative) with a Python scalar on either side of each operator
SCALAR_OPS = [
    (lambda x: x + 2.0, lambda x: 1.0), (lambda x: 2.0 + x, lambda x: 1.0),
    (lambda x: x - 2.0, lambda x: 1.0), (lambda x: 2.0 - x, lambda x: -1.0),
    (lambda x: x * 2.0, lambda x: 2.0), (lambda x: 2.0 * x, lambda x: 2.0),
    (lambda x: x / 2.0, lambda x: 0.5), (lambda x: 2.0 / x, lambda x: -2.0 / x ** 2),
    (lambda x: x ** 3, lambda x: 3 * x ** 2), (lambda x: 2.0 ** x, lambda x: math.log(2) * 2 ** x),
    (lambda x: x ** x, lambda x: x ** x * (math.log(x) + 1)),
    (lambda x: -x, lambda x: -1.0), (lambda x: abs(-x), lambda x: 1.0),
    (lambda x: (x * x - x) / (x + 1.0), lambda x: (x * x + 2 * x - 1) / (x + 1) ** 2),
]


@pytest.mark.parametrize("k", range(len(SCALAR_OPS)))
def test_scalar_operators_backward(k):
    f, df = SCALAR_OPS[k]
    x = wg.tensor(1.7, requires_grad=True)
    y = f(x)
    y.backward()
    assert x.grad.item() == pytest.approx(df(1.7), rel=1e-14)
    assert wg.grad(f)(1.7) == pytest.approx(df(1.7), rel=1e-14)
    assert wg.jvp(f, (1.7,), (1.0,))[1] == pytest.approx(df(1.7), rel=1e-14)


def test_fan_out_accumulates():
    x = wg.tensor(0.5, requires_grad=True)
    y = x
    terms = [x * float(k) for k in range(1, 11)]  # x used 10 times
    for t in terms:
        y = y + t
    y.backward()
    assert x.grad.item() == 1.0 + 55.0


def test_saved_values_are_freed_after_backward_without_gc():
    import gc
    gc.disable()
    try:
        x = wg.tensor(3.0, requires_grad=True)
        h = x * x
        probe = weakref.ref(h)
        y = h * h
        del h
        assert probe() is not None  # saved by y's node
        y.backward()
        assert probe() is None      # freed by backward, no cycle collector needed
        z = x * x
        probe2 = weakref.ref(z)
        w = z * z
        del z, w                     # dropping the output frees the graph at once
        assert probe2() is None
    finally:
        gc.enable()
