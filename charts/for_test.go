package charts

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// want is what one chart of For should be.
type want struct {
	title  string // a prefix of the title
	series []SeriesInfo
}

// checkCharts compares For's charts with want, and checks what every chart
// must have: the stamp, axis names, a tooltip, and series that match the
// option's data.
func checkCharts(t *testing.T, res experiments.Result, wants []want) []*Chart {
	t.Helper()
	cs := must(For(res))(t)
	if len(cs) != len(wants) {
		var got []string
		for _, c := range cs {
			got = append(got, c.Title())
		}
		t.Fatalf("For made %d charts %q, want %d", len(cs), got, len(wants))
	}
	stamp := res.Base().Stamp.String()
	for i, c := range cs {
		w := wants[i]
		if !strings.HasPrefix(c.Title(), w.title) {
			t.Errorf("chart %d: title %q, want it to start %q", i, c.Title(), w.title)
		}
		if fmt.Sprint(c.Series()) != fmt.Sprint(w.series) {
			t.Errorf("chart %d %q: series %v, want %v", i, c.Title(), c.Series(), w.series)
		}
		checkChart(t, c, stamp)
	}
	return cs
}

// idPat is a valid HTML id that can be part of a JavaScript identifier.
var idPat = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// checkChart checks one chart's option against its own description.
func checkChart(t *testing.T, c *Chart, stamp string) {
	t.Helper()
	p := parse(t, c)
	name := c.Title()
	if !idPat.MatchString(c.ID()) {
		t.Errorf("%q: id %q is not a valid id", name, c.ID())
	}
	if p.Title.Text != c.Title() {
		t.Errorf("%q: option title %q", name, p.Title.Text)
	}
	if stamp != "" && !strings.Contains(p.Title.Subtext, stamp) {
		t.Errorf("%q: subtitle %q lacks the stamp %q", name, p.Title.Subtext, stamp)
	}
	if c.Stamp() != stamp {
		t.Errorf("%q: Stamp() = %q, want %q", name, c.Stamp(), stamp)
	}
	for _, axes := range [][]map[string]any{p.XAxis, p.YAxis} {
		if len(axes) == 0 {
			t.Errorf("%q: no axis", name)
		}
		for _, a := range axes {
			if n, _ := a["name"].(string); n == "" {
				t.Errorf("%q: an axis has no name: %v", name, a)
			}
		}
	}
	if p.Tooltip["show"] != true || p.Tooltip["formatter"] != "js:itemTooltip" {
		t.Errorf("%q: tooltip %v", name, p.Tooltip)
	}
	if len(p.Series) != len(c.Series()) {
		t.Fatalf("%q: option has %d series, Series() %d", name, len(p.Series), len(c.Series()))
	}
	for i, s := range c.Series() {
		if p.Series[i].Name != s.Name || len(p.Series[i].Data) != s.Points {
			t.Errorf("%q: option series %d is %q with %d points, Series() says %v",
				name, i, p.Series[i].Name, len(p.Series[i].Data), s)
		}
	}
	if strings.Contains(c.Option(), "__boundlab_js_") || strings.Contains(c.Option(), "__f__") {
		t.Errorf("%q: a function placeholder is left in the option", name)
	}
}

