package experiments

import (
	"testing"
	"time"
)

// The semaphore's judge on a recorded quick run (200 tasks, limit 20,
// 100 ms, six runs of each model, CPython's asyncio beside them) and on
// copies of it edited so that each claim holds, does not hold, or cannot be
// decided: every outcome of every claim, without timing anything.
func TestJudgeSemaphore(t *testing.T) {
	// each edits the points of series m at the given limit and latency (0:
	// any), in the headline and both sweeps alike.
	each := func(r *SemaphoreResult, m string, limit int, lat time.Duration, f func(p *SemaphorePoint)) {
		for _, pts := range [][]SemaphorePoint{r.Headline, r.Limits, r.Latencies} {
			for i := range pts {
				p := &pts[i]
				if p.Model == m && (limit == 0 || p.Limit == limit) && (lat == 0 || p.Latency == lat) {
					f(p)
				}
			}
		}
	}
	walls := func(f func(i int, w time.Duration) time.Duration) func(p *SemaphorePoint) {
		return func(p *SemaphorePoint) {
			ws := make([]time.Duration, len(p.Walls))
			for i, w := range p.Walls {
				ws[i] = f(i, w)
			}
			p.Walls = ws
		}
	}
	scale := func(x float64) func(p *SemaphorePoint) {
		return walls(func(_ int, w time.Duration) time.Duration { return time.Duration(float64(w) * x) })
	}
	const g, el, py = "goroutines", "eventloop", "cpython asyncio"
	head := 100 * time.Millisecond // the quick setting's latency
	cases := []struct {
		name, claim, model string
		quiet              bool
		edit               func(r *SemaphoreResult)
		want               Outcome
		why                string
	}{
		// semaphore-near-ideal: within 2% over the formula, and not under
		// it by more than 1 ms.
		{"as recorded, on a quiet machine", "semaphore-near-ideal", g, true, nil, Holds, ""},
		{"5% slow", "semaphore-near-ideal", g, true, func(r *SemaphoreResult) { each(r, g, 20, head, scale(1.05)) }, DoesNotHold, ""},
		{"a semaphore that limits nothing: one latency", "semaphore-near-ideal", g, true, func(r *SemaphoreResult) {
			each(r, g, 20, head, walls(func(_ int, w time.Duration) time.Duration { return head + w%time.Millisecond }))
		}, DoesNotHold, ""},
		{"a limit of 25, not 20: 8 rounds", "semaphore-near-ideal", g, true, func(r *SemaphoreResult) { each(r, g, 20, head, scale(0.8)) }, DoesNotHold, ""},
		{"one slow run among six", "semaphore-near-ideal", g, true, func(r *SemaphoreResult) {
			each(r, g, 20, head, walls(func(i int, w time.Duration) time.Duration {
				if i == 2 {
					return 1040 * time.Millisecond
				}
				return w
			}))
		}, Inconclusive, "straddles the bound 1.02: the runs vary more than the claim's margin"},
		{"two runs only", "semaphore-near-ideal", g, true, func(r *SemaphoreResult) {
			each(r, g, 20, head, func(p *SemaphorePoint) { p.Walls = []time.Duration{p.Walls[0], p.Walls[2]} })
		}, Inconclusive, "too few runs (2)"},
		{"as recorded, on a busy machine", "semaphore-near-ideal", g, false, nil, Inconclusive, "other work used 61% of the machine's cores during the runs"},
		{"CPython's asyncio, at its 2%", "semaphore-near-ideal", py, true, nil, Inconclusive, "straddles the bound 1.02"},

		// semaphore-sweep: every limit within 5% over, not under.
		{"as recorded, on a quiet machine", "semaphore-sweep", g, true, nil, Holds, ""},
		{"10% slow at limit 10", "semaphore-sweep", g, true, func(r *SemaphoreResult) { each(r, g, 10, 0, scale(1.1)) }, DoesNotHold, "limit 10"},
		{"half the formula at limit 10", "semaphore-sweep", g, true, func(r *SemaphoreResult) { each(r, g, 10, 0, scale(0.5)) }, DoesNotHold, "limit 10"},
		{"one slow run at the headline limit", "semaphore-sweep", g, true, func(r *SemaphoreResult) {
			each(r, g, 20, head, walls(func(i int, w time.Duration) time.Duration {
				if i == 0 {
					return 1060 * time.Millisecond
				}
				return w
			}))
		}, Inconclusive, "straddles the bound 1.05"},

		// latency-proportional: the slope within 2% of the rounds.
		{"as recorded, on a quiet machine", "latency-proportional", g, true, nil, Holds, ""},
		{"runtime grows at half the rate", "latency-proportional", g, true, func(r *SemaphoreResult) {
			each(r, g, 20, 0, func(p *SemaphorePoint) {
				walls(func(_ int, w time.Duration) time.Duration { return w - 5*p.Latency })(p)
			})
		}, DoesNotHold, ""},
		{"one run far off the line", "latency-proportional", g, true, func(r *SemaphoreResult) {
			each(r, g, 20, 20*time.Millisecond, scale(1.2))
		}, Inconclusive, "scatter about the fitted line"},

		// sleep-no-cpu: the CPU over the wall at most 0.05.
		{"as recorded", "sleep-no-cpu", g, false, nil, Holds, ""},
		{"half a core busy", "sleep-no-cpu", g, false, func(r *SemaphoreResult) {
			each(r, g, 20, head, func(p *SemaphorePoint) {
				for i := range p.CPUs {
					p.CPUs[i] = p.Walls[i] / 2
				}
			})
		}, DoesNotHold, ""},
		{"around the bound", "sleep-no-cpu", g, false, func(r *SemaphoreResult) {
			each(r, g, 20, head, func(p *SemaphorePoint) {
				for i, x := range []float64{0.03, 0.04, 0.04, 0.045, 0.06, 0.07} {
					p.CPUs[i] = time.Duration(x * float64(p.Walls[i]))
				}
			})
		}, Inconclusive, "straddles the bound 0.05"},

		// eventloop-fidelity: the model within 5% of asyncio, run by run.
		{"as recorded, on a quiet machine", "eventloop-fidelity", el, true, nil, Holds, ""},
		{"asyncio 20% slower at limit 10", "eventloop-fidelity", el, true, func(r *SemaphoreResult) { each(r, py, 10, 0, scale(1.2)) }, DoesNotHold, "limit 10"},
		{"asyncio slower in one round of six", "eventloop-fidelity", el, true, func(r *SemaphoreResult) {
			each(r, py, 20, head, walls(func(i int, w time.Duration) time.Duration {
				if i == 4 {
					return 1080 * time.Millisecond
				}
				return w
			}))
		}, Inconclusive, "straddles the bound 0.95"},
		{"as recorded, on a busy machine", "eventloop-fidelity", el, false, nil, Inconclusive, "other work used"},
	}
	for _, c := range cases {
		r := recorded(t, Semaphore, "semaphore-quick")
		if c.quiet {
			quiet(&r.Report)
		}
		if c.edit != nil {
			c.edit(r)
		}
		checkCase(t, judgeSemaphore(r).verdicts, c.claim, c.model, c.name, c.want, c.why, func(Verdict) bool { return true })
	}
}

// The verdict lines and the tables of the recorded run, as recorded: a
// busy machine, so the timed verdicts are inconclusive; and quiet.
func TestSemaphoreGolden(t *testing.T) { checkGolden(t, Semaphore, "semaphore-quick") }

// What the semaphore lists is what it judges: every claim it judges is in
// Claims, and every claim in Claims is judged on the recorded run.
func TestSemaphoreClaimsListed(t *testing.T) {
	checkClaimsListed(t, Semaphore, "semaphore-quick")
	// The listed claim carries the tolerance it is judged with, and is a
	// copy.
	cs := Semaphore.Claims()
	if c := cs[0]; c.ID != "semaphore-near-ideal" || c.Tolerance != 0.02 {
		t.Errorf("near-ideal tolerance: %+v", c)
	}
	cs[0].Tolerance = 0.5
	if Semaphore.Claims()[0].Tolerance != 0.02 {
		t.Error("changing a listed claim changed the question's")
	}
}
