# Two commands: `make demo` (the main job on the embedded default) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOW ?=

.PHONY: demo test lint types unit setup layers clean

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

# The layer of `score` (numpy, onnxruntime, tokenizers): the Lambda runtime's wheels
# (python3.12, x86_64), pinned with their hashes in infra/layers/score-libs.txt, whatever Python
# runs here.
SCORE_LAYER := layers/score-libs/python/.installed

$(SCORE_LAYER): infra/layers/score-libs.txt
	rm -rf layers/score-libs layers/numpy
	$(PYTHON) -m pip install --quiet --no-deps --require-hashes --only-binary=:all: \
		--platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
		--python-version 3.12 --implementation cp \
		--target layers/score-libs/python -r infra/layers/score-libs.txt
	find layers/score-libs/python -type d -name tests -prune -exec rm -rf {} +
	touch $@

layers: $(SCORE_LAYER)

setup: $(STAMP) node_modules/.package-lock.json $(PDS_STAMP) $(SCORE_LAYER)

# The main job, no AWS account and no network: validate and compile the examples, then
# run them for a fortnight on a virtual clock (moto in-process, local platform peers).
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
	rm -rf build .socialops-cache .serverless layers
