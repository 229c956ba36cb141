package experiments

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
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
	// Repeat is how many times each model runs at each pool size, and the
	// serialisation sweep at each payload, interleaved (A B C A B C …): the
	// speedups, round by round, are judged by their median and its 95%
	// interval.
	Repeat int
	// SpyThreads is the pool size of one more run of CPython's threads,
	// not judged, which py-spy samples to show which thread held the GIL
	// when, beside the gil model on the same tasks (with the cpython model
	// only; 0: none).
	SpyThreads int
	// Python is the cpython model's interpreter (see model.FindPython).
	Python string
}

// Params binds the parameters to flags.
func (p *ScalingParams) Params() []Param {
	return []Param{
		intParam(&p.Tasks, "tasks", "CPU-bound tasks per run", 1, 10000),
		durationParam(&p.CPU, "cpu", "computation per task", time.Millisecond, 10*time.Second),
		intsParam(&p.Workers, "workers", "pool sizes (threads or processes)", 1, model.MaxWorkers, 16),
		namesParam(&p.Models, "models", "models to run (cpython: CPython's ThreadPoolExecutor and ProcessPoolExecutor)", model.Strings(model.GILThreads, model.Goroutines, model.Processes, model.EventLoop, model.CPython)),
		sizesParam(&p.Payloads, "payloads", "argument sizes for the processes' serialisation sweep", 0, 64<<20, 12),
		durationParam(&p.SwitchInterval, "switch-interval", "the gil model's switch interval, and CPython's", 100*time.Microsecond, time.Second),
		intParam(&p.Repeat, "repeat", "runs of each model at each pool size and of each payload, interleaved (median and 95% interval judged; 6 or more for an interval that assumes no distribution)", 1, 20),
		intParam(&p.SpyThreads, "spy-threads", "threads of one more CPython run sampled by py-spy, to draw which thread held the GIL when (0: none)", 0, 16),
		pythonParam(&p.Python),
	}
}

// defaultScaling is the lecture's setting: 16 tasks of 50 ms at 1, 2, 4
// and 8 workers on gil threads, goroutines and processes, six runs of each
// (repeatsFor: under a second a run), and CPython's threads at two sampled
// by py-spy where CPython runs.
func defaultScaling() ScalingParams {
	return ScalingParams{
		Tasks: 16, CPU: 50 * time.Millisecond, Workers: []int{1, 2, 4, 8},
		Models:         model.Strings(model.GILThreads, model.Goroutines, model.Processes, model.CPython),
		Payloads:       []int{1 << 10, 64 << 10, 1 << 20, 4 << 20},
		SwitchInterval: model.DefaultSwitchInterval,
		Repeat:         repeatsFor(16 * 50 * time.Millisecond),
		SpyThreads:     2,
	}
}

// quickScaling is 8 tasks of 25 ms at 1, 2 and 4 workers.
func quickScaling(p *ScalingParams) {
	p.Tasks, p.CPU, p.Workers = 8, 25*time.Millisecond, []int{1, 2, 4}
	p.Payloads = []int{1 << 10, 256 << 10, 1 << 20}
}

// ScalingPoint is one model at one pool size, from Repeat runs.
type ScalingPoint struct {
	// Model is the series: the model, and for cpython its mechanism
	// ("cpython threads", "cpython processes").
	Model   string `json:"model"`
	Workers int    `json:"workers"`
	// Runs index Report.Runs, one per round; Walls are their wall times,
	// which exclude the processes' spawning (in Setup, the runs' median).
	Runs  []int           `json:"runs"`
	Walls []time.Duration `json:"walls_ns"`
	// Run is the run whose wall is nearest the median: the one the charts
	// draw.
	Run int `json:"run"`
	// Wall is the median of Walls, [WallLow, WallHigh] its 95% interval.
	Wall     time.Duration `json:"wall_ns"`
	WallLow  time.Duration `json:"wall_low_ns"`
	WallHigh time.Duration `json:"wall_high_ns"`
	Setup    time.Duration `json:"setup_ns"`
	// SpeedupCI is the speedup over one worker, round by round: the wall
	// at one worker over this one.
	SpeedupCI
	// Cores is the runs' median CPU time over wall time: how many cores
	// the pool kept busy.
	Cores float64 `json:"cores_used"`
	// Ideal is min(workers, cores); Efficiency is Speedup/Ideal.
	Ideal      float64 `json:"ideal"`
	Efficiency float64 `json:"efficiency"`
}

