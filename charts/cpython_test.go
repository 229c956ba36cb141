package charts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/model"
)

// Results with CPython beside the models, at tiny settings, run once.
var (
	pyAsyncCPU = sync.OnceValues(func() (*experiments.AsyncCPUResult, error) {
		p := experiments.AsyncCPU.Defaults()
		p.Tasks, p.CPU, p.Heartbeat, p.Repeat = 2, 10*time.Millisecond, time.Millisecond, 1
		p.Models = []string{"eventloop", "cpython", "goroutines"}
		return experiments.AsyncCPU.Run(context.Background(), &p, nil)
	})
	pyScaling = sync.OnceValues(func() (*experiments.ScalingResult, error) {
		p := experiments.Scaling.Defaults()
		p.Tasks, p.CPU, p.Workers, p.Repeat = 4, 5*time.Millisecond, []int{1, 2}, 1
		p.Models = []string{"cpython", "gil"}
		return experiments.Scaling.Run(context.Background(), &p, nil)
	})
)

func needPython(t *testing.T) {
	t.Helper()
	if _, err := model.Probe(context.Background(), ""); errors.Is(err, model.ErrUnavailable) {
		t.Skipf("no Python: %v", err)
	} else if err != nil {
		t.Fatal(err)
	}
}

// seriesNames lists a chart's series names.
func seriesNames(c *Chart) []string {
	var out []string
	for _, s := range c.Series() {
		out = append(out, s.Name)
	}
	return out
}

// CPython's series appear beside the models', in their own colour, in
// every chart that lists models.
func TestForCPython(t *testing.T) {
	needPython(t)
	if modelColor("cpython threads", 0) == modelColor("gil", 0) || modelColor("cpython asyncio", 0) == modelColor("eventloop", 0) ||
		modelColor("cpython processes", 0) == modelColor("processes", 0) || modelSymbol("cpython threads") == "circle" {
		t.Fatal("cpython shares a colour or has no marker of its own")
	}

	cs := must(For(must(pyAsyncCPU())(t)))(t)
	if got := strings.Join(seriesNames(cs[0]), ","); got != "eventloop heartbeat lag,cpython asyncio heartbeat lag" {
		t.Errorf("lag chart series %s", got)
	}
	if !strings.Contains(cs[0].Option(), modelColor("cpython asyncio", 0)) {
		t.Error("lag chart does not use cpython's colour")
	}
	tl := parse(t, cs[2])
	if rows := fmt.Sprint(tl.YAxis[0]["data"]); !strings.Contains(rows, "cpython asyncio · worker 0") {
		t.Errorf("combined timeline rows %s", rows)
	}

	cs = must(For(must(pyScaling())(t)))(t)
	if got := strings.Join(seriesNames(cs[0]), ","); got != "ideal min(workers, cores),cpython threads,cpython processes,gil" {
		t.Errorf("speedup chart series %s", got)
	}
	var titles []string
	for _, c := range cs {
		titles = append(titles, c.Title())
	}
	if all := strings.Join(titles, "|"); !strings.Contains(all, "cpython threads, 2 workers") || !strings.Contains(all, "cpython processes, 2 workers") {
		t.Errorf("no cpython timelines among %q", titles)
	}

	cs = must(For(must(semaphoreResult())(t)))(t) // recorded with CPython's asyncio
	if got := strings.Join(seriesNames(cs[0]), ","); got != idealName+",eventloop,eventloop,goroutines,goroutines,cpython asyncio,cpython asyncio" {
		t.Errorf("limits chart series %s", got)
	}
}
