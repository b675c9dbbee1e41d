# OpenSPC: `make demo` and `make test` are all a new user needs (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_DIRS := $(wildcard openspc plugins tests benchmarks)
PLUGIN_DIRS := $(sort $(dir $(wildcard plugins/*/*/pyproject.toml)))
STAMP := $(VENV)/.installed
DEMO_DIR ?= data/demo
DEMO_PORT ?= 8000
DEMO_MQTT_PORT ?= 1884

.PHONY: help install system-deps demo test lint typecheck pytest bench frontend frontend-check clean
NPM_STAMP := frontend/node_modules/.installed

help:
	@echo "make demo   install what is missing, build the UI, run a demo plant with live data"
	@echo "make test   install what is missing and run every check and test"
	@echo "make bench  run the benchmarks (JSON on stdout)"

# --- installation (idempotent) ----------------------------------------------------------

system-deps:
	@missing=""; \
	command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || missing="$$missing mosquitto"; \
	command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages:$$missing -- run: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi

$(STAMP): pyproject.toml $(addsuffix pyproject.toml,$(PLUGIN_DIRS)) | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]' $(addprefix -e ,$(PLUGIN_DIRS))
	touch $(STAMP)

install: system-deps $(STAMP)

# --- web app (built into openspc/web, served by `openspc serve`) -----------------------

$(NPM_STAMP): frontend/package.json frontend/package-lock.json | system-deps
	cd frontend && npm ci --no-audit --no-fund
	touch $(NPM_STAMP)

frontend: $(NPM_STAMP)
	cd frontend && npm run build

frontend-check: $(NPM_STAMP)
	cd frontend && npm run typecheck && npm run lint && npm test

# --- checks -----------------------------------------------------------------------------

lint: install
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/ruff format --check $(PY_DIRS)

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/python -m pytest

# The end-to-end tests (tests/e2e, real Chromium) run against the freshly built web app.
test: lint typecheck frontend-check frontend pytest

# Each benchmark starts on a quiet machine: the previous one's writes flushed, a pause.
bench: install
	@for b in benchmarks/[!_]*.py; do echo "== $$b" >&2; sync; sleep 5; $(BIN)/python $$b || exit 1; done

# --- demo -------------------------------------------------------------------------------

demo: install frontend
	OPENSPC_DATABASE_URL=sqlite:///$(DEMO_DIR)/openspc.db $(BIN)/python -m openspc.demo \
	  --dir $(DEMO_DIR) --port $(DEMO_PORT) --mqtt-port $(DEMO_MQTT_PORT)

clean:
	rm -rf $(VENV) data build openspc/web frontend/dist frontend/node_modules