// PayloadPoint is the processes' serialisation cost at one argument size,
// from Repeat runs.
type PayloadPoint struct {
	Bytes int `json:"bytes"`
	// Runs index Report.Runs, one per round; PerTasks are their
	// serialisation times per task, both ways, both sides.
	Runs     []int           `json:"runs"`
	PerTasks []time.Duration `json:"serialise_per_task_ns_runs"`
	// PerTask is the median of PerTasks, [Low, High] its 95% interval.
	PerTask time.Duration `json:"serialise_per_task_ns"`
	Low     time.Duration `json:"serialise_low_ns"`
	High    time.Duration `json:"serialise_high_ns"`
	// Share is the serialisation time's share of the workers' busy time
	// (the runs' median).
	Share float64 `json:"share"`
}

// ProcessCosts are what processes pay that threads do not.
type ProcessCosts struct {
	// SpawnMean is the mean time from starting a worker to its hello.
	SpawnMean time.Duration `json:"spawn_mean_ns"`
	// WorkerRSSes are the peak resident memories of every worker process
	// of the processes model's runs; WorkerRSS is their median.
	WorkerRSSes []int64 `json:"worker_rss_runs_bytes"`
	WorkerRSS   int64   `json:"worker_rss_bytes"`
	Workers     int     `json:"workers,omitempty"`
	// ParentRSS is the parent's own peak resident memory in the same runs.
	ParentRSS int64 `json:"parent_rss_bytes"`
	// Payloads is the serialisation sweep.
	Payloads []PayloadPoint `json:"payloads"`
	// Fixed is the median serialisation time per task of the smallest
	// payload, FixedBytes: the fixed cost of a task's round trip. Exponent
	// is b in (time − Fixed) ∝ (payload − FixedBytes)^b, the cost a payload
	// adds against the bytes it adds, fitted by least squares on log–log
	// axes over every run of the other payloads, with its 95% interval.
	// SerialiseNsPerByte is the slope of a straight line through every
	// run, the cost of a byte.
	Fixed              time.Duration `json:"fixed_ns"`
	FixedBytes         int           `json:"fixed_bytes"`
	Exponent           measure.CI    `json:"exponent"`
	SerialiseNsPerByte float64       `json:"serialise_ns_per_byte"`
}

// ScalingResult is the result of the scaling experiment.
type ScalingResult struct {
	Report
	// Cores is how many cores the machine gives the process
	// (measure.Stamp.Usable): the ideal speedup at w workers is
	// min(w, Cores), for goroutines under a lower GOMAXPROCS too, which
	// then show the limit it sets.
	Cores     int            `json:"cores"`
	Points    []ScalingPoint `json:"points"`
	Processes *ProcessCosts  `json:"processes,omitempty"`
	// GIL is CPython's GIL as py-spy saw it, beside the gil model: one
	// more run of each, not judged (SpyThreads).
	GIL *RealGIL `json:"gil,omitempty"`
}

