package experiments

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// AsyncCPUParams are the parameters of the async-cpu experiment.
type AsyncCPUParams struct {
	// Tasks is how many CPU-bound tasks run.
	Tasks int
	// CPU is each task's computation, calibrated to this machine.
	CPU time.Duration
	// Heartbeat is the event loop's lag probe period.
	Heartbeat time.Duration
	// Models are the models to run: eventloop, and others for contrast.
	Models []string
	// Repeat is how many times each model runs each way, interleaved (A B
	// C A B C …): the speedups, round by round, are judged by their median
	// and its 95% interval.
	Repeat int
	// Python is the cpython model's interpreter (see model.FindPython).
	Python string
}

// Params binds the parameters to flags.
func (p *AsyncCPUParams) Params() []Param {
	return []Param{
		intParam(&p.Tasks, "tasks", "CPU-bound tasks to run", 1, 1000),
		durationParam(&p.CPU, "cpu", "computation per task", time.Millisecond, 10*time.Second),
		durationParam(&p.Heartbeat, "heartbeat", "event loop lag probe period", time.Millisecond, time.Second),
		namesParam(&p.Models, "models", "models to run (cpython: CPython's asyncio)", model.Strings(model.EventLoop, model.Goroutines, model.Processes, model.GILThreads, model.CPython)),
		intParam(&p.Repeat, "repeat", "runs of each model each way, interleaved (median and 95% interval judged; 6 or more for an interval that assumes no distribution)", 1, 20),
		pythonParam(&p.Python),
	}
}

// defaultAsyncCPU is the lecture's setting: eight tasks of 50 ms of CPU,
// on the event loop and, for contrast, goroutines and processes, six runs
// each way (repeatsFor: under a second a run).
func defaultAsyncCPU() AsyncCPUParams {
	return AsyncCPUParams{Tasks: 8, CPU: 50 * time.Millisecond, Heartbeat: 10 * time.Millisecond,
		Models: model.Strings(model.EventLoop, model.Goroutines, model.Processes, model.CPython), Repeat: repeatsFor(8 * 50 * time.Millisecond)}
}

// quickAsyncCPU is four tasks of 30 ms.
func quickAsyncCPU(p *AsyncCPUParams) { p.Tasks, p.CPU = 4, 30*time.Millisecond }

// AsyncCPUPoint is one model's runs both ways: the tasks one after
// another, and all at once, Repeat times each.
type AsyncCPUPoint struct {
	// Model is the series: the model, or "cpython asyncio".
	Model string `json:"model"`
	// SequentialRuns and ConcurrentRuns index Report.Runs, one per round;
	// SequentialWalls and ConcurrentWalls are their wall times.
	SequentialRuns  []int           `json:"sequential_runs"`
	ConcurrentRuns  []int           `json:"concurrent_runs"`
	SequentialWalls []time.Duration `json:"sequential_walls_ns"`
	ConcurrentWalls []time.Duration `json:"concurrent_walls_ns"`
	// Sequential and Concurrent are the runs each way whose wall is
	// nearest the median: the ones the charts draw.
	Sequential int `json:"sequential_run"`
	Concurrent int `json:"concurrent_run"`
	// SpeedupCI is the speedup of all at once over one after another,
	// round by round.
	SpeedupCI
	// MaxLoopLags are the concurrent runs' worst heartbeat lags
	// (eventloop), LongestSteps their longest CPU segments, by round;
	// MaxLoopLag and LongestStep their medians.
	MaxLoopLags  []time.Duration `json:"max_loop_lags_ns,omitempty"`
	LongestSteps []time.Duration `json:"longest_cpu_steps_ns"`
	MaxLoopLag   time.Duration   `json:"max_loop_lag_ns,omitempty"`
	LongestStep  time.Duration   `json:"longest_cpu_step_ns"`
	// Traced indexes Report.Runs: the tasks all at once once more, traced
	// (model.Config.Trace), apart from the measured runs; the run the
	// timeline draws. A result without one (recorded before it existed, or
	// where the tracer could not start) has no traced run there.
	Traced int `json:"traced_run"`
	// MaxComputing is the most tasks on a CPU at the same instant in the
	// traced run, read from its on-CPU stretches; MaxComputingLow the most
	// that stayed on a CPU together for longer than twice the trace's
	// resolution (Resolution), what the trace can tell from an artefact of
	// its edges. Both are -1 where there is no traced run.
	MaxComputing    int           `json:"max_computing"`
	MaxComputingLow int           `json:"max_computing_low"`
	Resolution      time.Duration `json:"trace_resolution_ns,omitempty"`
}

