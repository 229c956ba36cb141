package experiments

import (
	"math"
	"testing"
)

// TestRecordMemory runs the quick memory experiment (CPython's asyncio
// beside the models) and records it as testdata, with -record.
func TestRecordMemory(t *testing.T) {
	recordQuick(t, Memory, "memory-quick", func(p *MemoryParams) {})
}

// Live tasks' memory on every model, for real: each series at each count
// of its sweep, its most live tasks Repeat times, fitted; the heap broken
// down by allocation site; asyncio's tasks made of the objects the lecture
// lists.
func TestMemoryQuick(t *testing.T) {
	res := runQuick(t, Memory, "live-processes")
	checkJSON(t, res)
	if v, ok := res.Verdict("live-goroutine", seriesBare); !ok || v.Outcome == Inconclusive || v.Runs < 3 {
		t.Errorf("bare goroutines: %+v", v)
	}
	p := Memory.Quick()
	for _, s := range res.Series {
		t.Logf("%s: %.0f B per task %+v, exponent %+v, %d parts", s.Model, s.PerTask, s.PerTaskCI, s.Exponent, len(s.Breakdown))
		if s.Model == "processes" {
			continue
		}
		if s.PerTask <= 0 || len(s.Breakdown) == 0 || s.Exponent.N < 3 || s.Exponent.Low > s.Exponent.Median {
			t.Errorf("%s: %+v", s.Model, s)
		}
		rounds := 0
		for _, pt := range res.atMost(s.Model) {
			rounds++
			if pt.Round != rounds {
				t.Errorf("%s: run %d of the most live tasks is round %d", s.Model, rounds, pt.Round)
			}
		}
		if rounds != repeatsFor(0) {
			t.Errorf("%s: %d runs at the most live tasks, want %d (quick runs take under 2 s)", s.Model, rounds, repeatsFor(0))
		}
	}
	if res.Python != nil {
		if v, ok := res.Verdict("live-objects", seriesAsyncio); !ok || !v.Holds {
			t.Errorf("asyncio objects: %+v", v)
		}
		if _, ok := res.Verdict("live-loop", seriesAsyncio); !ok {
			t.Error("asyncio's task not held against a goroutine")
		}
	}
	if len(res.Tables()) != 3 || p.Repeat != 0 {
		t.Errorf("%d tables, repeat %d", len(res.Tables()), p.Repeat)
	}
	decoded(t, Memory, res)
}

// The memory judge on a recorded quick run (up to 100,000 live tasks on
// Go's models, 5,000 on CPython's asyncio, the most six times each) and on
// copies edited so that each claim holds, does not hold or cannot be
// decided. Two figures are single values, a mean over every worker and a
// count of objects: they hold or do not.
func TestJudgeMemory(t *testing.T) {
	// points edits series m's points, then fits every series again.
	points := func(m string, f func(i int, pt *MemoryPoint)) func(r *MemoryResult) {
		return func(r *MemoryResult) {
			i := 0
			for k := range r.Points {
				if pt := &r.Points[k]; pt.Model == m {
					f(i, pt)
					pt.PerTask = float64(pt.Total) / float64(pt.Tasks)
					i++
				}
			}
			for k := range r.Series {
				r.Series[k].fit(r.points(r.Series[k].Model))
			}
		}
	}
	// atTop edits series m's runs at its most live tasks, by round.
	atTop := func(m string, f func(round int, pt *MemoryPoint)) func(r *MemoryResult) {
		return points(m, func(_ int, pt *MemoryPoint) {
			if pt.Round > 0 {
				f(pt.Round, pt)
			}
		})
	}
	const bare, g, el, py = seriesBare, "goroutines", "eventloop", "cpython asyncio"
	cases := []judgeCase[MemoryResult]{
		// live-linear: the exponent from 0.9 to 1.1.
		{"goroutines, as recorded", "live-linear", g, false, nil, Holds, "memory ∝ live tasks^1.012"},
		{"CPython's asyncio, as recorded: its fixed cost weighs at 5 tasks", "live-linear", py, false, nil, DoesNotHold, "intercept"},
		{"the event loop, as recorded", "live-linear", el, false, nil, Inconclusive, "straddles the bound 0.9"},
		{"memory as the square root of the tasks", "live-linear", g, false, points(g, func(_ int, pt *MemoryPoint) {
			pt.Total = int64(100_000 * math.Sqrt(float64(pt.Tasks)))
		}), DoesNotHold, "memory ∝ live tasks^0.500"},
		{"memory as tasks^0.7, with a good straight-line fit", "live-linear", g, false, points(g, func(_ int, pt *MemoryPoint) {
			pt.Total = int64(20_000 * math.Pow(float64(pt.Tasks), 0.7))
		}), DoesNotHold, "memory ∝ live tasks^0.700"},

		// live-goroutine: at most 3 KiB each.
		{"bare goroutines, as recorded", "live-goroutine", bare, false, nil, Holds, "2048 B of stack"},
		{"goroutines with their stack grown, as recorded", "live-goroutine", g, false, nil, DoesNotHold, "the stack grew past its 2 KiB start"},
		{"about 3 KiB, scattered", "live-goroutine", bare, false, points(bare, func(i int, pt *MemoryPoint) {
			pt.Total = int64(float64(pt.Tasks) * 3072 * (1 + []float64{0, 0, 0, 0.08, -0.08, 0.06, -0.06, 0.04, -0.04}[i%9]))
		}), Inconclusive, "straddles the bound 3072"},

		// live-loop: an event loop's task at most a quarter of a goroutine.
		{"the event loop model, as recorded", "live-loop", el, false, nil, Holds, "142 B per task"},
		{"CPython's asyncio, as recorded", "live-loop", py, false, nil, DoesNotHold, "1449 B per task at 5000 live tasks"},
		{"CPython's asyncio about a quarter", "live-loop", py, false, func(r *MemoryResult) {
			gs := r.atMost(g)
			x := []float64{0.2, 0.3, 0.22, 0.28, 0.21, 0.29}
			atTop(py, func(round int, pt *MemoryPoint) {
				pt.Total = int64(x[round-1] * gs[round-1].PerTask * float64(pt.Tasks))
			})(r)
		}, Inconclusive, "straddles the bound 0.25"},

		// live-processes: at least 1 MiB a worker.
		{"as recorded", "live-processes", "processes", false, nil, Holds, "mean over 7 workers in 3 pools"},
		{"half a MiB a worker", "live-processes", "processes", false, points("processes", func(_ int, pt *MemoryPoint) {
			pt.Total = int64(pt.Tasks) << 19
		}), DoesNotHold, ""},

		// live-objects: at least one coroutine, Task and Future per task.
		{"as recorded", "live-objects", py, false, nil, Holds, "coroutine 2.00, _asyncio.Task 1.00, _asyncio.Future 1.00"},
		{"no Future", "live-objects", py, false, func(r *MemoryResult) {
			for k := range r.Series {
				for i := range r.Series[k].Breakdown {
					if b := &r.Series[k].Breakdown[i]; b.Part == "_asyncio.Future" {
						b.Objects = 0
					}
				}
			}
		}, DoesNotHold, "fewest: _asyncio.Future"},
	}
	checkJudge(t, Memory, "memory-quick", cases)
}

// The verdict lines and the tables of the recorded run.
func TestMemoryGolden(t *testing.T) { checkGolden(t, Memory, "memory-quick") }

// What the memory experiment lists is what it judges.
func TestMemoryClaimsListed(t *testing.T) { checkClaimsListed(t, Memory, "memory-quick") }