// Claims of the scaling experiment.
var (
	claimThreadsNoSpeedup = Claim{
		ID:       "threads-no-speedup",
		Source:   Lecture,
		Quote:    "8 chefs share 1 knife",
		Cite:     "Lecture 18, question 2, the answer",
		Short:    "Threads: no speedup on CPU work",
		Text:     "Threads cannot parallelize CPU-bound Python code: a thread runs Python only while it holds the GIL, and one thread holds it at a time, so 8 chefs share 1 knife",
		Quantity: "speedup of N threads over one thread on the same CPU-bound tasks, round by round: the median with its 95% interval (x)",
		Predicts: "no speedup: at most 1.15x, at every thread count",
		Compare:  AtMost, Tolerance: 0.15,
	}
	claimProcessesScale = Claim{
		ID:       "processes-scale",
		Source:   Lecture,
		Quote:    "Why does ProcessPoolExecutor scale but ThreadPoolExecutor doesn’t for CPU? … its like 8 chefs has 8 knives",
		Cite:     "Lecture 18, question 2, the answer",
		Short:    "Processes scale up to the cores",
		Text:     "ProcessPoolExecutor scales for CPU: each process has its own interpreter and GIL, so the speedup grows with the workers up to the cores",
		Quantity: "speedup over one worker, spawning excluded, as measured, round by round: the median with its 95% interval (x)",
		Predicts: "min(workers, cores): at least 85% of it",
		Compare:  AtLeast, Tolerance: 0.15,
	}
	claimSerialisationGrows = Claim{
		ID:       "serialisation-grows",
		Source:   Lecture,
		Quote:    "Serialization overhead (pickling)",
		Cite:     "Lecture 18, question 2, the answer",
		Short:    "Pickling grows with the payload",
		Text:     "Processes pay serialization overhead (pickling) that grows with what crosses between them: in proportion to it",
		Quantity: "exponent b of the serialisation time a payload adds per task, over the smallest payload's, ∝ (the bytes it adds)^b, fitted on log–log axes over every run of the payload sweep, with its 95% interval",
		Predicts: "in proportion: b = 1, from 0.9 to 1.1 (the smallest payload's time is the fixed cost of a task's round trip)",
		Compare:  Within, Tolerance: 0.10,
	}
	claimGILFidelity = Claim{
		ID:       "gil-fidelity",
		Source:   Check,
		Short:    "gil model matches CPython threads",
		Text:     "The gil model behaves as CPython's threads do on CPU-bound work",
		Quantity: "the gil model's speedup over CPython threads' at the same count, both as measured, round by round: the median with its 95% interval (×)",
		Predicts: "the same: 1, within 15%",
		Compare:  Within, Tolerance: 0.15,
	}
	claimProcessesFidelity = Claim{
		ID:       "processes-fidelity",
		Source:   Check,
		Short:    "processes model matches ProcessPoolExecutor",
		Text:     "The processes model behaves as CPython's ProcessPoolExecutor does on CPU-bound work",
		Quantity: "the processes model's speedup over ProcessPoolExecutor's at the same count, both as measured, round by round: the median with its 95% interval (×)",
		Predicts: "the same: 1, within 15%",
		Compare:  Within, Tolerance: 0.15,
	}
	claimProcessesMemory = Claim{
		ID:       "processes-memory",
		Source:   Lecture,
		Quote:    "Processes cost more memory",
		Cite:     "Lecture 18, question 2, the answer",
		Text:     "Processes cost more memory: each worker is a whole program with its own runtime",
		Quantity: "peak resident memory of each worker process of the processes model's runs: the median with its 95% interval (MiB)",
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
	summary: "CPU-bound tasks at 1, 2, 4, 8 workers: GIL threads stay at 1x, goroutines and processes scale to the cores; what processes pay for it; the models against CPython's own threads and processes, and CPython's GIL as py-spy sees it",
	claims:  []Claim{claimThreadsNoSpeedup, claimProcessesScale, claimParallelCPU, claimSerialisationGrows, claimProcessesMemory, claimGILFidelity, claimProcessesFidelity},
}, defaultScaling, quickScaling, measureScaling, judgeScaling)

