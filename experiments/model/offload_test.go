package model

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// offloadRuns runs tasks that wait, then encode 1 MiB, on the eventloop
// model: inline and with each executor.
func offloadRun(t *testing.T, ex Executor, n int) *Run {
	t.Helper()
	size := 1 << 20
	PrepareEncode(size)
	task := NewTask(Wait(20*time.Millisecond), Encode(size).Offloaded(ex))
	r, err := mustGet(t, "eventloop").Run(context.Background(), Repeat(n, task), Config{Concurrency: n, Heartbeat: 2 * time.Millisecond, Executor: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Spans {
		if s.Err != "" {
			t.Fatalf("%s: task %d: %s", ex, s.Task, s.Err)
		}
	}
	return r
}

// longest is the longest segment of kind k.
func longest(r *Run, k Kind) time.Duration {
	var d time.Duration
	for _, s := range r.Spans {
		for _, g := range s.Segments {
			if g.Kind == k {
				d = max(d, g.End-g.Start)
			}
		}
	}
	return d
}

// Offloading the encoding to worker processes frees the loop: its worst
// lag is a small part of the lag when the loop encodes itself, which is at
// least one encoding. A broken offload (the loop waiting for the workers)
// fails every attempt.
func TestOffloadFreesLoop(t *testing.T) {
	const n = 12
	for attempt := 1; ; attempt++ {
		inline := offloadRun(t, "", n)
		procs := offloadRun(t, ExecProcesses, n)
		enc := longest(inline, KindEncode)
		t.Logf("attempt %d: max lag inline %v (encode %v), processes %v; processes wall %v, setup %v, serialise %v",
			attempt, inline.Totals.MaxLoopLag, enc, procs.Totals.MaxLoopLag, procs.Totals.Wall, procs.Totals.Setup, procs.Totals.Serialise)
		if inline.Totals.MaxLoopLag < enc*9/10 {
			t.Fatalf("inline: max lag %v below one encode %v: the loop was not blocked", inline.Totals.MaxLoopLag, enc)
		}
		if len(procs.Workers) != 2 || procs.Totals.Setup <= 0 || procs.Totals.Serialise <= 0 {
			t.Fatalf("processes: workers %+v, setup %v, serialise %v", procs.Workers, procs.Totals.Setup, procs.Totals.Serialise)
		}
		if procs.Totals.MaxLoopLag < inline.Totals.MaxLoopLag/5 {
			return
		}
		if attempt == 3 {
			t.Fatalf("the process executor left the loop lagging %v, inline %v", procs.Totals.MaxLoopLag, inline.Totals.MaxLoopLag)
		}
	}
}

// Go's executor threads encode in parallel; CPython-style ones, taking a
// GIL they share with the loop, one at a time, and the loop waits for the
// lock as long as an encoding holds it.
func TestOffloadThreadsAndGIL(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("one CPU: nothing runs in parallel")
	}
	const n = 12
	for attempt := 1; ; attempt++ {
		threads := offloadRun(t, ExecThreads, n)
		gil := offloadRun(t, ExecGILThreads, n)
		enc := longest(gil, KindEncode)
		t.Logf("attempt %d: threads wall %v, max lag %v; gil-threads wall %v, max lag %v, longest encode %v, %d switches",
			attempt, threads.Totals.Wall, threads.Totals.MaxLoopLag, gil.Totals.Wall, gil.Totals.MaxLoopLag, enc, gil.Totals.Switches)
		if overlaps(gil.Spans, KindEncode, 0) {
			t.Fatal("gil-threads: two encodes ran at once")
		}
		if gil.Totals.Switches < 2 {
			t.Fatalf("gil-threads: %d hand-overs of the GIL", gil.Totals.Switches)
		}
		ok := overlaps(threads.Spans, KindEncode, time.Millisecond) && gil.Totals.MaxLoopLag >= enc*9/10
		if ok {
			return
		}
		if attempt == 3 {
			t.Fatalf("threads overlapped: %v; gil-threads' max lag %v against an encode of %v",
				overlaps(threads.Spans, KindEncode, time.Millisecond), gil.Totals.MaxLoopLag, enc)
		}
	}
}

// An offloaded CPU step computes on the executor, and the loop is free
// meanwhile: its heartbeat goes on firing while the step computes, which a
// loop computing the step itself could not do. Read from the spans and the
// heartbeats' times, not from how late they were (a busy machine makes
// any thread late).
func TestOffloadCPU(t *testing.T) {
	task := NewTask(CPUFor(30 * time.Millisecond).Offloaded(ExecThreads))
	r := run(t, "eventloop", Repeat(2, task), Config{Concurrency: 2, Heartbeat: 2 * time.Millisecond, Executor: 2})
	// The step's CPU time is read from the executor thread's clock.
	if r.Spans[0].CPU < 10*time.Millisecond || longest(r, KindCPU) < r.Spans[0].CPU {
		t.Fatalf("cpu segments %v, task CPU %v", longest(r, KindCPU), r.Spans[0].CPU)
	}
	for _, s := range r.Spans {
		for _, g := range s.Segments {
			if g.Kind != KindCPU {
				continue
			}
			fired := 0
			for _, h := range r.LoopLag {
				if at := h.At + h.Lag; at > g.Start && at < g.End {
					fired++
				}
			}
			if fired == 0 {
				t.Errorf("task %d: no heartbeat fired in the %v its offloaded step computed: the loop was not free", s.Task, g.End-g.Start)
			}
		}
	}
}
