package charts

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// sweepOpt is a sweep chart's option as the tests read it.
type sweepOpt struct {
	Timeline struct {
		Data         []string `json:"data"`
		CurrentIndex int      `json:"currentIndex"`
	} `json:"timeline"`
	Series []struct {
		Data []any `json:"data"`
	} `json:"series"`
	Options []sweepOptPoint `json:"options"`
}

// sweepOptPoint is one point's partial option.
type sweepOptPoint struct {
	Title struct {
		Subtext string `json:"subtext"`
	} `json:"title"`
	YAxis []struct {
		Data []string `json:"data"`
	} `json:"yAxis"`
	Series []struct {
		Data     [][]float64 `json:"data"`
		MarkLine struct {
			Data []struct {
				Name  string  `json:"name"`
				XAxis float64 `json:"xAxis"`
			} `json:"data"`
		} `json:"markLine"`
	} `json:"series"`
}

// parseSweep decodes a sweep chart's option.
func parseSweep(t *testing.T, c *Chart) sweepOpt {
	t.Helper()
	var o sweepOpt
	if err := json.Unmarshal([]byte(unsplice.Replace(c.Option())), &o); err != nil {
		t.Fatalf("%q: %v", c.Title(), err)
	}
	return o
}

// sweepHead parses sweep chart c and checks what every sweep shows the
// same way: a title starting title, a control point per label in order,
// starting at start, and a partial option per point.
func sweepHead(t *testing.T, c *Chart, title string, labels []string, start int) sweepOpt {
	t.Helper()
	if !strings.HasPrefix(c.Title(), title) {
		t.Errorf("title %q, want it to start %q", c.Title(), title)
	}
	o := parseSweep(t, c)
	if !slices.Equal(o.Timeline.Data, labels) {
		t.Fatalf("control points %q, want %q", o.Timeline.Data, labels)
	}
	if o.Timeline.CurrentIndex != start || len(o.Options) != len(labels) {
		t.Fatalf("the control starts at %d (%s) with %d options, want %d (%s), one per point", o.Timeline.CurrentIndex,
			labels[min(max(o.Timeline.CurrentIndex, 0), len(labels)-1)], len(o.Options), start, labels[start])
	}
	return o
}

// sweepOf is the sweep chart among For's charts of res whose title holds
// what, e.g. "the recorded limit sweep".
func sweepOf(t *testing.T, res experiments.Result, what string) *Chart {
	t.Helper()
	for _, c := range must(For(res))(t) {
		if strings.Contains(c.Title(), what) {
			return c
		}
	}
	t.Fatalf("For drew no chart of %q", what)
	return nil
}

