package charts

import (
	"fmt"
	"math"

	gocharts "github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
)

// matrixCharts are the matrix result's charts: runtime and memory as
// heatmaps, a row per workload and a column per model, the framework's
// recommended cells framed.
func matrixCharts(res *experiments.MatrixResult) ([]*Chart, error) {
	if len(res.Cells) == 0 {
		return nil, nil
	}
	stamp := res.Stamp.String()
	rt, err := matrixHeat(res, "matrix_runtime", "Runtime: each workload on each model",
		"colour: runtime over the fastest in its row (Go's models and CPython's apart), log scale · framed ★: the framework's recommendation",
		stamp, func(c experiments.MatrixCell) (float64, string) {
			return math.Log10(math.Max(c.Ratio, 1)), fmt.Sprintf("%s\n%.2f×", fmtDur(c.Runtime), c.Ratio)
		})
	if err != nil {
		return nil, err
	}
	mem, err := matrixHeat(res, "matrix_memory", "Peak memory: each workload on each model",
		"colour: peak resident memory the run added, worker processes included, log scale · framed ★: the framework's recommendation",
		stamp, func(c experiments.MatrixCell) (float64, string) {
			mb := float64(c.Memory) / (1 << 20)
			return math.Log10(math.Max(mb, 0.01)), experiments.FormatBytes(float64(c.Memory))
		})
	if err != nil {
		return nil, err
	}
	return []*Chart{rt, mem}, nil
}

// matrixHeat draws one figure of every cell as a heatmap: value gives the
// colour (on whatever scale it chooses) and the cell's label.
func matrixHeat(res *experiments.MatrixResult, kind, title, context, stamp string,
	value func(experiments.MatrixCell) (float64, string)) (*Chart, error) {
	var models []string
	for _, c := range res.Cells {
		models = append(models, c.Model)
	}
	models = modelOrder(models...)
	var rows []string
	for _, w := range res.Workloads {
		rows = append(rows, w.Name)
	}
	col := map[string]int{}
	for i, m := range models {
		col[m] = i
	}
	row := map[string]int{}
	for i, w := range res.Workloads {
		row[w.Key] = i
	}
	var cells, marks []opts.HeatMapData
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range res.Cells {
		v, label := value(c)
		lo, hi = math.Min(lo, v), math.Max(hi, v)
		w := res.Workloads[row[c.Workload]]
		star := ""
		if c.Recommended {
			star = "★ "
		}
		name := fmt.Sprintf("%s%s", star, label)
		tip := fmt.Sprintf("%s on %s\n%s\n%s", c.Model, w.Name, label, matrixHowText(c))
		cells = append(cells, opts.HeatMapData{Name: name, Value: []any{col[c.Model], row[c.Workload], round(v, 4)}})
		if c.Recommended {
			marks = append(marks, opts.HeatMapData{Name: tip + "\nthe framework: " + w.Rule, Value: []any{col[c.Model], row[c.Workload], round(v, 4)}})
		}
	}
	if math.IsInf(lo, 0) || hi-lo < 1e-9 {
		lo, hi = 0, 1
	}
	f := frame{title: title, context: context, stamp: stamp}
	c := gocharts.NewHeatMap()
	c.SetGlobalOptions(f.globals()...)
	c.SetGlobalOptions(
		gocharts.WithXAxisOpts(opts.XAxis{Type: "category", Data: models, Name: "model", NameLocation: "middle", NameGap: 30,
			SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
		gocharts.WithYAxisOpts(opts.YAxis{Type: "category", Data: rows, Name: "workload", NameLocation: "middle", NameGap: 150,
			SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
	)
	c.SetXAxis(models)
	c.AddSeries("cells", cells,
		gocharts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Formatter: "{b}", Color: "#111", FontSize: 12, LineHeight: 17}),
	)
	c.AddSeries("the framework's recommendation", marks,
		gocharts.WithItemStyleOpts(opts.ItemStyle{Color: "rgba(0,0,0,0)", BorderColor: "#111", BorderWidth: 3}),
	)
	b := build{kind: kind, frame: f, height: 460,
		series: []SeriesInfo{{Name: "cells", Points: len(cells)}, {Name: "the framework's recommendation", Points: len(marks)}},
		patch: patcher{top: map[string]any{
			// Every model named under its column, long names broken over
			// two lines (ECharts would otherwise skip every other label).
			"xAxis": []map[string]any{{
				"type": "category", "data": models, "name": "model", "nameLocation": "middle", "nameGap": 44,
				"splitArea": map[string]any{"show": true},
				"axisLabel": map[string]any{"interval": 0, "width": 84, "overflow": "break", "lineHeight": 15},
			}},
			// The legend names the frames only: the cells' colour is the
			// scale's, not a series colour.
			"legend": map[string]any{"show": true, "type": "scroll", "bottom": "6", "left": "center",
				"data": []string{"the framework's recommendation"}},
			// The colour scale: green (fast, small) to red; the recommended
			// cells' frames (series 1) keep their own transparent fill.
			"visualMap": map[string]any{
				"type": "continuous", "min": round(lo, 4), "max": round(hi, 4), "seriesIndex": 0,
				"calculable": false, "orient": "vertical", "right": 4, "top": "middle", "show": false,
				"inRange": map[string]any{"color": []string{"#e8f5e9", "#fff3c4", "#fdd0a2", "#f4a582", "#d6604d"}},
			},
		}},
	}
	return finish(c, b)
}

// matrixHowText says how a cell's model ran its workload.
func matrixHowText(c experiments.MatrixCell) string {
	switch c.Model {
	case "gil", "cpython threads":
		return fmt.Sprintf("%d threads", c.Concurrency)
	case "processes", "cpython processes":
		return fmt.Sprintf("%d worker processes (started before the clock, in %s)", c.Concurrency, fmtDur(c.Setup))
	}
	return fmt.Sprintf("all %d at once", c.Concurrency)
}