// AsyncCPUResult is the result of the async-cpu experiment.
type AsyncCPUResult struct {
	Report
	Points []AsyncCPUPoint `json:"points"`
}

// Claims of the async-cpu experiment.
var (
	claimAsyncNoSpeedup = Claim{
		ID:       "async-no-speedup",
		Source:   Lecture,
		Quote:    "A coroutine only yields control when it hits await … CPU-bound code has no await points",
		Cite:     "Lecture 18, question 1, the answer",
		Short:    "Async gives CPU work no speedup",
		Text:     "Async does not help CPU-bound tasks: a coroutine only yields at await, CPU-bound code has none, so the tasks run one after another",
		Quantity: "speedup of running the tasks all at once on the event loop over running them one after another, as measured, round by round: the median with its 95% interval (x)",
		Predicts: "no speedup: 1, within 10%",
		Compare:  Within, Tolerance: 0.10,
	}
	claimAsyncBlocksLoop = Claim{
		ID:       "async-blocks-loop",
		Source:   Lecture,
		Quote:    "So it blocks the event loop",
		Cite:     "Lecture 18, question 1, the answer",
		Text:     "CPU-bound code blocks the event loop: nothing else runs, not even a timer, until it ends",
		Quantity: "worst heartbeat lag over the longest CPU step, all tasks at once, run by run: the median with its 95% interval (×)",
		Predicts: "at least the longest CPU step: at least 0.9 of it",
		Compare:  AtLeast, Tolerance: 0.10,
	}
	claimAsyncOneAtATime = Claim{
		ID:       "async-one-at-a-time",
		Source:   Lecture,
		Quote:    "asyncio improves io concurrency, not cpu parallellism.",
		Cite:     "Lecture 18, question 1, the answer",
		Short:    "One task computes at a time",
		Text:     "asyncio improves I/O concurrency, not CPU parallelism: one task computes at a time",
		Quantity: "most tasks on a CPU at the same instant, all at once, in a run traced apart from the measured ones (Go's execution tracer; CPython: the thread's CPU clock): counted at any instant, and over overlaps longer than twice the trace's resolution (tasks)",
		Predicts: "1",
		Compare:  AtMost, Tolerance: 0,
	}
	claimLagFidelity = Claim{
		ID:       "lag-fidelity",
		Source:   Check,
		Short:    "eventloop model lags as asyncio does",
		Text:     "The eventloop model's loop is blocked as long as asyncio's by the same CPU-bound tasks",
		Quantity: "the eventloop model's worst heartbeat lag over asyncio's, all tasks at once, both as measured, round by round: the median with its 95% interval (×)",
		Predicts: "the same: 1, within 20%",
		Compare:  Within, Tolerance: 0.20,
	}
	claimParallelCPU = Claim{
		ID:       "parallel-cpu",
		Source:   Check,
		Short:    "Goroutines and processes compute in parallel",
		Text:     "Goroutines and processes run CPU-bound tasks in parallel, up to one per core",
		Quantity: "speedup over one after another (async-cpu) or over one worker (scaling), as measured, round by round: the median with its 95% interval (x)",
		Predicts: "min(tasks or workers, the cores the machine gives the process): at least 85% of it",
		Compare:  AtLeast, Tolerance: 0.15,
	}
)

