package charts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/compare"
)

// oneCore is the recorded scaling run edited into one with GOMAXPROCS=1:
// one core usable, goroutines at 1x, on a second "machine".
func oneCore(t *testing.T) *experiments.ScalingResult {
	t.Helper()
	res := must(recordedResult(experiments.Scaling, "scaling-quick")())(t) // a copy of its own
	res.Stamp.GOMAXPROCS, res.Cores = 1, 1
	for i, p := range res.Points {
		res.Points[i].Ideal = 1
		if p.Model == "goroutines" && p.Workers > 1 {
			res.Points[i].Speedup, res.Points[i].Low, res.Points[i].High = 0.99, 0.97, 1.01
		}
	}
	return res
}

// comparison compares results named a.json, b.json, …
func comparison(t *testing.T, results ...experiments.Result) *compare.Comparison {
	t.Helper()
	var in []compare.Input
	for i, r := range results {
		in = append(in, compare.Input{Name: fmt.Sprintf("%c.json", 'a'+i), Result: r})
	}
	return must(compare.Of(in...))(t)
}

// compareCharts are the overlays of two scaling and two semaphore results,
// for the build's test to check too.
func compareCharts(t *testing.T) []*Chart {
	t.Helper()
	sem := must(semaphoreResult())(t)
	cs := must(Compared(comparison(t, must(scalingResult())(t), oneCore(t))))(t)
	return append(cs, must(Compared(comparison(t, sem, sem)))(t)...)
}

func TestComparedScaling(t *testing.T) {
	c := comparison(t, must(scalingResult())(t), oneCore(t))
	cs := must(Compared(c))(t)
	a, b := "A · "+c.Columns[0].Short(), "B · "+c.Columns[1].Short()
	var ws []want
	for _, m := range []string{"gil", "goroutines", "processes", "cpython threads", "cpython processes"} {
		// Each machine's ideal, then per machine its points (1, 2 and 4
		// workers) and its error bars (2 and 4 workers: low, high, a gap).
		ws = append(ws, want{m + ": speedup against workers, per machine", []SeriesInfo{
			{"ideal min(workers, 2): A", 3}, {"ideal min(workers, 1): B", 2},
			{a, 3}, {a, 6}, {b, 3}, {b, 6},
		}})
	}
	if len(cs) != len(ws) {
		t.Fatalf("%d charts, want %d", len(cs), len(ws))
	}
	for i, c := range cs {
		if c.Title() != ws[i].title || fmt.Sprint(c.Series()) != fmt.Sprint(ws[i].series) {
			t.Errorf("chart %d: %q %v,\nwant %q %v", i, c.Title(), c.Series(), ws[i].title, ws[i].series)
		}
		checkChart(t, c, "")
	}
	// goroutines: A's speedup near 2, B's at 1, each ideal in its machine's
	// colour.
	p := parse(t, cs[1])
	got := fmt.Sprint(valueOf(t, p.Series[2].Data[1])[:2], valueOf(t, p.Series[4].Data[1])[:2])
	pt, _ := scalingPoint(must(scalingResult())(t), "goroutines", 2)
	if want := fmt.Sprint([]any{dodge(2, 0, 2), round(pt.Speedup, 4)}, []any{dodge(2, 1, 2), 0.99}); got != want {
		t.Errorf("goroutines at 2 workers: %s, want %s", got, want)
	}
	var raw struct {
		Series []struct {
			LineStyle struct {
				Color string `json:"color"`
				Type  string `json:"type"`
			} `json:"lineStyle"`
		} `json:"series"`
	}
	if err := json.Unmarshal([]byte(unsplice.Replace(cs[1].Option())), &raw); err != nil {
		t.Fatal(err)
	}
	for i, color := range []string{machineColor(0), machineColor(1)} {
		if ls := raw.Series[i].LineStyle; ls.Color != color || ls.Type != "dashed" {
			t.Errorf("ideal %d: line %+v, want dashed in its machine's colour %s", i, ls, color)
		}
	}
	if !strings.Contains(p.Title.Subtext, "8 tasks × 25ms CPU") {
		t.Errorf("subtitle %q lacks the work", p.Title.Subtext)
	}
}

