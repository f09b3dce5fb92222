# Two commands for researchers: `make repro` and `make test` (see README).
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
UV := .uv/bin/uv
VENV := .venv
BIN := $(VENV)/bin
# Quiet, offline-safe tools: no analytics pings, no bytecode writes racing in tests.
export DVC_NO_ANALYTICS := 1
export GX_ANALYTICS_ENABLED := False
export UV_COMPILE_BYTECODE := 1
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help env dev-env bench-env repro ccnews test test-unit lint format bench bench-extract bench-sbd bench-pipeline \
	bench-data bench-profile fuzz clean-env

help:
	@echo "make repro   create the pinned environment and run dvc repro on the bundled sample"
	@echo "make env     only the environment a researcher needs (no test tools, no Ray)"
	@echo "make ccnews MONTH=2025/01 FIRST=5   CC-NEWS WARC files as input, then dvc repro"
	@echo "make test    the whole test suite; adds the dev tools and Ray (lint: make lint)"
	@echo "make test-unit  the tests that do not run the real dvc repro (-m \"not e2e\"): a quick"
	@echo "             check while working; make test (and CI) runs them all, e2e included"
	@echo "make bench   benchmarks beside peers -> reports/bench/ (bench-extract, bench-sbd,"
	@echo "             bench-pipeline; bench-data N=... builds a synthetic corpus;"
	@echo "             bench-profile N=... profiles every stage)"
	@echo "make fuzz    bounded-time fuzzing (SECONDS_FUZZ=120)"

# pip -qq: errors only (a machine's own pip config may warn about its indexes on every install)
$(UV):
	python3 -m venv .uv
	.uv/bin/python -m pip install -qq uv==$(UV_VERSION)

# The stamp is newer than the lock file once the environment matches it exactly.
# The default environment is a researcher's: the pipeline and its readers (duckdb included),
# without the developer tools (dependency group dev) or Ray (extra ray: engine.name: ray).
$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --locked --inexact --compile-bytecode
	@rm -f $(VENV)/.synced-dev $(VENV)/.synced-bench
	@touch $@

env: $(VENV)/.synced

# Tests and linters: pytest, hypothesis, ruff, mypy, mlcroissant, datasets... and Ray and s3fs,
# whose engine and inputs the tests run too.
$(VENV)/.synced-dev: $(VENV)/.synced
	$(UV) sync --locked --inexact --compile-bytecode --group dev --extra ray --extra s3
	@touch $@

dev-env: $(VENV)/.synced-dev

$(VENV)/.synced-bench: $(VENV)/.synced-dev
	$(UV) sync --locked --compile-bytecode --group dev --extra ray --extra s3 --extra bench
	@touch $@

bench-env: $(VENV)/.synced-bench

repro: env
	$(BIN)/dvc repro

ccnews: env
	@test -n "$(MONTH)" || { echo "usage: make ccnews MONTH=YYYY/MM [FIRST=N]"; exit 2; }
	$(BIN)/python -m pipeline.sources.listing $(CCNEWS_LISTINGS)/$(MONTH)/warc.paths.gz \
		--prefix $(CCNEWS_PREFIX) $(if $(FIRST),--first $(FIRST))
	$(BIN)/dvc repro

test: dev-env
	$(BIN)/pytest

# Everything but the tests marked e2e (those run the real dvc repro in a temporary git repo).
test-unit: dev-env
	$(BIN)/pytest -m "not e2e"

lint: dev-env
	$(BIN)/ruff check pipeline tests benchmarks
	$(BIN)/ruff format --check pipeline tests benchmarks
	$(BIN)/mypy

format: dev-env
	$(BIN)/ruff format pipeline tests benchmarks
	$(BIN)/ruff check --fix pipeline tests benchmarks

N ?= 1000
# make ccnews MONTH=2025/01 [FIRST=5]: that month of CC-NEWS (its first FIRST WARC files) as
# ingest.input_urls, then dvc repro. Over https by default; CCNEWS_PREFIX=s3://commoncrawl/
# reads S3 instead (AWS credentials and `uv sync --extra s3`).
CCNEWS_LISTINGS ?= https://data.commoncrawl.org/crawl-data/CC-NEWS
CCNEWS_PREFIX ?= https://data.commoncrawl.org/
SECONDS_FUZZ ?= 120

bench: bench-extract bench-sbd bench-pipeline

bench-extract: bench-env
	$(BIN)/python -m benchmarks.extraction

bench-sbd: bench-env
	$(BIN)/python -m benchmarks.sbd

# End-to-end docs/s, MB/s per core, peak RSS per stage. SIZES=1000,10000 CONFIGS=local2 reruns parts;
# REPEAT=3 runs each configuration 3 times, interleaved (median reported); CALIBRATION_TRIALS=0 skips
# the 2-process / 1-process CPU calibration around each run.
bench-pipeline: bench-env
	$(BIN)/python -m benchmarks.end_to_end $(if $(SIZES),--sizes $(SIZES)) $(if $(CONFIGS),--configs $(CONFIGS)) \
		$(if $(BASELINE_SIZES),--baseline-sizes $(BASELINE_SIZES)) \
		$(if $(REPEAT),--repeat $(REPEAT)) $(if $(CALIBRATION_TRIALS),--calibration-trials $(CALIBRATION_TRIALS))

# Where the CPU of each stage goes: every stage under cProfile on the N-page synthetic corpus
# (serial engine) -> reports/bench/profile.{json,md} (make bench-profile N=10000).
bench-profile: bench-env
	$(BIN)/python -m benchmarks.profile --size $(N)

# A synthetic corpus of N pages as HTML files and as WARC (make bench-data N=10000).
bench-data: env
	$(BIN)/python -m benchmarks.corpus $(N) data/bench/html-$(N)
	$(BIN)/python -m benchmarks.corpus $(N) data/bench/warc-$(N) --warc

# Bounded-time fuzzing of extraction, page types, cleaning and segmentation (not part of make test).
fuzz: dev-env
	$(BIN)/python -m benchmarks.fuzz --seconds $(SECONDS_FUZZ)

clean-env:
	rm -rf .uv $(VENV)
