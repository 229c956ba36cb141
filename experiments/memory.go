package experiments

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// MemoryParams are the parameters of the memory experiment.
type MemoryParams struct {
	// Tasks is the largest number of live tasks, the sweep's last point:
	// it runs Tasks/1000, Tasks/100, Tasks/10 and Tasks live tasks.
	Tasks int
	// Models are the models to measure: goroutines (with bare goroutines
	// beside them, the runtime's floor), eventloop, processes, cpython
	// (asyncio).
	Models []string
	// Workers are the processes model's pool sizes: a worker process per
	// live task.
	Workers []int
	// PythonTasks is the largest number of live asyncio tasks, swept like
	// Tasks: CPython takes about a second per 100,000.
	PythonTasks int
	// Profile is how many live tasks the heap breakdown runs, under a
	// memory profile that records every allocation (0: no breakdown).
	Profile int
	// Repeat is how many times each series' most live tasks run, the
	// series taking turns: 0 is six where the longest of those runs takes
	// under two seconds, three otherwise (repeatsFor). The sweep's other
	// counts run once.
	Repeat int
	// Python is the cpython model's interpreter (see model.FindPython).
	Python string
}

// Params binds the parameters to flags.
func (p *MemoryParams) Params() []Param {
	return []Param{
		intParam(&p.Tasks, "tasks", "the most live tasks: the sweep runs tasks/1000, /100, /10 and tasks", 1, model.MaxLive),
		namesParam(&p.Models, "models", "models to measure (goroutines brings bare goroutines beside it; cpython: asyncio)", model.Strings(model.Goroutines, model.EventLoop, model.Processes, model.CPython)),
		intsParam(&p.Workers, "workers", "the processes model's pool sizes, one live task per worker", 1, model.MaxWorkers, 8),
		intParam(&p.PythonTasks, "python-tasks", "the most live asyncio tasks, swept like --tasks", 1, model.MaxPythonLive),
		intParam(&p.Profile, "profile", "live tasks for the heap breakdown by allocation site (0: none)", 0, 200_000),
		intParam(&p.Repeat, "repeat", "runs of each series' most live tasks, series interleaved (0: six where the longest takes under 2 s, three otherwise; the other counts run once)", 0, 20),
		pythonParam(&p.Python),
	}
}

// defaultMemory is the setting: up to a million live tasks on goroutines
// and the event loop, 100,000 on CPython's asyncio, one to eight worker
// processes, the breakdown at 10,000; the most live tasks three times each
// (a million goroutines take several seconds).
func defaultMemory() MemoryParams {
	return MemoryParams{
		Tasks: 1_000_000, Models: model.Strings(model.Goroutines, model.EventLoop, model.Processes, model.CPython),
		Workers: []int{1, 2, 4, 8}, PythonTasks: 100_000, Profile: 10_000,
	}
}

// quickMemory is up to 100,000 live tasks, 5,000 on asyncio.
func quickMemory(p *MemoryParams) {
	p.Tasks, p.PythonTasks, p.Profile = 100_000, 5_000, 2_000
	p.Workers = []int{1, 2, 4}
}

// MemoryPoint is one series at one count of live tasks.
type MemoryPoint struct {
	Model string `json:"model"`
	Tasks int    `json:"tasks"`
	// Total is the memory the live tasks hold (see model.LiveMemory; for
	// processes, the workers' peak resident memory summed); PerTask is
	// Total over Tasks.
	Total   int64   `json:"total_bytes"`
	PerTask float64 `json:"per_task_bytes"`
	// Stacks and Heap are Total's goroutine stacks and heap objects (Go);
	// RSS the resident memory added.
	Stacks int64 `json:"stacks_bytes,omitempty"`
	Heap   int64 `json:"heap_bytes,omitempty"`
	RSS    int64 `json:"rss_bytes,omitempty"`
	// Create is the time to create the tasks and run each to its wait.
	Create time.Duration `json:"create_ns,omitempty"`
	// Run indexes Report.Runs (processes), or is -1.
	Run int `json:"run"`
	// Round is which of the repeated runs at the most live tasks this is,
	// from 1; 0 for a count that ran once.
	Round int `json:"round,omitempty"`
}

