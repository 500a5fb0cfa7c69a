"""Taylor mode: ``jet`` pushes truncated Taylor series through a function in one pass.

Inside, a JetTracer carries the primal x0 and normalised coefficients c_1..c_K of
x(t) = x0 + c_1 t + ... + c_K t^K.  Rules, fastest first:

* linear (and piecewise-linear) primitives apply their JVP rule to each coefficient;
* products, quotients, exp, log, sin/cos and matmul use the classical recurrences
  (Cauchy products; k y_k = sum_j j x_j u_{k-j} for y' = u x');
* every other primitive uses a generic rule from its JVP rule alone: y' = G(x, x') with
  G(x, v) = jvp(x; v), so the coefficients of y are those of a jet of G of order K - 1 (a
  recursion that ends at order 0), divided by k.  Any primitive with a JVP rule therefore
  has a Taylor rule, at a cost that grows with K.

The public ``jet`` follows JAX's convention: input and output series hold derivative
coefficients x_k = k! c_k, i.e. x(t) = x0 + sum_k x_k t^k / k!.
"""
from __future__ import annotations

import math

import numpy as np

from .._core.primitive import bind
from .._core.tensor import Tensor
from .._core.trace import Trace, Tracer
from .._errors import ShapeError, TreeError
from .._tree import tree_flatten
from ._util import as_tensor, to_output


class JetTracer(Tracer):
    def __init__(self, trace, primal, terms):
        self._trace = trace
        self.primal = primal
        self.terms = terms  # list of K coefficients (Tensor or None = 0)

    def _lower(self):
        return self.primal

    def _payload(self):
        return (self.primal,) + tuple(t for t in self.terms if t is not None)

    def _alias(self):
        return JetTracer(self._trace, self.primal, self.terms)


def _wnp():
    from .. import numpy as wnp
    return wnp


_LINEAR = {"add", "subtract", "negative", "positive", "where", "absolute", "maximum",
           "minimum", "clip", "max", "min", "alias", "stop_gradient"}


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return _wnp().add(a, b)


def _mul(a, b):
    if a is None or b is None:
        return None
    return _wnp().multiply(a, b)


def _scale(a, s):
    return None if a is None else _wnp().multiply(a, s)


def _coef(primal, terms, k):
    return primal if k == 0 else terms[k - 1]


def _cauchy(x0, xs, z0, zs, k, op):
    acc = None
    for i in range(k + 1):
        a = _coef(x0, xs, i) if xs is not None or i == 0 else None
        b = _coef(z0, zs, k - i) if zs is not None or k - i == 0 else None
        if a is None or b is None:
            continue
        acc = _add(acc, op(a, b))
    return acc


def _rule_mul(op):
    def rule(primals, series, out, K, params):
        (x0, z0), (xs, zs) = primals, series
        return [_cauchy(x0, xs, z0, zs, k, op) for k in range(1, K + 1)]
    return rule


def _rule_divide(primals, series, out, K, params):
    (_, z0), (xs, zs) = primals, series
    wnp = _wnp()
    ys = []
    for k in range(1, K + 1):
        num = xs[k - 1] if xs is not None else None
        if zs is not None:
            for i in range(1, k + 1):
                yk_i = out if k - i == 0 else ys[k - i - 1]
                num = _add(num, _scale(_mul(zs[i - 1], yk_i), -1.0))
        ys.append(None if num is None else wnp.divide(num, z0))
    return ys


def _rule_exp(primals, series, out, K, params):
    (xs,) = series
    ys = []
    for k in range(1, K + 1):
        acc = None
        for j in range(1, k + 1):
            yk = out if k - j == 0 else ys[k - j - 1]
            acc = _add(acc, _scale(_mul(xs[j - 1], yk), j / k))
        ys.append(acc)
    return ys


