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

// SemaphoreParams are the parameters of the semaphore experiment.
type SemaphoreParams struct {
	// Tasks is how many tasks each run has; each waits Latency.
	Tasks int
	// Latency is each task's wait: the simulated I/O.
	Latency time.Duration
	// Limit is the semaphore's limit for the headline runs and the latency
	// sweep.
	Limit int
	// Limits is the limit sweep, at Latency.
	Limits []int
	// Latencies is the latency sweep, at Limit.
	Latencies []time.Duration
	// Repeat is how many times the headline setting runs, each model in
	// turn: its median and 95% interval are judged. The sweeps' other
	// settings run once.
	Repeat int
	// Models are the models to run.
	Models []string
	// Python is the cpython model's interpreter (see model.FindPython).
	Python string
}

// Params binds the parameters to flags.
func (p *SemaphoreParams) Params() []Param {
	return []Param{
		intParam(&p.Tasks, "tasks", "tasks per run, each waiting --latency", 1, 1_000_000),
		durationParam(&p.Latency, "latency", "each task's wait (simulated I/O)", time.Millisecond, time.Minute),
		intParam(&p.Limit, "limit", "semaphore limit: tasks waiting at once", 1, 1_000_000),
		intsParam(&p.Limits, "limits", "limit sweep", 1, 1_000_000, 16),
		durationsParam(&p.Latencies, "latencies", "latency sweep at --limit", time.Millisecond, time.Minute, 16),
		intParam(&p.Repeat, "repeat", "runs of the headline setting, models interleaved (median and 95% interval judged; 6 or more for an interval that assumes no distribution)", 1, 20),
		namesParam(&p.Models, "models", "models to run (cpython: CPython's asyncio)", model.Strings(model.EventLoop, model.Goroutines, model.GILThreads, model.CPython)),
		pythonParam(&p.Python),
	}
}

// defaultSemaphore is the lecture's setting: 1000 tasks waiting 100 ms
// under a semaphore of 100 (about a second a run), six runs of each model
// (repeatsFor), limits from 1 to 1000, latencies from 10 ms to 1 s.
func defaultSemaphore() SemaphoreParams {
	return SemaphoreParams{
		Tasks: 1000, Latency: 100 * time.Millisecond, Limit: 100,
		Limits:    []int{1, 10, 50, 100, 200, 500, 1000},
		Latencies: []time.Duration{10 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond, time.Second},
		Repeat:    repeatsFor(time.Second),
		Models:    model.Strings(model.EventLoop, model.Goroutines, model.CPython),
	}
}

// quickSemaphore shrinks the sweeps: 200 tasks under a limit of 20, still
// about a second a run.
func quickSemaphore(p *SemaphoreParams) {
	p.Tasks, p.Limit = 200, 20
	p.Limits = []int{10, 20, 100, 200}
	p.Latencies = []time.Duration{20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond}
}

// SemaphorePoint is one model at one setting, from one run or several.
type SemaphorePoint struct {
	// Model is the series: the model, or "cpython asyncio".
	Model   string        `json:"model"`
	Tasks   int           `json:"tasks"`
	Limit   int           `json:"limit"`
	Latency time.Duration `json:"latency_ns"`
	// Runs index Report.Runs; Walls and CPUs are those runs' wall times and
	// process CPU times, in the same order.
	Runs  []int           `json:"runs"`
	Walls []time.Duration `json:"walls_ns"`
	CPUs  []time.Duration `json:"cpus_ns"`
	// Runtime is the median of Walls and [Low, High] its 95% interval
	// (measure.MedianCI); all three are the wall time of a single run.
	Runtime time.Duration `json:"runtime_ns"`
	Low     time.Duration `json:"runtime_low_ns"`
	High    time.Duration `json:"runtime_high_ns"`
	// Ideal is ceil(tasks/limit) × latency; Ratio is Runtime/Ideal.
	Ideal time.Duration `json:"ideal_ns"`
	Ratio float64       `json:"ratio"`
	// CPU is the median of CPUs.
	CPU time.Duration `json:"cpu_ns"`
}

// RatioInterval is the 95% interval of Ratio: Low and High over Ideal.
func (p SemaphorePoint) RatioInterval() (low, high float64) {
	return ratio(p.Low, p.Ideal), ratio(p.High, p.Ideal)
}

