# Xobito tickets — the two commands a newcomer needs:
#   make run    install, migrate, seed the demo workspace, serve on http://localhost:3000
#   make test   install (plus Chromium), then unit and browser tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BUN := .tools/node_modules/.bin/bun
export PATH := $(CURDIR)/.tools/node_modules/.bin:$(CURDIR)/$(BIN):$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false

.PHONY: run test lint unit e2e bench install chromium clean

run: install
	$(BIN)/xobito migrate
	$(BIN)/xobito seed-demo
	$(BIN)/xobito serve

test: install chromium lint
	$(BIN)/pytest

# Lint, format and type checks (ruff and mypy, configured in pyproject.toml); part of `make test`.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

unit: install
	$(BIN)/pytest tests/unit

e2e: install chromium
	$(BIN)/pytest tests/e2e

# Benchmarks print figures and write JSON to bench/results/; they are not tests.
bench: install chromium
	$(BIN)/python -m bench.list_queries --sizes 10000,100000,1000000 --databases sqlite,postgresql
	$(BIN)/python -m bench.live_latency --redis
	$(BIN)/python -m bench.browser_timings
	$(BIN)/python -m bench.concurrency
	$(BIN)/python -m bench.uploads
	$(BIN)/python -m bench.api_throughput
	$(BIN)/python -m bench.event_stalls

install: $(VENV)/.installed $(BUN)

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# Reflex's own bun installer downloads from the web; bun from the npm registry works offline.
$(BUN): .tools/package.json .tools/package-lock.json
	npm ci --prefix .tools --no-audit --no-fund --loglevel=error
	test -x $(BUN) && touch $(BUN)

# Debian's Chromium for the browser tests (Playwright's own browser download is not reachable).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium (needs root)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

clean:
	rm -rf $(VENV) .tools/node_modules .web .web-test .web.lock .web-test.lock
