# One venv for everything; created from the pinned constraints so every machine gets the same set.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint venv clean simulate

# The product and, beside it, the sandbox distribution (simulators and demo; not shipped with the product).
$(STAMP): pyproject.toml sandbox/pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -c constraints.txt -e ".[test]" -e ./sandbox
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/ml-connector demo

simulate: $(STAMP)
	$(BIN)/ml-connector simulate --basware-port 8081 --ifs-port 8082

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# ruff (style and bugs), mypy (strict on the layers without Airflow), import-linter (the layers).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache
