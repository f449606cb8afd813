"""The sweep stage: config (TOML or preset) -> grid of cells -> executor (local, processes,
dask) -> runner (one cell: dataset, timed fit_transform, metrics).  The results go to the
store (:mod:`attnbench.store`); :mod:`attnbench.api` ties the stage together."""