func TestComparedSemaphore(t *testing.T) {
	sem := must(semaphoreResult())(t)
	other := must(recordedResult(experiments.Semaphore, "semaphore-quick")())(t)
	other.Stamp.Cores = 16
	c := comparison(t, sem, other)
	cs := must(Compared(c))(t)
	a, b := "A · "+c.Columns[0].Short(), "B · "+c.Columns[1].Short()
	if len(cs) != 3 {
		t.Fatalf("%d charts, want one per model (3)", len(cs))
	}
	for i, m := range []string{"eventloop", "goroutines", "cpython asyncio"} {
		n, bars := 0, 0 // points, and those from several runs
		for _, p := range sem.Limits {
			if p.Model == m {
				n++
				if len(p.Walls) > 1 {
					bars++
				}
			}
		}
		steps := len(idealSteps(sem.Limits[0].Tasks, 10, 200)) // the recorded limits: 10 to 200
		w := []SeriesInfo{{idealName, steps}, {a, n}, {a, 3 * bars}, {b, n}, {b, 3 * bars}}
		if cs[i].Title() != m+": runtime against the semaphore limit, per machine" || fmt.Sprint(cs[i].Series()) != fmt.Sprint(w) {
			t.Errorf("chart %d: %q %v, want %v", i, cs[i].Title(), cs[i].Series(), w)
		}
		checkChart(t, cs[i], "")
		if p := parse(t, cs[i]); p.XAxis[0]["type"] != "log" || p.YAxis[0]["type"] != "log" {
			t.Errorf("%s: axes %v %v, want log", m, p.XAxis[0]["type"], p.YAxis[0]["type"])
		}
	}
	// At another latency the formula differs: one ideal per setting, named
	// with its machines.
	other.Limits = append([]experiments.SemaphorePoint(nil), other.Limits...)
	for i := range other.Limits {
		other.Limits[i].Latency = 50 * time.Millisecond
	}
	cs = must(Compared(comparison(t, sem, other)))(t)
	names := fmt.Sprint(cs[0].Series()[:2])
	if !strings.Contains(names, "100ms: A") || !strings.Contains(names, "50ms: B") {
		t.Errorf("ideals at two latencies: %s", names)
	}
}

// A question without overlays compares as a table alone; results of the
// wrong type are an error, not a panic.
func TestComparedOthers(t *testing.T) {
	if cs, err := Compared(comparison(t, must(asyncCPUResult())(t))); err != nil || len(cs) != 0 {
		t.Errorf("async-cpu: %d charts, %v", len(cs), err)
	}
	c := comparison(t, must(scalingResult())(t))
	c.Columns[0].Result = must(asyncCPUResult())(t)
	if _, err := Compared(c); err == nil || !strings.Contains(err.Error(), "a.json holds a *experiments.AsyncCPUResult, not a *experiments.ScalingResult") {
		t.Errorf("a result of the wrong type: %v", err)
	}
	if _, err := Compared(nil); err == nil {
		t.Error("no comparison: no error")
	}
}

func TestWriteComparison(t *testing.T) {
	needLibrary(t)
	scaling := must(scalingResult())(t)
	c := comparison(t, scaling, oneCore(t))
	c.Columns[1].Name = `<b>one</b>.json`
	var buf bytes.Buffer
	if err := WriteComparison(&buf, c); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if n := strings.Count(page, must(LibraryTag())(t)); n != 1 {
		t.Errorf("the library is inlined %d times, want once", n)
	}
	if httpSrc.MatchString(page) {
		t.Errorf("page loads from the network: %q", httpSrc.FindString(page))
	}
	cs := must(Compared(c))(t)
	if n := strings.Count(page, `class="boundlab-chart"`); n != len(cs) {
		t.Errorf("%d charts on the page, want %d", n, len(cs))
	}
	for _, want := range []string{
		"<h1>scaling on 2 machines: Threads vs processes on CPU-bound work</h1>",
		"&lt;b&gt;one&lt;/b&gt;.json", // names are escaped
		"A · 2 cores · GOMAXPROCS 2<br><span class=\"sub\">go1.26.8 · CPython 3.11.7</span>",
		"B · 2 cores · GOMAXPROCS 1<br>",
		scaling.Stamp.String(),
		`<tr class="claim"><th colspan="6"`,
		"<td class=\"fig\">0.9714 [0.9434, 1.005]</td><td class=\"outcome holds\"",
		"16 verdicts: 14 hold, 2 inconclusive",
		"Why inconclusive:",
		"threads-no-speedup</b>: Threads cannot parallelize",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<b>one</b>") {
		t.Error("a file name is not escaped")
	}
	// One result, of a question without overlays: the table, and a line
	// saying there are no charts.
	buf.Reset()
	if err := WriteComparison(&buf, comparison(t, must(asyncCPUResult())(t))); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"async-cpu on one machine", "No charts overlay async-cpu results"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("async-cpu page lacks %q", want)
		}
	}
	if strings.Contains(buf.String(), "Parameters") {
		t.Error("one result's page compares parameters")
	}
}
