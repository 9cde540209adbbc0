# CES — the two set-up commands are `make demo` and `make test`; everything else is optional.
SHELL := /bin/bash
.DEFAULT_GOAL := help
ROOT := $(abspath .)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
export CARGO_TARGET_DIR ?= $(ROOT)/target
export PYO3_PYTHON := $(PY)
export CARGO_TERM_COLOR ?= never
export CARGO_INCREMENTAL ?= 0

.PHONY: help demo test bench-trigram bench-brands bench-cpa bench-attribution bench-lift env lint clean

help:
	@echo "make demo           run the main job on the embedded default (SQLite)"
	@echo "make test           every test: Rust, Python, Node, PostgreSQL, SQLite"
	@echo "make bench-trigram  criterion bench + side-by-side with PostgreSQL similarity()"
	@echo "make bench-brands   brand resolution: side-by-side with PostgreSQL pg_trgm and RapidFuzz"
	@echo "make bench-cpa      CPA merge on ~10M rows: side-by-side with Polars and DuckDB"
	@echo "make bench-attribution  1M transactions x 10M exposures: DuckDB, Polars; Markov vs ChannelAttribution"
	@echo "make bench-lift     10k two-group tests, CUPED on 1M users, DiD 1,000 stores x 52 weeks: vs statsmodels"

# --- environments ------------------------------------------------------------------------
$(VENV)/.stamp: requirements-dev.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(VENV)/.bench-stamp: requirements-bench.txt $(VENV)/.stamp
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	@touch $@

bindings-node/node_modules/.stamp: bindings-node/package.json bindings-node/package-lock.json
	cd bindings-node && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

env: $(VENV)/.stamp bindings-node/node_modules/.stamp

# --- the two commands --------------------------------------------------------------------
demo:
	cargo run --release --locked --quiet -p ces-examples --bin demo

test: env
	scripts/test.sh

# --- benchmarks --------------------------------------------------------------------------
bench-trigram: $(VENV)/.stamp
	scripts/bench.sh trigram

bench-brands: $(VENV)/.bench-stamp
	PYTHON=$(PY) scripts/bench.sh brands

bench-cpa: $(VENV)/.bench-stamp
	PYTHON=$(PY) scripts/bench.sh cpa

bench-attribution: $(VENV)/.bench-stamp
	PYTHON=$(PY) scripts/bench.sh attribution

bench-lift: $(VENV)/.bench-stamp
	PYTHON=$(PY) scripts/bench.sh lift

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

clean:
	rm -rf target .venv bindings-node/node_modules .cache
