"""Speed and memory of ``fit_transform`` for every registered reducer.

``time_fit_transform`` is the fit plus the product that makes Y (input already in its
format, BLAS on one thread).  ``peakmem_fit_transform`` is asv's peak resident memory
of the whole benchmark process, so it includes the interpreter, the imports and X:
compare it across commits, not across reducers.
"""

from .common import ReducerBenchmark, suite_version


class FitTransform(ReducerBenchmark):
    version = suite_version(1)

    def time_fit_transform(self, reducer, shape, data, fmt):
        self.reducer.fit_transform(self.X)

    def peakmem_fit_transform(self, reducer, shape, data, fmt):
        self.reducer.fit_transform(self.X)
