# PneumoLab: `make run` starts the dashboard, `make test` runs the whole suite (browser tests included),
# `make screenshots` runs the browser tests and renews the README's docs/screenshots/.
# The virtual environment is (re)built when it is missing or a requirements file changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test screenshots clean-venv

run: $(VENV)/.installed-run
	$(BIN)/streamlit run dashboard/Home.py --server.port $(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

screenshots: $(VENV)/.installed-dev
	PNEUMOLAB_UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.installed-run: requirements.txt $(VENV)/.created
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed-run
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

clean-venv:
	rm -rf $(VENV)
