package model

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// Live tasks' memory is in plausible bounds: a bare goroutine its 2 KiB
// stack and its descriptor, a model's goroutine a stack and a few hundred
// bytes of timer and channel waits, an event loop task a small part of
// that; the profile names the parts.
func TestMeasureLive(t *testing.T) {
	const n = 20000
	per := map[string]float64{}
	for _, m := range LiveModels() {
		lm, err := MeasureLive(context.Background(), m, n, false)
		if err != nil {
			t.Fatal(err)
		}
		per[m] = lm.PerTask()
		t.Logf("%s: %.0f B per task (stacks %.0f, heap %.0f, RSS %.0f), %d goroutines, created in %v, recorder %.0f B per task",
			m, lm.PerTask(), float64(lm.Stacks)/n, float64(lm.HeapObjects)/n, float64(lm.RSS)/n, lm.Goroutines, lm.Create, float64(lm.RecorderBytes)/n)
		if lm.Tasks != n || lm.PID <= 0 || lm.Create <= 0 {
			t.Errorf("%s: %+v", m, lm)
		}
	}
	if b := per[LiveBare]; b < 2048 || b > 3584 {
		t.Errorf("bare goroutine: %.0f B, want 2 KiB of stack and under 1.5 KiB more", b)
	}
	if g := per["goroutines"]; g < 2048 || g > 8192 {
		t.Errorf("goroutines: %.0f B per task", g)
	}
	if e := per["eventloop"]; e < 40 || e > per["goroutines"]/4 {
		t.Errorf("eventloop: %.0f B per task, goroutines %.0f", e, per["goroutines"])
	}
	lm, err := MeasureLive(context.Background(), "goroutines", 5000, true)
	if err != nil {
		t.Fatal(err)
	}
	var sites []string
	for _, s := range lm.Sites {
		sites = append(sites, s.Site)
	}
	all := strings.Join(sites, "; ")
	for _, want := range []string{"goroutine descriptor", "timer (time.NewTimer", "channel waits"} {
		if !strings.Contains(all, want) {
			t.Errorf("profile sites %q lack %q", all, want)
		}
	}
	if _, err := MeasureLive(context.Background(), "gil", 10, false); err == nil {
		t.Error("MeasureLive(gil) succeeded")
	}
}

// CPython's asyncio tasks hold the objects the lecture lists.
func TestPythonLive(t *testing.T) {
	lm, err := PythonLive(context.Background(), "", 5000)
	if errors.Is(err, ErrUnavailable) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("asyncio: %.0f B per task traced, %.0f B RSS, created in %v, sites %+v", lm.PerTask(), float64(lm.RSS)/5000, lm.Create, lm.Sites)
	if p := lm.PerTask(); p < 300 || p > 10000 {
		t.Errorf("%.0f B per asyncio task", p)
	}
	got := map[string]int64{}
	for _, s := range lm.Sites {
		got[s.Site] = s.Objects
	}
	for _, want := range []string{"coroutine", "_asyncio.Task", "_asyncio.Future"} {
		if got[want] < 5000 {
			t.Errorf("%s: %d objects for 5000 tasks (sites %v)", want, got[want], got)
		}
	}
}
