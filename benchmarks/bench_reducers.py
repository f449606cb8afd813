"""Speed and memory of ``fit_transform`` for every registered reducer.

``time_fit_transform`` is the fit plus the product that makes Y (input already in its
format, BLAS on one thread).  ``peakmem_fit_transform`` is asv's peak resident memory
of the whole benchmark process, so it includes the interpreter, the imports and X:
compare it across commits, not across reducers.
"""

from .common import ReducerBenchmark, suite_version


class FitTransform(ReducerBenchmark):
    version = suite_version(1)
    # asv's default per round (2 rounds) is 1 to 5 samples within 10 s; 4 s caps the
    # slow reducers (bss: ~1 s a call) so the default run stays within 10 minutes.
    repeat = (1, 5, 4.0)

    def time_fit_transform(self, reducer, shape, data, fmt):
        self.reducer.fit_transform(self.X)

    def peakmem_fit_transform(self, reducer, shape, data, fmt):
        self.reducer.fit_transform(self.X)
