package model

import (
	"strings"
	"testing"
)

// PythonSource returns a function of the embedded scripts whole, from its
// def line to its last line, and refuses unknown and ambiguous names.
func TestPythonSource(t *testing.T) {
	fns, err := PythonSource("run_asyncio", "cpu_async")
	if err != nil {
		t.Fatal(err)
	}
	if len(fns) != 2 || fns[0].File != "boundlab_cpython.py" || fns[1].File != "boundlab_steps.py" {
		t.Fatalf("got %+v", fns)
	}
	src := fns[0].Source
	if !strings.HasPrefix(src, "def run_asyncio(req, rec):") || !strings.Contains(src, "asyncio.Semaphore(") ||
		!strings.HasSuffix(src, "boundlab_encode.stop_executors(ctx[\"executors\"])") || strings.Contains(src, "run_processes") {
		t.Errorf("run_asyncio:\n%s", src)
	}
	if !strings.HasPrefix(fns[1].Source, "async def cpu_async(") {
		t.Errorf("cpu_async:\n%s", fns[1].Source)
	}
	if _, err := PythonSource("no_such_function"); err == nil || !strings.Contains(err.Error(), `"no_such_function"`) {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := PythonSource("seg"); err == nil || !strings.Contains(err.Error(), "defined in") {
		t.Errorf("a name two scripts define: %v", err)
	}
}
