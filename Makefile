# Ketacare: `make run` serves the demo clinic; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The server and the links it e-mails read the same port.
export PORT
DEMO_PATIENTS ?= 200
PIP := $(BIN)/python -m pip -q --disable-pip-version-check
export PIP_NO_INPUT := 1

.PHONY: run test test-sqlite test-postgres lint bench demo clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e . 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import ketacare, django"
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install -e ".[test]" 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import pytest, playwright, hypothesis"
	touch $@

run: $(VENV)/.installed
	$(BIN)/ketacare migrate --noinput -v 0
	$(BIN)/ketacare demo --if-empty --patients $(DEMO_PATIENTS) --seed 1
	@echo "Ketacare is starting on http://127.0.0.1:$(PORT)/"
	$(BIN)/ketacare runserver 127.0.0.1:$(PORT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check ketacare tests bench
	$(BIN)/lint-imports --no-cache

test: $(VENV)/.installed-test
	bash scripts/system-deps.sh
	$(MAKE) lint
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite: $(VENV)/.installed-test
	KETACARE_ENV=test $(BIN)/pytest -n 2 -p no:cacheprovider

test-postgres: $(VENV)/.installed-test
	KETACARE_ENV=test bash scripts/with-postgres.sh $(BIN)/pytest -n 2 -p no:cacheprovider

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var staticfiles