// measureScaling runs the scaling experiment: every model at every pool
// size (one worker always included, as the baseline), Repeat times,
// interleaved; then, if processes are among the models, the serialisation
// sweep at two workers, Repeat times, interleaved; then, with CPython, one
// more run of its threads sampled by py-spy beside the gil model's on the
// same tasks. The cpython model runs as two series, CPython's
// ThreadPoolExecutor and its ProcessPoolExecutor.
func measureScaling(ctx context.Context, p *ScalingParams, res *ScalingResult, tr *tracker) error {
	res.Cores = res.Stamp.Usable()
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
	work := p.CPU.Seconds() * float64(p.Tasks)
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
	doPayloads := slices.Contains(p.Models, string(model.Processes))
	if doPayloads {
		total += payloadWeight * float64(len(p.Payloads)*p.Repeat)
	}
	spy := res.spyPlan(p, ss)
	if spy != nil {
		total += 2 * spy.weight
	}
	tr.expect(total)
	byArm, err := res.runArms(ctx, tr, p.Repeat, arms, func(a int) string { return fmt.Sprintf("workers=%d", workers[a%len(workers)]) })
	if err != nil {
		return err
	}
	calibrated := time.Duration(p.Tasks) * model.Calibrate().DurationOf(task.Steps[0].Units)
	for k, s := range ss {
		runs := byArm[k*len(workers) : (k+1)*len(workers)] // by pool size, as workers
		for wi, w := range workers {
			res.Points = append(res.Points, res.scalingPoint(s, w, runs[wi], runs[0], calibrated))
		}
	}
	if doPayloads {
		costs, err := processCosts(ctx, tr, res, p)
		if err != nil {
			return err
		}
		res.Processes = costs
	}
	if spy != nil {
		g, err := res.spyGIL(ctx, tr, p, spy)
		if err != nil {
			return err
		}
		res.GIL = g
	}
	return nil
}

// scalingPoint reads series s's runs at w workers against its runs at one
// (base), round by round; work is the tasks' calibrated time, for the
// calibrated figures beside CPython's.
func (res *ScalingResult) scalingPoint(s series, w int, runs, base []int, work time.Duration) ScalingPoint {
	r := &res.Report
	pt := ScalingPoint{Model: s.String(), Workers: w, Runs: runs, Ideal: math.Min(float64(w), float64(res.Cores))}
	pt.Walls = durationsOf(r, runs, func(run *model.Run) time.Duration { return run.Totals.Wall })
	wall := medianOf(r, runs, wallOf)
	pt.Wall, pt.WallLow, pt.WallHigh = time.Duration(wall.Median), time.Duration(wall.Low), time.Duration(wall.High)
	pt.Run = medianRun(r, runs, wallOf)
	pt.Setup = medianDuration(durationsOf(r, runs, func(run *model.Run) time.Duration { return run.Totals.Setup }))
	pt.Cores = medianOf(r, runs, coresUsed).Median
	pt.SpeedupCI = speedupOf(r, base, runs, s.model == model.CPython, work)
	pt.Efficiency = pt.Speedup / pt.Ideal
	return pt
}

// judgeScaling judges every series at every pool size asked for (one
// worker is the baseline), the models against CPython's threads and
// processes, and what processes pay.
func judgeScaling(r *ScalingResult) judgement {
	var j judgement
	p := paramsOf[ScalingParams](&r.Report)
	loops := false
	for _, pt := range r.Points {
		if pt.Workers == 1 || !slices.Contains(p.Workers, pt.Workers) {
			continue
		}
		if seriesOf(pt.Model).eventLoop() {
			loops = true
			continue
		}
		j.verdicts = append(j.verdicts, r.judgePoint(pt, p)...)
	}
	if loops {
		j.note("eventloop: its speedups are shown, not judged: its tasks share one thread with no GIL, which no claim of this question is about (async-cpu judges an event loop on CPU-bound work)")
	}
	r.judgeFidelity(&j, p)
	if c := r.Processes; c != nil {
		if len(c.WorkerRSSes) > 0 {
			mib := make([]float64, len(c.WorkerRSSes))
			for i, b := range c.WorkerRSSes {
				mib[i] = units.MiB(b)
			}
			j.add(claimProcessesMemory.Judge(Measurement{Model: string(model.Processes), Samples: mib, Expected: 1, Unit: "MiB",
				Detail: fmt.Sprintf("%d worker processes over the processes model's runs; the parent's own peak %s", len(mib), units.Bytes(float64(c.ParentRSS)))}))
		}
		if v, ok := r.judgeSerialisation(); ok {
			j.add(v)
		}
	}
	return j
}

