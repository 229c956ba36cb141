package experiments

import (
	"context"
	"fmt"
	"runtime"
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
}

// Params binds the parameters to flags.
func (p *AsyncCPUParams) Params() []Param {
	return []Param{
		intParam(&p.Tasks, "tasks", "CPU-bound tasks to run", 1, 1000),
		durationParam(&p.CPU, "cpu", "computation per task", time.Millisecond, 10*time.Second),
		durationParam(&p.Heartbeat, "heartbeat", "event loop lag probe period", time.Millisecond, time.Second),
		namesParam(&p.Models, "models", "models to run", []string{"eventloop", "goroutines", "processes", "gil"}),
	}
}

// DefaultAsyncCPU returns the lecture's setting: eight tasks of 50 ms of
// CPU, on the event loop and, for contrast, goroutines and processes.
func DefaultAsyncCPU() AsyncCPUParams {
	return AsyncCPUParams{Tasks: 8, CPU: 50 * time.Millisecond, Heartbeat: 10 * time.Millisecond,
		Models: []string{"eventloop", "goroutines", "processes"}}
}

// AsyncCPUPoint is one model's pair of runs: one task after another, and all
// at once.
type AsyncCPUPoint struct {
	Model string `json:"model"`
	// Sequential and Concurrent index Report.Runs.
	Sequential int `json:"sequential_run"`
	Concurrent int `json:"concurrent_run"`
	// Speedup is the sequential wall time over the concurrent one.
	Speedup float64 `json:"speedup"`
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
	Claims:  []Claim{ClaimAsyncNoSpeedup, ClaimAsyncBlocksLoop, ClaimAsyncOneAtATime, ClaimParallelCPU},
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
// after another (concurrency 1) and all at once (concurrency = tasks).
func RunAsyncCPU(ctx context.Context, p AsyncCPUParams, progress ProgressFunc) (*AsyncCPUResult, error) {
	if err := Validate(&p); err != nil {
		return nil, err
	}
	t0 := time.Now()
	res := &AsyncCPUResult{Report: newReport("async-cpu", &p)}
	tasks := model.Repeat(p.Tasks, model.NewTask(model.CPUFor(p.CPU)))
	work := seconds(p.CPU) * float64(p.Tasks)
	tr := newTracker(progress, 2*work*float64(len(p.Models)))
	cores := min(p.Tasks, runtime.GOMAXPROCS(0), runtime.NumCPU())
	for _, name := range p.Models {
		cfg := model.Config{Heartbeat: p.Heartbeat}
		cfg.Concurrency = 1
		seq, err := runModel(ctx, tr, name+", one after another", work, name, tasks, cfg)
		if err != nil {
			return nil, err
		}
		cfg.Concurrency = p.Tasks
		con, err := runModel(ctx, tr, name+", all at once", work, name, tasks, cfg)
		if err != nil {
			return nil, err
		}
		pt := AsyncCPUPoint{
			Model:        name,
			Sequential:   res.record("one after another", seq),
			Concurrent:   res.record(fmt.Sprintf("all %d at once", p.Tasks), con),
			Speedup:      ratio(seq.Totals.Wall, con.Totals.Wall),
			MaxLoopLag:   con.Totals.MaxLoopLag,
			LongestStep:  longestSegment(con.Spans, model.KindCPU),
			MaxComputing: maxConcurrentCPU(con.Spans),
		}
		res.Points = append(res.Points, pt)
		detail := fmt.Sprintf("%d tasks × %s CPU", p.Tasks, p.CPU)
		switch name {
		case "eventloop":
			res.judge(ClaimAsyncNoSpeedup, name, pt.Speedup, 1, "x", detail)
			res.judge(ClaimAsyncBlocksLoop, name, ms(pt.MaxLoopLag), ms(pt.LongestStep), "ms",
				fmt.Sprintf("%d heartbeats every %s", len(con.LoopLag), p.Heartbeat))
			res.judge(ClaimAsyncOneAtATime, name, float64(pt.MaxComputing), 1, "tasks", detail)
		case "gil":
			res.judge(ClaimThreadsNoSpeedup, name, pt.Speedup, 1, "x", detail)
		default:
			res.judge(ClaimParallelCPU, name, pt.Speedup, float64(cores), "x",
				fmt.Sprintf("%s; %d cores usable", detail, cores))
		}
	}
	tr.finish()
	res.Elapsed = time.Since(t0)
	return res, nil
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
