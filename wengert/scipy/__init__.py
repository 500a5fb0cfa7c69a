"""``wengert.scipy``: differentiable versions of parts of SciPy (``special``, ``linalg``,
``stats``, ``signal``).  SciPy is an optional dependency: importing a submodule without it raises an
ImportError that says how to install it.  This package itself imports nothing."""
