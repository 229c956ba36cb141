package experiments

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/boundlab/boundlab/experiments/loopback"
	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
)

// MaxManyTasks bounds the many-tasks experiment's task counts.
const MaxManyTasks = 200_000

// ManyTasksParams are the parameters of the many-tasks experiment.
type ManyTasksParams struct {
	// Tasks are the task counts, one run each: that many tasks created at
	// once, each making one real call, with no semaphore.
	Tasks []int
	// Workers, Service and Backlog are the server's (see package
	// loopback).
	Workers int
	Service time.Duration
	Backlog int
	// Timeout is each call's client-side timeout, connecting included.
	Timeout time.Duration
	// FDLimit is the clients' descriptor limit, the soft RLIMIT_NOFILE of
	// their process; 0 leaves it at the hard limit (Go raises the soft limit
	// to it at start-up).
	FDLimit int
	// Sample is how often the clients' descriptors and memory are read.
	Sample time.Duration
	// Models are the models the clients run on.
	Models []string
	// Python is the cpython model's interpreter (see model.FindPython).
	Python string
}

// Params binds the parameters to flags.
func (p *ManyTasksParams) Params() []Param {
	return []Param{
		intsParam(&p.Tasks, "tasks", "task counts, one run each: all created at once, each one real call", 1, MaxManyTasks, 12),
		intParam(&p.Workers, "workers", "server workers, each serving one connection at a time", 1, loopback.MaxWorkers),
		durationParam(&p.Service, "service", "server time per call", 0, 10*time.Second),
		intParam(&p.Backlog, "backlog", "the server's listen backlog (the kernel caps it at net.core.somaxconn)", 1, loopback.MaxBacklog),
		durationParam(&p.Timeout, "timeout", "each call's client-side timeout, connecting included", 10*time.Millisecond, 5*time.Minute),
		intParam(&p.FDLimit, "fd-limit", "the clients' descriptor limit (0: the hard limit)", 0, 1<<20),
		durationParam(&p.Sample, "sample", "how often the clients' descriptors and memory are read", time.Millisecond, time.Second),
		namesParam(&p.Models, "models", "models the clients run on (cpython: CPython's asyncio)", []string{"goroutines", "eventloop", "cpython"}),
		pythonParam(&p.Python),
	}
}

// DefaultManyTasks returns the lecture's setting: up to 50,000 tasks at
// once, each one call to a server of 5000 workers at 1 s, on goroutines and
// the event loop, the clients at the hard descriptor limit.
func DefaultManyTasks() ManyTasksParams {
	return ManyTasksParams{
		Tasks:   []int{1000, 5000, 10000, 25000, 50000},
		Workers: 5000, Service: time.Second, Backlog: 4096, Timeout: 10 * time.Second,
		Sample: 20 * time.Millisecond,
		Models: []string{"goroutines", "eventloop"},
	}
}

// ManyTasksResult is the result of the many-tasks experiment.
type ManyTasksResult struct {
	Report
	// NoFile and NoFileMax are the clients' soft and hard descriptor
	// limits.
	NoFile    int `json:"nofile"`
	NoFileMax int `json:"nofile_max"`
	// EphemeralPorts is the size of the kernel's local port range
	// (net.ipv4.ip_local_port_range): how many connections the clients
	// can have open to one address.
	EphemeralPorts int `json:"ephemeral_ports,omitempty"`
	// Points are the runs, a model at a task count each.
	Points []CallPoint `json:"points"`
	// Fits are each model's peak memory against its peak live tasks.
	Fits []MemoryFit `json:"fits"`
}

// MemoryFit is a straight line fitted to a model's peak resident memory
// against its peak live tasks.
type MemoryFit struct {
	Model string `json:"model"`
	// PerTask is the slope, bytes a task; Base the intercept, bytes; R2
	// how well the line fits.
	PerTask float64 `json:"per_task_bytes"`
	Base    float64 `json:"base_bytes"`
	R2      float64 `json:"r2"`
	Points  int     `json:"points"`
}

