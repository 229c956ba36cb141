package experiments

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/boundlab/boundlab/experiments/loopback"
	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
)

// CallPoint is one batch of real loopback calls: Tasks tasks, each one
// call over a new connection, run by a model in a child process (so that
// the child's descriptor limit is the clients' alone) against a fresh
// server in this process.
type CallPoint struct {
	// Model is the series: the model, or "cpython asyncio".
	Model string `json:"model"`
	Tasks int    `json:"tasks"`
	// Slots is the run's concurrency: how many calls may be in flight at
	// once (a semaphore's limit, or Tasks where there is none).
	Slots int `json:"slots"`
	// Run indexes Report.Runs, or is -1 when the child died (Crash says
	// how) and there is no run.
	Run   int    `json:"run"`
	Crash string `json:"crash,omitempty"`
	// OK is how many calls were answered; Errors counts the others by kind.
	OK     int                   `json:"ok"`
	Errors map[model.ErrKind]int `json:"errors,omitempty"`
	// Wall is the batch's wall time; Throughput the answered calls a
	// second over it.
	Wall       time.Duration `json:"wall_ns"`
	Throughput float64       `json:"throughput_per_s"`
	// Latency is each answered call's task from creation to end (waiting
	// for a semaphore slot included); CallLatency the call alone, from
	// connecting to the answer; StartDelay every task's wait from creation
	// to its start (a slot, a thread, the loop reaching it).
	Latency     measure.Summary `json:"latency"`
	CallLatency measure.Summary `json:"call_latency"`
	StartDelay  measure.Summary `json:"start_delay"`
	// NoFile is the child's descriptor limit, BaseFDs what it had open
	// before the batch, PeakFDs the most open during it (sampled).
	NoFile  int `json:"nofile"`
	BaseFDs int `json:"base_fds"`
	PeakFDs int `json:"peak_fds"`
	// The child's peak resident memory, and its Go runtime's peak heap
	// (objects), goroutine stacks and goroutines, sampled.
	PeakRSS        int64 `json:"peak_rss_bytes"`
	PeakHeap       int64 `json:"peak_heap_bytes"`
	PeakStacks     int64 `json:"peak_stacks_bytes"`
	PeakGoroutines int64 `json:"peak_goroutines"`
	// PeakLive is the most tasks alive at once.
	PeakLive int `json:"peak_live"`
	// GCCycles and GCPause are the child's garbage collection during the
	// batch; CPU its CPU time (user and system).
	GCCycles int64         `json:"gc_cycles"`
	GCPause  time.Duration `json:"gc_pause_ns"`
	CPU      time.Duration `json:"cpu_ns"`
	// MaxLoopLag is the event loop's largest heartbeat lag (eventloop,
	// cpython asyncio); Sched the child's goroutines' runnable-to-running
	// delays (Go models).
	MaxLoopLag time.Duration        `json:"max_loop_lag_ns,omitempty"`
	Sched      measure.SchedLatency `json:"sched_latency"`
	// Server is what the server counted.
	Server loopback.Stats `json:"server"`
	// Samples are the client process's open descriptors and resident
	// memory over the batch.
	Samples []model.ChildSample `json:"samples,omitempty"`
}

// CallRuns are one setting's runs: the run the tables and charts show and,
// where the setting ran more than once, every run, whose figures are
// judged.
type CallRuns struct {
	// CallPoint is the run shown: of several, the one whose answered calls
	// a second are nearest their median.
	CallPoint
	// Repeats are every run, in round order, where there were several
	// (CallPoint is one of them). They carry no Samples: the shown run's
	// are CallPoint's.
	Repeats []CallPoint `json:"repeats,omitempty"`
}

// callRuns gathers a setting's runs.
func callRuns(runs []CallPoint) CallRuns {
	var p CallRuns
	if len(runs) == 0 {
		return p
	}
	p.CallPoint = runs[representative(runs, func(c CallPoint) float64 { return c.Throughput })]
	if len(runs) > 1 {
		p.Repeats = slices.Clone(runs)
		for i := range p.Repeats {
			p.Repeats[i].Samples = nil
		}
	}
	return p
}

// All are the setting's runs: its Repeats, or its one run.
func (p CallRuns) All() []CallPoint {
	if len(p.Repeats) > 0 {
		return p.Repeats
	}
	return []CallPoint{p.CallPoint}
}

// Each is f of each of the setting's runs, for a verdict's samples.
func (p CallRuns) Each(f func(CallPoint) float64) []float64 {
	var out []float64
	for _, c := range p.All() {
		out = append(out, f(c))
	}
	return out
}

