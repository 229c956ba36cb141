package experiments

import (
	"testing"
	"time"
)

// TestRecordJSON runs the quick json experiment with CPython's asyncio
// (inline, with a thread and a process executor) beside the Go variants
// and records it as testdata, with -record.
func TestRecordJSON(t *testing.T) {
	recordQuick(t, JSON, "json-quick", func(p *JSONParams) {
		p.Models = append(p.Models, "cpython")
	}, func(r *JSONResult) []int { // the runs shown: the charts draw the loops' lag over time
		var out []int
		for _, pt := range r.Headline {
			out = append(out, pt.Run)
		}
		return out
	})
}

// Tasks that wait and then encode JSON, on every Go variant, for real: the
// baselines and the headline ran Repeat times; the loop blocks for an
// encoding, offloading to processes frees it; under a GIL the encodings
// keep at most one core busy, whatever their wall intervals' overlap;
// memory grows with the payload. How fast goroutines encode in parallel
// is judged (json-parallel), not required here: it depends on the cores
// the machine gives.
func TestJSONQuick(t *testing.T) {
	// No claim must hold here: json-memory's slope over three payloads
	// scatters with the collector's timing, and its judging (holds, does
	// not hold, inconclusive) is tested on the recorded run; this test
	// checks the mechanism.
	res := runQuickWith(t, JSON, goQuick(JSON))
	checkJSON(t, res)
	p := goQuick(JSON)()
	if len(res.Headline) != len(p.Models) || len(res.Sweep) != len(p.Models)*len(p.Payloads) || len(res.Baselines) != 3 {
		t.Fatalf("%d headline, %d sweep, %d baseline points", len(res.Headline), len(res.Sweep), len(res.Baselines))
	}
	rounds := len(res.Headline[0].All())
	for _, pt := range append(res.Baselines, res.Headline...) {
		if len(pt.Repeats) != rounds || rounds < 3 {
			t.Errorf("%s: %d runs, want %d (at least 3)", pt.Model, len(pt.Repeats), rounds)
		}
	}
	in, procs := res.headline("eventloop"), res.headline("eventloop+processes")
	for _, r := range in.All() {
		if r.MaxLoopLag < r.Encode*9/10 {
			t.Errorf("the loop encoding inline lagged %v, an encoding took %v: the loop was not blocked", r.MaxLoopLag, r.Encode)
		}
	}
	for _, m := range []string{"eventloop+gil-threads", "gil"} {
		for _, r := range res.headline(m).All() {
			if r.EncodeCores > 1.5 { // one core, and the garbage collector's threads, which no GIL holds
				t.Errorf("%s: %.2f cores busy while encoding under a GIL", m, r.EncodeCores)
			}
		}
	}
	if _, ok := res.Verdict("json-parallel", "goroutines"); !ok {
		t.Error("no json-parallel verdict")
	}
	if procs.Workers <= 0 || procs.Serialise <= 0 || res.Encoded < p.Payload {
		t.Errorf("processes: workers' memory %d, serialise %v; encoded %d bytes", procs.Workers, procs.Serialise, res.Encoded)
	}
	if ts := res.Tables(); len(ts) != 2 || len(ts[0].Rows) != len(res.Baselines)+len(res.Headline) {
		t.Errorf("tables %+v", ts)
	}
	decoded(t, JSON, res)
}

