package charts

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// scalingCharts are the scaling result's charts: speedup against workers
// with its 95% intervals as error bars, the speedup over each claim's
// prediction with the claims' bounds, a timeline per model at its largest
// pool (the run nearest the median), the workers sweep a reader moves
// through (see scalingSweep), and the processes' serialisation cost
// against the payload on log–log axes.
func scalingCharts(res *experiments.ScalingResult) ([]*Chart, error) {
	stamp := res.Stamp.String()
	work := fmt.Sprintf("%s tasks × %s CPU", param(res.Base(), "tasks"), param(res.Base(), "cpu"))
	var out chartList
	if len(res.Points) > 0 {
		if err := out.add(scalingSpeedup(res, work, stamp)); err != nil {
			return nil, err
		}
		if err := out.add(scalingRatios(res, work, stamp)); err != nil {
			return nil, err
		}
		for _, pt := range largestPools(res.Points) {
			if !validRun(res.Base(), pt.Run) {
				continue
			}
			run := res.Runs[pt.Run].Run
			f := frame{
				title: fmt.Sprintf("%s, %d workers: %s", pt.Model, pt.Workers, work),
				context: fmt.Sprintf("the run nearest the median: wall %s, speedup %s of an ideal %g× · a row per %s · %d segments",
					units.Duration(run.Totals.Wall), pt.Text(), pt.Ideal, rowNoun(pt.Model), segments(run.Spans)),
				stamp: stamp,
			}
			if err := out.add(timeline(f, lane{run: run})); err != nil {
				return nil, err
			}
		}
		c, ok, err := scalingSweep(res, stamp)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, c)
		}
	}
	if pc := res.Processes; pc != nil && len(pc.Payloads) > 0 {
		task, _ := time.ParseDuration(param(res.Base(), "cpu"))
		if err := out.add(scalingPayloads(pc, task, stamp)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// largestPools returns each model's point at its largest pool size.
func largestPools(pts []experiments.ScalingPoint) []experiments.ScalingPoint {
	var out []experiments.ScalingPoint
	at := map[string]int{}
	for _, p := range pts {
		i, ok := at[p.Model]
		switch {
		case !ok:
			at[p.Model] = len(out)
			out = append(out, p)
		case p.Workers > out[i].Workers:
			out[i] = p
		}
	}
	return out
}

// scalingSpeedup draws speedup against workers with min(workers, cores),
// each speedup as measured with its 95% interval as an error bar.
func scalingSpeedup(res *experiments.ScalingResult, work, stamp string) (*Chart, error) {
	var names []string
	var ws []int
	for _, p := range res.Points {
		names = append(names, p.Model)
		ws = append(ws, p.Workers)
	}
	if res.Cores > ws[0] && res.Cores < slices.Max(ws) {
		ws = append(ws, res.Cores)
	}
	slices.Sort(ws)
	ws = slices.Compact(ws)
	ideal := xySeries{name: "ideal min(workers, cores)", ideal: true}
	for _, w := range ws {
		v := math.Min(float64(w), float64(res.Cores))
		ideal.points = append(ideal.points, point{x: float64(w), y: v,
			name: fmt.Sprintf("%d workers on %d cores: %g×", w, res.Cores, v)})
	}
	series := []xySeries{ideal}
	names = modelOrder(names...)
	top := float64(res.Cores)
	for i, m := range names {
		s := xySeries{name: m, color: modelColor(m, i), symbol: modelSymbol(m)}
		var ivs []interval
		for _, p := range res.Points {
			if p.Model != m {
				continue
			}
			x := dodge(float64(p.Workers), i, len(names))
			name := fmt.Sprintf("%d workers: %s as measured, over %d rounds (wall %s, median)\nideal %g× · efficiency %.0f%% · %.2f cores busy",
				p.Workers, p.Text(), len(p.Speedups), units.Duration(p.Wall), p.Ideal, 100*p.Efficiency, p.Cores)
			if p.Setup > 0 {
				name += fmt.Sprintf("\nspawning %s, excluded", units.Duration(p.Setup))
			}
			if len(p.Calibrated) > 0 {
				name += fmt.Sprintf("\nat the calibrated speed %.3f× (CPU %.2f× calibrated): an explanation, not judged", p.CalibratedSpeedup, p.Slowdown)
			}
			s.points = append(s.points, point{x: x, y: round(p.Speedup, 4), name: name})
			top = max(top, p.High)
			if len(p.Speedups) > 1 && p.Workers > 1 {
				ivs = append(ivs, interval{x: x, low: round(p.Low, 4), high: round(p.High, 4),
					name: fmt.Sprintf("%d workers: 95%% interval %.3f× to %.3f× over %d rounds", p.Workers, p.Low, p.High, len(p.Speedups))})
			}
		}
		series = append(series, withIntervals(s, ivs)...)
	}
	f := frame{
		title:   "Speedup against workers on CPU-bound work",
		context: fmt.Sprintf("%s · %d cores · speedups as measured, the median of the rounds with its 95%% interval · dashed: ideal min(workers, cores)", work, res.Cores),
		stamp:   stamp,
	}
	if res.Python != nil {
		f.note = fmt.Sprintf("cpython: Python %s, its speedups as measured too; at the calibrated speed in the tooltips, as an explanation", res.Python.Version)
	}
	x := workersAxis(slices.Min(ws), slices.Max(ws))
	y := yValue("speedup over one worker (×)")
	y.Min, y.Max = 0, math.Ceil(top*1.1*2)/2
	return xyChart("scaling_speedup", f, x, y, series)
}

// workersAxis is the pool sizes' axis, from lo to hi with half a worker's
// room either side for the dodged error bars, labelled at whole workers.
func workersAxis(lo, hi int) opts.XAxis {
	x := valueAxis("workers (threads or processes)")
	x.Min, x.Max, x.MinInterval = float64(lo)-0.5, float64(hi)+0.5, 1
	x.AxisLabel = &opts.AxisLabel{ShowMinLabel: opts.Bool(false), ShowMaxLabel: opts.Bool(false)}
	return x
}

// predicted is the speedup the claim judging series m predicts at a pool
// of the ideal: 1 for threads (threads-no-speedup), the ideal for the
// others (processes-scale, parallel-cpu), and the claim's id; "" for an
// event loop, which no claim of the question judges.
func predicted(m string, ideal float64) (float64, string) {
	switch s := model.ParseSeries(m); {
	case s.Threads():
		return 1, "threads-no-speedup"
	case s.WorkerProcesses():
		return ideal, "processes-scale"
	case s.EventLoop():
		return 0, ""
	}
	return ideal, "parallel-cpu"
}

// scalingRatios draws each speedup over what its claim predicts (1 for
// threads, min(workers, cores) for processes and goroutines) against the
// workers, with its 95% interval, and the claims' bounds from the
// question's Claims: the few per cent the verdicts judge, which the
// speedup chart's scale hides.
func scalingRatios(res *experiments.ScalingResult, work, stamp string) (*Chart, error) {
	var names []string
	var ws []int
	for _, p := range res.Points {
		if _, id := predicted(p.Model, p.Ideal); id != "" && p.Workers > 1 {
			names = append(names, p.Model)
			ws = append(ws, p.Workers)
		}
	}
	names = modelOrder(names...)
	bounds := ratioBounds(names)
	ref := xySeries{name: "1 = the prediction", ideal: true}
	if len(ws) > 0 {
		ref.points = []point{{x: float64(slices.Min(ws)) - 0.5, y: 1, name: "speedup exactly as predicted"}, {x: float64(slices.Max(ws)) + 0.5, y: 1, name: "speedup exactly as predicted"}}
	}
	bottom, top := 1.0, 1.0
	for _, b := range bounds {
		ref.marks = append(ref.marks, opts.MarkLineNameYAxisItem{Name: fmt.Sprintf("%s %.2f (%s)", b.word, b.y, strings.Join(b.claims, ", ")), YAxis: b.y})
		bottom, top = min(bottom, b.y), max(top, b.y)
	}
	series := []xySeries{ref}
	for i, m := range names {
		s, lo, hi := ratioSeries(res, m, i, len(names))
		series = append(series, s...)
		bottom, top = min(bottom, lo), max(top, hi)
	}
	f := frame{
		title:   "Speedup over what each claim predicts",
		context: fmt.Sprintf("%s · threads: over 1× · processes and goroutines: over min(workers, cores) · dashed: the bounds the verdicts judge", work),
		stamp:   stamp,
	}
	x := workersAxis(1, 2)
	if len(ws) > 0 {
		x = workersAxis(slices.Min(ws), slices.Max(ws))
	}
	y := yValue("measured speedup / predicted speedup")
	y.Min, y.Max = math.Floor(bottom*20-0.5)/20, math.Ceil(top*20+0.5)/20
	return xyChart("scaling_ratios", f, x, y, series)
}

// ratioBound is one bound line of the ratios chart: a rule's bound, its
// word ("at most", "at least") and the claims it judges.
type ratioBound struct {
	y      float64
	word   string
	claims []string
}

// ratioBounds are the bounds of the question's claims that judge the
// models, one line per rule, in the models' order.
func ratioBounds(models []string) []ratioBound {
	var bounds []ratioBound
	for _, m := range models {
		_, id := predicted(m, 1)
		c := claimOf(experiments.Scaling.Claims(), id)
		y := 1 + c.Tolerance
		word := "at most"
		if c.Compare == experiments.AtLeast {
			y, word = 1-c.Tolerance, "at least"
		}
		i := slices.IndexFunc(bounds, func(b ratioBound) bool { return b.y == y })
		if i < 0 {
			i = len(bounds)
			bounds = append(bounds, ratioBound{y: y, word: word})
		}
		if !slices.Contains(bounds[i].claims, id) {
			bounds[i].claims = append(bounds[i].claims, id)
		}
	}
	return bounds
}

// ratioSeries is model m's (the i-th of n) speedups over its claim's
// prediction at each pool of more than one worker, with their 95%
// intervals, and the lowest and highest figure drawn (1 at the least).
func ratioSeries(res *experiments.ScalingResult, m string, i, n int) (series []xySeries, bottom, top float64) {
	bottom, top = 1.0, 1.0
	s := xySeries{name: m, color: modelColor(m, i), symbol: modelSymbol(m)}
	var ivs []interval
	for _, p := range res.Points {
		if p.Model != m || p.Workers == 1 {
			continue
		}
		e, id := predicted(m, p.Ideal)
		x := dodge(float64(p.Workers), i, n)
		s.points = append(s.points, point{x: x, y: round(p.Speedup/e, 4),
			name: fmt.Sprintf("%d workers: %.3f of the prediction (%s: %g×)\nspeedup %s as measured", p.Workers, p.Speedup/e, id, e, p.Text())})
		bottom, top = min(bottom, p.Low/e), max(top, p.High/e)
		if len(p.Speedups) > 1 {
			ivs = append(ivs, interval{x: x, low: round(p.Low/e, 4), high: round(p.High/e, 4),
				name: fmt.Sprintf("%d workers: 95%% interval %.3f to %.3f of the prediction over %d rounds", p.Workers, p.Low/e, p.High/e, len(p.Speedups))})
		}
	}
	return withIntervals(s, ivs), bottom, top
}

// scalingPayloads draws the serialisation time the payload adds per task
// over the smallest payload's (the fixed cost of a round trip) against the
// bytes it adds, on log–log axes: each size's median with its 95% interval,
// the fitted power law, and through the runs' centre the exponents the
// claim allows (from serialisation-grows' tolerance): what its verdict
// judges, drawn; and, to compare the cost with, the task's own computation
// (task, if it is known) as a line.
func scalingPayloads(pc *experiments.ProcessCosts, task time.Duration, stamp string) (*Chart, error) {
	claim := claimOf(experiments.Scaling.Claims(), "serialisation-grows")
	s := xySeries{name: string(model.Processes), color: modelColor(string(model.Processes), 0)}
	var ivs []interval
	var lx, ly, xs []float64
	for _, p := range pc.Payloads {
		dx, dy := p.Bytes-pc.FixedBytes, p.PerTask-pc.Fixed
		if dx <= 0 || dy <= 0 {
			continue
		}
		kib := round(float64(dx)/1024, 3)
		s.points = append(s.points, point{x: kib, y: ms(dy),
			name: fmt.Sprintf("%s: %s per task (median of %d runs), %s more than %s's\n%.0f%% of the workers' busy time",
				experiments.FormatSize(p.Bytes), units.Duration(p.PerTask), len(p.PerTasks), units.Duration(dy), experiments.FormatSize(pc.FixedBytes), 100*p.Share)})
		if len(p.PerTasks) > 1 && p.Low > pc.Fixed {
			ivs = append(ivs, interval{x: kib, low: ms(p.Low - pc.Fixed), high: ms(p.High - pc.Fixed),
				name: fmt.Sprintf("%s: 95%% interval %s to %s per task over %d runs", experiments.FormatSize(p.Bytes), units.Duration(p.Low), units.Duration(p.High), len(p.PerTasks))})
		}
		xs = append(xs, kib)
		for _, d := range p.PerTasks {
			if d > pc.Fixed {
				lx, ly = append(lx, math.Log(float64(dx))), append(ly, math.Log(float64(d-pc.Fixed)))
			}
		}
	}
	if task > 0 {
		s.marks = []opts.MarkLineNameYAxisItem{{Name: fmt.Sprintf("one task's computation: %s", units.Duration(task)), YAxis: ms(task)}}
	}
	series := withIntervals(s, ivs)
	b := pc.Exponent
	context := fmt.Sprintf("2 workers · over %s's %s per task, the fixed cost of a round trip · spawn %s per worker · %s peak memory per worker",
		experiments.FormatSize(pc.FixedBytes), units.Duration(pc.Fixed), units.Duration(pc.SpawnMean), units.Bytes(float64(pc.WorkerRSS)))
	note := ""
	if len(lx) >= 2 && len(xs) >= 2 {
		cx, cy := mean(lx), mean(ly)
		line := func(slope float64, what string, lo, hi float64) []point {
			var pts []point
			for _, kib := range []float64{lo, hi} {
				y := math.Exp(cy+slope*(math.Log(kib*1024)-cx)) / 1e6
				pts = append(pts, point{x: kib, y: round(y, 6), name: fmt.Sprintf("%s at %s added: %.4g ms per task", what, experiments.FormatSize(int(kib*1024)), y)})
			}
			return pts
		}
		fit := xySeries{name: fmt.Sprintf("fit: added time ∝ added bytes^%.3f [%.3f, %.3f]", b.Median, b.Low, b.High), color: fitColor, symbol: "none",
			points: line(b.Median, fmt.Sprintf("bytes^%.3f", b.Median), slices.Min(xs), slices.Max(xs))}
		// The bounds fan out from the runs' centre over a wider span than
		// the sizes, so that their slopes show beside the fit's.
		lo, hi := 1-claim.Tolerance, 1+claim.Tolerance
		from, to := round(slices.Min(xs)/4, 3), round(slices.Max(xs)*4, 3)
		bounds := xySeries{name: fmt.Sprintf("the claim's bounds: bytes^%.2f to bytes^%.2f", lo, hi), ideal: true}
		bounds.points = append(line(lo, fmt.Sprintf("bytes^%.2f", lo), from, to), point{x: to, y: math.NaN()})
		bounds.points = append(bounds.points, line(hi, fmt.Sprintf("bytes^%.2f", hi), from, to)...)
		series = append(series, fit, bounds)
		note = fmt.Sprintf("solid: the fitted power law · dashed, through the runs' centre: the exponents %s allows", claim.ID)
	}
	f := frame{title: "Processes: the serialisation time a payload adds", context: context, note: note, stamp: stamp}
	x := logAxis("bytes added per task (KiB, log scale)")
	y := yLog("time added per task (ms, log)")
	if task > 0 {
		// ECharts sizes an axis to the data, not to its mark lines.
		top := ms(task)
		for _, p := range s.points {
			top = max(top, p.y)
		}
		y.Max = math.Pow(10, math.Ceil(math.Log10(top*1.1)))
	}
	return xyChart("scaling_payloads", f, x, y, series)
}

// fitColor draws a fitted line apart from the measurements.
const fitColor = "#8c4a1c"

// mean is the mean of xs.
func mean(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t / float64(len(xs))
}
