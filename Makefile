# CloserHub — the two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
export FLASK_APP := wsgi

.PHONY: run test lint venv dev-venv lock migrate seed worker web clean translations translations-extract

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Two locked sets (pip-compile --generate-hashes from pyproject.toml; `make lock` refreshes them):
# requirements.txt serves the app (`make run`), requirements-dev.txt adds tests and tooling.
$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	@touch $(STAMP)

$(DEV_STAMP): requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	@touch $(STAMP) $(DEV_STAMP)

venv: $(STAMP)

dev-venv: $(DEV_STAMP)

# After changing dependencies in pyproject.toml: re-resolve both lock files (PyPI only, with hashes).
LOCK := $(BIN)/pip-compile --quiet --pip-args "--isolated" --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock: $(DEV_STAMP)
	$(LOCK) -o requirements.txt pyproject.toml
	$(LOCK) --extra dev -o requirements-dev.txt pyproject.toml

translations: $(STAMP)
	$(BIN)/pybabel -q compile -d translations

# After changing user-facing text: refresh the catalog template and the French catalog (then translate).
# No source locations, sorted by message: parallel branches that add texts merge without conflicts.
translations-extract: $(DEV_STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k N_ --no-location --sort-output --omit-header --ignore-dirs='.* _* instance bench tests migrations' -o translations/messages.pot .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --ignore-pot-creation-date --ignore-obsolete
	$(BIN)/python translations/tidy.py translations/fr/LC_MESSAGES/messages.po

migrate: venv translations
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask seed-demo

# Serve on http://127.0.0.1:5000 and run the worker beside it; Ctrl-C stops both.
run: seed
	@echo "CloserHub on http://127.0.0.1:5000 (worker running alongside; Ctrl-C to stop)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/flask worker & \
	  $(BIN)/gunicorn --bind 127.0.0.1:5000 --workers 2 --access-logfile - wsgi:app

# The whole suite on SQLite; again on PostgreSQL when TEST_DATABASE_URL is set.
test: dev-venv translations
	@echo "== pytest on SQLite (2 processes, each its own database) =="
	$(BIN)/python -m pytest -q -n 2
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== pytest on PostgreSQL ($$TEST_DATABASE_URL; 2 processes, each its own database) =="; \
	  CLOSERHUB_TEST_DB_URL="$$TEST_DATABASE_URL" $(BIN)/python -m pytest -q -n 2 tests/integration tests/e2e; \
	fi

lint: dev-venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) instance/*.sqlite* .pytest_cache
