# One command to set up and run the app, one to set up and run the tests (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run practice test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python app.py

practice: $(STAMP)
	$(BIN)/interviewer practice

test: lint $(STAMP)
	$(BIN)/python -m pytest -q

# Style, types and layering: ruff (lint everywhere, format on the package), mypy, the import contracts.
lint: $(STAMP)
	$(BIN)/ruff check interviewer tests bench app.py
	$(BIN)/ruff format --check interviewer app.py
	$(BIN)/mypy interviewer
	$(BIN)/lint-imports

# The quick loop while editing: no Chromium, no load run, no real processes (under a minute here).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not browser and not slow"

bench: $(STAMP)
	$(BIN)/python bench/bank_load.py
	bash bench/grader_quality.sh
	$(BIN)/python bench/llm_overhead.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/concurrency.py

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
