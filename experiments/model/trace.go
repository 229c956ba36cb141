package model

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	rtrace "runtime/trace"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	xtrace "golang.org/x/exp/trace"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/internal/units"
)

// Where a traced run's Span.Sched comes from (TraceInfo.Source).
const (
	// TraceGo is Go's execution tracer (runtime/trace, read back with
	// golang.org/x/exp/trace): the runtime's own record of every change of
	// a goroutine's state. A task's goroutine (goroutines model) or the
	// goroutine of the thread that runs it (gil, eventloop: locked to their
	// OS threads) is on a CPU while it runs on one of the runtime's
	// GOMAXPROCS Ps or is in a system call, and runnable while it waits for
	// a P. It is exact to the trace's clock, but only as far as Go's
	// scheduler sees: a thread that the operating system takes off its core
	// for another process still counts as running.
	TraceGo = "go-tracer"
	// TraceClock is the computing thread's own CPU clock
	// (CLOCK_THREAD_CPUTIME_ID; time.thread_time_ns in CPython), read
	// between chunks of the computation, with the kernel's account of its
	// run-queue delay (/proc/thread-self/schedstat): a chunk whose wall time
	// exceeds its CPU time by more than a threshold held a stretch off the
	// CPU, runnable for as much of it as the run-queue delay grew (all of
	// it where schedstat is missing and the thread could only have been
	// waiting for a core). Shorter stretches (under 20 to 30 µs: an
	// undisturbed chunk's two clocks agree to a microsecond or so, and a
	// thread sharing a core is switched out for about 100 µs at a time)
	// stay in the on-CPU time, and a stretch is placed in its chunk only to
	// within the chunk's CPU time (about 50 µs undisturbed, more for a
	// chunk that held a switch): TraceInfo.Resolution says how far that
	// is, about 0.1 to 0.5 ms. It sees what the OS does, other processes
	// included.
	TraceClock = "thread-clock"
)

// TraceInfo says where a traced run's Sched came from and how exact it is.
type TraceInfo struct {
	// Source is TraceGo or TraceClock.
	Source string `json:"source"`
	// Resolution bounds how far an edge of a Sched segment may be from the
	// moment the task's thread or goroutine went on or off its CPU: two
	// tasks' on-CPU segments that overlap by less than twice this may not
	// have overlapped at all.
	Resolution time.Duration `json:"resolution_ns"`
}

// String says in a few words how the scheduling was taken, for a chart's
// subtitle: "Go's execution tracer", "each thread's CPU clock (to within
// 0.16 ms)".
func (t *TraceInfo) String() string {
	if t == nil {
		return "not traced"
	}
	switch t.Source {
	case TraceGo:
		return "Go's execution tracer"
	case TraceClock:
		return fmt.Sprintf("each thread's CPU clock (to within %s)", units.Duration(t.Resolution))
	}
	return t.Source
}

// Intervals are the spans' segments of kind k, as intervals: their step
// segments (Segments) or, for KindOnCPU and KindRunnable, their scheduling
// (Sched). Empty segments are left out. measure.MostAtOnce of them is the
// most tasks doing k at once.
func Intervals(spans []Span, k Kind) []measure.Interval {
	var iv []measure.Interval
	for _, s := range spans {
		segs := s.Segments
		if k == KindOnCPU || k == KindRunnable {
			segs = s.Sched
		}
		for _, g := range segs {
			if g.Kind == k && g.End > g.Start {
				iv = append(iv, measure.Interval{Start: g.Start, End: g.End})
			}
		}
	}
	return iv
}

// The trace's user log categories: the run's clock start, and a task's
// CPU step about to begin on the logging goroutine.
const (
	logT0   = "boundlab.t0"
	logTask = "boundlab.task"
)

// traceMu lets one traced run of the Go models at a time hold the
// process's execution tracer.
var traceMu sync.Mutex

// goTrace is Go's execution tracer running for one traced run.
type goTrace struct {
	buf bytes.Buffer
	on  bool
}

// startTraced checks a run's tasks and configuration (validate), then
// starts Go's execution tracer if cfg asks for a trace (startTrace).
func startTraced(tasks []Task, cfg Config) (*goTrace, error) {
	if err := validate(tasks, cfg); err != nil {
		return nil, err
	}
	return startTrace(cfg)
}

