package charts

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/measure"
)

// Real results of the call experiments at small settings, once per test
// binary.
var (
	// The no-semaphore experiment as recorded by the experiments' tests: a
	// quick run, CPython's asyncio clients beside the models.
	noSemaphoreResult = recordedResult(experiments.NoSemaphore, "no-semaphore-quick")
	manyTasksResult   = sync.OnceValues(func() (*experiments.ManyTasksResult, error) {
		p := experiments.ManyTasks.Defaults()
		p.Tasks, p.Workers, p.Service, p.Backlog = []int{20, 60, 200}, 50, 20*time.Millisecond, 64
		p.Timeout, p.FDLimit, p.Sample, p.Models = 2*time.Second, 128, 2*time.Millisecond, []string{"goroutines", "eventloop"}
		return experiments.ManyTasks.Run(context.Background(), &p, nil)
	})
)

func TestForNoSemaphore(t *testing.T) {
	res := must(noSemaphoreResult())(t)
	// Without the semaphore, 400 calls under 128 descriptors: most run out,
	// and those beyond the server's 10 + 51 time out. The sweep's ends ran
	// six times: their figures have error bars.
	latency := []SeriesInfo{{"queueing bound ⌈at once / workers⌉ × service", 3},
		{"p99 · no semaphore", 3}, {"p99 · no semaphore", 6}, {"p95 · no semaphore", 3}, {"p50 · no semaphore", 3},
		{"a call alone, p99 · semaphore 20", 3}, {"a call alone, p99 · semaphore 20", 6},
		{"p99 · semaphore 20", 3}, {"p99 · semaphore 20", 6}, {"p95 · semaphore 20", 3}, {"p50 · semaphore 20", 3}}
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
	// The bounds the verdicts judge, from their claims: a call's p99 under
	// the semaphore, and the throughput at the most calls at once.
	v, _ := res.Verdict("semaphore-bounds-latency", "goroutines")
	_, bound := v.Range()
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
	fits := map[string]string{}
	for _, f := range res.Fits {
		fits[f.Model] = f.Model
	}
	if len(fits) != 2 {
		t.Fatalf("fits %+v", res.Fits)
	}
	cs := must(For(res))(t)
	titles := []string{"Memory against live tasks", "Open descriptors against tasks", "Open descriptors over time, 200 tasks at once",
		"Failed calls by kind against tasks", "Scheduling delay against tasks", "Garbage collections against tasks"}
	if len(cs) != len(titles) {
		t.Fatalf("%d charts", len(cs))
	}
	stamp := res.Stamp.String()
	for i, c := range cs {
		if c.Title() != titles[i] {
			t.Errorf("chart %d: %q, want %q", i, c.Title(), titles[i])
		}
		checkChart(t, c, stamp)
	}
	// Memory: the fits (drawn first), then RSS and heap per model.
	if s := cs[0].Series(); len(s) != 6 || !strings.HasPrefix(s[0].Name, "goroutines: ") || s[2].Name != "goroutines · resident (RSS)" || s[2].Points != 3 {
		t.Errorf("memory series %v", s)
	}
	// Descriptors over time: the samples of the largest run.
	if s := cs[2].Series(); len(s) != 2 || s[0].Points < 3 {
		t.Errorf("descriptors over time %v", s)
	}
	// 200 tasks under 128 descriptors: some ran out.
	if s := cs[3].Series(); len(s) == 0 || !strings.Contains(s[0].Name, "too many open files") {
		t.Errorf("errors series %v", s)
	}
	if s := cs[4].Series(); len(s) != 4 || s[3].Name != "eventloop · largest heartbeat lag" {
		t.Errorf("delay series %v", s)
	}
}
