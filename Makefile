# SCRM: `make run` to see the product, `make test` to check it. Everything else is a step of those two.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
PYTHON ?= python3
PORT ?= 8000
# PostgreSQL and Redis for this machine: the configured ones, the local servers, or private ones under var/.
SERVICES := $(PY) scripts/local_services.py run

.PHONY: run serve test install vendor lint migrations-check contracts pytest messages clean stop-services

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[dev,local]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/.copied: node_modules/.installed scripts/vendor.mjs
	node scripts/vendor.mjs
	touch $@

install: $(VENV)/.installed static/vendor/.copied

vendor: static/vendor/.copied

# Web (http://127.0.0.1:$(PORT)), Celery worker and beat together (honcho); writes .env on first use. Ctrl-C stops all,
# and the private PostgreSQL/Valkey too when this run started them.
run: install
	@mkdir -p var
	@$(SERVICES) --write-env --port $(PORT) -- $(MAKE) --no-print-directory serve PORT=$(PORT)

serve:
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	@echo "SCRM on http://127.0.0.1:$(PORT)  — sign in as ops / supervisor / agent / finance / viewer"
	$(VENV)/bin/honcho -f Procfile.dev start -p $(PORT)

lint: install
	$(VENV)/bin/ruff check .

migrations-check: install
	@DEBUG=true $(SERVICES) -- $(MANAGE) makemigrations --check --dry-run

contracts: install
	$(VENV)/bin/lint-imports

pytest: install
	@DEBUG=true $(SERVICES) -- $(VENV)/bin/pytest $(PYTEST_ARGS)

test: lint migrations-check contracts pytest

# Private PostgreSQL/Valkey under var/ left running (a killed `make run`).
stop-services: install
	$(PY) scripts/local_services.py stop

messages: install
	@DEBUG=true $(SERVICES) -- $(MANAGE) makemessages -l zh_Hans -l en --ignore=.venv --ignore=node_modules --ignore=static/vendor
	@DEBUG=true $(SERVICES) -- $(MANAGE) compilemessages --ignore=.venv

clean:
	rm -rf var static/vendor node_modules $(VENV)
