from attnbench.algorithms.zero import Zero


class NoDocstring(Zero):
    name = "broken_no_docstring"