// MemorySeries is one series' fit and breakdown.
type MemorySeries struct {
	Model string `json:"model"`
	// PerTask is the slope of Total against live tasks: the bytes each
	// further task adds, with its 95% interval PerTaskCI; Intercept and R2
	// complete the fit.
	PerTask   float64    `json:"per_task_bytes"`
	PerTaskCI measure.CI `json:"per_task_ci"`
	Intercept float64    `json:"intercept_bytes"`
	R2        float64    `json:"r2"`
	// Exponent is the slope of log(Total) against log(live tasks), with its
	// 95% interval: 1 is memory in proportion to the tasks.
	Exponent measure.CI `json:"exponent"`
	// Breakdown is what a task holds, by allocation site (Go, from a
	// memory profile at Profile tasks, with the stacks and the runtime's
	// metadata added) or by type of object (CPython), in bytes per task.
	Breakdown []MemoryPart `json:"breakdown,omitempty"`
	// Recorder is the experiment's own bookkeeping per task (a span),
	// measured apart and not counted.
	Recorder float64 `json:"recorder_bytes_per_task,omitempty"`
	// CreatePerTask is the time to create a task, at the largest point.
	CreatePerTask time.Duration `json:"create_per_task_ns,omitempty"`
}

// MemoryPart is one part of a task's memory.
type MemoryPart struct {
	Part    string  `json:"part"`
	Bytes   float64 `json:"bytes_per_task"`
	Objects float64 `json:"objects_per_task,omitempty"`
}

// MemoryResult is the result of the memory experiment.
type MemoryResult struct {
	Report
	Points []MemoryPoint  `json:"points"`
	Series []MemorySeries `json:"series"`
}

// The series' names: goroutines bare (model.LiveBare), and the models'
// series (goroutines, eventloop, processes, CPython's asyncio).
const seriesBare = "bare goroutines"

var seriesAsyncio = model.PythonSeries(model.FlavorAsyncio)

