# Every target does its own set-up: a fresh machine with Python 3.11 needs nothing else.
PYTHON_BOOT ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.storylens-installed
PACKAGE_STAMP := $(VENV)/.storylens-package-installed

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run check test test-fast reliability lint lock bench eval screenshots package package-test clean

# Every library at the version in constraints.txt, the set the tests and the installer last
# passed with: a release upstream cannot change what a fresh clone installs (transformers 5.25
# once broke the installer overnight by requiring a new package). `make lock` moves them on.
INSTALL := $(PY) -m pip install --disable-pip-version-check -q -c constraints.txt

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	# torch first and exactly this version: the local CPU wheel. Anything looser pulls CUDA.
	$(INSTALL) torch==2.13.0
	$(INSTALL) -e '.[test,scale]'
	touch $(STAMP)

# The `package` extra (PyInstaller) on top of the app's own set-up.
$(PACKAGE_STAMP): $(STAMP)
	$(INSTALL) -e '.[test,scale,package]'
	touch $(PACKAGE_STAMP)

# constraints.txt again from pyproject.toml: new requirements are resolved and the pins already
# there kept; `make lock LOCK_UPGRADE=--upgrade` takes the newest of everything. Then `make test`
# and `make package-test` before committing it.
LOCK_UPGRADE ?=
lock: $(STAMP)
	$(PY) -m pip install --disable-pip-version-check -q pip-tools==7.6.2
	$(VENV)/bin/pip-compile -q $(LOCK_UPGRADE) --upgrade-package torch==2.13.0 \
		--extra test --extra scale --extra package --strip-extras \
		--no-emit-index-url --no-emit-find-links --output-file constraints.txt pyproject.toml
	# The version without its local label: the CPU wheel here is 2.13.0+cpu, PyPI's is 2.13.0.
	sed -i 's/^torch==2\.13\.0+cpu$$/torch==2.13.0/' constraints.txt

run: $(STAMP)
	$(VENV)/bin/storylens

check: $(STAMP)
	$(VENV)/bin/ruff check index app tests benchmarks packaging
	$(VENV)/bin/ruff format --check index app tests benchmarks packaging
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --strict packaging/*.py
	$(VENV)/bin/lint-imports

# Both tiers; the slowest 15 tests are listed at the end.
test: check
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest --durations=15

# The tests that need no model: the plumbing, in seconds.
test-fast: check
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m "not model"

# The promises of README's "What can go wrong" in their long form: a kill -9 at each point of a
# build, every kind of damage, 1,000 reads while generations are published.
reliability: $(STAMP)
	STORYLENS_RELIABILITY_READS=1000 QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m "not model" \
		tests/index/build/test_builder.py tests/index/store tests/index/cli/test_cli.py

lint: $(STAMP)
	$(VENV)/bin/ruff check --fix index app tests benchmarks packaging
	$(VENV)/bin/ruff format index app tests benchmarks packaging

# The scale table for 10k, 100k and 1M passages, with the build-throughput and query figures of
# bench_index.py measured in the same run (benchmarks/README.md). 7 min on the 2-core machine
# when it was lightly loaded, 16 min when busy; the 1M row is two thirds of it and needs ~8 GB
# of memory. BENCH_SIZES=10000,100000 for a run of about 3 min.
BENCH_SIZES ?= 10000,100000,1000000

bench: $(STAMP)
	$(PY) benchmarks/bench_index.py
	$(PY) benchmarks/bench_scale.py --sizes $(BENCH_SIZES)
	$(PY) benchmarks/bench_gui.py

# PNGs of the real window under a virtual X display (docs/search.png, docs/compare.png, ...).
screenshots: $(STAMP)
	@command -v xvfb-run >/dev/null 2>&1 || { \
		echo "make screenshots needs xvfb-run: sudo apt-get install -y xvfb (Debian/Ubuntu)"; \
		exit 1; }
	xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) -m app.screenshots docs/

# Retrieval quality, method by method (fetches the public data once; see benchmarks/eval).
eval: $(STAMP)
	$(PY) -m benchmarks.eval

# The release .deb (xz -9e) in packaging/dist/; figures printed at the end. See packaging/README.md.
package: $(PACKAGE_STAMP)
	$(PY) packaging/build.py --compression xz

# A quickly compressed .deb (zstd -1), installed into a scratch root and run there offline:
# `storylens --self-test`, then removed. Fails on any wrong answer or leftover file.
package-test: $(PACKAGE_STAMP)
	$(PY) packaging/build.py --compression quick --test

clean:
	rm -rf $(VENV) build dist *.egg-info packaging/build packaging/dist
