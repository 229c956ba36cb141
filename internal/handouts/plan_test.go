package handouts

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// nbs are the project's notebooks.
func nbs(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("../../notebooks/*.ipynb")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no notebooks: %v", err)
	}
	return paths
}

// asyncCPU is the async-cpu notebook alone.
var asyncCPU = []string{"../../notebooks/01-async-cpu.ipynb"}

func TestPlanOverrides(t *testing.T) {
	jobs, err := Plan(nbs(t), []string{"tasks=3", "latency=20ms", "--limit=50"}, false)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, j := range jobs {
		if j.Question == nil {
			t.Errorf("%s: no parameters cell found", j.Name())
			continue
		}
		got[j.Question.Name()] = j.Overrides
	}
	want := map[string][]string{
		"async-cpu": {"tasks=3"},
		"scaling":   {"tasks=3"},
		"semaphore": {"tasks=3", "latency=20ms", "limit=50"},
	}
	for q, w := range want {
		if !slices.Equal(got[q], w) {
			t.Errorf("%s: overrides %q, want %q", q, got[q], w)
		}
	}
}

func TestPlanQuick(t *testing.T) {
	jobs, err := Plan(asyncCPU, []string{"tasks=2"}, true)
	if err != nil {
		t.Fatal(err)
	}
	// Quick's tasks=4 is replaced by the explicit value, in its place.
	if got, want := jobs[0].Overrides, []string{"tasks=2", "cpu=30ms"}; !slices.Equal(got, want) {
		t.Errorf("overrides %q, want %q", got, want)
	}
	jobs, err = Plan(asyncCPU, nil, false)
	if err != nil || len(jobs[0].Overrides) != 0 {
		t.Errorf("no overrides asked: %q, %v", jobs[0].Overrides, err)
	}
}

func TestPlanErrors(t *testing.T) {
	for _, c := range []struct {
		paths     []string
		overrides []string
		want      []string
	}{
		{nbs(t), []string{"tasks=0"}, []string{"--tasks", "0 is out of range", "allowed: an integer from 1 to"}},
		{nbs(t), []string{"cpu=fast"}, []string{"--cpu", "not a duration", "allowed: a duration from"}},
		{nbs(t), []string{"models=threads"}, []string{"--models", `"threads" is not one of them`}},
		{nbs(t), []string{"bogus=1"}, []string{`no selected notebook has a parameter "bogus"`, "semaphore: tasks, latency, limit"}},
		{asyncCPU, []string{"limit=50"}, []string{`parameter "limit"`, "known: async-cpu: tasks, cpu"}},
		{nbs(t), []string{"tasks"}, []string{"want name=value"}},
	} {
		_, err := Plan(c.paths, c.overrides, false)
		var pe *ParamError
		if !errors.As(err, &pe) {
			t.Errorf("%q: error %v, want a *ParamError", c.overrides, err)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: the message is more than one line: %q", c.overrides, err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: %q does not say %q", c.overrides, err, w)
			}
		}
	}
}
