package kernel

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/boundlab/boundlab/experiments"
)

// stdout runs f and returns what it printed.
func stdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = old }()
	f()
	w.Close()
	var b bytes.Buffer
	_, _ = io.Copy(&b, r)
	return b.String()
}

// A run that fails forgets the result of the run before it: Last then
// says the run failed instead of showing the earlier result; a run that
// succeeds clears that.
func TestFailedRunForgetsLastResult(t *testing.T) {
	t.Setenv("GONB_TMP_DIR", t.TempDir())
	q := experiments.Diagnosis
	if err := save(q.Name(), &experiments.DiagnosisResult{Report: experiments.Report{Question: q.Name()}}); err != nil {
		t.Fatal(err)
	}
	if Last(q) == nil {
		t.Fatal("no result after save")
	}
	p := q.Quick()
	p.Share = 0
	out := stdout(t, func() {
		if res := Run(q, &p); res != nil {
			t.Errorf("Run with --share=0 returned %v", res)
		}
		if res := Last(q); res != nil {
			t.Errorf("Last after a failed run returned the earlier result")
		}
	})
	for _, want := range []string{
		"error: --share: 0 is out of range (allowed: an integer from 1 to 99)\n",
		"error: the last diagnosis run in this kernel session failed (--share: 0 is out of range",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if err := save(q.Name(), &experiments.DiagnosisResult{Report: experiments.Report{Question: q.Name()}}); err != nil {
		t.Fatal(err)
	}
	if Last(q) == nil {
		t.Error("no result after a later run saved one")
	}
}

// A bad override is one line naming the parameter and its range; outside
// a notebook Override returns (in one it ends the cell program with
// status 1) and applies nothing after it.
func TestOverrideFails(t *testing.T) {
	exited := 0
	exit = func(int) { exited++ }
	defer func() { exit = os.Exit }()
	p := experiments.Diagnosis.Quick()
	before := p
	out := stdout(t, func() { Override(&p, "share=0", "near=50") })
	if want := "error: override: --share: 0 is out of range (allowed: an integer from 1 to 99)\n"; out != want {
		t.Errorf("Override share=0 printed %q, want %q", out, want)
	}
	if p.Near != before.Near {
		t.Errorf("the override after the bad one was applied: near %d", p.Near)
	}
	out = stdout(t, func() { Override(&p, "share") })
	if want := "error: override \"share\": want name=value\n"; out != want {
		t.Errorf("Override share printed %q, want %q", out, want)
	}
	if exited != 0 {
		t.Errorf("exit called %d times outside a notebook", exited)
	}
}
