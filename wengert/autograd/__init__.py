"""The PyTorch-style face of wengert: ``grad``, ``backward``, grad modes, ``forward_ad``,
``gradcheck``."""
from .._core.graph import grad as grad, run_backward as _run_backward, toposort as toposort
from .._core.state import (
    enable_grad as enable_grad,
    is_grad_enabled as is_grad_enabled,
    no_grad as no_grad,
    set_grad_enabled as set_grad_enabled,
)
from . import forward_ad as forward_ad
from .function import (
    Function as Function,
    FunctionCtx as FunctionCtx,
    once_differentiable as once_differentiable,
)
from .gradcheck import (
    GradcheckError as GradcheckError,
    gradcheck as gradcheck,
    gradcheck_report as gradcheck_report,
    gradgradcheck as gradgradcheck,
)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad``."""
    from .._core.tensor import Tensor
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor) or not isinstance(grad_tensors, (list, tuple)):
        grad_tensors = [grad_tensors]
    _run_backward(tensors, list(grad_tensors), retain_graph, create_graph, inputs=inputs)
