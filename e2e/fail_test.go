package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestBadParameterFailsCell runs 01-async-cpu's experiment cell in one
// GoNB kernel with nbclient (testdata/rerun.py): first on the quick
// parameters, then with --tasks=0, each time followed by a cell reading
// the result back with kernel.Last, as the notebook's "what we saw" cells
// do. The bad run shows one line naming the parameter and its range, its
// cell program exits with status 1, and the cell after it says the run
// failed instead of reading the first run's result.
//
// GoNB v0.11.1 replies "ok" to a cell whose program exits non-zero (it
// writes "exit status 1" under it), so Jupyter's Run All is not stopped by
// it; GoNB v0.11.4 replies "error". The test logs the status it got.
func TestBadParameterFailsCell(t *testing.T) {
	r := need(t)
	const name = "01-async-cpu"
	quick := quickFlagsOf(t, "async-cpu")
	lines := []string{"%% " + quick, "%% " + replaceFlag(quick, "tasks", "0")}
	dir := copyNotebooks(t, r, "badparam", name)
	runs, log := runRerun(t, r, dir, map[string]any{
		"notebook": filepath.Join(dir, name+".ipynb"), "match": "kernel.Run(", "lines": lines,
		"after": "%%\nfmt.Println(\"has a result:\", kernel.Last(experiments.AsyncCPU) != nil)",
	})
	if len(runs) != 2 {
		t.Fatalf("%d runs reported, want 2\nlog ends:\n%s", len(runs), tailLines(log, 30))
	}
	good, bad := runs[0], runs[1]
	t.Logf("good run: status %q; bad run: status %q, outputs %q, after %q", good.Status, bad.Status, bad.Texts, bad.After)
	if good.Status != "ok" || len(good.Errors) > 0 || !containsText(good.After, "has a result: true") {
		t.Fatalf("the quick run: status %q, errors %q, after it %q", good.Status, good.Errors, good.After)
	}
	texts := strings.Join(bad.Texts, "\n")
	const line = `invalid value "0" for flag -tasks: 0 is out of range (allowed: an integer from 1 to `
	if !strings.Contains(texts, line) {
		t.Errorf("the bad run's outputs lack the one line naming -tasks and its range: %q", bad.Texts)
	}
	if strings.Count(texts, "tasks") != 1 {
		t.Errorf("the bad run shows the error more than once: %q", bad.Texts)
	}
	if !containsText(bad.Errors, "exit status 1") {
		t.Errorf("the bad run's stderr lacks \"exit status 1\": %q", bad.Errors)
	}
	after := strings.Join(bad.After, "\n")
	for _, want := range []string{
		"the last async-cpu run in this kernel session failed (" + line,
		"has a result: false",
	} {
		if !strings.Contains(after, want) {
			t.Errorf("the cell after the bad run lacks %q: %q", want, bad.After)
		}
	}
}

// containsText reports whether one of texts contains s.
func containsText(texts []string, s string) bool {
	for _, x := range texts {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}
