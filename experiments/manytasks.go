package experiments

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/boundlab/boundlab/experiments/loopback"
	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
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
	// Repeat is how many times the fewest and the most tasks run, the
	// models taking turns: their medians and 95% intervals are judged. The
	// counts between run once.
	Repeat int
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
		intParam(&p.Repeat, "repeat", "runs at the fewest and the most tasks, models interleaved (median and 95% interval judged; the counts between run once)", 1, 20),
		namesParam(&p.Models, "models", "models the clients run on (cpython: CPython's asyncio)", model.Strings(model.Goroutines, model.EventLoop, model.CPython)),
		pythonParam(&p.Python),
	}
}

// defaultManyTasks is the lecture's setting: up to 50,000 tasks at once,
// each one call to a server of 5000 workers at 1 s, on goroutines, the
// event loop and CPython's asyncio (its GC cycles are the lecture's), the clients at the hard descriptor limit; the 1000 and the
// 50,000 three times each (a run of 50,000 takes ten seconds and more).
func defaultManyTasks() ManyTasksParams {
	p := ManyTasksParams{
		Tasks:   []int{1000, 5000, 10000, 25000, 50000},
		Workers: 5000, Service: time.Second, Backlog: 4096, Timeout: 10 * time.Second,
		Sample: 20 * time.Millisecond,
		Models: model.Strings(model.Goroutines, model.EventLoop, model.CPython),
	}
	p.Repeat = repeatsFor(queueBound(slices.Max(p.Tasks), p.Workers, p.Service))
	return p
}

// quickManyTasks is up to 3000 tasks against a server of 500 workers at
// 200 ms, the clients limited to 2048 descriptors; the ends six times
// (a run takes about a second).
func quickManyTasks(p *ManyTasksParams) {
	p.Tasks = []int{250, 1000, 3000}
	p.Workers, p.Service, p.Backlog, p.Timeout, p.FDLimit, p.Sample = 500, 200*time.Millisecond, 1024, 5*time.Second, 2048, 10*time.Millisecond
	p.Repeat = repeatsFor(queueBound(slices.Max(p.Tasks), p.Workers, p.Service))
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
	// Capacity is the server's, in calls a second: workers / service.
	Capacity float64 `json:"capacity_per_s"`
	// Points are a model at a task count each, from one run or several.
	Points []CallRuns `json:"points"`
	// Fits are each model's memory against its live tasks.
	Fits []MemoryFit `json:"fits"`
}

// MemoryFit is a model's memory added against its peak live tasks, fitted
// as a straight line and, for the growth's exponent, on log-log axes.
type MemoryFit struct {
	Model string `json:"model"`
	// PerTask is the straight line's slope, bytes a task; Base its
	// intercept, bytes; R2 how well it fits.
	PerTask float64 `json:"per_task_bytes"`
	Base    float64 `json:"base_bytes"`
	R2      float64 `json:"r2"`
	// Exponent is the slope of log(memory added) against log(live tasks),
	// with its 95% interval: 1 is memory in proportion to the tasks;
	// memory added ≈ Coefficient × live tasks^Exponent.Median.
	Exponent    measure.CI `json:"exponent"`
	Coefficient float64    `json:"coefficient_bytes"`
	Points      int        `json:"points"`
}

