# One entry point. `make run` serves the demo as its users see it (config.settings.demo: no debug page, French
# error pages); `make dev` serves the same demo with Django's debug pages (config.settings.dev); `make test` runs
# every test. Both on PostgreSQL: DATABASE_URL when
# it is set, otherwise the embedded server of the checkout (var/postgres), started and stopped with the command.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PY := $(UV) run --frozen python
WITH_DB := $(PY) -m config.embedded --
export UV_PYTHON := 3.11

.PHONY: run dev test smoke lint bench mutation screenshots install demo serve format browser poppler

$(UV):
	python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

install: $(UV)
	$(UV) sync --frozen

run: install
	@mkdir -p var
	@$(PY) -m config.embedded --roles -- $(MAKE) --no-print-directory demo

# For developers: the same demo with Django's debug pages (DEBUG on).
dev: install
	@mkdir -p var
	@$(PY) -m config.embedded --roles -- $(MAKE) --no-print-directory demo DEMO_SETTINGS=config.settings.dev

# The demo itself, on the database that `run` provides, under DEMO_SETTINGS: the migrations and the demo loader as
# the owner role (DATABASE_OWNER_URL), the rest, the server and the worker as the application role (DATABASE_URL,
# DML only). Without DATABASE_OWNER_URL, everything runs as DATABASE_URL.
AS_OWNER := DATABASE_URL="$${DATABASE_OWNER_URL:-$$DATABASE_URL}"
DEMO_SETTINGS ?= config.settings.demo
demo: export DJANGO_SETTINGS_MODULE = $(DEMO_SETTINGS)
demo:
	$(AS_OWNER) $(PY) manage.py migrate --noinput
	$(AS_OWNER) $(PY) manage.py generate_demo --beneficiaries 2000 --if-empty
	$(PY) manage.py demo_batches --no-progress
	$(PY) manage.py refresh_indicators --no-progress
	$(PY) manage.py demo_accounts
	@$(PY) manage.py demo_appointments -v 0
	@$(PY) manage.py demo_monitoring -v 0
	@$(PY) manage.py demo_orientations -v 0
	@# The background worker (monthly files, indicator refreshes) runs beside the server and stops with it.
	@$(PY) manage.py db_worker --no-reload --interval 1 -v 0 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver 127.0.0.1:8000

# Browser tests drive Debian's chromium (never a downloaded browser build).
browser:
	@{ command -v chromium >/dev/null 2>&1 && dpkg -s chromium-l10n >/dev/null 2>&1; } || \
	  { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq chromium chromium-l10n >/dev/null; } || \
	  { echo "Installez chromium et chromium-l10n (apt-get install chromium chromium-l10n)"; exit 1; }

# The guides' images of PDF pages (the regional report, the documents given to the person) are drawn by pdftoppm.
poppler:
	@command -v pdftoppm >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq poppler-utils >/dev/null; } || \
	  { echo "pdftoppm est introuvable : installez poppler-utils (apt-get install poppler-utils)"; exit 1; }

test: install browser poppler
	@mkdir -p var
	$(WITH_DB) $(UV) run --frozen pytest $(PYTEST_ARGS)

# The smoke subset: migrations, the lifecycle rules, one monthly file, one dashboard (CI runs it on the embedded
# server, beside the full suite on the machine's PostgreSQL 15).
smoke: install
	@mkdir -p var
	$(WITH_DB) $(UV) run --frozen pytest -m smoke

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

format: install
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

bench: install
	@mkdir -p var
	$(WITH_DB) $(PY) bench/run.py

# Mutation testing of the lifecycle core (bench/mutation.py): score and survivors in docs/benchmarks.md. Long (20 min
# to an hour on the shared machine): niced; one target with MUTATION_ARGS="--file cep/common/access.py".
mutation: install
	@mkdir -p var
	$(WITH_DB) nice -n 10 $(PY) bench/mutation.py $(MUTATION_ARGS)

screenshots: install browser poppler
	@mkdir -p var
	$(PY) scripts/document_samples.py
	$(WITH_DB) $(UV) run --frozen pytest -p no:randomly tests/web/test_journey.py tests/web/test_appointments_browser.py tests/web/test_manager_browser.py tests/reporting/indicators/test_dashboard_browser.py tests/reporting/exports/test_exports_browser.py tests/monitoring/test_monitoring_browser.py tests/web/test_orientations_browser.py tests/imports/test_imports_browser.py
