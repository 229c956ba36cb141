package experiments

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
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

// DefaultAsyncCPU returns the lecture's setting: eight tasks of 50 ms of
// CPU, on the event loop and, for contrast, goroutines and processes, the
// fastest of three runs each way.
func DefaultAsyncCPU() AsyncCPUParams {
	return AsyncCPUParams{Tasks: 8, CPU: 50 * time.Millisecond, Heartbeat: 10 * time.Millisecond,
		Models: []string{"eventloop", "goroutines", "processes"}, Repeat: 3}
}

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
	ClaimAsyncNoSpeedup = Claim{
		ID:       "async-no-speedup",
		Text:     "Async does not help CPU-bound tasks: a coroutine only yields at await, CPU-bound code has none, so the tasks run one after another",
		Quantity: "speedup of running the tasks concurrently on the event loop over running them one after another (x)",
		Predicts: "speedup = 1",
		Compare:  Within, Tolerance: 0.10,
	}
	ClaimAsyncBlocksLoop = Claim{
		ID:       "async-blocks-loop",
		Text:     "CPU-bound code blocks the event loop: nothing else runs, not even a timer, until it ends",
		Quantity: "worst heartbeat lag (ms)",
		Predicts: "at least the longest CPU step",
		Compare:  AtLeast, Tolerance: 0.10,
	}
	ClaimAsyncOneAtATime = Claim{
		ID:       "async-one-at-a-time",
		Text:     "asyncio improves I/O concurrency, not CPU parallelism: one task computes at a time",
		Quantity: "most tasks computing at the same moment",
		Predicts: "1",
		Compare:  AtMost, Tolerance: 0,
	}
	ClaimLagFidelity = Claim{
		ID:       "lag-fidelity",
		Text:     "The eventloop model's loop is blocked as long as asyncio's by the same CPU-bound tasks",
		Quantity: "the eventloop model's worst heartbeat lag, all tasks at once (ms)",
		Predicts: "asyncio's worst heartbeat lag",
		Compare:  Within, Tolerance: 0.20,
	}
	ClaimParallelCPU = Claim{
		ID:       "parallel-cpu",
		Text:     "Goroutines and processes run CPU-bound tasks in parallel, up to one per core",
		Quantity: "speedup over one after another (x)",
		Predicts: "min(tasks, cores)",
		Compare:  AtLeast, Tolerance: 0.15,
	}
)

// AsyncCPU is the experiment "why does async not help CPU-bound tasks?".
var AsyncCPU = register(&Question{
	Name:    "async-cpu",
	Title:   "Async on CPU-bound work",
	Lecture: "Q1",
	Summary: "CPU-bound tasks on an event loop run one after another and block the loop; goroutines and processes run them in parallel",
	Claims:  []Claim{ClaimAsyncNoSpeedup, ClaimAsyncBlocksLoop, ClaimAsyncOneAtATime, ClaimParallelCPU, ClaimLagFidelity},
	Defaults: func() Params {
		p := DefaultAsyncCPU()
		return &p
	},
	Quick: func() Params {
		p := DefaultAsyncCPU()
		p.Tasks, p.CPU = 4, 30*time.Millisecond
		return &p
	},
	NewResult: func() Result { return &AsyncCPUResult{} },
	Run: func(ctx context.Context, p Params, progress ProgressFunc) (Result, error) {
		return RunAsyncCPU(ctx, *p.(*AsyncCPUParams), progress)
	},
})

