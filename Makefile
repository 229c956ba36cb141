# boundlab: thin targets over the Go toolchain and the CLI.
GO ?= go

.PHONY: test build vet bench
test: build vet
	$(GO) test ./...

build:
	$(GO) build ./...

vet:
	$(GO) vet ./...

# Model overhead per task, wait overshoot, and the semaphore ratio.
bench:
	$(GO) test -run '^$$' -bench . -benchtime=3x ./experiments/...
