package experiments

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
)

// TestRecordAsyncCPU runs the quick async-cpu experiment on every model,
// CPython's asyncio beside them, and records it as testdata, with -record.
func TestRecordAsyncCPU(t *testing.T) {
	recordQuick(t, AsyncCPU, "async-cpu-quick", func(p *AsyncCPUParams) {
		p.Models = []string{"eventloop", "goroutines", "processes", "gil", "cpython"}
	}, func(res *AsyncCPUResult) []int {
		var keep []int
		for _, pt := range res.Points {
			keep = append(keep, pt.Concurrent, pt.Traced)
		}
		return keep
	})
}

// asyncEdit is an edit of a recorded async-cpu result.
type asyncEdit func(r *AsyncCPUResult)

// asyncPoint applies f to series m's point.
func asyncPoint(m string, f func(p *AsyncCPUPoint)) asyncEdit {
	return func(r *AsyncCPUResult) {
		for i := range r.Points {
			if r.Points[i].Model == m {
				f(&r.Points[i])
			}
		}
	}
}

// asyncSpeedups sets series m's speedups, as measured.
func asyncSpeedups(m string, xs ...float64) asyncEdit {
	return asyncPoint(m, func(p *AsyncCPUPoint) { p.Speedups = slices.Clone(xs) })
}

// lags sets series m's worst heartbeat lags, run by run, to f of the
// run's longest step.
func lags(m string, f func(k int, step time.Duration) time.Duration) asyncEdit {
	return asyncPoint(m, func(p *AsyncCPUPoint) {
		for k := range p.MaxLoopLags {
			p.MaxLoopLags[k] = f(k, p.LongestSteps[k])
		}
		p.MaxLoopLag = medianDuration(p.MaxLoopLags)
	})
}

// onCPU sets series m's most tasks on a CPU at once in its traced run: at
// any instant, and for longer than twice the trace's resolution.
func onCPU(m string, most, low int) asyncEdit {
	return asyncPoint(m, func(p *AsyncCPUPoint) { p.MaxComputing, p.MaxComputingLow = most, low })
}

// pyLags sets asyncio's worst lags, run by run, to f of the eventloop
// model's in the same round.
func pyLags(f func(k int, m time.Duration) time.Duration) asyncEdit {
	return func(r *AsyncCPUResult) {
		var m []time.Duration
		asyncPoint("eventloop", func(p *AsyncCPUPoint) { m = slices.Clone(p.MaxLoopLags) })(r)
		lags("cpython asyncio", func(k int, _ time.Duration) time.Duration { return f(k, m[k]) })(r)
	}
}