func TestForSemaphore(t *testing.T) {
	res := must(semaphoreResult())(t)
	// 200 tasks, limits 10 to 200 (the headline, 20, from six runs: an
	// error bar, three points with the gap), latencies 20 ms to 100 ms.
	steps := len(idealSteps(200, 10, 200))
	ideal := SeriesInfo{Name: idealName, Points: steps}
	floor := SeriesInfo{Name: "floor: the formula less the timer's 1 ms", Points: steps}
	models := func(n int) []SeriesInfo {
		var out []SeriesInfo
		for _, m := range []string{"eventloop", "goroutines", "cpython asyncio"} {
			out = append(out, SeriesInfo{m, n}, SeriesInfo{m, 3})
		}
		return out
	}
	cs := checkCharts(t, res, []want{
		{"Runtime against the semaphore limit", append([]SeriesInfo{ideal}, models(4)...)},
		{"Runtime over the formula, against the limit", append([]SeriesInfo{floor}, models(4)...)},
		{"Runtime against the latency", append([]SeriesInfo{{idealName, 2}}, models(3)...)},
		{"Tasks in flight: 200 tasks waiting 100ms, at most 20 at a time", inFlightSeries(t, res)},
		{"eventloop: 200 tasks waiting 100ms, at most 20 at a time", []SeriesInfo{{"wait", 200}}},
		{"eventloop: the recorded limit sweep", []SeriesInfo{{"wait", 200}}},
		{"eventloop: the recorded latency sweep", []SeriesInfo{{"wait", 200}}},
	})
	// In flight: never more than the limit, and the limit reached.
	for _, s := range parse(t, cs[3]).Series {
		most := 0.0
		for _, d := range s.Data {
			most = max(most, valueOf(t, d)[1].(float64))
		}
		if most != 20 {
			t.Errorf("%s: at most %v in flight, want the limit 20", s.Name, most)
		}
	}
	p := parse(t, cs[0])
	if p.XAxis[0]["type"] != "log" || p.YAxis[0]["type"] != "log" {
		t.Errorf("limit chart axes: x %v, y %v; want both log", p.XAxis[0]["type"], p.YAxis[0]["type"])
	}
	if n := p.XAxis[0]["name"].(string); !strings.Contains(n, "limit") {
		t.Errorf("limit chart x axis %q", n)
	}
	// The error bar: from the headline's low to its high, then a gap.
	h := res.Limits[1]
	if h.Limit != 20 || len(h.Walls) != 6 {
		t.Fatalf("the recorded result's second limit point %+v", h)
	}
	if bar := p.Series[2].Data; fmt.Sprint(valueOf(t, bar[0])[:2]) != fmt.Sprint([]any{20.0, sec(h.Low)}) ||
		fmt.Sprint(valueOf(t, bar[1])[:2]) != fmt.Sprint([]any{20.0, sec(h.High)}) || fmt.Sprint(valueOf(t, bar[2])[:2]) != "[20 <nil>]" {
		t.Errorf("eventloop's error bar %v, want 20 from %v to %v, then a gap", bar, sec(h.Low), sec(h.High))
	}
	// A measured point sits at its setting and names it: the limit, or the
	// latency in milliseconds.
	lim := sortedBy(res.Limits, "eventloop", func(p experiments.SemaphorePoint) int { return p.Limit })[0]
	lat := sortedBy(res.Latencies, "eventloop", func(p experiments.SemaphorePoint) time.Duration { return p.Latency })[0]
	for _, c := range []struct {
		chart int
		pt    experiments.SemaphorePoint
		x     float64
		name  string
	}{
		{0, lim, float64(lim.Limit), fmt.Sprintf("limit %d: %s", lim.Limit, units.Duration(lim.Runtime))},
		{2, lat, ms(lat.Latency), fmt.Sprintf("latency %s: %s", lat.Latency, units.Duration(lat.Runtime))},
	} {
		it := itemsAsECharts(t, cs[c.chart])[1][0]
		if v := fmt.Sprint([]any{c.x, sec(c.pt.Runtime)}); it.value != v || !strings.HasPrefix(it.name, c.name) {
			t.Errorf("chart %d: first eventloop point %s %q, want %s named %q…", c.chart, it.value, it.name, v, c.name)
		}
	}
	// The ratio chart draws the bounds the claims judge by.
	r := parse(t, cs[1])
	var marks []string
	for _, m := range r.Series[0].MarkLine.Data {
		marks = append(marks, fmt.Sprintf("%v=%v", m.Name, m.YAxis))
	}
	want := "the formula=1 at most 5% over, at every limit=1.05 at limit 20: at most 2% over=1.02"
	if got := strings.Join(marks, " "); got != want {
		t.Errorf("ratio chart bounds %q, want %q", got, want)
	}
	tl := parse(t, cs[4])
	if rows := tl.YAxis[0]["data"].([]any); len(rows) != 20 || rows[0] != "worker 0" {
		t.Errorf("timeline rows %v, want 20 slots from worker 0", rows)
	}
	if s := tl.Series[0]; s.Type != "custom" || s.Render != "js:timelineBar" || s.Tooltip["formatter"] != "js:timelineTooltip" {
		t.Errorf("timeline series %+v", s)
	}
}

