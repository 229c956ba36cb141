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

// maxManyTasks bounds the many-tasks experiment's task counts.
const maxManyTasks = 200_000

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
		intsParam(&p.Tasks, "tasks", "task counts, one run each: all created at once, each one real call", 1, maxManyTasks, 12),
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

// defaultManyTasks is the lecture's setting: up to 50,000 tasks at once,
// each one call to a server of 5000 workers at 1 s, on goroutines and the
// event loop, the clients at the hard descriptor limit.
func defaultManyTasks() ManyTasksParams {
	return ManyTasksParams{
		Tasks:   []int{1000, 5000, 10000, 25000, 50000},
		Workers: 5000, Service: time.Second, Backlog: 4096, Timeout: 10 * time.Second,
		Sample: 20 * time.Millisecond,
		Models: []string{"goroutines", "eventloop"},
	}
}

// quickManyTasks is up to 3000 tasks against a server of 500 workers at
// 200 ms, the clients limited to 2048 descriptors.
func quickManyTasks(p *ManyTasksParams) {
	p.Tasks = []int{250, 1000, 3000}
	p.Workers, p.Service, p.Backlog, p.Timeout, p.FDLimit, p.Sample = 500, 200*time.Millisecond, 1024, 5*time.Second, 2048, 10*time.Millisecond
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
	claimMemoryLinear = Claim{
		ID:       "memory-per-task",
		Text:     "Massive memory growth: memory usage scales with the number of live coroutines, not just the amount of work",
		Quantity: "R² of a straight line through the client process's peak resident memory against its peak live tasks",
		Predicts: "a straight line: R² at least 0.9",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimGCCycles = Claim{
		ID:       "gc-cycles",
		Text:     "Increased GC cycles",
		Quantity: "garbage collections during the run at the largest task count over those at the smallest, or over 1 if it had none (×)",
		Predicts: "in step with the tasks: at least half the ratio of the task counts",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimSchedulingDelay = Claim{
		ID:       "scheduling-delay",
		Text:     "Longer scheduling queues",
		Quantity: "p99 of a task's wait from its creation to its start, at the largest task count over that at the smallest (×)",
		Predicts: "longer: at least 2×",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimLatencyVariance = Claim{
		ID:       "latency-variance",
		Text:     "Increased latency variance",
		Quantity: "standard deviation of the answered calls' latency at the largest task count over that at the smallest (×)",
		Predicts: "more: at least 2×",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimLoopLag = Claim{
		ID:       "event-loop-lag",
		Text:     "Event loop lag",
		Quantity: "the event loop's largest heartbeat lag at the largest task count over that at the smallest (×)",
		Predicts: "more: at least 2×",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimFDsTrack = Claim{
		ID:       "fds-track-connections",
		Text:     "Every live call holds a socket: descriptor use tracks the connections in flight, up to the limit",
		Quantity: "the lowest, over the task counts, of the client process's peak open descriptors over min(tasks + those already open, the limit)",
		Predicts: "1: every task's socket open at once, or the limit reached",
		Compare:  AtLeast, Tolerance: 0.2,
	}
	claimFilesBeyond = Claim{
		ID:       "too-many-files-beyond",
		Text:     "Possible \"too many open files\"",
		Quantity: "calls failing with too many open files at the task counts beyond the descriptor limit",
		Predicts: "some: at least 1",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimFilesWithin = Claim{
		ID:       "too-many-files-within",
		Text:     "Within the descriptor limit, no call runs out of descriptors",
		Quantity: "the most calls failing with too many open files at a task count within the limit",
		Predicts: "none: 0",
		Compare:  AtMost, Tolerance: 0,
	}
	claimCollapse = Claim{
		ID:       "collapse",
		Text:     "The system becomes unstable ... This is how production systems collapse",
		Quantity: "client processes that died over the sweep",
		Predicts: "a collapse: at least 1",
		Compare:  AtLeast, Tolerance: 0,
	}
)

// ManyTasks is the experiment on 50,000 tasks at once.
var ManyTasks = define(about{
	name:    "many-tasks",
	title:   "50,000 tasks at once: memory, GC, scheduling, descriptors",
	lecture: "Q9",
	summary: "up to 50,000 tasks created at once, each a real loopback call, on goroutines and the event loop: memory per live task, GC cycles, scheduling delay, event loop lag, descriptors against the limit, and how it fails",
	claims: []Claim{claimMemoryLinear, claimGCCycles, claimSchedulingDelay, claimLatencyVariance, claimLoopLag,
		claimFDsTrack, claimFilesBeyond, claimFilesWithin, claimCollapse},
}, defaultManyTasks, quickManyTasks, measureManyTasks, judgeManyTasks)

// measureManyTasks runs the many-tasks experiment: for each model and task
// count, that many tasks created at once in a child process, each making
// one call to a fresh server in this process, with no semaphore; then each
// model's memory fit.
func measureManyTasks(ctx context.Context, p *ManyTasksParams, res *ManyTasksResult, tr *tracker) error {
	srv := loopback.Config{Workers: p.Workers, Backlog: p.Backlog, Service: p.Service}
	ss, err := res.expandModels(ctx, p.Models, p.Python, model.FlavorAsyncio)
	if err != nil {
		return err
	}
	weight := func(n int) float64 { return seconds(queueBound(n, p.Workers, p.Service)) + 0.2 }
	total := 0.0
	for _, n := range p.Tasks {
		total += weight(n)
	}
	tr.expect(total * float64(len(ss)))
	for _, s := range ss {
		for _, n := range p.Tasks {
			stage := fmt.Sprintf("%s, %d tasks at once", s, n)
			pt, err := res.runCalls(ctx, tr, stage, weight(n), fmt.Sprintf("tasks=%d", n), callBatch{
				series: s, tasks: n, slots: n, server: srv, timeout: p.Timeout, python: p.Python,
				child: model.ChildOptions{NoFile: p.FDLimit, Sample: p.Sample},
			})
			if err != nil {
				return err
			}
			if pt.Crash == "" {
				res.NoFile = pt.NoFile
			}
			res.Points = append(res.Points, pt)
		}
		res.fitMemory(s.String())
	}
	res.noteLimits(p)
	return nil
}

// fitMemory fits model m's peak resident memory against its peak live
// tasks, over the runs whose client survived (three or more).
func (res *ManyTasksResult) fitMemory(m string) {
	var xs, ys []float64
	for _, pt := range res.modelPoints(m) {
		if pt.Crash == "" {
			xs, ys = append(xs, float64(pt.PeakLive)), append(ys, float64(pt.PeakRSS))
		}
	}
	if len(xs) < 3 {
		return
	}
	base, per, r2 := measure.LinearFit(xs, ys)
	res.Fits = append(res.Fits, MemoryFit{Model: m, PerTask: per, Base: base, R2: r2, Points: len(xs)})
}

// judgeManyTasks judges each model's sweep.
func judgeManyTasks(r *ManyTasksResult) judgement {
	var j judgement
	var models []string
	for _, pt := range r.Points {
		models = appendNew(models, pt.Model)
	}
	for _, m := range models {
		r.judgeModel(&j, seriesOf(m))
	}
	return j
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

// judgeModel judges one model's sweep.
func (res *ManyTasksResult) judgeModel(j *judgement, s series) {
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
	j.add(claimCollapse.Judge(Measurement{Model: m, Value: float64(crashes), Expected: 1, Unit: "processes",
		Detail: fmt.Sprintf("%d runs from %d to %d tasks; %s", len(all), all[0].Tasks, all[len(all)-1].Tasks, survived)}))
	if len(ran) < 2 {
		return
	}
	lo, hi := ran[0], ran[len(ran)-1]
	between := fmt.Sprintf("%d tasks against %d", hi.Tasks, lo.Tasks)

	// Memory against live tasks.
	for _, f := range res.Fits {
		if f.Model == m {
			j.add(claimMemoryLinear.Judge(Measurement{Model: m, Value: f.R2, Expected: 0.9, Unit: "R²",
				Detail: fmt.Sprintf("%.1f KiB a live task over a base of %.1f MiB; at %d tasks (%d live at once) %s resident, heap %s, goroutine stacks %s",
					f.PerTask/1024, f.Base/(1<<20), hi.Tasks, hi.PeakLive, mib(hi.PeakRSS), mib(hi.PeakHeap), mib(hi.PeakStacks))}))
		}
	}
	gc := fmt.Sprintf("%s: %d collections (%s of pauses) against %d (%s); peak heap %s against %s",
		between, hi.GCCycles, showDur(hi.GCPause), lo.GCCycles, showDur(lo.GCPause), mib(hi.PeakHeap), mib(lo.PeakHeap))
	if s.model != "cpython" {
		gc += "; Go's collector starts a cycle when the heap has grown by GOGC% since the last one, so a heap that grows with the tasks spaces its cycles out"
	}
	j.add(claimGCCycles.Judge(Measurement{Model: m, Value: float64(hi.GCCycles) / float64(max(lo.GCCycles, 1)), Expected: float64(hi.Tasks) / float64(lo.Tasks) / 2, Unit: "×",
		Detail: gc}))
	j.add(claimSchedulingDelay.Judge(Measurement{Model: m, Value: ratioOr(hi.StartDelay.P99, lo.StartDelay.P99, 0.001), Expected: 2, Unit: "×", Busy: res.busy(lo.Run, hi.Run),
		Detail: fmt.Sprintf("%s: p99 %s against %s; max %s%s", between, msText(hi.StartDelay.P99), msText(lo.StartDelay.P99), msText(hi.StartDelay.Max), schedText(s, hi))}))
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
		j.note("%s: at %d tasks %d calls were answered, too few for a latency spread; its variance is judged at %d tasks", m, hi.Tasks, hi.OK, ans.Tasks)
	default:
		j.note("%s: above %d tasks fewer than two calls were answered in any run: no latency spread to judge", m, lo.Tasks)
	}
	if ans.Tasks > lo.Tasks {
		j.add(claimLatencyVariance.Judge(Measurement{Model: m, Value: ratioOr(ans.Latency.Std, lo.Latency.Std, 0.001), Expected: 2, Unit: "×", Busy: res.busy(lo.Run, ans.Run),
			Detail: fmt.Sprintf("%d tasks against %d: σ %s against %s (answered calls: p50 %s, p99 %s against p50 %s, p99 %s)",
				ans.Tasks, lo.Tasks, msText(ans.Latency.Std), msText(lo.Latency.Std), msText(ans.Latency.P50), msText(ans.Latency.P99), msText(lo.Latency.P50), msText(lo.Latency.P99))}))
	}
	if s.eventLoop() {
		j.add(claimLoopLag.Judge(Measurement{Model: m, Value: ratioOr(ms(hi.MaxLoopLag), ms(lo.MaxLoopLag), 1), Expected: 2, Unit: "×", Busy: res.busy(lo.Run, hi.Run),
			Detail: fmt.Sprintf("%d tasks: largest lag %s (at %d tasks: %s)", hi.Tasks, showDur(hi.MaxLoopLag), lo.Tasks, showDur(lo.MaxLoopLag))}))
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
	j.add(claimFDsTrack.Judge(Measurement{Model: m, Value: worst, Expected: 1, Unit: "×",
		Detail: fmt.Sprintf("lowest at %d tasks: %d descriptors open at the peak, of min(%d + %d, %d); by task count: %s",
			worstPt.Tasks, worstPt.PeakFDs, worstPt.Tasks, worstPt.BaseFDs, worstPt.NoFile, fdsText(ran))}))
	if nBeyond > 0 {
		j.add(claimFilesBeyond.Judge(Measurement{Model: m, Value: float64(beyond), Expected: 1, Unit: "calls",
			Detail: fmt.Sprintf("%d task counts beyond the limit of %d descriptors: %s", nBeyond, hi.NoFile, failuresText(ran, true))}))
	} else {
		j.note("%s: no task count went beyond the clients' %d descriptors: raise --tasks or lower --fd-limit to see them run out", m, hi.NoFile)
	}
	if nWithin > 0 {
		d := fmt.Sprintf("%d task counts within the limit of %d descriptors", nWithin, hi.NoFile)
		if within > 0 {
			d += fmt.Sprintf("; %d at %d tasks", within, withinAt)
		}
		j.add(claimFilesWithin.Judge(Measurement{Model: m, Value: float64(within), Expected: 0, Unit: "calls",
			Detail: d}))
	}
}

// noteLimits says what limits the clients ran under and why.
func (res *ManyTasksResult) noteLimits(p *ManyTasksParams) {
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
