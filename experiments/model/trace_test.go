package model

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	xtrace "golang.org/x/exp/trace"

	"github.com/boundlab/boundlab/experiments/measure"
)

// overlaps reports whether segments of kind k of two tasks were in
// progress together for longer than slack.
func overlaps(spans []Span, k Kind, slack time.Duration) bool {
	return measure.MostAtOnce(Intervals(spans, k), slack) > 1
}

// sumOf is the total length of the spans' segments of kind k.
func sumOf(spans []Span, k Kind) time.Duration {
	var d time.Duration
	for _, iv := range Intervals(spans, k) {
		d += iv.End - iv.Start
	}
	return d
}

// The Go models traced with Go's execution tracer: every CPU step is split
// into on-CPU and runnable stretches of the goroutine that ran it, and no
// instant has more tasks on a CPU than the runtime has Ps (GOMAXPROCS:
// the cores, on this machine two), nor more than one for the gil and
// eventloop models. The same count on the CPU steps' wall intervals, the
// way the figure was read before, finds every goroutine "computing" at
// once: the control shows the check can fail.
func TestTracedGoModelsOnCPU(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	const n = 8
	work := 30 * time.Millisecond
	task := NewTask(CPUFor(work/2), Wait(5*time.Millisecond), CPUFor(work/2))
	for _, m := range []Name{Goroutines, GILThreads, EventLoop} {
		t.Run(string(m), func(t *testing.T) {
			r := run(t, m, Repeat(n, task), Config{Concurrency: n, Trace: true})
			if r.Trace == nil || r.Trace.Source != TraceGo || r.Trace.Resolution <= 0 || r.Trace.Resolution > time.Millisecond {
				t.Fatalf("trace info %+v, want the Go tracer's, to within a millisecond", r.Trace)
			}
			limit := procs
			if m != "goroutines" {
				limit = 1 // one lock, one loop
			}
			onCPU := measure.MostAtOnce(Intervals(r.Spans, KindOnCPU), 0)
			if onCPU < 1 || onCPU > limit {
				t.Errorf("%s: %d tasks on a CPU at once, want 1 to %d (GOMAXPROCS %d)", m, onCPU, limit, procs)
			}
			for _, s := range r.Spans {
				checkSched(t, string(m), s, work)
			}
			if m != "goroutines" {
				return
			}
			// The control: the CPU steps' wall intervals overlap all
			// together, though at most procs goroutines ran at a time.
			if walls := measure.MostAtOnce(Intervals(r.Spans, KindCPU), 0); walls <= procs {
				t.Errorf("goroutines: the CPU steps' wall intervals overlap %d at most; the control should count more than %d", walls, procs)
			} else {
				t.Logf("goroutines: %d tasks on a CPU at most (tracer); %d CPU steps in progress at once (wall intervals)", onCPU, walls)
			}
			// Eight goroutines on procs Ps: each waits for one most of the
			// time.
			if run, wait := sumOf(r.Spans, KindOnCPU), sumOf(r.Spans, KindRunnable); procs < n && wait < run {
				t.Errorf("goroutines: %v runnable against %v on a CPU; %d goroutines on %d Ps should mostly wait", wait, run, n, procs)
			}
		})
	}
}

