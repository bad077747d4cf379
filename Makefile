# PneumoLab: `make run` starts the dashboard, `make test` runs the whole suite.
# The virtual environment is (re)built when it is missing or a requirements file changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test clean-venv

run: $(VENV)/.installed-run
	$(BIN)/streamlit run dashboard/Home.py --server.port $(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

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
