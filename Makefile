# SCRM: `make run` to see the product, `make test` to check it. Everything else is a step of those two.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
PYTHON ?= python3

.PHONY: run test install vendor lint migrations-check contracts pytest e2e messages clean

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/.copied: node_modules/.installed scripts/vendor.mjs
	node scripts/vendor.mjs
	touch $@

install: $(VENV)/.installed static/vendor/.copied

vendor: static/vendor/.copied

# Web, Celery worker and beat together (honcho); SQLite and a filesystem broker unless DATABASE_URL/REDIS_URL are set.
run: install
	@mkdir -p var
	DEBUG=true $(MANAGE) migrate --noinput
	DEBUG=true $(MANAGE) seed_demo
	@echo "SCRM on http://127.0.0.1:8000  — sign in as ops / supervisor / agent / finance / viewer"
	DEBUG=true $(VENV)/bin/honcho -f Procfile.dev start

lint: install
	$(VENV)/bin/ruff check .

migrations-check: install
	DEBUG=true $(MANAGE) makemigrations --check --dry-run

contracts: install
	$(VENV)/bin/lint-imports

pytest: install
	@eval "$$($(PY) scripts/service_env.py)" && DEBUG=true $(VENV)/bin/pytest $(PYTEST_ARGS)

test: lint migrations-check contracts pytest

messages: install
	DEBUG=true $(MANAGE) makemessages -l zh_Hans -l en --ignore=.venv --ignore=node_modules --ignore=static/vendor
	DEBUG=true $(MANAGE) compilemessages --ignore=.venv

clean:
	rm -rf var static/vendor node_modules $(VENV)
