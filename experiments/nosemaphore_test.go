package experiments

import (
	"slices"
	"testing"

	"github.com/boundlab/boundlab/experiments/model"
)

// TestRecordNoSemaphore runs the quick no-semaphore experiment with
// CPython's asyncio clients beside the models and records it as testdata,
// with -record.
func TestRecordNoSemaphore(t *testing.T) {
	recordQuick(t, NoSemaphore, "no-semaphore-quick", func(p *NoSemaphoreParams) {
		p.Models = []string{"goroutines", "eventloop", "cpython"}
	})
}

// The no-semaphore experiment on quick parameters, for real: every
// setting ran, the sweep's ends Repeat times in each mode; the client
// process survived every run, counting its failed calls; calls beyond the
// descriptors failed with "too many open files" and none below; under the
// semaphore none failed.
func TestNoSemaphoreQuick(t *testing.T) {
	res := runQuick(t, NoSemaphore, "overload-fails", "too-many-files-above", "too-many-files-below", "semaphore-no-errors")
	checkJSON(t, res)
	p := NoSemaphore.Quick()
	models := len(p.Models)
	if slices.Contains(p.Models, "cpython") && res.Python == nil {
		models-- // no interpreter: skipped with a note
	}
	if want := 2 * len(p.Concurrency) * models; len(res.Points) != want {
		t.Fatalf("%d points, want %d", len(res.Points), want)
	}
	lo, hi := slices.Min(p.Concurrency), slices.Max(p.Concurrency)
	for _, pt := range res.Points {
		want := 0
		if pt.Concurrency == lo || pt.Concurrency == hi {
			want = p.Repeat
		}
		if len(pt.Repeats) != want || !slices.ContainsFunc(pt.All(), func(c CallPoint) bool { return c.Run == pt.Run }) {
			t.Errorf("%s at %d, %s: %d repeats, want %d, the run shown among them", pt.Model, pt.Concurrency, pt.Mode(), len(pt.Repeats), want)
		}
		for _, c := range pt.All() {
			if c.Crash != "" || c.Run < 0 {
				t.Fatalf("%s at %d: the client process died: %s", c.Model, pt.Concurrency, c.Crash)
			}
			if c.NoFile != p.FDLimit || c.OK+c.Failed() != pt.Concurrency {
				t.Fatalf("%s at %d: limit %d, %d answered and %d failed", c.Model, pt.Concurrency, c.NoFile, c.OK, c.Failed())
			}
			files := c.Errors[model.ErrTooManyFiles]
			if above := pt.Concurrency > p.FDLimit; pt.Semaphore == 0 && above != (files > 0) {
				t.Fatalf("%s, %d at once, limit %d: %d too many open files", c.Model, pt.Concurrency, p.FDLimit, files)
			}
		}
	}
	if v, ok := res.Verdict("possible-crash", "goroutines"); !ok || v.Outcome != Observed || v.Measured != 0 {
		t.Errorf("possible-crash: %+v", v)
	}
	if len(res.Tables()) != 3 {
		t.Fatalf("%d tables", len(res.Tables()))
	}
	decoded(t, NoSemaphore, res)
}

