"""Pytrees: nested tuples, lists, dicts (also OrderedDict, defaultdict), namedtuples and None
around array leaves.

``tree_flatten`` returns the leaves in a fixed order and a ``TreeDef`` that rebuilds the
container; ``register_pytree_node`` adds user classes.  Leaves are anything else
(arrays, Tensors, Python scalars).
"""
from __future__ import annotations

import collections

import numpy as np

from ._errors import TreeError

_REGISTRY: dict[type, tuple] = {}
# leaf types checked first by _flatten (tensor.py adds Tensor; a registered class is never one
# of them)
_ARRAY_TYPES = {np.ndarray, float, int, complex, bool}


def register_pytree_node(cls, flatten, unflatten):
    """Register ``cls``: ``flatten(obj) -> (children, aux)``, ``unflatten(aux, children) -> obj``."""
    _REGISTRY[cls] = (flatten, unflatten)
    _ARRAY_TYPES.discard(cls)


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


class TreeDef:
    __slots__ = ("aux", "children", "kind", "num_leaves")

    def __init__(self, kind, aux, children):
        self.kind = kind  # "leaf", "none", tuple/list/dict/namedtuple class, registered class
        self.aux = aux
        self.children = children
        if kind == "leaf":
            self.num_leaves = 1
        else:
            self.num_leaves = sum(c.num_leaves for c in children)

    def __eq__(self, other):
        return (isinstance(other, TreeDef) and self.kind == other.kind
                and self.aux == other.aux and self.children == other.children)

    def __hash__(self):
        return hash((self.kind if isinstance(self.kind, str) else id(self.kind),
                     repr(self.aux), tuple(self.children)))

    def __repr__(self):
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = ", ".join(repr(c) for c in self.children)
        if self.kind is dict:
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.aux, self.children))
            return "{" + inner + "}"
        if self.kind is collections.OrderedDict or self.kind is collections.defaultdict:
            keys = self.aux if self.kind is collections.OrderedDict else self.aux[1]
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(keys, self.children))
            return f"{self.kind.__name__}({{{inner}}})"
        if self.kind is list:
            return "[" + inner + "]"
        if self.kind is tuple:
            return "(" + inner + ("," if len(self.children) == 1 else "") + ")"
        return f"{getattr(self.kind, '__name__', self.kind)}({inner})"

    def unflatten(self, leaves):
        it = iter(leaves)
        out = _build(self, it)
        return out


def _build(td, it):
    k = td.kind
    if k == "leaf":
        return next(it)
    if k == "none":
        return None
    kids = [_build(c, it) for c in td.children]
    if k is tuple:
        return tuple(kids)
    if k is list:
        return kids
    if k is dict:
        return dict(zip(td.aux, kids))
    if k is collections.OrderedDict:
        return collections.OrderedDict(zip(td.aux, kids))
    if k is collections.defaultdict:
        return collections.defaultdict(td.aux[0], zip(td.aux[1], kids))
    if td.aux == "namedtuple":
        return k(*kids)
    return _REGISTRY[k][1](td.aux, kids)


# the treedefs of a leaf and of None: immutable, so one object each serves every tree
_LEAF = TreeDef("leaf", None, ())
_NONE = TreeDef("none", None, ())


def tree_flatten(tree, is_leaf=None):
    """Return ``(leaves, treedef)``."""
    leaves = []
    td = _flatten(tree, leaves, is_leaf)
    return leaves, td


def _flatten(x, leaves, is_leaf):
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF
    t = type(x)
    if t in _ARRAY_TYPES:  # the commonest leaves, before the container tests
        leaves.append(x)
        return _LEAF
    if x is None:
        return _NONE
    if t is tuple or t is list:
        return TreeDef(t, None, tuple(_flatten(c, leaves, is_leaf) for c in x))
    if t is dict or t is collections.defaultdict:
        keys = dict_keys(x)
        aux = keys if t is dict else (x.default_factory, keys)
        return TreeDef(t, aux, tuple(_flatten(x[k], leaves, is_leaf) for k in keys))
    if t is collections.OrderedDict:
        keys = tuple(x.keys())  # insertion order is part of the structure
        return TreeDef(t, keys, tuple(_flatten(x[k], leaves, is_leaf) for k in keys))
    if _is_namedtuple(x):
        return TreeDef(t, "namedtuple", tuple(_flatten(c, leaves, is_leaf) for c in x))
    if t in _REGISTRY:
        children, aux = _REGISTRY[t][0](x)
        return TreeDef(t, aux, tuple(_flatten(c, leaves, is_leaf) for c in children))
    leaves.append(x)
    return _LEAF


def dict_keys(d):
    """The order in which a dict's children are flattened: sorted keys (by repr when the
    keys cannot be compared), so equal dicts flatten alike whatever their insertion order."""
    try:
        return tuple(sorted(d.keys()))
    except TypeError:
        return tuple(sorted(d.keys(), key=repr))


def tree_unflatten(treedef, leaves):
    return treedef.unflatten(leaves)


def tree_leaves(tree):
    return tree_flatten(tree)[0]


def tree_structure(tree):
    return tree_flatten(tree)[1]


def tree_map(f, tree, *rest, is_leaf=None):
    """Apply ``f`` leafwise to ``tree`` (and to the matching leaves of ``rest``)."""
    leaves, td = tree_flatten(tree, is_leaf)
    others = []
    for i, r in enumerate(rest):
        rl, rtd = tree_flatten(r, is_leaf)
        if rtd != td:
            raise TreeError(
                f"tree_map: argument {i + 1} has structure {rtd}, but the first has {td}; "
                "give every tree the same container structure.")
        others.append(rl)
    return td.unflatten([f(x, *xs) for x, *xs in zip(leaves, *others)])


def check_same_structure(what, expected_td, got_tree):
    leaves, td = tree_flatten(got_tree)
    if td != expected_td:
        raise TreeError(
            f"{what}: expected a pytree with structure {expected_td}, got {td}. "
            "Give it exactly the container structure of the value it pairs with.")
    return leaves
