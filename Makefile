# The two commands of README.rst:  `make demo`  and  `make test`;  `make check` is the quick one.
# Everything is installed from nothing: a virtualenv per Python, buildout's eggs in .cache/.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.11 for the demo; the tests run on every Python in TEST_PYTHONS.
DEMO_PYTHON ?= 3.11
TEST_PYTHONS ?= 3.11 3.13
# `make lint`: flake8, ruff's import order and formatting, and the type checker over src/
# ([tool.ruff], [tool.mypy] in pyproject.toml); `make check` and `make test` run it first,
# `make format` fixes what ruff can.  `make check` then runs the tests that need neither a
# buildout nor Zope.
CHECK_PYTHON ?= 3.11
LINT_PATHS = src tests bench scripts

# pyenv's shims exist for every installed version but only run the selected ones: try each
# candidate and take the first that really starts.
find_python = $(or $(shell for candidate in $(HOME)/.pyenv/versions/$(1).*/bin/python$(1) $$(command -v python$(1)); do "$$candidate" -c "" 2>/dev/null && { echo "$$candidate"; break; }; done),$(error python$(1) not found: install it, e.g. with pyenv))

.PHONY: help demo demo-build test check lint format clean

help:
	@echo "make demo   build the demo Zope and start it with autoreload on http://127.0.0.1:8080/@@hello"
	@echo "            (make demo PLONE=6.2: in a Plone 6.2 site, http://127.0.0.1:8080/Plone/@@hello)"
	@echo "            (make demo PIP=1 [PLONE=6.2]: the same without buildout: pip, mkwsgiinstance, runwsgi-autoreload)"
	@echo "make test   the linters, then the test suite on Python $(TEST_PYTHONS) (all of it on 3.11, a smoke set elsewhere)"
	@echo "make check  the linters (make lint), then the tests that need no buildout and no Zope (Python $(CHECK_PYTHON), seconds)"
	@echo "make format sort the imports and format the code with ruff"

.venv-%/.installed: requirements-dev.txt requirements-engine.txt
	rm -rf .venv-$*
	$(call find_python,$*) -m venv .venv-$*
	.venv-$*/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	.venv-$*/bin/pip install --quiet --disable-pip-version-check --no-deps --target .venv-$*/engine -r requirements-engine.txt
	touch $@

# `make demo PLONE=6.2`: the same demo package in a Plone 6.2 site, created on the first run.
PLONE ?=
DEMO_CONFIG = $(if $(PLONE),plone-$(PLONE).cfg,buildout.cfg)

demo-build: .venv-$(DEMO_PYTHON)/.installed
	@test -f demo/$(DEMO_CONFIG) || { echo "PLONE=$(PLONE): no demo/$(DEMO_CONFIG); the demo runs on PLONE=6.2 or on Zope (no PLONE)"; exit 2; }
	cd demo && ../.venv-$(DEMO_PYTHON)/bin/buildout -c $(DEMO_CONFIG)
	$(if $(PLONE),cd demo && bin/instance run ../scripts/create_plone_site.py)

# `make demo PIP=1` (PLONE=6.2 too): the same demo without buildout, made with pip and
# mkwsgiinstance, run by runwsgi-autoreload (scripts/pip_demo.py; kept in demo/*-pip-*).
PIP ?=
ifneq ($(PIP),)
demo:
	exec $(call find_python,$(DEMO_PYTHON)) scripts/pip_demo.py $(if $(PLONE),--plone $(PLONE))
else
demo: demo-build
	cd demo && exec bin/instance-autoreload
endif

test: lint $(foreach v,$(TEST_PYTHONS),.venv-$(v)/.installed)
	@set -e; for v in $(TEST_PYTHONS); do \
	  echo "=== Python $$v"; \
	  .venv-$$v/bin/python -m pytest $(PYTEST_ARGS); \
	done

lint: .venv-$(CHECK_PYTHON)/.installed
	.venv-$(CHECK_PYTHON)/bin/flake8 $(LINT_PATHS)
	.venv-$(CHECK_PYTHON)/bin/ruff check $(LINT_PATHS)
	.venv-$(CHECK_PYTHON)/bin/ruff format --check $(LINT_PATHS)
	.venv-$(CHECK_PYTHON)/bin/mypy

format: .venv-$(CHECK_PYTHON)/.installed
	.venv-$(CHECK_PYTHON)/bin/ruff check --fix $(LINT_PATHS)
	.venv-$(CHECK_PYTHON)/bin/ruff format $(LINT_PATHS)

check: lint
	.venv-$(CHECK_PYTHON)/bin/python -m pytest -m "not buildout and not zope" $(PYTEST_ARGS)

clean:
	rm -rf .venv-* .cache demo/bin demo/parts demo/var demo/develop-eggs demo/.installed.cfg demo/.venv-pip-* demo/instance-pip-*

# Benchmarks (docs/benchmarks.rst); minutes long, never part of `make test`.
.venv-bench/.installed: requirements-dev.txt bench/requirements.txt
	rm -rf .venv-bench
	$(call find_python,$(DEMO_PYTHON)) -m venv .venv-bench
	.venv-bench/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt -r bench/requirements.txt
	touch $@

.PHONY: bench
bench: .venv-bench/.installed
	.venv-bench/bin/python bench/run.py $(BENCH_ARGS)
