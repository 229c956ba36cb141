package charts

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/measure"
)

// scalingCharts are the scaling result's charts: speedup against workers,
// efficiency, a timeline per model at its largest pool, and the processes'
// serialisation cost against the payload.
func scalingCharts(res *experiments.ScalingResult) ([]*Chart, error) {
	stamp := res.Stamp.String()
	work := fmt.Sprintf("%s tasks × %s CPU", param(res.Base(), "tasks"), param(res.Base(), "cpu"))
	var out []*Chart
	add := func(c *Chart, err error) error {
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}
	if len(res.Points) > 0 {
		if err := add(scalingSpeedup(res, work, stamp)); err != nil {
			return nil, err
		}
		if err := add(scalingEfficiency(res, work, stamp)); err != nil {
			return nil, err
		}
		for _, pt := range largestPools(res.Points) {
			if pt.Run < 0 || pt.Run >= len(res.Runs) || res.Runs[pt.Run].Run == nil {
				continue
			}
			run := res.Runs[pt.Run].Run
			f := frame{
				title: fmt.Sprintf("%s, %d workers: %s", pt.Model, pt.Workers, work),
				context: fmt.Sprintf("wall %s, speedup %.2f× of an ideal %g× · a row per %s · %d segments",
					fmtDur(pt.Wall), pt.Speedup, pt.Ideal, rowNoun(pt.Model), segments(run.Spans)),
				stamp: stamp,
			}
			if err := add(timeline(f, lane{run: run})); err != nil {
				return nil, err
			}
		}
	}
	if pc := res.Processes; pc != nil && len(pc.Payloads) > 0 {
		if err := add(scalingPayloads(pc, stamp)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// param is the result's parameter called name, as given, or "?".
func param(r *experiments.Report, name string) string {
	if v, ok := r.ParamValues[name]; ok {
		return v
	}
	return "?"
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

// scalingSpeedup draws speedup against workers with min(workers, cores).
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
	for i, m := range modelOrder(names...) {
		s := xySeries{name: m, color: modelColor(m, i), symbol: modelSymbol(m)}
		for _, p := range res.Points {
			if p.Model != m {
				continue
			}
			name := fmt.Sprintf("%d workers: %.3f× (wall %s)\nideal %g× · efficiency %.0f%%", p.Workers, p.Speedup, fmtDur(p.Wall), p.Ideal, 100*p.Efficiency)
			if p.Setup > 0 {
				name += fmt.Sprintf("\nspawning %s, excluded", fmtDur(p.Setup))
			}
			if p.RawSpeedup > 0 {
				name += fmt.Sprintf("\nat the calibrated speed; %.3f× as measured (CPU %.2f× calibrated)", p.RawSpeedup, p.Slowdown)
			}
			s.points = append(s.points, point{x: float64(p.Workers), y: round(p.Speedup, 4), name: name})
		}
		series = append(series, s)
	}
	f := frame{
		title:   "Speedup against workers on CPU-bound work",
		context: fmt.Sprintf("%s · %d cores usable · dashed: ideal min(workers, cores)", work, res.Cores),
		stamp:   stamp,
	}
	if res.Python != nil {
		f.note = fmt.Sprintf("cpython: Python %s, its speedups taken at its calibrated speed (see the tooltips)", res.Python.Version)
	}
	x := valueAxis("workers (threads or processes)")
	x.Min, x.MinInterval = 1, 1
	y := yValue("speedup over one worker (×)")
	y.Min = 0
	return xyChart("scaling_speedup", f, x, y, series)
}

// scalingEfficiency draws each model's efficiency, speedup over the ideal,
// as bars per pool size.
func scalingEfficiency(res *experiments.ScalingResult, work, stamp string) (*Chart, error) {
	var names []string
	var ws []int
	for _, p := range res.Points {
		names = append(names, p.Model)
		ws = append(ws, p.Workers)
	}
	slices.Sort(ws)
	ws = slices.Compact(ws)
	cats := make([]string, len(ws))
	for i, w := range ws {
		cats[i] = strconv.Itoa(w)
	}
	var groups []barGroup
	for i, m := range modelOrder(names...) {
		g := barGroup{name: m, color: modelColor(m, i), values: make([]float64, len(ws)), names: make([]string, len(ws))}
		for j := range g.values {
			g.values[j] = math.NaN()
		}
		for _, p := range res.Points {
			if p.Model == m {
				j := slices.Index(ws, p.Workers)
				g.values[j] = round(100*p.Efficiency, 1)
				g.names[j] = fmt.Sprintf("%d workers: %.0f%% (speedup %.2f× of %g×)", p.Workers, 100*p.Efficiency, p.Speedup, p.Ideal)
			}
		}
		groups = append(groups, g)
	}
	f := frame{
		title:   "Efficiency: speedup over the ideal",
		context: fmt.Sprintf("%s · %d cores usable · 100%% = min(workers, cores)", work, res.Cores),
		stamp:   stamp,
	}
	y := yValue("efficiency (%)")
	y.Min = 0
	mark := []opts.MarkLineNameYAxisItem{{Name: "ideal 100%", YAxis: 100}}
	return barChart("scaling_efficiency", f, cats, "workers (threads or processes)", y, groups, mark)
}

// scalingPayloads draws the processes' serialisation time per task against
// the payload, with a straight-line fit.
func scalingPayloads(pc *experiments.ProcessCosts, stamp string) (*Chart, error) {
	s := xySeries{name: "processes", color: modelColor("processes", 0)}
	var xs, ys []float64
	for _, p := range pc.Payloads {
		kib := float64(p.Bytes) / 1024
		s.points = append(s.points, point{x: round(kib, 3), y: ms(p.PerTask),
			name: fmt.Sprintf("%s: %s per task\n%.0f%% of the workers' busy time", experiments.FormatSize(p.Bytes), fmtDur(p.PerTask), 100*p.Share)})
		xs, ys = append(xs, float64(p.Bytes)), append(ys, float64(p.PerTask))
	}
	series := []xySeries{s}
	context := fmt.Sprintf("2 workers · spawn %s per worker · %.1f MiB peak memory per worker",
		fmtDur(pc.SpawnMean), float64(pc.WorkerRSS)/(1<<20))
	if len(slices.Compact(slices.Sorted(slices.Values(xs)))) >= 2 {
		alpha, beta, r2 := measure.LinearFit(xs, ys)
		fit := xySeries{name: fmt.Sprintf("linear fit: %.2f ns per byte, R² %.4f", beta, r2), ideal: true}
		for _, b := range []float64{0, slices.Max(xs)} {
			y := (alpha + beta*b) / 1e6
			fit.points = append(fit.points, point{x: round(b/1024, 3), y: round(y, 4),
				name: fmt.Sprintf("%s: %.3f ms per task", experiments.FormatSize(int(b)), y)})
		}
		series = append(series, fit)
		context += " · dashed: straight-line fit"
	}
	f := frame{title: "Processes: serialisation time against the payload", context: context, stamp: stamp}
	x := valueAxis("payload per task (KiB)")
	x.Min = 0
	y := yValue("serialisation per task, both ways (ms)")
	y.Min = 0
	return xyChart("scaling_payloads", f, x, y, series)
}
