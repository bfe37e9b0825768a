# Kneadwell: `make run` and `make test` work on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export KNEADWELL_DATA_DIR ?= $(CURDIR)/var

.PHONY: chromium install run test screenshots lint clean system-deps bench bench-peer bench-history fuzz

# Debian packages the project needs: pango and harfbuzz-subset for PDFs (WeasyPrint warns without it), Node's npm for the CSS
# package, Chromium for browser tests. Installed only when missing.
system-deps:
	@missing=""; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	[ -e /usr/lib/x86_64-linux-gnu/libpango-1.0.so.0 ] || [ -e /usr/lib/aarch64-linux-gnu/libpango-1.0.so.0 ] || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	[ -e /usr/lib/x86_64-linux-gnu/libharfbuzz-subset.so.0 ] || [ -e /usr/lib/aarch64-linux-gnu/libharfbuzz-subset.so.0 ] || missing="$$missing libharfbuzz-subset0"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

chromium:
	@command -v chromium >/dev/null || { echo "Installing Chromium for browser tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

$(BIN)/kneadwell: pyproject.toml
	$(MAKE) system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	$(MAKE) system-deps
	npm ci --no-audit --no-fund --ignore-scripts --silent
	touch $@

install: $(BIN)/kneadwell node_modules/.package-lock.json

run: system-deps install
	KNEADWELL_DEMO=true PORT=$(PORT) $(BIN)/kneadwell demo

test: system-deps install chromium
	scripts/run-tests

screenshots: install chromium
	KNEADWELL_UPDATE_SCREENSHOTS=true $(BIN)/pytest -q -m browser tests/browser

# The API fuzz run, deeper than the one `make test` runs: more generated requests per operation and
# schemathesis's coverage phase (docs/api.md, "Fuzzing"). FUZZ_EXAMPLES sets how many.
FUZZ_EXAMPLES ?= 50
fuzz: install
	KNEADWELL_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) KNEADWELL_FUZZ_COVERAGE=true $(BIN)/pytest -q -p no:randomly tests/api/test_fuzz.py

# The scheduling benchmark (docs/performance.md): SQLite in var/bench by default, PostgreSQL when
# DATABASE_URL names a database made for it (its name contains "bench"; it is dropped and recreated).
bench: install
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

# The demo clinic with history (×SCALE: 1, 10, 100) in a database of its own (benchmarks/history.py).
SCALE ?= 10
bench-history: install
	$(BIN)/python benchmarks/history.py --scale $(SCALE)

# The same, then the peer (django-appointment, ../shared/bench/peer/run.sh) in the same run.
bench-peer: install
	$(BIN)/python benchmarks/bench.py --peer $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports --no-cache
	KNEADWELL_TESTING=true $(BIN)/mypy src

clean:
	rm -rf $(VENV) node_modules var
