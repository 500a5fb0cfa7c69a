"""wengert: automatic differentiation over NumPy.

The public API (see ../shared/API.md and docs/): JAX-style transforms (``grad``, ``jvp``,
``vjp``, ...), a PyTorch-style ``Tensor`` with ``backward``, and ``wengert.numpy``.
"""
from ._core import allocator as _allocator

_allocator.tune_at_import()  # glibc: keep freed array memory for the next call (see allocator.py)

from . import numpy as numpy  # noqa: E402 (installs Tensor methods and the engine's helpers)
from . import autograd as autograd
from . import dual as dual
from ._core.graph import toposort as toposort
from ._core.state import (
    enable_grad as enable_grad,
    is_grad_enabled as is_grad_enabled,
    no_grad as no_grad,
    set_grad_enabled as set_grad_enabled,
)
from ._core.tensor import Tensor as Tensor
from ._core.primitive import Primitive as Primitive, bind as bind
from ._errors import (
    ArgnumsError as ArgnumsError,
    ConcretizationError as ConcretizationError,
    DTypeError as DTypeError,
    GradientError as GradientError,
    InplaceError as InplaceError,
    NonScalarOutputError as NonScalarOutputError,
    ShapeError as ShapeError,
    TreeError as TreeError,
    UnsupportedError as UnsupportedError,
    WengertError as WengertError,
)
from ._tensor_api import as_tensor as as_tensor, from_numpy as from_numpy, tensor as tensor
from ._transforms.forward import jvp as jvp, linearize as linearize
from ._transforms.reverse import grad as grad, value_and_grad as value_and_grad, vjp as vjp
from ._transforms.vmap import vmap as vmap
from ._transforms.custom import custom_jvp as custom_jvp, custom_vjp as custom_vjp
from ._transforms.checkpoint import (
    checkpoint as checkpoint,
    checkpoint_loop as checkpoint_loop,
    checkpoint_sequential as checkpoint_sequential,
)
from ._core import memory as memory
from ._transforms.taylor import jet as jet
from ._transforms.jit import jit as jit
from ._wengert_list import graph_to_dot as graph_to_dot, make_trace as make_trace
from ._transforms.derived import (
    elementwise_grad as elementwise_grad,
    hessian as hessian,
    hvp as hvp,
    jacfwd as jacfwd,
    jacobian as jacobian,
    jacrev as jacrev,
)
from ._tree import (
    register_pytree_node as register_pytree_node,
    tree_flatten as tree_flatten,
    tree_leaves as tree_leaves,
    tree_map as tree_map,
    tree_unflatten as tree_unflatten,
)
from .dual import Dual as Dual
from .numpy._composite import stop_gradient as stop_gradient

__version__ = "0.1.0"
