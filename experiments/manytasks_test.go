package experiments

import (
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
)

// TestRecordManyTasks runs the quick many-tasks experiment with CPython's
// asyncio clients beside the models and records it as testdata, with
// -record.
func TestRecordManyTasks(t *testing.T) {
	recordQuick(t, ManyTasks, "many-tasks-quick", func(p *ManyTasksParams) {
		p.Models = []string{"goroutines", "eventloop", "cpython"}
	})
}

// The many-tasks experiment on quick parameters, for real: the ends of the
// sweep ran Repeat times; descriptors stayed within the limit; the client
// process survived, counting the calls beyond its descriptors as "too many
// open files"; memory was sampled and fitted.
func TestManyTasksQuick(t *testing.T) {
	res := runQuick(t, ManyTasks, "fds-track-connections", "too-many-files-beyond", "too-many-files-within")
	checkJSON(t, res)
	p := ManyTasks.Quick()
	if want := len(p.Tasks) * len(p.Models); len(res.Points) != want || len(res.Fits) != len(p.Models) {
		t.Fatalf("%d points, %d fits", len(res.Points), len(res.Fits))
	}
	for _, pt := range res.Points {
		want := 0
		if pt.Tasks == p.Tasks[0] || pt.Tasks == p.Tasks[len(p.Tasks)-1] {
			want = p.Repeat
		}
		if len(pt.Repeats) != want {
			t.Errorf("%s at %d: %d repeats, want %d", pt.Model, pt.Tasks, len(pt.Repeats), want)
		}
		for _, c := range pt.All() {
			if c.Crash != "" {
				t.Fatalf("%s at %d: the client process died: %s", c.Model, c.Tasks, c.Crash)
			}
			if c.PeakFDs > p.FDLimit || c.PeakRSS <= 0 || c.PeakHeap <= 0 || res.Added(c) <= 0 {
				t.Fatalf("%s at %d: peak fds %d, rss %d, heap %d, added %d", c.Model, c.Tasks, c.PeakFDs, c.PeakRSS, c.PeakHeap, res.Added(c))
			}
		}
		if len(pt.Samples) == 0 {
			t.Errorf("%s at %d: no samples of the run shown", pt.Model, pt.Tasks)
		}
	}
	for _, f := range res.Fits {
		if f.Exponent.N != 2*p.Repeat+len(p.Tasks)-2 || f.Coefficient <= 0 {
			t.Errorf("%s: exponent %+v from %d runs, coefficient %v", f.Model, f.Exponent, f.Exponent.N, f.Coefficient)
		}
	}
	if v, ok := res.Verdict("client-survives", "goroutines"); !ok || v.Outcome != Observed || v.Measured != 0 {
		t.Fatalf("client-survives verdict %+v", v)
	}
	decoded(t, ManyTasks, res)
}

