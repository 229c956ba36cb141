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
	// Repeat is how many times the headline setting runs; its median is
	// judged.
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
		intParam(&p.Repeat, "repeat", "runs of the headline setting (the median is judged)", 1, 20),
		namesParam(&p.Models, "models", "models to run (cpython: CPython's asyncio)", []string{"eventloop", "goroutines", "gil", "cpython"}),
		pythonParam(&p.Python),
	}
}

// DefaultSemaphore returns the lecture's setting: 1000 tasks waiting 100 ms
// under a semaphore of 100, limits from 1 to 1000, latencies from 10 ms to
// 1 s.
func DefaultSemaphore() SemaphoreParams {
	return SemaphoreParams{
		Tasks: 1000, Latency: 100 * time.Millisecond, Limit: 100,
		Limits:    []int{1, 10, 50, 100, 200, 500, 1000},
		Latencies: []time.Duration{10 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond, time.Second},
		Repeat:    3,
		Models:    []string{"eventloop", "goroutines"},
	}
}

// SemaphorePoint is one model at one setting.
type SemaphorePoint struct {
	// Model is the series: the model, or "cpython asyncio".
	Model   string        `json:"model"`
	Tasks   int           `json:"tasks"`
	Limit   int           `json:"limit"`
	Latency time.Duration `json:"latency_ns"`
	// Runs index Report.Runs; Runtime is their median wall time.
	Runs    []int         `json:"runs"`
	Runtime time.Duration `json:"runtime_ns"`
	// Ideal is ceil(tasks/limit) x latency; Ratio is Runtime/Ideal.
	Ideal time.Duration `json:"ideal_ns"`
	Ratio float64       `json:"ratio"`
	// CPU is the process CPU time of the median run.
	CPU time.Duration `json:"cpu_ns"`
}

// SemaphoreResult is the result of the semaphore experiment.
type SemaphoreResult struct {
	Report
	// Headline is each model at the lecture's setting.
	Headline []SemaphorePoint `json:"headline"`
	// Limits and Latencies are the two sweeps.
	Limits    []SemaphorePoint `json:"limits"`
	Latencies []SemaphorePoint `json:"latencies"`
}

// Ideal is the lecture's formula: ceil(tasks/limit) x latency.
func Ideal(tasks, limit int, latency time.Duration) time.Duration {
	return time.Duration(math.Ceil(float64(tasks)/float64(limit))) * latency
}

// Claims of the semaphore experiment.
var (
	ClaimSemaphoreNearIdeal = Claim{
		ID:       "semaphore-near-ideal",
		Text:     "semaphore=100 gives near-perfect scaling: runtime ≈ (tasks / limit) × latency",
		Quantity: "runtime at the lecture's setting, median of the repeats (s)",
		Predicts: "ceil(tasks/limit) × latency",
		Compare:  AtMost, Tolerance: 0.01, // per model below: 1% goroutines, 2% eventloop and gil
	}
	ClaimSemaphoreSweep = Claim{
		ID:       "semaphore-sweep",
		Text:     "Runtime ≈ (1000 / concurrency) × latency, at every limit",
		Quantity: "runtime at each limit of the sweep (s)",
		Predicts: "ceil(tasks/limit) × latency",
		Compare:  AtMost, Tolerance: 0.05,
	}
	ClaimLatencyProportional = Claim{
		ID:       "latency-proportional",
		Text:     "If we change sleep to 1 second, runtime grows in proportion: async doesn't make latency disappear, it overlaps waiting",
		Quantity: "slope of runtime against latency, fitted over the latency sweep (s per s)",
		Predicts: "ceil(tasks/limit)",
		Compare:  Within, Tolerance: 0.02,
	}
	ClaimEventloopFidelity = Claim{
		ID:       "eventloop-fidelity",
		Text:     "The eventloop model behaves as asyncio does: the same runtime under a semaphore, at every limit",
		Quantity: "the eventloop model's runtime at the limit of the sweep where it is furthest from asyncio's (s)",
		Predicts: "asyncio's runtime at that limit",
		Compare:  Within, Tolerance: 0.05,
	}
	ClaimSleepNoCPU = Claim{
		ID:       "sleep-no-cpu",
		Text:     "Sleep does not consume CPU: overlapping waits hides latency without using the processor",
		Quantity: "process CPU time over wall time at the lecture's setting",
		Predicts: "near 0: at most 0.05",
		Compare:  AtMost, Tolerance: 0,
	}
)

// nearIdealTolerance is the headline claim's tolerance per model: Go's
// timers (and so goroutines) overshoot a wait by well under a millisecond;
// asyncio's loop, and our eventloop, round waits up to whole milliseconds.
func nearIdealTolerance(m string) float64 {
	if m == "goroutines" {
		return 0.01
	}
	return 0.02
}

