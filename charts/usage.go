package charts

import (
	"fmt"
	"math"
	"time"

	gocharts "github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/internal/units"
)

// usageLine is one process tree's CPU utilisation over time, as a line of
// steps: each sample's value held over the interval it measured.
type usageLine struct {
	name  string
	color string
	usage measure.CPUSeries
	// zero is the sample offset drawn at x = 0 (a run's clock start).
	zero time.Duration
	// fill shades the area under the line.
	fill bool
	// waiting also draws the time spent waiting for a CPU, dashed.
	waiting bool
}

// usageData is the line's points, in seconds and cores: a first point at
// the series' start, then one at the end of each sample's interval (drawn
// with step "start", each value holds over the interval before it).
func (l usageLine) usageData(value func(measure.CPUSample) float64, what string) []opts.LineData {
	ss := l.usage.Samples
	if len(ss) == 0 {
		return nil
	}
	x := func(at time.Duration) float64 { return round((at - l.zero).Seconds(), 4) }
	data := []opts.LineData{{
		Name:  fmt.Sprintf("%s: sampling starts", l.name),
		Value: []any{x(0), finite(round(value(ss[0]), 4))},
	}}
	prev := time.Duration(0)
	for _, s := range ss {
		v := value(s)
		data = append(data, opts.LineData{
			Name: fmt.Sprintf("%s from %.2f s to %.2f s: %.3f cores %s\n%d processes · %s of CPU so far",
				l.name, x(prev), x(s.At), v, what, s.Procs, units.Duration(s.CPU)),
			Value: []any{x(s.At), finite(round(v, 4))},
		})
		prev = s.At
	}
	return data
}

// usageChart draws utilisation lines against time, cores up the y axis
// from 0 to yMax, or to the half core above the highest value, with horizontal reference lines ys and vertical
// ones xs.
func usageChart(kind string, f frame, lines []usageLine, xName string, yMax float64, ys []opts.MarkLineNameYAxisItem, xs []opts.MarkLineNameXAxisItem) (*Chart, error) {
	c := gocharts.NewLine()
	c.SetGlobalOptions(f.globals()...)
	top := yMax
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range lines {
		top = max(top, l.usage.Peak())
		for _, s := range l.usage.Samples {
			if l.waiting {
				top = max(top, s.Waiting)
			}
		}
		if n := len(l.usage.Samples); n > 0 {
			lo = min(lo, (-l.zero).Seconds())
			hi = max(hi, (l.usage.Samples[n-1].At - l.zero).Seconds())
		}
	}
	x := valueAxis(xName)
	if !math.IsInf(lo, 0) {
		x.Min, x.Max = math.Floor(lo*10)/10, math.Ceil(hi*10)/10
	}
	y := yValue("CPU utilisation (cores: 1 = one core busy)")
	y.Min, y.Max = 0, yMax
	if top > yMax {
		y.Max = math.Ceil(top*1.05*2) / 2 // to the half core above
	}
	c.SetGlobalOptions(gocharts.WithXAxisOpts(x), gocharts.WithYAxisOpts(y))
	b := build{kind: kind, frame: f}
	for i, l := range lines {
		look := []gocharts.SeriesOpts{
			gocharts.WithLineChartOpts(opts.LineChart{Symbol: "circle", SymbolSize: 5, ShowSymbol: opts.Bool(true), Step: "start"}),
			gocharts.WithItemStyleOpts(opts.ItemStyle{Color: l.color}),
			gocharts.WithLineStyleOpts(opts.LineStyle{Color: l.color, Width: 2}),
		}
		if l.fill {
			look = append(look, gocharts.WithAreaStyleOpts(opts.AreaStyle{Color: l.color, Opacity: opts.Float(0.15)}))
		}
		if i == 0 && len(ys)+len(xs) > 0 {
			look = append(look, markLines(ys, xs...)...)
		}
		data := l.usageData(func(s measure.CPUSample) float64 { return s.Cores }, "used")
		c.AddSeries(l.name, data, look...)
		b.series = append(b.series, SeriesInfo{Name: l.name, Points: len(data)})
		if l.waiting {
			name := l.name + ": waiting for a CPU"
			data := l.usageData(func(s measure.CPUSample) float64 { return s.Waiting }, "waiting for a CPU held by other work")
			c.AddSeries(name, data,
				gocharts.WithLineChartOpts(opts.LineChart{Symbol: "none", ShowSymbol: opts.Bool(false), Step: "start"}),
				gocharts.WithItemStyleOpts(opts.ItemStyle{Color: idealColor}),
				gocharts.WithLineStyleOpts(opts.LineStyle{Color: idealColor, Width: 1.5, Type: "dashed"}))
			b.series = append(b.series, SeriesInfo{Name: name, Points: len(data)})
		}
	}
	return finish(c, b)
}