// The many-tasks judge on a recorded quick run (250, 1000 and 3000 tasks
// against 500 workers at 200 ms, the clients limited to 2048 descriptors,
// the ends six times each, CPython's asyncio clients beside the models) and
// on copies edited so that each claim holds, does not hold, or cannot be
// decided. Counts over single runs (fds-track-connections,
// too-many-files-within) have no interval: they hold or do not.
func TestJudgeManyTasks(t *testing.T) {
	// runs edits every run of model m at n tasks.
	runs := func(m string, n int, f func(k int, p *CallPoint)) func(r *ManyTasksResult) {
		return func(r *ManyTasksResult) {
			for i := range r.Points {
				pt := &r.Points[i]
				if pt.Model == m && pt.Tasks == n {
					eachRun(pt, f)
				}
			}
		}
	}
	by := byRound
	// like sets a figure of m's runs at 3000 to x times that of the run
	// of the same round at 250.
	like := func(m string, get func(p *CallPoint) *float64, xs ...float64) func(r *ManyTasksResult) {
		return func(r *ManyTasksResult) {
			lo := r.modelPoints(m)[0]
			runs(m, 3000, func(k int, p *CallPoint) {
				if k >= 0 {
					*get(p) = *get(&lo.Repeats[k]) * xs[k%len(xs)]
				}
			})(r)
		}
	}
	failing := func(p *CallPoint, x float64) {
		n := int(x * float64(p.Tasks))
		p.Errors = map[model.ErrKind]int{model.ErrTimeout: n}
		p.OK = p.Tasks - n
	}
	files := func(p *CallPoint, x float64) {
		p.Errors = map[model.ErrKind]int{model.ErrTooManyFiles: int(x)}
	}
	throughput := func(p *CallPoint, x float64) { p.Throughput = x * 2500 } // the quick server's capacity
	p99 := func(p *CallPoint, x float64) { p.Latency.P99 = x * 1200 }       // the queueing bound at 3000: 6 × 200 ms
	busy := func(r *ManyTasksResult) { busyMachine(&r.Report) }
	const g, el, py = "goroutines", "eventloop", "cpython asyncio"
	cases := []judgeCase[ManyTasksResult]{
		// client-survives: an observation, whatever happened.
		{"as recorded", "client-survives", g, false, nil, Observed, "survived every run"},
		{"a client killed at 3000", "client-survives", g, false, runs(g, 3000, func(k int, p *CallPoint) {
			if k == 1 {
				p.Crash, p.Run = "child 4242 was killed by signal: killed", -1
			}
		}), Observed, "at 3000: child 4242 was killed"},

		// collapse-fails: at least a tenth of the calls at 3000 fail.
		{"as recorded", "collapse-fails", g, false, nil, Holds, "962 too many open files"},
		{"every call answered", "collapse-fails", g, false, runs(g, 3000, by([]float64{0}, failing)), DoesNotHold, ""},
		{"around a tenth", "collapse-fails", g, false, runs(g, 3000, by([]float64{0.05, 0.15, 0.08, 0.12, 0.06, 0.14}, failing)), Inconclusive, "straddles the bound 0.1"},

		// collapse-goodput: answered calls a second at most 0.9 of capacity.
		{"as recorded", "collapse-goodput", el, false, nil, Holds, "against a capacity of 2500"},
		{"the server at capacity", "collapse-goodput", el, false, runs(el, 3000, by([]float64{0.96, 0.97, 0.95}, throughput)), DoesNotHold, ""},
		{"around 0.9", "collapse-goodput", el, false, runs(el, 3000, by([]float64{0.85, 0.95, 0.88, 0.93, 0.86, 0.94}, throughput)), Inconclusive, "straddles the bound 0.9"},
		{"on a busy machine", "collapse-goodput", el, false, busy, Inconclusive, "other work used 60%"},

		// collapse-tail: p99 at least 1.1 × the server's queueing bound.
		{"CPython's asyncio, as recorded", "collapse-tail", py, false, nil, Holds, "ceil(3000 / 500) × 200ms = 1.2 s"},
		{"the event loop, as recorded", "collapse-tail", el, false, nil, DoesNotHold, ""},
		{"goroutines, as recorded", "collapse-tail", g, false, nil, Inconclusive, "straddles the bound 1.1"},
		{"twice the bound", "collapse-tail", el, false, runs(el, 3000, by([]float64{2, 2.1, 1.9}, p99)), Holds, ""},

		// memory-per-task: the exponent from 0.9 to 1.1.
		{"CPython's asyncio, as recorded", "memory-per-task", py, false, nil, Holds, "memory ∝ live tasks^0.99"},
		{"the event loop, as recorded: fixed costs weigh at 250 tasks", "memory-per-task", el, false, nil, DoesNotHold, "memory ∝ live tasks^0.79"},
		{"goroutines, as recorded", "memory-per-task", g, false, nil, Inconclusive, "straddles the bound 0.9"},
		{"memory as the square root of the tasks", "memory-per-task", py, false, func(r *ManyTasksResult) {
			for i := range r.Fits {
				if r.Fits[i].Model == py {
					r.Fits[i].Exponent = measure.CI{Median: 0.5, Low: 0.48, High: 0.52, N: 13, Method: measure.SlopeT}
				}
			}
		}, DoesNotHold, ""},

		// gc-cycles: at least twice the collections at 3000 as at 250.
		{"goroutines, as recorded", "gc-cycles", g, false, nil, Holds, "2 collections"},
		{"the event loop, as recorded", "gc-cycles", el, false, nil, DoesNotHold, "1 collections"},
		{"between once and four times", "gc-cycles", g, false, runs(g, 3000, by([]float64{1, 3, 1, 3, 2, 4}, func(p *CallPoint, x float64) { p.GCCycles = int64(x) })), Inconclusive, "straddles the bound 2"},

		// scheduling-delay: a task's wait to start, p99, at least twice.
		{"as recorded", "scheduling-delay", py, false, nil, Holds, ""},
		{"no longer at 3000", "scheduling-delay", py, false, like(py, func(p *CallPoint) *float64 { return &p.StartDelay.P99 }, 1.1, 1.2, 0.9), DoesNotHold, ""},
		{"around twice", "scheduling-delay", py, false, like(py, func(p *CallPoint) *float64 { return &p.StartDelay.P99 }, 1.5, 2.5, 1.8, 2.4, 1.7, 2.6), Inconclusive, "straddles the bound 2"},
		{"on a busy machine", "scheduling-delay", py, false, busy, Inconclusive, "other work used 60%"},

		// latency-variance: σ at least twice.
		{"as recorded", "latency-variance", g, false, nil, Holds, "3000 tasks against 250"},
		{"the same spread", "latency-variance", g, false, like(g, func(p *CallPoint) *float64 { return &p.Latency.Std }, 1, 1.1, 0.9), DoesNotHold, ""},
		{"around twice", "latency-variance", g, false, like(g, func(p *CallPoint) *float64 { return &p.Latency.Std }, 1.5, 2.5, 1.8, 2.4, 1.7, 2.6), Inconclusive, "straddles the bound 2"},
		{"one call answered at 3000: judged at 1000", "latency-variance", g, false, runs(g, 3000, func(k int, p *CallPoint) {
			if k == 3 {
				p.OK = 1
			}
		}), Holds, "1000 tasks against 250"},

		// event-loop-lag: the largest lag at least twice.
		{"as recorded", "event-loop-lag", py, false, nil, Holds, ""},
		{"no more lag at 3000", "event-loop-lag", py, false, func(r *ManyTasksResult) {
			lo := r.modelPoints(py)[0]
			runs(py, 3000, func(k int, p *CallPoint) {
				if k >= 0 {
					p.MaxLoopLag = lo.Repeats[k].MaxLoopLag
				}
			})(r)
		}, DoesNotHold, ""},
		{"around twice", "event-loop-lag", py, false, func(r *ManyTasksResult) {
			lo := r.modelPoints(py)[0]
			x := []float64{1.5, 2.5, 1.8, 2.4, 1.7, 2.6}
			runs(py, 3000, func(k int, p *CallPoint) {
				if k >= 0 {
					p.MaxLoopLag = time.Duration(float64(lo.Repeats[k].MaxLoopLag) * x[k])
				}
			})(r)
		}, Inconclusive, "straddles the bound 2"},

		// fds-track-connections: descriptors reach min(tasks + open, limit).
		{"as recorded", "fds-track-connections", el, false, nil, Holds, ""},
		{"half the sockets open at once", "fds-track-connections", el, false, runs(el, 1000, func(_ int, p *CallPoint) { p.PeakFDs = 500 }), DoesNotHold, "lowest at 1000 tasks"},

		// too-many-files-beyond: some beyond the limit.
		{"as recorded", "too-many-files-beyond", el, false, nil, Holds, "3000 tasks against a limit of 2048"},
		{"none beyond", "too-many-files-beyond", el, false, runs(el, 3000, by([]float64{0}, files)), DoesNotHold, ""},
		{"in some runs only", "too-many-files-beyond", el, false, runs(el, 3000, by([]float64{0, 5, 0, 3, 2, 0}, files)), Inconclusive, "straddles the bound 1"},

		// too-many-files-within: none within.
		{"as recorded", "too-many-files-within", g, false, nil, Holds, "2 task counts within the limit"},
		{"three at 250", "too-many-files-within", g, false, runs(g, 250, func(k int, p *CallPoint) {
			if k == 2 {
				files(p, 3)
			}
		}), DoesNotHold, "3 at 250 tasks"},
	}
	checkJudge(t, ManyTasks, "many-tasks-quick", cases)
}

// The verdict lines and the tables of the recorded run.
func TestManyTasksGolden(t *testing.T) { checkGolden(t, ManyTasks, "many-tasks-quick") }

// What the many-tasks experiment lists is what it judges.
func TestManyTasksClaimsListed(t *testing.T) { checkClaimsListed(t, ManyTasks, "many-tasks-quick") }
