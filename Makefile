# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test install

$(BIN)/participa: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(BIN)/participa

# Set up, migrate, create the demo organization and serve it at http://localhost:8000/
demo: install
	$(BIN)/participa demo

# SQLite by default; PARTICIPA_TEST_DATABASE_URL=postgresql+asyncpg://... runs on PostgreSQL.
test: install
	$(BIN)/pytest -n auto $(PYTEST_ARGS)
