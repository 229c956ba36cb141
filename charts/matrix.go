package charts

import (
	"fmt"
	"math"

	gocharts "github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/decision"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// matrixCharts are the matrix result's charts: runtime and memory as
// heatmaps, a row per workload and a column per model, the framework's
// recommended cells framed.
func matrixCharts(res *experiments.MatrixResult) ([]*Chart, error) {
	if len(res.Cells) == 0 {
		return nil, nil
	}
	stamp := res.Stamp.String()
	// The runtime's colour runs from 1× to 10×, log scale, and stays at
	// its top beyond, so that 2× (threads on CPU work, say) is plainly
	// coloured rather than pale beside a 100×.
	runtimeScale := heatScale{max: 1, capped: true, label: func(v float64) string { return fmt.Sprintf("%.3g×", math.Pow(10, v)) }}
	rt, err := matrixHeat(res, "matrix_runtime", "Runtime: each workload on each model",
		"colour: runtime over the fastest in its row (Go's models and CPython's apart), log scale, 10× and over alike · framed ★: the framework's recommendation",
		stamp, runtimeScale, func(c experiments.MatrixCell) (float64, string) {
			return math.Min(math.Log10(math.Max(c.Ratio, 1)), runtimeScale.max), fmt.Sprintf("%s\n%.2f×", units.Duration(c.Runtime), c.Ratio)
		})
	if err != nil {
		return nil, err
	}
	mem, err := matrixHeat(res, "matrix_memory", "Memory added: each workload on each model",
		"colour: resident memory the run added, each run in a fresh process, worker processes whole, log scale · framed ★: the framework's recommendation",
		stamp, heatScale{label: func(v float64) string { return units.Bytes(math.Pow(10, v) * (1 << 20)) }},
		func(c experiments.MatrixCell) (float64, string) {
			mb := units.MiB(c.Memory)
			return math.Log10(math.Max(mb, 0.01)), units.Bytes(float64(c.Memory))
		})
	if err != nil {
		return nil, err
	}
	out := chartList{rt, mem}
	if err := out.add(matrixJudged(res, stamp)); err != nil {
		return nil, err
	}
	return out, nil
}

// matrixJudged draws what the framework's verdicts judge: on each row, the
// recommended model's runtime over the fastest other model's, and on the
// high-concurrency I/O row its memory over the least any other added, each
// with its 95% interval and the bound its claim sets, a point per family
// (Go's models, CPython's). It reads the verdicts, so it shows exactly the
// figures they judged.
func matrixJudged(res *experiments.MatrixResult, stamp string) (*Chart, error) {
	slots := matrixSlots(res)
	// A category per verdict, Go's models' first: the workload, the
	// figure and the recommended model.
	p := &matrixPlot{bounds: map[string]float64{}, lo: 1, hi: 1}
	var series []xySeries
	for k, fam := range []struct {
		py    bool
		name  string
		color string
	}{{false, "Go's models", "#5470c6"}, {true, "CPython", "#ee6666"}} {
		s := xySeries{name: fam.name, color: fam.color, symbol: []string{"circle", "diamond"}[k]}
		series = append(series, p.family(res, slots, fam.py, s)...)
	}
	if len(series) == 0 {
		return nil, nil
	}
	series = append([]xySeries{p.reference()}, series...)
	f := frame{
		title:   "The framework's recommendation against the best other model",
		context: fmt.Sprintf("the figures the verdicts judge, round by round: below 1, the recommendation beat every other model · bars: 95%% intervals · pools of %d threads and %d worker processes", res.Threads, res.Workers),
		stamp:   stamp,
	}
	x := opts.XAxis{Type: "category", Data: p.cats, Name: "workload, figure and the recommended model", NameLocation: "middle", NameGap: 86,
		AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 16}}
	y := yLog("recommended / best other (×, log scale)")
	y.Min, y.Max = round(math.Pow(10, math.Floor(math.Log10(p.lo*0.9))), 6), round(math.Pow(10, math.Ceil(math.Log10(p.hi*1.1))), 6)
	return xyChart("matrix_judged", f, x, y, series)
}

// matrixSlot is one figure of a workload the framework's verdicts judge,
// with the recommended model by family.
type matrixSlot struct {
	label string
	short string // the category's first line
	claim string
	model map[bool]string // recommended model, by family (true: CPython)
}

// matrixSlots are the figures to draw: every workload's runtime, then the
// memory of those whose recommendation has a framework-memory verdict.
func matrixSlots(res *experiments.MatrixResult) []matrixSlot {
	slot := func(w experiments.MatrixWorkload, figure, claim string) matrixSlot {
		return matrixSlot{label: w.Name + ": " + figure, short: matrixShort(w) + ": " + figure, claim: claim,
			model: map[bool]string{false: w.Recommended, true: w.RecommendedPython}}
	}
	var slots []matrixSlot
	for _, w := range res.Workloads {
		slots = append(slots, slot(w, "runtime", "framework-recommended"))
	}
	for _, w := range res.Workloads {
		_, goOK := res.Verdict("framework-memory", w.Recommended)
		_, pyOK := res.Verdict("framework-memory", w.RecommendedPython)
		if goOK || pyOK {
			slots = append(slots, slot(w, "memory", "framework-memory"))
		}
	}
	return slots
}

