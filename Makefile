# CME Desktop. `make run` starts the application; `make test` runs the whole suite headless.
# Both set up .venv on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ifeq ($(OS),Windows_NT)
BIN    := $(VENV)/Scripts
endif
STAMP  := $(VENV)/.installed
PACKAGE_STAMP := $(VENV)/.installed-package

.PHONY: run test lint typecheck check bench screenshots package package-test clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,demo]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/cme-desktop $(ARGS)

# The PostgreSQL tests run against CME_TEST_POSTGRES_URL, else a throwaway cluster on the
# loopback that tools/test_postgres.py makes and starts (it says what to install if needed).
# The suite runs on every core, one pytest-xdist worker each (at most 8), a worker taking
# the next test as it is free; TEST_WORKERS=0 (or -n 0 in PYTEST_ARGS) runs it in one process.
TEST_WORKERS ?= logical
test: $(STAMP)
	CME_TEST_POSTGRES_URL="$${CME_TEST_POSTGRES_URL:-$$($(BIN)/python -m tools.test_postgres start)}" \
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider \
		-n $(TEST_WORKERS) --maxprocesses 8 --dist worksteal $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check cme_desktop tests benchmarks packaging
	$(BIN)/ruff format --check cme_desktop tests benchmarks packaging

typecheck: $(STAMP)
	$(BIN)/mypy cme_desktop benchmarks

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(ARGS)

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tools.screenshots

# The frozen one-folder build of both programs in dist/cme-desktop/ (docs/packaging.md).
# PyInstaller is a build tool only (the `package` extra, never shipped); the build holds
# Faker (the `demo` extra) for `cme demo`.
$(PACKAGE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,demo,package]'
	touch $(PACKAGE_STAMP)

package: $(PACKAGE_STAMP)
	$(BIN)/python -m PyInstaller --noconfirm --log-level WARN \
		--distpath dist --workpath build/pyinstaller packaging/cme-desktop.spec

# Builds it, then runs the frozen programs as a council laptop would (tests/frozen/).
package-test: package
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider tests/frozen

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
