# The two commands of the README: `make run` and `make test`. Everything else serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test install install-test lint browser clean

run: $(RUN_STAMP)
	$(BIN)/collsec serve

test: $(TEST_STAMP) browser
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_ARGS)

install: $(RUN_STAMP)
install-test: $(TEST_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): $(BIN)/python requirements/run.txt pyproject.toml
	$(BIN)/pip install --disable-pip-version-check -q -r requirements/run.txt
	$(BIN)/pip install --disable-pip-version-check -q --no-deps -e .
	touch $@

$(TEST_STAMP): $(RUN_STAMP) requirements/test.txt
	$(BIN)/pip install --disable-pip-version-check -q -r requirements/test.txt
	touch $@

# Browser tests drive Debian's Chromium; install it when we may (root with apt), else say so.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) >/dev/null; \
	  else echo "note: /usr/bin/chromium is missing; browser tests will be skipped"; fi; \
	fi

clean:
	rm -rf $(VENV) var
