# The two commands a newcomer needs: `make run` and `make test`. Everything else is detail.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test stop lint typecheck bootstrap clean

$(STAMP): requirements/base.txt requirements/prod.txt requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	touch $(STAMP)

bootstrap: $(STAMP)

## Start PostgreSQL/Redis if needed, migrate, create the demo tenant, run web + worker + beat.
run: $(STAMP)
	$(BIN)/python scripts/dev.py run

## Same bootstrap, then ruff, mypy and the whole test suite with coverage.
test: $(STAMP)
	$(BIN)/python scripts/dev.py test

## Stop the embedded PostgreSQL and Redis that `make run` may have started under var/.
stop: $(STAMP)
	$(BIN)/python scripts/dev.py stop

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/python scripts/dev.py typecheck

clean:
	rm -rf $(VENV) var/staticfiles .coverage
