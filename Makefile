# The README's two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test bench-real clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/aggregator demo --db demo.sqlite

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

bench-real: $(VENV)/.installed
	$(BIN)/python bench/real_pages.py --corpus ../shared/corpus

clean:
	rm -rf $(VENV) demo.sqlite demo.sqlite-wal demo.sqlite-shm