// The json judge on a recorded quick run (40 tasks waiting 50 ms then
// encoding 1 MiB, every Go variant and CPython's asyncio with and without
// executors, six runs each, interleaved with the baselines) and on copies
// edited so that each claim holds, does not hold or cannot be decided.
func TestJudgeJSON(t *testing.T) {
	// runs edits every run of the named point, among the baselines, the
	// headline and the sweep.
	runs := func(m string, f func(k int, p *JSONPoint)) func(r *JSONResult) {
		return func(r *JSONResult) {
			for _, pts := range [][]JSONPoint{r.Baselines, r.Headline} {
				for i := range pts {
					if pts[i].Model != m {
						continue
					}
					f(-1, &pts[i])
					for k := range pts[i].Repeats {
						f(k, &pts[i].Repeats[k])
					}
				}
			}
		}
	}
	// as sets a figure of m's runs to x times that of the run of the same
	// round of n.
	as := func(m, n string, get func(p *JSONPoint) *float64, xs ...float64) func(r *JSONResult) {
		return func(r *JSONResult) {
			var ref JSONPoint
			for _, pt := range append(r.Baselines, r.Headline...) {
				if pt.Model == n {
					ref = pt
				}
			}
			runs(m, func(k int, p *JSONPoint) {
				if k >= 0 {
					*get(p) = *get(&ref.Repeats[k]) * xs[k%len(xs)]
				}
			})(r)
		}
	}
	p99 := func(p *JSONPoint) *float64 { return &p.Latency.P99 }
	rate := func(p *JSONPoint) *float64 { return &p.EncodeRate }
	// lag sets the worst lag of m's runs to x encodings.
	lag := func(m string, xs ...float64) func(r *JSONResult) {
		return runs(m, func(k int, p *JSONPoint) {
			p.MaxLoopLag = time.Duration(xs[max(k, 0)%len(xs)] * float64(p.Encode))
		})
	}
	// lagAs sets the worst lag of m's runs to x times the inline loop's.
	lagAs := func(m string, xs ...float64) func(r *JSONResult) {
		return func(r *JSONResult) {
			in := r.headline("eventloop")
			runs(m, func(k int, p *JSONPoint) {
				if k >= 0 {
					p.MaxLoopLag = time.Duration(xs[k%len(xs)] * float64(in.Repeats[k].MaxLoopLag))
				}
			})(r)
		}
	}
	const el, procs, gilThreads, g = "eventloop", "eventloop+processes", "eventloop+gil-threads", "goroutines"
	cases := []judgeCase[JSONResult]{
		// json-loop-blocks: the worst lag at least 0.9 of an encoding.
		{"as recorded, on a quiet machine", "json-loop-blocks", el, true, nil, Holds, "mean encoding"},
		{"a loop that never blocked", "json-loop-blocks", el, true, lag(el, 0.1, 0.2, 0.15), DoesNotHold, ""},
		{"around an encoding", "json-loop-blocks", el, true, lag(el, 0.7, 1.1, 0.8, 1.2, 0.75, 1.3), Inconclusive, "straddles the bound 0.9"},
		{"as recorded, on a busy machine", "json-loop-blocks", el, false, nil, Inconclusive, "other work used"},

		// json-tail: p99 at least twice the baseline's.
		{"as recorded, on a quiet machine", "json-tail", el, true, nil, Holds, "without the encoding"},
		{"no tail", "json-tail", el, true, as(el, el, p99, 1.1, 1.2, 1.0), DoesNotHold, ""},
		{"around twice", "json-tail", el, true, func(r *JSONResult) {
			base := r.Baselines[0]
			runs(el, func(k int, p *JSONPoint) {
				if k >= 0 && p.Payload > 0 {
					p.Latency.P99 = base.Repeats[k].Latency.P99 * []float64{1.5, 2.5, 1.8, 2.4, 1.7, 2.6}[k]
				}
			})(r)
		}, Inconclusive, "straddles the bound 2"},

		// json-throughput: at most 0.9 of the baseline's.
		{"as recorded, on a quiet machine", "json-throughput", g, true, nil, Holds, "tasks/s"},
		{"no drop", "json-throughput", g, true, func(r *JSONResult) {
			base := r.Baselines[1] // goroutines'
			runs(g, func(k int, p *JSONPoint) {
				if k >= 0 && p.Payload > 0 {
					p.Throughput = base.Repeats[k].Throughput * 0.98
				}
			})(r)
		}, DoesNotHold, ""},
		{"around 0.9", "json-throughput", g, true, func(r *JSONResult) {
			base := r.Baselines[1]
			runs(g, func(k int, p *JSONPoint) {
				if k >= 0 && p.Payload > 0 {
					p.Throughput = base.Repeats[k].Throughput * []float64{0.8, 0.95, 0.85, 0.97, 0.82, 0.99}[k]
				}
			})(r)
		}, Inconclusive, "straddles the bound 0.9"},

		// json-offload: with processes, at most a tenth of the inline lag.
		{"as recorded, on a quiet machine: one round lagged", "json-offload", procs, true, nil, Inconclusive, "straddles the bound 0.1"},
		{"a twentieth of the inline lag", "json-offload", procs, true, lagAs(procs, 0.04, 0.05, 0.06), Holds, "the loop encoding itself lagged"},
		{"the loop still blocked", "json-offload", procs, true, lagAs(procs, 0.8, 0.9, 1), DoesNotHold, ""},
		{"around a tenth", "json-offload", procs, true, lagAs(procs, 0.05, 0.15, 0.08, 0.12, 0.06, 0.14), Inconclusive, "straddles the bound 0.1"},

		// json-gil-held: under a shared GIL the loop still blocks an encoding.
		{"as recorded, on a quiet machine", "json-gil-held", gilThreads, true, nil, Holds, ""},
		{"threads that free the loop", "json-gil-held", gilThreads, true, lag(gilThreads, 0.05, 0.1), DoesNotHold, ""},
		{"around an encoding", "json-gil-held", gilThreads, true, lag(gilThreads, 0.7, 1.1, 0.8, 1.2, 0.75, 1.3), Inconclusive, "straddles the bound 0.9"},

		// json-parallel: goroutines encode at least 0.65 × cores as fast.
		{"as recorded, on a quiet machine: two cores shared with others", "json-parallel", g, true, nil, Inconclusive, "straddles the bound 1.3"},
		{"no faster than the loop", "json-parallel", g, true, as(g, el, rate, 0.9, 1, 1.1), DoesNotHold, "encodings/s against the event loop's"},
		{"twice as fast as the loop", "json-parallel", g, true, as(g, el, rate, 1.9, 2, 2.1), Holds, ""},
		{"around 1.3", "json-parallel", g, true, as(g, el, rate, 1.0, 1.6, 1.1, 1.5, 1.2, 1.7), Inconclusive, "straddles the bound 1.3"},

		// json-memory: at least a byte of memory a byte of payload.
		{"as recorded", "json-memory", el, false, nil, Holds, "peak memory added by payload"},
		{"memory that does not grow", "json-memory", el, false, func(r *JSONResult) {
			for i := range r.Sweep {
				if r.Sweep[i].Model == el {
					for k := range r.Sweep[i].Repeats {
						r.Sweep[i].Repeats[k].Memory = 50 << 20
					}
					r.Sweep[i].Memory = 50 << 20
				}
			}
		}, DoesNotHold, ""},
		{"as recorded, the processes' executor", "json-memory", procs, false, nil, Inconclusive, "straddles the bound 1"},
	}
	checkJudge(t, JSON, "json-quick", cases)
}

// The verdict lines and the tables of the recorded run.
func TestJSONGolden(t *testing.T) { checkGolden(t, JSON, "json-quick") }

// What the json experiment lists is what it judges.
func TestJSONClaimsListed(t *testing.T) { checkClaimsListed(t, JSON, "json-quick") }
