# Roomcast: the two set-up commands are `make run` and `make test`.
# Both install what is missing (Debian packages as root, a .venv with the
# package and its extras) and are quiet when everything is already there.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
# hls.js plays rooms over HLS where a browser has no native HLS; fetched with npm into
# server/web/vendor/ (installer/vendor-web.sh), served by the relay, never from a CDN.
HLSJS_VERSION := 1.7.4
WEB_VENDOR := server/web/vendor/hls.js.version
ARGS ?=

.PHONY: run test bench lint system-run system-test venv clean help

help:
	@echo "make run    start the console (embedded relay and a room)"
	@echo "make test   run the whole suite headless"
	@echo "make bench  run the benchmarks and print their figures"
	@echo "make lint   ruff and mypy; ESLint and tsc over the page's JavaScript"

system-run:
	@installer/system-deps.sh run

system-test:
	@installer/system-deps.sh test

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Roomcast needs Python 3.11 or newer; found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing Roomcast and its Python dependencies into $(VENV)"
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test,dev]'
	@touch $(STAMP)

# Not fatal: without hls.js the page still plays HLS where the browser has it natively, and
# the web test that needs it says it is skipped.
$(WEB_VENDOR): installer/vendor-web.sh Makefile
	-@installer/vendor-web.sh $(HLSJS_VERSION)

venv: $(STAMP) $(WEB_VENDOR)

run: system-run $(STAMP) $(WEB_VENDOR)
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ] && [ -z "$$QT_QPA_PLATFORM" ]; then \
	  echo "No display found (neither DISPLAY nor WAYLAND_DISPLAY is set)."; \
	  echo "Roomcast's console is a desktop window. On a headless machine run:"; \
	  echo "  xvfb-run -a make run"; \
	  echo "or run the relay alone: $(BIN)/roomcast relay --help"; \
	  exit 1; \
	fi
	@$(BIN)/roomcast $(ARGS)

test: system-test $(STAMP) $(WEB_VENDOR)
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: system-test $(STAMP)
	@$(BIN)/python -m bench $(ARGS)

# The page's JavaScript (server/web/*.js) and its Node tests (tests/web_unit/): ESLint, then
# TypeScript's checker over their JSDoc types (jsconfig.json), both pinned in package-lock.json
# and installed into node_modules/ by npm ci; nothing from npm is needed at run time.
JS_TOOLS := node_modules/.package-lock.json

lint: $(STAMP) $(JS_TOOLS)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy audio server console ui
	@node_modules/.bin/eslint server/web tests/web_unit eslint.config.js
	@node_modules/.bin/tsc -p jsconfig.json
	@node_modules/.bin/tsc -p tests/web_unit/jsconfig.json

$(JS_TOOLS): package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "make lint checks the web page's JavaScript with ESLint and TypeScript, which npm"; \
	  echo "installs from package-lock.json, and npm is not installed. Install Node.js 20 or newer"; \
	  echo "and npm (Debian: apt-get install nodejs npm), then run make lint again."; \
	  exit 1; \
	fi >&2
	@echo "Installing ESLint and TypeScript into node_modules/ (npm ci)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $(JS_TOOLS)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache

# The Linux installer (installer/BUILDING.md): `make installer` builds dist/roomcast/ (a
# PyInstaller one-folder bundle), its .tar.gz and a .deb; `make installer-test` runs the
# frozen build's self-test from the unpacked tarball and checks the .deb's contents.
INSTALLER_STAMP := $(VENV)/.installer-installed

.PHONY: installer installer-test

$(INSTALLER_STAMP): pyproject.toml $(STAMP)
	@echo "Installing PyInstaller into $(VENV)"
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[installer]'
	@touch $(INSTALLER_STAMP)

installer: system-run $(INSTALLER_STAMP) $(WEB_VENDOR)
	@$(BIN)/python installer/build.py

installer-test: system-run $(STAMP)
	@$(BIN)/python installer/frozen_test.py