// inFlightSeries is a series per model of the in-flight chart: its
// headline run's steps, a point to start and two each time a task took or
// gave back a slot.
func inFlightSeries(t *testing.T, res *experiments.SemaphoreResult) []SeriesInfo {
	t.Helper()
	var out []SeriesInfo
	for _, h := range res.Headline {
		if _, ok := nearestRun(res, h); !ok {
			t.Fatalf("%s: no headline run", h.Model)
		}
		// A point at 0, then a group of three (the count before, the dip
		// or the peak, the count after) at the first starts, at each of
		// the ⌈tasks/limit⌉ − 1 hand-overs between rounds, and at the last
		// ends: each a burst well inside one stretch of the run.
		rounds := (h.Tasks + h.Limit - 1) / h.Limit
		out = append(out, SeriesInfo{fmt.Sprintf("%s (at most %d at once)", h.Model, h.Limit), 1 + 3*(rounds+1)})
	}
	return out
}

// The in-flight line keeps, per stretch, the peak and the dip in the order
// they came, and the count after; however many events fall inside it.
func TestInFlightSteps(t *testing.T) {
	events := []event{{0, +1}, {0.1, +1}, {0.2, +1}, {5, -1}, {5.01, +1}, {9, -1}, {9.2, -1}, {9.3, -1}}
	pts, most := inFlightSteps("m", events, 1)
	var got []string
	for _, p := range pts {
		got = append(got, fmt.Sprintf("%g:%g", p.x, p.y))
	}
	if want := "0:0 0:0 0:3 0:3 5:3 5:2 5:3 9:3 9:0 9:0"; strings.Join(got, " ") != want || most != 3 {
		t.Errorf("steps %s (most %d), want %s (most 3)", strings.Join(got, " "), most, want)
	}
	if pts[len(pts)-1].name != "m: 0 tasks in flight from 9.0 ms" {
		t.Errorf("last point's tooltip %q", pts[len(pts)-1].name)
	}
	// A width of 0 draws every event: a step per start and end.
	if pts, _ := inFlightSteps("m", events, 0); len(pts) != 1+3*len(events) {
		t.Errorf("%d points for %d events one by one", len(pts), len(events))
	}
}

func TestIdealSteps(t *testing.T) {
	for _, c := range []struct {
		tasks, lo, hi int
		want          string
	}{
		{12, 2, 12, "[[2 6] [3 4] [4 3] [5 3] [6 2] [11 2] [12 1]]"},
		{1000, 1, 1000, ""},
		{8, 2, 4, "[[2 4] [3 3] [4 2]]"},
	} {
		got := idealSteps(c.tasks, c.lo, c.hi)
		if c.want != "" && fmt.Sprint(got) != c.want {
			t.Errorf("idealSteps(%d, %d, %d) = %v, want %s", c.tasks, c.lo, c.hi, got, c.want)
		}
		for _, p := range got {
			if want := (c.tasks + p[0] - 1) / p[0]; p[1] != want {
				t.Errorf("idealSteps(%d, ...): limit %d gives %d rounds, want %d", c.tasks, p[0], p[1], want)
			}
		}
	}
}

