package charts

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments"
)

// Real results of the call experiments at small settings, once per test
// binary.
var (
	noSemaphoreResult = sync.OnceValues(func() (*experiments.NoSemaphoreResult, error) {
		p := experiments.NoSemaphore.Defaults()
		p.Concurrency, p.Limit, p.Workers, p.Service, p.Backlog = []int{4, 80}, 8, 4, 2*time.Millisecond, 8
		p.Timeout, p.FDLimit, p.Models = 300*time.Millisecond, 64, []string{"goroutines", "eventloop"}
		return experiments.NoSemaphore.Run(context.Background(), &p, nil)
	})
	manyTasksResult = sync.OnceValues(func() (*experiments.ManyTasksResult, error) {
		p := experiments.ManyTasks.Defaults()
		p.Tasks, p.Workers, p.Service, p.Backlog = []int{20, 60, 200}, 50, 20*time.Millisecond, 64
		p.Timeout, p.FDLimit, p.Sample, p.Models = 2*time.Second, 128, 2*time.Millisecond, []string{"goroutines", "eventloop"}
		return experiments.ManyTasks.Run(context.Background(), &p, nil)
	})
)

func TestForNoSemaphore(t *testing.T) {
	res := must(noSemaphoreResult())(t)
	// Without the semaphore, 80 calls under 64 descriptors: some run out,
	// and those beyond the server's 4 + 9 time out.
	latency := []SeriesInfo{{"queueing bound ⌈at once / workers⌉ × service", 2},
		{"p99 · no semaphore", 2}, {"p95 · no semaphore", 2}, {"p50 · no semaphore", 2},
		{"a call alone, p99 · semaphore 8", 2}, {"p99 · semaphore 8", 2}, {"p95 · semaphore 8", 2}, {"p50 · semaphore 8", 2}}
	errs := []SeriesInfo{{"too many open files · no semaphore", 2}, {"timeout · no semaphore", 2}, {"errors of any kind · semaphore 8", 2}}
	cs := checkCharts(t, res, []want{
		{"Throughput against concurrency", []SeriesInfo{{"server capacity: workers / service", 2},
			{"goroutines · no semaphore", 2}, {"goroutines · semaphore 8", 2}, {"eventloop · no semaphore", 2}, {"eventloop · semaphore 8", 2}}},
		{"goroutines: latency against concurrency", latency},
		{"goroutines: failed calls by kind", errs},
		{"eventloop: latency against concurrency", latency},
		{"eventloop: failed calls by kind", errs},
	})
	p := parse(t, cs[1])
	if p.XAxis[0]["type"] != "log" || p.YAxis[0]["type"] != "log" {
		t.Errorf("latency chart axes %v, %v; want log", p.XAxis[0]["type"], p.YAxis[0]["type"])
	}
	if !strings.Contains(cs[1].Option(), "client timeout 300ms") {
		t.Error("latency chart has no timeout line")
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
