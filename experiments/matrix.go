package experiments

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/boundlab/boundlab/experiments/decision"
	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// MatrixParams are the parameters of the matrix experiment.
type MatrixParams struct {
	// Moderate and High are the I/O workloads' waits at once: below and
	// from decision.HighConcurrency, the framework's line between threads
	// and async.
	Moderate int
	High     int
	// Wait is each I/O task's wait.
	Wait time.Duration
	// CPUTasks tasks compute CPU each: the CPU-bound workload.
	CPUTasks int
	CPU      time.Duration
	// Threads is the thread pool's size, for the gil model and CPython's
	// threads: 0 is the size ThreadPoolExecutor picks by default,
	// min(32, cores + 4).
	Threads int
	// Workers is the process pool's size, for the processes model and
	// CPython's processes: 0 is one per core, ProcessPoolExecutor's
	// default.
	Workers int
	// Semaphore limits the tasks in flight on the event loops and on
	// goroutines: 0 is none, every task at once.
	Semaphore int
	// Repeat is how many times each workload's cells run, the models
	// taking turns: 0 is six for a workload whose slowest cell takes under
	// two seconds, three otherwise (repeatsFor).
	Repeat int
	// Models are the models to run; cpython runs as CPython's threads,
	// asyncio and processes.
	Models []string
	// Python is the cpython model's interpreter (see model.FindPython).
	Python string
}

// Params binds the parameters to flags.
func (p *MatrixParams) Params() []Param {
	return []Param{
		intParam(&p.Moderate, "moderate", "waits at once in the moderate-concurrency I/O workload", 1, decision.HighConcurrency-1),
		intParam(&p.High, "high", "waits at once in the high-concurrency I/O workload", decision.HighConcurrency, 50_000),
		durationParam(&p.Wait, "wait", "each I/O task's wait", time.Millisecond, 10*time.Second),
		intParam(&p.CPUTasks, "cpu-tasks", "tasks in the CPU-bound workload", 1, 1000),
		durationParam(&p.CPU, "cpu", "each CPU-bound task's computation", time.Millisecond, 10*time.Second),
		intParam(&p.Threads, "threads", "thread pool size (gil, cpython threads; 0: ThreadPoolExecutor's default, min(32, cores + 4))", 0, model.MaxPythonThreads),
		intParam(&p.Workers, "workers", "process pool size (processes, cpython processes; 0: one per core, ProcessPoolExecutor's default)", 0, model.MaxWorkers),
		intParam(&p.Semaphore, "semaphore", "most tasks in flight on the event loops and goroutines (0: no limit)", 0, 50_000),
		intParam(&p.Repeat, "repeat", "runs of each cell, models interleaved (0: six where a workload's slowest cell takes under 2 s, three otherwise)", 0, 20),
		namesParam(&p.Models, "models", "models to run (cpython: CPython's threads, asyncio and processes)", model.Strings(model.GILThreads, model.EventLoop, model.Processes, model.Goroutines, model.CPython)),
		pythonParam(&p.Python),
	}
}

// defaultMatrix is the setting: 50 and 1000 waits of 50 ms, 16 tasks of
// 50 ms of CPU, on gil threads, the event loop, processes and goroutines,
// each with the pools a program gets by default.
func defaultMatrix() MatrixParams {
	return MatrixParams{
		Moderate: 50, High: 1000, Wait: 50 * time.Millisecond, CPUTasks: 16, CPU: 50 * time.Millisecond,
		Models: model.Strings(model.GILThreads, model.EventLoop, model.Processes, model.Goroutines, model.CPython),
	}
}

// quickMatrix is 20 and 200 waits of 20 ms and 8 CPU tasks.
func quickMatrix(p *MatrixParams) {
	p.Moderate, p.High, p.Wait, p.CPUTasks = 20, 200, 20*time.Millisecond, 8
}

// threadPoolDefault is ThreadPoolExecutor's default size on a machine of
// the given cores: min(32, cores + 4).
func threadPoolDefault(cores int) int { return min(32, cores+4) }