// The scaling charts of the recorded quick run (1, 2 and 4 workers, six
// rounds, CPython's threads and processes beside the models): speedups
// with their intervals as error bars, the ratio to each claim's prediction
// with the claims' bounds, a timeline per series, and the serialisation
// the payload adds on log–log axes with the fit and the claim's exponents.
func TestForScaling(t *testing.T) {
	res := must(scalingResult())(t)
	series := []string{"gil", "goroutines", "processes", "cpython threads", "cpython processes"}
	// first, then per series its points and its error bars (three points
	// each: low, high, a gap).
	with := func(first SeriesInfo, points, bars int) []SeriesInfo {
		out := []SeriesInfo{first}
		for _, m := range series {
			out = append(out, SeriesInfo{m, points}, SeriesInfo{m, 3 * bars})
		}
		return out
	}
	var timelines []want
	for _, pt := range res.Points {
		if pt.Workers == 4 {
			timelines = append(timelines, want{fmt.Sprintf("%s, 4 workers", pt.Model), kinds(res.Runs[pt.Run].Spans)})
		}
	}
	ws := append([]want{
		{"Speedup against workers", with(SeriesInfo{"ideal min(workers, cores)", 3}, 3, 2)}, // no bar at one worker, 1 by definition
		{"Speedup over what each claim predicts", with(SeriesInfo{"1 = the prediction", 2}, 2, 2)},
	}, timelines...)
	gil, _ := scalingPoint(res, "gil", 4)
	ws = append(ws, want{"gil: the recorded workers sweep", kinds(res.Runs[gil.Run].Spans)})
	ws = append(ws, want{"Processes: the serialisation time a payload adds", []SeriesInfo{
		{"the claim's bounds: bytes^0.90 to bytes^1.10", 5}, {"processes", 2}, {"processes", 6}, {fitName(t, res), 2}}})
	cs := checkCharts(t, res, ws)

	// The error bars span each speedup's interval, as measured.
	p := parse(t, cs[0])
	pt, _ := scalingPoint(res, "processes", 2)
	bars := fmt.Sprint(valueOf(t, p.Series[6].Data[0]), valueOf(t, p.Series[6].Data[1]))
	if !strings.Contains(bars, fmt.Sprint(round(pt.Low, 4))) || !strings.Contains(bars, fmt.Sprint(round(pt.High, 4))) {
		t.Errorf("processes' error bar at 2 workers %s, want %v to %v", bars, pt.Low, pt.High)
	}
	if !strings.Contains(cs[0].Option(), "at the calibrated speed") {
		t.Error("no calibrated figure in CPython's tooltips")
	}
	// The ratio chart draws the bounds the claims judge by, from their data.
	r := parse(t, cs[1])
	var marks []string
	for _, m := range r.Series[0].MarkLine.Data {
		marks = append(marks, fmt.Sprintf("%v=%v", m.Name, m.YAxis))
	}
	if got, want := strings.Join(marks, " "), "at most 1.15 (threads-no-speedup)=1.15 at least 0.85 (parallel-cpu, processes-scale)=0.85"; got != want {
		t.Errorf("ratio chart bounds %q, want %q", got, want)
	}
	// Two threads on one GIL: each waits while the other computes.
	if gil := kinds(res.Runs[res.Points[2].Run].Spans); len(gil) < 2 || gil[0].Name != "cpu" || gil[1].Name != "gil-wait" {
		t.Errorf("gil timeline series %v, want cpu and gil-wait", gil)
	}
	if p := parse(t, cs[len(cs)-1]); p.XAxis[0]["type"] != "log" || p.YAxis[0]["type"] != "log" {
		t.Errorf("payload axes %v %v, want log", p.XAxis[0]["type"], p.YAxis[0]["type"])
	}
	// The serialisation is drawn against the task's own computation (the
	// quick run's 25ms), its line within the axis.
	pl := parse(t, cs[len(cs)-1])
	var found bool
	for _, s := range pl.Series {
		for _, m := range s.MarkLine.Data {
			found = found || (m.Name == "one task's computation: 25 ms" && m.YAxis == 25)
		}
	}
	if top, _ := pl.YAxis[0]["max"].(float64); !found || top < 25 {
		t.Errorf("payload chart: no line at the task's 25 ms within its axis (max %v)", pl.YAxis[0]["max"])
	}
}

