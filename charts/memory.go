package charts

import (
	"fmt"
	"math"
	"slices"
	"time"

	gocharts "github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
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
	var out []*Chart
	add := func(c *Chart, err error) error {
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}
	if err := add(memoryTotal(res, stamp)); err != nil {
		return nil, err
	}
	if err := add(memoryPerTask(res, stamp)); err != nil {
		return nil, err
	}
	if c, err := exponentChart(res.Base(), "live-linear", memorySeriesNames(res), "memory_exponent", stamp); err != nil {
		return nil, err
	} else if c != nil {
		out = append(out, c)
	}
	if slices.ContainsFunc(res.Series, func(s experiments.MemorySeries) bool { return len(s.Breakdown) > 0 }) {
		if err := add(memoryBreakdown(res, stamp)); err != nil {
			return nil, err
		}
	}
	if slices.ContainsFunc(res.Points, func(p experiments.MemoryPoint) bool { return p.Create > 0 && p.Model != "processes" }) {
		if err := add(memoryCreate(res, stamp)); err != nil {
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

// memoryTotal draws the memory held against the live tasks, log-log: a
// straight line of slope one is memory in proportion to the tasks.
func memoryTotal(res *experiments.MemoryResult, stamp string) (*Chart, error) {
	var series []xySeries
	for i, m := range memorySeriesNames(res) {
		s := xySeries{name: m, color: memoryColor(m, i), symbol: modelSymbol(m)}
		for _, p := range res.Points {
			if p.Model != m {
				continue
			}
			what := "live tasks"
			if m == "processes" {
				what = "worker processes"
			}
			s.points = append(s.points, point{x: float64(p.Tasks), y: round(float64(p.Total)/(1<<20), 4),
				name: fmt.Sprintf("%s: %d %s hold %s, %s each", m, p.Tasks, what, experiments.FormatBytes(float64(p.Total)), experiments.FormatBytes(p.PerTask))})
		}
		series = append(series, s)
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
			ci = fmt.Sprintf(", 95%% interval %s to %s", experiments.FormatBytes(c.Low), experiments.FormatBytes(c.High))
		}
		g.names = append(g.names, fmt.Sprintf("%s: %s per task (slope of the fit over %d runs%s%s)", s.Model, experiments.FormatBytes(s.PerTask), s.PerTaskCI.N, ci, r2))
	}
	// The bounds the verdicts judge, from their claims: a goroutine's at
	// most, and a quarter of a goroutine's bytes for an event loop's task.
	var marks []opts.MarkLineNameYAxisItem
	if v, ok := firstVerdict(res.Base(), "live-goroutine"); ok {
		_, hi := v.Bounds()
		marks = append(marks, opts.MarkLineNameYAxisItem{Name: fmt.Sprintf("%s: a goroutine at most, its 2 KiB first stack and a little (live-goroutine)", experiments.FormatBytes(hi)), YAxis: round(hi, 1)})
	}
	if v, ok := firstVerdict(res.Base(), "live-loop"); ok {
		if gs, ok := seriesNamed(res, "goroutines"); ok {
			_, hi := v.Bounds()
			q := hi * gs.PerTask
			marks = append(marks, opts.MarkLineNameYAxisItem{Name: fmt.Sprintf("%s: an event loop's task at most, %.3g of a goroutine (live-loop)", experiments.FormatBytes(q), hi), YAxis: round(q, 1)})
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

// memoryBreakdown stacks what one live task holds, part by part, for each
// series with a breakdown.
func memoryBreakdown(res *experiments.MemoryResult, stamp string) (*Chart, error) {
	var cats []string
	var parts []string
	for _, s := range res.Series {
		if len(s.Breakdown) == 0 || s.Model == "processes" {
			continue
		}
		cats = append(cats, s.Model)
		for _, b := range s.Breakdown {
			if !slices.Contains(parts, b.Part) {
				parts = append(parts, b.Part)
			}
		}
	}
	c := gocharts.NewBar()
	f := frame{
		title:   "What a live task holds",
		context: fmt.Sprintf("bytes per task by part · Go: a memory profile of every allocation at %s live tasks, stacks and metadata from the largest run · CPython: objects added, by type", param(res.Base(), "profile")),
		stamp:   stamp,
	}
	c.SetGlobalOptions(f.globals()...)
	c.SetGlobalOptions(
		gocharts.WithXAxisOpts(opts.XAxis{Type: "category", Name: "series", NameLocation: "middle", NameGap: 30}),
		gocharts.WithYAxisOpts(yValue("bytes per live task")),
	)
	c.SetXAxis(cats)
	b := build{kind: "memory_breakdown", frame: f, height: 520}
	for i, part := range parts {
		data := make([]opts.BarData, len(cats))
		for j, cat := range cats {
			data[j] = opts.BarData{Value: 0}
			for _, s := range res.Series {
				if s.Model != cat {
					continue
				}
				for _, bp := range s.Breakdown {
					if bp.Part == part {
						name := fmt.Sprintf("%s: %s\n%.0f bytes per task", cat, part, bp.Bytes)
						if bp.Objects > 0 {
							name += fmt.Sprintf(" · %.2f objects", bp.Objects)
						}
						data[j] = opts.BarData{Value: round(bp.Bytes, 1), Name: name}
					}
				}
			}
		}
		c.AddSeries(part, data,
			gocharts.WithBarChartOpts(opts.BarChart{Stack: "task"}),
			gocharts.WithItemStyleOpts(opts.ItemStyle{Color: partColor(part, i)}),
			gocharts.WithSeriesOpts(func(s *gocharts.SingleSeries) { s.BarMaxWidth = "72" }),
		)
		b.series = append(b.series, SeriesInfo{Name: part, Points: len(data)})
	}
	return finish(c, b)
}

// partColors give the parts every series shares a colour of their own.
var partColors = map[string]string{
	"goroutine stack": "#3ba272",
	"the runtime's metadata and the heap's slack": "#c8c8c8",
	"other": "#e0e0e0",
	"other (containers' buffers, objects the collector does not track)": "#c8c8c8",
}

var partPalette = []string{"#5470c6", "#fac858", "#ee6666", "#73c0de", "#fc8452", "#9a60b4", "#ea7ccc", "#91cc75", "#2f4554", "#8b4a1c", "#61a0a8", "#d48265", "#749f83", "#ca8622", "#bda29a", "#6e7074"}

func partColor(part string, i int) string {
	if c, ok := partColors[part]; ok {
		return c
	}
	return partPalette[i%len(partPalette)]
}

// memoryCreate draws the time to create the live tasks, log-log.
func memoryCreate(res *experiments.MemoryResult, stamp string) (*Chart, error) {
	var series []xySeries
	for i, m := range memorySeriesNames(res) {
		if m == "processes" {
			continue
		}
		s := xySeries{name: m, color: memoryColor(m, i), symbol: modelSymbol(m)}
		for _, p := range res.Points {
			if p.Model != m || p.Create <= 0 {
				continue
			}
			s.points = append(s.points, point{x: float64(p.Tasks), y: ms(p.Create),
				name: fmt.Sprintf("%s: %d tasks created and parked in %s, %s each", m, p.Tasks, fmtDur(p.Create), fmtDur(p.Create/time.Duration(max(1, p.Tasks))))})
		}
		series = append(series, s)
	}
	f := frame{
		title:   "Time to create the live tasks",
		context: "from the first task created to the last one parked in its wait, log-log",
		stamp:   stamp,
	}
	return xyChart("memory_create", f, logAxis("live tasks (log scale)"), yLog("time to create (ms, log scale)"), series)
}
