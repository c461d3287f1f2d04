# Two commands: `make demo` (the main job on the embedded default) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOW ?=

.PHONY: demo test lint types unit setup clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# The local Bluesky PDS that tests/integration/test_bluesky_peer.py starts (and stops):
# installed here, never started here. npm 11 skips better-sqlite3's install script, so it
# is rebuilt explicitly; the stamp is written once both worked (npm ci deletes it).
PDS_PEER := tests/peers/bluesky
PDS_STAMP := $(PDS_PEER)/node_modules/.socialops-installed

$(PDS_STAMP): $(PDS_PEER)/package.json $(PDS_PEER)/package-lock.json
	cd $(PDS_PEER) && npm ci --no-audit --no-fund --loglevel=error
	cd $(PDS_PEER) && npm rebuild better-sqlite3 --loglevel=error
	touch $@

setup: $(STAMP) node_modules/.package-lock.json $(PDS_STAMP)

# The main job, no AWS account and no network: validate and compile the examples, then
# run them for a week on a virtual clock (a moto server on loopback, local platform peers).
demo: $(STAMP)
	$(BIN)/socialops validate campaigns/
	$(BIN)/socialops compile campaigns/ --out build
	$(BIN)/socialops simulate campaigns/ --start 2027-01-11 --days 14

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest

test: setup lint types unit

clean:
	rm -rf build .socialops-cache .serverless