// Claims of the many-tasks experiment.
var (
	ClaimMemoryLinear = Claim{
		ID:       "memory-per-task",
		Text:     "Massive memory growth: memory usage scales with the number of live coroutines, not just the amount of work",
		Quantity: "R² of a straight line through the client process's peak resident memory against its peak live tasks",
		Predicts: "a straight line: R² at least 0.9",
		Compare:  AtLeast, Tolerance: 0,
	}
	ClaimGCCycles = Claim{
		ID:       "gc-cycles",
		Text:     "Increased GC cycles",
		Quantity: "garbage collections during the run at the largest task count over those at the smallest, or over 1 if it had none (×)",
		Predicts: "in step with the tasks: at least half the ratio of the task counts",
		Compare:  AtLeast, Tolerance: 0,
	}
	ClaimSchedulingDelay = Claim{
		ID:       "scheduling-delay",
		Text:     "Longer scheduling queues",
		Quantity: "p99 of a task's wait from its creation to its start, at the largest task count over that at the smallest (×)",
		Predicts: "longer: at least 2×",
		Compare:  AtLeast, Tolerance: 0,
	}
	ClaimLatencyVariance = Claim{
		ID:       "latency-variance",
		Text:     "Increased latency variance",
		Quantity: "standard deviation of the answered calls' latency at the largest task count over that at the smallest (×)",
		Predicts: "more: at least 2×",
		Compare:  AtLeast, Tolerance: 0,
	}
	ClaimLoopLag = Claim{
		ID:       "event-loop-lag",
		Text:     "Event loop lag",
		Quantity: "the event loop's largest heartbeat lag at the largest task count over that at the smallest (×)",
		Predicts: "more: at least 2×",
		Compare:  AtLeast, Tolerance: 0,
	}
	ClaimFDsTrack = Claim{
		ID:       "fds-track-connections",
		Text:     "Every live call holds a socket: descriptor use tracks the connections in flight, up to the limit",
		Quantity: "the lowest, over the task counts, of the client process's peak open descriptors over min(tasks + those already open, the limit)",
		Predicts: "1: every task's socket open at once, or the limit reached",
		Compare:  AtLeast, Tolerance: 0.2,
	}
	ClaimFilesBeyond = Claim{
		ID:       "too-many-files-beyond",
		Text:     "Possible \"too many open files\"",
		Quantity: "calls failing with too many open files at the task counts beyond the descriptor limit",
		Predicts: "some: at least 1",
		Compare:  AtLeast, Tolerance: 0,
	}
	ClaimFilesWithin = Claim{
		ID:       "too-many-files-within",
		Text:     "Within the descriptor limit, no call runs out of descriptors",
		Quantity: "the most calls failing with too many open files at a task count within the limit",
		Predicts: "none: 0",
		Compare:  AtMost, Tolerance: 0,
	}
	ClaimCollapse = Claim{
		ID:       "collapse",
		Text:     "The system becomes unstable ... This is how production systems collapse",
		Quantity: "client processes that died over the sweep",
		Predicts: "a collapse: at least 1",
		Compare:  AtLeast, Tolerance: 0,
	}
)

// ManyTasks is the experiment on 50,000 tasks at once.
var ManyTasks = register(&Question{
	Name:    "many-tasks",
	Title:   "50,000 tasks at once: memory, GC, scheduling, descriptors",
	Lecture: "Q9",
	Summary: "up to 50,000 tasks created at once, each a real loopback call, on goroutines and the event loop: memory per live task, GC cycles, scheduling delay, event loop lag, descriptors against the limit, and how it fails",
	Claims: []Claim{ClaimMemoryLinear, ClaimGCCycles, ClaimSchedulingDelay, ClaimLatencyVariance, ClaimLoopLag,
		ClaimFDsTrack, ClaimFilesBeyond, ClaimFilesWithin, ClaimCollapse},
	Defaults: func() Params {
		p := DefaultManyTasks()
		return &p
	},
	Quick: func() Params {
		p := DefaultManyTasks()
		p.Tasks = []int{250, 1000, 3000}
		p.Workers, p.Service, p.Backlog, p.Timeout, p.FDLimit, p.Sample = 500, 200*time.Millisecond, 1024, 5*time.Second, 2048, 10*time.Millisecond
		return &p
	},
	NewResult: func() Result { return &ManyTasksResult{} },
	Run: func(ctx context.Context, p Params, progress ProgressFunc) (Result, error) {
		return RunManyTasks(ctx, *p.(*ManyTasksParams), progress)
	},
})

