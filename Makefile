# Gather — `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install install-test run test test-sqlite test-postgres lint fmt bench services browser

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/gather: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

install: $(BIN)/gather ## create .venv with Gather and its pinned dependencies

$(VENV)/.test-deps: $(BIN)/gather pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

install-test: $(VENV)/.test-deps ## install the test dependencies too

run: install ## run Gather on the embedded default (SQLite + in-process worker)
	$(BIN)/gather serve --host $(HOST) --port $(PORT)

services: ## start PostgreSQL and Redis if they are not running
	@scripts/ensure-services

browser: ## install Debian's Chromium for the browser tests (if missing)
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

test: install-test services browser lint ## lint, then the whole suite on SQLite and on PostgreSQL
	$(BIN)/python manage.py makemigrations --check --dry-run
	scripts/run-tests sqlite
	scripts/run-tests postgres

test-sqlite: install-test ## the suite on SQLite only
	scripts/run-tests sqlite

test-postgres: install-test services ## the suite on PostgreSQL only
	scripts/run-tests postgres

lint: install-test ## ruff check + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install-test ## format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install ## run the benchmarks against servers they start (see docs/BENCHMARKS.md)
	@echo "See docs/BENCHMARKS.md for each benchmark's command."
