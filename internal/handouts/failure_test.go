package handouts

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestFailure reads outputs that GoNB really produced (recorded with
// nbclient in testdata/gonb-outputs.json) for cells that fail and cells
// that do not.
func TestFailure(t *testing.T) {
	b, err := os.ReadFile("testdata/gonb-outputs.json")
	if err != nil {
		t.Fatal(err)
	}
	var cells map[string][]Output
	if err := json.Unmarshal(b, &cells); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]string{
		"compile":   {"Cell[", "Line 3: declared and not used: x"},
		"exit":      {"cannot go on", "exit status 3"},
		"panic":     {"panic: boom", "exit status 2"},
		"showerror": {"no semaphore result yet in this kernel session"},
		"shell":     {"exit status 1"},
		"warning":   nil,
		"ok":        nil,
	} {
		outs, ok := cells[name]
		if !ok {
			t.Fatalf("no recorded outputs %q", name)
		}
		got := Failure(outs)
		if want == nil {
			if got != "" {
				t.Errorf("%s: a failure: %q", name, got)
			}
			continue
		}
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: failure %q does not say %q", name, got, w)
			}
		}
		if strings.Contains(got, "\x1b[") || strings.Contains(got, "<") {
			t.Errorf("%s: failure %q holds markup or escapes", name, got)
		}
	}
}

// Streams stored in a file split their text into lines; an error output
// alone still fails.
func TestFailureForms(t *testing.T) {
	var outs []Output
	if err := json.Unmarshal([]byte(`[
		{"output_type": "stream", "name": "stderr", "text": ["override: --tasks: 0 is out of range\n", "exit status 2\n"]},
		{"output_type": "display_data", "data": {"application/json": {"a": 1}, "text/plain": ["x"]}, "metadata": {}}]`), &outs); err != nil {
		t.Fatal(err)
	}
	if got := Failure(outs); got != "override: --tasks: 0 is out of range\nexit status 2" {
		t.Errorf("failure %q", got)
	}
	errOut := []Output{{Type: "error", EName: "ERROR", EValue: "\x1b[31mkernel died\x1b[0m"}}
	if got := Failure(errOut); got != "ERROR: kernel died" {
		t.Errorf("failure %q", got)
	}
	// A long stderr keeps its end.
	long := []Output{{Type: "stream", Name: "stderr", Text: text(strings.Repeat("line\n", 40) + "exit status 1\n")}}
	got := Failure(long)
	if n := strings.Count(got, "\n"); n != maxErrorLines || !strings.HasSuffix(got, "exit status 1") || !strings.HasPrefix(got, "… (29 lines before)") {
		t.Errorf("long failure: %d lines: %q", n+1, got)
	}
}

func TestCellError(t *testing.T) {
	e := &CellError{Notebook: "01-async-cpu", Cell: 10, Cells: 14, Line: "%% res := kernel.Run(…)", Text: "a\nexit status 2"}
	want := "01-async-cpu: cell 10/14 failed (%% res := kernel.Run(…)):\n    a\n    exit status 2"
	if e.Error() != want {
		t.Errorf("%q, want %q", e.Error(), want)
	}
}