// Claims of the memory experiment.
var (
	claimLiveLinear = Claim{
		ID:       "live-linear",
		Source:   Lecture,
		Quote:    "Memory usage scales with number of live coroutines, not just amount of work.",
		Cite:     "Lecture 18, question 6, the answer",
		Short:    "Memory scales with live tasks",
		Text:     "Memory usage scales with the number of live coroutines: each task is an object graph, and all of them sit in memory simultaneously",
		Quantity: "exponent of the memory held against the live tasks, fitted on log-log axes over every run (worker processes for processes), with its 95% interval",
		Predicts: "in proportion: an exponent from 0.9 to 1.1",
		Compare:  Within, Tolerance: 0.1,
	}
	claimLiveGoroutine = Claim{
		ID:       "live-goroutine",
		Source:   Check,
		Short:    "A goroutine costs 2 KiB plus a little",
		Text:     "A goroutine costs its minimum stack, 2 KiB, plus a little",
		Quantity: "bytes each further live goroutine adds: the slope of a straight line through every run, with its 95% interval",
		Predicts: "2 KiB of stack and under 1 KiB more: at most 3 KiB",
		Compare:  AtMost, Tolerance: 0,
	}
	claimLiveLoop = Claim{
		ID:       "live-loop",
		Source:   Lecture,
		Quote:    "This model scales to thousands of concurrent connections at minimal memory and CPU cost.",
		Cite:     "Lecture 18, key takeaway “Async is correct for high-concurrency I/O”",
		Short:    "An async task costs little memory",
		Text:     "Async scales to thousands of concurrent tasks at minimal memory cost: an event loop's task is resumable state, not a stack",
		Quantity: "bytes per live task at the most live tasks, on the event loop model and on CPython's asyncio, over bytes per live goroutine at its most, round by round",
		Predicts: "well below a goroutine: at most a quarter",
		Compare:  AtMost, Tolerance: 0,
	}
	claimLiveProcesses = Claim{
		ID:       "live-processes",
		Source:   Lecture,
		Quote:    "Processes cost more memory",
		Cite:     "Lecture 18, question 2, the answer",
		Text:     "Processes cost more memory: each worker is a whole program with its own runtime",
		Quantity: "peak resident memory per worker process (MiB)",
		Predicts: "megabytes: at least 1 MiB, where a task costs kilobytes",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimLiveObjects = Claim{
		ID:       "live-objects",
		Source:   Lecture,
		Quote:    "Each task allocates: … A coroutine object … A Task wrapper … Stack frames … Future objects",
		Cite:     "Lecture 18, question 6, the answer",
		Short:    "A task is a coroutine, a Task, frames, futures",
		Text:     "Each task allocates a coroutine object, a Task wrapper, stack frames and future objects",
		Quantity: "the fewest objects per live task among coroutines, Tasks and Futures (frames live inside coroutines)",
		Predicts: "at least one of each per task",
		Compare:  AtLeast, Tolerance: 0,
	}
)

// Memory is the experiment "memory scales with concurrency".
var Memory = define(about{
	name:    "memory",
	title:   "Memory scales with live tasks",
	lecture: "Q6",
	summary: "up to a million tasks alive at once on goroutines and the event loop, 100,000 on CPython's asyncio, a few worker processes: the bytes each live task holds, what they are, and the time to create them",
	claims:  []Claim{claimLiveLinear, claimLiveGoroutine, claimLiveLoop, claimLiveProcesses, claimLiveObjects},
}, defaultMemory, quickMemory, measureMemory, judgeMemory)

// liveSweep is the counts of live tasks up to top: top/1000, top/100,
// top/10 and top, those at least 1, without repeats.
func liveSweep(top int) []int {
	var out []int
	for _, d := range []int{1000, 100, 10, 1} {
		if n := top / d; n >= 1 && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// liveCost is a rough time per live task, for progress.
func liveCost(series string) float64 {
	switch series {
	case string(model.Goroutines):
		return 8e-6
	case seriesAsyncio:
		return 150e-6
	}
	return 2e-6
}

// measureMemory runs the memory experiment: each in-process series at each
// count of the sweep in a fresh child process (model.MeasureLive),
// CPython's asyncio in its interpreter (model.PythonLive), the processes
// model at each pool size, then the breakdowns and each series' fit.
func measureMemory(ctx context.Context, p *MemoryParams, res *MemoryResult, tr *tracker) error {
	live, py, err := memorySeries(ctx, p, res)
	if err != nil {
		return err
	}
	mr := memoryRunner{ctx: ctx, p: p, res: res, tr: tr, plan: planMemory(p, live, py, tr),
		sites: map[string]*model.LiveMemory{}}
	if err := mr.sweep(); err != nil {
		return err
	}
	if err := mr.breakdowns(); err != nil {
		return err
	}
	if mr.plan.procs {
		if err := mr.processes(); err != nil {
			return err
		}
	}
	res.fitMemory(mr.sites)
	return nil
}

// memorySeries are the series measured by model.MeasureLive, in order,
// and whether CPython's asyncio runs: asked for, and its interpreter found
// (where it is not, a note says so).
func memorySeries(ctx context.Context, p *MemoryParams, res *MemoryResult) (live []string, py bool, err error) {
	for _, m := range p.Models {
		switch model.Name(m) {
		case model.Goroutines:
			live = append(live, model.LiveBare, m)
		case model.EventLoop:
			live = append(live, m)
		}
	}
	py = slices.Contains(p.Models, string(model.CPython))
	if py {
		in, err := model.Probe(ctx, p.Python)
		switch {
		case errors.Is(err, model.ErrUnavailable):
			res.Notes = append(res.Notes, err.Error()+"; skipped it, the other models ran")
			py = false
		case err != nil:
			return nil, false, err
		default:
			res.Python = in
		}
	}
	return live, py, nil
}

// memoryPlan is what the memory experiment runs: the live series and
// every series swept (all), each one's counts of live tasks (sweep) and
// its most (top), the rounds at the most, and whether the processes model
// runs.
type memoryPlan struct {
	live, all []string
	sweep     map[string][]int
	top       map[string]int
	rounds    int
	procs     bool
}

// planMemory plans the sweeps: the live series up to Tasks, asyncio's up
// to PythonTasks; and tells the tracker the seconds the whole experiment
// is expected to take.
func planMemory(p *MemoryParams, live []string, py bool, tr *tracker) memoryPlan {
	pl := memoryPlan{live: live, all: slices.Clone(live), sweep: map[string][]int{}, top: map[string]int{}}
	for _, s := range live {
		pl.sweep[s] = liveSweep(p.Tasks)
	}
	if py {
		pl.all = append(pl.all, seriesAsyncio)
		pl.sweep[seriesAsyncio] = liveSweep(p.PythonTasks)
	}
	longest := 0.0
	for _, s := range pl.all {
		pl.top[s] = slices.Max(pl.sweep[s])
		longest = max(longest, liveWeight(liveName(s), pl.top[s]))
	}
	pl.rounds = p.Repeat
	if pl.rounds == 0 {
		pl.rounds = repeatsFor(time.Duration(longest * float64(time.Second)))
	}
	total := 0.0
	for _, s := range pl.all {
		for _, n := range pl.sweep[s] {
			w := liveWeight(liveName(s), n)
			if n == pl.top[s] {
				w *= float64(pl.rounds)
			}
			total += w
		}
	}
	for _, s := range live {
		if p.Profile > 0 {
			total += 0.05 + float64(p.Profile)*liveCost(liveName(s))*5
		}
	}
	pl.procs = slices.Contains(p.Models, string(model.Processes))
	if pl.procs {
		for _, w := range p.Workers {
			total += 0.2 + 0.02*float64(w)
		}
	}
	tr.expect(total)
	return pl
}

// memoryRunner runs the memory experiment's measurements into its result;
// sites are the runs each series' breakdown is read from, by series.
type memoryRunner struct {
	ctx   context.Context
	p     *MemoryParams
	res   *MemoryResult
	tr    *tracker
	plan  memoryPlan
	sites map[string]*model.LiveMemory
}

// one measures series s (a MeasureLive model, or seriesAsyncio) at n live
// tasks, in round round of the most live tasks (0: a count run once).
func (mr memoryRunner) one(s string, n, round int) error {
	name := liveName(s)
	stage := fmt.Sprintf("%s, %d live tasks", name, n)
	if round > 0 {
		stage += fmt.Sprintf(" (run %d of %d)", round, mr.plan.rounds)
	}
	done := mr.tr.stage(stage, liveWeight(name, n))
	var lm *model.LiveMemory
	var err error
	if s == seriesAsyncio {
		lm, err = model.PythonLive(mr.ctx, mr.p.Python, n)
	} else {
		lm, err = model.MeasureLive(mr.ctx, s, n, false)
	}
	if err != nil {
		return err
	}
	if done != nil {
		done(1, 1)
	}
	pt := MemoryPoint{Model: name, Tasks: n, Total: lm.Total, PerTask: lm.PerTask(), RSS: lm.RSS, Create: lm.Create, Run: -1, Round: round}
	if s != seriesAsyncio {
		pt.Stacks, pt.Heap = lm.Stacks, lm.HeapObjects
	}
	mr.res.Points = append(mr.res.Points, pt)
	if _, ok := mr.sites[name]; !ok || s == seriesAsyncio || n == mr.plan.top[s] {
		mr.sites[name] = lm // the recorder's cost (Go), the objects by type (CPython), until a profile run replaces it
	}
	return nil
}

// sweep measures the sweep's smaller counts once each, then the most live
// tasks of every series, rounds times, the series taking turns.
func (mr memoryRunner) sweep() error {
	pl := mr.plan
	for _, s := range pl.all {
		for _, n := range pl.sweep[s] {
			if n != pl.top[s] {
				if err := mr.one(s, n, 0); err != nil {
					return err
				}
			}
		}
	}
	return interleave(pl.rounds, len(pl.all), func(k, a int) error {
		r := k + 1
		if pl.rounds == 1 {
			r = 0
		}
		return mr.one(pl.all[a], pl.top[pl.all[a]], r)
	})
}

// breakdowns measures each live series once more at Profile live tasks
// under a memory profile, for its breakdown by allocation site (none where
// Profile is 0).
func (mr memoryRunner) breakdowns() error {
	for _, s := range mr.plan.live {
		if mr.p.Profile == 0 {
			continue
		}
		name := liveName(s)
		done := mr.tr.stage(fmt.Sprintf("%s, breakdown at %d live tasks", name, mr.p.Profile), 0.05+float64(mr.p.Profile)*liveCost(name)*5)
		lm, err := model.MeasureLive(mr.ctx, s, mr.p.Profile, true)
		if err != nil {
			return err
		}
		if done != nil {
			done(1, 1)
		}
		mr.sites[name] = lm
	}
	return nil
}

// processes runs the processes model at each pool size, a live task per
// worker, and reads the workers' peak memory.
func (mr memoryRunner) processes() error {
	res := mr.res
	for _, w := range slices.Compact(slices.Sorted(slices.Values(mr.p.Workers))) {
		tasks := model.Repeat(w, model.NewTask(model.Wait(50*time.Millisecond)))
		run, err := runModel(mr.ctx, mr.tr, fmt.Sprintf("%s, %d workers", model.Processes, w), 0.2+0.02*float64(w), model.Processes, tasks, model.Config{Concurrency: w})
		if err != nil {
			return err
		}
		var sum int64
		for _, ws := range run.Workers {
			sum += ws.PeakRSS
		}
		res.Points = append(res.Points, MemoryPoint{
			Model: string(model.Processes), Tasks: w, Total: sum, PerTask: float64(sum) / float64(w), Create: run.Totals.Setup,
			Run: res.record(fmt.Sprintf("workers=%d", w), run),
		})
	}
	return nil
}

// liveWeight is about how long measuring n live tasks of a series takes,
// in seconds, for progress and the number of repeats.
func liveWeight(series string, n int) float64 {
	if series == seriesAsyncio {
		return 0.2 + float64(n)*liveCost(series)
	}
	return 0.05 + float64(n)*liveCost(series)
}

// liveName is a MeasureLive model's series name.
func liveName(s string) string {
	if s == model.LiveBare {
		return seriesBare
	}
	return s
}

// seriesNames lists the result's series in order of first appearance.
func (res *MemoryResult) seriesNames() []string {
	var out []string
	for _, pt := range res.Points {
		if !slices.Contains(out, pt.Model) {
			out = append(out, pt.Model)
		}
	}
	return out
}

// points returns series name's points, fewest tasks first.
func (res *MemoryResult) points(name string) []MemoryPoint {
	return sortedWhere(res.Points, func(pt MemoryPoint) bool { return pt.Model == name }, func(pt MemoryPoint) int { return pt.Tasks })
}

// fitMemory fits each series and assembles its breakdown.
func (res *MemoryResult) fitMemory(sites map[string]*model.LiveMemory) {
	for _, name := range res.seriesNames() {
		pts := res.points(name)
		s := MemorySeries{Model: name}
		s.fit(pts)
		if last := pts[len(pts)-1]; last.Create > 0 && name != string(model.Processes) {
			s.CreatePerTask = last.Create / time.Duration(max(last.Tasks, 1))
		}
		if lm := sites[name]; lm != nil {
			if lm.RecorderBytes > 0 {
				s.Recorder = float64(lm.RecorderBytes) / float64(lm.Tasks)
			}
			s.Breakdown = breakdown(lm, pts[len(pts)-1])
		}
		res.Series = append(res.Series, s)
	}
}

// fit fits the memory held against the live tasks over every run: a
// straight line (its slope with a 95% interval), and on log-log axes the
// exponent, with its interval.
func (s *MemorySeries) fit(pts []MemoryPoint) {
	var xs, ys, lx, ly []float64
	for _, pt := range pts {
		xs, ys = append(xs, float64(pt.Tasks)), append(ys, float64(pt.Total))
		if pt.Total > 0 {
			lx, ly = append(lx, math.Log(float64(pt.Tasks))), append(ly, math.Log(float64(pt.Total)))
		}
	}
	switch {
	case len(xs) >= 2:
		s.Intercept, s.PerTask, s.R2 = measure.LinearFit(xs, ys)
		s.PerTaskCI = measure.SlopeCI(xs, ys, level)
	case len(xs) == 1:
		s.PerTask, s.R2 = pts[0].PerTask, math.NaN()
		s.PerTaskCI = measure.CI{Median: s.PerTask, Low: s.PerTask, High: s.PerTask, N: 1, Level: level, Method: measure.OneValue}
	}
	if distinct(lx) >= 2 {
		s.Exponent = measure.SlopeCI(lx, ly, level)
	}
}

// breakdown is what a task holds, per task. For Go: the goroutine stack
// and the runtime's metadata from the unprofiled run with the most tasks
// (top; a memory profile adds records of its own to the metadata), the
// heap by allocation site from the profiled run lm. For CPython: the
// objects by type and the rest of what tracemalloc counted.
func breakdown(lm *model.LiveMemory, top MemoryPoint) []MemoryPart {
	if len(lm.Sites) == 0 {
		return nil
	}
	n := float64(lm.Tasks)
	var out []MemoryPart
	sum := 0.0
	if lm.Traced == 0 { // Go
		if st := float64(top.Stacks) / float64(top.Tasks); st >= 1 {
			out = append(out, MemoryPart{Part: "goroutine stack", Bytes: st})
			sum += st
		}
	}
	for _, s := range lm.Sites {
		b := float64(s.Bytes) / n
		out = append(out, MemoryPart{Part: s.Site, Bytes: b, Objects: float64(s.Objects) / n})
		sum += b
	}
	rest, total := "the runtime's metadata and the heap's slack", top.PerTask
	if lm.Traced > 0 {
		rest, total = "other (containers' buffers, objects the collector does not track)", lm.PerTask()
	}
	if r := total - sum; r >= 1 {
		out = append(out, MemoryPart{Part: rest, Bytes: r})
	}
	return out
}

// series returns the named series.
func (res *MemoryResult) series(name string) (MemorySeries, bool) {
	return firstWhere(res.Series, func(s MemorySeries) bool { return s.Model == name })
}

// judgeMemory judges the claims on each series.
func judgeMemory(res *MemoryResult) judgement {
	var j judgement
	res.judgeLinear(&j)
	res.judgeGoroutine(&j)
	res.judgeLoop(&j)
	res.judgeProcesses(&j)
	res.judgeObjects(&j)
	return j
}

// judgeLinear judges, on every series with three counts or more, the
// exponent of its memory against its live tasks (or worker processes).
func (res *MemoryResult) judgeLinear(j *judgement) {
	for _, s := range res.Series {
		pts := res.points(s.Model)
		counts := map[int]bool{}
		for _, pt := range pts {
			counts[pt.Tasks] = true
		}
		if len(counts) < 3 || s.Exponent.N < 3 {
			continue
		}
		unit := "live tasks"
		if s.Model == string(model.Processes) {
			unit = "worker processes"
		}
		e := s.Exponent
		j.add(claimLiveLinear.Judge(Measurement{Model: s.Model, Interval: &e, Expected: 1, Unit: "exponent",
			Detail: fmt.Sprintf("memory ∝ %s^%.3f over %d runs from %d to %d %s; a straight line: %s per task, intercept %s, R² %.5f",
				unit, e.Median, len(pts), pts[0].Tasks, pts[len(pts)-1].Tasks, unit, units.Bytes(s.PerTask), units.Bytes(s.Intercept), s.R2)}))
	}
}

// judgeGoroutine judges the bytes each further goroutine adds, bare and
// running a task.
func (res *MemoryResult) judgeGoroutine(j *judgement) {
	for _, name := range []string{seriesBare, string(model.Goroutines)} {
		s, ok := res.series(name)
		if !ok {
			continue
		}
		pts := res.points(name)
		top := pts[len(pts)-1]
		detail := fmt.Sprintf("the fit over %d runs from %d to %d live tasks; at %d: %s of stack and %s of heap per task",
			len(pts), pts[0].Tasks, top.Tasks, top.Tasks, units.Bytes(float64(top.Stacks)/float64(top.Tasks)), units.Bytes(float64(top.Heap)/float64(top.Tasks)))
		ci := s.PerTaskCI
		v := claimLiveGoroutine.Judge(Measurement{Model: name, Interval: &ci, Expected: 3072, Unit: "B", Detail: detail})
		if v.Outcome == DoesNotHold && top.Stacks > int64(top.Tasks)*2048 {
			v.Detail += "; the stack grew past its 2 KiB start: a task parked in a select on a timer and its context, a few calls deep, needs more than 2 KiB less the runtime's guard, and a goroutine's stack grows by doubling"
		}
		j.add(v)
	}
}

// judgeLoop judges an event loop's task against a goroutine, each at its
// most live tasks, round by round.
func (res *MemoryResult) judgeLoop(j *judgement) {
	g := res.atMost(string(model.Goroutines))
	if len(g) == 0 {
		return
	}
	for _, name := range []string{string(model.EventLoop), seriesAsyncio} {
		e := res.atMost(name)
		if len(e) == 0 {
			continue
		}
		ratios := roundByRound(e, g, func(x, y MemoryPoint) float64 { return x.PerTask / y.PerTask })
		j.add(claimLiveLoop.Judge(Measurement{Model: name, Samples: ratios, Expected: 0.25, Unit: "×",
			Detail: fmt.Sprintf("%s per task at %d live tasks, %s per goroutine at %d (medians of %d and %d runs)",
				units.Bytes(medianPerTask(e)), e[0].Tasks, units.Bytes(medianPerTask(g)), g[0].Tasks, len(e), len(g))}))
	}
}

// judgeProcesses judges the mean memory of a worker process over every
// pool.
func (res *MemoryResult) judgeProcesses(j *judgement) {
	pts := res.points(string(model.Processes))
	if len(pts) == 0 {
		return
	}
	var sum int64
	var n int
	for _, pt := range pts {
		sum += pt.Total
		n += pt.Tasks
	}
	j.add(claimLiveProcesses.Judge(Measurement{Model: string(model.Processes), Value: units.MiB(sum) / float64(n), Expected: 1, Unit: "MiB",
		Detail: fmt.Sprintf("mean over %d workers in %d pools; resident memory counts the program's code in every worker, though the OS shares those pages", n, len(pts))}))
}

// judgeObjects judges the objects an asyncio task allocates: the fewest
// per task among coroutines, Tasks and Futures.
func (res *MemoryResult) judgeObjects(j *judgement) {
	s, ok := res.series(seriesAsyncio)
	if !ok {
		return
	}
	per := map[string]float64{}
	for _, b := range s.Breakdown {
		per[b.Part] = b.Objects
	}
	least, which := math.Inf(1), ""
	var parts []string
	for _, t := range []string{"coroutine", "_asyncio.Task", "_asyncio.Future"} {
		parts = append(parts, fmt.Sprintf("%s %.2f", t, per[t]))
		if per[t] < least {
			least, which = per[t], t
		}
	}
	top := res.points(seriesAsyncio)
	j.add(claimLiveObjects.Judge(Measurement{Model: seriesAsyncio, Value: least, Expected: 1, Unit: "objects",
		Detail: fmt.Sprintf("at %d live tasks, per task: %s (fewest: %s); %s per task in all, by tracemalloc", top[len(top)-1].Tasks, strings.Join(parts, ", "), which, units.Bytes(s.PerTask))}))
}

// atMost is series name's runs at its most live tasks, in round order.
func (res *MemoryResult) atMost(name string) []MemoryPoint {
	pts := res.points(name)
	if len(pts) == 0 {
		return nil
	}
	top := pts[len(pts)-1].Tasks
	return sortedWhere(pts, func(pt MemoryPoint) bool { return pt.Tasks == top }, func(pt MemoryPoint) int { return pt.Round })
}

// medianPerTask is the median bytes per task of pts.
func medianPerTask(pts []MemoryPoint) float64 {
	xs := make([]float64, len(pts))
	for i, pt := range pts {
		xs[i] = pt.PerTask
	}
	return measure.Median(xs)
}

// distinct is how many different values xs holds.
func distinct(xs []float64) int {
	seen := map[float64]bool{}
	for _, x := range xs {
		seen[x] = true
	}
	return len(seen)
}
