# Two commands do all the set-up on a fresh machine:
#   make demo   - install, migrate, load the demo country, run the web server and a worker
#   make test   - install and run the whole suite
# Everything else here is a step of those two, or a benchmark.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 8000
PYTEST_ARGS ?=

# Debian packages: bubblewrap (the grading sandbox), gettext (compiling translations),
# poppler-utils (the report PDF's tests), chromium (browser tests). Installed with apt-get
# when missing; the machines run as root.
APT_GET := env DEBIAN_FRONTEND=noninteractive apt-get
define apt_install
	@if ! command -v $(1) >/dev/null 2>&1; then \
		echo "Installing $(2) (needed for $(3))"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO $(APT_GET) update -qq && $$SUDO $(APT_GET) install -y -qq $(2) >/dev/null; \
	fi
endef

.PHONY: demo test install system-deps browser-deps messages migrate lint format runtimes \
	runtime-lock assets lrs bench-grading bench-run bench-reports bench-similarity \
	bench-web clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[dev]"
	@touch $@

install: $(VENV)/.installed

system-deps:
	$(call apt_install,bwrap,bubblewrap,the grading sandbox)
	$(call apt_install,msgfmt,gettext,compiling translations)
	$(call apt_install,pdftoppm,poppler-utils,checking the report PDF page by page in the tests)

browser-deps:
	$(call apt_install,chromium,chromium,browser tests)

# The environments student code runs in (grading/runtimes/<name>/), each a virtualenv of its
# own under var/runtimes, apart from .venv; rebuilt only when its lock file changes.
runtimes: install
	@$(PY) bin/build-runtimes

# Re-resolve a runtime's requirements.txt into its requirements.lock: make runtime-lock RUNTIME=name
runtime-lock: install
	@test -n "$(RUNTIME)" || { echo "usage: make runtime-lock RUNTIME=<name>"; exit 2; }
	$(PY) bin/build-runtimes --lock $(RUNTIME)

# The Learning Record Store of the demo and the tests (xAPI statements): Ralph, in a virtualenv
# of its own under var/lrs, apart from .venv; rebuilt from scratch only when its pinned
# requirements change. bin/lrs runs it.
LRS_VENV := var/lrs/venv
lrs: $(LRS_VENV)/.installed

$(LRS_VENV)/.installed: xapi/lrs-requirements.txt
	rm -rf $(LRS_VENV)
	$(PYTHON) -m venv $(LRS_VENV)
	$(LRS_VENV)/bin/pip install -q --upgrade pip
	$(LRS_VENV)/bin/pip install -q -r xapi/lrs-requirements.txt
	@touch $@

# The exercise page's editor: frontend/ (CodeMirror 6 from the npm registry) bundled by
# esbuild into a static file of the grading app; rebuilt only when a source is newer.
WORKSPACE_JS := grading/static/grading/js/workspace.js
assets: $(WORKSPACE_JS)

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	$(call apt_install,npm,npm,building the exercise editor)
	cd frontend && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

$(WORKSPACE_JS): frontend/node_modules/.installed frontend/build.mjs $(wildcard frontend/src/*.js)
	cd frontend && npm run --silent build

messages: install system-deps
	@$(MANAGE) compilemessages --ignore=.venv -v 0

migrate: install
	@mkdir -p var
	$(MANAGE) migrate --noinput -v 0

demo: install system-deps runtimes assets lrs messages migrate
	$(MANAGE) load_demo
	@DEMO_HOST=$(DEMO_HOST) DEMO_PORT=$(DEMO_PORT) bash bin/demo

test: install system-deps browser-deps runtimes assets lrs messages
	@mkdir -p var
	$(PY) -m pytest $(PYTEST_ARGS)

# translations-check --source: every string of the code, translated in az and ru (makemessages
# on a copy; locale/ is not touched)
lint: install system-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) bin/translations-check --source

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench-grading: install system-deps runtimes
	$(PY) bench/grading.py

bench-run: install system-deps runtimes
	$(PY) bench/run.py

# STUDENTS=2000000: the national size (32 million pieces of evidence; about half an hour)
bench-reports: install
	$(PY) bench/reports.py $(STUDENTS)

bench-similarity: install
	$(PY) bench/similarity.py

# The pages under load as deployed (bench/web.py): production settings, gunicorn, PostgreSQL
# (and Redis when it answers), the demo country with one school at a realistic size (its
# exercises are checked in the sandbox: runtimes), driven by wrk (Debian's package).
bench-web: install system-deps runtimes
	$(call apt_install,wrk,wrk,loading the pages in the web benchmark)
	$(PY) bench/web.py

clean:
	rm -rf var/broker var/test-broker var/test-db-*.sqlite3* var/bench-grading-* var/cache var/test-cache