// The async-cpu judge on a recorded quick run (4 tasks × 30 ms, six rounds
// on every model and CPython's asyncio) and on copies of it edited so that
// each claim holds, does not hold, or cannot be decided.
func TestJudgeAsyncCPU(t *testing.T) {
	const el, gor, pr, gil, py = "eventloop", "goroutines", "processes", "gil", "cpython asyncio"
	one, two := around(1, 0.02), around(1.96, 0.03)
	cases := []struct {
		name, claim, model string
		quiet              bool
		edits              []asyncEdit
		want               Outcome
		why                string
	}{
		// async-no-speedup: within 10% of 1.
		{"no speedup", "async-no-speedup", el, true, []asyncEdit{asyncSpeedups(el, one...)}, Holds, ""},
		{"a loop that ran tasks in parallel", "async-no-speedup", el, true, []asyncEdit{asyncSpeedups(el, two...)}, DoesNotHold, ""},
		{"runs either side of 1.1", "async-no-speedup", el, true, []asyncEdit{asyncSpeedups(el, 1.0, 1.2, 1.05, 1.15, 1.12, 1.02)}, Inconclusive, "straddles the bound 1.1"},
		{"no speedup on a busy machine", "async-no-speedup", el, true, []asyncEdit{asyncSpeedups(el, one...), func(r *AsyncCPUResult) { busyMachine(&r.Report) }}, Inconclusive, "other work used 60%"},
		{"asyncio, as measured, though the calibrated speed would pass", "async-no-speedup", py, true, []asyncEdit{
			asyncSpeedups(py, around(0.7, 0.02)...), asyncPoint(py, func(p *AsyncCPUPoint) { p.Calibrated = one })}, DoesNotHold, "an explanation, not judged) 1.000×"},

		// async-blocks-loop: the worst lag at least 0.9 of the longest step.
		{"lags of three steps", "async-blocks-loop", el, true, []asyncEdit{lags(el, func(_ int, s time.Duration) time.Duration { return 3 * s })}, Holds, ""},
		{"a loop that kept its timers", "async-blocks-loop", el, true, []asyncEdit{lags(el, func(int, time.Duration) time.Duration { return 2 * time.Millisecond })}, DoesNotHold, ""},
		{"lags about the step", "async-blocks-loop", el, true, []asyncEdit{lags(el, func(k int, s time.Duration) time.Duration {
			return time.Duration(float64(s) * []float64{0.8, 1.0, 0.85, 0.95, 1.1, 0.88}[k])
		})}, Inconclusive, "straddles the bound 0.9"},
		{"asyncio's own loop blocked", "async-blocks-loop", py, true, []asyncEdit{lags(py, func(_ int, s time.Duration) time.Duration { return 3 * s })}, Holds, ""},

		// async-one-at-a-time: at most one task on a CPU at once, in the
		// traced run.
		{"one at a time", "async-one-at-a-time", el, false, nil, Holds, "Go's execution tracer"},
		{"asyncio one at a time", "async-one-at-a-time", py, false, nil, Holds, "CPU clock"},
		{"two at once", "async-one-at-a-time", el, false, []asyncEdit{onCPU(el, 2, 2)}, DoesNotHold, ""},
		{"two at once within the trace's resolution", "async-one-at-a-time", py, false, []asyncEdit{onCPU(py, 2, 1)}, Inconclusive, "the overlap may be the trace's"},
		{"no traced run", "async-one-at-a-time", el, false, []asyncEdit{asyncPoint(el, func(p *AsyncCPUPoint) { p.Traced = -1 })}, Inconclusive, "no traced run"},
		{"a result recorded before traced runs", "async-one-at-a-time", el, false, []asyncEdit{asyncPoint(el, func(p *AsyncCPUPoint) { p.Traced = p.Concurrent })}, Inconclusive, "no traced run"},

		// threads-no-speedup on the gil model's threads: at most 1.15x.
		{"gil threads, no speedup", "threads-no-speedup", gil, true, []asyncEdit{asyncSpeedups(gil, one...)}, Holds, ""},
		{"gil threads in parallel", "threads-no-speedup", gil, true, []asyncEdit{asyncSpeedups(gil, two...)}, DoesNotHold, ""},
		{"gil threads either side of 1.15", "threads-no-speedup", gil, true, []asyncEdit{asyncSpeedups(gil, 0.95, 1.25, 1.1, 1.05, 1.3, 1.0)}, Inconclusive, "straddles the bound 1.15"},

		// parallel-cpu: at least 0.85 × min(tasks, cores).
		{"goroutines on two cores", "parallel-cpu", gor, true, []asyncEdit{asyncSpeedups(gor, two...)}, Holds, ""},
		{"processes on one core", "parallel-cpu", pr, true, []asyncEdit{asyncSpeedups(pr, one...)}, DoesNotHold, ""},
		{"processes either side of 1.7", "parallel-cpu", pr, true, []asyncEdit{asyncSpeedups(pr, 1.5, 1.9, 1.6, 1.8, 1.95, 1.65)}, Inconclusive, "straddles the bound 1.7"},
		{"goroutines under GOMAXPROCS=1", "parallel-cpu", gor, true, []asyncEdit{asyncSpeedups(gor, one...), func(r *AsyncCPUResult) { r.Stamp.GOMAXPROCS = 1 }},
			DoesNotHold, "2 cores on the machine, of which GOMAXPROCS 1 lets goroutines use 1"},
		{"processes under GOMAXPROCS=1: each worker a process of its own", "parallel-cpu", pr, true, []asyncEdit{asyncSpeedups(pr, two...), func(r *AsyncCPUResult) { r.Stamp.GOMAXPROCS = 1 }},
			Holds, ""},
		{"processes under a CPU limit of one core", "parallel-cpu", pr, true, []asyncEdit{asyncSpeedups(pr, one...), func(r *AsyncCPUResult) { r.Stamp.CPULimit = 1 }},
			Holds, "2 cores on the machine, 1 under its CPU limit of 1"},

		// lag-fidelity: the model's worst lag within 20% of asyncio's, run
		// by run.
		{"the same lags", "lag-fidelity", el, true, []asyncEdit{pyLags(func(_ int, m time.Duration) time.Duration { return m })}, Holds, ""},
		{"asyncio blocked twice as long", "lag-fidelity", el, true, []asyncEdit{pyLags(func(_ int, m time.Duration) time.Duration { return 2 * m })},
			DoesNotHold, "the lags relative to the longest step"},
		{"rounds that disagree", "lag-fidelity", el, true, []asyncEdit{pyLags(func(k int, m time.Duration) time.Duration {
			return time.Duration(float64(m) * []float64{1, 1.4, 0.9, 1.3, 1.1, 1.0}[k])
		})}, Inconclusive, "straddles the bound 0.8"},
	}
	for _, c := range cases {
		r := recorded(t, AsyncCPU, "async-cpu-quick")
		if c.quiet {
			quiet(&r.Report)
		}
		for _, e := range c.edits {
			e(r)
		}
		checkCase(t, judgeAsyncCPU(r).verdicts, c.claim, c.model, c.name, c.want, c.why, func(Verdict) bool { return true })
	}
}

