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

// defaultScaling is the lecture's setting: 16 tasks of 50 ms at 1, 2, 4
// and 8 workers on gil threads, goroutines and processes, the fastest of
// three runs of each.
func defaultScaling() ScalingParams {
	return ScalingParams{
		Tasks: 16, CPU: 50 * time.Millisecond, Workers: []int{1, 2, 4, 8},
		Models:         []string{"gil", "goroutines", "processes"},
		Payloads:       []int{1 << 10, 64 << 10, 1 << 20, 4 << 20},
		SwitchInterval: model.DefaultSwitchInterval,
		Repeat:         3,
	}
}

// quickScaling is 8 tasks of 25 ms at 1, 2 and 4 workers.
func quickScaling(p *ScalingParams) {
	p.Tasks, p.CPU, p.Workers = 8, 25*time.Millisecond, []int{1, 2, 4}
	p.Payloads = []int{1 << 10, 256 << 10, 1 << 20}
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
	// WorkerRSS is the mean peak resident memory of one worker process,
	// over Workers workers.
	WorkerRSS int64 `json:"worker_rss_bytes"`
	Workers   int   `json:"workers,omitempty"`
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
	claimThreadsNoSpeedup = Claim{
		ID:       "threads-no-speedup",
		Text:     "The GIL is never released during CPU computation, so threads cannot parallelize CPU-bound Python code: 8 chefs share 1 knife",
		Quantity: "speedup over one thread (x)",
		Predicts: "1, at every thread count",
		Compare:  AtMost, Tolerance: 0.15,
	}
	claimProcessesScale = Claim{
		ID:       "processes-scale",
		Text:     "ProcessPoolExecutor scales for CPU: each process has its own interpreter and GIL, 8 chefs with 8 knives",
		Quantity: "speedup over one worker, spawning excluded (x)",
		Predicts: "min(workers, cores)",
		Compare:  AtLeast, Tolerance: 0.15,
	}
	claimSerialisationGrows = Claim{
		ID:       "serialisation-grows",
		Text:     "Processes pay serialization overhead (pickling) that grows with what crosses between them",
		Quantity: "R² of a linear fit of serialisation time against payload size",
		Predicts: "a straight line: R² near 1",
		Compare:  AtLeast, Tolerance: 0.10,
	}
	claimGILFidelity = Claim{
		ID:       "gil-fidelity",
		Text:     "The gil model behaves as CPython's threads do on CPU-bound work",
		Quantity: "the gil model's speedup over one thread, against CPython threads' at the same count (x)",
		Predicts: "CPython threads' speedup",
		Compare:  Within, Tolerance: 0.15,
	}
	claimProcessesFidelity = Claim{
		ID:       "processes-fidelity",
		Text:     "The processes model behaves as CPython's ProcessPoolExecutor does on CPU-bound work",
		Quantity: "the processes model's speedup over one worker, against ProcessPoolExecutor's at the same count (x)",
		Predicts: "ProcessPoolExecutor's speedup",
		Compare:  Within, Tolerance: 0.15,
	}
	claimProcessesMemory = Claim{
		ID:       "processes-memory",
		Text:     "Processes cost more memory: each worker is a whole program with its own runtime",
		Quantity: "peak resident memory of one worker process (MiB)",
		Predicts: "at least 1 MiB per worker, where a goroutine costs kilobytes",
		Compare:  AtLeast, Tolerance: 0,
	}
)

// Scaling is the experiment "why does ProcessPoolExecutor scale but
// ThreadPoolExecutor doesn't, for CPU?".
var Scaling = define(about{
	name:    "scaling",
	title:   "Threads vs processes on CPU-bound work",
	lecture: "Q2",
	summary: "CPU-bound tasks at 1, 2, 4, 8 workers: GIL threads stay at 1x, goroutines and processes scale to the cores; what processes pay for it; the models against CPython's own threads and processes",
	claims:  []Claim{claimThreadsNoSpeedup, claimProcessesScale, claimParallelCPU, claimSerialisationGrows, claimProcessesMemory, claimGILFidelity, claimProcessesFidelity},
}, defaultScaling, quickScaling, measureScaling, judgeScaling)