// AsyncCPU is the experiment "why does async not help CPU-bound tasks?".
var AsyncCPU = define(about{
	name:    "async-cpu",
	title:   "Async on CPU-bound work",
	lecture: "Q1",
	summary: "CPU-bound tasks on an event loop run one after another and block the loop; goroutines and processes run them in parallel",
	claims:  []Claim{claimAsyncNoSpeedup, claimAsyncBlocksLoop, claimAsyncOneAtATime, claimThreadsNoSpeedup, claimParallelCPU, claimLagFidelity},
}, defaultAsyncCPU, quickAsyncCPU, measureAsyncCPU, judgeAsyncCPU)

// measureAsyncCPU runs the async-cpu experiment: for each model, the tasks
// one after another (concurrency 1) and all at once (concurrency = tasks),
// Repeat times each, interleaved. The cpython model runs as CPython's
// asyncio.
func measureAsyncCPU(ctx context.Context, p *AsyncCPUParams, res *AsyncCPUResult, tr *tracker) error {
	ss, err := res.expandModels(ctx, p.Models, p.Python, model.FlavorAsyncio)
	if err != nil {
		return err
	}
	tasks := model.Repeat(p.Tasks, model.NewTask(model.CPUFor(p.CPU)))
	work := p.CPU.Seconds() * float64(p.Tasks)
	// Each series one after another and all at once, then again:
	// interleaved, so that a model and CPython run under the same
	// conditions of a shared machine.
	var arms []arm
	var labels []string
	for _, s := range ss {
		cfg := s.config(model.Config{Heartbeat: p.Heartbeat, Concurrency: 1}, p.Python)
		arms = append(arms, arm{stage: s.String() + ", one after another", weight: work, model: s.model, tasks: tasks, cfg: cfg})
		cfg.Concurrency = p.Tasks
		arms = append(arms, arm{stage: s.String() + ", all at once", weight: work, model: s.model, tasks: tasks, cfg: cfg})
		labels = append(labels, "one after another", fmt.Sprintf("all %d at once", p.Tasks))
	}
	// Then each series all at once, traced, for the timeline and for how
	// many tasks were on a CPU at once.
	tr.expect(weight(p.Repeat, arms) + weight(1, arms)/2)
	runs, err := res.runArms(ctx, tr, p.Repeat, arms, func(a int) string { return labels[a] })
	if err != nil {
		return err
	}
	calibrated := time.Duration(p.Tasks) * model.Calibrate().DurationOf(tasks[0].Steps[0].Units)
	for k, s := range ss {
		traced, err := res.traceArm(ctx, tr, arms[2*k+1], labels[2*k+1]+", traced")
		if err != nil {
			return err
		}
		res.Points = append(res.Points, res.asyncPoint(s, runs[2*k], runs[2*k+1], traced, calibrated))
	}
	return nil
}

// asyncPoint reads series s's runs one after another (seq) and all at once
// (con), round by round, and its traced run; work is the tasks' calibrated
// time, for the calibrated figures beside CPython's.
func (res *AsyncCPUResult) asyncPoint(s series, seq, con []int, traced int, work time.Duration) AsyncCPUPoint {
	r := &res.Report
	wall := func(run *model.Run) time.Duration { return run.Totals.Wall }
	pt := AsyncCPUPoint{
		Model:          s.String(),
		SequentialRuns: seq, ConcurrentRuns: con,
		SequentialWalls: durationsOf(r, seq, wall), ConcurrentWalls: durationsOf(r, con, wall),
		Sequential: medianRun(r, seq, wallOf), Concurrent: medianRun(r, con, wallOf),
		SpeedupCI:    speedupOf(r, seq, con, s.model == model.CPython, work),
		MaxLoopLags:  durationsOf(r, con, func(run *model.Run) time.Duration { return run.Totals.MaxLoopLag }),
		LongestSteps: durationsOf(r, con, func(run *model.Run) time.Duration { return longestSegment(run.Spans, model.KindCPU) }),
	}
	pt.MaxLoopLag, pt.LongestStep = medianDuration(pt.MaxLoopLags), medianDuration(pt.LongestSteps)
	if !s.eventLoop() {
		pt.MaxLoopLags, pt.MaxLoopLag = nil, 0
	}
	pt.Traced, pt.MaxComputing, pt.MaxComputingLow = traced, -1, -1
	if run := r.traced(traced); run != nil {
		on := model.Intervals(run.Spans, model.KindOnCPU)
		pt.Resolution = run.Trace.Resolution
		pt.MaxComputing = measure.MostAtOnce(on, 0)
		pt.MaxComputingLow = measure.MostAtOnce(on, 2*pt.Resolution)
	}
	return pt
}