// TestSemaphoreSweep reads the limit sweep's chart on the recorded quick
// run: a control point per limit, starting at the lecture's limit, whose
// bars are that limit's recorded run's tasks, the formula's line at its
// runtime, and the sweep claim's range and recorded verdict in words. The
// recorded result kept the tasks of the headline runs only: the other
// limits say so and draw nothing.
func TestSemaphoreSweep(t *testing.T) {
	res := must(semaphoreResult())(t)
	c := sweepOf(t, res, "the recorded limit sweep")
	m := res.Headline[0].Model
	// The control starts at the lecture's limit, 20.
	o := sweepHead(t, c, m+": the recorded limit sweep", []string{"limit 10", "limit 20", "limit 100", "limit 200"}, 1)
	v, ok := res.Verdict("semaphore-sweep", m)
	if !ok {
		t.Fatal("no recorded sweep verdict")
	}
	pts := sortedBy(res.Limits, m, func(p experiments.SemaphorePoint) int { return p.Limit })
	for i, p := range pts {
		op := o.Options[i]
		sub := op.Title.Subtext
		for _, w := range []string{fmt.Sprintf("limit %d: runtime %s", p.Limit, units.Duration(p.Runtime)), fmt.Sprintf("%.4f × the formula", p.Ratio),
			fmt.Sprintf("(dashed: ⌈200/%d⌉ × 100ms = %s)", p.Limit, units.Duration(p.Ideal)), "(dotted: 5% over)",
			"inside the sweep claim's range", fmt.Sprintf("the claim's verdict on the whole sweep (%s): %s", m, v.Outcome), res.Stamp.String()} {
			if !strings.Contains(sub, w) {
				t.Errorf("limit %d: subtitle %q lacks %q", p.Limit, sub, w)
			}
		}
		marks := op.Series[0].MarkLine.Data
		if len(marks) != 2 || marks[0].XAxis != ms(p.Ideal) || marks[1].XAxis != ms(time.Duration(float64(p.Ideal)*1.05)) {
			t.Errorf("limit %d: marks %+v, want the formula at %v ms and 5%% over", p.Limit, marks, ms(p.Ideal))
		}
		k, _ := nearestRun(res, p)
		run := res.Runs[k]
		if len(run.Spans) == 0 {
			if len(op.Series[0].Data) != 0 || !strings.Contains(sub, "its tasks were not kept in the result") {
				t.Errorf("limit %d: no recorded tasks, but %d bars and subtitle %q", p.Limit, len(op.Series[0].Data), sub)
			}
			continue
		}
		// The run's tasks, one bar each, on a row per semaphore slot.
		if len(op.Series[0].Data) != len(run.Spans) || len(op.YAxis[0].Data) != p.Limit {
			t.Errorf("limit %d: %d bars on %d rows, want %d tasks on %d slots", p.Limit, len(op.Series[0].Data), len(op.YAxis[0].Data), len(run.Spans), p.Limit)
		}
		if !strings.Contains(sub, fmt.Sprintf("of %d runs, the one nearest their median", len(p.Runs))) {
			t.Errorf("limit %d: subtitle %q does not say which run", p.Limit, sub)
		}
		seen := map[int]bool{}
		for _, b := range op.Series[0].Data {
			task := int(b[3])
			s := run.Spans[slices.IndexFunc(run.Spans, func(s model.Span) bool { return s.Task == task })]
			if seen[task] || b[1] != ms(s.Segments[0].Start) || b[2] != ms(s.Segments[0].End) {
				t.Errorf("limit %d: bar %v is not task %d's wait %v", p.Limit, b, task, s.Segments[0])
			}
			seen[task] = true
		}
		if i == o.Timeline.CurrentIndex && len(o.Series[0].Data) != len(op.Series[0].Data) {
			t.Errorf("the chart opens with %d bars, its starting point holds %d", len(o.Series[0].Data), len(op.Series[0].Data))
		}
	}
	if want := []SeriesInfo{{"wait", 200}}; fmt.Sprint(c.Series()) != fmt.Sprint(want) {
		t.Errorf("Series() = %v, want the starting point's %v", c.Series(), want)
	}
}

// TestSemaphoreSweepOutside edits the recorded run so that one limit's
// runtime is 20% over the formula: its line says it is outside the claim's
// range, and the others still inside.
func TestSemaphoreSweepOutside(t *testing.T) {
	res := *must(semaphoreResult())(t)
	res.Limits = slices.Clone(res.Limits)
	m := res.Headline[0].Model
	i := slices.IndexFunc(res.Limits, func(p experiments.SemaphorePoint) bool { return p.Model == m && p.Limit == 100 })
	res.Limits[i].Ratio = 1.2
	o := parseSweep(t, sweepOf(t, &res, "the recorded limit sweep"))
	for k, op := range o.Options {
		want := "inside"
		if o.Timeline.Data[k] == "limit 100" {
			want = "outside"
		}
		if !strings.Contains(op.Title.Subtext, "1.2000 × the formula") && want == "outside" ||
			!strings.Contains(op.Title.Subtext, want+" the sweep claim's range") {
			t.Errorf("%s: subtitle %q, want %s the range", o.Timeline.Data[k], op.Title.Subtext, want)
		}
	}
}

