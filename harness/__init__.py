"""attnbench: a benchmarking and reproducibility harness for attention sparsification.

Given X in R^{n x d} (n tokens, d features, d >> n), a reducer returns Y in R^{n x m},
m << d, such that A(Y) = D(Y)^{-1} exp(YY^T) stays close to A(X).  The harness measures
how close (``attnbench.metrics``), how fast, and how runtime scales against the cost
models of Deng, Mahadevan and Song (arXiv 2304.04397).
"""

__version__ = "0.1.0"
