"""The engine: Tensor, Primitive/bind, the trace stack and the reverse-mode graph.

Nothing here imports ``wengert.numpy``; the few array operations the engine itself needs
(summing a cotangent to an input's shape, casting, zeros) are installed into ``lib`` by the
op library when it is imported.
"""