// TestSemaphoreLatencySweep reads the latency sweep's chart on the
// recorded quick run: a control point per latency, starting at the
// lecture's, each with the formula's line at its runtime, the point's
// ratio to it, and the slope claim's recorded verdict on the whole sweep
// with the slope it measured; an edited verdict shows through. The
// recorded result kept the tasks of the headline runs only: the other
// latencies say so and draw nothing.
func TestSemaphoreLatencySweep(t *testing.T) {
	res := *must(semaphoreResult())(t)
	m := res.Headline[0].Model
	res.Verdicts = slices.Clone(res.Verdicts)
	k := slices.IndexFunc(res.Verdicts, func(v experiments.Verdict) bool { return v.ClaimID == "latency-proportional" && v.Model == m })
	if k < 0 {
		t.Fatal("no recorded latency-proportional verdict")
	}
	res.Verdicts[k].Outcome, res.Verdicts[k].Measured = experiments.DoesNotHold, 3.5
	c := sweepOf(t, &res, "the recorded latency sweep")
	// The control starts at the lecture's latency, 100 ms.
	o := sweepHead(t, c, m+": the recorded latency sweep, a run per latency", []string{"latency 20ms", "latency 50ms", "latency 100ms"}, 2)
	drawn := 0
	for i, p := range sortedBy(res.Latencies, m, func(p experiments.SemaphorePoint) time.Duration { return p.Latency }) {
		op := o.Options[i]
		sub := op.Title.Subtext
		for _, w := range []string{fmt.Sprintf("latency %s: runtime %s", p.Latency, units.Duration(p.Runtime)), fmt.Sprintf("%.4f × the formula", p.Ratio),
			fmt.Sprintf("(dashed: ⌈200/20⌉ × %s = %s)", p.Latency, units.Duration(p.Ideal)),
			fmt.Sprintf("the claim on the whole sweep (%s): runtime grows by 3.50 s a second of latency, against ⌈200/20⌉ = 10: does not hold", m), res.Stamp.String()} {
			if !strings.Contains(sub, w) {
				t.Errorf("latency %s: subtitle %q lacks %q", p.Latency, sub, w)
			}
		}
		if marks := op.Series[0].MarkLine.Data; len(marks) != 1 || marks[0].XAxis != ms(p.Ideal) {
			t.Errorf("latency %s: marks %+v, want the formula at %v ms", p.Latency, marks, ms(p.Ideal))
		}
		k, _ := nearestRun(&res, p)
		run := res.Runs[k]
		if len(run.Spans) == 0 {
			if len(op.Series[0].Data) != 0 || !strings.Contains(sub, "its tasks were not kept in the result") {
				t.Errorf("latency %s: no recorded tasks, but %d bars and subtitle %q", p.Latency, len(op.Series[0].Data), sub)
			}
			continue
		}
		drawn++
		if len(op.Series[0].Data) != len(run.Spans) || !strings.Contains(sub, fmt.Sprintf("200 tasks waiting %s in 10 rounds of at most 20", p.Latency)) {
			t.Errorf("latency %s: %d bars, subtitle %q; want the run's %d tasks in 10 rounds", p.Latency, len(op.Series[0].Data), sub, len(run.Spans))
		}
	}
	if drawn == 0 {
		t.Error("no latency's run drawn")
	}
}

// TestSemaphoreSweepNone: a result whose sweep kept no tasks, or has one
// limit, has no sweep chart.
func TestSemaphoreSweepNone(t *testing.T) {
	res := *must(semaphoreResult())(t)
	dropSpans(res.Base())
	if _, ok, err := semaphoreSweep(&res, res.Headline[0].Model, "", semaphoreLimitSweep); ok || err != nil {
		t.Errorf("no tasks kept: ok %v, err %v; want no chart", ok, err)
	}
	one := *must(semaphoreResult())(t)
	one.Limits = one.Limits[:1]
	if _, ok, err := semaphoreSweep(&one, one.Limits[0].Model, "", semaphoreLimitSweep); ok || err != nil {
		t.Errorf("one limit: ok %v, err %v; want no chart", ok, err)
	}
}

// waitRun is a run of tasks waiting d each under a semaphore of limit, as
// the goroutines model lays them out: task i on slot i%limit, in round
// i/limit.
func waitRun(tasks, limit int, d time.Duration) *model.Run {
	run := &model.Run{Model: "goroutines", Concurrency: limit, Tasks: tasks}
	for i := range tasks {
		start := time.Duration(i/limit) * d
		run.Spans = append(run.Spans, model.Span{Task: i, Worker: i % limit, Start: start, End: start + d,
			Segments: []model.Segment{{Kind: model.KindWait, Start: start, End: start + d}}})
	}
	return run
}