// RunManyTasks runs the many-tasks experiment: for each model and task
// count, that many tasks created at once in a child process, each making
// one call to a fresh server in this process, with no semaphore.
func RunManyTasks(ctx context.Context, p ManyTasksParams, progress ProgressFunc) (*ManyTasksResult, error) {
	if err := Validate(&p); err != nil {
		return nil, err
	}
	t0 := time.Now()
	res := &ManyTasksResult{Report: newReport("many-tasks", &p)}
	srv := loopback.Config{Workers: p.Workers, Backlog: p.Backlog, Service: p.Service}
	ss, err := res.expandModels(ctx, p.Models, p.Python, model.FlavorAsyncio)
	if err != nil {
		return nil, err
	}
	weight := func(n int) float64 { return seconds(queueBound(n, p.Workers, p.Service)) + 0.2 }
	total := 0.0
	for _, n := range p.Tasks {
		total += weight(n)
	}
	tr := newTracker(progress, total*float64(len(ss)))
	for _, s := range ss {
		for _, n := range p.Tasks {
			stage := fmt.Sprintf("%s, %d tasks at once", s, n)
			pt, err := res.runCalls(ctx, tr, stage, weight(n), fmt.Sprintf("tasks=%d", n), callBatch{
				series: s, tasks: n, slots: n, server: srv, timeout: p.Timeout, python: p.Python,
				child: model.ChildOptions{NoFile: p.FDLimit, Sample: p.Sample},
			})
			if err != nil {
				return nil, err
			}
			if pt.Crash == "" {
				res.NoFile = pt.NoFile
			}
			res.Points = append(res.Points, pt)
		}
		res.judgeManyTasks(p, s)
	}
	res.noteLimits(p)
	tr.finish()
	res.Elapsed = time.Since(t0)
	return res, nil
}

// modelPoints returns model m's points, by task count.
func (res *ManyTasksResult) modelPoints(m string) []CallPoint {
	var out []CallPoint
	for _, pt := range res.Points {
		if pt.Model == m {
			out = append(out, pt)
		}
	}
	slices.SortStableFunc(out, func(a, b CallPoint) int { return a.Tasks - b.Tasks })
	return out
}

