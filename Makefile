# Two commands do all set-up on a fresh machine:
#   make site   build the bundled site into site/
#   make test   run the whole test suite
# Both create and reuse a virtual environment in .venv/.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
VNU := node_modules/vnu-jar/build/dist/vnu.jar
AXE := node_modules/axe-core/axe.min.js

.PHONY: site test bench check-tools system-deps clean

site: $(INSTALLED)
	$(BIN)/digest build

test: $(INSTALLED) $(VNU) $(AXE) check-tools
	$(BIN)/python -m pytest

bench: $(INSTALLED)
	$(BIN)/python bench/run.py

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(BIN)/python -m compileall -q digest  # as pip does for a regular install: faster start
	touch $@

$(VNU) $(AXE): package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $(VNU) $(AXE)

# The browser and HTML checks use the machine's Java and Debian's Chromium.
check-tools:
	@command -v java >/dev/null || { echo "make test needs Java for the Nu HTML checker: run 'make system-deps' as root (or apt-get install default-jre-headless)"; exit 1; }
	@test -x /usr/bin/chromium || { echo "make test needs Chromium at /usr/bin/chromium: run 'make system-deps' as root (or apt-get install chromium)"; exit 1; }

# Debian packages the tests need (run as root).
system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core default-jre-headless nodejs npm

clean:
	rm -rf $(VENV) node_modules site .site.* tests/artifacts