// MatrixWorkload is one row of the matrix.
type MatrixWorkload struct {
	// Key is "io-moderate", "io-high" or "cpu"; Name says what it is.
	Key  string `json:"key"`
	Name string `json:"name"`
	// Class and Concurrency are what the framework reads.
	Class       decision.Class `json:"class"`
	Concurrency int            `json:"concurrency"`
	// Rule is the framework's line for it; Recommended the model it
	// names, among the CPython-style models, and RecommendedPython among
	// CPython's own.
	Rule              string `json:"rule"`
	Recommended       string `json:"recommended"`
	RecommendedPython string `json:"recommended_python"`
}

// MatrixCell is one model on one workload, from one run or several.
type MatrixCell struct {
	Workload string `json:"workload"`
	Model    string `json:"model"`
	// Concurrency is the threads, worker processes or tasks in flight the
	// model ran the workload with.
	Concurrency int `json:"concurrency"`
	// Runs index Report.Runs, in round order; Walls, Memories and Setups
	// are those runs' figures, in the same order.
	Runs     []int           `json:"runs"`
	Walls    []time.Duration `json:"walls_ns"`
	Memories []int64         `json:"memories_bytes"`
	Setups   []time.Duration `json:"setups_ns,omitempty"`
	// Runtime is the median of Walls, [Low, High] its 95% interval: from
	// the first task's submission to the last one's end. A process pool is
	// started, and its workers have answered, before the clock starts, as
	// a server's pool is before requests arrive; Setup is the median of
	// that start-up (for CPython, with the interpreter's own).
	Runtime time.Duration `json:"runtime_ns"`
	Low     time.Duration `json:"runtime_low_ns"`
	High    time.Duration `json:"runtime_high_ns"`
	Setup   time.Duration `json:"setup_ns,omitempty"`
	// Memory is the median of Memories, [MemoryLow, MemoryHigh] its 95%
	// interval: what the run added to the machine's resident memory, each
	// run in a fresh process: that process's peak less its resident memory
	// as the clock started (for cpython, the interpreter's), plus the whole
	// peak of every worker process it started.
	Memory     int64 `json:"memory_bytes"`
	MemoryLow  int64 `json:"memory_low_bytes"`
	MemoryHigh int64 `json:"memory_high_bytes"`
	// Ratio is Runtime over the fastest in the row, among the same family
	// (Go's models, or CPython's).
	Ratio       float64 `json:"ratio"`
	Recommended bool    `json:"recommended,omitempty"`
}

// MatrixResult is the result of the matrix experiment.
type MatrixResult struct {
	Report
	Cores int `json:"cores"`
	// Threads and Workers are the pools' sizes the models ran with.
	Threads   int              `json:"threads"`
	Workers   int              `json:"workers"`
	Workloads []MatrixWorkload `json:"workloads"`
	Cells     []MatrixCell     `json:"cells"`
}

