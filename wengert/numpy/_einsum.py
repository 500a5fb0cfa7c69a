"""``einsum``: one primitive for every Einstein summation, with NumPy's semantics.

The public function first *normalises* the subscripts so that the rules never see NumPy's
conveniences:

* the implicit output (no ``->``) is made explicit (broadcast axes first, then the labels
  that appear exactly once, in ASCII order, as NumPy does);
* ``...`` is replaced by fresh letters, right-aligned as in broadcasting;
* a label of size 1 in an operand where another operand gives it a larger size (NumPy's
  broadcasting of labels) is squeezed out of that operand: the operand is constant along it;
* the sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` becomes a string.

The primitive ``einsum_p`` then carries a string such as ``"ij,jk->ik"`` in which every
label has one size.  Its rules are einsums themselves:

* JVP: the sum over operands ``k`` of the einsum with operand ``k`` replaced by its tangent;
* VJP for operand ``k`` with subscripts ``s_k``: the einsum of the cotangent (subscripts
  the output's) with the other operands, producing the distinct labels of ``s_k``.  Labels
  found only in operand ``k`` (summed within it) are broadcast back; a label repeated in
  ``s_k`` (a trace ``ii->`` or a diagonal ``ii->i``) is put back on the diagonal by
  identity (Kronecker delta) factors.

Both rules call ``einsum``, ``reshape`` and ``broadcast_to``, so they are differentiable to any
order.  Complex operands follow the library's convention (no conjugation).  The batching
(vmap) rule adds a fresh label for the batch axis.
"""
from __future__ import annotations

import string

import numpy as np

from .._core.primitive import Primitive, bind
from .._core.tensor import Tensor
from .._errors import UnsupportedError
from . import _elementwise as ew
from . import _shape as sh
from ._family import dtype_of, shape_of, t

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # NumPy's sublist order: 0 -> 'A'
_ELL = "..."
# Above this many multiply-adds in the naive loop, a contraction order (and BLAS) pays for
# NumPy's ~50 us path search.
_OPTIMIZE_ABOVE = 1 << 15


# --- the primitive -------------------------------------------------------------------------------
def _impl(*ops, subscripts, optimize):
    if isinstance(optimize, tuple):  # an explicit path, stored hashable
        optimize = list(optimize)
    return np.einsum(subscripts, *ops, optimize=optimize)


def _split(subscripts):
    lhs, out = subscripts.split("->")
    return lhs.split(","), out


def _einsum_vjp(needs, g, out, *ops, subscripts, optimize):
    ins, out_s = _split(subscripts)
    return tuple(_cotangent(k, g, ins, out_s, ops) if need else None
                 for k, need in enumerate(needs))


def _einsum_jvp(tangents, out, *ops, subscripts, optimize):
    ins, out_s = _split(subscripts)
    acc = None
    for k, tan in enumerate(tangents):
        if tan is None:
            continue
        args = list(ops)
        args[k] = tan
        term = _contract(ins, out_s, args, optimize)
        acc = term if acc is None else ew.add(acc, term)
    return acc


def _einsum_batch(args, dims, subscripts, optimize):
    """vmap: a fresh label for the batch axis, in front of every batched operand and of the
    output."""
    ins, out_s = _split(subscripts)
    free = [c for c in _LETTERS if c not in subscripts]
    if not free:
        raise UnsupportedError("vmap of einsum: all 52 labels are in use, none is left for "
                               "the batch axis; vmap a smaller contraction.")
    b = free[0]
    new_ins, new_args = [], []
    for x, d, s in zip(args, dims, ins):
        if d is None:
            new_ins.append(s)
            new_args.append(x)
        else:
            new_ins.append(b + s)
            new_args.append(x if d == 0 else sh.moveaxis(x, d, 0))
    return _contract(new_ins, b + out_s, new_args,
                     optimize if isinstance(optimize, tuple) else None), 0


einsum_p = Primitive("einsum", _impl, vjp=_einsum_vjp, jvp=_einsum_jvp, batch=_einsum_batch)


