package experiments

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
)

// ScalingParams are the parameters of the scaling experiment.
type ScalingParams struct {
	// Tasks is how many CPU-bound tasks each run computes.
	Tasks int
	// CPU is each task's computation.
	CPU time.Duration
	// Workers are the pool sizes to measure (threads or processes).
	Workers []int
	// Models are the models to run.
	Models []string
	// Payloads are the argument sizes for the processes' serialisation
	// sweep.
	Payloads []int
	// SwitchInterval is the gil model's switch interval.
	SwitchInterval time.Duration
}

// Params binds the parameters to flags.
func (p *ScalingParams) Params() []Param {
	return []Param{
		intParam(&p.Tasks, "tasks", "CPU-bound tasks per run", 1, 10000),
		durationParam(&p.CPU, "cpu", "computation per task", time.Millisecond, 10*time.Second),
		intsParam(&p.Workers, "workers", "pool sizes (threads or processes)", 1, model.MaxWorkers, 16),
		namesParam(&p.Models, "models", "models to run", []string{"gil", "goroutines", "processes", "eventloop"}),
		sizesParam(&p.Payloads, "payloads", "argument sizes for the processes' serialisation sweep", 0, 64<<20, 12),
		durationParam(&p.SwitchInterval, "switch-interval", "the gil model's switch interval", 100*time.Microsecond, time.Second),
	}
}

// DefaultScaling returns the lecture's setting: 16 tasks of 50 ms at 1, 2,
// 4 and 8 workers on gil threads, goroutines and processes.
func DefaultScaling() ScalingParams {
	return ScalingParams{
		Tasks: 16, CPU: 50 * time.Millisecond, Workers: []int{1, 2, 4, 8},
		Models:         []string{"gil", "goroutines", "processes"},
		Payloads:       []int{1 << 10, 64 << 10, 1 << 20, 4 << 20},
		SwitchInterval: model.DefaultSwitchInterval,
	}
}

// ScalingPoint is one model at one pool size.
type ScalingPoint struct {
	Model   string `json:"model"`
	Workers int    `json:"workers"`
	Run     int    `json:"run"`
	// Wall excludes the processes' spawning, which is in Setup.
	Wall  time.Duration `json:"wall_ns"`
	Setup time.Duration `json:"setup_ns"`
	// Speedup is the wall time at one worker over this one.
	Speedup float64 `json:"speedup"`
	// Ideal is min(workers, cores); Efficiency is Speedup/Ideal.
	Ideal      float64 `json:"ideal"`
	Efficiency float64 `json:"efficiency"`
}

// PayloadPoint is the processes' serialisation cost at one argument size.
type PayloadPoint struct {
	Bytes int `json:"bytes"`
	Run   int `json:"run"`
	// PerTask is the serialisation time per task, both ways, both sides.
	PerTask time.Duration `json:"serialise_per_task_ns"`
	// Share is the serialisation time's share of the workers' busy time.
	Share float64 `json:"share"`
}

// ProcessCosts are what processes pay that threads do not.
type ProcessCosts struct {
	// SpawnMean is the mean time from starting a worker to its hello.
	SpawnMean time.Duration `json:"spawn_mean_ns"`
	// WorkerRSS is the mean peak resident memory of one worker process.
	WorkerRSS int64 `json:"worker_rss_bytes"`
	// ParentRSS is the parent's own peak resident memory in the same run.
	ParentRSS int64 `json:"parent_rss_bytes"`
	// Payloads is the serialisation sweep.
	Payloads []PayloadPoint `json:"payloads"`
	// SerialiseNsPerByte is the slope of serialisation time against payload
	// size, and SerialiseR2 the fit's R².
	SerialiseNsPerByte float64 `json:"serialise_ns_per_byte"`
	SerialiseR2        float64 `json:"serialise_r2"`
}

// ScalingResult is the result of the scaling experiment.
type ScalingResult struct {
	Report
	Cores     int            `json:"cores"`
	Points    []ScalingPoint `json:"points"`
	Processes *ProcessCosts  `json:"processes,omitempty"`
}