// The processes model and CPython traced from each thread's CPU clock and
// run-queue delay: every CPU step is split into on-CPU and runnable
// stretches, and no overlap longer than the clocks can place shows more
// tasks on a CPU than there are cores, or than one for a single thread
// (asyncio) or threads under the GIL.
func TestTracedClockOnCPU(t *testing.T) {
	cores := runtime.NumCPU()
	const n = 6
	work := 30 * time.Millisecond
	task := NewTask(CPUFor(work/2), Wait(5*time.Millisecond), CPUFor(work/2))
	for _, c := range []struct {
		Series
		limit int
	}{
		{SeriesOf(Processes, ""), cores},
		{SeriesOf(CPython, FlavorProcesses), cores},
		{SeriesOf(CPython, FlavorAsyncio), 1},
		{SeriesOf(CPython, FlavorThreads), 1},
	} {
		name := c.String()
		t.Run(name, func(t *testing.T) {
			if c.Model == CPython {
				if in := needPython(t); in.GILFree() && c.Flavor == FlavorThreads {
					t.Skip("a free-threaded CPython runs its threads in parallel")
				}
			}
			r := run(t, c.Model, Repeat(n, task), Config{Concurrency: n, Flavor: c.Flavor, Trace: true})
			if r.Trace == nil || r.Trace.Source != TraceClock || r.Trace.Resolution <= 0 || r.Trace.Resolution > 2*time.Millisecond {
				t.Fatalf("trace info %+v, want the thread clocks', to within 2 ms", r.Trace)
			}
			on := Intervals(r.Spans, KindOnCPU)
			if most := measure.MostAtOnce(on, 2*r.Trace.Resolution); most < 1 || most > c.limit {
				t.Errorf("%s: %d tasks on a CPU at once for longer than %v, want 1 to %d", name, most, 2*r.Trace.Resolution, c.limit)
			}
			t.Logf("%s: %d tasks on a CPU at once at any instant, %d for longer than %v; %v on a CPU, %v runnable",
				name, measure.MostAtOnce(on, 0), measure.MostAtOnce(on, 2*r.Trace.Resolution), 2*r.Trace.Resolution,
				sumOf(r.Spans, KindOnCPU), sumOf(r.Spans, KindRunnable))
			// The thread's own CPU clock over the task: a chunk's CPU
			// is on a CPU, whatever the calibration said it would take.
			// Under the GIL the clock also counts the hand-over's CPU,
			// which the trace places off the CPU with the wait for the
			// GIL (boundlab_cpu.burn's chunk_ns): there the calibrated
			// work is what must be on a CPU.
			for _, s := range r.Spans {
				on := s.CPU
				if c.Flavor == FlavorThreads {
					on = min(on, work)
				}
				checkSched(t, name, s, on)
			}
		})
	}
}

// checkSched checks one span's Sched: inside its CPU steps only (but for
// a wait for a CPU before the task began), in time order, covering nearly
// all of each step, with at least work on a CPU: the task's calibrated
// work, which a goroutine computes only while it runs and a calibrated step
// takes at least, or the CPU time its thread's clock counted.
func checkSched(t *testing.T, m string, s Span, work time.Duration) {
	t.Helper()
	var steps, covered, on time.Duration
	for _, g := range s.Segments {
		if g.Kind == KindCPU {
			steps += g.End - g.Start
		}
	}
	var last time.Duration
	for _, x := range s.Sched {
		if x.Start < last || x.End <= x.Start {
			t.Errorf("%s task %d: sched %v out of order", m, s.Task, s.Sched)
			return
		}
		last = x.End
		// Inside a CPU step, or (goroutines) waiting for a CPU before the
		// task began.
		inside := x.Kind == KindRunnable && x.Start >= s.Queued && x.End <= s.Start
		for _, g := range s.Segments {
			inside = inside || (g.Kind == KindCPU && x.Start >= g.Start && x.End <= g.End)
		}
		if !inside {
			t.Errorf("%s task %d: %s segment %v–%v outside its CPU steps", m, s.Task, x.Kind, x.Start, x.End)
		}
		if x.End > s.Start {
			covered += x.End - x.Start
		}
		if x.Kind == KindOnCPU {
			on += x.End - x.Start
		}
	}
	if covered < steps*9/10 {
		t.Errorf("%s task %d: sched covers %v of %v in CPU steps", m, s.Task, covered, steps)
	}
	if on < work*9/10 {
		t.Errorf("%s task %d: %v on a CPU for %v of calibrated work", m, s.Task, on, work)
	}
}

