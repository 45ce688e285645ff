# alliancesim: one-command set-up, demo, tests, benchmarks, lint.
SHELL := /bin/sh
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKERS ?= 2

.PHONY: install demo test bench lint chromium clean weights calibration

install: $(STAMP)

$(STAMP): pyproject.toml
	@PY=$$(scripts/find-python) || exit 1; \
	if [ ! -x $(BIN)/python ]; then echo "creating $(VENV) with $$PY"; "$$PY" -m venv $(VENV) || exit 1; fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,ema,dash,dask]'
	@touch $(STAMP)

demo: install
	@mkdir -p out
	$(BIN)/alliancesim run --report out/report.html

# Debian's chromium for the browser tests (never a downloaded browser).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { echo "could not install chromium: browser tests will fail" >&2; exit 1; }; \
	fi

test: install chromium
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/python -m pytest -n $(WORKERS) -q

bench: install
	$(BIN)/python benchmarks/run_all.py

# History's weights of the rival accounts (src/alliancesim/data/history-weights.json): rerun
# whenever an episode or a module an episode includes changes, or the engine's forecasts of the
# episodes move (tests/history/test_packaged_weights.py fails until then). The command is history_file.REGENERATE; it takes a few minutes on 2 cores.
weights: install
	$(BIN)/alliancesim structures --write src/alliancesim/data/history-weights.json --members 2000 --seed 0 --workers 2 --force

# The dilemma module's ranges calibrated on every built-in episode
# (src/alliancesim/scenario/library/calibrated-dilemma.toml, which the seed scenarios include):
# rerun whenever an episode, a module an episode includes or the engine changes
# (tests/history/test_packaged_calibration.py fails when the episodes differ from those the file
# records). The command is analysis.calibrate.RECALIBRATE (docs/backtests.md); a few minutes.
calibration: install
	$(BIN)/alliancesim calibrate us-rok-2025 --module dilemma --skip-unmatched --rank 2 --points 10000 --replicates 8 --waves 4 --module-id calibrated_dilemma --out src/alliancesim/scenario/library/calibrated-dilemma.toml --force --effect -n 8000

lint: install
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