// Semaphore is the experiment on the semaphore limit and the latency.
var Semaphore = register(&Question{
	Name:    "semaphore",
	Title:   "The semaphore limit and the latency",
	Lecture: "Q3, Q5",
	Summary: "1000 tasks waiting 100 ms under a semaphore: runtime against ceil(tasks/limit) × latency as the limit and the latency vary",
	Claims:  []Claim{ClaimSemaphoreNearIdeal, ClaimSemaphoreSweep, ClaimLatencyProportional, ClaimSleepNoCPU, ClaimEventloopFidelity},
	Defaults: func() Params {
		p := DefaultSemaphore()
		return &p
	},
	Quick: func() Params {
		p := DefaultSemaphore()
		p.Tasks, p.Limit, p.Repeat = 200, 20, 1
		p.Limits = []int{5, 20, 100, 200}
		p.Latencies = []time.Duration{20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond}
		return &p
	},
	NewResult: func() Result { return &SemaphoreResult{} },
	Run: func(ctx context.Context, p Params, progress ProgressFunc) (Result, error) {
		return RunSemaphore(ctx, *p.(*SemaphoreParams), progress)
	},
})

// RunSemaphore runs the semaphore experiment: per model, the headline
// setting Repeat times, then the limit sweep and the latency sweep (reusing
// the headline's first run where a sweep passes through it). The cpython
// model runs as CPython's asyncio, and the eventloop model is held to it.
func RunSemaphore(ctx context.Context, p SemaphoreParams, progress ProgressFunc) (*SemaphoreResult, error) {
	if err := Validate(&p); err != nil {
		return nil, err
	}
	t0 := time.Now()
	res := &SemaphoreResult{Report: newReport("semaphore", &p)}
	ss, err := res.expandModels(ctx, p.Models, p.Python, model.FlavorAsyncio)
	if err != nil {
		return nil, err
	}
	total := 0.0
	for _, l := range p.Limits {
		if l != p.Limit {
			total += seconds(Ideal(p.Tasks, l, p.Latency))
		}
	}
	for _, lat := range p.Latencies {
		if lat != p.Latency {
			total += seconds(Ideal(p.Tasks, p.Limit, lat))
		}
	}
	total += float64(p.Repeat) * seconds(Ideal(p.Tasks, p.Limit, p.Latency))
	tr := newTracker(progress, total*float64(len(ss)))

	for _, s := range ss {
		name := s.String()
		point := func(limit int, lat time.Duration, runs []*model.Run, idx []int) SemaphorePoint {
			walls := make([]float64, len(runs))
			for i, r := range runs {
				walls[i] = float64(r.Totals.Wall)
			}
			med := measure.Median(walls)
			// The run nearest the median gives the CPU figure.
			best := 0
			for i := range walls {
				if math.Abs(walls[i]-med) < math.Abs(walls[best]-med) {
					best = i
				}
			}
			ideal := Ideal(p.Tasks, limit, lat)
			return SemaphorePoint{
				Model: name, Tasks: p.Tasks, Limit: limit, Latency: lat, Runs: idx,
				Runtime: time.Duration(med), Ideal: ideal, Ratio: med / float64(ideal),
				CPU: runs[best].Totals.CPU(),
			}
		}
		one := func(limit int, lat time.Duration) (*model.Run, int, error) {
			ideal := Ideal(p.Tasks, limit, lat)
			stage := fmt.Sprintf("%s, limit %d, latency %s", name, limit, lat)
			run, err := runModel(ctx, tr, stage, seconds(ideal), s.model,
				model.Repeat(p.Tasks, model.NewTask(model.Wait(lat))), s.config(model.Config{Concurrency: limit}, p.Python))
			if err != nil {
				return nil, 0, err
			}
			return run, res.record(fmt.Sprintf("limit=%d latency=%s", limit, lat), run), nil
		}

		// Headline.
		var runs []*model.Run
		var idx []int
		for range p.Repeat {
			run, i, err := one(p.Limit, p.Latency)
			if err != nil {
				return nil, err
			}
			runs, idx = append(runs, run), append(idx, i)
		}
		head := point(p.Limit, p.Latency, runs, idx)
		res.Headline = append(res.Headline, head)
		near := ClaimSemaphoreNearIdeal
		near.Tolerance = nearIdealTolerance(name)
		res.judge(near, name, seconds(head.Runtime), seconds(head.Ideal), "s",
			fmt.Sprintf("%d tasks, limit %d, latency %s; median of %d (ratio %.4f)", p.Tasks, p.Limit, p.Latency, p.Repeat, head.Ratio))
		res.judge(ClaimSleepNoCPU, name, ratio(head.CPU, head.Runtime), 0.05, "CPU/wall",
			fmt.Sprintf("%s CPU in %s", head.CPU.Round(time.Microsecond), head.Runtime.Round(time.Millisecond)))

		// Limit sweep.
		worst := SemaphorePoint{}
		for _, l := range p.Limits {
			var pt SemaphorePoint
			if l == p.Limit {
				pt = point(l, p.Latency, runs[:1], idx[:1])
			} else {
				run, i, err := one(l, p.Latency)
				if err != nil {
					return nil, err
				}
				pt = point(l, p.Latency, []*model.Run{run}, []int{i})
			}
			res.Limits = append(res.Limits, pt)
			if pt.Ratio > worst.Ratio {
				worst = pt
			}
		}
		if len(p.Limits) > 0 {
			res.judge(ClaimSemaphoreSweep, name, seconds(worst.Runtime), seconds(worst.Ideal), "s",
				fmt.Sprintf("worst of %d limits: limit %d, ratio %.4f", len(p.Limits), worst.Limit, worst.Ratio))
		}

		// Latency sweep.
		var xs, ys []float64
		for _, lat := range p.Latencies {
			var pt SemaphorePoint
			if lat == p.Latency {
				pt = point(p.Limit, lat, runs[:1], idx[:1])
			} else {
				run, i, err := one(p.Limit, lat)
				if err != nil {
					return nil, err
				}
				pt = point(p.Limit, lat, []*model.Run{run}, []int{i})
			}
			res.Latencies = append(res.Latencies, pt)
			xs, ys = append(xs, seconds(lat)), append(ys, seconds(pt.Runtime))
		}
		if len(slices.Compact(slices.Sorted(slices.Values(xs)))) >= 2 {
			alpha, beta, r2 := measure.LinearFit(xs, ys)
			rounds := math.Ceil(float64(p.Tasks) / float64(p.Limit))
			res.judge(ClaimLatencyProportional, name, beta, rounds, "s/s",
				fmt.Sprintf("%d latencies at limit %d; intercept %.1f ms, R² %.5f", len(xs), p.Limit, alpha*1000, r2))
		}
	}
	res.judgeFidelity()
	tr.finish()
	res.Elapsed = time.Since(t0)
	return res, nil
}

