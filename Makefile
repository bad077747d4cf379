# PneumoLab: `make run` starts the dashboard, `make test` runs the lint checks and the whole suite
# (browser tests included), `make test-fast` the unit tests (no browser, no training, no AppTest
# page runs, no framework CLIs in child processes: under 3 minutes on 2 cores), `make lint` the
# checks alone, `make screenshots` runs the browser tests and renews the README's
# docs/screenshots/, `make lock` recompiles requirements.lock.
# The virtual environment is (re)built from requirements.lock when it is missing or the lock
# changed, and the project itself is installed into it in editable mode (`pip install -e .`).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test test-fast lint screenshots lock clean-venv

run: $(VENV)/.installed
	$(BIN)/streamlit run dashboard/Home.py --server.port $(PORT)

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest -m "not slow and not browser and not app" $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

screenshots: $(VENV)/.installed
	PNEUMOLAB_UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

# Recompile the lock from the pins in requirements.txt and requirements-dev.txt (needs PyPI).
lock: $(VENV)/.created
	$(BIN)/python -m pip install --quiet pip-tools==7.6.2
	$(BIN)/pip-compile --quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock requirements-dev.txt

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.installed: requirements.lock pyproject.toml $(VENV)/.created
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

clean-venv:
	rm -rf $(VENV)