def _cotangent(k, g, ins, out_s, ops):
    """The cotangent of operand ``k``: see the module docstring."""
    sk = ins[k]
    sizes = dict(zip(sk, shape_of(ops[k])))
    uk = "".join(dict.fromkeys(sk))                      # distinct labels, in order
    elsewhere = set(out_s).union(*(ins[j] for j in range(len(ins)) if j != k))
    present = "".join(c for c in uk if c in elsewhere)
    others = [j for j in range(len(ins)) if j != k]
    G = _contract([out_s] + [ins[j] for j in others], present,
                  [g] + [ops[j] for j in others])
    if len(present) < len(uk):  # labels summed within operand k only: constant along them
        G = sh.reshape(G, tuple(sizes[c] if c in elsewhere else 1 for c in uk))
        G = sh.broadcast_to(G, tuple(sizes[c] for c in uk))
    if len(uk) < len(sk):       # repeated labels: back onto the diagonal
        fresh = [c for c in _LETTERS if c not in sk]
        target, subs, deltas, seen = [], [uk], [G], set()
        for c in sk:
            if c in seen:
                if not fresh:
                    raise UnsupportedError("einsum: too many labels to differentiate these "
                                           "subscripts (NumPy allows 52 letters in all).")
                nc = fresh.pop()
                target.append(nc)
                subs.append(c + nc)
                deltas.append(Tensor._wrap(np.eye(sizes[c], dtype=dtype_of(G))))
            else:
                seen.add(c)
                target.append(c)
        G = _contract(subs, "".join(target), deltas)
    return G


def _contract(ins, out_s, ops, optimize=None):
    """Bind ``einsum_p`` on normalised subscripts, skipping the identity and transposes."""
    if len(ops) == 1:
        s = ins[0]
        if s == out_s:
            return ops[0]
        if len(set(s)) == len(s) == len(out_s) and set(s) == set(out_s):
            return sh.transpose(ops[0], tuple(s.index(c) for c in out_s))
    if optimize is None:
        optimize = _policy(ins, ops)
    return bind(einsum_p, *ops, subscripts=",".join(ins) + "->" + out_s, optimize=optimize)


def _policy(ins, ops):
    if len(ops) < 2:
        return False
    sizes = {}
    for s, op in zip(ins, ops):
        sizes.update(zip(s, shape_of(op)))
    cost = 1
    for n in sizes.values():
        cost *= n
    return "greedy" if cost * (len(ops) - 1) > _OPTIMIZE_ABOVE else False


# --- parsing and normalisation -------------------------------------------------------------------
def _from_sublists(args):
    """``(a, [0, 1], b, [1, 2], [0, 2])`` -> ``("AB,BC->AC", [a, b])``."""
    def term(sub):
        parts = []
        for s in sub:
            if s is Ellipsis:
                parts.append(_ELL)
            elif isinstance(s, (int, np.integer)) and 0 <= int(s) < 52:
                parts.append(_LETTERS[int(s)])
            else:
                raise ValueError(f"einsum: a subscript in the sublist form must be an integer "
                                 f"in [0, 52) or Ellipsis, not {s!r}")
        return "".join(parts)

    ops, terms = [], []
    args = list(args)
    while len(args) >= 2:
        ops.append(args.pop(0))
        terms.append(term(args.pop(0)))
    subs = ",".join(terms)
    if args:
        subs += "->" + term(args[0])
    return subs, ops


def _tokens(term, where):
    """Split one term into labels and at most one ``...``."""
    toks, i = [], 0
    while i < len(term):
        if term.startswith(_ELL, i):
            if _ELL in toks:
                raise ValueError(f"einsum: {where} {term!r} contains more than one ellipsis "
                                 "'...'")
            toks.append(_ELL)
            i += 3
        elif term[i] in _LETTERS:
            toks.append(term[i])
            i += 1
        else:
            raise ValueError(f"einsum: invalid subscript {term[i]!r} in {where} {term!r}; "
                             "subscripts are letters a-z, A-Z and '...'")
    return toks


def _normalize(subscripts, shapes):
    """Explicit subscripts without ellipsis: (list of input terms, output term)."""
    subscripts = subscripts.replace(" ", "")
    if subscripts.count("->") > 1:
        raise ValueError("einsum: the subscripts contain '->' more than once")
    lhs, arrow, rhs = subscripts.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: the subscripts {subscripts!r} name {len(terms)} operand(s) "
                         f"but {len(shapes)} were given")
    toks = [_tokens(s, f"operand {i}'s subscripts") for i, s in enumerate(terms)]
    out_toks = _tokens(rhs, "the output subscripts") if arrow else None
    used = {c for tk in toks for c in tk} | set(out_toks or ())
    fresh = [c for c in _LETTERS if c not in used]
    n_ell = 0
    for i, (tk, shape) in enumerate(zip(toks, shapes)):
        n_lab = len(tk) - (_ELL in tk)
        if _ELL in tk:
            if n_lab > len(shape):
                raise ValueError(f"einsum: operand {i} has {len(shape)} dimension(s) but its "
                                 f"subscripts {terms[i]!r} name {n_lab} besides '...'")
            n_ell = max(n_ell, len(shape) - n_lab)
        elif n_lab != len(shape):
            raise ValueError(f"einsum: operand {i} has {len(shape)} dimension(s) but its "
                             f"subscripts {terms[i]!r} name {n_lab}; the counts must match "
                             "(use '...' for the leading axes you don't name)")
    if n_ell > len(fresh):
        raise ValueError("einsum: too many axes under '...' (NumPy allows 52 labels in all)")
    ell = "".join(fresh[:n_ell])
    ins = []
    for tk, shape in zip(toks, shapes):
        if _ELL in tk:
            e = len(shape) - (len(tk) - 1)
            tk = [ell[n_ell - e:] if c == _ELL else c for c in tk]
        ins.append("".join(tk))
    if out_toks is None:
        counts = {}
        for s in ins:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        if _ELL not in out_toks and n_ell and any(
                len(shape) > len(tk) - (_ELL in tk) for tk, shape in zip(toks, shapes)
                if _ELL in tk):
            raise ValueError("einsum: the inputs have axes under '...' but the output "
                             "subscripts have no '...' to put them in; add '...' to the output "
                             "(or sum them explicitly)")
        out = "".join(ell if c == _ELL else c for c in out_toks)
        if len(set(out)) != len(out):
            dup = next(c for c in out if out.count(c) > 1)
            raise ValueError(f"einsum: the output subscripts name {dup!r} more than once")
        inputs = set("".join(ins))
        for c in out:
            if c not in inputs:
                raise ValueError(f"einsum: the output subscript {c!r} appears in no input")
    return ins, out


