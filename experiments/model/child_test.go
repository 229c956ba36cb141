package model

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments/loopback"
)

// In a child whose descriptor limit is tiny, calls beyond it fail with
// "too many open files", counted as such; the others are served, and the
// child reports normally. Below the limit there is no such error.
func TestChildTooManyFiles(t *testing.T) {
	srv := startServer(t, loopback.Config{Workers: 8, Backlog: 256, Service: 100 * time.Millisecond})
	cfgs := []Config{{Flavor: "goroutines"}, {Flavor: "eventloop"}, {Flavor: "gil"}}
	if _, err := Probe(context.Background(), ""); err == nil {
		cfgs = append(cfgs, Config{Flavor: "cpython asyncio"}, Config{Flavor: "cpython threads"})
	}
	const limit = 40
	for _, cfg := range cfgs {
		s := ParseSeries(cfg.Flavor)
		name, flavor := s.Model, s.Flavor
		cfg.Flavor = flavor
		for _, n := range []int{10, 120} {
			cfg.Concurrency = n
			var reports int
			cfg.Progress = func(done, total int) { reports++ }
			cr, err := RunInChild(context.Background(), name, Repeat(n, NewTask(Call(srv.Addr(), 10*time.Second))), cfg,
				ChildOptions{NoFile: limit, Sample: 5 * time.Millisecond})
			if err != nil {
				t.Fatalf("%s %s, %d calls: %v", name, flavor, n, err)
			}
			run := cr.Run
			emfile := run.Totals.Errors[ErrTooManyFiles]
			t.Logf("%s %s, %d calls under a limit of %d: errors %v, peak fds %d (base %d), %d samples, heap %d, sched %+v",
				name, flavor, n, cr.NoFile, run.Totals.Errors, cr.PeakFDs, cr.BaseFDs, len(cr.Samples), cr.PeakHeap, cr.Sched)
			if cr.NoFile != limit || len(run.Spans) != n || reports == 0 {
				t.Fatalf("limit %d, %d spans, %d progress reports", cr.NoFile, len(run.Spans), reports)
			}
			if n < limit/2 && run.Totals.Failed != 0 {
				t.Fatalf("%d calls under a limit of %d: errors %v: %s", n, limit, run.Totals.Errors, firstErr(run))
			}
			if n > limit && (emfile == 0 || emfile != run.Totals.Failed || emfile >= n) {
				t.Fatalf("%d calls under a limit of %d: errors %v (%s), want some, not all, too many open files", n, limit, run.Totals.Errors, firstErr(run))
			}
			// A reading of /proc/PID/fd is not atomic: a descriptor closed
			// and another opened while it is read may both be counted.
			// CPython's are the launcher's and the interpreter's together,
			// each process under the limit.
			if (cr.PeakFDs > limit+2 && name != "cpython") || len(cr.Samples) == 0 {
				t.Fatalf("peak fds %d over the limit %d, %d samples", cr.PeakFDs, limit, len(cr.Samples))
			}
		}
	}
}

// A limit above the hard limit is refused by the child, which says why.
func TestChildLimitAboveHard(t *testing.T) {
	_, err := RunInChild(context.Background(), "goroutines", Repeat(1, NewTask(Wait(time.Millisecond))), Config{Concurrency: 1},
		ChildOptions{NoFile: 1 << 30})
	if err == nil || !strings.Contains(err.Error(), "above the hard limit") {
		t.Fatalf("err = %v", err)
	}
}

// Cancelling a child's batch kills the child promptly.
func TestChildCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := RunInChild(ctx, "eventloop", Repeat(4, NewTask(Wait(time.Minute))), Config{Concurrency: 4}, ChildOptions{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if el := time.Since(t0); el > 3*time.Second {
		t.Fatalf("took %v", el)
	}
	if kids := children(t); len(kids) > 0 {
		t.Fatalf("children left: %v", kids)
	}
}
