# datajobs: `make book` builds the report, `make test` runs the tests. Both set up .venv first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA ?= data/sample/profiles_sample.csv
PROFILE ?= full
PORT ?= 8866
FUZZ_SECONDS ?= 600
# Public repository of the project: when set, the book shows Binder launch buttons (see book/teaching.md).
REPOSITORY_URL ?=
MLFLOW_PORT ?= 5000
# Address the site is published at (html_baseurl, sitemap, OpenGraph); empty: no sitemap.
BASE_URL ?= $(DATAJOBS_BASE_URL)
REMOTE ?= origin
HTML ?= _build/html
VENDOR := book/_static/vendor

.DEFAULT_GOAL := help
.PHONY: help setup book pdf publish test lint app mlflow-ui sample clean student lab fuzz

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}' \
		| sed -e 's|$$(PORT)|$(PORT)|g' -e 's|$$(MLFLOW_PORT)|$(MLFLOW_PORT)|g'
	@echo "  variables: DATA=$(DATA) PROFILE=$(PROFILE) (full|quick) PORT=$(PORT) MLFLOW_PORT=$(MLFLOW_PORT) BASE_URL=$(BASE_URL) REMOTE=$(REMOTE)"
	@echo "  example:   make book DATA=my_export.csv PROFILE=quick"

setup: $(VENV)/.installed $(VENDOR)/embed-amd.js ## create .venv, install the package and the widget JavaScript

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[book,publish,app,tracking,test,scale]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $@

# Widgets in the static book load this JavaScript; vendored so the book renders offline.
$(VENDOR)/embed-amd.js: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)
	cp node_modules/requirejs/require.js $(VENDOR)/
	# Only what pages load: embed-amd.js (not embed.js nor libembed-amd.js, other builds of the same
	# code) and its icon fonts as WOFF2, the one format every browser the book supports picks first.
	cd node_modules/@jupyter-widgets/html-manager/dist && cp embed-amd.js *.woff2 $(CURDIR)/$(VENDOR)/
	cp node_modules/anywidget/dist/index.js $(VENDOR)/anywidget.js  # the predictor's widget front end (AMD)
	touch $@

book: setup ## execute the notebooks on DATA with papermill and build _build/html
	DATAJOBS_REPOSITORY_URL="$(REPOSITORY_URL)" DATAJOBS_BASE_URL="$(BASE_URL)" $(BIN)/datajobs book --data "$(DATA)" --profile $(PROFILE)

pdf: book ## the whole book as one PDF, _build/pdf/datajobs.pdf (headless Debian chromium)
	DATAJOBS_BASE_URL="$(BASE_URL)" $(BIN)/datajobs pdf

publish: setup ## push the built book (HTML=_build/html) to the gh-pages branch of REMOTE with ghp-import
	$(BIN)/datajobs publish --html "$(HTML)" --remote "$(REMOTE)"

test: setup ## lint, unit tests, notebooks (quick profile), book build, browser tests
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/python -m pytest

fuzz: setup ## fuzz the loader and scoring with Hypothesis for FUZZ_SECONDS (default 600); prints examples/s and failures
	FUZZ_SECONDS="$(FUZZ_SECONDS)" $(BIN)/python scripts/fuzz.py

lint: setup ## ruff only
	$(BIN)/ruff check src tests benchmarks scripts

app: setup ## serve the Predictor notebook with Voilà on 127.0.0.1:$(PORT)
	$(BIN)/datajobs app --port $(PORT)

mlflow-ui: setup ## MLflow UI of the local tracking store on 127.0.0.1:$(MLFLOW_PORT)
	$(BIN)/datajobs mlflow-ui --port $(MLFLOW_PORT)

sample: setup ## regenerate data/sample/profiles_sample.csv from the shipped frequency tables
	$(BIN)/datajobs synth --rows 3000 --seed 2024 -o data/sample/profiles_sample.csv

student: setup ## notebooks without solutions or outputs + sample data + README in _build/student/ and a zip
	$(BIN)/datajobs student --out _build/student

lab: student ## JupyterLab (installed on first use) on the student edition, on 127.0.0.1
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[teach]"
	cd _build/student && $(CURDIR)/$(BIN)/jupyter lab --ip 127.0.0.1 --no-browser

clean: ## remove build outputs (keeps .venv)
	rm -rf _build outputs mlruns
