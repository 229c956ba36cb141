package charts

import (
	"fmt"
	"math"

	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
)

// asyncCPUCharts are the async-cpu result's charts: the event loop's lag
// over time, speedup per model, and the event loop's and goroutines'
// concurrent runs on one time axis.
func asyncCPUCharts(res *experiments.AsyncCPUResult) ([]*Chart, error) {
	stamp := res.Stamp.String()
	work := fmt.Sprintf("%s tasks × %s CPU", param(res.Base(), "tasks"), param(res.Base(), "cpu"))
	var out []*Chart
	for _, pt := range res.Points {
		if pt.Model != "eventloop" || !validRun(res.Base(), pt.Concurrent) {
			continue
		}
		c, err := loopLag(res, pt, work, stamp)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		break
	}
	if len(res.Points) > 0 {
		c, err := asyncSpeedup(res, work, stamp)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if lanes := concurrentLanes(res); len(lanes) > 0 {
		f := frame{
			title:   fmt.Sprintf("All at once: %s, started together", work),
			context: "the concurrent runs on one time axis · a row per semaphore slot",
			stamp:   stamp,
		}
		c, err := timeline(f, lanes...)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// validRun reports whether i indexes a run of r.
func validRun(r *experiments.Report, i int) bool {
	return i >= 0 && i < len(r.Runs) && r.Runs[i].Run != nil
}

// concurrentLanes are the eventloop's and goroutines' concurrent runs, or,
// if the result has neither, every model's.
func concurrentLanes(res *experiments.AsyncCPUResult) []lane {
	pick := func(keep func(string) bool) []lane {
		var ls []lane
		for _, pt := range res.Points {
			if keep(pt.Model) && validRun(res.Base(), pt.Concurrent) {
				ls = append(ls, lane{prefix: pt.Model + " · ", run: res.Runs[pt.Concurrent].Run})
			}
		}
		return ls
	}
	if ls := pick(func(m string) bool { return m == "eventloop" || m == "goroutines" }); len(ls) > 0 {
		return ls
	}
	return pick(func(string) bool { return true })
}

// loopLag draws the event loop's heartbeat lag during the concurrent run,
// with the longest CPU step as a reference line.
func loopLag(res *experiments.AsyncCPUResult, pt experiments.AsyncCPUPoint, work, stamp string) (*Chart, error) {
	run := res.Runs[pt.Concurrent].Run
	s := xySeries{name: "heartbeat lag", color: modelColor("eventloop", 0)}
	top := ms(pt.LongestStep)
	for _, l := range run.LoopLag {
		s.points = append(s.points, point{x: ms(l.At), y: ms(l.Lag),
			name: fmt.Sprintf("timer due at %.3f ms fired %.3f ms late", ms(l.At), ms(l.Lag))})
		top = max(top, ms(l.Lag))
	}
	s.marks = []opts.MarkLineNameYAxisItem{{
		Name: fmt.Sprintf("longest CPU step %.1f ms", ms(pt.LongestStep)), YAxis: ms(pt.LongestStep),
	}}
	wall := ms(run.Totals.Wall)
	s.xMarks = []opts.MarkLineNameXAxisItem{{Name: fmt.Sprintf("run ends %.1f ms", wall), XAxis: wall}}
	f := frame{
		title: "Event loop lag while CPU-bound tasks run",
		context: fmt.Sprintf("%s at once · a timer every %s; %d fired in %s, the worst %s late",
			work, param(res.Base(), "heartbeat"), len(run.LoopLag), fmtDur(run.Totals.Wall), fmtDur(pt.MaxLoopLag)),
		stamp: stamp,
	}
	if len(run.LoopLag) == 0 {
		f.note = "no heartbeat fired during the run"
	}
	x := valueAxis("heartbeat due at (ms since run start)")
	x.Min, x.Max = 0, math.Ceil(wall)
	x.AxisLabel = &opts.AxisLabel{ShowMaxLabel: opts.Bool(false)}
	y := yValue("lag: how late the timer fired (ms)")
	y.Min, y.Max = 0, niceCeil(top*1.15)
	return xyChart("asynccpu_looplag", f, x, y, []xySeries{s})
}

// asyncSpeedup draws each model's speedup of all-at-once over one after
// another, beside what the lecture expects of it.
func asyncSpeedup(res *experiments.AsyncCPUResult, work, stamp string) (*Chart, error) {
	var cats []string
	measured := barGroup{name: "measured speedup", color: "#5470c6"}
	expected := barGroup{name: "the lecture's expectation", color: "#c8c8c8"}
	for _, pt := range res.Points {
		cats = append(cats, pt.Model)
		measured.values = append(measured.values, round(pt.Speedup, 4))
		measured.names = append(measured.names, fmt.Sprintf("%s: %.3f× · at most %d computing at once", pt.Model, pt.Speedup, pt.MaxComputing))
		e, claim := expectedSpeedup(res.Base(), pt.Model)
		expected.values = append(expected.values, e)
		expected.names = append(expected.names, fmt.Sprintf("%s: %g× (%s)", pt.Model, e, claim))
	}
	f := frame{
		title:   "Speedup of running the tasks all at once",
		context: fmt.Sprintf("%s · one after another, then all at once · wall time ratio", work),
		stamp:   stamp,
	}
	y := yValue("speedup over one after another (×)")
	y.Min = 0
	mark := []opts.MarkLineNameYAxisItem{{Name: "1× = no gain", YAxis: 1}}
	return barChart("asynccpu_speedup", f, cats, "model", y, []barGroup{measured, expected}, mark)
}

// expectedSpeedup is the speedup the lecture's claim on model predicts, read
// from the verdicts, and the claim's id; NaN if no claim judged it.
func expectedSpeedup(r *experiments.Report, model string) (float64, string) {
	for _, id := range []string{
		experiments.ClaimAsyncNoSpeedup.ID, experiments.ClaimThreadsNoSpeedup.ID, experiments.ClaimParallelCPU.ID,
	} {
		if v, ok := r.Verdict(id, model); ok {
			return v.Expected, id
		}
	}
	return math.NaN(), "no claim"
}

// niceCeil rounds x up to 1, 2 or 5 times a power of ten.
func niceCeil(x float64) float64 {
	if x <= 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}
