package charts

import (
	"fmt"
	"strings"
	"testing"
)

// seriesNames lists a chart's series names.
func seriesNames(c *Chart) []string {
	var out []string
	for _, s := range c.Series() {
		out = append(out, s.Name)
	}
	return out
}

// CPython's series appear beside the models', in their own colour, in
// every chart that lists models (the results recorded with CPython).
func TestForCPython(t *testing.T) {
	if modelColor("cpython threads", 0) == modelColor("gil", 0) || modelColor("cpython asyncio", 0) == modelColor("eventloop", 0) ||
		modelColor("cpython processes", 0) == modelColor("processes", 0) || modelSymbol("cpython threads") == "circle" {
		t.Fatal("cpython shares a colour or has no marker of its own")
	}

	cs := must(For(must(asyncCPUResult())(t)))(t)
	if got := strings.Join(seriesNames(cs[0]), ","); got != "fired when due (no lag),eventloop heartbeat: due → fired,eventloop heartbeat: due → fired,cpython asyncio heartbeat: due → fired,cpython asyncio heartbeat: due → fired,due on a free loop's schedule, every 10ms" {
		t.Errorf("lag chart series %s", got)
	}
	if !strings.Contains(cs[0].Option(), modelColor("cpython asyncio", 0)) {
		t.Error("lag chart does not use cpython's colour")
	}
	tl := parse(t, cs[2])
	if rows := fmt.Sprint(tl.YAxis[0]["data"]); !strings.Contains(rows, "cpython asyncio · worker 0") {
		t.Errorf("combined timeline rows %s", rows)
	}

	cs = must(For(must(scalingResult())(t)))(t)
	if got := strings.Join(seriesNames(cs[0]), ","); got != "ideal min(workers, cores),gil,gil,goroutines,goroutines,processes,processes,cpython threads,cpython threads,cpython processes,cpython processes" {
		t.Errorf("speedup chart series %s", got)
	}
	var titles []string
	for _, c := range cs {
		titles = append(titles, c.Title())
	}
	if all := strings.Join(titles, "|"); !strings.Contains(all, "cpython threads, 4 workers") || !strings.Contains(all, "cpython processes, 4 workers") {
		t.Errorf("no cpython timelines among %q", titles)
	}

	cs = must(For(must(semaphoreResult())(t)))(t) // recorded with CPython's asyncio
	if got := strings.Join(seriesNames(cs[0]), ","); got != idealName+",eventloop,eventloop,goroutines,goroutines,cpython asyncio,cpython asyncio" {
		t.Errorf("limits chart series %s", got)
	}
}