// RunAsyncCPU runs the async-cpu experiment: for each model, the tasks one
// after another (concurrency 1) and all at once (concurrency = tasks),
// Repeat times each, interleaved, the fastest of each way counting. The
// cpython model runs as CPython's asyncio, and the eventloop model's lag is
// held to asyncio's.
func RunAsyncCPU(ctx context.Context, p AsyncCPUParams, progress ProgressFunc) (*AsyncCPUResult, error) {
	if err := Validate(&p); err != nil {
		return nil, err
	}
	p.Repeat = max(1, p.Repeat)
	t0 := time.Now()
	res := &AsyncCPUResult{Report: newReport("async-cpu", &p)}
	ss, err := res.expandModels(ctx, p.Models, p.Python, model.FlavorAsyncio)
	if err != nil {
		return nil, err
	}
	tasks := model.Repeat(p.Tasks, model.NewTask(model.CPUFor(p.CPU)))
	work := seconds(p.CPU) * float64(p.Tasks)
	tr := newTracker(progress, 2*work*float64(len(ss)*p.Repeat))
	cores := min(p.Tasks, runtime.GOMAXPROCS(0), runtime.NumCPU())
	// Each series one after another and all at once, then again:
	// interleaved, so that a model and CPython run under the same
	// conditions of a shared machine.
	type pair struct{ seq, con []int }
	runs := make([]pair, len(ss))
	for rep := range p.Repeat {
		of := ""
		if p.Repeat > 1 {
			of = fmt.Sprintf(" (run %d of %d)", rep+1, p.Repeat)
		}
		for k, s := range ss {
			cfg := s.config(model.Config{Heartbeat: p.Heartbeat, Concurrency: 1}, p.Python)
			r, err := runModel(ctx, tr, s.String()+", one after another"+of, work, s.model, tasks, cfg)
			if err != nil {
				return nil, err
			}
			runs[k].seq = append(runs[k].seq, res.record("one after another", r))
			cfg.Concurrency = p.Tasks
			r, err = runModel(ctx, tr, s.String()+", all at once"+of, work, s.model, tasks, cfg)
			if err != nil {
				return nil, err
			}
			runs[k].con = append(runs[k].con, res.record(fmt.Sprintf("all %d at once", p.Tasks), r))
		}
	}
	calibrated := time.Duration(p.Tasks) * model.Calibrate().DurationOf(tasks[0].Steps[0].Units)
	for k, s := range ss {
		name := s.String()
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
		seqI, conI := fastest(runs[k].seq), fastest(runs[k].con)
		seq, con := res.Runs[seqI].Run, res.Runs[conI].Run
		pt := AsyncCPUPoint{
			Model:        name,
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
		detail := fmt.Sprintf("%d tasks × %s CPU", p.Tasks, p.CPU)
		if p.Repeat > 1 {
			detail += fmt.Sprintf(", fastest of %d", p.Repeat)
		}
		if s.corrected() {
			detail += fmt.Sprintf(", at the calibrated speed (as measured %.3fx)", pt.RawSpeedup)
		}
		switch {
		case s.eventLoop():
			if s.model == "cpython" {
				detail += "; " + pyName(con.Interpreter)
			}
			res.judge(ClaimAsyncNoSpeedup, name, pt.Speedup, 1, "x", detail)
			res.judge(ClaimAsyncBlocksLoop, name, ms(pt.MaxLoopLag), ms(pt.LongestStep), "ms",
				fmt.Sprintf("%d heartbeats every %s", len(con.LoopLag), p.Heartbeat))
			res.judge(ClaimAsyncOneAtATime, name, float64(pt.MaxComputing), 1, "tasks", detail)
		case s.model == "gil":
			res.judge(ClaimThreadsNoSpeedup, name, pt.Speedup, 1, "x", detail)
		default:
			res.judge(ClaimParallelCPU, name, pt.Speedup, float64(cores), "x",
				fmt.Sprintf("%s; %d cores usable", detail, cores))
		}
	}
	res.judgeFidelity(p)
	tr.finish()
	res.Elapsed = time.Since(t0)
	return res, nil
}

// judgeFidelity holds the eventloop model's worst lag, all tasks at once,
// to asyncio's.
func (res *AsyncCPUResult) judgeFidelity(p AsyncCPUParams) {
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
		return
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
	v := ClaimLagFidelity.Judge("eventloop", ms(m.MaxLoopLag), lag, "ms", detail)
	if !v.Holds {
		// The lag is the time the loop spent computing: if the steps
		// themselves ran longer in Python, so did the lag.
		v.Detail += fmt.Sprintf("; the lags relative to the longest step: eventloop %.2f, asyncio %.2f: where they agree, the miss is in the speed of the computing, not in the loop; other processes kept %s and %s of the cores busy",
			ratio(m.MaxLoopLag, m.LongestStep), ratio(c.MaxLoopLag, c.LongestStep),
			busyCores(res.Runs[m.Concurrent].Run), busyCores(res.Runs[c.Concurrent].Run))
	}
	res.Verdicts = append(res.Verdicts, v)
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