// judgeAsyncCPU judges each series' point: the event loops on no speedup,
// a blocked loop and one task at a time; the gil model on no speedup; the
// others on parallel speedup; then the eventloop model's lag against
// asyncio's.
func judgeAsyncCPU(r *AsyncCPUResult) judgement {
	var j judgement
	p := paramsOf[AsyncCPUParams](&r.Report)
	cores := min(p.Tasks, r.Stamp.Usable())
	for _, pt := range r.Points {
		s := seriesOf(pt.Model)
		busy := r.busy(slices.Concat(pt.SequentialRuns, pt.ConcurrentRuns)...)
		detail := fmt.Sprintf("%d tasks × %s CPU: wall %s one after another, %s all at once (medians)",
			p.Tasks, p.CPU, units.Duration(medianDuration(pt.SequentialWalls)), units.Duration(medianDuration(pt.ConcurrentWalls)))
		if c := pt.calibratedText(); c != "" {
			detail += "; " + c
		}
		speedup := func(c Claim, expected float64, detail string) Verdict {
			return c.Judge(Measurement{Model: pt.Model, Samples: pt.Speedups, Expected: expected, Unit: "x", Detail: detail, Busy: busy})
		}
		switch {
		case s.eventLoop():
			if s.model == model.CPython && pt.Concurrent >= 0 {
				detail += "; " + pyName(r.Runs[pt.Concurrent].Interpreter)
			}
			j.add(speedup(claimAsyncNoSpeedup, 1, detail))
			lags := make([]float64, 0, len(pt.MaxLoopLags))
			for k := range min(len(pt.MaxLoopLags), len(pt.LongestSteps)) {
				if pt.LongestSteps[k] > 0 {
					lags = append(lags, ratio(pt.MaxLoopLags[k], pt.LongestSteps[k]))
				}
			}
			j.add(claimAsyncBlocksLoop.Judge(Measurement{Model: pt.Model, Samples: lags, Expected: 1, Unit: "× longest step", Busy: r.busy(pt.ConcurrentRuns...),
				Detail: fmt.Sprintf("worst lag %s, longest CPU step %s (medians); a heartbeat due every %s", units.Duration(pt.MaxLoopLag), units.Duration(pt.LongestStep), p.Heartbeat)}))
			j.add(r.judgeOneAtATime(pt, p))
		case s.model == model.GILThreads:
			j.add(speedup(claimThreadsNoSpeedup, 1, fmt.Sprintf("%s; %d threads against one", detail, p.Tasks)))
		default:
			j.add(speedup(claimParallelCPU, float64(cores), detail+"; "+coresText(r.Stamp, s)))
		}
	}
	if v, ok := r.judgeFidelity(p); ok {
		j.add(v)
	}
	return j
}

