# Two commands from a fresh clone (Python >= 3.11 and make are all you need):
#   make site   create .venv, install the pinned lock, build site/ from the shipped data
#   make test   install what the tests need, lint, and run every test
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
export NO_MKDOCS_2_WARNING := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: site check lint test test-fast bench demo edit clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python >= 3.11 is needed / 需要 Python 3.11 或更高版本"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-deps -r requirements.lock
	@touch $@

$(VENV)/.installed-test: requirements-test.lock $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-test.lock
	@touch $@

# Browser tests drive Debian's Chromium (Playwright's own download does not work here) with
# CJK fonts; axe-core comes from the npm registry, pinned in package-lock.json.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "Install Chromium at $(CHROMIUM) / 请安装 Chromium"; exit 1; }
	$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk >/dev/null

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

site: $(VENV)/.installed
	$(BIN)/python build.py build

check: $(VENV)/.installed
	$(BIN)/python build.py check
	$(BIN)/python build.py --demo check

# ruff (style, imports, bugs) and mypy (types) over the code; both must find nothing.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check tourhub build.py bench tools tests
	$(BIN)/mypy

test: lint node_modules/.installed $(CHROMIUM)
	$(BIN)/python -m pytest

# The unit tests alone (under a minute): for the edit-test loop, not instead of `make test`.
test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest tests/unit -m "not browser"

# About an hour on 2 cores: the region corpus is a year of hourly counts for 1,200 areas.
bench: $(VENV)/.installed-test node_modules/.installed $(CHROMIUM)
	$(BIN)/python bench/bench_build.py
	$(BIN)/python bench/bench_build.py --region --baseline-files 2
	$(BIN)/python bench/bench_page_weight.py
	$(BIN)/python bench/bench_lighthouse.py
	$(BIN)/python bench/bench_merge.py --areas 100   # full size (--areas 1200) needs ~6 GB and ~15 min
	$(BIN)/python bench/bench_reach.py               # a year of region counts: site size, Parquet vs CSV, S3 deploys
	$(BIN)/python bench/bench_live.py                # a new reading to the live files, region scale
	$(BIN)/python bench/bench_repo_growth.py --areas 100 --days 30

# The editors' admin on this computer: forms at http://127.0.0.1:8000/admin/ that save into
# datasets/ (decap-server from npm), the site rebuilt on every save. Review with git diff, commit.
edit: $(VENV)/.installed node_modules/.installed
	$(BIN)/python build.py edit

# Two demo partners on 127.0.0.1 -> fetch -> build -> serve http://127.0.0.1:8000/ (build/demo/).
demo: $(VENV)/.installed
	$(BIN)/python tools/demo.py

clean:
	rm -rf build site .site.new-* .site.old-* .pytest_cache test-artifacts