// fitName finds the fit series' name, which holds measured numbers.
func fitName(t *testing.T, res *experiments.ScalingResult) string {
	t.Helper()
	cs := must(For(res))(t)
	for _, s := range cs[len(cs)-1].Series() {
		if strings.HasPrefix(s.Name, "fit: added time ∝ added bytes^") {
			return s.Name
		}
	}
	t.Fatal("no fit series")
	return ""
}

// The GIL chart of the recorded run: the gil model's two threads beside
// CPython's two pool threads as py-spy sampled them, on one time axis,
// the main thread (in no task) named in the subtitle; and where there are
// no samples, an error saying why.
func TestGIL(t *testing.T) {
	res := must(scalingResult())(t)
	c := must(GIL(res))(t)
	checkChart(t, c, res.Stamp.String())
	p := parse(t, c)
	if rows := fmt.Sprint(p.YAxis[0]["data"]); rows != "[gil model · worker 0 gil model · worker 1 CPython (py-spy) · worker 0 CPython (py-spy) · worker 1]" {
		t.Errorf("rows %s", rows)
	}
	if got := fmt.Sprint(c.Series()); !strings.HasPrefix(got, "[{cpu ") || !strings.Contains(got, "{gil-wait ") {
		t.Errorf("series %s", got)
	}
	if !strings.Contains(p.Title.Subtext, "not drawn, running no task: MainThread") {
		t.Errorf("subtitle %q", p.Title.Subtext)
	}
	// Each CPython bar is a sample's state: the red ones add up to about
	// the samples that found a pool thread holding the GIL.
	g := res.GIL
	run, _ := sampledRun(g, res.Runs[g.CPython].Run)
	var held, all time.Duration
	for _, s := range run.Spans {
		for _, sg := range s.Segments {
			if sg.Kind == model.KindCPU {
				held += sg.End - sg.Start
			}
			all += sg.End - sg.Start
		}
	}
	if share := float64(held) / float64(all); share < 0.3 || share > 0.7 {
		t.Errorf("pool threads drawn holding the GIL %.0f%% of their drawn time", 100*share)
	}

	none := *res
	gil := *res.GIL
	gil.Samples, gil.Note = nil, "py-spy did not sample CPython's threads, so the real GIL is not drawn (the rest ran): no py-spy"
	none.GIL = &gil
	if _, err := GIL(&none); err == nil || !strings.Contains(err.Error(), "no py-spy") {
		t.Errorf("GIL without samples: %v", err)
	}
	none.GIL = nil
	if _, err := GIL(&none); err == nil || !strings.Contains(err.Error(), "--spy-threads") {
		t.Errorf("GIL without a sampled run: %v", err)
	}
}

