"""The store stage: the SQLite record of runs and cells (:mod:`.sqlite`) and the facts a
report needs, collected at run time (:mod:`.facts`).  The store is the only source of
facts about a run."""

from attnbench.store.sqlite import (
    DEFAULT_STORE,
    SCHEMA_VERSION,
    Store,
    StoreError,
    StoreWriteError,
    read_run,
)

__all__ = ["DEFAULT_STORE", "SCHEMA_VERSION", "Store", "StoreError", "StoreWriteError", "read_run"]