// Claims of the many-tasks experiment.
var (
	claimMemoryLinear = Claim{
		ID:       "memory-per-task",
		Source:   Lecture,
		Quote:    "Massive memory growth",
		Cite:     "Lecture 18, question 9, the answer",
		Short:    "Memory grows with the live tasks",
		Text:     "Massive memory growth: memory usage scales with the number of live coroutines, not just the amount of work",
		Quantity: "exponent of the resident memory a run added (its peak less its start) against its peak live tasks, fitted on log-log axes over every run, with its 95% interval",
		Predicts: "in proportion: an exponent from 0.9 to 1.1",
		Compare:  Within, Tolerance: 0.1,
	}
	claimGCCycles = Claim{
		ID:       "gc-cycles",
		Source:   Lecture,
		Quote:    "Increased GC cycles",
		Cite:     "Lecture 18, question 9, the answer",
		Text:     "Increased GC cycles",
		Quantity: "garbage collections in a run at the most tasks over those in the run of the same round at the fewest (a count of 0 taken as 1) (×)",
		Predicts: "increased: at least 2×",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimSchedulingDelay = Claim{
		ID:       "scheduling-delay",
		Source:   Lecture,
		Quote:    "Longer scheduling queues",
		Cite:     "Lecture 18, question 9, the answer",
		Text:     "Longer scheduling queues",
		Quantity: "p99 of a task's wait from its creation to its start, at the most tasks over that at the fewest, round by round (×)",
		Predicts: "longer: at least 2×",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimLatencyVariance = Claim{
		ID:       "latency-variance",
		Source:   Lecture,
		Quote:    "Increased latency variance",
		Cite:     "Lecture 18, question 9, the answer",
		Text:     "Increased latency variance",
		Quantity: "standard deviation of the answered calls' latency at the most tasks over that at the fewest, round by round (×)",
		Predicts: "more: at least 2×",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimLoopLag = Claim{
		ID:       "event-loop-lag",
		Source:   Lecture,
		Quote:    "Event loop lag",
		Cite:     "Lecture 18, question 9, the answer",
		Short:    "More event loop lag",
		Text:     "Event loop lag",
		Quantity: "the event loop's largest heartbeat lag at the most tasks over that at the fewest, round by round (×)",
		Predicts: "more: at least 2×",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimFDsTrack = Claim{
		ID:       "fds-track-connections",
		Source:   Check,
		Short:    "Descriptors track the calls in flight",
		Text:     "Every live call holds a socket: descriptor use tracks the connections in flight, up to the limit",
		Quantity: "the lowest, over the runs, of the client process's peak open descriptors over min(tasks + those already open, the limit)",
		Predicts: "1: every task's socket open at once, or the limit reached",
		Compare:  AtLeast, Tolerance: 0.2,
	}
	claimFilesBeyond = Claim{
		ID:       "too-many-files-beyond",
		Source:   Lecture,
		Quote:    "Possible \"too many open files\"",
		Cite:     "Lecture 18, question 9, the answer",
		Short:    "“Too many open files” beyond the limit",
		Text:     "Beyond the descriptor limit, calls fail with \"too many open files\" (the lecture's possibility, made definite by the limit)",
		Quantity: "calls failing with too many open files in a run at the most tasks beyond the descriptor limit (its runs' median)",
		Predicts: "some: at least 1",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimFilesWithin = Claim{
		ID:       "too-many-files-within",
		Source:   Check,
		Short:    "No “too many open files” within the limit",
		Text:     "Within the descriptor limit, no call runs out of descriptors",
		Quantity: "the most calls failing with too many open files in any run at a task count within the limit",
		Predicts: "none: 0",
		Compare:  AtMost, Tolerance: 0,
	}
	claimCollapseFails = Claim{
		ID:       "collapse-fails",
		Source:   Lecture,
		Quote:    "The system becomes unstable",
		Cite:     "Lecture 18, question 9, the answer",
		Short:    "Calls fail",
		Text:     "The system becomes unstable: with every task launched at once, calls fail",
		Quantity: "share of the calls at the most tasks that failed: timed out, found no descriptor, or were refused or reset",
		Predicts: "a real share: at least a tenth",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimCollapseGoodput = Claim{
		ID:       "collapse-goodput",
		Source:   Lecture,
		Quote:    "This is how production systems collapse.",
		Cite:     "Lecture 18, question 9, the answer",
		Short:    "Answered calls fall below capacity",
		Text:     "This is how production systems collapse: the calls answered a second fall below what the server can serve",
		Quantity: "answered calls a second at the most tasks over the server's capacity, workers / service time (×)",
		Predicts: "below capacity: at most 0.9×",
		Compare:  AtMost, Tolerance: 0,
	}
	claimCollapseTail = Claim{
		ID:       "collapse-tail",
		Source:   Lecture,
		Quote:    "The system becomes unstable not because of CPU, but because of scheduler pressure and memory overhead.",
		Cite:     "Lecture 18, question 9, the answer",
		Short:    "The tail grows beyond the server's queue",
		Text:     "The system becomes unstable not because of CPU, but because of scheduler pressure: the tail grows beyond what the server's queue explains",
		Quantity: "p99 latency of the answered calls at the most tasks over the server's queueing bound, ceil(tasks / workers) × service (×)",
		Predicts: "beyond the server's queue: at least 1.1× (connecting and being scheduled cost a call milliseconds, not a tenth of the queue)",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimClientSurvives = Claim{
		ID:       "client-survives",
		Source:   Check,
		Short:    "Does the client process die?",
		Kind:     Observation,
		Text:     "Collapse: does the client process itself die?",
		Quantity: "runs whose client process died rather than counting its failed calls",
		Predicts: "a possibility: whether it happens is reported, not judged",
	}
)

// ManyTasks is the experiment on 50,000 tasks at once.
var ManyTasks = define(about{
	name:    "many-tasks",
	title:   "50,000 tasks at once: memory, GC, scheduling, descriptors",
	lecture: "Q9",
	summary: "up to 50,000 tasks created at once, each a real loopback call, on goroutines and the event loop: memory per live task, GC cycles, scheduling delay, event loop lag, descriptors against the limit, and how it fails: failed calls, goodput against capacity, the tail",
	claims: []Claim{claimMemoryLinear, claimGCCycles, claimSchedulingDelay, claimLatencyVariance, claimLoopLag,
		claimFDsTrack, claimFilesBeyond, claimFilesWithin, claimCollapseFails, claimCollapseGoodput, claimCollapseTail, claimClientSurvives},
}, defaultManyTasks, quickManyTasks, measureManyTasks, judgeManyTasks)

// measureManyTasks runs the many-tasks experiment: the fewest and the most
// tasks Repeat times, the models taking turns, then the counts between
// once each; each batch created at once in a child process, each task
// making one call to a fresh server in this process, with no semaphore;
// then each model's memory fit.
func measureManyTasks(ctx context.Context, p *ManyTasksParams, res *ManyTasksResult, tr *tracker) error {
	srv := loopback.Config{Workers: p.Workers, Backlog: p.Backlog, Service: p.Service}
	res.Capacity = srv.Capacity()
	ss, err := res.expandModels(ctx, p.Models, p.Python, model.FlavorAsyncio)
	if err != nil {
		return err
	}
	counts := slices.Compact(slices.Sorted(slices.Values(p.Tasks)))
	lo, hi := counts[0], counts[len(counts)-1]
	weight := func(n int) float64 { return queueBound(n, p.Workers, p.Service).Seconds() + 0.2 }
	var ends, between []callSetting
	total := 0.0
	for _, s := range ss {
		for _, n := range counts {
			if n == lo || n == hi {
				ends = append(ends, callSetting{s: s, concurrency: n})
				total += weight(n) * float64(p.Repeat)
			} else {
				between = append(between, callSetting{s: s, concurrency: n})
				total += weight(n)
			}
		}
	}
	tr.expect(total)
	run := func(st callSetting, stage string) (CallPoint, error) {
		n := st.concurrency
		return res.runCalls(ctx, tr, stage, weight(n), fmt.Sprintf("tasks=%d", n), callBatch{
			series: st.s, tasks: n, slots: n, server: srv, timeout: p.Timeout, python: p.Python,
			child: model.ChildOptions{NoFile: p.FDLimit, Sample: p.Sample},
		})
	}
	runs, err := runSettings(p.Repeat, ends, between, func(st callSetting) string { return fmt.Sprintf("%s, %d tasks at once", st.s, st.concurrency) }, run)
	if err != nil {
		return err
	}
	for _, s := range ss {
		for _, n := range counts {
			pt := callRuns(runs[callSetting{s: s, concurrency: n}])
			for _, c := range pt.All() {
				if c.Crash == "" {
					res.NoFile = c.NoFile
				}
			}
			res.Points = append(res.Points, pt)
		}
		res.fitMemory(s.String())
	}
	res.noteLimits(p)
	return nil
}

// Added is the resident memory a run added to its client process: its
// peak less its resident memory as the batch's clock started (0 for a run
// whose client died).
func (res *ManyTasksResult) Added(c CallPoint) int64 {
	if c.Run < 0 || c.Run >= len(res.Runs) || res.Runs[c.Run].Run == nil {
		return 0
	}
	return max(0, c.PeakRSS-res.Runs[c.Run].Totals.StartRSS)
}

// fitMemory fits model m's memory added against its peak live tasks, over
// every run whose client survived (three or more): a straight line, and
// the exponent on log-log axes.
func (res *ManyTasksResult) fitMemory(m string) {
	var xs, ys, lx, ly []float64
	for _, pt := range res.modelPoints(m) {
		for _, c := range pt.All() {
			if c.Crash != "" || c.PeakLive <= 0 {
				continue
			}
			a := float64(res.Added(c))
			xs, ys = append(xs, float64(c.PeakLive)), append(ys, a)
			if a > 0 {
				lx, ly = append(lx, math.Log(float64(c.PeakLive))), append(ly, math.Log(a))
			}
		}
	}
	if len(xs) < 3 {
		return
	}
	base, per, r2 := measure.LinearFit(xs, ys)
	f := MemoryFit{Model: m, PerTask: per, Base: base, R2: r2, Points: len(xs)}
	if len(lx) >= 3 {
		f.Exponent = measure.SlopeCI(lx, ly, level)
		a, _, _ := measure.LinearFit(lx, ly)
		f.Coefficient = math.Exp(a)
	}
	res.Fits = append(res.Fits, f)
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
func (res *ManyTasksResult) modelPoints(m string) []CallRuns {
	return sortedWhere(res.Points, func(pt CallRuns) bool { return pt.Model == m }, func(pt CallRuns) int { return pt.Tasks })
}

// judgeModel judges one model's sweep: whether its clients survived and
// how many calls failed at the most tasks; then, where the ends both ran,
// the collapse, the growth from the fewest tasks to the most, and the
// descriptors.
func (res *ManyTasksResult) judgeModel(j *judgement, s series) {
	m := s.String()
	all := res.modelPoints(m)
	if len(all) == 0 {
		return
	}
	runs := runsOf(all)
	j.add(claimClientSurvives.Judge(Measurement{Model: m, Value: float64(len(runs) - len(runIndexes(runs...))), Unit: "runs",
		Detail: fmt.Sprintf("%d runs from %d to %d tasks; %s", len(runs), all[0].Tasks, all[len(all)-1].Tasks, survivalText(runs))}))
	p := paramsOf[ManyTasksParams](&res.Report)
	lo, hi := all[0], all[len(all)-1]
	mj := manyJudging{res: res, p: p, j: j, s: s, m: m, all: all, lo: lo, hi: hi,
		top: fmt.Sprintf("%d tasks, %d runs; the server: %d workers × %s, a queue of %d; timeout %s", hi.Tasks, len(hi.All()), p.Workers, p.Service, hi.Server.Backlog+1, p.Timeout)}
	j.add(claimCollapseFails.Judge(Measurement{Model: m, Samples: hi.Each(CallPoint.FailedShare), Expected: 0.1, Unit: "of the calls",
		Detail: fmt.Sprintf("%s; the run shown: %s", mj.top, errorsText(hi.Errors))}))
	if hi.Crash != "" || lo.Crash != "" || lo.Tasks == hi.Tasks {
		return
	}
	mj.busy = res.busy(runIndexes(append(lo.All(), hi.All()...)...)...)
	mj.collapse()
	mj.growth()
	mj.variance()
	mj.loopLag()
	mj.descriptors()
}

// manyJudging is what judging one model's many-tasks sweep shares: the
// result and its parameters, the verdicts so far, the model, its points
// by task count with the fewest (lo) and the most (hi), the setting at
// the most said in words, and how busy the machine was over the ends'
// runs.
type manyJudging struct {
	res    *ManyTasksResult
	p      *ManyTasksParams
	j      *judgement
	s      series
	m      string
	all    []CallRuns
	lo, hi CallRuns
	top    string
	busy   float64
}

// collapse judges the answered calls a second at the most tasks against
// the server's capacity, and their tail against its queueing bound.
func (mj manyJudging) collapse() {
	res, p, hi, m := mj.res, mj.p, mj.hi, mj.m
	if res.Capacity > 0 {
		mj.j.add(claimCollapseGoodput.Judge(Measurement{Model: m, Samples: hi.overCapacity(res.Capacity), Expected: 0.9, Unit: "× capacity",
			Busy:   res.busy(runIndexes(hi.All()...)...),
			Detail: fmt.Sprintf("%s; the run shown: %d answered in %s, %.0f calls/s against a capacity of %.0f", mj.top, hi.OK, units.Duration(hi.Wall), hi.Throughput, res.Capacity)}))
	}
	bound := queueBound(hi.Tasks, p.Workers, p.Service)
	if hi.OK >= 2 && bound > 0 {
		mj.j.add(claimCollapseTail.Judge(Measurement{Model: m, Samples: hi.Each(func(c CallPoint) float64 { return c.Latency.P99 / units.Millis(bound) }), Expected: 1.1, Unit: "× the queueing bound",
			Busy:   res.busy(runIndexes(hi.All()...)...),
			Detail: fmt.Sprintf("%s; ceil(%d / %d) × %s = %s; the run shown: p99 %s of %d answered calls", mj.top, hi.Tasks, p.Workers, p.Service, units.Duration(bound), msText(hi.Latency.P99), hi.OK)}))
	}
}

// growth judges what grows with the tasks: memory against the live tasks
// (the model's fit), and garbage collections and scheduling delay at the
// most tasks against the fewest.
func (mj manyJudging) growth() {
	lo, hi, m := mj.lo, mj.hi, mj.m
	between := fmt.Sprintf("%d tasks against %d", hi.Tasks, lo.Tasks)
	for _, f := range mj.res.Fits {
		if f.Model == m && f.Exponent.N >= 3 {
			mj.j.add(claimMemoryLinear.Judge(Measurement{Model: m, Interval: &f.Exponent, Expected: 1, Unit: "exponent",
				Detail: fmt.Sprintf("memory ∝ live tasks^%.2f; the straight line: %s a live task, R² %.3f; at %d tasks (%d live at once, the run shown) %s resident, heap %s, goroutine stacks %s",
					f.Exponent.Median, units.Bytes(f.PerTask), f.R2, hi.Tasks, hi.PeakLive, units.Bytes(float64(hi.PeakRSS)), units.Bytes(float64(hi.PeakHeap)), units.Bytes(float64(hi.PeakStacks)))}))
		}
	}
	gc := fmt.Sprintf("%s; the runs shown: %d collections (%s of pauses) against %d (%s); peak heap %s against %s",
		between, hi.GCCycles, units.Duration(hi.GCPause), lo.GCCycles, units.Duration(lo.GCPause), units.Bytes(float64(hi.PeakHeap)), units.Bytes(float64(lo.PeakHeap)))
	if mj.s.model != model.CPython {
		gc += "; Go's collector starts a cycle when the heap has grown by GOGC% since the last one, so a heap that grows with the tasks spaces its cycles out"
	}
	mj.j.add(claimGCCycles.Judge(Measurement{Model: m, Samples: paired(hi, lo, func(c CallPoint) float64 { return float64(c.GCCycles) }, 1), Expected: 2, Unit: "×",
		Detail: gc}))
	mj.j.add(claimSchedulingDelay.Judge(Measurement{Model: m, Samples: paired(hi, lo, func(c CallPoint) float64 { return c.StartDelay.P99 }, 0.001), Expected: 2, Unit: "×", Busy: mj.busy,
		Detail: fmt.Sprintf("%s; the runs shown: p99 %s against %s; max %s%s", between, msText(hi.StartDelay.P99), msText(lo.StartDelay.P99), msText(hi.StartDelay.Max), schedText(mj.s, hi.CallPoint))}))
}

// variance judges the spread of the answered calls' latency, at the most
// tasks where at least two were answered in every run (where none was,
// there is no latency to vary) against the fewest.
func (mj manyJudging) variance() {
	lo, hi, m := mj.lo, mj.hi, mj.m
	ans := lo
	for _, pt := range mj.all {
		if !slices.ContainsFunc(pt.All(), func(c CallPoint) bool { return c.OK < 2 }) {
			ans = pt
		}
	}
	switch {
	case ans.Tasks == hi.Tasks:
	case ans.Tasks > lo.Tasks:
		mj.j.note("%s: at %d tasks as few as %d calls were answered in a run, too few for a latency spread; its variance is judged at %d tasks", m, hi.Tasks, minOK(hi), ans.Tasks)
	default:
		mj.j.note("%s: above %d tasks fewer than two calls were answered in some run: no latency spread to judge", m, lo.Tasks)
	}
	if ans.Tasks <= lo.Tasks {
		return
	}
	ratios := paired(ans, lo, func(c CallPoint) float64 { return c.Latency.Std }, 0.001)
	if len(ans.All()) != len(lo.All()) { // a count between the ends ran once: against each run at the fewest
		ratios = nil
		for _, c := range lo.All() {
			ratios = append(ratios, ratioOr(ans.Latency.Std, c.Latency.Std, 0.001))
		}
	}
	mj.j.add(claimLatencyVariance.Judge(Measurement{Model: m, Samples: ratios, Expected: 2, Unit: "×", Busy: mj.res.busy(runIndexes(append(lo.All(), ans.All()...)...)...),
		Detail: fmt.Sprintf("%d tasks against %d; the runs shown: σ %s against %s (answered calls: p50 %s, p99 %s against p50 %s, p99 %s)",
			ans.Tasks, lo.Tasks, msText(ans.Latency.Std), msText(lo.Latency.Std), msText(ans.Latency.P50), msText(ans.Latency.P99), msText(lo.Latency.P50), msText(lo.Latency.P99))}))
}

// loopLag judges an event loop's largest heartbeat lag at the most tasks
// against the fewest.
func (mj manyJudging) loopLag() {
	lo, hi := mj.lo, mj.hi
	if !mj.s.eventLoop() {
		return
	}
	mj.j.add(claimLoopLag.Judge(Measurement{Model: mj.m, Samples: paired(hi, lo, func(c CallPoint) float64 { return units.Millis(c.MaxLoopLag) }, 1), Expected: 2, Unit: "×", Busy: mj.busy,
		Detail: fmt.Sprintf("%d tasks: largest lag %s in the run shown (at %d tasks: %s)", hi.Tasks, units.Duration(hi.MaxLoopLag), lo.Tasks, units.Duration(lo.MaxLoopLag))}))
}

// descriptors judges the descriptors open against the tasks and the
// limit, and "too many open files" beyond the limit and within it.
func (mj manyJudging) descriptors() {
	all, hi, m := mj.all, mj.hi, mj.m
	worst, worstPt := 2.0, CallPoint{}
	beyond, within, nWithin, withinAt := (*CallRuns)(nil), 0, 0, 0
	for i, pt := range all {
		for _, c := range pt.All() {
			if c.Crash != "" {
				continue
			}
			want := min(c.Tasks+c.BaseFDs, c.NoFile)
			if r := float64(c.PeakFDs) / float64(want); r < worst {
				worst, worstPt = r, c
			}
		}
		switch {
		case pt.Tasks+pt.BaseFDs > pt.NoFile:
			beyond = &all[i] // the most tasks beyond the limit
		case pt.Tasks+pt.BaseFDs+belowMargin <= pt.NoFile:
			for _, c := range pt.All() {
				if f := c.Errors[model.ErrTooManyFiles]; f > within {
					within, withinAt = f, pt.Tasks
				}
			}
			nWithin++
		}
	}
	mj.j.add(claimFDsTrack.Judge(Measurement{Model: m, Value: worst, Expected: 1, Unit: "×",
		Detail: fmt.Sprintf("lowest at %d tasks: %d descriptors open at the peak, of min(%d + %d, %d); by task count (the runs shown): %s",
			worstPt.Tasks, worstPt.PeakFDs, worstPt.Tasks, worstPt.BaseFDs, worstPt.NoFile, fdsText(all))}))
	if beyond != nil {
		mj.j.add(claimFilesBeyond.Judge(Measurement{Model: m, Samples: beyond.tooManyFiles(), Expected: 1, Unit: "calls",
			Detail: fmt.Sprintf("%d tasks against a limit of %d descriptors; beyond it (the runs shown): %s", beyond.Tasks, hi.NoFile, failuresText(all, true))}))
	} else {
		mj.j.note("%s: no task count went beyond the clients' %d descriptors: raise --tasks or lower --fd-limit to see them run out", m, hi.NoFile)
	}
	if nWithin > 0 {
		d := fmt.Sprintf("%d task counts within the limit of %d descriptors", nWithin, hi.NoFile)
		if within > 0 {
			d += fmt.Sprintf("; %d at %d tasks", within, withinAt)
		}
		mj.j.add(claimFilesWithin.Judge(Measurement{Model: m, Value: float64(within), Expected: 0, Unit: "calls",
			Detail: d}))
	}
}

// minOK is the fewest calls answered in any run of pt.
func minOK(pt CallRuns) int {
	n := pt.OK
	for _, c := range pt.All() {
		n = min(n, c.OK)
	}
	return n
}

// survivalText says which runs' clients died, or that none did.
func survivalText(runs []CallPoint) string {
	if len(runIndexes(runs...)) == len(runs) {
		return "the client process survived every run: calls that could not get a socket failed with \"too many open files\", counted, and the rest went on"
	}
	return crashText(runs)
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
		return fmt.Sprintf("; the loop's largest heartbeat lag %s", units.Duration(pt.MaxLoopLag))
	}
	if s.model == model.CPython {
		return ""
	}
	return fmt.Sprintf("; the runtime's goroutines waited, runnable, p99 %s (of %d sampled)", units.Duration(pt.Sched.P99), pt.Sched.N)
}

// fdsText lists peak descriptors by task count.
func fdsText(pts []CallRuns) string {
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
func failuresText(pts []CallRuns, beyond bool) string {
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