// Claims of the matrix experiment.
var (
	claimMatrixRecommended = Claim{
		ID:       "framework-recommended",
		Source:   Lecture,
		Quote:    "I/O-bound + moderate concurrency → threads; I/O-bound + high concurrency → async; CPU-bound + true parallelism → multiprocessing",
		Cite:     "Lecture 18, key takeaway “The decision framework is the most valuable output of this lecture”",
		Short:    "The framework's choice is the fastest",
		Text:     "The decision framework: I/O-bound + moderate concurrency → threads; I/O-bound + high concurrency → async; CPU-bound + true parallelism → multiprocessing",
		Quantity: "the recommended model's runtime over the fastest other model's in the workload's row, round by round, each model with the pool a program gets by default (×)",
		Predicts: "the recommended model is the fastest, or within 10% of it",
		Compare:  AtMost, Tolerance: 0.10,
	}
	claimMatrixMemory = Claim{
		ID:       "framework-memory",
		Source:   Lecture,
		Quote:    "This model scales to thousands of concurrent connections at minimal memory and CPU cost.",
		Cite:     "Lecture 18, key takeaway “Async is correct for high-concurrency I/O”",
		Short:    "Async: thousands of connections at minimal memory",
		Text:     "Async is correct for high-concurrency I/O: it scales to thousands of concurrent connections at minimal memory cost",
		Quantity: "on the high-concurrency I/O workload, the memory the recommended model's run added over the least any other model's run added, round by round, each run in a fresh process (×)",
		Predicts: "minimal: at most twice the least (resident memory is counted in pages, and what a fresh process adds in its first few hundred KiB moves by tens of per cent from run to run)",
		Compare:  AtMost, Tolerance: 1,
	}
	claimMatrixThreadsCPU = Claim{
		ID:       "wrong-threads-cpu",
		Source:   Lecture,
		Quote:    "Using threads for CPU-bound work produces zero speedup due to the GIL.",
		Cite:     "Lecture 18, key takeaway “Wrong combinations have real costs”",
		Short:    "Threads on CPU work: zero speedup",
		Text:     "Wrong combinations have real costs: using threads for CPU-bound work produces zero speedup due to the GIL",
		Quantity: "the tasks' CPU time over the wall time on a thread pool: how many cores computed at once (×)",
		Predicts: "none: 1×, one thread computing at a time",
		Compare:  AtMost, Tolerance: 0.15,
	}
	claimMatrixProcessesIO = Claim{
		ID:       "wrong-processes-io",
		Source:   Lecture,
		Quote:    "Using multiprocessing for I/O-bound work adds process overhead with no performance benefit and dramatically increases memory consumption.",
		Cite:     "Lecture 18, key takeaway “Wrong combinations have real costs”",
		Short:    "Processes on I/O work: far more memory",
		Text:     "Using multiprocessing for I/O-bound work adds process overhead with no performance benefit and dramatically increases memory consumption",
		Quantity: "the memory a process pool's run added over what a thread pool's added, on the moderate I/O workload, round by round, both measured the same way: each run in a fresh process, its peak less its start, plus every worker's whole peak (×)",
		Predicts: "dramatically more: at least 10×",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimMatrixProcessesIOTime = Claim{
		ID:       "wrong-processes-io-time",
		Source:   Lecture,
		Quote:    "Using multiprocessing for I/O-bound work adds process overhead with no performance benefit",
		Cite:     "Lecture 18, key takeaway “Wrong combinations have real costs”",
		Short:    "Processes on I/O work: no faster",
		Text:     "Using multiprocessing for I/O-bound work brings no performance benefit",
		Quantity: "runtime of the process pool over that of the thread pool, on the moderate I/O workload, start-up included, round by round (×)",
		Predicts: "no faster: at least 1×",
		Compare:  AtLeast, Tolerance: 0.02,
	}
)

// Matrix is the experiment "the decision framework".
var Matrix = define(about{
	name:    "matrix",
	title:   "The decision framework, measured",
	lecture: "takeaways 9, 10",
	summary: "three workloads (I/O at moderate and at high concurrency, CPU-bound) on every model with the pools a program gets by default: runtime and memory as a matrix, the framework's recommended cell against the best",
	claims:  []Claim{claimMatrixRecommended, claimMatrixMemory, claimMatrixThreadsCPU, claimMatrixProcessesIO, claimMatrixProcessesIOTime},
}, defaultMatrix, quickMatrix, measureMatrix, judgeMatrix)

// matrixWorkloads are the rows, with the framework's recommendations.
func matrixWorkloads(p *MatrixParams) []MatrixWorkload {
	mk := func(key, name string, class decision.Class, n int, goModel model.Name, pyFlavor string) MatrixWorkload {
		return MatrixWorkload{Key: key, Name: name, Class: class, Concurrency: n,
			Rule: decision.Recommend(class, n).Rule, Recommended: string(goModel), RecommendedPython: model.PythonSeries(pyFlavor)}
	}
	return []MatrixWorkload{
		mk("io-moderate", fmt.Sprintf("I/O, %d waits at once", p.Moderate), decision.IOBound, p.Moderate, model.GILThreads, model.FlavorThreads),
		mk("io-high", fmt.Sprintf("I/O, %d waits at once", p.High), decision.IOBound, p.High, model.EventLoop, model.FlavorAsyncio),
		mk("cpu", fmt.Sprintf("CPU, %d × %s", p.CPUTasks, p.CPU), decision.CPUBound, 0, model.Processes, model.FlavorProcesses),
	}
}

// The kinds of pool a series runs its tasks on (series.pool).
const (
	poolThreads   = "threads"
	poolProcesses = "processes"
)

// pool says what kind of pool a series runs its tasks on: poolThreads,
// poolProcesses, or "" for an event loop or goroutines.
func (s series) pool() string {
	switch ms := model.SeriesOf(s.model, s.flavor); {
	case ms.Threads():
		return poolThreads
	case ms.WorkerProcesses():
		return poolProcesses
	}
	return ""
}

// matrixPools are the pools' sizes: the parameters', or the defaults a
// program gets on a machine of the given cores.
func matrixPools(p *MatrixParams, cores int) (threads, workers int) {
	threads, workers = p.Threads, p.Workers
	if threads == 0 {
		threads = threadPoolDefault(cores)
	}
	if workers == 0 {
		workers = cores
	}
	return threads, workers
}

// matrixPlan is how series s runs workload w: its tasks, and how many run
// at once: a thread pool's or a process pool's size, or the semaphore's
// limit (every task, without one) on an event loop or goroutines.
func matrixPlan(p *MatrixParams, w MatrixWorkload, s series, threads, workers int) ([]model.Task, int) {
	var tasks []model.Task
	if w.Class == decision.CPUBound {
		tasks = model.Repeat(p.CPUTasks, model.NewTask(model.CPUFor(p.CPU)))
	} else {
		tasks = model.Repeat(w.Concurrency, model.NewTask(model.Wait(p.Wait)))
	}
	n := len(tasks)
	switch s.pool() {
	case poolThreads:
		return tasks, min(n, threads)
	case poolProcesses:
		return tasks, min(n, workers)
	}
	if p.Semaphore > 0 {
		return tasks, min(n, p.Semaphore)
	}
	return tasks, n
}

// matrixGuess is about how long series s takes on workload w, in seconds,
// for progress and the number of repeats.
func matrixGuess(p *MatrixParams, w MatrixWorkload, s series, conc, cores int) float64 {
	n, per := w.Concurrency, p.Wait.Seconds()
	par := float64(conc)
	if w.Class == decision.CPUBound {
		n, per = p.CPUTasks, p.CPU.Seconds()
		if s.pool() == poolProcesses || s.model == model.Goroutines {
			par = min(par, float64(cores))
		} else {
			par = 1 // a GIL, or one loop
		}
	}
	rounds := math.Ceil(float64(n) / max(par, 1))
	return rounds*per + 0.05
}

// measureMatrix runs the matrix experiment: for each workload, every series
// Repeat times, the series taking turns (A B C A B C …), each run in a
// fresh child process so that the memory it adds is measured from the same
// start on every model.
func measureMatrix(ctx context.Context, p *MatrixParams, res *MatrixResult, tr *tracker) error {
	cores := min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	res.Cores, res.Workloads = cores, matrixWorkloads(p)
	res.Threads, res.Workers = matrixPools(p, cores)
	ss, err := res.expandModels(ctx, p.Models, p.Python, model.FlavorThreads, model.FlavorAsyncio, model.FlavorProcesses)
	if err != nil {
		return err
	}
	type row struct {
		w      MatrixWorkload
		rounds int
		arms   []arm
	}
	var rows []row
	total := 0.0
	for _, w := range res.Workloads {
		r := row{w: w}
		slowest := 0.0
		for _, s := range ss {
			tasks, conc := matrixPlan(p, w, s, res.Threads, res.Workers)
			g := matrixGuess(p, w, s, conc, cores)
			slowest = max(slowest, g)
			r.arms = append(r.arms, arm{stage: fmt.Sprintf("%s: %s", w.Name, s), weight: g, model: s.model, tasks: tasks,
				cfg: s.config(model.Config{Concurrency: conc}, p.Python)})
		}
		r.rounds = p.Repeat
		if r.rounds == 0 {
			r.rounds = repeatsFor(time.Duration(slowest * float64(time.Second)))
		}
		total += weight(r.rounds, r.arms)
		rows = append(rows, r)
	}
	tr.expect(total)
	for _, r := range rows {
		byArm := make([][]int, len(r.arms))
		err := interleave(r.rounds, len(r.arms), func(k, a int) error {
			am := r.arms[a]
			stage := am.stage
			if r.rounds > 1 {
				stage += fmt.Sprintf(" (run %d of %d)", k+1, r.rounds)
			}
			cfg := am.cfg
			cfg.Progress = tr.stage(stage, am.weight)
			cr, err := model.RunInChild(ctx, am.model, am.tasks, cfg, model.ChildOptions{})
			var exit *model.ChildExitError
			if errors.As(err, &exit) {
				return fmt.Errorf("%s: the process running it died: %w", stage, err)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", stage, err)
			}
			byArm[a] = append(byArm[a], res.record(r.w.Key, cr.Run))
			return nil
		})
		if err != nil {
			return err
		}
		for a, s := range ss {
			res.Cells = append(res.Cells, res.matrixCell(r.w, s, r.arms[a].cfg.Concurrency, byArm[a]))
		}
	}
	res.rank()
	return nil
}

// matrixCell reads one series' runs on a workload.
func (r *MatrixResult) matrixCell(w MatrixWorkload, s series, conc int, runs []int) MatrixCell {
	c := MatrixCell{Workload: w.Key, Model: s.String(), Concurrency: conc, Runs: runs,
		Recommended: s.String() == w.Recommended || s.String() == w.RecommendedPython}
	for _, i := range runs {
		run := r.Runs[i].Run
		mem := max(0, run.Totals.PeakRSS-run.Totals.StartRSS)
		for _, ws := range run.Workers {
			mem += ws.PeakRSS
		}
		c.Walls, c.Memories = append(c.Walls, run.Totals.Wall), append(c.Memories, mem)
		if s.pool() == poolProcesses || s.model == model.CPython {
			c.Setups = append(c.Setups, run.Totals.Setup)
		}
	}
	c.summarise()
	return c
}

// summarise sets the cell's medians and intervals from its runs' figures.
func (c *MatrixCell) summarise() {
	wall := measure.MedianCI(secondsOf(c.Walls), level)
	c.Runtime, c.Low, c.High = durationOf(wall.Median), durationOf(wall.Low), durationOf(wall.High)
	mems := make([]float64, len(c.Memories))
	for i, m := range c.Memories {
		mems[i] = float64(m)
	}
	mem := measure.MedianCI(mems, level)
	c.Memory, c.MemoryLow, c.MemoryHigh = int64(mem.Median), int64(mem.Low), int64(mem.High)
	if len(c.Setups) > 0 {
		c.Setup = durationOf(measure.MedianCI(secondsOf(c.Setups), level).Median)
	}
}

// rank sets each cell's ratio to the fastest in its row and family.
func (res *MatrixResult) rank() {
	for i := range res.Cells {
		c := &res.Cells[i]
		if best, ok := res.fastest(c.Workload, python(c.Model), ""); ok && best.Runtime > 0 {
			c.Ratio = ratio(c.Runtime, best.Runtime)
		}
	}
}

// fastest is the fastest cell (by median runtime) in a row among Go's
// models or CPython's, leaving out the model named except.
func (res *MatrixResult) fastest(workload string, py bool, except string) (MatrixCell, bool) {
	return res.least(workload, py, except, func(c MatrixCell) float64 { return float64(c.Runtime) })
}

// least is the cell in a row and family with the least of a figure,
// leaving out the model named except.
func (res *MatrixResult) least(workload string, py bool, except string, of func(MatrixCell) float64) (MatrixCell, bool) {
	var best MatrixCell
	found := false
	for _, c := range res.Cells {
		if c.Workload == workload && python(c.Model) == py && c.Model != except && (!found || of(c) < of(best)) {
			best, found = c, true
		}
	}
	return best, found
}

// Cell returns the cell of model on workload.
func (res *MatrixResult) Cell(workload, model string) (MatrixCell, bool) {
	return firstWhere(res.Cells, func(c MatrixCell) bool { return c.Workload == workload && c.Model == model })
}

// judgeMatrix judges each row's recommendation, in each family, on its
// runtime and, on the high-concurrency I/O row, its memory; then the wrong
// combinations.
func judgeMatrix(res *MatrixResult) judgement {
	var j judgement
	p := paramsOf[MatrixParams](&res.Report)
	for _, w := range res.Workloads {
		for _, rec := range []string{w.Recommended, w.RecommendedPython} {
			res.judgeRecommended(&j, w, rec)
		}
	}
	res.judgeThreadsCPU(&j, p)
	res.judgeProcessesIO(&j, p)
	return j
}

// judgeRecommended judges the recommended model rec of workload w against
// the fastest other model of its family and, on the high-concurrency I/O
// row, against the least memory.
func (res *MatrixResult) judgeRecommended(j *judgement, w MatrixWorkload, rec string) {
	c, ok := res.Cell(w.Key, rec)
	if !ok {
		return
	}
	best, ok := res.fastest(w.Key, python(rec), rec)
	if !ok {
		j.note("%s: %s is the only model of its family that ran; the framework's recommendation has nothing to be measured against", w.Name, rec)
		return
	}
	var row []string
	for _, o := range res.Cells {
		if o.Workload == w.Key && python(o.Model) == python(rec) {
			row = append(row, fmt.Sprintf("%s %s (%s)", o.Model, units.Duration(o.Runtime), matrixHow(o.Model, o.Concurrency)))
		}
	}
	detail := fmt.Sprintf("%s: %s; against %s; %s", w.Name, w.Rule, best.Model, strings.Join(row, ", "))
	v := claimMatrixRecommended.Judge(Measurement{Model: rec, Samples: pairedRatios(c.Walls, best.Walls), Expected: 1, Unit: "×",
		Detail: detail, Busy: res.busy(append(slices.Clone(c.Runs), best.Runs...)...)})
	if v.Outcome == DoesNotHold {
		v.Detail += "; " + matrixMiss(w, c, best)
	}
	j.add(v)
	if w.Class != decision.IOBound || w.Concurrency < decision.HighConcurrency {
		return // the lecture claims minimal memory of async at high concurrency only
	}
	res.judgeRecommendedMemory(j, w, rec, c)
}

// judgeRecommendedMemory judges the memory the recommended model rec's
// runs (cell c) added on workload w against the least any other model of
// its family added, round by round.
func (res *MatrixResult) judgeRecommendedMemory(j *judgement, w MatrixWorkload, rec string, c MatrixCell) {
	leastMem, _ := res.least(w.Key, python(rec), rec, func(c MatrixCell) float64 { return float64(c.Memory) })
	if leastMem.Memory <= 0 || slices.Contains(leastMem.Memories, 0) {
		j.note("%s: %s's runs added no resident memory that the OS counts; %s's memory is not judged against it", w.Name, leastMem.Model, rec)
		return
	}
	var mems []string
	for _, o := range res.Cells {
		if o.Workload == w.Key && python(o.Model) == python(rec) {
			mems = append(mems, fmt.Sprintf("%s %s", o.Model, units.Bytes(float64(o.Memory))))
		}
	}
	pools := fmt.Sprintf("thread pools of %d, process pools of %d", res.Threads, res.Workers)
	j.add(claimMatrixMemory.Judge(Measurement{Model: rec, Samples: pairedRatios(c.Memories, leastMem.Memories), Expected: 1, Unit: "×",
		Detail: fmt.Sprintf("%s, %s: against %s; memory added (medians): %s", w.Name, pools, leastMem.Model, strings.Join(mems, ", "))}))
}

// judgeThreadsCPU judges threads on the CPU-bound workload: how many cores
// the gil model's and CPython's threads computed on at once.
func (res *MatrixResult) judgeThreadsCPU(j *judgement, p *MatrixParams) {
	for _, m := range []string{string(model.GILThreads), model.PythonSeries(model.FlavorThreads)} {
		c, ok := res.Cell("cpu", m)
		if !ok {
			continue
		}
		// The threads' own CPU clocks, not the calibrated work: an
		// interpreter's speed on a shared machine drifts from its
		// calibration, a thread's CPU time does not lie about it.
		cores := make([]float64, 0, len(c.Runs))
		for _, i := range c.Runs {
			t := res.Runs[i].Totals
			cores = append(cores, ratio(t.TaskCPU, t.Wall))
		}
		j.add(claimMatrixThreadsCPU.Judge(Measurement{Model: m, Samples: cores, Expected: 1, Unit: "×", Busy: res.busy(c.Runs...),
			Detail: fmt.Sprintf("%d tasks × %s on a pool of %d threads, %d cores; runtime %s", p.CPUTasks, p.CPU, c.Concurrency, res.Cores, units.Duration(c.Runtime))}))
	}
}

// judgeProcessesIO judges processes on the moderate I/O workload against
// threads, Go's models' and CPython's: their memory, and their runtime
// with the pools' start-up.
func (res *MatrixResult) judgeProcessesIO(j *judgement, p *MatrixParams) {
	for _, pair := range [][2]string{
		{string(model.Processes), string(model.GILThreads)},
		{model.PythonSeries(model.FlavorProcesses), model.PythonSeries(model.FlavorThreads)},
	} {
		pc, ok1 := res.Cell("io-moderate", pair[0])
		tc, ok2 := res.Cell("io-moderate", pair[1])
		if !ok1 || !ok2 {
			continue
		}
		if slices.Contains(tc.Memories, 0) {
			j.note("%s: a run of %d threads added no resident memory that the OS counts; the process pool's memory is not judged against it", pair[1], tc.Concurrency)
		} else {
			j.add(claimMatrixProcessesIO.Judge(Measurement{Model: pair[0], Samples: pairedRatios(pc.Memories, tc.Memories), Expected: 10, Unit: "×",
				Detail: fmt.Sprintf("%d waits: %d worker processes added %s, %d threads %s (medians)", p.Moderate, pc.Concurrency,
					units.Bytes(float64(pc.Memory)), tc.Concurrency, units.Bytes(float64(tc.Memory)))}))
		}
		j.add(claimMatrixProcessesIOTime.Judge(Measurement{Model: pair[0], Samples: pairedRatios(pc.wallsWithSetup(), tc.wallsWithSetup()), Expected: 1, Unit: "×",
			Busy: res.busy(append(slices.Clone(pc.Runs), tc.Runs...)...),
			Detail: fmt.Sprintf("%d waits of %s: %d worker processes %s and %s starting them, %d threads %s and %s starting (medians)", p.Moderate, p.Wait,
				pc.Concurrency, units.Duration(pc.Runtime), units.Duration(pc.Setup), tc.Concurrency, units.Duration(tc.Runtime), units.Duration(tc.Setup))}))
	}
}

// wallsWithSetup are the cell's runs' wall times, each with its run's
// start-up added where the cell has one.
func (c MatrixCell) wallsWithSetup() []time.Duration {
	out := slices.Clone(c.Walls)
	for i := range out {
		if i < len(c.Setups) {
			out[i] += c.Setups[i]
		}
	}
	return out
}

// matrixMiss says why a recommended cell was not the fastest.
func matrixMiss(w MatrixWorkload, rec, best MatrixCell) string {
	switch {
	case best.Model == string(model.Goroutines) && w.Class == decision.CPUBound:
		return fmt.Sprintf("on Go's runtime goroutines compute in parallel on every core without processes or pipes (the pool, started before the clock, took %s more)", units.Duration(rec.Setup))
	case w.Class == decision.IOBound && rec.Concurrency < w.Concurrency:
		rounds := (w.Concurrency + rec.Concurrency - 1) / rec.Concurrency
		return fmt.Sprintf("a pool of %d runs %d waits %d at a time, in %d rounds, where %s has them all in flight at once: the recommendation holds only for a pool sized to the waits (--threads=%d), which is no longer the default",
			rec.Concurrency, w.Concurrency, rec.Concurrency, rounds, best.Model, w.Concurrency)
	case best.Model == string(model.Goroutines):
		return "on Go's runtime goroutines are neither threads nor async: the runtime parks a waiting goroutine as an event loop parks a coroutine, and runs the rest on a thread per core"
	}
	return fmt.Sprintf("%s was %.2f× %s", rec.Model, ratio(rec.Runtime, best.Runtime), best.Model)
}
