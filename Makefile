# The two commands of the README: `make run` and `make test`. Everything else serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
# The situation picture's map assets, from the npm registry (package-lock.json), copied
# into the folder the app serves; git ignores both node_modules/ and that folder.
VENDOR := src/collsec/web/static/vendor
VENDOR_STAMP := $(VENDOR)/.installed
NPM ?= npm
# MISP's converter (misp-stix) for the interoperability test, in a venv of its own: it pins
# pycountry<25 and collsec pins 26.x (requirements/misp.txt).
MISP_VENV := .venv-misp
MISP_STAMP := $(MISP_VENV)/.installed

.PHONY: run test install install-test lint browser clean assets bench

run: $(RUN_STAMP) $(VENDOR_STAMP)
	$(BIN)/collsec serve

test: $(TEST_STAMP) $(VENDOR_STAMP) $(MISP_STAMP) browser
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_ARGS)

install: $(RUN_STAMP) $(VENDOR_STAMP)
install-test: $(TEST_STAMP)
assets: $(VENDOR_STAMP)
.PHONY: misp
misp: $(MISP_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): $(BIN)/python requirements/run.txt pyproject.toml
	$(BIN)/pip install --disable-pip-version-check -q -r requirements/run.txt
	$(BIN)/pip install --disable-pip-version-check -q --no-deps -e .
	touch $@

$(TEST_STAMP): $(RUN_STAMP) requirements/test.txt
	$(BIN)/pip install --disable-pip-version-check -q -r requirements/test.txt
	touch $@

$(MISP_STAMP): requirements/misp.txt
	rm -rf $(MISP_VENV)
	$(PYTHON) -m venv $(MISP_VENV)
	$(MISP_VENV)/bin/pip install --disable-pip-version-check -q -r requirements/misp.txt
	touch $@

# Exactly the files the map page loads: Leaflet, topojson-client and Natural Earth's 50m
# country boundaries (world-atlas), with their licences. The server clusters the markers.
$(VENDOR_STAMP): package.json package-lock.json
	@command -v $(NPM) >/dev/null || { echo "error: npm is missing; install Debian's nodejs and npm (apt-get install nodejs npm)"; exit 1; }
	$(NPM) ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/images $(VENDOR)/licenses
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css $(VENDOR)/
	cp node_modules/leaflet/dist/images/*.png $(VENDOR)/images/
	cp node_modules/topojson-client/dist/topojson-client.min.js $(VENDOR)/
	cp node_modules/world-atlas/countries-50m.json $(VENDOR)/
	cp node_modules/leaflet/LICENSE $(VENDOR)/licenses/leaflet.txt
	cp node_modules/topojson-client/LICENSE $(VENDOR)/licenses/topojson-client.txt
	cp node_modules/world-atlas/LICENSE $(VENDOR)/licenses/world-atlas.txt
	touch $@

# Benchmarks against a baseline measured in the same run (benchmarks/README.md); figures go to
# docs/performance.md. PostgreSQL runs too when BENCH_PG names a cluster that answers.
BENCH_PG ?= postgresql://collsec@127.0.0.1:55433/collsec
bench: $(TEST_STAMP)  # medallion and stix2, the baselines, are test requirements
	$(BIN)/python -m benchmarks.incidents --db sqlite $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.journal_verify
	$(BIN)/python -m benchmarks.bulk_import --db sqlite
	$(BIN)/python -m benchmarks.situation_map --db sqlite
	$(BIN)/python -m benchmarks.stix_export
	$(BIN)/python -m benchmarks.stix_import --db sqlite
	$(BIN)/python -m benchmarks.taxii_medallion
	$(BIN)/python -m benchmarks.report_search
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()" "$(BENCH_PG)" 2>/dev/null; then \
	  $(BIN)/python -m benchmarks.incidents --db postgresql --url "$(BENCH_PG)" $(BENCH_ARGS); \
	  $(BIN)/python -m benchmarks.bulk_import --db postgresql --url "$(BENCH_PG)"; \
	  $(BIN)/python -m benchmarks.situation_map --db postgresql --url "$(BENCH_PG)"; \
	  $(BIN)/python -m benchmarks.stix_import --db postgresql --url "$(BENCH_PG)"; \
	  $(BIN)/python -m benchmarks.taxii_medallion --db postgresql --url "$(BENCH_PG)"; \
	  $(BIN)/python -m benchmarks.report_search --db postgresql --url "$(BENCH_PG)" --reports 200000; \
	else echo "note: no PostgreSQL at $(BENCH_PG); set BENCH_PG to benchmark it"; fi

# Browser tests drive Debian's Chromium; install it when we may (root with apt), else say so.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) >/dev/null; \
	  else echo "note: /usr/bin/chromium is missing; browser tests will be skipped"; fi; \
	fi

clean:
	rm -rf $(VENV) $(MISP_VENV) var node_modules $(VENDOR)