// SemaphoreResult is the result of the semaphore experiment.
type SemaphoreResult struct {
	Report
	// Headline is each model at the lecture's setting.
	Headline []SemaphorePoint `json:"headline"`
	// Limits and Latencies are the two sweeps, model by model; each passes
	// through the headline setting, where its point is the headline's.
	Limits    []SemaphorePoint `json:"limits"`
	Latencies []SemaphorePoint `json:"latencies"`
}

// idealRuntime is the lecture's formula: ceil(tasks/limit) × latency.
func idealRuntime(tasks, limit int, latency time.Duration) time.Duration {
	return time.Duration(math.Ceil(float64(tasks)/float64(limit))) * latency
}

// timerResolution is how far under the formula a run may come: a wait
// never ends early on any model (Go's timers, and the event loops'
// epoll_wait with its timeout rounded up to whole milliseconds, as
// asyncio's selector rounds it), so a run shorter than the formula means
// waits were cut short or more tasks waited at once than the limit allows.
// The millisecond is the coarsest of the clocks a runtime is read from
// (epoll's timeout, and CPython's loop clock against the child's own), so
// that a reading's rounding cannot make a sound run fail.
const timerResolution = time.Millisecond

// Claims of the semaphore experiment.
var (
	claimSemaphoreNearIdeal = Claim{
		ID:       "semaphore-near-ideal",
		Source:   Lecture,
		Quote:    "Why did semaphore=100 give near-perfect scaling?",
		Cite:     "Lecture 18, question 3, the answer",
		Short:    "semaphore=100: near-perfect scaling",
		Text:     "semaphore=100 gives near-perfect scaling: runtime ≈ (tasks / limit) × latency",
		Quantity: "runtime at the lecture's setting: the median of the repeated runs, with its 95% interval (s)",
		Predicts: "ceil(tasks/limit) × latency: at most 2% over (every model's timers wake in whole milliseconds: an idle Go runtime, like asyncio's selector, waits in epoll with a timeout in milliseconds), and under it by no more than the timer's resolution, 1 ms",
		Compare:  Between, Tolerance: 0.02,
		Slack: timerResolution.Seconds(),
	}
	claimSemaphoreSweep = Claim{
		ID:       "semaphore-sweep",
		Source:   Lecture,
		Quote:    "Runtime ≈ (1000 / concurrency) × latency",
		Cite:     "Lecture 18, question 5, the answer",
		Short:    "Runtime ≈ (tasks / limit) × latency",
		Text:     "Runtime ≈ (tasks / concurrency) × latency, at every limit (the lecture's (1000 / concurrency) × latency, for its 1000 tasks)",
		Quantity: "runtime at each limit of the sweep, the limit furthest from the formula judged (s)",
		Predicts: "ceil(tasks/limit) × latency: at most 5% over, and under it by no more than the timer's resolution, 1 ms",
		Compare:  Between, Tolerance: 0.05, Slack: timerResolution.Seconds(),
	}
	claimLatencyProportional = Claim{
		ID:       "latency-proportional",
		Source:   Lecture,
		Quote:    "runtime increases. … Async doesn’t magically make latency disappear. … It just overlaps waiting.",
		Cite:     "Lecture 18, question 5, the answer",
		Short:    "Runtime grows with the sleep",
		Text:     "If we change sleep to 1 second, runtime grows in proportion: async doesn't make latency disappear, it overlaps waiting",
		Quantity: "slope of runtime against latency, fitted over every run of the latency sweep, with its 95% interval (s per s)",
		Predicts: "ceil(tasks/limit)",
		Compare:  Within, Tolerance: 0.02,
	}
	claimEventloopFidelity = Claim{
		ID:       "eventloop-fidelity",
		Source:   Check,
		Short:    "eventloop model matches asyncio",
		Text:     "The eventloop model behaves as asyncio does: the same runtime under a semaphore, at every limit",
		Quantity: "the eventloop model's runtime over asyncio's, run by run, at the limit of the sweep where they differ most (×)",
		Predicts: "the same: 1",
		Compare:  Within, Tolerance: 0.05,
	}
	claimSleepNoCPU = Claim{
		ID:       "sleep-no-cpu",
		Source:   Lecture,
		Quote:    "Because sleep does not consume CPU.",
		Cite:     "Lecture 18, question 7, the answer",
		Short:    "Sleep uses no CPU",
		Text:     "Sleep does not consume CPU: overlapping waits hides latency without using the processor",
		Quantity: "process CPU time over wall time at the lecture's setting, median of the runs",
		Predicts: "near 0: at most 0.05",
		Compare:  AtMost, Tolerance: 0,
	}
)