// TestSweepBarsOf checks the sampling that keeps a point small: every
// row's tasks whole where they fit, every k-th row where rows or bars are
// too many, touching bars merged where one row alone holds too many.
func TestSweepBarsOf(t *testing.T) {
	for _, c := range []struct {
		tasks, limit    int
		rows, bars      int
		note            string
		wholeRowsOfTask bool
	}{
		{200, 20, 20, 200, "", true},
		{1000, 100, 50, 500, "a sample: every 2nd row drawn, 50 of 100 rows, 500 of 1000 tasks", true},
		{1000, 1000, 50, 50, "every 20th row drawn, 50 of 1000 rows, 50 of 1000 tasks", true},
		{1000, 10, 5, 500, "every 2nd row drawn, 5 of 10 rows, 500 of 1000 tasks", true},
		{1000, 1, 1, 1, "1000 segments: touching ones merged into 1 bars", false},
	} {
		rows, bars, note := sweepBarsOf(waitRun(c.tasks, c.limit, 100*time.Millisecond), sweepCap{sweepRows, sweepBars}, "")
		if len(rows) != c.rows || len(bars) != c.bars || !strings.Contains(note, c.note) || (c.note == "") != (note == "") {
			t.Errorf("%d tasks, limit %d: %d rows, %d bars, note %q; want %d, %d, %q", c.tasks, c.limit, len(rows), len(bars), note, c.rows, c.bars, c.note)
		}
		if c.wholeRowsOfTask {
			for _, b := range bars {
				if want := fmt.Sprintf("worker %d", b.task%c.limit); rows[b.row] != want {
					t.Errorf("%d tasks, limit %d: task %d on %q, want %q", c.tasks, c.limit, b.task, rows[b.row], want)
					break
				}
			}
		}
	}
}

// TestScalingSweep reads the workers sweep's chart on the recorded quick
// run: a control point per pool size of the first series (gil), starting
// at the largest, each with that size's speedup, the claim's prediction
// and bound as lines at one worker's wall over them, and the claim's
// recorded verdict at that size. The recorded result kept the tasks of
// the largest pool's run only: it draws them, a row per thread; the other
// sizes say their tasks were not kept and draw nothing. An edited verdict
// shows through.
func TestScalingSweep(t *testing.T) {
	res := *must(scalingResult())(t)
	res.Verdicts = slices.Clone(res.Verdicts)
	edited := slices.IndexFunc(res.Verdicts, func(v experiments.Verdict) bool {
		return v.ClaimID == "threads-no-speedup" && v.Model == "gil" && strings.HasPrefix(v.Detail, "2 workers,")
	})
	res.Verdicts[edited].Outcome = experiments.DoesNotHold
	c := sweepOf(t, &res, "the recorded workers sweep")
	// The control starts at the largest pool.
	o := sweepHead(t, c, "gil: the recorded workers sweep", []string{"1 worker", "2 workers", "4 workers"}, 2)
	base, _ := scalingPoint(&res, "gil", 1)
	for i, w := range []int{1, 2, 4} {
		p, _ := scalingPoint(&res, "gil", w)
		op := o.Options[i]
		sub := op.Title.Subtext
		marks := op.Series[0].MarkLine.Data
		if !strings.Contains(sub, "recorded run at "+o.Timeline.Data[i]) || !strings.Contains(sub, res.Stamp.String()) {
			t.Errorf("%d workers: subtitle %q does not name the point's run and the stamp", w, sub)
		}
		if w == 1 {
			if len(marks) != 1 || marks[0].XAxis != ms(base.Wall) || !strings.Contains(sub, "no claim is judged at one worker") {
				t.Errorf("1 worker: marks %+v, subtitle %q; want one worker's wall %v ms and no claim", marks, sub, ms(base.Wall))
			}
		} else {
			outcome := experiments.Holds
			if w == 2 {
				outcome = experiments.DoesNotHold
			}
			if v := slices.IndexFunc(res.Verdicts, func(v experiments.Verdict) bool {
				return v.ClaimID == "threads-no-speedup" && v.Model == "gil" && strings.HasPrefix(v.Detail, fmt.Sprintf("%d workers,", w))
			}); res.Verdicts[v].Outcome != outcome {
				t.Fatalf("%d workers: recorded %s, the test expects %s", w, res.Verdicts[v].Outcome, outcome)
			}
			for _, want := range []string{fmt.Sprintf("%d workers: speedup %s", w, p.Text()), "threads-no-speedup predicts 1×, at most 1.15×",
				fmt.Sprintf("the verdict at %d workers (gil): threads-no-speedup: %s", w, outcome)} {
				if !strings.Contains(sub, want) {
					t.Errorf("%d workers: subtitle %q lacks %q", w, sub, want)
				}
			}
			if len(marks) != 2 || marks[0].XAxis != ms(base.Wall) || marks[1].XAxis != ms(time.Duration(float64(base.Wall)/1.15)) {
				t.Errorf("%d workers: marks %+v, want one worker's wall %v ms (1×) and it over 1.15", w, marks, ms(base.Wall))
			}
		}
		run := res.Runs[p.Run]
		if len(run.Spans) == 0 {
			if len(op.Series[0].Data) != 0 || !strings.Contains(sub, "its tasks were not kept in the result") {
				t.Errorf("%d workers: no recorded tasks, but %d bars and subtitle %q", w, len(op.Series[0].Data), sub)
			}
			continue
		}
		tasks, bars := map[int]bool{}, 0
		for _, s := range op.Series {
			for _, b := range s.Data {
				tasks[int(b[3])] = true
				bars++
			}
		}
		if len(tasks) != run.Tasks || len(op.YAxis[0].Data) != w || bars == 0 {
			t.Errorf("%d workers: %d tasks on %d rows, want %d tasks on a row per thread", w, len(tasks), len(op.YAxis[0].Data), run.Tasks)
		}
	}
}

