# The two commands a newcomer needs: `make run` and `make test`. Everything else is detail.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run

.PHONY: run test stop lint typecheck bootstrap clean demo-password

# Two installs: what the running product needs (`make run`), and on top of it the test, lint and
# type-checking tools (`make test`). Each is skipped while its requirement files are unchanged.
$(RUN_STAMP): requirements/base.txt requirements/prod.txt requirements/run.txt scripts/install.sh
	@sh scripts/install.sh "$(PYTHON)" requirements/run.txt
	@touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP) requirements/dev.txt
	@sh scripts/install.sh "$(PYTHON)" requirements/dev.txt
	@touch $(STAMP)

bootstrap: $(STAMP)

## Start PostgreSQL/Redis if needed, migrate, create the demo tenant, run web + worker + beat.
run: $(RUN_STAMP)
	$(BIN)/python scripts/dev.py run

## Give the demo workspace's owner a new password and print it (the old one stops working).
demo-password: $(RUN_STAMP)
	$(BIN)/python scripts/dev.py demo-password

## The run bootstrap plus the test tools, then ruff, mypy and the whole test suite with coverage.
test: $(STAMP)
	$(BIN)/python scripts/dev.py test

## Stop the embedded PostgreSQL and Redis that `make run` may have started under var/.
stop: $(RUN_STAMP)
	$(BIN)/python scripts/dev.py stop

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/python scripts/dev.py typecheck

clean:
	rm -rf $(VENV) var/staticfiles .coverage
