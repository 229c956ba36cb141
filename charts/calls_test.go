package charts

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
)

// The call experiments as recorded by the experiments' tests: quick runs,
// CPython's asyncio clients beside the models.
var (
	noSemaphoreResult = recordedResult(experiments.NoSemaphore, "no-semaphore-quick")
	manyTasksResult   = recordedResult(experiments.ManyTasks, "many-tasks-quick")
)

func TestForNoSemaphore(t *testing.T) {
	res := must(noSemaphoreResult())(t)
	// Without the semaphore, 400 calls under 128 descriptors: most run out,
	// and those beyond the server's 10 + 51 time out. The sweep's ends ran
	// six times: their figures have error bars.
	latency := []SeriesInfo{{"queueing bound ⌈at once / workers⌉ × service", 3},
		{"p99 · no semaphore", 3}, {"p99 · no semaphore", 6}, {"p95 · no semaphore", 3}, {"p50 · no semaphore", 3},
		{"a call alone, p99 · semaphore 20", 3}, {"a call alone, p99 · semaphore 20", 6},
		{"p99 · semaphore 20", 3}, {"p99 · semaphore 20", 6}, {"p95 · semaphore 20", 3}, {"p50 · semaphore 20", 3},
		{"answered · no semaphore", 3}, {"answered · semaphore 20", 3}}
	errs := []SeriesInfo{{"too many open files · no semaphore", 3}, {"timeout · no semaphore", 3}, {"errors of any kind · semaphore 20", 3}}
	throughput := []SeriesInfo{{"server capacity: workers / service", 2}}
	for _, m := range []string{"goroutines", "eventloop", "cpython asyncio"} {
		for _, mode := range []string{"no semaphore", "semaphore 20"} {
			throughput = append(throughput, SeriesInfo{m + " · " + mode, 3}, SeriesInfo{m + " · " + mode, 6})
		}
	}
	cs := checkCharts(t, res, []want{
		{"Throughput against concurrency", throughput},
		{"goroutines: latency against concurrency", latency},
		{"goroutines: failed calls by kind", errs},
		{"eventloop: latency against concurrency", latency},
		{"eventloop: failed calls by kind", errs},
		{"cpython asyncio: latency against concurrency", latency},
		{"cpython asyncio: failed calls by kind", errs},
	})
	p := parse(t, cs[1])
	if p.XAxis[0]["type"] != "log" || p.YAxis[0]["type"] != "log" {
		t.Errorf("latency chart axes %v, %v; want log", p.XAxis[0]["type"], p.YAxis[0]["type"])
	}
	// Beside the latency of the answered calls, on the right axis, the
	// share answered: most calls fail at 400 at once without the
	// semaphore, none with it.
	if len(p.YAxis) != 2 || p.YAxis[1]["position"] != "right" || p.YAxis[1]["max"] != 100.0 {
		t.Errorf("latency chart's y axes %v, want a second, 0 to 100%%, on the right", p.YAxis)
	}
	free, limited := valueOf(t, p.Series[11].Data[2]), valueOf(t, p.Series[12].Data[2])
	if f := free[1].(float64); f >= 50 || limited[1] != 100.0 {
		t.Errorf("answered at 400 at once: %v%% without the semaphore, %v%% with it", f, limited[1])
	}
	// The bounds the verdicts judge, from their claims: a call's p99 under
	// the semaphore, and the throughput at the most calls at once.
	v, _ := res.Verdict("semaphore-bounds-latency", "goroutines")
	_, bound := v.Bounds()
	if o := cs[1].Option(); !strings.Contains(o, "client timeout 800ms") || !strings.Contains(o, fmt.Sprintf("at most %.1f ms", bound*1000)) {
		t.Error("latency chart lacks the timeout or the latency bound")
	}
	if o := cs[0].Option(); !strings.Contains(o, "no semaphore: at most 0.9 × capacity") || !strings.Contains(o, "semaphore: at least 0.75 × capacity") {
		t.Error("throughput chart lacks the verdicts' bounds")
	}
	// The points at the ends are the medians of their runs.
	top := res.Points[4] // goroutines, 400 at once, no semaphore
	if !strings.Contains(cs[0].Option(), fmt.Sprintf("no semaphore, 400 at once: %.0f calls/s (median of 6 runs)", measure.MedianCI(top.Each(func(c experiments.CallPoint) float64 { return c.Throughput }), 0.95).Median)) {
		t.Error("the throughput at 400 is not the median of its runs")
	}
}

