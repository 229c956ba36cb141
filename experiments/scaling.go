package experiments

import (
	"cmp"
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
	// SwitchInterval is the gil model's switch interval, and CPython's
	// (sys.setswitchinterval) for the cpython model.
	SwitchInterval time.Duration
	// Repeat is how many times each model runs at each pool size,
	// interleaved; the fastest run counts. Zero means once.
	Repeat int
	// Python is the cpython model's interpreter (see model.FindPython).
	Python string
}

// Params binds the parameters to flags.
func (p *ScalingParams) Params() []Param {
	return []Param{
		intParam(&p.Tasks, "tasks", "CPU-bound tasks per run", 1, 10000),
		durationParam(&p.CPU, "cpu", "computation per task", time.Millisecond, 10*time.Second),
		intsParam(&p.Workers, "workers", "pool sizes (threads or processes)", 1, model.MaxWorkers, 16),
		namesParam(&p.Models, "models", "models to run (cpython: CPython's ThreadPoolExecutor and ProcessPoolExecutor)", []string{"gil", "goroutines", "processes", "eventloop", "cpython"}),
		sizesParam(&p.Payloads, "payloads", "argument sizes for the processes' serialisation sweep", 0, 64<<20, 12),
		durationParam(&p.SwitchInterval, "switch-interval", "the gil model's switch interval, and CPython's", 100*time.Microsecond, time.Second),
		intParam(&p.Repeat, "repeat", "runs of each model at each pool size, the fastest counting (0: one)", 0, 20),
		pythonParam(&p.Python),
	}
}

// DefaultScaling returns the lecture's setting: 16 tasks of 50 ms at 1, 2,
// 4 and 8 workers on gil threads, goroutines and processes, the fastest of
// three runs of each.
func DefaultScaling() ScalingParams {
	return ScalingParams{
		Tasks: 16, CPU: 50 * time.Millisecond, Workers: []int{1, 2, 4, 8},
		Models:         []string{"gil", "goroutines", "processes"},
		Payloads:       []int{1 << 10, 64 << 10, 1 << 20, 4 << 20},
		SwitchInterval: model.DefaultSwitchInterval,
		Repeat:         3,
	}
}

