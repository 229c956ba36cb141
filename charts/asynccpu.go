package charts

import (
	"fmt"
	"math"
	"strings"
	"time"

	gocharts "github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// asyncCPUCharts are the async-cpu result's charts: the event loop's lag
// over time, speedup per model, and the event loop's and goroutines'
// concurrent runs on one time axis.
func asyncCPUCharts(res *experiments.AsyncCPUResult) ([]*Chart, error) {
	stamp := res.Stamp.String()
	work := fmt.Sprintf("%s tasks × %s CPU", param(res.Base(), "tasks"), param(res.Base(), "cpu"))
	var out []*Chart
	var loops []experiments.AsyncCPUPoint
	for _, pt := range res.Points {
		if isLoop(pt) && validRun(res.Base(), pt.Concurrent) {
			loops = append(loops, pt)
		}
	}
	if len(loops) > 0 {
		c, err := loopLag(res, loops, work, stamp)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(res.Points) > 0 {
		c, err := asyncSpeedup(res, work, stamp)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if lanes, traced := concurrentLanes(res); len(lanes) > 0 {
		which := "the runs all at once nearest the median wall"
		if traced == len(lanes) {
			which = "a run all at once of each, traced apart from the measured runs (tracing slows a run a little)"
		} else if traced > 0 {
			which = "runs all at once: traced apart from the measured runs where they could be, else the measured run nearest the median wall"
		}
		c, err := allAtOnce(work, which+" · on one time axis · a row per semaphore slot", stamp, lanes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// isLoop reports whether pt ran on an event loop: the eventloop model, or
// CPython's asyncio.
func isLoop(pt experiments.AsyncCPUPoint) bool {
	return model.ParseSeries(pt.Model).EventLoop()
}

// concurrentLanes are the event loops' (the eventloop model's and CPython's
// asyncio) and goroutines' runs all at once, or, if the result has none of
// them, every model's: each series' traced run where it has one (see
// experiments.AsyncCPUPoint.Traced), else its measured run nearest the
// median. traced counts the lanes that are traced runs.
func concurrentLanes(res *experiments.AsyncCPUResult) (lanes []lane, traced int) {
	pick := func(keep func(string) bool) ([]lane, int) {
		var ls []lane
		n := 0
		for _, pt := range res.Points {
			if !keep(pt.Model) {
				continue
			}
			switch {
			case validRun(res.Base(), pt.Traced) && res.Runs[pt.Traced].Trace != nil:
				ls = append(ls, lane{prefix: pt.Model + " · ", run: res.Runs[pt.Traced].Run})
				n++
			case validRun(res.Base(), pt.Concurrent):
				ls = append(ls, lane{prefix: pt.Model + " · ", run: res.Runs[pt.Concurrent].Run})
			}
		}
		return ls, n
	}
	loopsAndGoroutines := func(m string) bool {
		s := model.ParseSeries(m)
		return s.EventLoop() || s.Model == model.Goroutines
	}
	if ls, n := pick(loopsAndGoroutines); len(ls) > 0 {
		return ls, n
	}
	return pick(func(string) bool { return true })
}

// loopLag draws each event loop's heartbeats during its concurrent run
// (the eventloop model's and CPython's asyncio's, on one chart): every
// heartbeat a free loop would have fired on its schedule, on the diagonal
// where fired equals due, and each heartbeat that did fire as a stem from
// when it was due up to when it fired, so that a blocked loop shows as a
// few tall stems over a row of heartbeats that never came.
func loopLag(res *experiments.AsyncCPUResult, pts []experiments.AsyncCPUPoint, work, stamp string) (*Chart, error) {
	var series []xySeries
	var wall float64
	var parts []string
	for i, pt := range pts {
		run := res.Runs[pt.Concurrent].Run
		name := "heartbeat: due → fired"
		if len(pts) > 1 {
			name = pt.Model + " heartbeat: due → fired"
		}
		s := xySeries{name: name, color: modelColor(pt.Model, i), symbol: modelSymbol(pt.Model)}
		var stems []interval
		for _, l := range run.LoopLag {
			due, fired := ms(l.At), ms(l.At+l.Lag)
			text := fmt.Sprintf("%s: heartbeat due at %.1f ms fired at %.1f ms, %.1f ms late", pt.Model, due, fired, ms(l.Lag))
			s.points = append(s.points, point{x: due, y: fired, name: text})
			stems = append(stems, interval{x: due, low: due, high: fired, name: text})
			wall = max(wall, fired)
		}
		w := ms(run.Totals.Wall)
		wall = max(wall, w)
		series = append(series, withIntervals(s, stems)...)
		part := fmt.Sprintf("%d fired in %s, the worst %s late", len(run.LoopLag), units.Duration(run.Totals.Wall), units.Duration(pt.MaxLoopLag))
		if len(pts) > 1 {
			part = pt.Model + ": " + part
		}
		parts = append(parts, part)
	}
	end := math.Ceil(wall)
	diag := xySeries{name: "fired when due (no lag)", ideal: true,
		points: []point{{x: 0, y: 0, name: "a free loop fires each heartbeat when it is due"}, {x: end, y: end, name: "a free loop fires each heartbeat when it is due"}}}
	series = append([]xySeries{diag}, series...)
	heartbeat := param(res.Base(), "heartbeat")
	if period, err := time.ParseDuration(heartbeat); err == nil && period > 0 {
		due := xySeries{name: "due on a free loop's schedule, every " + heartbeat, color: "#a0a0a0", symbol: "emptyCircle", unjoined: true}
		for t := period; ms(t) <= end; t += period {
			due.points = append(due.points, point{x: ms(t), y: ms(t),
				name: fmt.Sprintf("a heartbeat every %s: due at %.0f ms on a free loop", heartbeat, ms(t))})
		}
		if len(due.points) > 0 {
			series = append(series, due)
		}
	}
	f := frame{
		title: "Event loop lag while CPU-bound tasks run",
		context: fmt.Sprintf("%s at once, the longest CPU step %s · a heartbeat timer every %s, re-armed when it fires\ncircles: when heartbeats fall due on a free loop · stems: from when a heartbeat was due up to when it fired",
			work, units.Duration(pts[0].LongestStep), heartbeat),
		note:  strings.Join(parts, " · "),
		stamp: stamp,
	}
	empty := true
	for _, s := range series[1:] {
		empty = empty && len(s.points) == 0
	}
	if empty {
		f.note += " · no heartbeat fired during the run"
	}
	x := valueAxis("heartbeat due at (ms since run start)")
	x.Min, x.Max = 0, end
	y := yValue("heartbeat fired at (ms since run start)")
	y.Min, y.Max = 0, end
	return xyChart("asynccpu_looplag", f, x, y, series)
}

// endName names a run's end line: "run" alone, the model's name among
// several.
func endName(model string, n int) string {
	if n > 1 {
		return model
	}
	return "run"
}

// asyncSpeedup draws each model's speedup of all-at-once over one after
// another, as measured: a bar at the median of the rounds with its 95%
// interval as an error bar, the prediction of the claim that judges it,
// and that claim's bounds (from the verdict, so from the claim's data).
func asyncSpeedup(res *experiments.AsyncCPUResult, work, stamp string) (*Chart, error) {
	var cats []string
	bars := make([]opts.BarData, 0, len(res.Points))
	measured := "measured speedup"
	var whiskers, predictions, bounds []opts.LineData
	top := 1.0
	for i, pt := range res.Points {
		cats = append(cats, pt.Model)
		label := fmt.Sprintf("%s: %s as measured, over %d rounds · most on a CPU at once, in a traced run: %s", pt.Model, pt.Text(), len(pt.Speedups), pt.OnCPUText())
		if len(pt.Calibrated) > 0 {
			label += fmt.Sprintf("\nat the calibrated speed %.3f× (CPU %.2f× calibrated): an explanation, not judged", pt.CalibratedSpeedup, pt.Slowdown)
		}
		bars = append(bars, opts.BarData{Name: label, Value: round(pt.Speedup, 4), ItemStyle: &opts.ItemStyle{Color: modelColor(pt.Model, i)}})
		top = max(top, pt.High, pt.Speedup)
		if len(pt.Speedups) > 1 {
			iv := fmt.Sprintf("%s: 95%% interval %.3f× to %.3f× over %d rounds", pt.Model, pt.Low, pt.High, len(pt.Speedups))
			whiskers = append(whiskers, opts.LineData{Name: iv, Value: []any{i, round(pt.Low, 4)}},
				opts.LineData{Name: iv, Value: []any{i, round(pt.High, 4)}}, opts.LineData{Value: []any{i, nil}})
		}
		v, ok := speedupVerdict(res.Base(), pt.Model)
		if !ok {
			continue
		}
		predictions = append(predictions, opts.LineData{Name: fmt.Sprintf("%s: %s predicts %g×", pt.Model, v.ClaimID, v.Expected), Value: []any{i, v.Expected}},
			opts.LineData{Value: []any{i, nil}})
		lo, hi := v.Bounds()
		for _, b := range []float64{lo, hi} {
			if math.IsInf(b, 0) {
				continue
			}
			bounds = append(bounds, opts.LineData{Name: fmt.Sprintf("%s: %s, %s %s", pt.Model, v.ClaimID, v.Rule(), v.Unit), Value: []any{i, round(b, 4)}},
				opts.LineData{Value: []any{i, nil}})
			top = max(top, b)
		}
	}
	f := frame{
		title:   "Speedup of running the tasks all at once",
		context: fmt.Sprintf("%s · one after another, then all at once · wall time ratio as measured, the median of the rounds with its 95%% interval · ◆ the claim's prediction, ▬ its bounds", work),
		stamp:   stamp,
	}
	c := gocharts.NewBar()
	c.SetGlobalOptions(f.globals()...)
	y := yValue("speedup over one after another (×)")
	y.Min, y.Max = 0, math.Ceil(top*1.15*2)/2
	c.SetGlobalOptions(
		gocharts.WithXAxisOpts(opts.XAxis{Type: "category", Name: "model", NameLocation: "middle", NameGap: 30}),
		gocharts.WithYAxisOpts(y),
	)
	c.SetXAxis(cats)
	b := build{kind: "asynccpu_speedup", frame: f}
	c.AddSeries(measured, bars,
		gocharts.WithSeriesOpts(func(s *gocharts.SingleSeries) { s.BarMaxWidth = "56" }),
		gocharts.WithItemStyleOpts(opts.ItemStyle{Color: "#5470c6"}))
	b.series = append(b.series, SeriesInfo{Name: measured, Points: len(bars)})
	l := gocharts.NewLine()
	add := func(name string, data []opts.LineData, look []gocharts.SeriesOpts) {
		if len(data) == 0 {
			return
		}
		l.AddSeries(name, data, look...)
		b.series = append(b.series, SeriesInfo{Name: name, Points: len(data)})
	}
	add(measured, whiskers, whiskerSeries("#222"))
	add("the claim's prediction", predictions, []gocharts.SeriesOpts{
		gocharts.WithLineChartOpts(opts.LineChart{Symbol: "diamond", SymbolSize: 12, ShowSymbol: opts.Bool(true), ConnectNulls: opts.Bool(false)}),
		gocharts.WithItemStyleOpts(opts.ItemStyle{Color: idealColor}),
	})
	add("the claim's bounds", bounds, []gocharts.SeriesOpts{
		gocharts.WithLineChartOpts(opts.LineChart{Symbol: "rect", SymbolSize: []int{48, 2}, ShowSymbol: opts.Bool(true), ConnectNulls: opts.Bool(false)}),
		gocharts.WithItemStyleOpts(opts.ItemStyle{Color: boundColor}),
	})
	c.Overlap(l)
	return finish(c, b)
}

// speedupVerdict is the verdict of the claim that judges model's speedup.
func speedupVerdict(r *experiments.Report, model string) (experiments.Verdict, bool) {
	for _, id := range []string{"async-no-speedup", "threads-no-speedup", "parallel-cpu"} { // the speedup claims of experiments.AsyncCPU.Claims()
		if v, ok := r.Verdict(id, model); ok {
			return v, true
		}
	}
	return experiments.Verdict{}, false
}