// overCapacity is each of the setting's runs' answered calls a second
// over a server's capacity (calls a second), for a verdict's samples.
func (p CallRuns) overCapacity(capacity float64) []float64 {
	return p.Each(func(c CallPoint) float64 { return c.Throughput / capacity })
}

// tooManyFiles is each of the setting's runs' calls that failed with too
// many open files, for a verdict's samples.
func (p CallRuns) tooManyFiles() []float64 {
	return p.Each(func(c CallPoint) float64 { return float64(c.Errors[model.ErrTooManyFiles]) })
}

// runsOf are every run of the settings pts, in their order.
func runsOf[P interface{ All() []CallPoint }](pts []P) []CallPoint {
	var out []CallPoint
	for _, pt := range pts {
		out = append(out, pt.All()...)
	}
	return out
}

// FailedShare is the share of a run's calls that failed, of any kind; a
// run whose client process died failed every call.
func (p CallPoint) FailedShare() float64 {
	if p.Crash != "" {
		return 1
	}
	return share(p.Failed(), p.Tasks)
}

// representative is the index of the item whose figure is nearest the
// items' median.
func representative[T any](xs []T, figure func(T) float64) int {
	fs := make([]float64, len(xs))
	for i, x := range xs {
		fs[i] = figure(x)
	}
	m := measure.Median(fs)
	best := 0
	for i, f := range fs {
		if math.Abs(f-m) < math.Abs(fs[best]-m) {
			best = i
		}
	}
	return best
}

// share is n of total as a fraction, 0 for none.
func share(n, total int) float64 {
	if total <= 0 {
		return 0
	}
	return float64(n) / float64(total)
}

// runIndexes are the indexes in Report.Runs of the calls' runs (a run
// whose client died has none), for Report.busy.
func runIndexes(pts ...CallPoint) []int {
	var out []int
	for _, c := range pts {
		if c.Run >= 0 {
			out = append(out, c.Run)
		}
	}
	return out
}

// Failed is how many calls failed, of any kind.
func (p CallPoint) Failed() int {
	n := 0
	for _, c := range p.Errors {
		n += c
	}
	return n
}

// callBatch is one batch of calls to run.
type callBatch struct {
	series  series
	tasks   int
	slots   int
	server  loopback.Config
	timeout time.Duration
	python  string
	child   model.ChildOptions
	// keepSegments keeps the spans' segments in the result; without it a
	// batch of more than segmentsUpTo tasks drops them (each is one call
	// segment, the span's own start and end: 50,000 of them add megabytes
	// to a result and nothing to its charts).
	keepSegments bool
}

// segmentsUpTo is the largest batch whose spans keep their segments.
const segmentsUpTo = 5000

// runCalls starts a server, runs the batch in a child against it, stops
// the server and records the run. A child that dies is a point with Crash
// set, not an error: it is one of the outcomes the experiments look for.
func (r *Report) runCalls(ctx context.Context, tr *tracker, stage string, weight float64, label string, b callBatch) (CallPoint, error) {
	pt := CallPoint{Model: b.series.String(), Tasks: b.tasks, Slots: b.slots, Run: -1}
	srv, err := loopback.Start(ctx, b.server)
	if err != nil {
		return pt, fmt.Errorf("%s: %w", stage, err)
	}
	tasks := model.Repeat(b.tasks, model.NewTask(model.Call(srv.Addr(), b.timeout)))
	cfg := b.series.config(model.Config{Concurrency: b.slots}, b.python)
	cfg.Progress = tr.stage(stage, weight)
	u0 := measure.ReadUsage()
	cr, err := model.RunInChild(ctx, b.series.model, tasks, cfg, b.child)
	pt.Server = srv.Close()
	u := measure.ReadUsage().Sub(u0)
	var exit *model.ChildExitError
	switch {
	case errors.As(err, &exit) && ctx.Err() == nil:
		pt.Crash = exit.Error()
		return pt, nil
	case err != nil:
		return pt, fmt.Errorf("%s: %w", stage, err)
	}
	pt.fill(cr)
	run := cr.Run
	// The child counts this process, the server, among the machine's
	// other work: it is the experiment's own.
	run.Totals.OtherCPU = max(0, run.Totals.OtherCPU-(u.User+u.Sys))
	if len(run.Spans) > segmentsUpTo && !b.keepSegments {
		for i := range run.Spans {
			run.Spans[i].Segments = nil
		}
	}
	pt.Run = r.record(label, run)
	return pt, nil
}