// Semaphore is the experiment on the semaphore limit and the latency.
var Semaphore = define(about{
	name:    "semaphore",
	title:   "The semaphore limit and the latency",
	lecture: "Q3, Q5",
	summary: "1000 tasks waiting 100 ms under a semaphore: runtime against ceil(tasks/limit) × latency as the limit and the latency vary",
	claims:  []Claim{claimSemaphoreNearIdeal, claimSemaphoreSweep, claimLatencyProportional, claimSleepNoCPU, claimEventloopFidelity},
}, defaultSemaphore, quickSemaphore, measureSemaphore, judgeSemaphore)

// semaphoreSetting is one setting the experiment runs every model at.
type semaphoreSetting struct {
	limit   int
	latency time.Duration
}

// measureSemaphore runs the semaphore experiment: every model at the
// headline setting Repeat times, interleaved (A B A B …), then every other
// setting of the limit sweep and of the latency sweep once, each model in
// turn. The cpython model runs as CPython's asyncio.
func measureSemaphore(ctx context.Context, p *SemaphoreParams, res *SemaphoreResult, tr *tracker) error {
	ss, err := res.expandModels(ctx, p.Models, p.Python, model.FlavorAsyncio)
	if err != nil {
		return err
	}
	arms := func(st semaphoreSetting) []arm {
		out := make([]arm, len(ss))
		for i, s := range ss {
			out[i] = arm{
				stage:  fmt.Sprintf("%s, limit %d, latency %s", s, st.limit, st.latency),
				weight: idealRuntime(p.Tasks, st.limit, st.latency).Seconds(),
				model:  s.model,
				tasks:  model.Repeat(p.Tasks, model.NewTask(model.Wait(st.latency))),
				cfg:    s.config(model.Config{Concurrency: st.limit}, p.Python),
			}
		}
		return out
	}
	head := semaphoreSetting{p.Limit, p.Latency}
	plan := []semaphoreSetting{head}
	for _, l := range p.Limits {
		plan = appendNew(plan, semaphoreSetting{l, p.Latency})
	}
	for _, lat := range p.Latencies {
		plan = appendNew(plan, semaphoreSetting{p.Limit, lat})
	}
	rounds := func(st semaphoreSetting) int {
		if st == head {
			return p.Repeat
		}
		return 1
	}
	total := 0.0
	for _, st := range plan {
		total += weight(rounds(st), arms(st))
	}
	tr.expect(total)

	points := map[semaphoreSetting][]SemaphorePoint{} // by setting, a point per series
	for _, st := range plan {
		label := fmt.Sprintf("limit=%d latency=%s", st.limit, st.latency)
		idx, err := res.runArms(ctx, tr, rounds(st), arms(st), func(int) string { return label })
		if err != nil {
			return err
		}
		for k, s := range ss {
			points[st] = append(points[st], res.semaphorePoint(s.String(), p.Tasks, st, idx[k]))
		}
	}
	res.Headline = points[head]
	for k := range ss {
		for _, l := range p.Limits {
			res.Limits = append(res.Limits, points[semaphoreSetting{l, p.Latency}][k])
		}
		for _, lat := range p.Latencies {
			res.Latencies = append(res.Latencies, points[semaphoreSetting{p.Limit, lat}][k])
		}
	}
	return nil
}

// semaphorePoint reads one series' runs at a setting.
func (r *Report) semaphorePoint(series string, tasks int, st semaphoreSetting, runs []int) SemaphorePoint {
	pt := SemaphorePoint{Model: series, Tasks: tasks, Limit: st.limit, Latency: st.latency, Runs: runs,
		Ideal: idealRuntime(tasks, st.limit, st.latency)}
	walls, cpus := make([]float64, len(runs)), make([]float64, len(runs))
	for i, k := range runs {
		t := r.Runs[k].Totals
		pt.Walls, pt.CPUs = append(pt.Walls, t.Wall), append(pt.CPUs, t.CPU())
		walls[i], cpus[i] = float64(t.Wall), float64(t.CPU())
	}
	ci := measure.MedianCI(walls, level)
	pt.Runtime, pt.Low, pt.High = time.Duration(ci.Median), time.Duration(ci.Low), time.Duration(ci.High)
	pt.Ratio = ratio(pt.Runtime, pt.Ideal)
	pt.CPU = time.Duration(measure.MedianCI(cpus, level).Median)
	return pt
}