// judgeSerialisation judges the exponent of the serialisation sweep's fit.
func (r *ScalingResult) judgeSerialisation() (Verdict, bool) {
	c := r.Processes
	n := len(c.Payloads)
	if n < 3 {
		return Verdict{}, false
	}
	var runs []int
	var by []string
	for _, pt := range c.Payloads {
		runs = append(runs, pt.Runs...)
		by = append(by, fmt.Sprintf("%s: %s", FormatSize(pt.Bytes), units.Duration(pt.PerTask)))
	}
	base, fixed, ci := c.exponent()
	return claimSerialisationGrows.Judge(Measurement{Model: string(model.Processes), Interval: &ci, Expected: 1, Unit: "exponent", Busy: r.busy(runs...),
		Detail: fmt.Sprintf("%d sizes from %s to %s at 2 workers; per task, medians: %s; the cost each adds over %s's %s, against the bytes it adds; a straight line's slope %.2f ns per byte",
			n, FormatSize(c.Payloads[0].Bytes), FormatSize(c.Payloads[n-1].Bytes), strings.Join(by, ", "), FormatSize(base), units.Duration(fixed), c.SerialiseNsPerByte)}), true
}

// judgePoint judges the lecture's claims on one series at one pool size.
func (res *ScalingResult) judgePoint(pt ScalingPoint, p *ScalingParams) []Verdict {
	s := seriesOf(pt.Model)
	base, _ := res.point(pt.Model, 1)
	detail := fmt.Sprintf("%d workers, %d tasks × %s: wall %s at one worker, %s at %d (medians)",
		pt.Workers, p.Tasks, p.CPU, units.Duration(base.Wall), units.Duration(pt.Wall), pt.Workers)
	if c := pt.calibratedText(); c != "" {
		detail += "; " + c
	}
	judge := func(c Claim, expected float64, detail string) []Verdict {
		return []Verdict{c.Judge(Measurement{Model: pt.Model, Samples: pt.Speedups, Expected: expected, Unit: "x", Detail: detail,
			Busy: res.busy(append(slices.Clone(base.Runs), pt.Runs...)...)})}
	}
	switch {
	case s.model == model.CPython && s.flavor == model.FlavorThreads:
		in := res.Python
		if pt.Run >= 0 && res.Runs[pt.Run].Run != nil && res.Runs[pt.Run].Interpreter != nil {
			in = res.Runs[pt.Run].Interpreter
		}
		if in != nil && in.GILFree() {
			// The lecture's claim is about the GIL, and this interpreter has
			// none: its threads should scale like processes.
			return append(judge(claimThreadsNoSpeedup, 1, fmt.Sprintf("%s; %s runs without a GIL, so this is expected not to hold", detail, pyName(in))),
				judge(claimParallelCPU, pt.Ideal, fmt.Sprintf("%s; %s, GIL disabled", detail, pyName(in)))...)
		}
		return judge(claimThreadsNoSpeedup, 1, fmt.Sprintf("%s; %s", detail, pyName(in)))
	case s.model == model.GILThreads:
		return judge(claimThreadsNoSpeedup, 1, fmt.Sprintf("%s; switch interval %s", detail, p.SwitchInterval))
	case s.model == model.Processes || s.flavor == model.FlavorProcesses:
		return judge(claimProcessesScale, pt.Ideal, fmt.Sprintf("%s; spawning %s excluded; %.2f cores busy", detail, units.Duration(pt.Setup), pt.Cores))
	}
	return judge(claimParallelCPU, pt.Ideal, fmt.Sprintf("%s; %.2f cores busy; %s", detail, pt.Cores, coresText(res.Stamp, s)))
}

