"""Calibration reducers: ``leverage_fast`` with one planted fault each, so that a report
shows its claim rules can fail (docs/claims.md, "Calibration reducers").

``calibration_cost``   O(n·nnz(X)) extra work: the time rule must judge it ``fails``
``calibration_size``   m = min(n², d) columns: the size rule must judge it ``fails``
``calibration_error``  Y scaled by n: the error rules must judge it ``fails``

Each declares the paper's randomized cost model, as a wrong reducer would, and family
``calibration``: :func:`attnbench.algorithms.list_reducers` leaves them out, so
``all_reducers`` sweeps, the contract battery and the asv suite never meet them; a
sweep names them to run them (``[experiment.reducers.calibration_cost]``).  Which part
each must fail is pre-registered with the rules (:data:`attnbench.analysis.claims.CALIBRATION`).
Not for use on real work.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