def _rule_log(primals, series, out, K, params):
    (x0,), (xs,) = primals, series
    ys = []
    for k in range(1, K + 1):
        acc = xs[k - 1]
        for j in range(1, k):
            acc = _add(acc, _scale(_mul(ys[j - 1], xs[k - j - 1]), -j / k))
        ys.append(None if acc is None else _wnp().divide(acc, x0))
    return ys


def _sincos(primals, series, K):
    wnp = _wnp()
    (x0,), (xs,) = primals, series
    s, c = [wnp.sin(x0)], [wnp.cos(x0)]
    for k in range(1, K + 1):
        sk = ck = None
        for j in range(1, k + 1):
            sk = _add(sk, _scale(_mul(xs[j - 1], c[k - j]), j / k))
            ck = _add(ck, _scale(_mul(xs[j - 1], s[k - j]), -j / k))
        s.append(sk)
        c.append(ck)
    return s, c


def _rule_sin(primals, series, out, K, params):
    return _sincos(primals, series, K)[0][1:]


def _rule_cos(primals, series, out, K, params):
    return _sincos(primals, series, K)[1][1:]


_RULES = {
    "multiply": _rule_mul(lambda a, b: _wnp().multiply(a, b)),
    "matmul": _rule_mul(lambda a, b: _wnp().matmul(a, b)),
    "divide": _rule_divide,
    "exp": _rule_exp,
    "log": _rule_log,
    "sin": _rule_sin,
    "cos": _rule_cos,
}


class JetTrace(Trace):
    def __init__(self, order):
        super().__init__()
        self.order = order

    def new(self, primal, terms):
        if all(t is None for t in terms) or not np.issubdtype(primal.dtype, np.inexact):
            return primal
        return JetTracer(self, primal, terms)

    def process(self, prim, args, params):
        primals, series = [], []
        for a in args:
            if isinstance(a, JetTracer) and a._trace is self:
                primals.append(a.primal)
                series.append(a.terms)
            else:
                primals.append(a)
                series.append(None)
        out = bind(prim, *primals, **params)
        if prim.nondiff or prim.zero_deriv or all(s is None for s in series):
            return out
        K = self.order
        if prim.taylor is not None:
            terms = prim.taylor(primals, series, out, K, params)
        elif prim.name in _RULES:
            terms = _RULES[prim.name](primals, series, out, K, params)
        elif prim.linear or prim.name in _LINEAR:
            terms = []
            for k in range(K):
                tans = [None if s is None else s[k] for s in series]
                terms.append(None if all(t is None for t in tans)
                             else prim.jvp(tans, out, *primals, **params))
        else:
            terms = _generic(prim, primals, series, K, params)
        if prim.multiple_results:
            return tuple(self.new(o, [None if t is None else t[i] for t in terms])
                         for i, o in enumerate(out))
        return self.new(out, terms)


def _generic(prim, primals, series, K, params):
    """Coefficients of y = prim(x) from the JVP rule: y' = G(x, x'), so k y_k is the
    (k-1)-th coefficient of the jet of G along (x(t), x'(t)).  For a primitive with several
    outputs the result is a list over k of tuples (one coefficient per output)."""
    live = [i for i, s in enumerate(series) if s is not None]
    n = len(primals)

    def G(*flat):
        ps = list(flat[:n])
        tans = [None] * n
        for j, i in enumerate(live):
            tans[i] = flat[n + j]
        o = bind(prim, *ps, **params)
        t = prim.jvp(tans, o, *ps, **params)
        if prim.multiple_results:
            return tuple(_zeros(oo) if tt is None else tt for oo, tt in zip(o, t))
        return (t,)

    # x'(t): primal c_1, coefficients (m + 1) c_{m+1}
    d_primals = [series[i][0] if series[i][0] is not None else _zeros(primals[i]) for i in live]
    d_series = [[_scale(series[i][m], m + 1) for m in range(1, K)] for i in live]
    p_series = [s[:K - 1] if s is not None else None for s in series]
    g0, gterms = jet_multi(G, list(primals) + d_primals, p_series + d_series, K - 1)
    coeffs = [g0] + gterms
    terms = [tuple(_scale(c, 1.0 / k) for c in coeffs[k - 1]) for k in range(1, K + 1)]
    return terms if prim.multiple_results else [t[0] for t in terms]