// startTrace starts the execution tracer for a run with cfg.Trace set,
// after another traced run in this process ends; nil without cfg.Trace.
func startTrace(cfg Config) (*goTrace, error) {
	if !cfg.Trace {
		return nil, nil
	}
	traceMu.Lock()
	t := &goTrace{}
	if err := rtrace.Start(&t.buf); err != nil {
		traceMu.Unlock()
		return nil, fmt.Errorf("trace: start Go's execution tracer: %w (is it already on, as under go test -trace?)", err)
	}
	t.on = true
	return t, nil
}

// stop stops the tracer, once; a nil goTrace does nothing.
func (t *goTrace) stop() {
	if t == nil || !t.on {
		return
	}
	rtrace.Stop()
	t.on = false
	traceMu.Unlock()
}

// apply stops the tracer and fills run's spans' Sched from the trace (see
// TraceGo); align is how long after the run's clock started its start was
// logged. A nil goTrace does nothing.
func (t *goTrace) apply(run *Run, align time.Duration) error {
	if t == nil {
		return nil
	}
	t.stop()
	tl, err := readTrace(&t.buf)
	if err != nil {
		return err
	}
	tl.sched(run.Spans, align+time.Microsecond, run.Model == string(Goroutines))
	run.Trace = &TraceInfo{Source: TraceGo, Resolution: max(align, time.Microsecond)}
	return nil
}

// traceStart marks the run's clock start in the trace (a traced run only)
// and returns how long after the clock started the mark was made.
func (r *recorder) traceStart() time.Duration {
	if !r.traced {
		return 0
	}
	rtrace.Log(context.Background(), logT0, "")
	return time.Since(r.t0)
}

// traceCPU marks, in a traced run, that the calling goroutine is about to
// record a CPU segment of task i: the trace then knows whose goroutine it
// is. Call it before the segment's start is read.
func (r *recorder) traceCPU(i int) {
	if r.traced {
		rtrace.Log(context.Background(), logTask, strconv.Itoa(i))
	}
}

// mark is one traceCPU: when, and on which goroutine.
type mark struct {
	at time.Duration
	g  xtrace.GoID
}

// change is a goroutine entering a state.
type change struct {
	at time.Duration
	to xtrace.GoState
}

// timeline is what a trace says: each goroutine's state changes and each
// task's marks, as offsets from the run's clock start.
type timeline struct {
	states map[xtrace.GoID][]change
	marks  map[int][]mark
}

// readTrace reads a trace into a timeline: every goroutine's state
// changes and the marks, timed from the t0 mark.
func readTrace(r io.Reader) (*timeline, error) {
	rd, err := xtrace.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("trace: read: %w", err)
	}
	type rawChange struct {
		at xtrace.Time
		g  xtrace.GoID
		to xtrace.GoState
	}
	type rawMark struct {
		at   xtrace.Time
		g    xtrace.GoID
		task int
	}
	var changes []rawChange
	var marks []rawMark
	var t0 xtrace.Time
	found := false
	for {
		ev, err := rd.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("trace: read: %w", err)
		}
		switch ev.Kind() {
		case xtrace.EventLog:
			l := ev.Log()
			switch l.Category {
			case logT0:
				t0, found = ev.Time(), true
			case logTask:
				if i, err := strconv.Atoi(l.Message); err == nil {
					marks = append(marks, rawMark{ev.Time(), ev.Goroutine(), i})
				}
			}
		case xtrace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind != xtrace.ResourceGoroutine {
				continue
			}
			_, to := st.Goroutine()
			changes = append(changes, rawChange{ev.Time(), st.Resource.Goroutine(), to})
		}
	}
	if !found {
		return nil, errors.New("trace: the run's start is not in the trace")
	}
	tl := &timeline{states: map[xtrace.GoID][]change{}, marks: map[int][]mark{}}
	for _, c := range changes {
		tl.states[c.g] = append(tl.states[c.g], change{c.at.Sub(t0), c.to})
	}
	for _, m := range marks {
		tl.marks[m.task] = append(tl.marks[m.task], mark{m.at.Sub(t0), m.g})
	}
	for _, cs := range tl.states {
		sort.SliceStable(cs, func(a, b int) bool { return cs[a].at < cs[b].at })
	}
	return tl, nil
}

