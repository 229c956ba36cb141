package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boundlab/boundlab/charts"
)

// recordedFile is a recorded quick run of the experiments' tests.
func recordedFile(name string) string {
	return filepath.Join("..", "..", "experiments", "testdata", name+".json")
}

// gomaxprocsOne writes a copy of the recorded scaling run whose stamp says
// GOMAXPROCS 1 and whose workers were 1,2,4,8, and returns its path.
func gomaxprocsOne(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(recordedFile("scaling-quick"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	doc["stamp"].(map[string]any)["gomaxprocs"] = 1
	doc["params"].(map[string]any)["workers"] = "1,2,4,8"
	if b, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "one.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// compare prints the results side by side, a column per file, and with
// --html (before, between or after the files) writes the page too.
func TestCompare(t *testing.T) {
	one := gomaxprocsOne(t)
	page := filepath.Join(t.TempDir(), "cmp.html")
	out, errs, code := cli(t, "compare", recordedFile("scaling-quick"), "--html", page, one)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"scaling: Threads vs processes on CPU-bound work · 2 results, side by side",
		"  B  " + one,
		"A · 2 cores · GOMAXPROCS 2",
		"B · 2 cores · GOMAXPROCS 1",
		"workers  A: 1,2,4  B: 1,2,4,8",
		"  goroutines · 2 workers",
		"outcomes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "wrote the comparison of 2 results to "+page) {
		t.Errorf("stderr: %q", errs)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	// Five models: a speedup chart each, and the verdict table.
	if n := strings.Count(html, `class="boundlab-chart"`); n != 5 || !strings.Contains(html, `<table class="verdicts">`) {
		t.Errorf("%d charts, table %v", n, strings.Contains(html, `<table class="verdicts">`))
	}
	if tag, err := charts.LibraryTag(); err == nil && strings.Count(html, tag) != 1 {
		t.Error("the ECharts library is not in the page once")
	}
	if strings.Contains(html, "<script src=") {
		t.Error("the page loads a script from elsewhere")
	}

	// One file alone is one column.
	out, errs, code = cli(t, "compare", recordedFile("semaphore-quick"))
	if code != 0 || !strings.Contains(out, "1 result, one column") || strings.Contains(out, " B ") {
		t.Errorf("one file: exit %d: %s%s", code, out, errs)
	}
	out, _, code = cli(t, "compare", "--help")
	if code != 0 || !strings.Contains(out, "boundlab compare [--html FILE] RESULT.json") {
		t.Errorf("--help: exit %d: %s", code, out)
	}
}

// Files that are not results, or results of different questions, are
// refused with one line and exit status 2.
func TestCompareRefuses(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	diag := filepath.Join(dir, "diagnose.json")
	for name, body := range map[string]string{text: "not JSON at all\n", diag: `{"command": ["sleep", "1"], "samples": []}`} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	scaling, semaphore := recordedFile("scaling-quick"), recordedFile("semaphore-quick")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"compare"}, "compare needs one or more result files"},
		{[]string{"compare", scaling, semaphore}, scaling + ` is a result of "scaling", ` + semaphore + ` of "semaphore": compare results of one question at a time`},
		{[]string{"compare", scaling, text}, text + " is not a boundlab result: not a JSON object"},
		{[]string{"compare", diag}, diag + " is not a boundlab result: it lacks a question, a stamp or verdicts"},
		{[]string{"compare", scaling, filepath.Join(dir, "missing.json")}, "compare: cannot read " + filepath.Join(dir, "missing.json") + ": no such file or directory"},
		{[]string{"compare", dir}, "compare: cannot read " + dir + ": is a directory"},
		{[]string{"compare", "--frob", scaling}, "flag provided but not defined: -frob"},
		{[]string{"compare", "--html", filepath.Join(dir, "no", "such", "dir.html"), scaling}, "--html: open "},
	} {
		out, errs, code := cli(t, c.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", c.args, code)
		}
		if lines := strings.Split(strings.TrimSpace(errs), "\n"); len(lines) != 1 {
			t.Errorf("%v: %d lines on stderr, want 1:\n%s", c.args, len(lines), errs)
		}
		if !strings.Contains(errs, c.want) {
			t.Errorf("%v: stderr %q lacks %q", c.args, errs, c.want)
		}
		if out != "" || strings.Contains(errs, "panic") {
			t.Errorf("%v: output or a panic: %s%s", c.args, out, errs)
		}
	}
}
