# Two commands on a fresh machine:  make book   (build out/)   and   make test   (run every test)
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: book test typecheck setup bench clean typo

$(STAMP): pyproject.toml tools/setup-system
	bash tools/setup-system
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

book: $(STAMP)
	$(PY) -m compiler book.yaml

test: $(STAMP)
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -n 2 --dist loadfile

# The typography audit of a built PDF (default: the book's): make typo [PDF=out/other.pdf]
PDF ?= out/slavery-is-not-dead.pdf
typo: $(STAMP)
	$(PY) -m compiler.typo_audit $(PDF)

typecheck: $(STAMP)
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf out