// judgeFidelity holds the gil and processes models to CPython's threads and
// processes, at every pool size both ran, round by round.
func (res *ScalingResult) judgeFidelity(j *judgement, p *ScalingParams) {
	pairs := []struct {
		claim  Claim
		model  model.Name
		flavor string // CPython's original
	}{
		{claimGILFidelity, model.GILThreads, model.FlavorThreads},
		{claimProcessesFidelity, model.Processes, model.FlavorProcesses},
	}
	for _, pr := range pairs {
		name, real := string(pr.model), model.SeriesOf(model.CPython, pr.flavor).String()
		if pr.model == model.GILThreads && res.Python != nil && res.Python.GILFree() {
			j.note("%s not judged: %s runs threads without a GIL, and the gil model is of an interpreter with one", pr.claim.ID, pyName(res.Python))
			continue
		}
		for _, w := range p.Workers {
			m, ok1 := res.point(name, w)
			c, ok2 := res.point(real, w)
			if w == 1 || !ok1 || !ok2 {
				continue
			}
			m1, _ := res.point(name, 1)
			c1, _ := res.point(real, 1)
			detail := fmt.Sprintf("%d workers: %s %s, %s %s %s, as measured (%s)",
				w, pr.model, m.Text(), pyName(res.Python), pr.flavor, c.Text(), relDiff(m.Speedup, c.Speedup))
			if cal := c.calibratedText(); cal != "" {
				detail += "; CPython's " + cal
			}
			runs := slices.Concat(m.Runs, c.Runs, m1.Runs, c1.Runs)
			v := pr.claim.Judge(Measurement{Model: name, Samples: ratiosOf(m.Speedups, c.Speedups), Expected: 1, Unit: "×", Detail: detail, Busy: res.busy(runs...)})
			if v.Outcome == DoesNotHold {
				v.Detail += "; " + res.scalingMissReason(m, c, time.Duration(p.Tasks)*p.CPU)
			}
			j.add(v)
		}
	}
}

// scalingMissReason says what the walls suggest when a model's speedup
// misses CPython's: each series' median wall at one worker and at w,
// against the work's calibrated time.
func (res *ScalingResult) scalingMissReason(m, c ScalingPoint, work time.Duration) string {
	m1, _ := res.point(m.Model, 1)
	c1, _ := res.point(c.Model, 1)
	f := units.Duration
	busy := func(pt ScalingPoint) string {
		if pt.Run < 0 {
			return "?"
		}
		return busyCores(res.Runs[pt.Run].Run)
	}
	return fmt.Sprintf("median walls at 1 and %d workers for %s of calibrated work: %s %s and %s, %s %s and %s; other processes kept %s and %s of the cores busy during the median runs at %d workers",
		m.Workers, f(work), m.Model, f(m1.Wall), f(m.Wall), c.Model, f(c1.Wall), f(c.Wall),
		busy(m), busy(c), m.Workers)
}

// point returns series name's point at w workers.
func (res *ScalingResult) point(name string, w int) (ScalingPoint, bool) {
	return firstWhere(res.Points, func(pt ScalingPoint) bool { return pt.Model == name && pt.Workers == w })
}

// payloadWeight is a payload run's expected seconds, for progress.
const payloadWeight = 0.3

