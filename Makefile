# Billwire: one command each. `make run` works on a fresh clone (it installs first).

UV ?= uv
# With a lock file, install exactly what it pins; without one, resolve.
SYNC_FLAGS := --all-packages $(if $(wildcard uv.lock),--frozen,)
RUN := $(UV) run $(if $(wildcard uv.lock),--frozen,)

.PHONY: install browser run test bench lint cluster-test

install:
	$(UV) sync $(SYNC_FLAGS)

# A Chromium (and fonts) for PDFs: kept if there, else Playwright's download, else (as root on
# Debian/Ubuntu) apt-get's chromium-headless-shell; without one everything but PDFs still runs.
browser: install
	$(RUN) python -m billwire_cli.browser_setup

run: install browser
	$(RUN) billwire run

test: browser
	$(RUN) pytest $(PYTEST_ARGS)

# `make bench web` (any bench's name after `bench`) is `make bench BENCH_ARGS=web`.
BENCH_NAMES := $(wordlist 2,$(words $(MAKECMDGOALS)),$(MAKECMDGOALS))
ifeq ($(firstword $(MAKECMDGOALS)),bench)
ifneq ($(BENCH_NAMES),)
BENCH_ARGS ?= $(BENCH_NAMES)
$(eval $(BENCH_NAMES):;@:)
endif
endif

bench:
	$(RUN) --group bench python -m bench $(BENCH_ARGS)

lint:
	$(RUN) --with ruff ruff check .

cluster-test:
	$(RUN) python -m tests.cluster
