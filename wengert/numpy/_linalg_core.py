"""matmul and the products built on it (dot, vdot, inner, outer, tensordot)."""
from __future__ import annotations

import numpy as np

from .._core import graph as _graph
from .._core import primitive as _prim
from .._core.primitive import _NO_PARAMS, Primitive, call2
from .._core.state import state as _state
from .._core.tensor import Tensor
from . import _elementwise as ew
from . import _shape as sh
from ._family import ndim_of, shape_of, t


def _matmul_vjp(needs, g, out, x, y):
    xn, yn = ndim_of(x), ndim_of(y)
    gx = gy = None
    if xn == 1 and yn == 1:  # inner product -> scalar
        gx = ew.multiply(g, y) if needs[0] else None
        gy = ew.multiply(g, x) if needs[1] else None
    elif xn == 1:  # (k,) @ (..., k, n) -> (..., n)
        if needs[0]:
            gx = sh.getitem(matmul(y, sh.expand_dims(g, -1)), (Ellipsis, 0))
        if needs[1]:
            gy = ew.multiply(sh.expand_dims(x, -1), sh.expand_dims(g, -2))
    elif yn == 1:  # (..., m, k) @ (k,) -> (..., m)
        if needs[0]:
            gx = ew.multiply(sh.expand_dims(g, -1), y)
        if needs[1]:
            gy = sh.getitem(matmul(sh.matrix_transpose(x), sh.expand_dims(g, -1)),
                            (Ellipsis, 0))
    else:
        if needs[0]:
            gx = matmul(g, sh.matrix_transpose(y))
        if needs[1]:
            if yn == 2 and xn > 2:
                # (..., m, k) @ (k, n): contract the batch axes inside one product instead of
                # forming a (..., k, n) stack of products for the engine to sum away
                k = x.shape[-1]
                gy = matmul(sh.matrix_transpose(sh.reshape(x, (-1, k))),
                            sh.reshape(g, (-1, shape_of(g)[-1])))
            else:
                gy = matmul(sh.matrix_transpose(x), g)
    return gx, gy


def _matmul_vjp_raw(needs, g, out, x, y):
    """``_matmul_vjp`` on bare ndarrays, for the engine's unrecorded backward pass: the same
    products as direct NumPy calls.  A transposed operand stays a strided view (BLAS reads it
    with a transpose flag; no copy)."""
    xn, yn = x.ndim, y.ndim
    if xn == 2 and yn == 2:
        return (np.matmul(g, y.T) if needs[0] else None,
                np.matmul(x.T, g) if needs[1] else None)
    if xn < 2 or yn < 2:
        return _matmul_vjp(needs, g, out, x, y)
    gx = np.matmul(g, np.swapaxes(y, -1, -2)) if needs[0] else None
    gy = None
    if needs[1]:
        if yn == 2:
            k = x.shape[-1]
            gy = np.matmul(x.reshape(-1, k).T, g.reshape(-1, g.shape[-1]))
        else:
            gy = np.matmul(np.swapaxes(x, -1, -2), g)
    return gx, gy


def _matmul_jvp(tangents, out, x, y):
    tx, ty = tangents
    res = None
    if tx is not None:
        res = matmul(tx, y)
    if ty is not None:
        term = matmul(x, ty)
        res = term if res is None else ew.add(res, term)
    return res


matmul_p = Primitive("matmul", np.matmul, vjp=_matmul_vjp, jvp=_matmul_jvp)
matmul_p.raw_vjp = _matmul_vjp_raw


_new = object.__new__


def matmul(x1, x2, /, out=None):
    """Matrix product with NumPy's broadcasting of leading (batch) axes."""
    if out is not None:
        from .._errors import UnsupportedError
        raise UnsupportedError("matmul(..., out=...) is not differentiable")
    # (plain Tensors, the common case, skip t() and the generic ndim lookup)
    if type(x1) is not Tensor:
        x1 = t(x1)
    if type(x2) is not Tensor:
        x2 = t(x2)
    if type(x1) is Tensor and type(x2) is Tensor:
        st = _state
        if not st.traces and not st.raw:  # primitive.call2's first case, inlined
            v1 = x1._value
            v2 = x2._value
            if v1.ndim == 0 or v2.ndim == 0:
                raise ValueError("matmul: Input operand does not have enough dimensions")
            raw = np.matmul(v1, v2)
            out = _new(Tensor)
            out._value = raw if type(raw) is np.ndarray else np.asarray(raw)  # 1-D @ 1-D
            if (x1._rg or x2._rg) and st.grad_enabled:
                out = _graph.record2(matmul_p, x1, x2, Tensor, Tensor, (x1, x2), _NO_PARAMS,
                                     out)
            if _prim._observers:
                for fn in _prim._observers:
                    fn(matmul_p, (x1, x2), {}, out)
            return out
    if ((x1._value.ndim if type(x1) is Tensor else ndim_of(x1)) == 0
            or (x2._value.ndim if type(x2) is Tensor else ndim_of(x2)) == 0):
        raise ValueError("matmul: Input operand does not have enough dimensions")
    return call2(matmul_p, x1, x2, t)


def dot(a, b, out=None):
    """NumPy ``dot``: multiply for scalars, matmul for 1-D/2-D, tensordot otherwise."""
    a, b = t(a), t(b)
    na, nb = ndim_of(a), ndim_of(b)
    if na == 0 or nb == 0:
        return ew.multiply(a, b)
    if nb <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=([-1], [-2]))


def vdot(a, b):
    from ._complex import conj
    return dot(sh.ravel(conj(t(a))), sh.ravel(t(b)))


def inner(a, b):
    a, b = t(a), t(b)
    if ndim_of(a) == 0 or ndim_of(b) == 0:
        return ew.multiply(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


def outer(a, b, out=None):
    a, b = sh.ravel(t(a)), sh.ravel(t(b))
    return ew.multiply(sh.expand_dims(a, 1), sh.expand_dims(b, 0))


def tensordot(a, b, axes=2):
    """``np.tensordot`` as transpose + reshape + matmul (so its rules come for free)."""
    # NumPy's tensordot starts with asarray: Python scalars become 0-d arrays
    a, b = (x if hasattr(x, "shape") else t(np.asarray(x)) for x in (t(a), t(b)))
    na, nb = ndim_of(a), ndim_of(b)
    if isinstance(axes, (int, np.integer)):
        axes_a = list(range(na - axes, na))
        axes_b = list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    axes_a = [x % na for x in axes_a]
    axes_b = [x % nb for x in axes_b]
    free_a = [i for i in range(na) if i not in axes_a]
    free_b = [i for i in range(nb) if i not in axes_b]
    sa, sb = a.shape, b.shape
    k = int(np.prod([sa[i] for i in axes_a], dtype=np.int64))
    ma = int(np.prod([sa[i] for i in free_a], dtype=np.int64))
    nb_ = int(np.prod([sb[i] for i in free_b], dtype=np.int64))
    a2 = sh.reshape(sh.transpose(a, tuple(free_a + axes_a)), (ma, k))
    b2 = sh.reshape(sh.transpose(b, tuple(axes_b + free_b)), (k, nb_))
    res = matmul(a2, b2)
    return sh.reshape(res, tuple(sa[i] for i in free_a) + tuple(sb[i] for i in free_b))
