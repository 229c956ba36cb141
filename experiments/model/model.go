package model

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
)

// MaxConcurrency bounds a run's concurrency: threads, processes or
// semaphore slots.
const MaxConcurrency = 1_000_000

// Defaults for Config fields left zero.
const (
	// DefaultSwitchInterval is CPython's sys.getswitchinterval(): 5 ms.
	DefaultSwitchInterval = 5 * time.Millisecond
	// DefaultHeartbeat is the event loop's lag probe period.
	DefaultHeartbeat = 10 * time.Millisecond
)

// Config says how a model runs a batch.
type Config struct {
	// Concurrency is the number of threads (gil), worker processes
	// (processes) or semaphore slots (goroutines, eventloop): how many tasks
	// may run at once. All tasks are submitted at the start. The cpython
	// model reads it by its Flavor.
	Concurrency int
	// SwitchInterval is the gil model's switch interval, like CPython's
	// sys.setswitchinterval. Zero means DefaultSwitchInterval.
	SwitchInterval time.Duration
	// Heartbeat is the eventloop model's (and the cpython model's asyncio
	// flavor's) lag probe period. Zero means DefaultHeartbeat.
	Heartbeat time.Duration
	// Flavor is the cpython model's mechanism: FlavorThreads (the default),
	// FlavorAsyncio or FlavorProcesses. Other models ignore it.
	Flavor string
	// Python is the interpreter the cpython model runs. Empty means the one
	// named by $BOUNDLAB_PYTHON, or else the first python3 on PATH.
	Python string
	// Progress, if set, is called after each task ends with the number of
	// tasks ended so far and the batch size. It may be called from several
	// goroutines at once and must return quickly.
	Progress func(done, total int)
	// Executor is the size of the eventloop model's executor pools (threads
	// or worker processes) for offloaded steps (Step.Offload). Zero means
	// DefaultExecutor, one per core.
	Executor int
	// Started, if set, is called with the process id of the cpython
	// model's interpreter as soon as it has started, before it runs a task
	// (to sample it with py-spy, say). It must return quickly. Other models
	// ignore it.
	Started func(pid int)
	// Trace records, for each task, when its goroutine or thread was on a
	// CPU and when it was runnable, waiting for one, inside its CPU steps
	// (Span.Sched; see TraceInfo for how and how exactly). It costs the run
	// some speed, so a question traces a run of its own, apart from the
	// runs it measures. Two traced runs of the Go models in one process
	// take turns.
	Trace bool

	// probe, if set, watches the batch's tasks come alive (live.go).
	probe *liveProbe
}

// Model runs batches of tasks under one concurrency mechanism.
type Model interface {
	// Name is the model's short name, as used on the command line.
	Name() Name
	// Describe says in one line what the model is.
	Describe() string
	// Run runs tasks at cfg.Concurrency and returns what happened. It
	// returns an error, and no result, when the batch is invalid or ctx is
	// cancelled before the batch ends; nothing it started outlives it.
	Run(ctx context.Context, tasks []Task, cfg Config) (*Run, error)
}

var registry = map[Name]Model{}

func register(m Model) { registry[m.Name()] = m }