def _label_sizes(ins, shapes):
    """Broadcast size of each label; checks that sizes agree (1 broadcasts)."""
    sizes = {}
    for i, (s, shape) in enumerate(zip(ins, shapes)):
        local = {}
        for c, n in zip(s, shape):
            if local.setdefault(c, n) != n:
                raise ValueError(f"einsum: operand {i} repeats the label {c!r} on axes of "
                                 f"different sizes ({local[c]} and {n}); a repeated label "
                                 "takes a diagonal, which needs equal sizes")
            m = sizes.get(c, 1)
            if n != m and m != 1 and n != 1:
                raise ValueError(f"einsum: the label {c!r} has size {m} in one operand and {n} "
                                 f"in operand {i}; sizes must agree (or be 1, which broadcasts)")
            sizes[c] = max(m, n) if n and m else 0
    return sizes


def einsum(*operands, out=None, optimize=None, dtype=None, order="K", casting="safe"):
    """NumPy ``einsum``, differentiable in every mode.

    Arguments:
        operands: ``subscripts, *arrays`` (``"ij,jk->ik"``, implicit output, ``...``,
            repeated labels for traces and diagonals) or NumPy's sublist form
            ``a, [0, 1], b, [1, 2][, [0, 2]]``.
        optimize: as NumPy (False, True, ``"greedy"``, ``"optimal"`` or a path).  By default
            a contraction order is searched only where the naive loop is large.
        dtype: compute in this dtype (the operands are cast first, under ``casting``).

    Example::

        >>> a = wnp.ones((2, 3)); b = wnp.ones((3, 4))
        >>> wnp.einsum("ij,jk->ik", a, b).shape
        (2, 4)
    """
    if out is not None:
        raise UnsupportedError("einsum(..., out=...) writes in place, which cannot be "
                               "differentiated; use the returned value.")
    if not operands:
        raise TypeError("einsum: no subscripts and operands given")
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], list(operands[1:])
    else:
        subscripts, ops = _from_sublists(operands)
    if not ops:
        raise ValueError("einsum: at least one operand is required")
    ops = [t(o) for o in ops]
    if dtype is not None:
        dtype = np.dtype(dtype)
        for i, o in enumerate(ops):
            if not np.can_cast(dtype_of(o), dtype, casting=casting):
                raise TypeError(f"einsum: cannot cast operand {i} from {dtype_of(o)} to "
                                f"{dtype} with casting rule {casting!r}")
        ops = [sh.astype(o, dtype) for o in ops]
    shapes = [tuple(shape_of(o)) for o in ops]
    ins, out_s = _normalize(subscripts, shapes)
    sizes = _label_sizes(ins, shapes)
    for i, (s, shape) in enumerate(zip(ins, shapes)):
        keep = [a for a, (c, n) in enumerate(zip(s, shape)) if not (n == 1 and sizes[c] != 1)]
        if len(keep) < len(s):  # broadcast labels: the operand is constant along them
            ops[i] = sh.reshape(ops[i], tuple(shape[a] for a in keep))
            ins[i] = "".join(s[a] for a in keep)
    if isinstance(optimize, list):
        optimize = tuple(optimize)
    res = _contract(ins, out_s, ops, optimize)
    if not isinstance(res, Tensor):  # a lone Python scalar with subscripts '->'
        res = Tensor._wrap(np.asarray(res))
    return res
