package experiments

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/boundlab/boundlab/experiments/model"
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
	// Repeat is how many times each model runs each way, interleaved; the
	// fastest run counts. Zero means once.
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
		namesParam(&p.Models, "models", "models to run (cpython: CPython's asyncio)", []string{"eventloop", "goroutines", "processes", "gil", "cpython"}),
		intParam(&p.Repeat, "repeat", "runs of each model each way, the fastest counting (0: one)", 0, 20),
		pythonParam(&p.Python),
	}
}

// defaultAsyncCPU is the lecture's setting: eight tasks of 50 ms of CPU,
// on the event loop and, for contrast, goroutines and processes, the
// fastest of three runs each way.
func defaultAsyncCPU() AsyncCPUParams {
	return AsyncCPUParams{Tasks: 8, CPU: 50 * time.Millisecond, Heartbeat: 10 * time.Millisecond,
		Models: []string{"eventloop", "goroutines", "processes"}, Repeat: 3}
}

// quickAsyncCPU is four tasks of 30 ms.
func quickAsyncCPU(p *AsyncCPUParams) { p.Tasks, p.CPU = 4, 30*time.Millisecond }

// AsyncCPUPoint is one model's pair of runs: one task after another, and all
// at once.
type AsyncCPUPoint struct {
	// Model is the series: the model, or "cpython asyncio".
	Model string `json:"model"`
	// Sequential and Concurrent index Report.Runs: the fastest run of each
	// way.
	Sequential int `json:"sequential_run"`
	Concurrent int `json:"concurrent_run"`
	// Speedup is the sequential wall time over the concurrent one. For
	// CPython it is taken at the calibrated speed (each wall over its run's
	// slowdown, see ScalingPoint.Slowdown): RawSpeedup is the plain ratio.
	Speedup    float64 `json:"speedup"`
	RawSpeedup float64 `json:"raw_speedup,omitempty"`
	// Slowdown is the concurrent run's task CPU time over the work's
	// calibrated time; 0 where the model does not measure it.
	Slowdown float64 `json:"slowdown,omitempty"`
	// MaxLoopLag is the concurrent run's worst heartbeat lag (eventloop).
	MaxLoopLag time.Duration `json:"max_loop_lag_ns,omitempty"`
	// LongestStep is the longest CPU segment measured in the concurrent run.
	LongestStep time.Duration `json:"longest_cpu_step_ns"`
	// MaxComputing is the most tasks computing at the same moment.
	MaxComputing int `json:"max_computing"`
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
		Text:     "Async does not help CPU-bound tasks: a coroutine only yields at await, CPU-bound code has none, so the tasks run one after another",
		Quantity: "speedup of running the tasks concurrently on the event loop over running them one after another (x)",
		Predicts: "speedup = 1",
		Compare:  Within, Tolerance: 0.10,
	}
	claimAsyncBlocksLoop = Claim{
		ID:       "async-blocks-loop",
		Text:     "CPU-bound code blocks the event loop: nothing else runs, not even a timer, until it ends",
		Quantity: "worst heartbeat lag (ms)",
		Predicts: "at least the longest CPU step",
		Compare:  AtLeast, Tolerance: 0.10,
	}
	claimAsyncOneAtATime = Claim{
		ID:       "async-one-at-a-time",
		Text:     "asyncio improves I/O concurrency, not CPU parallelism: one task computes at a time",
		Quantity: "most tasks computing at the same moment",
		Predicts: "1",
		Compare:  AtMost, Tolerance: 0,
	}
	claimLagFidelity = Claim{
		ID:       "lag-fidelity",
		Text:     "The eventloop model's loop is blocked as long as asyncio's by the same CPU-bound tasks",
		Quantity: "the eventloop model's worst heartbeat lag, all tasks at once (ms)",
		Predicts: "asyncio's worst heartbeat lag",
		Compare:  Within, Tolerance: 0.20,
	}
	claimParallelCPU = Claim{
		ID:       "parallel-cpu",
		Text:     "Goroutines and processes run CPU-bound tasks in parallel, up to one per core",
		Quantity: "speedup over one after another (x)",
		Predicts: "min(tasks, cores)",
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
// Repeat times each, interleaved, the fastest of each way counting. The
// cpython model runs as CPython's asyncio.
func measureAsyncCPU(ctx context.Context, p *AsyncCPUParams, res *AsyncCPUResult, tr *tracker) error {
	p.Repeat = max(1, p.Repeat)
	ss, err := res.expandModels(ctx, p.Models, p.Python, model.FlavorAsyncio)
	if err != nil {
		return err
	}
	tasks := model.Repeat(p.Tasks, model.NewTask(model.CPUFor(p.CPU)))
	work := seconds(p.CPU) * float64(p.Tasks)
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
	tr.expect(weight(p.Repeat, arms))
	runs, err := res.runArms(ctx, tr, p.Repeat, arms, func(a int) string { return labels[a] })
	if err != nil {
		return err
	}
	calibrated := time.Duration(p.Tasks) * model.Calibrate().DurationOf(tasks[0].Steps[0].Units)
	for k, s := range ss {
		// A run's wall, at the calibrated speed if the series is corrected.
		wall := func(i int) float64 {
			if !s.corrected() {
				return float64(res.Runs[i].Totals.Wall)
			}
			return atSpeed(res.Runs[i].Totals.Wall, slowdown(res.Runs[i].Run, calibrated))
		}
		fastest := func(is []int) int {
			return slices.MinFunc(is, func(a, b int) int { return cmp.Compare(wall(a), wall(b)) })
		}
		seqI, conI := fastest(runs[2*k]), fastest(runs[2*k+1])
		seq, con := res.Runs[seqI].Run, res.Runs[conI].Run
		pt := AsyncCPUPoint{
			Model:        s.String(),
			Sequential:   seqI,
			Concurrent:   conI,
			Speedup:      wall(seqI) / wall(conI),
			MaxLoopLag:   con.Totals.MaxLoopLag,
			LongestStep:  longestSegment(con.Spans, model.KindCPU),
			MaxComputing: maxConcurrentCPU(con.Spans),
			Slowdown:     slowdown(con, calibrated),
		}
		if s.corrected() {
			pt.RawSpeedup = ratio(seq.Totals.Wall, con.Totals.Wall)
		}
		res.Points = append(res.Points, pt)
	}
	return nil
}

// judgeAsyncCPU judges each series' point: the event loops on no speedup,
// a blocked loop and one task at a time; the gil model on no speedup; the
// others on parallel speedup; then the eventloop model's lag against
// asyncio's.
func judgeAsyncCPU(r *AsyncCPUResult) judgement {
	var j judgement
	p := paramsOf[AsyncCPUParams](&r.Report)
	cores := min(p.Tasks, r.Stamp.GOMAXPROCS, r.Stamp.Cores)
	for _, pt := range r.Points {
		s := seriesOf(pt.Model)
		con := r.Runs[pt.Concurrent].Run
		busy := r.busy(pt.Sequential, pt.Concurrent)
		detail := fmt.Sprintf("%d tasks × %s CPU", p.Tasks, p.CPU)
		if p.Repeat > 1 {
			detail += fmt.Sprintf(", fastest of %d", p.Repeat)
		}
		if s.corrected() {
			detail += fmt.Sprintf(", at the calibrated speed (as measured %.3fx)", pt.RawSpeedup)
		}
		speedup := func(c Claim, expected float64, detail string) Verdict {
			return c.Judge(Measurement{Model: pt.Model, Value: pt.Speedup, Expected: expected, Unit: "x", Detail: detail, Busy: busy})
		}
		switch {
		case s.eventLoop():
			if s.model == "cpython" {
				detail += "; " + pyName(con.Interpreter)
			}
			j.add(speedup(claimAsyncNoSpeedup, 1, detail))
			j.add(claimAsyncBlocksLoop.Judge(Measurement{Model: pt.Model, Value: ms(pt.MaxLoopLag), Expected: ms(pt.LongestStep), Unit: "ms", Busy: busy,
				Detail: fmt.Sprintf("%d heartbeats every %s", len(con.LoopLag), p.Heartbeat)}))
			j.add(claimAsyncOneAtATime.Judge(Measurement{Model: pt.Model, Value: float64(pt.MaxComputing), Expected: 1, Unit: "tasks", Detail: detail}))
		case s.model == "gil":
			j.add(speedup(claimThreadsNoSpeedup, 1, detail))
		default:
			j.add(speedup(claimParallelCPU, float64(cores), fmt.Sprintf("%s; %d cores usable", detail, cores)))
		}
	}
	if v, ok := r.judgeFidelity(p); ok {
		j.add(v)
	}
	return j
}

// judgeFidelity holds the eventloop model's worst lag, all tasks at once,
// to asyncio's.
func (res *AsyncCPUResult) judgeFidelity(p *AsyncCPUParams) (Verdict, bool) {
	var m, c *AsyncCPUPoint
	for i := range res.Points {
		switch res.Points[i].Model {
		case "eventloop":
			m = &res.Points[i]
		case "cpython " + model.FlavorAsyncio:
			c = &res.Points[i]
		}
	}
	if m == nil || c == nil {
		return Verdict{}, false
	}
	f := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", ms(d)) }
	// asyncio's lag is the time its loop spent computing: taken at the
	// calibrated speed, as the eventloop model's is.
	lag := ms(c.MaxLoopLag)
	if c.Slowdown > 0 {
		lag /= c.Slowdown
	}
	detail := fmt.Sprintf("%d tasks × %s at once: eventloop %s, %s asyncio %.1f ms at the calibrated speed, %s as measured (%s); longest CPU step %s and %s",
		p.Tasks, p.CPU, f(m.MaxLoopLag), pyName(res.Python), lag, f(c.MaxLoopLag), relDiff(ms(m.MaxLoopLag), lag),
		f(m.LongestStep), f(c.LongestStep))
	v := claimLagFidelity.Judge(Measurement{Model: "eventloop", Value: ms(m.MaxLoopLag), Expected: lag, Unit: "ms", Detail: detail,
		Busy: res.busy(m.Concurrent, c.Concurrent)})
	if v.Outcome == DoesNotHold {
		// The lag is the time the loop spent computing: if the steps
		// themselves ran longer in Python, so did the lag.
		v.Detail += fmt.Sprintf("; the lags relative to the longest step: eventloop %.2f, asyncio %.2f: where they agree, the miss is in the speed of the computing, not in the loop; other processes kept %s and %s of the cores busy",
			ratio(m.MaxLoopLag, m.LongestStep), ratio(c.MaxLoopLag, c.LongestStep),
			busyCores(res.Runs[m.Concurrent].Run), busyCores(res.Runs[c.Concurrent].Run))
	}
	return v, true
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

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
