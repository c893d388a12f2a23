# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The IRIs the hub mints follow where `make run` serves them (PORT=8501 make run mints http://127.0.0.1:8501/…),
# unless MUTUALISONS_BASE_IRI is set (behind a proxy or a name). A data folder keeps the base it was created with.
MINT_HOST := $(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST))
# Only for what harvests and serves: the tests mint their own IRIs and must not inherit this one.
harvest run: export MUTUALISONS_BASE_IRI ?= http://$(MINT_HOST):$(PORT)/

.PHONY: run test test-remote lint bench harvest clean browser ldes-client virtuoso

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install whenever pyproject.toml changes (the stamp name carries its hash).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

harvest: $(STAMP)
	$(BIN)/mutualisons harvest

run: harvest
	$(BIN)/mutualisons serve --host $(HOST) --port $(PORT)

test: $(STAMP) browser virtuoso ldes-client
	$(BIN)/python -m pytest

# The gateway and SPARQL suites again with the hub's store on an Oxigraph server the tests start on loopback
# (docs/stores.md); `make test` already runs the store contract and tests/test_remote_store.py on it.
test-remote: $(STAMP)
	HUB_TEST_STORE=oxigraph-server $(BIN)/python -m pytest tests/test_gateway.py tests/test_api.py \
	  tests/test_sparql_endpoint.py tests/test_named_queries.py tests/test_query_limits.py tests/test_sparql_guard.py

# The browser tests drive Debian's Chromium (Playwright never downloads a browser). Installed only when
# missing, and only where apt-get runs as root; elsewhere the browser tests skip and say why.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "make: chromium could not be installed; the browser tests will skip"; \
	  else echo "make: /usr/bin/chromium is missing and apt-get is not available as root; the browser tests will skip"; fi; \
	fi

# The LDES client the event stream is tested with (tests/test_ldes_client.py): ldes-client 0.3.0 from npm, pinned by
# tools/ldes/package-lock.json, installed only where npm exists; elsewhere those tests skip and say why.
ldes-client:
	@if command -v npm >/dev/null 2>&1; then \
	  (cd tools/ldes && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
	    || echo "make: ldes-client could not be installed in tools/ldes; the LDES client tests will skip"; \
	else echo "make: npm is missing; the LDES client tests will skip"; fi

# The store contract runs on Virtuoso open source too (tests start it by hand on loopback ports). Installed only
# when missing, and only where apt-get runs as root; elsewhere those tests skip and say why.
virtuoso:
	@if [ ! -x /usr/bin/virtuoso-t ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      virtuoso-opensource >/dev/null) \
	      || echo "make: virtuoso-opensource could not be installed; the Virtuoso store tests will skip"; \
	  else echo "make: /usr/bin/virtuoso-t is missing and apt-get is not available as root; the Virtuoso store tests will skip"; fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check hub harvesters tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf data $(VENV) test-artefacts tools/ldes/node_modules
