package handouts

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/internal/proc"
)

// fakeExecutor writes a shell script that stands in for Jupyter's Python
// running execute.py: it starts a "kernel" in a session of its own (as
// jupyter_client does), writes the kernel's pid to kernel.pid in the
// working directory, prints events, then runs body.
func fakeExecutor(t *testing.T, events []string, body string) (python, dir string) {
	t.Helper()
	dir = t.TempDir()
	var b strings.Builder
	b.WriteString("#!/bin/sh\nsetsid sleep 300 </dev/null >/dev/null 2>&1 &\necho $! > \"$4/kernel.pid\"\n")
	for _, e := range events {
		b.WriteString("printf '%s\\n' '" + e + "'\n")
	}
	b.WriteString(body + "\n")
	python = filepath.Join(dir, "fake-python")
	if err := os.WriteFile(python, []byte(b.String()), 0o755); err != nil {
		t.Fatal(err)
	}
	return python, dir
}

// runFake runs a notebook of three code cells through the fake executor.
func runFake(t *testing.T, ctx context.Context, python, dir string) (*execution, error) {
	t.Helper()
	x, _, err := runFakeGated(t, ctx, python, dir, nil)
	return x, err
}

// runFakeGated is runFake with the cells from the second on gated by
// release, and returns the events too.
func runFakeGated(t *testing.T, ctx context.Context, python, dir string, release <-chan struct{}) (*execution, []Event, error) {
	t.Helper()
	nbPath := filepath.Join(dir, "nb.ipynb")
	doc := `{"cells": [
	  {"cell_type": "code", "metadata": {}, "source": ["%%\n", "first()"], "outputs": []},
	  {"cell_type": "code", "metadata": {}, "source": "second()", "outputs": []},
	  {"cell_type": "code", "metadata": {}, "source": "third()", "outputs": []}],
	 "metadata": {"kernelspec": {"name": "gonb"}}, "nbformat": 4, "nbformat_minor": 5}`
	if err := os.WriteFile(nbPath, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	nb, err := ReadNotebook(nbPath)
	if err != nil {
		t.Fatal(err)
	}
	var got []Event
	x := &execution{o: &Options{Jupyter: Jupyter{Python: python}}, nb: nb, script: "execute.py",
		log: filepath.Join(dir, "kernel.log"), base: Event{Notebook: "nb", Index: 1, Total: 1},
		report: func(e Event) { got = append(got, e) }, gate: 1, release: release}
	err = x.run(ctx, nbPath, filepath.Join(dir, "out.ipynb"))
	if len(got) == 0 || got[0].Kind != KernelReady {
		t.Errorf("events %+v", got)
	}
	return x, got, err
}

// kernelGone waits briefly for the fake kernel to be gone.
func kernelGone(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "kernel.pid"))
	if err != nil {
		t.Fatalf("the fake kernel did not start: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		if _, running, ok := proc.Identify(pid); !ok || !running {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the kernel (pid %d) is still running", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const (
	evReady = `{"event": "kernel_ready"}`
	evStart = `{"event": "cell_start", "index": 1}`
	evFail  = `{"event": "cell_end", "index": 1, "seconds": 0.25, "outputs": [{"output_type": "stream", "name": "stderr", "text": ["boom\n", "exit status 2\n"]}]}`
	evOK    = `{"event": "cell_end", "index": 1, "seconds": 0.25, "outputs": [{"output_type": "stream", "name": "stdout", "text": "fine\n"}]}`
)

// A failing cell stops the run at once: the executor is stopped, and the
// kernel it started in a session of its own is killed.
func TestExecuteStopsOnFailure(t *testing.T) {
	python, dir := fakeExecutor(t, []string{evReady, evStart, evFail}, "sleep 300")
	start := time.Now()
	_, err := runFake(t, context.Background(), python, dir)
	var ce *CellError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v, want a *CellError", err)
	}
	if ce.Cell != 2 || ce.Cells != 3 || ce.Line != "second()" || ce.Text != "boom\nexit status 2" {
		t.Errorf("cell error %+v", ce)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s to stop", d)
	}
	kernelGone(t, dir)
}

// A cancelled run stops too, and says where it was.
func TestExecuteCancel(t *testing.T) {
	python, dir := fakeExecutor(t, []string{evReady, evStart}, "sleep 300")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	_, err := runFake(t, ctx, python, dir)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stopped in cell 2/3 (second())") {
		t.Errorf("error %v", err)
	}
	kernelGone(t, dir)
}