// A run not asked to trace has no Sched, and a result saved before Sched
// existed decodes with none.
func TestUntracedRunHasNoSched(t *testing.T) {
	r := run(t, "goroutines", Repeat(2, NewTask(CPUFor(2*time.Millisecond))), Config{Concurrency: 2})
	if r.Trace != nil || len(Intervals(r.Spans, KindOnCPU)) > 0 {
		t.Errorf("untraced run: trace %+v, %d on-CPU segments", r.Trace, len(Intervals(r.Spans, KindOnCPU)))
	}
	var old Run
	if err := json.Unmarshal([]byte(`{"model":"goroutines","spans":[{"task":0,"worker":0,"segments":[{"kind":"cpu","start_ns":0,"end_ns":5}]}]}`), &old); err != nil {
		t.Fatal(err)
	}
	if old.Trace != nil || len(old.Spans[0].Sched) != 0 || len(old.Spans[0].Segments) != 1 {
		t.Errorf("old result decoded as %+v", old)
	}
}

// clip splits a stretch by a goroutine's states; goroutineOf finds the
// goroutine that marked a step.
func TestClip(t *testing.T) {
	us := time.Microsecond
	cs := []change{{0, xtrace.GoRunnable}, {10 * us, xtrace.GoRunning}, {20 * us, xtrace.GoSyscall},
		{22 * us, xtrace.GoRunning}, {30 * us, xtrace.GoRunnable}, {40 * us, xtrace.GoWaiting}, {50 * us, xtrace.GoRunning}}
	cases := []struct {
		from, to time.Duration
		want     string
	}{
		{5 * us, 35 * us, "[{runnable 5µs 10µs} {on-cpu 10µs 30µs} {runnable 30µs 35µs}]"},
		{12 * us, 18 * us, "[{on-cpu 12µs 18µs}]"},
		{35 * us, 55 * us, "[{runnable 35µs 40µs} {on-cpu 50µs 55µs}]"}, // waiting: no segment
		{-5 * us, 5 * us, "[{runnable 0s 5µs}]"},                        // before the first change: unknown
	}
	for _, c := range cases {
		var got []string
		for _, g := range clip(cs, c.from, c.to) {
			got = append(got, fmt.Sprintf("{%s %v %v}", g.Kind, g.Start, g.End))
		}
		if s := fmt.Sprint(got); s != c.want {
			t.Errorf("clip(%v, %v) = %s, want %s", c.from, c.to, s, c.want)
		}
	}
	// The stretch a goroutine waited for a CPU before it ran.
	for _, c := range []struct {
		from, to time.Duration
		want     string
	}{
		{0, 10 * us, "[{runnable 0s 10µs}]"},
		{0, 12 * us, "[{runnable 0s 10µs}]"}, // it ran from 10 µs, and recorded its start at 12
		{0, 25 * us, "[{runnable 0s 10µs}]"}, // it ran, in and out of a system call, until 25
		{35 * us, 52 * us, "[]"},             // it waited on something, not for a CPU
	} {
		var got []string
		for _, g := range runnableBefore(cs, c.from, c.to) {
			got = append(got, fmt.Sprintf("{%s %v %v}", g.Kind, g.Start, g.End))
		}
		if s := fmt.Sprint(got); s != c.want {
			t.Errorf("runnableBefore(%v, %v) = %s, want %s", c.from, c.to, s, c.want)
		}
	}
	tl := &timeline{marks: map[int][]mark{3: {{10 * us, 7}, {100 * us, 9}}}}
	for _, c := range []struct {
		after, before time.Duration
		want          xtrace.GoID
		ok            bool
	}{
		{0, 12 * us, 7, true},
		{50 * us, 101 * us, 9, true},
		{50 * us, 90 * us, 0, false}, // the last mark is the previous step's
		{0, 5 * us, 0, false},
	} {
		if g, ok := tl.goroutineOf(3, c.after, c.before, us); g != c.want || ok != c.ok {
			t.Errorf("goroutineOf(3, %v, %v) = %d, %v; want %d, %v", c.after, c.before, g, ok, c.want, c.ok)
		}
	}
}