// judgeManyTasks judges one model's sweep.
func (res *ManyTasksResult) judgeManyTasks(p ManyTasksParams, s series) {
	m := s.String()
	all := res.modelPoints(m)
	var ran []CallPoint
	crashes := 0
	for _, pt := range all {
		if pt.Crash != "" {
			crashes++
		} else {
			ran = append(ran, pt)
		}
	}
	survived := "the client process survived every run: calls that could not get a socket failed with \"too many open files\", counted, and the rest went on"
	if crashes > 0 {
		survived = fmt.Sprintf("%d of %d runs ended with the client process dead", crashes, len(all))
	}
	res.judge(ClaimCollapse, m, float64(crashes), 1, "processes", fmt.Sprintf("%d runs from %d to %d tasks; %s", len(all), all[0].Tasks, all[len(all)-1].Tasks, survived))
	if len(ran) < 2 {
		return
	}
	lo, hi := ran[0], ran[len(ran)-1]
	between := fmt.Sprintf("%d tasks against %d", hi.Tasks, lo.Tasks)

	// Memory against live tasks.
	if len(ran) >= 3 {
		var xs, ys []float64
		for _, pt := range ran {
			xs, ys = append(xs, float64(pt.PeakLive)), append(ys, float64(pt.PeakRSS))
		}
		base, per, r2 := measure.LinearFit(xs, ys)
		res.Fits = append(res.Fits, MemoryFit{Model: m, PerTask: per, Base: base, R2: r2, Points: len(ran)})
		res.judge(ClaimMemoryLinear, m, r2, 0.9, "R²",
			fmt.Sprintf("%.1f KiB a live task over a base of %.1f MiB; at %d tasks (%d live at once) %s resident, heap %s, goroutine stacks %s",
				per/1024, base/(1<<20), hi.Tasks, hi.PeakLive, mib(hi.PeakRSS), mib(hi.PeakHeap), mib(hi.PeakStacks)))
	}
	gc := fmt.Sprintf("%s: %d collections (%s of pauses) against %d (%s); peak heap %s against %s",
		between, hi.GCCycles, showDur(hi.GCPause), lo.GCCycles, showDur(lo.GCPause), mib(hi.PeakHeap), mib(lo.PeakHeap))
	if s.model != "cpython" {
		gc += "; Go's collector starts a cycle when the heap has grown by GOGC% since the last one, so a heap that grows with the tasks spaces its cycles out"
	}
	res.judge(ClaimGCCycles, m, float64(hi.GCCycles)/float64(max(lo.GCCycles, 1)), float64(hi.Tasks)/float64(lo.Tasks)/2, "×", gc)
	res.judge(ClaimSchedulingDelay, m, ratioOr(hi.StartDelay.P99, lo.StartDelay.P99, 0.001), 2, "×",
		fmt.Sprintf("%s: p99 %s against %s; max %s%s", between, msText(hi.StartDelay.P99), msText(lo.StartDelay.P99), msText(hi.StartDelay.Max), schedText(s, hi)))
	// The variance of the answered calls, at the largest count where at
	// least two were answered: where none was, there is no latency to vary.
	ans := lo
	for _, pt := range ran {
		if pt.OK >= 2 {
			ans = pt
		}
	}
	switch {
	case ans.Tasks == hi.Tasks:
	case ans.Tasks > lo.Tasks:
		res.Notes = append(res.Notes, fmt.Sprintf("%s: at %d tasks %d calls were answered, too few for a latency spread; its variance is judged at %d tasks", m, hi.Tasks, hi.OK, ans.Tasks))
	default:
		res.Notes = append(res.Notes, fmt.Sprintf("%s: above %d tasks fewer than two calls were answered in any run: no latency spread to judge", m, lo.Tasks))
	}
	if ans.Tasks > lo.Tasks {
		res.judge(ClaimLatencyVariance, m, ratioOr(ans.Latency.Std, lo.Latency.Std, 0.001), 2, "×",
			fmt.Sprintf("%d tasks against %d: σ %s against %s (answered calls: p50 %s, p99 %s against p50 %s, p99 %s)",
				ans.Tasks, lo.Tasks, msText(ans.Latency.Std), msText(lo.Latency.Std), msText(ans.Latency.P50), msText(ans.Latency.P99), msText(lo.Latency.P50), msText(lo.Latency.P99)))
	}
	if s.eventLoop() {
		res.judge(ClaimLoopLag, m, ratioOr(ms(hi.MaxLoopLag), ms(lo.MaxLoopLag), 1), 2, "×",
			fmt.Sprintf("%d tasks: largest lag %s (at %d tasks: %s)", hi.Tasks, showDur(hi.MaxLoopLag), lo.Tasks, showDur(lo.MaxLoopLag)))
	}

	// Descriptors.
	worst, worstPt := 2.0, CallPoint{}
	beyond, within, nBeyond, nWithin, withinAt := 0, 0, 0, 0, 0
	for _, pt := range ran {
		want := min(pt.Tasks+pt.BaseFDs, pt.NoFile)
		if r := float64(pt.PeakFDs) / float64(want); r < worst {
			worst, worstPt = r, pt
		}
		files := pt.Errors[model.ErrTooManyFiles]
		switch {
		case pt.Tasks+pt.BaseFDs > pt.NoFile:
			beyond += files
			nBeyond++
		case pt.Tasks+pt.BaseFDs+belowMargin <= pt.NoFile:
			if files > within {
				within, withinAt = files, pt.Tasks
			}
			nWithin++
		}
	}
	res.judge(ClaimFDsTrack, m, worst, 1, "×",
		fmt.Sprintf("lowest at %d tasks: %d descriptors open at the peak, of min(%d + %d, %d); by task count: %s",
			worstPt.Tasks, worstPt.PeakFDs, worstPt.Tasks, worstPt.BaseFDs, worstPt.NoFile, fdsText(ran)))
	if nBeyond > 0 {
		res.judge(ClaimFilesBeyond, m, float64(beyond), 1, "calls",
			fmt.Sprintf("%d task counts beyond the limit of %d descriptors: %s", nBeyond, hi.NoFile, failuresText(ran, true)))
	} else {
		res.Notes = append(res.Notes, fmt.Sprintf("%s: no task count went beyond the clients' %d descriptors: raise --tasks or lower --fd-limit to see them run out", m, hi.NoFile))
	}
	if nWithin > 0 {
		d := fmt.Sprintf("%d task counts within the limit of %d descriptors", nWithin, hi.NoFile)
		if within > 0 {
			d += fmt.Sprintf("; %d at %d tasks", within, withinAt)
		}
		res.judge(ClaimFilesWithin, m, float64(within), 0, "calls", d)
	}
}

