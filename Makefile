# Truce developer tasks. `make help` lists them.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON      ?= python3
VENV        := .venv
VPY         := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
PYTEST_ARGS ?=
# pytest-xdist workers; each worker starts its own throwaway PostgreSQL server.
PYTEST_WORKERS ?= 2

.PHONY: help venv demo test pytest soak lint ruff mypy bench wrk-bin postgres-bin clean distclean

help:
	@echo "make venv    - create $(VENV)/ and install truce editable with the test extra"
	@echo "make demo    - run the demo (SQLite truce.db, http://127.0.0.1:8000)"
	@echo "make test    - pytest -n $(PYTEST_WORKERS) (SQLite + throwaway PostgreSQL), ruff, mypy"
	@echo "               extra pytest args: make test PYTEST_ARGS='tests/test_infra.py -x'"
	@echo "make soak    - the long forms: 32 writers + 32 readers for 60 s per engine, the server killed 20 times"
	@echo "               under writers, an import killed 3 times, lost answers, schemathesis with 50 examples"
	@echo "               per operation (prints throughput and p99; figures in benchmarks/README.md)"
	@echo "make lint    - ruff + mypy only"
	@echo "make bench   - run every benchmarks/*.py"
	@echo "make clean   - remove caches and build output (distclean: also $(VENV)/ and demo data)"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -e '.[test]'
	@touch $@

demo: venv
	$(VENV)/bin/truce demo

# The tests start their own PostgreSQL server from the server binaries (initdb, pg_ctl),
# unless TRUCE_TEST_POSTGRES_URL names an existing server.
postgres-bin:
	@if [ -n "$${TRUCE_TEST_POSTGRES_URL:-}" ]; then exit 0; fi; \
	found() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null \
	  || { command -v pg_config >/dev/null && [ -x "$$(pg_config --bindir)/initdb" ]; } \
	  || command -v initdb >/dev/null; }; \
	if found; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "PostgreSQL server binaries missing: installing the postgresql package with apt-get"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q && apt-get install -y -q --no-install-recommends postgresql; \
	  found && exit 0; \
	fi; \
	echo "ERROR: the tests need the PostgreSQL server binaries (initdb, pg_ctl), which are not installed." >&2; \
	echo "  Debian/Ubuntu: sudo apt-get install -y postgresql   (Fedora: dnf install postgresql-server;" >&2; \
	echo "  macOS: brew install postgresql), or set TRUCE_TEST_POSTGRES_URL=postgresql://user@host/db" >&2; \
	echo "  to use an existing server on which that user may CREATE DATABASE." >&2; \
	exit 1

test: venv postgres-bin
	$(VPY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)
	$(MAKE) --no-print-directory lint

pytest: venv postgres-bin
	$(VPY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The long forms of the concurrency, crash and fuzz tests (make test runs short ones). TRUCE_CRASH_SEED=N
# replays the kill moments of a run (each crash test prints its seed).
SOAK_SECONDS ?= 60
FUZZ_EXAMPLES ?= 50
soak: venv postgres-bin
	TRUCE_SOAK_SECONDS=$(SOAK_SECONDS) TRUCE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VPY) -m pytest -n 0 -s -q \
	  tests/web/test_soak.py tests/web/test_concurrency.py tests/web/test_lost_answers.py \
	  tests/ingest/test_import_killed.py tests/web/test_fuzz.py

lint: ruff mypy

ruff: venv
	$(VENV)/bin/ruff check src tests

mypy: venv
	$(VENV)/bin/mypy

# benchmarks/bench_api.py loads the servers with wrk (its Python client is the bottleneck otherwise).
wrk-bin:
	@if command -v wrk >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "wrk missing: installing the wrk package with apt-get"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q && apt-get install -y -q --no-install-recommends wrk; \
	else echo "wrk not installed (apt-get install wrk): bench_api.py falls back to its Python client"; fi

bench: venv wrk-bin
	$(VPY) -m pip install --quiet -e '.[test,bench]'
	@shopt -s nullglob; files=(benchmarks/*.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "no benchmarks/*.py to run"; exit 0; fi; \
	for f in "$${files[@]}"; do echo "== $$f"; $(VPY) "$$f"; done

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache tests/artifacts src/*.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) truce.db truce.db-wal truce.db-shm truce.db.blobs truce-blobs
