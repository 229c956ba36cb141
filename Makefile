# boundlab: thin targets over the Go toolchain and the boundlab CLI.
GO ?= go
BOUNDLAB = $(GO) run ./cmd/boundlab

.PHONY: setup lab doctor test build vet bench handouts clean

# The one-step, pinned set-up: gonb, goimports and gopls into bin/ (go.mod),
# the gonb kernel spec, Jupyter (installed with pip or apt-get where missing),
# ECharts (package-lock.json, npm ci) into charts/assets. Fast when done.
setup:
	$(BOUNDLAB) setup

# Jupyter on notebooks/: JupyterLab where installed, else the classic Notebook.
# Jupyter's arguments go in ARGS, e.g. make lab ARGS='--port 9999 --no-browser'
lab:
	$(BOUNDLAB) lab $(ARGS)

# A line per piece of the set-up, with the fix for what is missing.
doctor:
	$(BOUNDLAB) doctor

# The set-up plus the test dependencies (Chromium), then build, vet and test.
# Tests that need a set-up piece (the ECharts asset, Jupyter) fail, not skip.
# -p 1: one package at a time, so that no compiling runs beside the timing
# tests (on two CPUs it makes the parallel-speedup claims fail).
test: export BOUNDLAB_REQUIRE_ASSETS = 1
test:
	$(BOUNDLAB) setup --tests
	$(GO) build ./...
	$(GO) vet ./...
	$(GO) test -p 1 ./...

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

# Everything the set-up and the targets made inside the project. (The gonb
# kernel spec stays in Jupyter's data directory; make setup replaces it.)
clean:
	rm -rf bin node_modules handouts test-artifacts charts/assets/echarts.min.js
