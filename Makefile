# Lontar: `make run` starts everything, `make test` runs every test. Both set up .venv themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SERVICES := identity invoice filing payment notification
PACKAGES := libs/contracts libs/kit libs/devstack libs/sandbox $(addprefix services/,$(SERVICES))
EXTRAS   := libs/kit[testing]
TOOLS    := ruff import-linter
SOURCES  := Makefile constraints.txt $(foreach p,$(PACKAGES),$(p)/pyproject.toml)

.PHONY: install lint run reset test test-unit test-e2e fuzz bench dlq contracts-snapshot clean

install: $(STAMP)

$(STAMP): $(SOURCES)
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt $(foreach p,$(PACKAGES),-e $(p)) -e "$(EXTRAS)" $(TOOLS)
	@touch $@

run: install  ## start PostgreSQL, the broker and the five services; Ctrl-C stops everything
	$(PY) -m devstack run

reset: install  ## wipe local data (the stack must be stopped)
	$(PY) -m devstack reset

lint: install  ## ruff (bugs, imports, modern syntax) and import-linter (the arrows between packages and layers)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

test: install lint  ## lint, then every test: unit, service (real PostgreSQL), messaging (real broker), end to end
	$(PY) -m pytest

test-unit: install
	$(PY) -m pytest -m "not slow" libs services/*/tests/unit

test-e2e: install
	$(PY) -m pytest tests

fuzz: install  ## the long fuzz profile (not in CI): coverage and stateful phases, 300 examples; figures in fuzz-report/deep
	LONTAR_FUZZ=deep $(PY) -m pytest tests/test_fuzz.py -s -q

bench: install  ## benchmarks (not in CI): the event bus, then the services' figures; prints tables
	-$(PY) -m bench  # exits 1 when a target is missed; the services' table still runs
	$(PY) -m bench.services

contracts-snapshot: install  ## rewrite JSON Schema snapshots after an additive contract change
	$(PY) -m contracts.snapshots

clean:
	rm -rf $(VENV)