def jet_multi(fn, primals, series, order):
    """Evaluate ``fn`` (returning a tuple) on normalised series of ``order`` terms: returns
    ``(outputs, coeffs)`` with ``coeffs[k]`` the tuple of order-(k+1) coefficients."""
    if order == 0:
        return tuple(fn(*primals)), []
    with JetTrace(order) as trace:
        ins = [trace.new(as_tensor(p), list(s)) if s is not None else p
               for p, s in zip(primals, series)]
        outs = tuple(fn(*ins))
        prims, terms = [], []
        for o in outs:
            if isinstance(o, JetTracer) and o._trace is trace:
                prims.append(o.primal)
                terms.append(o.terms)
            else:
                prims.append(o)
                terms.append([None] * order)
    return tuple(prims), [tuple(t[k] for t in terms) for k in range(order)]


def _zeros(x):
    x = as_tensor(x)
    from .._core.state import lib
    return lib.zeros(x.shape, x.dtype)


def jet(fun, primals, series):
    """Taylor-mode AD: propagate truncated Taylor series through ``fun`` in one pass.

    Arguments:
        primals: tuple of the expansion point.
        series: tuple (one per primal) of lists ``[x_1, ..., x_K]`` of derivative
            coefficients of the input path, x(t) = x0 + sum_k x_k t^k / k!.

    Returns ``(fun(*primals), series_out)`` where ``series_out`` has the output's structure
    with each leaf replaced by ``[y_1, ..., y_K]``, the derivatives d^k/dt^k fun(x(t)) at 0.
    With ``series = ([v, 0, ..., 0],)`` these are the directional derivatives of order 1..K
    along ``v``, all from one pass.
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(series, (tuple, list)):
        raise TypeError("jet: primals and series must be tuples, e.g. jet(f, (x,), ([v, 0.],))")
    if len(primals) != len(series):
        raise TreeError(f"jet: {len(primals)} primals but {len(series)} series")
    p_leaves, p_td = tree_flatten(tuple(primals))
    orders = {len(s) for s in series}
    if len(orders) != 1:
        raise ShapeError("jet: every input series must have the same number of terms")
    K = orders.pop()
    s_leaves = []
    for p, s in zip(primals, series):
        pl, ptd = tree_flatten(p)
        terms = [tree_flatten(term)[0] for term in s]
        for j in range(len(pl)):
            s_leaves.append([terms[k][j] for k in range(K)])
    plain = not any(isinstance(x, Tensor) for x in p_leaves)
    norm = [[None if term is None else _scale(as_tensor(term), 1.0 / math.factorial(k + 1))
             for k, term in enumerate(s)] for s in s_leaves]
    if K == 0:
        out = fun(*primals)
        return out, tree_flatten(out)[1].unflatten([[] for _ in tree_flatten(out)[0]])
    with JetTrace(K) as trace:
        ins = [trace.new(as_tensor(p), s) for p, s in zip(p_leaves, norm)]
        out = fun(*p_td.unflatten(ins))
        o_leaves, o_td = tree_flatten(out)
        prim_out, ser_out = [], []
        for o in o_leaves:
            if isinstance(o, JetTracer) and o._trace is trace:
                p, terms = o.primal, o.terms
            else:
                p, terms = as_tensor(o), [None] * K
            prim_out.append(to_output(p, plain))
            ser_out.append([to_output(_scale(t, float(math.factorial(k + 1)))
                                      if t is not None else _zeros(p), plain)
                            for k, t in enumerate(terms)])
    return o_td.unflatten(prim_out), o_td.unflatten(ser_out)
