package experiments

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/boundlab/boundlab/experiments/decision"
	"github.com/boundlab/boundlab/experiments/model"
)

// MatrixParams are the parameters of the matrix experiment.
type MatrixParams struct {
	// Moderate and High are the I/O workloads' waits at once: below and
	// from decision.HighConcurrency, the framework's line between threads and async.
	Moderate int
	High     int
	// Wait is each I/O task's wait.
	Wait time.Duration
	// CPUTasks tasks compute CPU each: the CPU-bound workload.
	CPUTasks int
	CPU      time.Duration
	// Models are the models to run; cpython runs as CPython's threads,
	// asyncio and processes.
	Models []string
	// Pool is the most worker processes a pool starts for an I/O workload:
	// more waits than workers queue and run Pool at a time.
	Pool int
	// Repeat is how many times each cell runs, interleaved; the fastest
	// run counts. Zero means once.
	Repeat int
	// Python is the cpython model's interpreter (see model.FindPython).
	Python string
}

// maxMatrixThreads caps the gil model's threads (a thread per wait): Go's
// runtime stops a program at 10,000 threads.
const maxMatrixThreads = 5000

// Params binds the parameters to flags.
func (p *MatrixParams) Params() []Param {
	return []Param{
		intParam(&p.Moderate, "moderate", "waits at once in the moderate-concurrency I/O workload", 1, decision.HighConcurrency-1),
		intParam(&p.High, "high", "waits at once in the high-concurrency I/O workload", decision.HighConcurrency, 50_000),
		durationParam(&p.Wait, "wait", "each I/O task's wait", time.Millisecond, 10*time.Second),
		intParam(&p.CPUTasks, "cpu-tasks", "tasks in the CPU-bound workload", 1, 1000),
		durationParam(&p.CPU, "cpu", "each CPU-bound task's computation", time.Millisecond, 10*time.Second),
		namesParam(&p.Models, "models", "models to run (cpython: CPython's threads, asyncio and processes)", []string{"gil", "eventloop", "processes", "goroutines", "cpython"}),
		intParam(&p.Pool, "pool", "most worker processes a pool starts for an I/O workload", 1, model.MaxWorkers),
		intParam(&p.Repeat, "repeat", "runs of each cell, the fastest counting (0: one)", 0, 10),
		pythonParam(&p.Python),
	}
}

// defaultMatrix is the setting: 50 and 5,000 waits of 100 ms, 16 tasks of
// 50 ms of CPU, on gil threads, the event loop, processes and goroutines,
// the fastest of two runs of each cell.
func defaultMatrix() MatrixParams {
	return MatrixParams{
		Moderate: 50, High: 5000, Wait: 100 * time.Millisecond, CPUTasks: 16, CPU: 50 * time.Millisecond,
		Models: []string{"gil", "eventloop", "processes", "goroutines"}, Pool: 64, Repeat: 2,
	}
}

// quickMatrix is 20 and 1000 waits of 50 ms and 8 CPU tasks.
func quickMatrix(p *MatrixParams) {
	p.Moderate, p.High, p.Wait, p.CPUTasks, p.Pool = 20, 1000, 50*time.Millisecond, 8, 50
}

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

// MatrixCell is one model on one workload.
type MatrixCell struct {
	Workload string `json:"workload"`
	Model    string `json:"model"`
	// Concurrency is the threads, workers or semaphore slots the model ran
	// the workload with.
	Concurrency int `json:"concurrency"`
	// Run indexes the fastest of Runs in Report.Runs.
	Run  int   `json:"run"`
	Runs []int `json:"runs"`
	// Runtime is the fastest run's wall time: from the first task's
	// submission to the last one's end. A process pool is started, and its
	// workers have answered, before the clock starts, as a server's pool
	// is before requests arrive; Setup is that start-up (for CPython, with
	// the interpreter's own).
	Runtime time.Duration `json:"runtime_ns"`
	Setup   time.Duration `json:"setup_ns,omitempty"`
	// Memory is the peak resident memory the run added to this process
	// (to the interpreter, for cpython) plus its worker processes' peaks.
	Memory int64 `json:"memory_bytes"`
	// Ratio is Runtime over the fastest in the row, among the same family
	// (Go's models, or CPython's).
	Ratio       float64 `json:"ratio"`
	Recommended bool    `json:"recommended,omitempty"`
}