// sched fills each span's Sched from the timeline: each CPU segment is
// matched to the goroutine that marked it (the task's last mark before the
// segment began and after the segment before it ended, within tol, the
// alignment of the two clocks) and split by that goroutine's states.
// Segments no mark matches (a step a worker process ran) get none. With
// own (a goroutine per task, from its creation: the goroutines model), the
// stretch in which the task's goroutine was runnable just before it began
// to run (Start) is runnable too: a task created with the others that
// waited for a CPU before its first step.
func (tl *timeline) sched(spans []Span, tol time.Duration, own bool) {
	for k := range spans {
		sp := &spans[k]
		segs := slices.Clone(sp.Segments)
		slices.SortStableFunc(segs, func(a, b Segment) int { return int(a.Start - b.Start) })
		prev := sp.Start
		first := true
		for _, g := range segs {
			if g.Kind == KindCPU {
				if gid, ok := tl.goroutineOf(sp.Task, prev, g.Start, tol); ok {
					if first && own {
						sp.Sched = append(sp.Sched, runnableBefore(tl.states[gid], sp.Queued, sp.Start)...)
					}
					sp.Sched = append(sp.Sched, clip(tl.states[gid], g.Start, g.End)...)
				}
				first = false
			}
			prev = max(prev, g.End)
		}
		// A step a worker process ran brought its own (trace_clock.go).
		slices.SortStableFunc(sp.Sched, func(a, b Segment) int { return int(a.Start - b.Start) })
	}
}

// goroutineOf is the goroutine of task i's last mark in [after−tol,
// before+tol].
func (tl *timeline) goroutineOf(i int, after, before, tol time.Duration) (xtrace.GoID, bool) {
	ms := tl.marks[i]
	k := sort.Search(len(ms), func(j int) bool { return ms[j].at > before+tol }) - 1
	if k < 0 || ms[k].at < after-tol {
		return 0, false
	}
	return ms[k].g, true
}

// runnableBefore is the stretch of [from, to) in which a goroutine was
// runnable until it ran up to to, if it was: it waited for a CPU, then ran
// (the moment it took to record to, or none) to the end.
func runnableBefore(cs []change, from, to time.Duration) []Segment {
	segs := clip(cs, from, to)
	n := len(segs)
	if n == 0 || segs[n-1].End != to {
		return nil
	}
	if k := n - 1; segs[k].Kind == KindRunnable {
		return segs[k:]
	}
	if k := n - 2; k >= 0 && segs[n-1].Kind == KindOnCPU && segs[k].Kind == KindRunnable && segs[k].End == segs[n-1].Start {
		return segs[k : k+1]
	}
	return nil
}

// clip splits [from, to) by a goroutine's states: on a CPU while running
// or in a system call, runnable while waiting for a P; other states (a
// wait inside the step) get no segment. Neighbours of one kind merge.
func clip(cs []change, from, to time.Duration) []Segment {
	kindOf := func(s xtrace.GoState) Kind {
		switch s {
		case xtrace.GoRunning, xtrace.GoSyscall:
			return KindOnCPU
		case xtrace.GoRunnable:
			return KindRunnable
		}
		return ""
	}
	// The state at from: the last change at or before it.
	k := sort.Search(len(cs), func(j int) bool { return cs[j].at > from }) - 1
	state := xtrace.GoUndetermined
	if k >= 0 {
		state = cs[k].to
	}
	var out []Segment
	add := func(kind Kind, a, b time.Duration) {
		if kind == "" || b <= a {
			return
		}
		if n := len(out); n > 0 && out[n-1].Kind == kind && out[n-1].End == a {
			out[n-1].End = b
			return
		}
		out = append(out, Segment{Kind: kind, Start: a, End: b})
	}
	at := from
	for j := k + 1; j < len(cs) && cs[j].at < to; j++ {
		add(kindOf(state), at, cs[j].at)
		at, state = cs[j].at, cs[j].to
	}
	add(kindOf(state), at, to)
	return out
}
