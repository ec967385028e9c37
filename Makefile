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
# chromium (browser tests). Installed with apt-get when missing; the machines run as root.
APT_GET := env DEBIAN_FRONTEND=noninteractive apt-get
define apt_install
	@if ! command -v $(1) >/dev/null 2>&1; then \
		echo "Installing $(2) (needed for $(3))"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO $(APT_GET) update -qq && $$SUDO $(APT_GET) install -y -qq $(2) >/dev/null; \
	fi
endef

.PHONY: demo test install system-deps browser-deps messages migrate lint format \
	bench-grading bench-reports clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[dev]"
	@touch $@

install: $(VENV)/.installed

system-deps:
	$(call apt_install,bwrap,bubblewrap,the grading sandbox)
	$(call apt_install,msgfmt,gettext,compiling translations)

browser-deps:
	$(call apt_install,chromium,chromium,browser tests)

messages: install system-deps
	@$(MANAGE) compilemessages --ignore=.venv -v 0

migrate: install
	@mkdir -p var
	$(MANAGE) migrate --noinput -v 0

demo: install system-deps messages migrate
	$(MANAGE) load_demo
	@DEMO_HOST=$(DEMO_HOST) DEMO_PORT=$(DEMO_PORT) bash bin/demo

test: install system-deps browser-deps messages
	@mkdir -p var
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench-grading: install system-deps
	$(PY) bench/grading.py

bench-reports: install
	$(PY) bench/reports.py

clean:
	rm -rf var/broker var/test-broker var/test-db-*.sqlite3* var/bench-grading-*
