"""Power and false-alarm rate of the time rule (attnbench.analysis.claims.simulation) on
synthetic cost laws with the time sweeps' shapes of a preset.

    .venv/bin/python scripts/claims_simulation.py [PRESET (paper)] [STORES (200)]
"""

import dataclasses
import sys

from attnbench.analysis.claims.simulation import simulate
from attnbench.sweep.config import load_config

if __name__ == "__main__":
    config = load_config(sys.argv[1] if len(sys.argv) > 1 else "paper")
    plan = [dataclasses.asdict(e) for e in config.experiments]
    stores = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    print(simulate(plan, config.settings, stores=stores).to_string())
