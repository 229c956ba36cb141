package charts

import (
	"math"

	gocharts "github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// point is one data point; name is its tooltip text (lines split by "\n").
type point struct {
	x, y float64
	name string
}

// xySeries is one line on numeric axes: measurements, or a formula's curve.
type xySeries struct {
	name   string
	color  string
	ideal  bool
	points []point
	symbol string
	// marks are horizontal, xMarks vertical reference lines drawn with the
	// series.
	marks  []opts.MarkLineNameYAxisItem
	xMarks []opts.MarkLineNameXAxisItem
	// whiskers draws the points as error bars (see intervals).
	whiskers bool
	// label, if set, is written beside each point.
	label string
	// unjoined draws the points as markers alone, with no line.
	unjoined bool
	// yAxis is the index of the y axis the series is drawn against (see
	// xyChartAxes); 0, the first, by default.
	yAxis int
}

// interval is one 95% interval to draw as an error bar at x.
type interval struct {
	x, low, high float64
	name         string
}

// intervals is a series of error bars: for each interval a vertical bar
// from low to high with a cap at each end, a gap between bars (a point with
// no y, which JSON writes as null and ECharts leaves unjoined). Named as
// the measurements' series, it shares their legend entry: one click shows
// or hides both.
func intervals(name, color string, ivs []interval) xySeries {
	s := xySeries{name: name, color: color, whiskers: true}
	for _, iv := range ivs {
		s.points = append(s.points, point{x: iv.x, y: iv.low, name: iv.name}, point{x: iv.x, y: iv.high, name: iv.name},
			point{x: iv.x, y: math.NaN()})
	}
	return s
}

// xyChart draws series as lines on numeric (or logarithmic) axes.
func xyChart(kind string, f frame, x opts.XAxis, y opts.YAxis, series []xySeries) (*Chart, error) {
	return xyChartAxes(kind, f, x, []opts.YAxis{y}, series)
}

// xyChartAxes is xyChart with several y axes: the first on the left, the
// second on the right, with room for its name; each series names its
// axis by index.
func xyChartAxes(kind string, f frame, x opts.XAxis, ys []opts.YAxis, series []xySeries) (*Chart, error) {
	c := gocharts.NewLine()
	c.SetGlobalOptions(f.globals()...)
	c.SetGlobalOptions(gocharts.WithXAxisOpts(x), gocharts.WithYAxisOpts(ys[0]))
	if len(ys) > 1 {
		c.ExtendYAxis(ys[1:]...)
	}
	if x.Type == "category" {
		c.SetXAxis(x.Data) // a line chart takes its categories here: points are [index, y]
	}
	b := build{kind: kind, frame: f}
	if len(ys) > 1 {
		b.height = DefaultHeight + 80 // a second axis comes with more series
		b.patch.after = func(opt map[string]any) {
			grids, _ := opt["grid"].([]any)
			for _, g := range grids {
				if m, ok := g.(map[string]any); ok {
					m["right"] = "88"
				}
			}
		}
	}
	// Formula curves first, so the measurements draw over them.
	ordered := make([]xySeries, 0, len(series))
	for _, s := range series {
		if s.ideal {
			ordered = append(ordered, s)
		}
	}
	for _, s := range series {
		if !s.ideal {
			ordered = append(ordered, s)
		}
	}
	for _, s := range ordered {
		data := make([]opts.LineData, len(s.points))
		for i, p := range s.points {
			data[i] = opts.LineData{Name: p.name, Value: []any{finite(p.x), finite(p.y)}}
		}
		look := lineSeries(s.color, s.symbol)
		switch {
		case s.ideal:
			look = idealSeries(s.color)
		case s.whiskers:
			look = whiskerSeries(s.color)
		}
		if s.yAxis > 0 {
			axis := s.yAxis
			look = append(look, gocharts.WithSeriesOpts(func(s *gocharts.SingleSeries) { s.YAxisIndex = axis }))
		}
		if s.unjoined {
			look = append(look, gocharts.WithLineStyleOpts(opts.LineStyle{Color: s.color, Width: 0, Opacity: opts.Float(0)}))
		}
		if len(s.marks)+len(s.xMarks) > 0 {
			look = append(look, markLines(s.marks, s.xMarks...)...)
		}
		if s.label != "" {
			look = append(look, gocharts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "right", Formatter: s.label, Color: s.color, BackgroundColor: "rgba(255,255,255,0.85)"}))
		}
		c.AddSeries(s.name, data, look...)
		b.series = append(b.series, SeriesInfo{Name: s.name, Points: len(data)})
	}
	return finish(c, b)
}