// matrixPlot gathers what the judged chart's families draw: the
// categories, each claim's bound, and the range of the figures.
type matrixPlot struct {
	cats   []string
	bounds map[string]float64
	lo, hi float64
}

// family adds to s a point per slot that family (py: CPython's) has a
// verdict on, a category each, and returns s with its 95% intervals; none
// where the family has no verdict.
func (p *matrixPlot) family(res *experiments.MatrixResult, slots []matrixSlot, py bool, s xySeries) []xySeries {
	var ivs []interval
	for _, sl := range slots {
		v, ok := res.Verdict(sl.claim, sl.model[py])
		if !ok {
			continue
		}
		_, b := v.Bounds()
		p.bounds[sl.claim] = b
		x := float64(len(p.cats))
		p.cats = append(p.cats, v.Model+" · "+sl.short)
		what := "runtime over the fastest other model's"
		if sl.claim == "framework-memory" {
			what = "memory added over the least any other model added"
		}
		s.points = append(s.points, point{x: x, y: round(v.Measured, 4),
			name: fmt.Sprintf("%s on %s: %s %s\n%s (at most %s) · %s", v.Model, sl.label, what, v.Estimate(), v.Outcome, fmtRatio(b), runsOf(v))},
			point{x: x, y: math.NaN()})
		if v.Runs > 1 && v.Low < v.High {
			ivs = append(ivs, interval{x: x, low: round(v.Low, 4), high: round(v.High, 4),
				name: fmt.Sprintf("%s on %s: 95%% interval %.3g to %.3g over %d runs", v.Model, sl.label, v.Low, v.High, v.Runs)})
		}
		// A log axis shows positive values only: a figure of 0 or less
		// (memory a model did not add) stays off its range.
		for _, y := range []float64{v.Low, v.Measured} {
			if y > 0 {
				p.lo = math.Min(p.lo, y)
			}
		}
		p.hi = math.Max(p.hi, math.Max(v.High, math.Max(v.Measured, b)))
	}
	if len(s.points) == 0 {
		return nil
	}
	return withIntervals(s, ivs)
}

// reference is the line at 1 across the categories, with the bounds of
// the claims drawn.
func (p *matrixPlot) reference() xySeries {
	ref := xySeries{name: "1: as the best other model", ideal: true, points: []point{{x: 0, y: 1}, {x: float64(len(p.cats) - 1), y: 1}}}
	if b, ok := p.bounds["framework-recommended"]; ok {
		ref.marks = append(ref.marks, opts.MarkLineNameYAxisItem{Name: fmt.Sprintf("runtime: at most %s", fmtRatio(b)), YAxis: round(b, 4)})
	}
	if b, ok := p.bounds["framework-memory"]; ok {
		ref.marks = append(ref.marks, opts.MarkLineNameYAxisItem{Name: fmt.Sprintf("memory: at most %s", fmtRatio(b)), YAxis: round(b, 4)})
	}
	return ref
}

// matrixShort names a workload in a few characters, e.g. "I/O × 200".
func matrixShort(w experiments.MatrixWorkload) string {
	if w.Class == decision.CPUBound {
		return "CPU"
	}
	return fmt.Sprintf("I/O × %d", w.Concurrency)
}

// fmtRatio writes a ratio, e.g. "1.1×".
func fmtRatio(x float64) string { return fmt.Sprintf("%.3g×", x) }

// heatScale is a heatmap's colour scale: from 0 to max if capped (values
// at max stand for max and over), else over the values drawn; label
// writes a value of the scale for its legend.
type heatScale struct {
	max    float64
	capped bool
	label  func(float64) string
}