// Claims of the scaling experiment.
var (
	ClaimThreadsNoSpeedup = Claim{
		ID:       "threads-no-speedup",
		Text:     "The GIL is never released during CPU computation, so threads cannot parallelize CPU-bound Python code: 8 chefs share 1 knife",
		Quantity: "speedup over one thread (x)",
		Predicts: "1, at every thread count",
		Compare:  AtMost, Tolerance: 0.15,
	}
	ClaimProcessesScale = Claim{
		ID:       "processes-scale",
		Text:     "ProcessPoolExecutor scales for CPU: each process has its own interpreter and GIL, 8 chefs with 8 knives",
		Quantity: "speedup over one worker, spawning excluded (x)",
		Predicts: "min(workers, cores)",
		Compare:  AtLeast, Tolerance: 0.15,
	}
	ClaimSerialisationGrows = Claim{
		ID:       "serialisation-grows",
		Text:     "Processes pay serialization overhead (pickling) that grows with what crosses between them",
		Quantity: "R² of a linear fit of serialisation time against payload size",
		Predicts: "a straight line: R² near 1",
		Compare:  AtLeast, Tolerance: 0.10,
	}
	ClaimProcessesMemory = Claim{
		ID:       "processes-memory",
		Text:     "Processes cost more memory: each worker is a whole program with its own runtime",
		Quantity: "peak resident memory of one worker process (MiB)",
		Predicts: "at least 1 MiB per worker, where a goroutine costs kilobytes",
		Compare:  AtLeast, Tolerance: 0,
	}
)

// Scaling is the experiment "why does ProcessPoolExecutor scale but
// ThreadPoolExecutor doesn't, for CPU?".
var Scaling = register(&Question{
	Name:    "scaling",
	Title:   "Threads vs processes on CPU-bound work",
	Lecture: "Q2",
	Summary: "CPU-bound tasks at 1, 2, 4, 8 workers: GIL threads stay at 1x, goroutines and processes scale to the cores; what processes pay for it",
	Claims:  []Claim{ClaimThreadsNoSpeedup, ClaimProcessesScale, ClaimParallelCPU, ClaimSerialisationGrows, ClaimProcessesMemory},
	Defaults: func() Params {
		p := DefaultScaling()
		return &p
	},
	Quick: func() Params {
		p := DefaultScaling()
		p.Tasks, p.CPU, p.Workers = 8, 25*time.Millisecond, []int{1, 2, 4}
		p.Payloads = []int{1 << 10, 256 << 10, 1 << 20}
		return &p
	},
	NewResult: func() Result { return &ScalingResult{} },
	Run: func(ctx context.Context, p Params, progress ProgressFunc) (Result, error) {
		return RunScaling(ctx, *p.(*ScalingParams), progress)
	},
})

// RunScaling runs the scaling experiment: every model at every pool size
// (one worker always included, as the baseline), then, if processes are
// among the models, the serialisation sweep at two workers.
func RunScaling(ctx context.Context, p ScalingParams, progress ProgressFunc) (*ScalingResult, error) {
	if err := Validate(&p); err != nil {
		return nil, err
	}
	t0 := time.Now()
	res := &ScalingResult{Report: newReport("scaling", &p), Cores: min(runtime.GOMAXPROCS(0), runtime.NumCPU())}
	workers := slices.Clone(p.Workers)
	if !slices.Contains(workers, 1) {
		workers = append(workers, 1)
	}
	slices.Sort(workers)
	workers = slices.Compact(workers)

	task := model.NewTask(model.CPUFor(p.CPU))
	tasks := model.Repeat(p.Tasks, task)
	work := seconds(p.CPU) * float64(p.Tasks)
	total := 0.0
	for _, w := range workers {
		total += work / math.Min(float64(w), float64(res.Cores))
	}
	total *= float64(len(p.Models))
	doPayloads := slices.Contains(p.Models, "processes")
	if doPayloads {
		total += 0.5 * float64(len(p.Payloads))
	}
	tr := newTracker(progress, total)

	for _, name := range p.Models {
		var base time.Duration
		for _, w := range workers {
			weight := work / math.Min(float64(w), float64(res.Cores))
			cfg := model.Config{Concurrency: w, SwitchInterval: p.SwitchInterval}
			run, err := runModel(ctx, tr, fmt.Sprintf("%s, %d workers", name, w), weight, name, tasks, cfg)
			if err != nil {
				return nil, err
			}
			if w == 1 {
				base = run.Totals.Wall
			}
			ideal := math.Min(float64(w), float64(res.Cores))
			pt := ScalingPoint{
				Model: name, Workers: w, Wall: run.Totals.Wall, Setup: run.Totals.Setup,
				Run:     res.record(fmt.Sprintf("workers=%d", w), run),
				Speedup: ratio(base, run.Totals.Wall), Ideal: ideal,
			}
			pt.Efficiency = pt.Speedup / ideal
			res.Points = append(res.Points, pt)
			if w == 1 || !slices.Contains(p.Workers, w) {
				continue
			}
			detail := fmt.Sprintf("%d workers, %d tasks × %s", w, p.Tasks, p.CPU)
			switch name {
			case "gil", "eventloop":
				res.judge(ClaimThreadsNoSpeedup, name, pt.Speedup, 1, "x", detail)
			case "processes":
				res.judge(ClaimProcessesScale, name, pt.Speedup, ideal, "x",
					fmt.Sprintf("%s; spawning %s excluded", detail, run.Totals.Setup.Round(time.Microsecond)))
			default:
				res.judge(ClaimParallelCPU, name, pt.Speedup, ideal, "x", detail)
			}
		}
	}
	if doPayloads {
		costs, err := processCosts(ctx, tr, res, p)
		if err != nil {
			return nil, err
		}
		res.Processes = costs
	}
	tr.finish()
	res.Elapsed = time.Since(t0)
	return res, nil
}

