# Two commands on a fresh machine:  make book   (build out/)   and   make test   (run every test)
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ACE    := .ace/node_modules/@daisy/ace/package.json

.PHONY: book test typecheck setup bench clean typo

$(STAMP): pyproject.toml tools/setup-system
	bash tools/setup-system
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# DAISY Ace (npm, pinned in tools/ace) into .ace/: the tests run it on every EPUB they build
$(ACE): tools/ace $(STAMP)
	bash tools/ace --install
	touch $(ACE)

setup: $(STAMP) $(ACE)

book: $(STAMP)
	$(PY) -m compiler book.yaml

test: $(STAMP) $(ACE)
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
