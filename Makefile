# farpoint — the two commands that matter: `make demo` and `make test`.
SHELL := /bin/bash
VENV_BIN := .venv/bin
PY := $(VENV_BIN)/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup demo test test-cold test-unit test-integration up down infra-up infra-down \
        chart-check chart-tools lint proto proto-check eval bench clean images

help:
	@echo "make setup        create/refresh this checkout's .venv (uv; numba cache warmed)"
	@echo "make demo         set up, then pick 12 frames from a real street video; prints the report path"
	@echo "make test         set up, install test deps, start Kafka + S3 (or reuse), run all tests, stop what it started"
	@echo "make test-cold    make test in a fresh clone with empty caches, on other ports (slow; CI)"
	@echo "make up / down    start / stop local Kafka (KRaft) + S3 (SeaweedFS) + every service"
	@echo "make infra-up     only the Kafka and S3 servers (infra-down stops them)"
	@echo "make chart-check  lint, render and validate the Helm chart"
	@echo "make lint         ruff + mypy"
	@echo "make proto        regenerate protobuf code from proto/"
	@echo "make eval         the quality evaluation (docs/quality.md)"
	@echo "make bench        the benchmarks (docs/performance.md)"
	@echo "make images       build the container images with buildah (no Docker) and smoke-test them"

setup:
	@bash scripts/setup.sh

demo: setup
	@bash scripts/demo.sh

test: setup
	@bash scripts/test.sh

test-cold:
	@bash scripts/test-cold.sh

test-unit: setup
	$(PY) -m pytest tests/unit -q

infra-up: setup
	@bash infra/up.sh

infra-down:
	@bash infra/down.sh

up: infra-up
	@bash scripts/services.sh up

down:
	@bash scripts/services.sh down || true
	@bash infra/down.sh

chart-tools:
	@bash scripts/deps/chart-tools.sh

chart-check: setup chart-tools
	@bash scripts/chart-check.sh

lint: setup
	$(VENV_BIN)/ruff check shared services tests bench
	$(VENV_BIN)/mypy shared/farpoint services

proto: setup
	@bash scripts/proto.sh

eval: setup
	$(VENV_BIN)/farpoint eval

bench: setup
	@bash bench/run.sh

images: infra-up  # the smoke test runs the image against the local Kafka, S3 and PostgreSQL
	@bash scripts/images.sh

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache build *.egg-info shared/*.egg-info
