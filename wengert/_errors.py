"""Exception classes raised by wengert.

Every error says what happened, what the rule is, and what to do instead.  Each class
docstring gives a failing example and the fix (see docs/errors.md).
"""


class WengertError(Exception):
    """Base class of every error wengert raises on purpose."""


class GradientError(WengertError, RuntimeError):
    """A gradient was requested that cannot be computed.

    Example: ``wg.tensor([1., 2.], requires_grad=True).sum().backward(); y.backward()``
    (a second backward through a freed graph), or ``x.backward()`` on a vector output.
    Fix: follow the hint in the message (``retain_graph=True``, pass ``gradient=``, ...).
    """


class NonScalarOutputError(GradientError, TypeError):
    """``grad``/``backward`` of a function whose output is not a scalar.

    Example: ``wg.grad(lambda x: x * 2)(np.ones(3))``.
    Fix: reduce the output (``.sum()``), pass a cotangent to ``vjp``/``backward(gradient=...)``,
    or use ``jacobian``.
    """


class DTypeError(WengertError, TypeError):
    """Differentiation with respect to a value whose dtype has no tangent space.

    Example: ``wg.grad(f)(np.arange(3))`` (integers) or ``wg.tensor([1, 2], requires_grad=True)``.
    Fix: convert to floating point first, e.g. ``x.astype(float)``.
    """


class InplaceError(GradientError):
    """An in-place operation would corrupt a value needed for a gradient.

    Example: ``y = x * w; x.add_(1); y.backward()`` (``x`` was saved by ``MulBackward0``).
    Fix: use the out-of-place form (``x = x + 1``) or ``.clone()`` before modifying.
    """


class ShapeError(WengertError, ValueError):
    """Shapes that do not agree, e.g. a ``gradient`` of the wrong shape given to ``backward``.

    Fix: pass an array of exactly the shape named in the message.
    """


class GradientShapeError(ShapeError, GradientError):
    """A ``gradient`` given to ``backward`` (or ``grad_outputs``, or a hook's result) whose
    shape is not its tensor's.  Both a ``ShapeError`` and, as PyTorch raises, a
    ``RuntimeError``.

    Example: ``(x * 2).backward(gradient=np.ones(3))`` for ``x`` of shape (2,).
    Fix: pass an array of exactly the output's shape.
    """


class RequiresGradDTypeError(DTypeError, GradientError):
    """``requires_grad=True`` on an integer or boolean tensor.  Both a ``DTypeError``
    (``TypeError``) and, as PyTorch raises, a ``RuntimeError``.

    Example: ``wg.tensor([1, 2], requires_grad=True)``.
    Fix: convert first: ``wg.tensor([1., 2.], requires_grad=True)`` or ``x.astype(float)``.
    """


class UnsupportedError(WengertError, NotImplementedError):
    """A NumPy function or argument that wengert cannot differentiate.

    Example: ``np.add.at(t, idx, 1)`` or ``np.sum(t, out=buf)``.
    Fix: use the out-of-place ``wengert.numpy`` equivalent named in the message, or
    ``t.detach()`` to leave the graph on purpose.
    """


class ArgnumsError(WengertError, ValueError):
    """``argnums`` names an argument the function was not called with.

    Example: ``wg.grad(f, argnums=2)(x, y)``.
    Fix: use indices below the number of positional arguments (negative ones count from
    the end), or pass the argument positionally instead of by keyword.
    """


class TreeError(WengertError, ValueError):
    """Two pytrees that should have the same structure do not.

    Example: ``wg.vjp(f, (x, y))[1](ct)`` where ``ct`` is a list but the output is a tuple.
    Fix: give the cotangent/tangent exactly the container structure of the value it pairs with.
    """


class ConcretizationError(WengertError, TypeError):
    """A Python value (``bool``, ``float``, ``.item()``) was asked of an abstract traced value.

    Fix: mark the argument static or avoid value-dependent Python control flow.
    """