// ScalingPoint is one model at one pool size.
type ScalingPoint struct {
	// Model is the series: the model, and for cpython its mechanism
	// ("cpython threads", "cpython processes").
	Model   string `json:"model"`
	Workers int    `json:"workers"`
	// Run indexes the fastest of the runs in Runs (at the calibrated speed,
	// for CPython), which index Report.Runs.
	Run  int   `json:"run"`
	Runs []int `json:"runs,omitempty"`
	// Wall excludes the processes' spawning, which is in Setup.
	Wall  time.Duration `json:"wall_ns"`
	Setup time.Duration `json:"setup_ns"`
	// Speedup is the wall time at one worker over this one. For CPython it
	// is taken at the calibrated speed (each wall over its run's Slowdown):
	// RawSpeedup is the plain ratio.
	Speedup    float64 `json:"speedup"`
	RawSpeedup float64 `json:"raw_speedup,omitempty"`
	// Slowdown is the run's task CPU time over the work's calibrated time:
	// above 1, its CPU steps computed slower than calibrated. 0 where the
	// model does not measure it (goroutines).
	Slowdown float64 `json:"slowdown,omitempty"`
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
	ClaimGILFidelity = Claim{
		ID:       "gil-fidelity",
		Text:     "The gil model behaves as CPython's threads do on CPU-bound work",
		Quantity: "the gil model's speedup over one thread, against CPython threads' at the same count (x)",
		Predicts: "CPython threads' speedup",
		Compare:  Within, Tolerance: 0.15,
	}
	ClaimProcessesFidelity = Claim{
		ID:       "processes-fidelity",
		Text:     "The processes model behaves as CPython's ProcessPoolExecutor does on CPU-bound work",
		Quantity: "the processes model's speedup over one worker, against ProcessPoolExecutor's at the same count (x)",
		Predicts: "ProcessPoolExecutor's speedup",
		Compare:  Within, Tolerance: 0.15,
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
	Summary: "CPU-bound tasks at 1, 2, 4, 8 workers: GIL threads stay at 1x, goroutines and processes scale to the cores; what processes pay for it; the models against CPython's own threads and processes",
	Claims:  []Claim{ClaimThreadsNoSpeedup, ClaimProcessesScale, ClaimParallelCPU, ClaimSerialisationGrows, ClaimProcessesMemory, ClaimGILFidelity, ClaimProcessesFidelity},
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
// (one worker always included, as the baseline), Repeat times, interleaved,
// the fastest run of each counting; then, if processes are among the
// models, the serialisation sweep at two workers. The cpython model runs as
// two series, CPython's ThreadPoolExecutor and its ProcessPoolExecutor, and
// the gil and processes models are held to them.
func RunScaling(ctx context.Context, p ScalingParams, progress ProgressFunc) (*ScalingResult, error) {
	if err := Validate(&p); err != nil {
		return nil, err
	}
	p.Repeat = max(1, p.Repeat)
	t0 := time.Now()
	res := &ScalingResult{Report: newReport("scaling", &p), Cores: min(runtime.GOMAXPROCS(0), runtime.NumCPU())}
	ss, err := res.expandModels(ctx, p.Models, p.Python, model.FlavorThreads, model.FlavorProcesses)
	if err != nil {
		return nil, err
	}
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
	total *= float64(len(ss) * p.Repeat)
	doPayloads := slices.Contains(p.Models, "processes")
	if doPayloads {
		total += 0.5 * float64(len(p.Payloads))
	}
	tr := newTracker(progress, total)

	// Every series at every pool size, then again: interleaved, so that a
	// model and CPython run under the same conditions of a shared machine.
	runs := make([]map[int][]int, len(ss)) // series -> pool size -> indexes in res.Runs
	for k := range ss {
		runs[k] = map[int][]int{}
	}
	for rep := range p.Repeat {
		for k, s := range ss {
			for _, w := range workers {
				weight := work / math.Min(float64(w), float64(res.Cores))
				cfg := s.config(model.Config{Concurrency: w, SwitchInterval: p.SwitchInterval}, p.Python)
				stage := fmt.Sprintf("%s, %d workers", s, w)
				if p.Repeat > 1 {
					stage += fmt.Sprintf(" (run %d of %d)", rep+1, p.Repeat)
				}
				run, err := runModel(ctx, tr, stage, weight, s.model, tasks, cfg)
				if err != nil {
					return nil, err
				}
				runs[k][w] = append(runs[k][w], res.record(fmt.Sprintf("workers=%d", w), run))
			}
		}
	}
	calibrated := time.Duration(p.Tasks) * model.Calibrate().DurationOf(task.Steps[0].Units)
	for k, s := range ss {
		// A run's wall, at the calibrated speed if the series is corrected.
		wall := func(i int) float64 {
			if !s.corrected() {
				return float64(res.Runs[i].Totals.Wall)
			}
			return atSpeed(res.Runs[i].Totals.Wall, slowdown(res.Runs[i].Run, calibrated))
		}
		fastest := func(w int) int {
			return slices.MinFunc(runs[k][w], func(a, b int) int { return cmp.Compare(wall(a), wall(b)) })
		}
		b := fastest(1)
		for _, w := range workers {
			i := fastest(w)
			run := res.Runs[i].Run
			ideal := math.Min(float64(w), float64(res.Cores))
			pt := ScalingPoint{
				Model: s.String(), Workers: w, Wall: run.Totals.Wall, Setup: run.Totals.Setup,
				Run: i, Runs: runs[k][w], Speedup: wall(b) / wall(i), Ideal: ideal,
				Slowdown: slowdown(run, calibrated),
			}
			if s.corrected() {
				pt.RawSpeedup = ratio(res.Runs[b].Totals.Wall, run.Totals.Wall)
			}
			pt.Efficiency = pt.Speedup / ideal
			res.Points = append(res.Points, pt)
			if w == 1 || !slices.Contains(p.Workers, w) {
				continue
			}
			res.judgeScaling(s, pt, p, run)
		}
	}
	res.judgeFidelity(p)
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

// judgeScaling judges the lecture's claims on one series at one pool size.
func (res *ScalingResult) judgeScaling(s series, pt ScalingPoint, p ScalingParams, run *model.Run) {
	name := s.String()
	detail := fmt.Sprintf("%d workers, %d tasks × %s", pt.Workers, p.Tasks, p.CPU)
	if p.Repeat > 1 {
		detail += fmt.Sprintf(", fastest of %d", p.Repeat)
	}
	if s.corrected() {
		detail += fmt.Sprintf(", at the calibrated speed (as measured %.3fx, CPU %.2fx calibrated)", pt.RawSpeedup, pt.Slowdown)
	}
	switch {
	case s.model == "cpython" && s.flavor == model.FlavorThreads:
		in := run.Interpreter
		if in != nil && in.GILFree() {
			// The lecture's claim is about the GIL, and this interpreter has
			// none: its threads should scale like processes.
			res.judge(ClaimThreadsNoSpeedup, name, pt.Speedup, 1, "x",
				fmt.Sprintf("%s; %s runs without a GIL, so this is expected not to hold", detail, pyName(in)))
			res.judge(ClaimParallelCPU, name, pt.Speedup, pt.Ideal, "x", fmt.Sprintf("%s; %s, GIL disabled", detail, pyName(in)))
			return
		}
		res.judge(ClaimThreadsNoSpeedup, name, pt.Speedup, 1, "x", fmt.Sprintf("%s; %s", detail, pyName(in)))
	case s.model == "gil" || s.model == "eventloop":
		res.judge(ClaimThreadsNoSpeedup, name, pt.Speedup, 1, "x", detail)
	case s.model == "processes" || s.flavor == model.FlavorProcesses:
		res.judge(ClaimProcessesScale, name, pt.Speedup, pt.Ideal, "x",
			fmt.Sprintf("%s; spawning %s excluded", detail, run.Totals.Setup.Round(time.Microsecond)))
	default:
		res.judge(ClaimParallelCPU, name, pt.Speedup, pt.Ideal, "x", detail)
	}
}

// judgeFidelity holds the gil and processes models to CPython's threads and
// processes, at every pool size both ran.
func (res *ScalingResult) judgeFidelity(p ScalingParams) {
	pairs := []struct {
		claim       Claim
		model, real string
	}{
		{ClaimGILFidelity, "gil", "cpython " + model.FlavorThreads},
		{ClaimProcessesFidelity, "processes", "cpython " + model.FlavorProcesses},
	}
	for _, pr := range pairs {
		if pr.model == "gil" && res.Python != nil && res.Python.GILFree() {
			res.Notes = append(res.Notes, fmt.Sprintf("%s not judged: %s runs threads without a GIL, and the gil model is of an interpreter with one", pr.claim.ID, pyName(res.Python)))
			continue
		}
		for _, w := range p.Workers {
			m, ok1 := res.point(pr.model, w)
			c, ok2 := res.point(pr.real, w)
			if w == 1 || !ok1 || !ok2 {
				continue
			}
			detail := fmt.Sprintf("%d workers: %s %.3fx, %s %s %.3fx at the calibrated speed, %.3fx as measured (%s)",
				w, pr.model, m.Speedup, pyName(res.Python), pr.real[len("cpython "):], c.Speedup, c.RawSpeedup, relDiff(m.Speedup, c.Speedup))
			v := pr.claim.Judge(pr.model, m.Speedup, c.Speedup, "x", detail)
			if !v.Holds {
				v.Detail += "; " + res.scalingMissReason(m, c, time.Duration(p.Tasks)*p.CPU)
			}
			res.Verdicts = append(res.Verdicts, v)
		}
	}
}

// scalingMissReason says what the walls suggest when a model's speedup
// misses CPython's: each series' wall at one worker and at w, against the
// work's calibrated time.
func (res *ScalingResult) scalingMissReason(m, c ScalingPoint, work time.Duration) string {
	m1, _ := res.point(m.Model, 1)
	c1, _ := res.point(c.Model, 1)
	f := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	return fmt.Sprintf("walls at 1 and %d workers for %s of calibrated work: %s %s and %s, %s %s and %s; other processes kept %s and %s of the cores busy during the runs at %d workers",
		m.Workers, f(work), m.Model, f(m1.Wall), f(m.Wall), c.Model, f(c1.Wall), f(c.Wall),
		busyCores(res.Runs[m.Run].Run), busyCores(res.Runs[c.Run].Run), m.Workers)
}

// point returns series name's point at w workers.
func (res *ScalingResult) point(name string, w int) (ScalingPoint, bool) {
	for _, pt := range res.Points {
		if pt.Model == name && pt.Workers == w {
			return pt, true
		}
	}
	return ScalingPoint{}, false
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
