"""The reducer contract: the battery of rules every reducer must pass (:mod:`.checks`;
the bad parameter values generated from each reducer's declared constraints in
:mod:`.params`, rule results and their table in :mod:`.results`), and the
``new-reducer`` scaffold (:mod:`.scaffold`).  ``check_reducer`` runs it on one
reducer; ``parametrize_with_checks`` turns it into pytest cases::

    from attnbench.contract import parametrize_with_checks
"""

from attnbench.contract.checks import check_reducer, parametrize_with_checks, reducer_checks
from attnbench.contract.results import ContractReport, report_table

__all__ = [
    "ContractReport",
    "check_reducer",
    "parametrize_with_checks",
    "reducer_checks",
    "report_table",
]