// judgeOneAtATime judges how many of an event loop's tasks were on a CPU
// at once in its traced run: the count at any instant, with the count over
// overlaps longer than twice the trace's resolution as the low end of its
// interval, so that an overlap only the trace's edges could make is
// inconclusive. Without a traced run there is nothing to judge: the CPU
// steps' wall intervals cannot tell a task computing from one waiting for
// a CPU.
func (r *AsyncCPUResult) judgeOneAtATime(pt AsyncCPUPoint, p *AsyncCPUParams) Verdict {
	m := Measurement{Model: pt.Model, Expected: 1, Unit: "tasks", Value: math.NaN(),
		Detail: fmt.Sprintf("%d tasks × %s CPU all at once", p.Tasks, p.CPU)}
	run := r.traced(pt.Traced)
	if run == nil || pt.MaxComputing < 0 {
		v := claimAsyncOneAtATime.Judge(m)
		v.Reason = "no traced run in this result: the CPU steps' wall intervals cannot tell a task on a CPU from one waiting for it"
		return v
	}
	m.Interval = &measure.CI{Median: float64(pt.MaxComputing), Low: float64(min(pt.MaxComputingLow, pt.MaxComputing)), High: float64(pt.MaxComputing), N: 1}
	m.Detail += fmt.Sprintf(", in a run traced apart from the measured ones (wall %s), on a CPU as %s saw it: %d at any instant, %d for longer than %s",
		units.Duration(run.Totals.Wall), run.Trace, pt.MaxComputing, pt.MaxComputingLow, units.Duration(2*pt.Resolution))
	v := claimAsyncOneAtATime.Judge(m)
	if v.Outcome == Inconclusive {
		v.Reason = fmt.Sprintf("%d tasks were on a CPU together only for moments shorter than %s, twice the trace's resolution: the overlap may be the trace's, not the tasks'",
			pt.MaxComputing, units.Duration(2*pt.Resolution))
	}
	return v
}

// judgeFidelity holds the eventloop model's worst lag, all tasks at once,
// to asyncio's, round by round, both as measured.
func (res *AsyncCPUResult) judgeFidelity(p *AsyncCPUParams) (Verdict, bool) {
	var m, c *AsyncCPUPoint
	for i := range res.Points {
		switch res.Points[i].Model {
		case string(model.EventLoop):
			m = &res.Points[i]
		case model.PythonSeries(model.FlavorAsyncio):
			c = &res.Points[i]
		}
	}
	if m == nil || c == nil {
		return Verdict{}, false
	}
	f := units.Duration
	lags := func(pt *AsyncCPUPoint) []float64 {
		out := make([]float64, len(pt.MaxLoopLags))
		for i, d := range pt.MaxLoopLags {
			out[i] = float64(d)
		}
		return out
	}
	detail := fmt.Sprintf("%d tasks × %s at once: worst lag eventloop %s, %s asyncio %s (medians, %s); longest CPU step %s and %s",
		p.Tasks, p.CPU, f(m.MaxLoopLag), pyName(res.Python), f(c.MaxLoopLag), relDiff(units.Millis(m.MaxLoopLag), units.Millis(c.MaxLoopLag)),
		f(m.LongestStep), f(c.LongestStep))
	if c.Slowdown > 0 {
		// An explanation only: the lag is the time the loop spent
		// computing, and the interpreter may have computed slower than it
		// was calibrated.
		detail += fmt.Sprintf("; asyncio's at the calibrated speed (over its runs' CPU, %.2f× the calibrated; an explanation, not judged) %s", c.Slowdown, f(time.Duration(float64(c.MaxLoopLag)/c.Slowdown)))
	}
	v := claimLagFidelity.Judge(Measurement{Model: string(model.EventLoop), Samples: ratiosOf(lags(m), lags(c)), Expected: 1, Unit: "×", Detail: detail,
		Busy: res.busy(slices.Concat(m.ConcurrentRuns, c.ConcurrentRuns)...)})
	if v.Outcome == DoesNotHold {
		// The lag is the time the loop spent computing: if the steps
		// themselves ran longer in Python, so did the lag.
		v.Detail += fmt.Sprintf("; the lags relative to the longest step: eventloop %.2f, asyncio %.2f: where they agree, the miss is in the speed of the computing, not in the loop",
			ratio(m.MaxLoopLag, m.LongestStep), ratio(c.MaxLoopLag, c.LongestStep))
	}
	return v, true
}

// longestSegment is the longest segment of kind k in the spans.
func longestSegment(spans []model.Span, k model.Kind) time.Duration {
	var best time.Duration
	for _, s := range spans {
		for _, sg := range s.Segments {
			if sg.Kind == k {
				best = max(best, sg.End-sg.Start)
			}
		}
	}
	return best
}