// judgeSemaphore judges the semaphore result: each model's headline
// runtime against the formula, its CPU, its limit sweep (the limit
// furthest from the formula) and latency sweep (the slope), then the
// eventloop model against asyncio.
func judgeSemaphore(r *SemaphoreResult) judgement {
	var j judgement
	for _, h := range r.Headline {
		j.add(claimSemaphoreNearIdeal.Judge(Measurement{
			Model: h.Model, Samples: secondsOf(h.Walls), Expected: h.Ideal.Seconds(), Unit: "s",
			Busy: r.busy(h.Runs...),
			Detail: fmt.Sprintf("%d tasks, limit %d, latency %s: ceil(%d/%d) × %s = %s; ratio %s",
				h.Tasks, h.Limit, h.Latency, h.Tasks, h.Limit, h.Latency, units.Duration(h.Ideal), ratioText(h)),
		}))
		cpu := make([]float64, len(h.Walls))
		for i := range h.Walls {
			cpu[i] = ratio(h.CPUs[i], h.Walls[i])
		}
		j.add(claimSleepNoCPU.Judge(Measurement{
			Model: h.Model, Samples: cpu, Expected: 0.05, Unit: "CPU/wall",
			Detail: fmt.Sprintf("%s of CPU in %s (medians)", units.Duration(h.CPU), units.Duration(h.Runtime)),
		}))
		if v, ok := r.judgeSweep(h.Model); ok {
			j.add(v)
		}
		if v, ok := r.judgeLatency(h.Model); ok {
			j.add(v)
		}
	}
	if v, ok := r.judgeFidelity(); ok {
		j.add(v)
	}
	return j
}

// ratioText writes a point's ratio to the formula, with its interval
// where it has one.
func ratioText(p SemaphorePoint) string {
	lo, hi := p.RatioInterval()
	return figure(p.Ratio, lo, hi, len(p.Walls), "%.4f")
}

// judgeSweep judges every limit of model m's sweep against the formula and
// returns the worst, its detail listing every limit.
func (r *SemaphoreResult) judgeSweep(m string) (Verdict, bool) {
	var vs []Verdict
	var by []string
	for _, pt := range r.Limits {
		if pt.Model != m {
			continue
		}
		vs = append(vs, claimSemaphoreSweep.Judge(Measurement{
			Model: m, Samples: secondsOf(pt.Walls), Expected: pt.Ideal.Seconds(), Unit: "s", Busy: r.busy(pt.Runs...),
			Detail: fmt.Sprintf("limit %d: %d tasks, latency %s, ratio %s", pt.Limit, pt.Tasks, pt.Latency, ratioText(pt)),
		}))
		by = append(by, fmt.Sprintf("%d: %s", pt.Limit, ratioText(pt)))
	}
	if len(vs) == 0 {
		return Verdict{}, false
	}
	v := vs[worst(vs)]
	v.Detail = fmt.Sprintf("the worst of %d limits; %s; ratio by limit: %s", len(vs), v.Detail, strings.Join(by, ", "))
	return v, true
}

// judgeLatency fits model m's runtime against the latency, over every run
// of the latency sweep, and judges the slope against the rounds.
func (r *SemaphoreResult) judgeLatency(m string) (Verdict, bool) {
	var xs, ys []float64
	var runs []int
	lats := map[time.Duration]bool{}
	var limit, tasks int
	for _, pt := range r.Latencies {
		if pt.Model != m {
			continue
		}
		limit, tasks, lats[pt.Latency] = pt.Limit, pt.Tasks, true
		for _, w := range pt.Walls {
			xs, ys = append(xs, pt.Latency.Seconds()), append(ys, w.Seconds())
		}
		runs = append(runs, pt.Runs...)
	}
	if len(lats) < 2 {
		return Verdict{}, false
	}
	ci := measure.SlopeCI(xs, ys, level)
	alpha, _, r2 := measure.LinearFit(xs, ys)
	rounds := math.Ceil(float64(tasks) / float64(limit))
	return claimLatencyProportional.Judge(Measurement{
		Model: m, Interval: &ci, Expected: rounds, Unit: "s/s", Busy: r.busy(runs...),
		Detail: fmt.Sprintf("%d latencies at limit %d, %d tasks: ceil(%d/%d) = %.0f rounds; intercept %.1f ms, R² %.5f",
			len(lats), limit, tasks, tasks, limit, rounds, alpha*1000, r2),
	}), true
}

