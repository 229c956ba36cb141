package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/boundlab/boundlab/experiments/model"
)

// --models cpython runs CPython beside the models; the summary shows its
// rows, the interpreter, and the fidelity verdict.
func TestRunCPython(t *testing.T) {
	if _, err := model.Probe(context.Background(), ""); errors.Is(err, model.ErrUnavailable) {
		t.Skipf("no Python: %v", err)
	}
	out, errs, code := cli(t, "run", "async-cpu", "--quick", "--tasks", "2", "--models", "eventloop,cpython", "--repeat", "1", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"cpython: CPython ", "\ncpython asyncio ", "lag-fidelity", "CALIBRATED SPEEDUP", "an explanation, not judged"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

// Without an interpreter the run goes on without cpython and says so in
// one line.
func TestRunCPythonMissing(t *testing.T) {
	t.Setenv(model.PythonEnv, "/nonexistent/python3")
	out, errs, code := cli(t, "run", "async-cpu", "--quick", "--tasks", "2", "--models", "eventloop,cpython", "--repeat", "1", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "Notes:\n  cpython: no interpreter /nonexistent/python3 (from $BOUNDLAB_PYTHON): no such file or directory; skipped it, the other models ran\n") {
		t.Errorf("summary lacks the note:\n%s", out)
	}
	if strings.Contains(out, "cpython asyncio") {
		t.Errorf("cpython ran:\n%s", out)
	}
	// --python names the interpreter too.
	out, _, code = cli(t, "run", "async-cpu", "--quick", "--tasks", "2", "--models", "eventloop,cpython", "--repeat", "1", "--quiet", "--python", "/nonexistent/py")
	if code != 0 || !strings.Contains(out, "cpython: no interpreter /nonexistent/py (from --python)") {
		t.Errorf("exit %d, summary:\n%s", code, out)
	}
}