// The async-cpu charts of the recorded quick run (4 tasks × 30 ms, six
// rounds, every model and CPython's asyncio): the loops' lag, the speedups
// with error bars and each claim's prediction and bounds, the concurrent
// runs on one axis, traced: each task on a CPU and waiting for one.
func TestForAsyncCPU(t *testing.T) {
	res := must(asyncCPUResult())(t)
	var lanes, lags []SeriesInfo
	on, waiting := 0, 0
	for _, pt := range res.Points {
		if pt.Model == "eventloop" || pt.Model == "cpython asyncio" {
			n := len(res.Runs[pt.Concurrent].LoopLag)
			lags = append(lags, SeriesInfo{pt.Model + " heartbeat: due → fired", n}, SeriesInfo{pt.Model + " heartbeat: due → fired", 3 * n})
		}
		if pt.Model == "eventloop" || pt.Model == "cpython asyncio" || pt.Model == "goroutines" {
			for _, s := range res.Runs[pt.Traced].Spans {
				for _, g := range s.Sched {
					if g.Kind == model.KindOnCPU {
						on++
					} else {
						waiting++
					}
				}
			}
		}
	}
	lanes = []SeriesInfo{{"on a CPU", on}, {"waiting for a CPU", waiting}}
	n := len(res.Points)
	// Every heartbeat due on a free loop's schedule (every 10ms) up to the
	// longer run's end, 118.6 ms.
	lags = append([]SeriesInfo{{"fired when due (no lag)", 2}}, append(lags, SeriesInfo{"due on a free loop's schedule, every 10ms", 11})...)
	cs := checkCharts(t, res, []want{
		{"Event loop lag", lags},
		{"Speedup of running the tasks all at once", []SeriesInfo{{"measured speedup", n}, {"measured speedup", 3 * n}, {"the claim's prediction", 2 * n}, {"the claim's bounds", 14}}},
		{"All at once: 4 tasks × 30ms CPU", lanes},
	})
	tl := parse(t, cs[2])
	rows := fmt.Sprint(tl.YAxis[0]["data"])
	if !strings.HasPrefix(rows, "[eventloop · worker 0 goroutines · worker 0") {
		t.Errorf("combined timeline rows %s", rows)
	}
	// The subtitle says the runs were traced apart, how, and the most on
	// a CPU at once, as the points count it.
	most := map[string]int{}
	for _, pt := range res.Points {
		most[pt.Model] = pt.MaxComputingLow
	}
	for _, want := range []string{"traced apart from the measured runs", "eventloop, goroutines from Go's execution tracer", "cpython asyncio from each thread's CPU clock",
		fmt.Sprintf("most tasks on a CPU at once: eventloop %d, goroutines %d, cpython asyncio %d", most["eventloop"], most["goroutines"], most["cpython asyncio"])} {
		if !strings.Contains(tl.Title.Subtext, want) {
			t.Errorf("timeline subtitle %q lacks %q", tl.Title.Subtext, want)
		}
	}
	if most["goroutines"] > res.Stamp.GOMAXPROCS || most["eventloop"] != 1 {
		t.Errorf("recorded run: most on a CPU at once %v with GOMAXPROCS %d", most, res.Stamp.GOMAXPROCS)
	}
	if !strings.Contains(cs[0].Option(), "longest CPU step") {
		t.Error("lag chart has no longest-CPU-step line")
	}
	// Each model's bounds are its claim's: 0.9 and 1.1 for the loops,
	// 1.15 for gil threads, 1.7 for goroutines and processes.
	sp := parse(t, cs[1])
	var bounds []string
	for _, d := range sp.Series[3].Data {
		if v := valueOf(t, d)[:2]; v[1] != nil {
			bounds = append(bounds, fmt.Sprintf("%v:%v", v...))
		}
	}
	if got := strings.Join(bounds, " "); got != "0:0.9 0:1.1 1:1.7 2:1.7 3:1.15 4:0.9 4:1.1" {
		t.Errorf("bounds %q", got)
	}
}

func TestForErrors(t *testing.T) {
	if _, err := For(nil); err == nil {
		t.Error("For(nil): no error")
	}
	_, err := For(&otherResult{Report: experiments.Report{Question: "other"}})
	if err == nil || !strings.Contains(err.Error(), "otherResult") || !strings.Contains(err.Error(), `"other"`) {
		t.Errorf("For(other result) = %v, want an error naming the type and question", err)
	}
}

// otherResult is a result For knows nothing of.
type otherResult struct{ experiments.Report }

// TestIDsUnique checks that ids are unique over all For's charts.
func TestIDsUnique(t *testing.T) {
	seen := map[string]string{}
	for _, res := range []experiments.Result{must(semaphoreResult())(t), must(asyncCPUResult())(t), must(scalingResult())(t)} {
		for _, c := range must(For(res))(t) {
			if prev, ok := seen[c.ID()]; ok {
				t.Errorf("id %s of %q is also %q's", c.ID(), c.Title(), prev)
			}
			seen[c.ID()] = c.Title()
		}
	}
}