// noteLimits says what limits the clients ran under and why.
func (res *ManyTasksResult) noteLimits(p ManyTasksParams) {
	soft, hard, err := measure.FDLimit()
	if err != nil {
		return
	}
	res.NoFileMax = int(hard)
	how := fmt.Sprintf("the clients ran with the soft limit at %d, as --fd-limit set it", p.FDLimit)
	if p.FDLimit == 0 {
		how = fmt.Sprintf("the clients ran at the hard limit, %d (Go raises the soft limit to it at start-up); raising the hard limit needs privilege (CAP_SYS_RESOURCE), which the experiment does not use", hard)
	}
	res.Notes = append(res.Notes, fmt.Sprintf("descriptors: this process's RLIMIT_NOFILE is %d soft, %d hard; %s. Each call holds one socket in the client process while it lasts; the server, in this process, holds one per connection it is serving", soft, hard, how))
	if lo, hi, err := measure.EphemeralPorts(); err == nil {
		n := hi - lo + 1
		res.EphemeralPorts = n
		top := 0
		for _, pt := range res.Points {
			top = max(top, min(pt.Tasks, pt.NoFile))
		}
		if top > n/2 {
			res.Notes = append(res.Notes, fmt.Sprintf("ports: every call goes to one address, so each connection in flight needs a local port of its own from %d–%d (%d ports). Linux gives connect() the even half first; once about %d are in use, each connect() searches the rest, and costs about a millisecond of kernel time instead of tens of microseconds. Up to %d were in flight here: an event loop, which connects on its one thread, stops for as long (see its heartbeat lag), and its calls time out; goroutines pay the same kernel time, on every core",
				lo, hi, n, n/2, top))
		}
	}
}

// ratioOr is a/b, or a/floor where b is below floor (a quantity too small
// to measure at the smallest count).
func ratioOr(a, b, floor float64) float64 { return a / max(b, floor) }

// schedText adds the model's own view of scheduling delay: the Go
// runtime's runnable-to-running wait, or the event loop's lag.
func schedText(s series, pt CallPoint) string {
	if s.eventLoop() {
		return fmt.Sprintf("; the loop's largest heartbeat lag %s", showDur(pt.MaxLoopLag))
	}
	if s.model == "cpython" {
		return ""
	}
	return fmt.Sprintf("; the runtime's goroutines waited, runnable, p99 %s (of %d sampled)", showDur(pt.Sched.P99), pt.Sched.N)
}

// fdsText lists peak descriptors by task count.
func fdsText(pts []CallPoint) string {
	s := ""
	for _, pt := range pts {
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%d: %d", pt.Tasks, pt.PeakFDs)
	}
	return s
}

// failuresText lists the errors by task count, beyond (or within) the
// limit.
func failuresText(pts []CallPoint, beyond bool) string {
	s := ""
	for _, pt := range pts {
		if (pt.Tasks+pt.BaseFDs > pt.NoFile) != beyond {
			continue
		}
		if s != "" {
			s += "; "
		}
		s += fmt.Sprintf("%d tasks: %s", pt.Tasks, errorsText(pt.Errors))
	}
	return s
}