// The verdict lines and the tables of the recorded run, as recorded and
// quiet.
func TestAsyncCPUGolden(t *testing.T) { checkGolden(t, AsyncCPU, "async-cpu-quick") }

// What async-cpu lists is what it judges.
func TestAsyncCPUClaimsListed(t *testing.T) {
	checkClaimsListed(t, AsyncCPU, "async-cpu-quick")
}

// The live quick run: it completes and gives a well-formed result with
// every claim judged from its six interleaved rounds, outcomes left to the
// verdicts. It checks the mechanism, which a busy machine cannot fake: the
// event loop never runs two tasks' code at once, a timer due during a CPU
// step fires only after it (the worst lag at least the longest step less
// one heartbeat period), gil threads keep at most one core busy, and each
// model's traced run has its tasks on a CPU no more at once than the
// runtime has Ps (one for the event loop and the gil model).
func TestAsyncCPUQuick(t *testing.T) {
	p := goQuick(AsyncCPU)()
	p.Models = append(p.Models, "gil")
	reports := 0
	res, err := AsyncCPU.Run(context.Background(), &p, func(Progress) { reports++ })
	if err != nil {
		t.Fatal(err)
	}
	checkJSON(t, res)
	if reports == 0 || len(res.Points) != 4 {
		t.Fatalf("%d progress reports, %d points", reports, len(res.Points))
	}
	checkVerdicts(t, &res.Report, AsyncCPU.Claims(), p.Repeat, "lag-fidelity")
	for _, pt := range res.Points {
		// Go's tracer for the Go models, exact to its clock; the worker
		// processes' clocks, counted over overlaps they can place.
		limit, source, most := 1, model.TraceGo, pt.MaxComputing
		switch pt.Model {
		case "goroutines":
			limit = runtime.GOMAXPROCS(0)
		case "processes":
			limit, source, most = runtime.NumCPU(), model.TraceClock, pt.MaxComputingLow
		}
		if run := res.traced(pt.Traced); run == nil || run.Trace.Source != source {
			t.Errorf("%s: run %d is not traced from %s", pt.Model, pt.Traced, source)
		} else if most < 1 || most > limit {
			t.Errorf("%s: %d tasks on a CPU at once in the traced run, want 1 to %d", pt.Model, most, limit)
		}
		if len(pt.Speedups) != p.Repeat || !slices.Contains(pt.ConcurrentRuns, pt.Concurrent) || !slices.Contains(pt.SequentialRuns, pt.Sequential) {
			t.Errorf("%s: %d speedups, runs %v / %v, drawn %d / %d", pt.Model, len(pt.Speedups), pt.SequentialRuns, pt.ConcurrentRuns, pt.Sequential, pt.Concurrent)
		}
		for k, i := range pt.ConcurrentRuns {
			run := res.Runs[i].Run
			switch pt.Model {
			case "eventloop":
				if measure.MostAtOnce(model.Intervals(run.Spans, model.KindCPU), 0) > 1 {
					t.Errorf("eventloop, round %d: two tasks computed at once", k)
				}
				if lag, step := run.Totals.MaxLoopLag, longestSegment(run.Spans, model.KindCPU); lag < step-p.Heartbeat {
					t.Errorf("eventloop, round %d: worst lag %v under a %v CPU step", k, lag, step)
				}
			case "gil":
				if c := coresUsed(run); c > 1.1 {
					t.Errorf("gil, round %d: %d threads kept %.2f cores busy", k, p.Tasks, c)
				}
			}
		}
	}
}
