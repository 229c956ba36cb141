# boundlab: thin targets over the Go toolchain and the boundlab CLI.
GO ?= go
BOUNDLAB = $(GO) run ./cmd/boundlab

.PHONY: setup lab doctor test build vet bench handouts clean lock

# The one-step, pinned set-up: gonb, goimports and gopls into bin/ (go.mod);
# JupyterLab, Notebook 7, nbclient and nbconvert into the project's venv
# .venv/ (requirements.txt, pip --require-hashes; Debian's classic Notebook
# where PyPI cannot be reached); the gonb kernel spec into the venv; boundlab's
# ECharts build (ECharts and esbuild pinned by package-lock.json, npm ci, the
# modules in charts/assets/src bundled) into charts/assets. Fast when done.
setup:
	$(BOUNDLAB) setup

# JupyterLab from .venv/ on notebooks/.
# Jupyter's arguments go in ARGS, e.g. make lab ARGS='--port 9999 --no-browser'
lab:
	$(BOUNDLAB) lab $(ARGS)

# A line per piece of the set-up, with the fix for what is missing.
doctor:
	$(BOUNDLAB) doctor

# The set-up plus the test dependencies (Chromium), then build, vet and test.
# Tests that need a set-up piece (the ECharts build, Jupyter, Chromium) fail,
# not skip: BOUNDLAB_REQUIRE_ASSETS and BOUNDLAB_REQUIRE_E2E.
# -p 1: one package at a time, so that no compiling runs beside the timing
# tests (on two CPUs it makes the parallel-speedup claims fail). -timeout:
# the browser tests drive JupyterLab, Notebook 7 and the handouts for real,
# over ten minutes in all (go test's default limit per package).
test: export BOUNDLAB_REQUIRE_ASSETS = 1
test: export BOUNDLAB_REQUIRE_E2E = 1
test:
	$(BOUNDLAB) setup --tests
	$(GO) build ./...
	$(GO) vet ./...
	$(GO) test -p 1 -timeout 45m ./...

build:
	$(GO) build ./...

vet:
	$(GO) vet ./...

# The handouts: executed notebooks as self-contained HTML, into handouts/.
handouts:
	$(BOUNDLAB) handouts

# Model overhead per task, wait overshoot, and the semaphore ratio.
bench:
	$(GO) test -run '^$$' -bench . -benchtime=3x ./experiments/...

# requirements.txt from requirements.in: every Python dependency pinned, with
# hashes, for CPython 3.10 and later on any platform (uv, pinned, in a
# throwaway venv).
UV_VERSION = 0.13.9
lock:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	python3 -m venv "$$tmp" && "$$tmp/bin/pip" install -q uv==$(UV_VERSION) && \
	"$$tmp/bin/uv" pip compile --quiet --universal --generate-hashes --python-version 3.10 --no-annotate \
		--custom-compile-command "make lock" requirements.in -o requirements.txt

# Everything the set-up and the targets made inside the project, the venv
# (and the kernel spec in it) included.
clean:
	rm -rf bin .venv node_modules handouts test-artifacts charts/assets/echarts.min.js charts/assets/echarts-boundlab.min.js
