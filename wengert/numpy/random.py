"""``wengert.numpy.random``: NumPy's random module, re-exported so that NumPy code written
against ``wnp`` (``wnp.random.randn(3)``, ``wnp.random.default_rng(0)``) runs unchanged.

Samples are plain ndarrays: constants to every transform (a random draw has no derivative
with respect to anything).  For differentiable sampling (reparameterisation, score
function) see ``wg.estimators``.
"""
from numpy.random import *  # noqa: F401,F403
from numpy.random import (  # noqa: F401  (the names NumPy code reaches for most)
    Generator, RandomState, SeedSequence, beta, binomial, choice, default_rng, exponential,
    gamma, get_state, normal, permutation, poisson, rand, randint, randn, random, seed,
    set_state, shuffle, standard_normal, uniform,
)
