# CME Desktop. `make run` starts the application; `make test` runs the whole suite headless.
# Both set up .venv on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ifeq ($(OS),Windows_NT)
BIN    := $(VENV)/Scripts
endif
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck check bench screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/cme-desktop $(ARGS)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check cme_desktop tests benchmarks
	$(BIN)/ruff format --check cme_desktop tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy cme_desktop

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(ARGS)

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tools.screenshots

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