// roundStarted is when the n-th task of pt's first run had started: how long
// the model took to start a first round of n tasks.
func roundStarted(r *Report, pt SemaphorePoint, n int) time.Duration {
	if len(pt.Runs) == 0 || pt.Runs[0] < 0 || pt.Runs[0] >= len(r.Runs) || n < 1 {
		return 0
	}
	spans := r.Runs[pt.Runs[0]].Spans
	starts := make([]time.Duration, len(spans))
	for i, s := range spans {
		starts[i] = s.Start
	}
	slices.Sort(starts)
	return starts[min(n, len(starts))-1]
}

// judgeFidelity holds the eventloop model to asyncio over the limit sweep:
// the verdict is at the limit where they are furthest apart, and its detail
// lists every limit.
func (res *SemaphoreResult) judgeFidelity() {
	py := "cpython " + model.FlavorAsyncio
	var worst, worstReal SemaphorePoint
	var diffs []string
	for _, m := range res.Limits {
		if m.Model != "eventloop" {
			continue
		}
		for _, c := range res.Limits {
			if c.Model != py || c.Limit != m.Limit {
				continue
			}
			diffs = append(diffs, fmt.Sprintf("%d: %s", m.Limit, relDiff(float64(m.Runtime), float64(c.Runtime))))
			if worst.Model == "" || math.Abs(ratio(m.Runtime, c.Runtime)-1) > math.Abs(ratio(worst.Runtime, worstReal.Runtime)-1) {
				worst, worstReal = m, c
			}
		}
	}
	if worst.Model == "" {
		return
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }
	detail := fmt.Sprintf("worst at limit %d: eventloop %s, %s asyncio %s (%s); by limit: %s",
		worst.Limit, ms(worst.Runtime), pyName(res.Python), ms(worstReal.Runtime), relDiff(float64(worst.Runtime), float64(worstReal.Runtime)), strings.Join(diffs, ", "))
	v := ClaimEventloopFidelity.Judge("eventloop", seconds(worst.Runtime), seconds(worstReal.Runtime), "s", detail)
	if !v.Holds {
		// Why: CPython's interpreter spends microseconds creating, starting
		// and scheduling each task, which the Go loop does in a fraction of
		// one; when a round starts hundreds of tasks at once, their waits
		// begin that much later.
		n := min(worst.Limit, worst.Tasks)
		v.Detail += fmt.Sprintf("; asyncio had started its first %d tasks %s after the run began (%.1f µs a task), the model %s: CPython's time to create and start a task, which the model does not charge, delays the waits when a round starts many tasks at once",
			n, ms(roundStarted(&res.Report, worstReal, n)), float64(roundStarted(&res.Report, worstReal, n))/1e3/float64(n), ms(roundStarted(&res.Report, worst, n)))
	}
	res.Verdicts = append(res.Verdicts, v)
}