// judgeFidelity holds the eventloop model to asyncio over the limit sweep,
// run by run (the runs of a round are back to back, so a pair sees the
// same machine): the verdict is at the limit where they are furthest apart,
// and its detail lists every limit.
func (r *SemaphoreResult) judgeFidelity() (Verdict, bool) {
	py, loop := model.PythonSeries(model.FlavorAsyncio), string(model.EventLoop)
	type pair struct{ m, c SemaphorePoint }
	var pairs []pair
	var vs []Verdict
	var diffs []string
	for _, m := range r.Limits {
		if m.Model != loop {
			continue
		}
		for _, c := range r.Limits {
			if c.Model != py || c.Limit != m.Limit {
				continue
			}
			ratios := pairedRatios(m.Walls, c.Walls)
			diffs = append(diffs, fmt.Sprintf("%d: %s", m.Limit, relDiff(float64(m.Runtime), float64(c.Runtime))))
			pairs = append(pairs, pair{m, c})
			vs = append(vs, claimEventloopFidelity.Judge(Measurement{
				Model: loop, Samples: ratios, Expected: 1, Unit: "×", Busy: r.busy(append(slices.Clone(m.Runs), c.Runs...)...),
				Detail: fmt.Sprintf("limit %d: eventloop %s, %s asyncio %s (%s)",
					m.Limit, units.Duration(m.Runtime), pyName(r.Python), units.Duration(c.Runtime), relDiff(float64(m.Runtime), float64(c.Runtime))),
			}))
		}
	}
	if len(vs) == 0 {
		return Verdict{}, false
	}
	i := worst(vs)
	v, w := vs[i], pairs[i]
	v.Detail = fmt.Sprintf("the limit where they differ most; %s; by limit: %s", v.Detail, strings.Join(diffs, ", "))
	if v.Outcome == DoesNotHold {
		// Why: CPython's interpreter spends microseconds creating, starting
		// and scheduling each task, which the Go loop does in a fraction of
		// one; when a round starts hundreds of tasks at once, their waits
		// begin that much later.
		n := min(w.m.Limit, w.m.Tasks)
		started := roundStarted(&r.Report, w.c, n)
		v.Detail += fmt.Sprintf("; asyncio had started its first %d tasks %s after the run began (%s a task), the model %s: CPython's time to create and start a task, which the model does not charge, delays the waits when a round starts many tasks at once",
			n, units.Duration(started), units.Duration(started/time.Duration(n)), units.Duration(roundStarted(&r.Report, w.m, n)))
	}
	return v, true
}

// roundStarted is when the n-th task of pt's first run had started: how long
// the model took to start a first round of n tasks.
func roundStarted(r *Report, pt SemaphorePoint, n int) time.Duration {
	if len(pt.Runs) == 0 || pt.Runs[0] < 0 || pt.Runs[0] >= len(r.Runs) || n < 1 {
		return 0
	}
	spans := r.Runs[pt.Runs[0]].Spans
	if len(spans) == 0 {
		return 0
	}
	starts := make([]time.Duration, len(spans))
	for i, s := range spans {
		starts[i] = s.Start
	}
	slices.Sort(starts)
	return starts[min(n, len(starts))-1]
}

// Tables are the semaphore result's figures: each model at the headline
// setting, then the two sweeps, each runtime and ratio with its 95%
// interval where it comes from several runs.
func (r *SemaphoreResult) Tables() []Table {
	cols := []string{"model", "tasks", "limit", "latency", "runs", "runtime (s)", "ideal (s)", "runtime / ideal", "CPU"}
	row := func(p SemaphorePoint) []string {
		lo, hi := p.RatioInterval()
		return []string{p.Model, fmt.Sprint(p.Tasks), fmt.Sprint(p.Limit), p.Latency.String(), fmt.Sprint(len(p.Walls)),
			figure(p.Runtime.Seconds(), p.Low.Seconds(), p.High.Seconds(), len(p.Walls), "%.4f"),
			fmt.Sprintf("%.4f", p.Ideal.Seconds()), figure(p.Ratio, lo, hi, len(p.Walls), "%.4f"), units.Duration(p.CPU)}
	}
	var out []Table
	for _, t := range []struct {
		title string
		pts   []SemaphorePoint
	}{
		{"At the lecture's setting", r.Headline},
		{"Limit sweep", r.Limits},
		{"Latency sweep", r.Latencies},
	} {
		if len(t.pts) == 0 {
			continue
		}
		tb := Table{Title: t.title, Columns: cols,
			Note: "runtime: the median of the runs, with its 95% interval [low, high] where there are several; ideal: ceil(tasks/limit) × latency"}
		for _, p := range t.pts {
			tb.Rows = append(tb.Rows, row(p))
		}
		out = append(out, tb)
	}
	return out
}
