# The README's two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test test-wordpress bench-real clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/aggregator demo --db demo.sqlite

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

# The crawls of a real WordPress site alone: starts it, runs tests/test_wordpress.py, stops it.
test-wordpress: $(VENV)/.installed
	tests/wordpress/with-site.sh $(BIN)/python -m pytest -q tests/test_wordpress.py

bench-real: $(VENV)/.installed
	$(BIN)/python bench/real_pages.py --corpus ../shared/corpus

clean:
	rm -rf $(VENV) demo.sqlite demo.sqlite-wal demo.sqlite-shm
