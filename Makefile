# One task runner. `make run` and `make test` do their whole set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
AXE_VERSION := 4.14.1
AXE := .deps-npm/node_modules/axe-core/axe.min.js

.PHONY: run test lint unit browser bench sample system-deps clean

# Runtime packages, reinstalled only when requirements.txt changes.
$(VENV)/.stamp-run: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

# Test packages on top, reinstalled only when either requirements file changes.
$(VENV)/.stamp-dev: requirements.txt requirements-dev.txt $(VENV)/.stamp-run
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# axe-core for the accessibility audit of every page (npm registry, pinned).
$(AXE):
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js (apt-get install -y nodejs npm)"; exit 1; }
	npm install --silent --no-audit --no-fund --prefix .deps-npm axe-core@$(AXE_VERSION)

system-deps:
	@bash .ci/system-deps.sh

run: $(VENV)/.stamp-run
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.address localhost

lint: $(VENV)/.stamp-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check lib pages app.py tests sample_data benchmarks

# A throwaway PostgreSQL cluster serves the store tests (the same module runs on SQLite and on it);
# it is stopped and removed however the tests end.
test: $(VENV)/.stamp-dev system-deps $(AXE) lint
	@pg=$$(bash .ci/postgres.sh start) || exit 1; eval "$$pg"; trap 'bash .ci/postgres.sh stop "$$VIGIE_TEST_POSTGRES_DIR"' EXIT; \
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

# Fast loop without the browser.
unit: $(VENV)/.stamp-dev
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

bench: $(VENV)/.stamp-dev
	$(PY) benchmarks/bench.py

# Regenerate the committed sample organisation (deterministic: same seed, same bytes).
sample: $(VENV)/.stamp-run
	$(PY) sample_data/generate.py

clean:
	rm -rf $(VENV) .deps-npm .pytest_cache .ruff_cache