// An executor that ignores SIGTERM is killed after the grace time; a
// timeout says so.
func TestExecuteTimeoutAndGrace(t *testing.T) {
	saved := stopGrace
	stopGrace = 300 * time.Millisecond
	defer func() { stopGrace = saved }()
	python, dir := fakeExecutor(t, []string{evReady, evStart}, "trap '' TERM\nwhile :; do sleep 1; done")
	ctx, cancel := context.WithTimeoutCause(context.Background(), 500*time.Millisecond, errors.Join(errTimeout))
	defer cancel()
	start := time.Now()
	_, err := runFake(t, ctx, python, dir)
	if !errors.Is(err, errTimeout) || !strings.Contains(err.Error(), "stopped in cell 2/3") {
		t.Errorf("error %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s", d)
	}
	kernelGone(t, dir)
}

// A run that ends without "done" fails with the executor's words and the
// end of the kernel's log; one that ends well leaves no kernel behind
// either.
func TestExecuteEnds(t *testing.T) {
	python, dir := fakeExecutor(t, []string{evReady, evStart, evOK, `{"event": "fatal", "error": "DeadKernelError: Kernel died"}`},
		"echo 'kernel: the last words' >&2\nsleep 0.5\nexit 1")
	x, err := runFake(t, context.Background(), python, dir)
	if err == nil || !strings.Contains(err.Error(), "DeadKernelError: Kernel died") || !strings.Contains(err.Error(), "kernel: the last words") {
		t.Errorf("error %v", err)
	}
	if len(x.cells) != 1 || x.cells[0].Elapsed != 250*time.Millisecond {
		t.Errorf("cell times %+v", x.cells)
	}
	kernelGone(t, dir)

	python, dir = fakeExecutor(t, []string{evReady, evStart, evOK, `{"event": "done"}`}, "sleep 0.5\nexit 0")
	if _, err := runFake(t, context.Background(), python, dir); err != nil {
		t.Errorf("a good run: %v", err)
	}
	kernelGone(t, dir)
}

// A gated run passes the gate index and waits, at the gate, for the line
// that release sends.
func TestExecuteGate(t *testing.T) {
	python, dir := fakeExecutor(t, []string{evReady, `{"event": "waiting", "index": 1}`},
		"read line\necho \"$5 $line\" > \"$4/gate\"\n"+
			"printf '%s\\n' '"+evStart+"' '"+evOK+"' '{\"event\": \"done\"}'")
	release := make(chan struct{})
	opened := time.Now().Add(300 * time.Millisecond)
	time.AfterFunc(time.Until(opened), func() { close(release) })
	x, events, err := runFakeGated(t, context.Background(), python, dir, release)
	if err != nil {
		t.Fatal(err)
	}
	if time.Now().Before(opened) {
		t.Error("the run ended before the gate opened")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "gate")); err != nil || string(b) != "1 go\n" {
		t.Errorf("the executor saw gate and line %q (%v), want \"1 go\"", b, err)
	}
	var kinds []EventKind
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	if want := []EventKind{KernelReady, Waiting, CellStarted, CellFinished}; !slices.Equal(kinds, want) {
		t.Errorf("events %v, want %v", kinds, want)
	}
	if len(x.cells) != 1 {
		t.Errorf("cells %+v", x.cells)
	}
	kernelGone(t, dir)
}