func TestForManyTasks(t *testing.T) {
	res := must(manyTasksResult())(t)
	models := []string{"goroutines", "eventloop", "cpython asyncio"}
	var fits, added, fds, errs, delay, gc []SeriesInfo
	for _, f := range res.Fits {
		e := f.Exponent
		fits = append(fits, SeriesInfo{fmt.Sprintf("%s: ∝ tasks^%.2f [%.2f, %.2f]", f.Model, e.Median, e.Low, e.High), 2})
	}
	fds = append(fds, SeriesInfo{"min(tasks + open before, limit)", 3})
	for _, m := range models {
		added = append(added, SeriesInfo{m + " · memory added, each run", 13}) // six runs at each end, one between
		fds = append(fds, SeriesInfo{m, 3})
		errs = append(errs, SeriesInfo{m + " · too many open files", 3})
		other := m + " · largest heartbeat lag"
		if m == "goroutines" {
			other = m + " · runtime: runnable to running, p99"
		}
		delay = append(delay, SeriesInfo{m + " · creation to start, p99", 3}, SeriesInfo{m + " · creation to start, p99", 6}, SeriesInfo{other, 3})
		gc = append(gc, SeriesInfo{m, 3}, SeriesInfo{m, 6})
	}
	cs := checkCharts(t, res, []want{
		{"Memory against live tasks", append(fits, added...)},
		{"How memory grows with the live tasks: the exponent", []SeriesInfo{{"in proportion: the claim's range", 2},
			{"exponent of memory against live tasks", 6}, {"exponent of memory against live tasks", 9}}},
		{"Open descriptors against tasks", fds},
		{"Open descriptors over time, 3000 tasks at once", []SeriesInfo{{"goroutines", drawnSamples(res.Points[2].Samples)}, {"eventloop", drawnSamples(res.Points[5].Samples)}, {"cpython asyncio", drawnSamples(res.Points[8].Samples)}}},
		{"Failed calls by kind against tasks", errs},
		{"Scheduling delay against tasks", delay},
		{"Garbage collections against tasks", gc},
	})
	if p := parse(t, cs[0]); p.XAxis[0]["type"] != "log" || p.YAxis[0]["type"] != "log" {
		t.Errorf("memory axes %v %v, want log-log", p.XAxis[0]["type"], p.YAxis[0]["type"])
	}
	// The exponent's range is the claim's, read from its verdicts.
	v, _ := res.Verdict("memory-per-task", "goroutines")
	lo, hi := v.Bounds()
	marks := map[float64]bool{}
	for _, m := range parse(t, cs[1]).Series[0].MarkLine.Data {
		marks[m.YAxis] = true
	}
	if !marks[round(lo, 4)] || !marks[round(hi, 4)] {
		t.Errorf("exponent chart marks %v, want %v and %v", marks, lo, hi)
	}
	if !strings.Contains(cs[1].Option(), fmt.Sprintf("goroutines: 95%% interval %.3f to %.3f", v.Low, v.High)) {
		t.Error("the exponent's interval is not the verdict's")
	}
}

// drawnSamples is how many of a run's descriptor samples are drawn.
func drawnSamples(smps []model.ChildSample) int {
	out, _ := thinSamples(smps, fdSamplesDrawn)
	return len(out)
}

// TestThinSamples: a run's descriptor samples drawn from every k-th, the
// peak and the last always among them, in order; a short run drawn whole.
func TestThinSamples(t *testing.T) {
	var smps []model.ChildSample
	for i := range 901 {
		smps = append(smps, model.ChildSample{At: time.Duration(i) * 20 * time.Millisecond, FDs: i % 300})
	}
	smps[457].FDs = 5000 // the peak, off the every-k-th grid
	out, k := thinSamples(smps, 200)
	if k != 5 || len(out) > 200+2 || len(out) < 180 {
		t.Fatalf("k %d, %d samples of 901; want every 5th, about 181", k, len(out))
	}
	peak, last := false, false
	for i, s := range out {
		if i > 0 && s.At <= out[i-1].At {
			t.Fatalf("sample %d at %v after %v: not in order", i, s.At, out[i-1].At)
		}
		peak = peak || s.FDs == 5000
		last = last || s.At == smps[900].At
	}
	if !peak || !last {
		t.Errorf("peak kept %v, last kept %v; want both", peak, last)
	}
	if whole, k := thinSamples(smps[:150], 200); len(whole) != 150 || k != 1 {
		t.Errorf("150 samples: %d drawn, k %d; want all, 1", len(whole), k)
	}
}
