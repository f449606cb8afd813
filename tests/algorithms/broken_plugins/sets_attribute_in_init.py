"""Breaks scikit-learn's ``check_no_attributes_set_in_init``: __init__ precomputes."""

from attnbench.algorithms.countsketch import CountSketch


class SetsAttributeInInit(CountSketch):
    """CountSketch that stores eps**2 in __init__ (clone and set_params cannot see it)."""

    name = "broken_sets_attribute_in_init"

    def __init__(self, n_components="auto", eps=0.5, delta=0.1, random_state=None):
        super().__init__(n_components, eps, delta, random_state)
        self.eps_squared = eps**2