// runSettings runs each of ends rounds times, interleaved (A B C A B C …),
// then each of between once, and returns every setting's runs in order.
// name says what a setting is, for progress.
func runSettings(rounds int, ends, between []callSetting, name func(callSetting) string, run func(st callSetting, stage string) (CallPoint, error)) (map[callSetting][]CallPoint, error) {
	runs := map[callSetting][]CallPoint{}
	err := interleave(rounds, len(ends), func(k, a int) error {
		st := ends[a]
		stage := name(st)
		if rounds > 1 {
			stage += fmt.Sprintf(" (run %d of %d)", k+1, rounds)
		}
		pt, err := run(st, stage)
		runs[st] = append(runs[st], pt)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, st := range between {
		pt, err := run(st, name(st))
		if err != nil {
			return nil, err
		}
		runs[st] = []CallPoint{pt}
	}
	return runs, nil
}

// figureOver writes f over a setting's runs: the median [95% interval].
func (p CallRuns) figureOver(f func(CallPoint) float64, format string) string {
	c := measure.MedianCI(p.Each(f), level)
	return figure(c.Median, c.Low, c.High, c.N, format)
}

// capacityFigure writes the answered calls a second over a server's
// capacity (calls a second), over the setting's runs, or "-" for none.
func (p CallRuns) capacityFigure(capacity float64) string {
	if capacity <= 0 {
		return "-"
	}
	return p.figureOver(func(c CallPoint) float64 { return c.Throughput / capacity }, "%.3f")
}

// fill takes the point's figures from a child's run.
func (p *CallPoint) fill(cr *model.ChildRun) {
	run := cr.Run
	t := run.Totals
	p.Errors = t.Errors
	p.OK = run.Tasks - t.Failed
	p.Wall = t.Wall
	if t.Wall > 0 {
		p.Throughput = float64(p.OK) / t.Wall.Seconds()
	}
	p.Latency = t.Latency
	var calls, starts []time.Duration
	for _, s := range run.Spans {
		starts = append(starts, s.Start-s.Queued)
		if s.Err != "" {
			continue
		}
		for _, g := range s.Segments {
			if g.Kind == model.KindCall {
				calls = append(calls, g.End-g.Start)
			}
		}
	}
	p.CallLatency = measure.Summarize(calls)
	p.StartDelay = measure.Summarize(starts)
	// A reading of /proc/PID/fd above the limit is that listing's race
	// (see model.ChildRun): the limit is what was open.
	p.NoFile, p.BaseFDs, p.PeakFDs = int(cr.NoFile), cr.BaseFDs, min(cr.PeakFDs, int(cr.NoFile))
	p.PeakRSS, p.PeakHeap, p.PeakStacks, p.PeakGoroutines = t.PeakRSS, cr.PeakHeap, cr.PeakStacks, cr.PeakGoroutines
	p.PeakLive = t.PeakLive
	p.GCCycles, p.GCPause, p.CPU = t.GCCycles, t.GCPause, t.CPU()
	p.MaxLoopLag = t.MaxLoopLag
	p.Sched = cr.Sched
	p.Samples = cr.Samples
}

// errorsText writes a point's errors by kind, e.g. "742 too many open
// files, 12 timeout", or "none".
func errorsText(errs map[model.ErrKind]int) string { return model.DescribeErrors(errs, "none") }

// callSetting is one batch a call experiment runs: a series at a
// concurrency under a semaphore (0: none).
type callSetting struct {
	s           series
	concurrency int
	limit       int
}

// queueBound is the latency of the last of n calls that reach the server
// at once: ceil(n / workers) × service.
func queueBound(n, workers int, service time.Duration) time.Duration {
	return time.Duration(math.Ceil(float64(n)/float64(workers))) * service
}

// belowMargin is how many descriptors below the limit a concurrency must
// stay to count as below it: the model's own (an event loop's epoll and
// eventfd) and, for CPython, the interpreter's.
const belowMargin = 16

// crashText says which runs' clients died, or that none did.
func crashText(pts []CallPoint) string {
	s := ""
	for _, pt := range pts {
		if pt.Crash != "" {
			s += fmt.Sprintf("at %d: %s; ", pt.Tasks, pt.Crash)
		}
	}
	if s == "" {
		return "the client process survived every run, its failed calls counted by kind"
	}
	return s
}

// paired is f of each run at hi over f of the run of the same round at lo
// (lo's value at least floor, a quantity too small to measure).
func paired(hi, lo CallRuns, f func(CallPoint) float64, floor float64) []float64 {
	return roundByRound(hi.All(), lo.All(), func(x, y CallPoint) float64 { return ratioOr(f(x), f(y), floor) })
}