// processCosts measures what processes pay: spawning and memory (from the
// runs already made) and serialisation as the payload grows, each payload
// Repeat times, interleaved.
func processCosts(ctx context.Context, tr *tracker, res *ScalingResult, p *ScalingParams) (*ProcessCosts, error) {
	c := &ProcessCosts{}
	var spawn []time.Duration
	for _, pt := range res.Points {
		if pt.Model != string(model.Processes) {
			continue
		}
		for _, i := range pt.Runs {
			run := res.Runs[i].Run
			for _, w := range run.Workers {
				spawn = append(spawn, w.Spawn)
				c.WorkerRSSes = append(c.WorkerRSSes, w.PeakRSS)
			}
			c.ParentRSS = max(c.ParentRSS, run.Totals.PeakRSS)
		}
	}
	if len(spawn) > 0 {
		c.SpawnMean = time.Duration(measure.Summarize(spawn).Mean * float64(time.Millisecond))
		rss := make([]float64, len(c.WorkerRSSes))
		for i, b := range c.WorkerRSSes {
			rss[i] = float64(b)
		}
		c.WorkerRSS = int64(measure.MedianCI(rss, level).Median)
		c.Workers = len(rss)
	}
	// Serialisation: small CPU, growing payload, two workers.
	const n = 8
	arms := make([]arm, len(p.Payloads))
	for i, size := range p.Payloads {
		arms[i] = arm{stage: fmt.Sprintf("%s, payload %s", model.Processes, FormatSize(size)), weight: payloadWeight, model: model.Processes,
			tasks: model.Repeat(n, model.Task{Steps: []model.Step{model.CPUFor(time.Millisecond)}, Payload: size}),
			cfg:   model.Config{Concurrency: 2}}
	}
	byArm, err := res.runArms(ctx, tr, p.Repeat, arms, func(a int) string { return "payload=" + FormatSize(p.Payloads[a]) })
	if err != nil {
		return nil, err
	}
	perTask := func(run *model.Run) time.Duration { return run.Totals.Serialise / n }
	var xs, ys []float64
	for i, size := range p.Payloads {
		pt := PayloadPoint{Bytes: size, Runs: byArm[i], PerTasks: durationsOf(&res.Report, byArm[i], perTask)}
		ci := medianOf(&res.Report, byArm[i], func(run *model.Run) float64 { return float64(perTask(run)) })
		pt.PerTask, pt.Low, pt.High = time.Duration(ci.Median), time.Duration(ci.Low), time.Duration(ci.High)
		pt.Share = medianOf(&res.Report, byArm[i], func(run *model.Run) float64 {
			busy := time.Duration(0)
			for _, s := range run.Spans {
				busy += s.End - s.Start
			}
			return ratio(run.Totals.Serialise, busy)
		}).Median
		c.Payloads = append(c.Payloads, pt)
		for _, d := range pt.PerTasks {
			xs, ys = append(xs, float64(size)), append(ys, float64(d))
		}
	}
	if len(xs) >= 2 {
		_, c.SerialiseNsPerByte, _ = measure.LinearFit(xs, ys)
	}
	c.FixedBytes, c.Fixed, c.Exponent = c.exponent()
	return c, nil
}

// exponent fits the serialisation time a payload adds over the smallest
// payload's against the bytes it adds, (time − fixed) ∝ (bytes −
// base)^b, by least squares on log–log axes over every run of the other
// payloads, and returns the smallest payload, its median time and b with
// its 95% interval. A fit on the times themselves would bend below 1 where
// the fixed cost of a round trip outweighs a small payload's; this one
// bends only if the payload's own cost grows slower (or faster) than its
// bytes: √x gives ½.
func (c *ProcessCosts) exponent() (base int, fixed time.Duration, b measure.CI) {
	if len(c.Payloads) == 0 {
		return 0, 0, measure.SlopeCI(nil, nil, level)
	}
	first := slices.MinFunc(c.Payloads, func(a, b PayloadPoint) int { return a.Bytes - b.Bytes })
	var lx, ly []float64
	for _, pt := range c.Payloads {
		for _, d := range pt.PerTasks {
			if dx, dy := pt.Bytes-first.Bytes, d-first.PerTask; dx > 0 && dy > 0 {
				lx, ly = append(lx, math.Log(float64(dx))), append(ly, math.Log(float64(dy)))
			}
		}
	}
	return first.Bytes, first.PerTask, measure.SlopeCI(lx, ly, level)
}