// measureScaling runs the scaling experiment: every model at every pool
// size (one worker always included, as the baseline), Repeat times,
// interleaved, the fastest run of each counting; then, if processes are
// among the models, the serialisation sweep at two workers. The cpython
// model runs as two series, CPython's ThreadPoolExecutor and its
// ProcessPoolExecutor.
func measureScaling(ctx context.Context, p *ScalingParams, res *ScalingResult, tr *tracker) error {
	p.Repeat = max(1, p.Repeat)
	res.Cores = min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	ss, err := res.expandModels(ctx, p.Models, p.Python, model.FlavorThreads, model.FlavorProcesses)
	if err != nil {
		return err
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
	// Every series at every pool size, then again: interleaved, so that a
	// model and CPython run under the same conditions of a shared machine.
	var arms []arm
	for _, s := range ss {
		for _, w := range workers {
			arms = append(arms, arm{
				stage:  fmt.Sprintf("%s, %d workers", s, w),
				weight: work / math.Min(float64(w), float64(res.Cores)),
				model:  s.model, tasks: tasks,
				cfg: s.config(model.Config{Concurrency: w, SwitchInterval: p.SwitchInterval}, p.Python),
			})
		}
	}
	total := weight(p.Repeat, arms)
	doPayloads := slices.Contains(p.Models, "processes")
	if doPayloads {
		total += 0.5 * float64(len(p.Payloads))
	}
	tr.expect(total)
	byArm, err := res.runArms(ctx, tr, p.Repeat, arms, func(a int) string { return fmt.Sprintf("workers=%d", workers[a%len(workers)]) })
	if err != nil {
		return err
	}
	calibrated := time.Duration(p.Tasks) * model.Calibrate().DurationOf(task.Steps[0].Units)
	for k, s := range ss {
		runs := byArm[k*len(workers) : (k+1)*len(workers)] // by pool size, as workers
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
		b := fastest(runs[0])
		for wi, w := range workers {
			i := fastest(runs[wi])
			run := res.Runs[i].Run
			ideal := math.Min(float64(w), float64(res.Cores))
			pt := ScalingPoint{
				Model: s.String(), Workers: w, Wall: run.Totals.Wall, Setup: run.Totals.Setup,
				Run: i, Runs: runs[wi], Speedup: wall(b) / wall(i), Ideal: ideal,
				Slowdown: slowdown(run, calibrated),
			}
			if s.corrected() {
				pt.RawSpeedup = ratio(res.Runs[b].Totals.Wall, run.Totals.Wall)
			}
			pt.Efficiency = pt.Speedup / ideal
			res.Points = append(res.Points, pt)
		}
	}
	if doPayloads {
		costs, err := processCosts(ctx, tr, res, p)
		if err != nil {
			return err
		}
		res.Processes = costs
	}
	return nil
}

// judgeScaling judges every series at every pool size asked for (one
// worker is the baseline), the models against CPython's threads and
// processes, and what processes pay.
func judgeScaling(r *ScalingResult) judgement {
	var j judgement
	p := paramsOf[ScalingParams](&r.Report)
	for _, pt := range r.Points {
		if pt.Workers == 1 || !slices.Contains(p.Workers, pt.Workers) {
			continue
		}
		j.verdicts = append(j.verdicts, r.judgePoint(pt, p)...)
	}
	r.judgeFidelity(&j, p)
	if c := r.Processes; c != nil {
		if c.WorkerRSS > 0 {
			j.add(claimProcessesMemory.Judge(Measurement{Model: "processes", Value: float64(c.WorkerRSS) / (1 << 20), Expected: 1, Unit: "MiB",
				Detail: fmt.Sprintf("mean of %d workers; the parent's own peak %.1f MiB", c.Workers, float64(c.ParentRSS)/(1<<20))}))
		}
		if n := len(c.Payloads); n >= 3 {
			j.add(claimSerialisationGrows.Judge(Measurement{Model: "processes", Value: c.SerialiseR2, Expected: 1, Unit: "R²",
				Detail: fmt.Sprintf("%d sizes from %s to %s; slope %.2f ns per byte", n, FormatSize(c.Payloads[0].Bytes), FormatSize(c.Payloads[n-1].Bytes), c.SerialiseNsPerByte)}))
		}
	}
	return j
}

// judgePoint judges the lecture's claims on one series at one pool size.
func (res *ScalingResult) judgePoint(pt ScalingPoint, p *ScalingParams) []Verdict {
	s := seriesOf(pt.Model)
	run := res.Runs[pt.Run].Run
	detail := fmt.Sprintf("%d workers, %d tasks × %s", pt.Workers, p.Tasks, p.CPU)
	if p.Repeat > 1 {
		detail += fmt.Sprintf(", fastest of %d", p.Repeat)
	}
	if s.corrected() {
		detail += fmt.Sprintf(", at the calibrated speed (as measured %.3fx, CPU %.2fx calibrated)", pt.RawSpeedup, pt.Slowdown)
	}
	base, _ := res.point(pt.Model, 1)
	judge := func(c Claim, expected float64, detail string) []Verdict {
		return []Verdict{c.Judge(Measurement{Model: pt.Model, Value: pt.Speedup, Expected: expected, Unit: "x", Detail: detail, Busy: res.busy(pt.Run, base.Run)})}
	}
	switch {
	case s.model == "cpython" && s.flavor == model.FlavorThreads:
		in := run.Interpreter
		if in != nil && in.GILFree() {
			// The lecture's claim is about the GIL, and this interpreter has
			// none: its threads should scale like processes.
			return append(judge(claimThreadsNoSpeedup, 1, fmt.Sprintf("%s; %s runs without a GIL, so this is expected not to hold", detail, pyName(in))),
				judge(claimParallelCPU, pt.Ideal, fmt.Sprintf("%s; %s, GIL disabled", detail, pyName(in)))...)
		}
		return judge(claimThreadsNoSpeedup, 1, fmt.Sprintf("%s; %s", detail, pyName(in)))
	case s.model == "gil" || s.model == "eventloop":
		return judge(claimThreadsNoSpeedup, 1, detail)
	case s.model == "processes" || s.flavor == model.FlavorProcesses:
		return judge(claimProcessesScale, pt.Ideal, fmt.Sprintf("%s; spawning %s excluded", detail, run.Totals.Setup.Round(time.Microsecond)))
	}
	return judge(claimParallelCPU, pt.Ideal, detail)
}

// judgeFidelity holds the gil and processes models to CPython's threads and
// processes, at every pool size both ran.
func (res *ScalingResult) judgeFidelity(j *judgement, p *ScalingParams) {
	pairs := []struct {
		claim       Claim
		model, real string
	}{
		{claimGILFidelity, "gil", "cpython " + model.FlavorThreads},
		{claimProcessesFidelity, "processes", "cpython " + model.FlavorProcesses},
	}
	for _, pr := range pairs {
		if pr.model == "gil" && res.Python != nil && res.Python.GILFree() {
			j.note("%s not judged: %s runs threads without a GIL, and the gil model is of an interpreter with one", pr.claim.ID, pyName(res.Python))
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
			v := pr.claim.Judge(Measurement{Model: pr.model, Value: m.Speedup, Expected: c.Speedup, Unit: "x", Detail: detail, Busy: res.busy(m.Run, c.Run)})
			if v.Outcome == DoesNotHold {
				v.Detail += "; " + res.scalingMissReason(m, c, time.Duration(p.Tasks)*p.CPU)
			}
			j.add(v)
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
func processCosts(ctx context.Context, tr *tracker, res *ScalingResult, p *ScalingParams) (*ProcessCosts, error) {
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
		c.Workers = len(rss)
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
	}
	return c, nil
}
