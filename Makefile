# make run  — set up everything and serve the demo on http://127.0.0.1:5000
# make test — the whole suite (SQLite; again on PostgreSQL when TEST_DATABASE_URL is set)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
TEST_WORKERS ?= 2
export FLASK_APP := wsgi

.PHONY: run test install translations migrate demo lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.deps: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV)/.deps translations

translations: $(VENV)/.deps
	@$(BIN)/pybabel compile -d translations > /dev/null

migrate: install
	$(BIN)/flask db upgrade

run: migrate
	@if [ ! -f instance/.demo-loaded ]; then \
		$(BIN)/flask demo load && touch instance/.demo-loaded; \
	else $(BIN)/flask demo logins; fi
	@echo "正在启动：http://$(HOST):$(PORT)  （Ctrl+C 停止）"
	$(BIN)/gunicorn --workers 1 --threads 8 --bind $(HOST):$(PORT) --access-logfile - wsgi:app

test: install
	env -u TEST_DATABASE_URL $(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL: $$TEST_DATABASE_URL =="; \
		$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS); \
	fi

lint: install
	$(BIN)/ruff check app tests bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