// matrixHeat draws one figure of every cell as a heatmap: value gives the
// colour (on the scale's terms) and the cell's label; the colour scale is
// shown beside the cells.
func matrixHeat(res *experiments.MatrixResult, kind, title, context, stamp string, scale heatScale,
	value func(experiments.MatrixCell) (float64, string)) (*Chart, error) {
	g := matrixGrid(res, value)
	lo, hi := g.lo, g.hi
	if math.IsInf(lo, 0) || hi-lo < 1e-9 {
		lo, hi = 0, 1
	}
	top := scale.label(hi)
	if scale.capped {
		lo, hi = 0, scale.max
		top = scale.label(hi) + " and over"
	}
	f := frame{title: title, context: context, stamp: stamp}
	c := gocharts.NewHeatMap()
	c.SetGlobalOptions(f.globals()...)
	c.SetGlobalOptions(
		gocharts.WithXAxisOpts(opts.XAxis{Type: "category", Data: g.models, Name: "model", NameLocation: "middle", NameGap: 30,
			SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
		gocharts.WithYAxisOpts(opts.YAxis{Type: "category", Data: g.rows, Name: "workload", NameLocation: "middle", NameGap: 150,
			SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
	)
	c.SetXAxis(g.models)
	c.AddSeries("cells", g.cells,
		gocharts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Formatter: "{b}", Color: "#111", FontSize: 12, LineHeight: 17}),
	)
	c.AddSeries("the framework's recommendation", g.marks,
		gocharts.WithItemStyleOpts(opts.ItemStyle{Color: "rgba(0,0,0,0)", BorderColor: "#111", BorderWidth: 3}),
	)
	b := build{kind: kind, frame: f, height: 460,
		series: []SeriesInfo{{Name: "cells", Points: len(g.cells)}, {Name: "the framework's recommendation", Points: len(g.marks)}},
		patch:  patcher{top: heatOptions(f, g.models, lo, hi, []string{top, scale.label(lo)})},
	}
	return finish(c, b)
}

// heatGrid is a heatmap's plan: the models (columns) and workloads (rows),
// a datum per cell, one per recommended cell for its frame, and the range
// of the cells' values.
type heatGrid struct {
	models, rows []string
	cells, marks []opts.HeatMapData
	lo, hi       float64
}

// matrixGrid places every cell of the matrix at its model's column and its
// workload's row, with value's figure and label; a recommended cell's label
// is starred, and its frame's tooltip says the framework's rule.
func matrixGrid(res *experiments.MatrixResult, value func(experiments.MatrixCell) (float64, string)) heatGrid {
	var g heatGrid
	for _, c := range res.Cells {
		g.models = append(g.models, c.Model)
	}
	g.models = modelOrder(g.models...)
	for _, w := range res.Workloads {
		g.rows = append(g.rows, w.Name)
	}
	col := map[string]int{}
	for i, m := range g.models {
		col[m] = i
	}
	row := map[string]int{}
	for i, w := range res.Workloads {
		row[w.Key] = i
	}
	g.lo, g.hi = math.Inf(1), math.Inf(-1)
	for _, c := range res.Cells {
		v, label := value(c)
		g.lo, g.hi = math.Min(g.lo, v), math.Max(g.hi, v)
		w := res.Workloads[row[c.Workload]]
		star := ""
		if c.Recommended {
			star = "★ "
		}
		name := fmt.Sprintf("%s%s", star, label)
		tip := fmt.Sprintf("%s on %s\n%s\n%s", c.Model, w.Name, label, matrixHowText(c))
		g.cells = append(g.cells, opts.HeatMapData{Name: name, Value: []any{col[c.Model], row[c.Workload], round(v, 4)}})
		if c.Recommended {
			g.marks = append(g.marks, opts.HeatMapData{Name: tip + "\nthe framework: " + w.Rule, Value: []any{col[c.Model], row[c.Workload], round(v, 4)}})
		}
	}
	return g
}

// heatOptions are the heatmap's options go-echarts has no field for: the
// grid, the models' axis, the legend and the colour scale from lo to hi,
// its ends labelled text (top first).
func heatOptions(f frame, models []string, lo, hi float64, text []string) map[string]any {
	return map[string]any{
		// Room on the right for the colour scale.
		"grid": []map[string]any{{"left": "64", "right": "120", "top": fmt.Sprint(44 + 17*f.lines()), "bottom": "74", "containLabel": true}},
		// Every model named under its column, long names broken over
		// two lines (ECharts would otherwise skip every other label).
		"xAxis": []map[string]any{{
			"type": "category", "data": models, "name": "model", "nameLocation": "middle", "nameGap": 44,
			"splitArea": map[string]any{"show": true},
			"axisLabel": map[string]any{"interval": 0, "width": 84, "overflow": "break", "lineHeight": 15},
		}},
		// The legend names the frames only: the cells' colour is the
		// scale's, not a series colour.
		"legend": map[string]any{"show": true, "type": "plain", "bottom": "6", "left": "center",
			"data": []string{"the framework's recommendation"}},
		// The colour scale: green (fast, small) to red; the recommended
		// cells' frames (series 1) keep their own transparent fill.
		"visualMap": map[string]any{
			"type": "continuous", "min": round(lo, 4), "max": round(hi, 4), "seriesIndex": 0,
			"calculable": false, "orient": "vertical", "right": 8, "top": "middle", "show": true,
			"text": text, "itemHeight": 180,
			"inRange": map[string]any{"color": []string{"#e8f5e9", "#fed976", "#fd9f4a", "#f46d43", "#d6604d"}},
		},
	}
}

// matrixHowText says how a cell's model ran its workload.
func matrixHowText(c experiments.MatrixCell) string {
	switch s := model.ParseSeries(c.Model); {
	case s.Threads():
		return fmt.Sprintf("%d threads", c.Concurrency)
	case s.WorkerProcesses():
		return fmt.Sprintf("%d worker processes (started before the clock, in %s)", c.Concurrency, units.Duration(c.Setup))
	}
	return fmt.Sprintf("all %d at once", c.Concurrency)
}