// The no-semaphore judge on a recorded quick run (up to 400 calls at
// once, clients limited to 128 descriptors, six runs at each end of the
// sweep, CPython's asyncio clients beside the models) and on copies edited
// so that each claim holds, does not hold, or cannot be decided. Counts
// taken over single runs (too-many-files-below, semaphore-no-errors) have
// no interval, so they hold or do not; the observation reports what
// happened either way.
func TestJudgeNoSemaphore(t *testing.T) {
	// runs edits every run of model m at concurrency c in mode limit.
	runs := func(m string, c, limit int, f func(k int, p *CallPoint)) func(r *NoSemaphoreResult) {
		return func(r *NoSemaphoreResult) {
			for i := range r.Points {
				pt := &r.Points[i]
				if pt.Model == m && pt.Concurrency == c && pt.Semaphore == limit {
					eachRun(&pt.CallRuns, f)
				}
			}
		}
	}
	by := byRound
	// failing makes a share x of a run's calls fail with kind.
	failing := func(kind model.ErrKind) func(p *CallPoint, x float64) {
		return func(p *CallPoint, x float64) {
			n := int(x * float64(p.Tasks))
			p.Errors = map[model.ErrKind]int{kind: n}
			p.OK = p.Tasks - n
		}
	}
	count := func(kind model.ErrKind) func(p *CallPoint, x float64) {
		return func(p *CallPoint, x float64) {
			if p.Errors == nil {
				p.Errors = map[model.ErrKind]int{}
			}
			p.Errors[kind] = int(x)
		}
	}
	throughput := func(p *CallPoint, x float64) { p.Throughput = x * 2000 } // the quick server's capacity
	callP99 := func(p *CallPoint, x float64) { p.CallLatency.P99 = x }
	const g, el, py = "goroutines", "eventloop", "cpython asyncio"
	cases := []judgeCase[NoSemaphoreResult]{
		// possible-crash: an observation, whatever happened.
		{"as recorded", "possible-crash", g, false, nil, Observed, "survived every run"},
		{"a client killed at 400", "possible-crash", g, false, runs(g, 400, 0, func(k int, p *CallPoint) {
			if k == 2 {
				p.Crash, p.Run = "child 4242 was killed by signal: killed", -1
			}
		}), Observed, "at 400: child 4242 was killed"},

		// overload-fails: at least a tenth of the calls at 400 fail.
		{"as recorded", "overload-fails", g, false, nil, Holds, "281 too many open files, 58 timeout"},
		{"every call answered", "overload-fails", g, false, runs(g, 400, 0, by([]float64{0}, failing(model.ErrTimeout))), DoesNotHold, ""},
		{"a client that died fails every call", "overload-fails", el, false, runs(el, 400, 0, func(_ int, p *CallPoint) {
			failing(model.ErrTimeout)(p, 0)
			p.Crash = "child 4242 exited with status 2"
		}), Holds, ""},
		{"around a tenth", "overload-fails", g, false, runs(g, 400, 0, by([]float64{0.05, 0.15, 0.08, 0.12, 0.06, 0.14}, failing(model.ErrTimeout))), Inconclusive, "straddles the bound 0.1"},

		// timeouts: at least 1% time out.
		{"as recorded", "timeouts", el, false, nil, Holds, "timed out in the run shown: 56 of 400"},
		{"none time out", "timeouts", el, false, runs(el, 400, 0, by([]float64{0.5}, failing(model.ErrTooManyFiles))), DoesNotHold, ""},
		{"around 1%", "timeouts", el, false, runs(el, 400, 0, by([]float64{0.005, 0.02, 0.0025, 0.015, 0.03, 0}, failing(model.ErrTimeout))), Inconclusive, "straddles the bound 0.01"},

		// overload-goodput: answered calls a second at most 0.9 of capacity.
		{"as recorded, on a quiet machine", "overload-goodput", g, true, nil, Holds, "against a capacity of 2000"},
		{"the server at capacity", "overload-goodput", g, true, runs(g, 400, 0, by([]float64{0.97, 0.98, 0.99}, throughput)), DoesNotHold, ""},
		{"around 0.9", "overload-goodput", g, true, runs(g, 400, 0, by([]float64{0.85, 0.95, 0.88, 0.93, 0.86, 0.94}, throughput)), Inconclusive, "straddles the bound 0.9"},
		{"as recorded, on a busy machine", "overload-goodput", g, false, nil, Inconclusive, "other work used"},

		// tail-grows: p99 at 400 at least twice that at 10, round by round.
		{"as recorded, on a quiet machine", "tail-grows", py, true, nil, Holds, ""},
		{"the tail as at 10 calls", "tail-grows", py, true, func(r *NoSemaphoreResult) {
			lo := r.points(py, 0)[0]
			runs(py, 400, 0, func(k int, p *CallPoint) {
				if k >= 0 {
					p.Latency.P99 = lo.Repeats[k].Latency.P99 * 1.2
				}
			})(r)
		}, DoesNotHold, ""},
		{"around twice", "tail-grows", py, true, func(r *NoSemaphoreResult) {
			lo := r.points(py, 0)[0]
			x := []float64{1.5, 2.5, 1.8, 2.4, 1.7, 2.6}
			runs(py, 400, 0, func(k int, p *CallPoint) {
				if k >= 0 {
					p.Latency.P99 = lo.Repeats[k].Latency.P99 * x[k]
				}
			})(r)
		}, Inconclusive, "straddles the bound 2"},

		// queue-overflows: at least one SYN dropped.
		{"as recorded", "queue-overflows", el, false, nil, Holds, "SYNs dropped"},
		{"a queue that never filled", "queue-overflows", el, false, runs(el, 400, 0, func(_ int, p *CallPoint) { p.Server.ListenOverflows = 0 }), DoesNotHold, ""},
		{"dropped in some runs only", "queue-overflows", el, false, runs(el, 400, 0, by([]float64{0, 2, 0, 3, 1, 0}, func(p *CallPoint, x float64) { p.Server.ListenOverflows = int64(x) })), Inconclusive, "straddles the bound 1"},

		// too-many-files-above: at least one call runs out of descriptors.
		{"as recorded", "too-many-files-above", g, false, nil, Holds, "281 of 400 at 400 at once"},
		{"descriptors enough", "too-many-files-above", g, false, runs(g, 400, 0, by([]float64{0}, count(model.ErrTooManyFiles))), DoesNotHold, ""},
		{"in some runs only", "too-many-files-above", g, false, runs(g, 400, 0, by([]float64{0, 5, 0, 3, 2, 0}, count(model.ErrTooManyFiles))), Inconclusive, "straddles the bound 1"},

		// too-many-files-below: none below the limit.
		{"as recorded", "too-many-files-below", g, false, nil, Holds, "2 concurrencies below the limit"},
		{"three at 10 calls", "too-many-files-below", g, false, runs(g, 10, 0, func(k int, p *CallPoint) {
			if k == 4 {
				count(model.ErrTooManyFiles)(p, 3)
			}
		}), DoesNotHold, "3 at 10 calls at once"},

		// semaphore-no-errors: no call fails under the semaphore.
		{"as recorded", "semaphore-no-errors", py, false, nil, Holds, "0 of 2560 calls failed in 13 runs"},
		{"a timeout under the semaphore", "semaphore-no-errors", py, false, runs(py, 100, 20, by([]float64{0.01}, failing(model.ErrTimeout))), DoesNotHold, "1 of 2560 calls failed"},

		// semaphore-bounds-latency: a call's p99 at most 1.5 × (10 ms + 2 ms).
		{"as recorded, on a quiet machine", "semaphore-bounds-latency", g, true, nil, Holds, "ceil(20 / 10) × 5ms = 10 ms"},
		{"calls queueing at the server", "semaphore-bounds-latency", g, true, runs(g, 400, 20, by([]float64{40, 45, 50}, callP99)), DoesNotHold, ""},
		{"around the bound", "semaphore-bounds-latency", g, true, runs(g, 400, 20, by([]float64{15, 21, 16, 20, 17, 22}, callP99)), Inconclusive, "straddles the bound 0.018"},

		// capacity-semaphore: from 0.75 to 1.02 of capacity.
		{"as recorded, on a quiet machine", "capacity-semaphore", el, true, nil, Holds, "capacity 10 workers / 5ms = 2000 calls/s"},
		{"half the capacity", "capacity-semaphore", el, true, runs(el, 400, 20, by([]float64{0.5, 0.52, 0.48}, throughput)), DoesNotHold, ""},
		{"above the capacity", "capacity-semaphore", el, true, runs(el, 400, 20, by([]float64{1.3, 1.25, 1.35}, throughput)), DoesNotHold, ""},
		{"around 0.75", "capacity-semaphore", el, true, runs(el, 400, 20, by([]float64{0.7, 0.8, 0.72, 0.78, 0.71, 0.79}, throughput)), Inconclusive, "straddles the bound 0.75"},
		{"as recorded, on a busy machine", "capacity-semaphore", el, false, nil, Inconclusive, "other work used"},
	}
	checkJudge(t, NoSemaphore, "no-semaphore-quick", cases)
}

// The verdict lines and the tables of the recorded run.
func TestNoSemaphoreGolden(t *testing.T) { checkGolden(t, NoSemaphore, "no-semaphore-quick") }

// What the no-semaphore experiment lists is what it judges.
func TestNoSemaphoreClaimsListed(t *testing.T) {
	checkClaimsListed(t, NoSemaphore, "no-semaphore-quick")
}