// MatrixResult is the result of the matrix experiment.
type MatrixResult struct {
	Report
	Cores     int              `json:"cores"`
	Workloads []MatrixWorkload `json:"workloads"`
	Cells     []MatrixCell     `json:"cells"`
}

// Claims of the matrix experiment.
var (
	claimMatrixRecommended = Claim{
		ID:       "framework-recommended",
		Text:     "The decision framework: I/O-bound + moderate concurrency → threads; I/O-bound + high concurrency → async; CPU-bound + true parallelism → multiprocessing",
		Quantity: "the recommended model's runtime over the fastest model's on the workload (×)",
		Predicts: "the recommended model is the best: within 10% of the fastest",
		Compare:  AtMost, Tolerance: 0.10,
	}
	claimMatrixThreadsCPU = Claim{
		ID:       "wrong-threads-cpu",
		Text:     "Wrong combinations have real costs: using threads for CPU-bound work produces zero speedup due to the GIL",
		Quantity: "the tasks' CPU time over the wall time: how many cores computed at once (×)",
		Predicts: "none: 1×, one thread computing at a time",
		Compare:  AtMost, Tolerance: 0.15,
	}
	claimMatrixProcessesIO = Claim{
		ID:       "wrong-processes-io",
		Text:     "Using multiprocessing for I/O-bound work adds process overhead with no performance benefit and dramatically increases memory consumption",
		Quantity: "memory of the process pool over that of threads, on the moderate I/O workload (×)",
		Predicts: "dramatically more: at least 10×",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimMatrixProcessesIOTime = Claim{
		ID:       "wrong-processes-io-time",
		Text:     "Using multiprocessing for I/O-bound work brings no performance benefit",
		Quantity: "runtime of the process pool over that of threads, on the moderate I/O workload, start-up included (×)",
		Predicts: "no faster: at least 1×",
		Compare:  AtLeast, Tolerance: 0.02,
	}
)

// Matrix is the experiment "the decision framework".
var Matrix = define(about{
	name:    "matrix",
	title:   "The decision framework, measured",
	lecture: "takeaways 9, 10",
	summary: "three workloads (I/O at moderate and at high concurrency, CPU-bound) on every model: runtime and memory as a matrix, the framework's recommended cell against the best",
	claims:  []Claim{claimMatrixRecommended, claimMatrixThreadsCPU, claimMatrixProcessesIO, claimMatrixProcessesIOTime},
}, defaultMatrix, quickMatrix, measureMatrix, judgeMatrix)

// matrixWorkloads are the rows, with the framework's recommendations.
func matrixWorkloads(p *MatrixParams) []MatrixWorkload {
	mk := func(key, name string, class decision.Class, n int, goModel, pyFlavor string) MatrixWorkload {
		return MatrixWorkload{Key: key, Name: name, Class: class, Concurrency: n,
			Rule: decision.Recommend(class, n).Rule, Recommended: goModel, RecommendedPython: "cpython " + pyFlavor}
	}
	return []MatrixWorkload{
		mk("io-moderate", fmt.Sprintf("I/O, %d waits at once", p.Moderate), decision.IOBound, p.Moderate, "gil", model.FlavorThreads),
		mk("io-high", fmt.Sprintf("I/O, %d waits at once", p.High), decision.IOBound, p.High, "eventloop", model.FlavorAsyncio),
		mk("cpu", fmt.Sprintf("CPU, %d × %s", p.CPUTasks, p.CPU), decision.CPUBound, 0, "processes", model.FlavorProcesses),
	}
}

// matrixPlan is how series s runs workload w: its tasks and concurrency.
func matrixPlan(p *MatrixParams, w MatrixWorkload, s series, cores int) ([]model.Task, int) {
	if w.Class == decision.CPUBound {
		tasks := model.Repeat(p.CPUTasks, model.NewTask(model.CPUFor(p.CPU)))
		switch {
		case s.model == "gil", s.model == "processes", s.flavor == model.FlavorThreads, s.flavor == model.FlavorProcesses:
			return tasks, min(cores, p.CPUTasks) // a pool of one per core
		}
		return tasks, p.CPUTasks
	}
	n := w.Concurrency
	tasks := model.Repeat(n, model.NewTask(model.Wait(p.Wait)))
	switch {
	case s.model == "gil":
		return tasks, min(n, maxMatrixThreads) // a thread per wait
	case s.flavor == model.FlavorThreads:
		return tasks, min(n, model.MaxPythonThreads)
	case s.model == "processes", s.flavor == model.FlavorProcesses:
		return tasks, min(n, p.Pool)
	}
	return tasks, n
}

// measureMatrix runs the matrix experiment: every series on every
// workload, Repeat times, interleaved; the fastest run of each cell counts.
func measureMatrix(ctx context.Context, p *MatrixParams, res *MatrixResult, tr *tracker) error {
	p.Repeat = max(1, p.Repeat)
	cores := min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	res.Cores, res.Workloads = cores, matrixWorkloads(p)
	ss, err := res.expandModels(ctx, p.Models, p.Python, model.FlavorThreads, model.FlavorAsyncio, model.FlavorProcesses)
	if err != nil {
		return err
	}
	guess := func(w MatrixWorkload, s series) float64 {
		tasks, conc := matrixPlan(p, w, s, cores)
		per := seconds(p.Wait)
		par := float64(conc)
		if w.Class == decision.CPUBound {
			per = seconds(p.CPU)
			if s.model == "gil" || s.model == "eventloop" || s.flavor == model.FlavorThreads || s.flavor == model.FlavorAsyncio {
				par = 1
			} else {
				par = min(par, float64(cores))
			}
		}
		return float64((len(tasks)+int(par)-1)/int(par)) * per
	}
	type key struct{ w, s string }
	var arms []arm
	var keys []key
	for _, w := range res.Workloads {
		for _, s := range ss {
			tasks, conc := matrixPlan(p, w, s, cores)
			arms = append(arms, arm{stage: fmt.Sprintf("%s: %s", w.Name, s), weight: guess(w, s), model: s.model, tasks: tasks,
				cfg: s.config(model.Config{Concurrency: conc}, p.Python)})
			keys = append(keys, key{w.Key, s.String()})
		}
	}
	tr.expect(weight(p.Repeat, arms))
	byArm, err := res.runArms(ctx, tr, p.Repeat, arms, func(a int) string { return keys[a].w })
	if err != nil {
		return err
	}
	runs := map[key][]int{}
	for a, k := range keys {
		runs[k] = byArm[a]
	}
	for _, w := range res.Workloads {
		for _, s := range ss {
			k := key{w.Key, s.String()}
			pool := s.model == "processes" || s.flavor == model.FlavorProcesses
			runtimeOf := func(i int) time.Duration { return res.Runs[i].Totals.Wall }
			best := slices.MinFunc(runs[k], func(a, b int) int { return cmp.Compare(runtimeOf(a), runtimeOf(b)) })
			run := res.Runs[best].Run
			_, conc := matrixPlan(p, w, s, cores)
			c := MatrixCell{
				Workload: w.Key, Model: s.String(), Concurrency: conc, Run: best, Runs: runs[k],
				Runtime: runtimeOf(best), Memory: max(0, run.Totals.PeakRSS-run.Totals.StartRSS),
				Recommended: s.String() == w.Recommended || s.String() == w.RecommendedPython,
			}
			if pool || s.model == "cpython" {
				c.Setup = run.Totals.Setup
			}
			for _, ws := range run.Workers {
				c.Memory += ws.PeakRSS
			}
			res.Cells = append(res.Cells, c)
		}
	}
	res.rank()
	return nil
}

// python reports whether a series is CPython's.
func python(name string) bool { return strings.HasPrefix(name, "cpython") }

// rank sets each cell's ratio to the fastest in its row and family.
func (res *MatrixResult) rank() {
	for i := range res.Cells {
		c := &res.Cells[i]
		if best, ok := res.fastest(c.Workload, python(c.Model)); ok && best.Runtime > 0 {
			c.Ratio = ratio(c.Runtime, best.Runtime)
		}
	}
}

// fastest is the fastest cell in a row among Go's models or CPython's.
func (res *MatrixResult) fastest(workload string, py bool) (MatrixCell, bool) {
	var best MatrixCell
	found := false
	for _, c := range res.Cells {
		if c.Workload == workload && python(c.Model) == py && (!found || c.Runtime < best.Runtime) {
			best, found = c, true
		}
	}
	return best, found
}

// Cell returns the cell of model on workload.
func (res *MatrixResult) Cell(workload, model string) (MatrixCell, bool) {
	for _, c := range res.Cells {
		if c.Workload == workload && c.Model == model {
			return c, true
		}
	}
	return MatrixCell{}, false
}

// judgeMatrix judges each row's recommendation, in each family, and the
// wrong combinations.
func judgeMatrix(res *MatrixResult) judgement {
	var j judgement
	p := paramsOf[MatrixParams](&res.Report)
	for _, w := range res.Workloads {
		for _, rec := range []string{w.Recommended, w.RecommendedPython} {
			c, ok := res.Cell(w.Key, rec)
			if !ok {
				continue
			}
			best, _ := res.fastest(w.Key, python(rec))
			var row []string
			for _, o := range res.Cells {
				if o.Workload == w.Key && python(o.Model) == python(rec) {
					row = append(row, fmt.Sprintf("%s %s", o.Model, showDur(o.Runtime)))
				}
			}
			detail := fmt.Sprintf("%s: %s; fastest %s; %s", w.Name, w.Rule, best.Model, strings.Join(row, ", "))
			v := claimMatrixRecommended.Judge(Measurement{Model: rec, Value: c.Ratio, Expected: 1, Unit: "×", Detail: detail, Busy: res.busy(c.Run, best.Run)})
			if v.Outcome == DoesNotHold {
				v.Detail += "; " + matrixMiss(w, c, best)
			}
			j.add(v)
		}
	}
	for _, m := range []string{"gil", "cpython " + model.FlavorThreads} {
		if c, ok := res.Cell("cpu", m); ok && c.Run >= 0 {
			// The threads' own CPU clocks, not the calibrated work: an
			// interpreter's speed on a shared machine drifts from its
			// calibration, a thread's CPU time does not lie about it.
			cpu := res.Runs[c.Run].Totals.TaskCPU
			j.add(claimMatrixThreadsCPU.Judge(Measurement{Model: m, Value: ratio(cpu, c.Runtime), Expected: 1, Unit: "×", Busy: res.busy(c.Run),
				Detail: fmt.Sprintf("%d tasks × %s on %d threads: %s of CPU in %s", p.CPUTasks, p.CPU, c.Concurrency, showDur(cpu), showDur(c.Runtime))}))
		}
	}
	for _, pair := range [][2]string{{"processes", "gil"}, {"cpython " + model.FlavorProcesses, "cpython " + model.FlavorThreads}} {
		pc, ok1 := res.Cell("io-moderate", pair[0])
		tc, ok2 := res.Cell("io-moderate", pair[1])
		if !ok1 || !ok2 {
			continue
		}
		// A resident-memory difference under 64 KiB is below what the OS
		// measures reliably: a run of threads that added less counts as that.
		floor := max(tc.Memory, 64<<10)
		j.add(claimMatrixProcessesIO.Judge(Measurement{Model: pair[0], Value: float64(pc.Memory) / float64(floor), Expected: 10, Unit: "×",
			Detail: fmt.Sprintf("%d waits: %d worker processes %.1f MiB, %d threads %.2f MiB", p.Moderate, pc.Concurrency, inMiB(pc.Memory), tc.Concurrency, inMiB(tc.Memory))}))
		j.add(claimMatrixProcessesIOTime.Judge(Measurement{Model: pair[0], Value: ratio(pc.Runtime+pc.Setup, tc.Runtime+tc.Setup), Expected: 1, Unit: "×", Busy: res.busy(pc.Run, tc.Run),
			Detail: fmt.Sprintf("%d waits of %s: %d worker processes %s and %s starting them, %d threads %s and %s starting", p.Moderate, p.Wait,
				pc.Concurrency, showDur(pc.Runtime), showDur(pc.Setup), tc.Concurrency, showDur(tc.Runtime), showDur(tc.Setup))}))
	}
	return j
}

// matrixMiss says why a recommended cell was not the fastest.
func matrixMiss(w MatrixWorkload, rec, best MatrixCell) string {
	switch {
	case best.Model == "goroutines" && w.Class == decision.CPUBound:
		return fmt.Sprintf("on Go's runtime goroutines compute in parallel on every core without processes or pipes (the pool, started before the clock, took %s more)", showDur(rec.Setup))
	case best.Model == "goroutines":
		return "on Go's runtime goroutines are neither threads nor async: the runtime parks a waiting goroutine as an event loop parks a coroutine, and runs the rest on a thread per core"
	case w.Class == decision.IOBound && rec.Concurrency < w.Concurrency:
		return fmt.Sprintf("the recommended model ran %d at a time, fewer than the %d waits", rec.Concurrency, w.Concurrency)
	}
	return fmt.Sprintf("%s was %.2f× the fastest, %s", rec.Model, rec.Ratio, best.Model)
}
