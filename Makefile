# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
E2E_TOOLS = tests/e2e/node_modules/.package-lock.json

.PHONY: demo test install browser

$(BIN)/participa: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

# axe-core and the Nu HTML Checker for the browser quality gates.
$(E2E_TOOLS): tests/e2e/package.json tests/e2e/package-lock.json
	npm ci --prefix tests/e2e --silent --no-audit --no-fund
	touch $@

# The browser tests drive Debian's Chromium; install it when we may.
browser:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && apt-get install -y -qq chromium fonts-dejavu-core >/dev/null) ; } || \
	  echo "warning: /usr/bin/chromium is missing; install it (apt-get install chromium) for the browser tests"

install: $(BIN)/participa

# Set up, migrate, create the demo organization and serve it at http://localhost:8000/
demo: install
	$(BIN)/participa demo

# SQLite by default; PARTICIPA_TEST_DATABASE_URL=postgresql+asyncpg://... runs on PostgreSQL.
test: install $(E2E_TOOLS) browser
	$(BIN)/pytest -n auto $(PYTEST_ARGS)
