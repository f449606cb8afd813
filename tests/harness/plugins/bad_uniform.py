"""A deliberately bad candidate for ``attnbench compare``: uniform column sampling under a
new name.  On data whose mass sits in a few columns it misses them."""

from attnbench.algorithms.uniform import Uniform


class BadUniform(Uniform):
    name = "test_bad_uniform"
