package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseHandoutsArgs(t *testing.T) {
	a, err := parseHandoutsArgs([]string{"01-async-cpu", "-p", "tasks=3", "--quick", "03-semaphore", "-p=limit=50", "--out", "x", "--timeout", "5m"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.notebooks, []string{"01-async-cpu", "03-semaphore"}) || !slices.Equal(a.overrides, overrideList{"tasks=3", "limit=50"}) ||
		!a.quick || a.out != "x" || a.timeout != 5*time.Minute {
		t.Errorf("parsed %+v", a)
	}
	if _, err := parseHandoutsArgs([]string{"--timeout", "-1s"}); err == nil {
		t.Error("a negative timeout is accepted")
	}
}

// Bad parameters and unknown notebooks are reported in one line, exit 2,
// before anything runs (so without Jupyter).
func TestHandoutsUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"handouts", "-p", "tasks=0"}, "--tasks: 0 is out of range (allowed: an integer from 1 to"},
		{[]string{"handouts", "-p", "limit=x", "03-semaphore"}, `--limit: "x" is not an integer`},
		{[]string{"handouts", "-p", "limit=50", "01-async-cpu"}, `no selected notebook has a parameter "limit"`},
		{[]string{"handouts", "-p", "nope=1"}, `no selected notebook has a parameter "nope"`},
		{[]string{"handouts", "no-such-notebook"}, `no notebook "no-such-notebook" (in notebooks/: 00-diagnosis, 01-async-cpu`},
		{[]string{"handouts", "--bogus"}, "flag provided but not defined"},
	} {
		out, errOut, code := cli(t, c.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and one line saying %q", c.args, code, out, errOut, c.want)
		}
	}
	out, _, code := cli(t, "handouts", "--help")
	if code != 0 || !strings.Contains(out, "-p name=value") {
		t.Errorf("--help: exit %d:\n%s", code, out)
	}
}
