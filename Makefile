# Two commands: `make demo` (the main job on the embedded default) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOW ?=

.PHONY: demo test lint types unit setup setup-parts layers clean

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

# The functions' layers: the Lambda runtime's wheels (python3.12, x86_64), pinned with their
# hashes in infra/layers/<name>.txt, whatever Python runs here; their tests, caches and type
# stubs stripped (none of it is imported; a third of scipy's size). `score`: numpy,
# onnxruntime, tokenizers; `optimize`: numpy, scipy, scikit-learn; `generate`: the openai SDK.
define layer
	rm -rf layers/$(1)
	$(PYTHON) -m pip install --quiet --no-deps --require-hashes --only-binary=:all: \
		--platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
		--python-version 3.12 --implementation cp \
		--target layers/$(1)/python -r infra/layers/$(1).txt
	find layers/$(1)/python -type d \( -name tests -o -name __pycache__ \) -prune -exec rm -rf {} +
	find layers/$(1)/python -name '*.pyi' -delete
	touch $@
endef

SCORE_LAYER := layers/score-libs/python/.installed
OPTIMIZE_LAYER := layers/optimize-libs/python/.installed
GENERATE_LAYER := layers/generate-libs/python/.installed

# (one pip at a time: the layers after the virtualenv, one after the other)
$(SCORE_LAYER): infra/layers/score-libs.txt | $(STAMP)
	$(call layer,score-libs)

$(OPTIMIZE_LAYER): infra/layers/optimize-libs.txt | $(SCORE_LAYER)
	$(call layer,optimize-libs)

$(GENERATE_LAYER): infra/layers/generate-libs.txt | $(OPTIMIZE_LAYER)
	$(call layer,generate-libs)

layers: $(SCORE_LAYER) $(OPTIMIZE_LAYER) $(GENERATE_LAYER)

# Setup's parts in two jobs: the Bluesky PDS's npm install (the longest, some 3 minutes)
# beside the virtualenv, the root npm install and the layers.
SETUP := $(PDS_STAMP) $(STAMP) node_modules/.package-lock.json $(SCORE_LAYER) $(OPTIMIZE_LAYER) \
	$(GENERATE_LAYER)

setup:
	@$(MAKE) --no-print-directory -j2 setup-parts

setup-parts: $(SETUP)
	@:

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

# pytest on every core, at most 8 (two in CI): whole files to each worker, as their fixtures
# are per module (one simulated fortnight, one PDS); the long files first (tests/conftest.py)
unit: setup
	$(BIN)/pytest -n auto --maxprocesses 8 --dist loadfile

test: setup lint types unit

clean:
	rm -rf build .socialops-cache .serverless layers