// processCosts measures what processes pay: spawning and memory (from the
// runs already made) and serialisation as the payload grows.
func processCosts(ctx context.Context, tr *tracker, res *ScalingResult, p ScalingParams) (*ProcessCosts, error) {
	c := &ProcessCosts{}
	var spawn []time.Duration
	var rss []float64
	for _, pt := range res.Points {
		if pt.Model != "processes" {
			continue
		}
		run := res.Runs[pt.Run]
		for _, w := range run.Workers {
			spawn = append(spawn, w.Spawn)
			rss = append(rss, float64(w.PeakRSS))
		}
		c.ParentRSS = max(c.ParentRSS, run.Totals.PeakRSS)
	}
	if len(spawn) > 0 {
		c.SpawnMean = time.Duration(measure.Summarize(spawn).Mean * float64(time.Millisecond))
		c.WorkerRSS = int64(measure.SummarizeMillis(rss).Mean)
		res.judge(ClaimProcessesMemory, "processes", float64(c.WorkerRSS)/(1<<20), 1, "MiB",
			fmt.Sprintf("mean of %d workers; the parent's own peak %.1f MiB", len(rss), float64(c.ParentRSS)/(1<<20)))
	}
	// Serialisation: small CPU, growing payload, two workers.
	const n = 8
	var xs, ys []float64
	for _, size := range p.Payloads {
		tasks := model.Repeat(n, model.Task{Steps: []model.Step{model.CPUFor(time.Millisecond)}, Payload: size})
		run, err := runModel(ctx, tr, "processes, payload "+FormatSize(size), 0.5, "processes", tasks, model.Config{Concurrency: 2})
		if err != nil {
			return nil, err
		}
		busy := time.Duration(0)
		for _, s := range run.Spans {
			busy += s.End - s.Start
		}
		pt := PayloadPoint{
			Bytes: size, Run: res.record("payload="+FormatSize(size), run),
			PerTask: run.Totals.Serialise / n,
			Share:   ratio(run.Totals.Serialise, busy),
		}
		c.Payloads = append(c.Payloads, pt)
		xs = append(xs, float64(size))
		ys = append(ys, float64(pt.PerTask))
	}
	if len(xs) >= 3 {
		_, c.SerialiseNsPerByte, c.SerialiseR2 = measure.LinearFit(xs, ys)
		res.judge(ClaimSerialisationGrows, "processes", c.SerialiseR2, 1, "R²",
			fmt.Sprintf("%d sizes from %s to %s; slope %.2f ns per byte", len(xs), FormatSize(p.Payloads[0]), FormatSize(p.Payloads[len(p.Payloads)-1]), c.SerialiseNsPerByte))
	}
	return c, nil
}
