# One entry point. `make run` serves the demo; `make test` runs every test on PostgreSQL.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PY := $(UV) run --frozen python
DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cep
export UV_PYTHON := 3.11

.PHONY: run test lint bench screenshots install demo serve format browser

$(UV):
	python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

install: $(UV)
	$(UV) sync --frozen

run: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py generate_demo --beneficiaries 2000 --if-empty
	$(PY) manage.py demo_batches --no-progress
	$(PY) manage.py refresh_indicators --no-progress
	$(PY) manage.py demo_accounts
	@# The background worker (monthly files, indicator refreshes) runs beside the server and stops with it.
	@$(PY) manage.py db_worker --no-reload --interval 1 -v 0 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver 127.0.0.1:8000

# Browser tests drive Debian's chromium (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || { echo "Installez chromium (apt-get install chromium)"; exit 1; }

test: install browser
	DATABASE_URL=$(DATABASE_URL) $(UV) run --frozen pytest $(PYTEST_ARGS)

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

format: install
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

bench: install
	DATABASE_URL=$(DATABASE_URL) $(PY) bench/run.py

screenshots: install
	DATABASE_URL=$(DATABASE_URL) $(UV) run --frozen pytest -p no:randomly tests/web/test_journey.py tests/web/test_manager_browser.py tests/reporting/indicators/test_dashboard_browser.py tests/reporting/exports/test_exports_browser.py
