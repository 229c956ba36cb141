package charts

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	gocharts "github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// memoryColors extend the models' colours to the memory result's series.
var memoryColors = map[string]string{"bare goroutines": "#91cc75"}

func memoryColor(name string, i int) string {
	if c, ok := memoryColors[name]; ok {
		return c
	}
	return modelColor(name, i)
}

// memoryCharts are the memory result's charts: the memory held against the
// live tasks, the bytes per task, what a task holds, and the time to
// create them.
func memoryCharts(res *experiments.MemoryResult) ([]*Chart, error) {
	if len(res.Points) == 0 {
		return nil, nil
	}
	stamp := res.Stamp.String()
	var out chartList
	if err := out.add(memoryTotal(res, stamp)); err != nil {
		return nil, err
	}
	if err := out.add(memoryPerTask(res, stamp)); err != nil {
		return nil, err
	}
	if err := out.add(exponentChart(res.Base(), "live-linear", memorySeriesNames(res), "memory_exponent", stamp)); err != nil {
		return nil, err
	}
	if slices.ContainsFunc(res.Series, func(s experiments.MemorySeries) bool { return len(s.Breakdown) > 0 }) {
		if err := out.add(memoryBreakdown(res, stamp)); err != nil {
			return nil, err
		}
	}
	if slices.ContainsFunc(res.Points, func(p experiments.MemoryPoint) bool { return p.Create > 0 && p.Model != string(model.Processes) }) {
		if err := out.add(memoryCreate(res, stamp)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// memorySeriesNames lists the series in order.
func memorySeriesNames(res *experiments.MemoryResult) []string {
	var names []string
	for _, p := range res.Points {
		names = append(names, p.Model)
	}
	return modelOrder(names...)
}

// memoryLine is memory series m's (the i-th) line against the tasks,
// through the figure of each of its points that figure returns ok for: the
// y value and the point's tooltip.
func memoryLine(res *experiments.MemoryResult, m string, i int, figure func(experiments.MemoryPoint) (y float64, name string, ok bool)) xySeries {
	s := xySeries{name: m, color: memoryColor(m, i), symbol: modelSymbol(m)}
	for _, p := range res.Points {
		if p.Model != m {
			continue
		}
		if y, name, ok := figure(p); ok {
			s.points = append(s.points, point{x: float64(p.Tasks), y: y, name: name})
		}
	}
	return s
}

// memoryTotal draws the memory held against the live tasks, log-log: a
// straight line of slope one is memory in proportion to the tasks.
func memoryTotal(res *experiments.MemoryResult, stamp string) (*Chart, error) {
	var series []xySeries
	for i, m := range memorySeriesNames(res) {
		what := "live tasks"
		if m == string(model.Processes) {
			what = "worker processes"
		}
		series = append(series, memoryLine(res, m, i, func(p experiments.MemoryPoint) (float64, string, bool) {
			return round(units.MiB(p.Total), 4), fmt.Sprintf("%s: %d %s hold %s, %s each", m, p.Tasks, what, units.Bytes(float64(p.Total)), units.Bytes(p.PerTask)), true
		}))
	}
	f := frame{
		title:   "Memory held by live tasks",
		context: "every task alive at once, each parked in a wait · Go: each point in a fresh child process, after a collection · log-log: slope 1 is memory in proportion to the tasks",
		stamp:   stamp,
	}
	return xyChart("memory_total", f, logAxis("live tasks (worker processes, for processes; log scale)"), yLog("memory held (MiB, log scale)"), series)
}

// memoryPerTask draws each series' bytes per live task, on a log scale:
// from a hundred bytes to megabytes.
func memoryPerTask(res *experiments.MemoryResult, stamp string) (*Chart, error) {
	var cats []string
	g := barGroup{name: "bytes per live task", color: "#5470c6"}
	for _, s := range res.Series {
		cats = append(cats, s.Model)
		g.values = append(g.values, round(s.PerTask, 1))
		r2 := ""
		if !math.IsNaN(s.R2) {
			r2 = fmt.Sprintf(" · R² %.5f", s.R2)
		}
		ci := ""
		if c := s.PerTaskCI; c.N > 2 && c.Low < c.High {
			ci = fmt.Sprintf(", 95%% interval %s to %s", units.Bytes(c.Low), units.Bytes(c.High))
		}
		g.names = append(g.names, fmt.Sprintf("%s: %s per task (slope of the fit over %d runs%s%s)", s.Model, units.Bytes(s.PerTask), s.PerTaskCI.N, ci, r2))
	}
	// The bounds the verdicts judge, from their claims: a goroutine's at
	// most, and a quarter of a goroutine's bytes for an event loop's task.
	var marks []opts.MarkLineNameYAxisItem
	if v, ok := firstVerdict(res.Base(), "live-goroutine"); ok {
		_, hi := v.Bounds()
		marks = append(marks, opts.MarkLineNameYAxisItem{Name: fmt.Sprintf("%s: a goroutine at most, its 2 KiB first stack and a little (live-goroutine)", units.Bytes(hi)), YAxis: round(hi, 1)})
	}
	if v, ok := firstVerdict(res.Base(), "live-loop"); ok {
		if gs, ok := seriesNamed(res, string(model.Goroutines)); ok {
			_, hi := v.Bounds()
			q := hi * gs.PerTask
			marks = append(marks, opts.MarkLineNameYAxisItem{Name: fmt.Sprintf("%s: an event loop's task at most, %.3g of a goroutine (live-loop)", units.Bytes(q), hi), YAxis: round(q, 1)})
		}
	}
	f := frame{
		title:   "Bytes per live task",
		context: "the slope of the memory held against the live tasks over every run (processes: per worker) · log scale · dashed: the bounds the verdicts judge",
		stamp:   stamp,
	}
	y := yLog("bytes per live task (log scale)")
	y.NameGap = 84 // clear of labels up to 10,000,000
	return barChart("memory_pertask", f, cats, "series", y, []barGroup{g}, marks)
}

// seriesNamed is the memory result's series called name.
func seriesNamed(res *experiments.MemoryResult, name string) (experiments.MemorySeries, bool) {
	for _, s := range res.Series {
		if s.Model == name {
			return s, true
		}
	}
	return experiments.MemorySeries{}, false
}

// memoryBreakdown draws what one live task holds as labelled bars, one
// row per part, grouped by series (the largest part first) and coloured by
// series, so that every part is named on its row rather than behind a
// legend of parts.
func memoryBreakdown(res *experiments.MemoryResult, stamp string) (*Chart, error) {
	var (
		rows    []string
		models  []string
		entries []breakdownEntry
	)
	for _, s := range res.Series {
		if len(s.Breakdown) == 0 || s.Model == string(model.Processes) {
			continue
		}
		models = append(models, s.Model)
		parts := slices.Clone(s.Breakdown)
		slices.SortStableFunc(parts, func(a, b experiments.MemoryPart) int { return cmp.Compare(b.Bytes, a.Bytes) })
		for _, bp := range parts {
			name := fmt.Sprintf("%s: %s\n%.0f bytes per task", s.Model, bp.Part, bp.Bytes)
			if bp.Objects > 0 {
				name += fmt.Sprintf(" · %.2f objects", bp.Objects)
			}
			entries = append(entries, breakdownEntry{model: s.Model, row: len(rows), bytes: bp.Bytes, name: name})
			rows = append(rows, s.Model+" · "+bp.Part)
		}
	}
	c := gocharts.NewBar()
	f := frame{
		title:   "What a live task holds",
		context: fmt.Sprintf("bytes per task by part, the largest first · Go: a memory profile of every allocation at %s live tasks, stacks and metadata from the largest run · CPython: objects added, by type", param(res.Base(), "profile")),
		stamp:   stamp,
	}
	c.SetGlobalOptions(f.globals()...)
	b := build{kind: "memory_breakdown", frame: f, height: 120 + 17*f.lines() + 26*len(rows)}
	for i, m := range models {
		// One value per row, the model's own rows only: stacked, a row's
		// one bar takes the row's full height.
		data := make([]opts.BarData, len(rows))
		total := 0.0
		for j := range data {
			data[j] = opts.BarData{Value: nil}
		}
		for _, e := range entries {
			if e.model == m {
				data[e.row] = opts.BarData{Value: round(e.bytes, 0), Name: e.name}
				total += e.bytes
			}
		}
		name := fmt.Sprintf("%s: %s per task in all", m, units.Bytes(total))
		c.AddSeries(name, data,
			gocharts.WithBarChartOpts(opts.BarChart{Stack: "task"}),
			gocharts.WithItemStyleOpts(opts.ItemStyle{Color: memoryColor(m, i)}),
			gocharts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "right", Formatter: "{c} B", Color: "#333"}),
			gocharts.WithSeriesOpts(func(s *gocharts.SingleSeries) { s.BarMaxWidth = "18" }),
		)
		b.series = append(b.series, SeriesInfo{Name: name, Points: len(data)})
	}
	b.patch = patcher{after: func(opt map[string]any) {
		// Room above the rows for the axis' name.
		grids, _ := opt["grid"].([]any)
		for _, g := range grids {
			if m, ok := g.(map[string]any); ok {
				m["top"] = fmt.Sprint(44 + 17*f.lines() + 22)
			}
		}
	}, top: map[string]any{
		"xAxis": []map[string]any{{
			"type": "value", "name": "bytes per live task (B)", "nameLocation": "middle", "nameGap": 30,
			"splitLine": map[string]any{"show": true, "lineStyle": map[string]any{"color": "#eee"}},
		}},
		// The parts top to bottom, in the order above; long names wrap.
		"yAxis": []map[string]any{{
			"type": "category", "data": rows, "inverse": true, "name": "series · part", "nameLocation": "start", "nameGap": 10,
			"axisLabel": map[string]any{"interval": 0, "width": 300, "overflow": "break", "lineHeight": 13, "fontSize": 11},
		}},
	}}
	return finish(c, b)
}

// breakdownEntry is one part of one series' breakdown, on its row.
type breakdownEntry struct {
	model string
	row   int
	bytes float64
	name  string
}

// memoryCreate draws the time to create the live tasks, log-log.
func memoryCreate(res *experiments.MemoryResult, stamp string) (*Chart, error) {
	var series []xySeries
	for i, m := range memorySeriesNames(res) {
		if m == string(model.Processes) {
			continue
		}
		series = append(series, memoryLine(res, m, i, func(p experiments.MemoryPoint) (float64, string, bool) {
			return ms(p.Create), fmt.Sprintf("%s: %d tasks created and parked in %s, %s each", m, p.Tasks, units.Duration(p.Create), units.Duration(p.Create/time.Duration(max(1, p.Tasks)))), p.Create > 0
		}))
	}
	f := frame{
		title:   "Time to create the live tasks",
		context: "from the first task created to the last one parked in its wait, log-log",
		stamp:   stamp,
	}
	return xyChart("memory_create", f, logAxis("live tasks (log scale)"), yLog("time to create (ms, log scale)"), series)
}
