"""Dual tensors (PyTorch's ``torch.autograd.forward_ad``), with nesting levels."""
from .._transforms.forward import (
    UnpackedDualTensor as UnpackedDualTensor,
    dual_level as dual_level,
    make_dual as make_dual,
    unpack_dual as unpack_dual,
)