// barGroup is one series of bars, a value per category.
type barGroup struct {
	name   string
	color  string
	values []float64
	names  []string
}

// barChart draws groups of bars over categories.
func barChart(kind string, f frame, categories []string, xName string, y opts.YAxis, groups []barGroup, mark []opts.MarkLineNameYAxisItem) (*Chart, error) {
	c := gocharts.NewBar()
	c.SetGlobalOptions(f.globals()...)
	c.SetGlobalOptions(
		gocharts.WithXAxisOpts(opts.XAxis{Type: "category", Name: xName, NameLocation: "middle", NameGap: 30}),
		gocharts.WithYAxisOpts(y),
	)
	c.SetXAxis(categories)
	b := build{kind: kind, frame: f}
	addBars(c, &b, groups, mark)
	return finish(c, b)
}

// addBars adds each group as a bar series, the mark lines on the first.
func addBars(c *gocharts.Bar, b *build, groups []barGroup, mark []opts.MarkLineNameYAxisItem) {
	for i, g := range groups {
		data := make([]opts.BarData, len(g.values))
		for j, v := range g.values {
			data[j] = opts.BarData{Value: finite(v)}
			if j < len(g.names) {
				data[j].Name = g.names[j]
			}
		}
		so := []gocharts.SeriesOpts{
			gocharts.WithItemStyleOpts(opts.ItemStyle{Color: g.color}),
			gocharts.WithSeriesOpts(func(s *gocharts.SingleSeries) { s.BarMaxWidth = "56" }),
		}
		if i == 0 && len(mark) > 0 {
			so = append(so, markLines(mark)...)
		}
		c.AddSeries(g.name, data, so...)
		b.series = append(b.series, SeriesInfo{Name: g.name, Points: len(data)})
	}
}

// modelOrder lists names without repeats, in order of first appearance.
func modelOrder(names ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// markLines draws horizontal (ys) and vertical (xs) reference lines,
// labelled with their names.
func markLines(ys []opts.MarkLineNameYAxisItem, xs ...opts.MarkLineNameXAxisItem) []gocharts.SeriesOpts {
	return []gocharts.SeriesOpts{
		gocharts.WithMarkLineNameYAxisItemOpts(ys...),
		gocharts.WithMarkLineNameXAxisItemOpts(xs...),
		gocharts.WithMarkLineStyleOpts(opts.MarkLineStyle{
			Symbol:    []string{"none", "none"},
			LineStyle: &opts.LineStyle{Color: idealColor, Type: "dashed", Width: 1.5},
			Label:     &opts.Label{Show: opts.Bool(true), Position: "insideEndTop", Formatter: "{b}", Color: "#444"},
		}),
	}
}

// withIntervals is s followed by its error bars, named and coloured as s
// (see intervals), or s alone where it has none.
func withIntervals(s xySeries, ivs []interval) []xySeries {
	if len(ivs) == 0 {
		return []xySeries{s}
	}
	return []xySeries{s, intervals(s.name, s.color, ivs)}
}

// dodge moves series i of n a little along x, so that error bars at one
// pool size stand side by side rather than over one another.
func dodge(x float64, i, n int) float64 {
	return round(x+0.07*(float64(i)-float64(n-1)/2), 3)
}