// TestScalingSweepNone: a result with one pool size, or whose sweep kept
// no tasks, has no workers sweep.
func TestScalingSweepNone(t *testing.T) {
	one := *must(scalingResult())(t)
	one.Points = slices.DeleteFunc(slices.Clone(one.Points), func(p experiments.ScalingPoint) bool { return p.Workers != 4 })
	if _, ok, err := scalingSweep(&one, ""); ok || err != nil {
		t.Errorf("one pool size: ok %v, err %v; want no chart", ok, err)
	}
	none := *must(scalingResult())(t)
	dropSpans(none.Base())
	if _, ok, err := scalingSweep(&none, ""); ok || err != nil {
		t.Errorf("no tasks kept: ok %v, err %v; want no chart", ok, err)
	}
}

// dropSpans makes r's runs copies without their tasks, as a result that
// kept only its figures.
func dropSpans(r *experiments.Report) {
	r.Runs = slices.Clone(r.Runs)
	for i := range r.Runs {
		run := *r.Runs[i].Run
		run.Spans = nil
		r.Runs[i].Run = &run
	}
}

// TestSemaphoreOneLimitCurve: a result of one limit (a quick run from the
// control panel) draws the formula's staircase from half that limit to
// twice it, through the point, on the runtime's and the ratio's charts.
func TestSemaphoreOneLimitCurve(t *testing.T) {
	res := *must(semaphoreResult())(t)
	res.Limits = slices.DeleteFunc(slices.Clone(res.Limits), func(p experiments.SemaphorePoint) bool { return p.Limit != 20 })
	for _, title := range []string{"Runtime against the semaphore limit", "Runtime over the formula, against the limit"} {
		var c *Chart
		for _, x := range must(For(&res))(t) {
			if x.Title() == title {
				c = x
			}
		}
		if c == nil {
			t.Fatalf("no chart %q", title)
		}
		curve := parse(t, c).Series[0]
		lo, hi, at20 := math.Inf(1), 0.0, false
		for _, d := range curve.Data {
			v := valueOf(t, d)
			x := v[0].(float64)
			lo, hi = min(lo, x), max(hi, x)
			at20 = at20 || x == 20
		}
		if len(curve.Data) < 2 || lo != 10 || hi != 40 || !at20 {
			t.Errorf("%q: the formula's curve %q has %d points from limit %v to %v; want a line from 10 to 40 through 20", title, curve.Name, len(curve.Data), lo, hi)
		}
	}
}