// Names lists the models, sorted.
func Names() []Name {
	names := make([]Name, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Get returns the model called name.
func Get(name Name) (Model, error) {
	if m, ok := registry[name]; ok {
		return m, nil
	}
	return nil, fmt.Errorf("unknown model %q (known: %s)", name, strings.Join(Strings(Names()...), ", "))
}

// recorder does the bookkeeping every model shares: the clock, the spans,
// live and running counts, progress, and the totals at the end.
type recorder struct {
	t0       time.Time
	u0       measure.Usage
	busy0    time.Duration
	spans    []Span
	total    int
	progress func(done, total int)

	live, running         atomic.Int64
	peakLive, peakRunning atomic.Int64
	done                  atomic.Int64

	rss0  int64      // resident memory as the clock started
	probe *liveProbe // see live.go

	// traced is set when Go's execution tracer records the run (trace.go);
	// align is how long after t0 the trace's mark of t0 was made. clocked
	// is set when worker processes trace their CPU steps (trace_clock.go).
	traced, clocked bool
	align           time.Duration
}

func newRecorder(tasks []Task, cfg Config) *recorder {
	r := &recorder{spans: make([]Span, len(tasks)), total: len(tasks), progress: cfg.Progress, probe: cfg.probe}
	// Room for a segment per step, in one allocation: a task that records
	// its segments as it runs allocates nothing (a model that adds others,
	// a GIL wait say, grows its own).
	steps := 0
	for _, t := range tasks {
		steps += len(t.Steps)
	}
	segs := make([]Segment, steps)
	for i := range r.spans {
		r.spans[i].Task = i
		r.spans[i].Worker = -1
		n := len(tasks[i].Steps)
		r.spans[i].Segments, segs = segs[:0:n], segs[n:]
	}
	return r
}

// begin starts the clock and the resource counters. First it makes room
// on the heap for the batch (see settleHeap).
func (r *recorder) begin() {
	settleHeap(uint64(r.total) * taskRoom)
	r.probe.baseline()
	_ = measure.ResetPeakRSS()
	r.rss0 = measure.RSS()
	r.u0 = measure.ReadUsage()
	r.busy0 = measure.MachineBusy()
	r.t0 = time.Now()
	r.align = r.traceStart()
}

// taskRoom is the most a live task needs on the heap and in stacks, in any
// model: a goroutine's stack, descriptor and timer, with room to spare.
const taskRoom = 4096

// settleHeap runs a collection when the heap is within room bytes of the
// collector's goal, so that the garbage of what ran before (an
// experiment's earlier runs, say) is collected before the clock starts
// rather than on this run's clock: a collection in the middle of a batch of
// 1000 waits on two cores held their timers up by 4 to 9 ms. A collection
// costs a few milliseconds, so it runs only when one is near.
func settleHeap(room uint64) {
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return
	}
	if s[1].Value.Uint64()+room >= s[0].Value.Uint64() {
		runtime.GC()
	}
}

// now is the offset from the run's start.
func (r *recorder) now() time.Duration { return time.Since(r.t0) }

func (r *recorder) queued(i int) {
	r.spans[i].Queued = r.now()
	bumpPeak(&r.peakLive, r.live.Add(1))
}

func (r *recorder) started(i, worker int) {
	r.spans[i].Start = r.now()
	r.spans[i].Worker = worker
	bumpPeak(&r.peakRunning, r.running.Add(1))
}

func (r *recorder) segment(i int, k Kind, start time.Duration) {
	r.spans[i].Segments = append(r.spans[i].Segments, Segment{Kind: k, Start: start, End: r.now()})
}

func (r *recorder) ended(i int, err error) {
	r.spans[i].End = r.now()
	if err != nil {
		r.spans[i].Err = err.Error()
		r.spans[i].ErrKind = Classify(err)
	}
	r.running.Add(-1)
	r.live.Add(-1)
	d := r.done.Add(1)
	if r.progress != nil {
		r.progress(int(d), r.total)
	}
}

// otherCPU is the machine's busy time between two readings less own, the
// run's own CPU; 0 if the readings failed or the difference is noise.
func otherCPU(busy0, busy1, own time.Duration) time.Duration {
	if busy0 < 0 || busy1 < 0 {
		return 0
	}
	return max(0, busy1-busy0-own)
}

func bumpPeak(peak *atomic.Int64, v int64) {
	for {
		p := peak.Load()
		if v <= p || peak.CompareAndSwap(p, v) {
			return
		}
	}
}

// finish closes the books: wall time, CPU, memory, GC, latency.
func (r *recorder) finish(name Name, cfg Config) *Run {
	wall := r.now()
	u := measure.ReadUsage().Sub(r.u0)
	run := &Run{
		Model:       string(name),
		Concurrency: cfg.Concurrency,
		Tasks:       r.total,
		Spans:       r.spans,
	}
	t := &run.Totals
	t.Wall = wall
	t.CPUUser = u.User + u.ChildUser
	t.CPUSys = u.Sys + u.ChildSys
	t.PeakRSS = measure.PeakRSS()
	t.StartRSS = r.rss0
	t.OtherCPU = otherCPU(r.busy0, measure.MachineBusy(), t.CPUUser+t.CPUSys)
	t.GCCycles = u.NumGC
	t.GCPause = u.GCPause
	t.PeakLive = int(r.peakLive.Load())
	t.PeakRunning = int(r.peakRunning.Load())
	lat := make([]time.Duration, 0, len(r.spans))
	for _, s := range r.spans {
		t.TaskCPU += s.CPU
		if s.Err != "" {
			t.Failed++
			continue
		}
		lat = append(lat, s.Latency())
	}
	t.Latency = measure.Summarize(lat)
	t.Errors = errorCounts(r.spans)
	return run
}

// cancelled wraps a context error with how far the batch got.
func (r *recorder) cancelled(name Name, err error) error {
	return fmt.Errorf("%s: stopped after %d of %d tasks: %w", name, r.done.Load(), r.total, err)
}
