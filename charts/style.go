package charts

import (
	"fmt"
	"math"
	"strings"
	"time"

	gocharts "github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// Default sizes, in CSS pixels.
const (
	// DefaultHeight is a chart's height unless it needs more (timelines with
	// many rows).
	DefaultHeight = 420
	minTimeline   = 300
	maxTimeline   = 780
)

// Colours: one per segment kind, one per model, so that a model keeps its
// colour across a result's charts.
var (
	kindColors = map[model.Kind]string{
		model.KindCPU:       "#d9534f", // busy: red
		model.KindWait:      "#4a90d9", // idle, overlappable: blue
		model.KindGIL:       "#f0ad4e", // waiting for the lock: amber
		model.KindSerialise: "#8e6cc0", // pickling: purple
		model.KindCall:      "#2a9d8f", // a loopback call: teal
		model.KindEncode:    "#c2185b", // encoding JSON: deep pink
		// A traced CPU step: computing, the cpu red; waiting for a core,
		// the same red washed out, so that a row reads as one step whose
		// solid parts are the computing.
		model.KindOnCPU:    "#d9534f",
		model.KindRunnable: "#f3c1bf",
		// A call that failed (timed out, found no descriptor, was refused
		// or reset): near black, beside the teal of one answered.
		kindFailed: "#3b0a0a",
	}
	kindOrder = []model.Kind{model.KindOnCPU, model.KindRunnable, model.KindCPU, model.KindWait, model.KindGIL,
		model.KindSerialise, model.KindCall, kindFailed, model.KindEncode}
	// kindNames are the legend's words for the kinds a student would not
	// read at a glance; the others go by their own names.
	kindNames = map[model.Kind]string{
		model.KindOnCPU:    "on a CPU",
		model.KindRunnable: "waiting for a CPU",
		kindFailed:         "failed call",
	}
	otherKind   = "#9e9e9e"
	modelColors = map[model.Series]string{
		{Model: model.EventLoop}:  "#5470c6",
		{Model: model.Goroutines}: "#3ba272",
		{Model: model.GILThreads}: "#ee6666",
		{Model: model.Processes}:  "#fc8452",
		// CPython itself, the original the models are held to, in dark
		// colours: slate for its threads, deep purple for its asyncio (the
		// two can share a chart), dark brown beside the processes' orange
		// for its ProcessPoolExecutor.
		{Model: model.CPython}:                                "#2f4554",
		{Model: model.CPython, Flavor: model.FlavorThreads}:   "#2f4554",
		{Model: model.CPython, Flavor: model.FlavorAsyncio}:   "#6a3d9a",
		{Model: model.CPython, Flavor: model.FlavorProcesses}: "#8b4a1c",
	}
	spareColors = []string{"#9a60b4", "#73c0de", "#fac858", "#ea7ccc", "#91cc75"}
	// modelSymbols tell models apart where their lines coincide: a hollow
	// circle stays visible around a filled triangle.
	// CPython's markers sit around or inside its model's: a hollow square
	// around gil's diamond, a small square inside eventloop's hollow circle,
	// a hollow triangle around processes' square.
	modelSymbols = map[model.Series]string{
		{Model: model.EventLoop}: "emptyCircle", {Model: model.Goroutines}: "triangle",
		{Model: model.GILThreads}: "diamond", {Model: model.Processes}: "rect",
		{Model: model.CPython}: "emptyRect", {Model: model.CPython, Flavor: model.FlavorThreads}: "emptyRect",
		{Model: model.CPython, Flavor: model.FlavorAsyncio}: "rect", {Model: model.CPython, Flavor: model.FlavorProcesses}: "emptyTriangle",
	}
	idealColor = "#7f7f7f"
	// boundColor draws a claim's bounds where a prediction in idealColor
	// shares the chart.
	boundColor = "#333333"
)

// modelColor is name's colour; models without one of their own take a spare
// colour by their order of appearance, i.
func modelColor(name string, i int) string {
	if c, ok := modelColors[model.ParseSeries(name)]; ok {
		return c
	}
	return spareColors[i%len(spareColors)]
}

// kindName is the legend's name of a segment kind.
func kindName(k model.Kind) string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return string(k)
}

// kindColor is the colour of a segment kind.
func kindColor(k model.Kind) string {
	if c, ok := kindColors[k]; ok {
		return c
	}
	return otherKind
}

// frame is what every chart shows around its data.
type frame struct {
	title string
	// context is the first subtitle line: what was run.
	context string
	// stamp is the machine stamp, the subtitle's last line.
	stamp string
	// note, if set, is an extra subtitle line (a caveat).
	note string
}

// subtitle joins the frame's subtitle lines.
func (f frame) subtitle() string {
	s := f.context
	for _, l := range []string{f.note, f.stamp} {
		if l == "" {
			continue
		}
		if s != "" {
			s += "\n"
		}
		s += l
	}
	return s
}

// lines is how many subtitle lines there are (a part may hold several).
func (f frame) lines() int {
	n := 0
	for _, l := range []string{f.context, f.note, f.stamp} {
		if l != "" {
			n += 1 + strings.Count(l, "\n")
		}
	}
	return n
}

// globals are the options every chart shares: title and subtitle, an
// item tooltip, a legend along the bottom (never paged: see fitLegend), a save-as-image button, and a
// grid that leaves room for them and for the axis names.
func (f frame) globals() []gocharts.GlobalOpts {
	top := 44 + 17*f.lines()
	return []gocharts.GlobalOpts{
		gocharts.WithTitleOpts(opts.Title{
			Title: f.title, Subtitle: f.subtitle(), Left: "12", Top: "6",
			TitleStyle:    &opts.TextStyle{FontSize: 15, Color: "#222"},
			SubtitleStyle: &opts.TextStyle{FontSize: 12, Color: "#666", LineHeight: 17},
		}),
		gocharts.WithTooltipOpts(opts.Tooltip{
			Show: opts.Bool(true), Trigger: "item", Formatter: jsFunc("itemTooltip"),
		}),
		gocharts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Type: "plain", Bottom: "6", Left: "center"}),
		gocharts.WithToolboxOpts(opts.Toolbox{
			Show: opts.Bool(true), Right: "16", Top: "6",
			Feature: &opts.ToolBoxFeature{SaveAsImage: &opts.ToolBoxFeatureSaveAsImage{
				Show: opts.Bool(true), Title: "save as PNG", Type: "png",
			}},
		}),
		gocharts.WithGridOpts(opts.Grid{
			Left: "64", Right: "40", Top: fmt.Sprint(top), Bottom: "74", ContainLabel: opts.Bool(true),
		}),
	}
}

// valueAxis is a numeric x axis named with its unit.
func valueAxis(name string) opts.XAxis {
	return opts.XAxis{
		Type: "value", Name: name, NameLocation: "middle", NameGap: 30,
		SplitLine: &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: "#eee"}},
	}
}

// logAxis is a logarithmic x axis.
func logAxis(name string) opts.XAxis {
	a := valueAxis(name)
	a.Type = "log"
	return a
}

// yValue is a numeric y axis named with its unit.
func yValue(name string) opts.YAxis {
	return opts.YAxis{
		Type: "value", Name: name, NameLocation: "middle", NameGap: 52,
		SplitLine: &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: "#eee"}},
	}
}

// yFromZero is a numeric y axis from 0, for counts and rates.
func yFromZero(name string) opts.YAxis {
	a := yValue(name)
	a.Min = 0
	return a
}

// yLog is a logarithmic y axis.
func yLog(name string) opts.YAxis {
	a := yValue(name)
	a.Type = "log"
	return a
}

// finite returns x, or nil (JSON null: a gap in the chart) when x is NaN or
// infinite, which JSON cannot carry.
func finite(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return x
}

// ms is d in milliseconds for a chart's data, rounded to the microsecond.
func ms(d time.Duration) float64 { return round(units.Millis(d), 3) }

// sec is d in seconds, rounded to the microsecond.
func sec(d time.Duration) float64 { return round(d.Seconds(), 6) }

// round rounds x to n decimals.
func round(x float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(x*p) / p
}

// modelSymbol is the marker of a model's points.
func modelSymbol(name string) string {
	if s, ok := modelSymbols[model.ParseSeries(name)]; ok {
		return s
	}
	return "circle"
}

// lineSeries is the look of a measured series: markers joined by a line.
func lineSeries(color, symbol string) []gocharts.SeriesOpts {
	if symbol == "" {
		symbol = "circle"
	}
	size := 9
	switch {
	case symbol == "emptyCircle":
		size = 12
	case strings.HasPrefix(symbol, "empty"):
		size = 14
	}
	return []gocharts.SeriesOpts{
		gocharts.WithLineChartOpts(opts.LineChart{Symbol: symbol, SymbolSize: size, ShowSymbol: opts.Bool(true)}),
		gocharts.WithItemStyleOpts(opts.ItemStyle{Color: color}),
		gocharts.WithLineStyleOpts(opts.LineStyle{Color: color, Width: 2}),
	}
}

// whiskerSeries is the look of error bars: thin vertical lines in the
// series' colour with a short flat cap at each end.
func whiskerSeries(color string) []gocharts.SeriesOpts {
	return []gocharts.SeriesOpts{
		gocharts.WithLineChartOpts(opts.LineChart{Symbol: "rect", SymbolSize: []int{12, 2}, ShowSymbol: opts.Bool(true), ConnectNulls: opts.Bool(false)}),
		gocharts.WithItemStyleOpts(opts.ItemStyle{Color: color}),
		gocharts.WithLineStyleOpts(opts.LineStyle{Color: color, Width: 1.5}),
	}
}

// idealSeries is the look of a formula's curve: a dashed line, grey unless
// color is given, no markers, drawn under the measurements.
func idealSeries(color string) []gocharts.SeriesOpts {
	if color == "" {
		color = idealColor
	}
	return []gocharts.SeriesOpts{
		gocharts.WithLineChartOpts(opts.LineChart{Symbol: "none", ShowSymbol: opts.Bool(false)}),
		gocharts.WithItemStyleOpts(opts.ItemStyle{Color: color}),
		gocharts.WithLineStyleOpts(opts.LineStyle{Color: color, Width: 2, Type: "dashed"}),
	}
}

// lighter is a colour halfway to white, for a kind's bars with the
// semaphore beside its bars without.
func lighter(hex string) string { return mix(hex, 255, 0.5) }

// shade is the i-th shade of a colour, for the same kind of bar from
// several series: the colour itself, then halfway to white, then 40% of
// the way to black, then a quarter of the way to white, and so on.
func shade(hex string, i int) string {
	switch i % 4 {
	case 1:
		return mix(hex, 255, 0.5)
	case 2:
		return mix(hex, 0, 0.4)
	case 3:
		return mix(hex, 255, 0.25)
	}
	return hex
}

// mix moves a colour's channels the fraction f of the way to the level to
// (0 black, 255 white).
func mix(hex string, to int, f float64) string {
	var r, g, b int
	if _, err := fmt.Sscanf(hex, "#%02x%02x%02x", &r, &g, &b); err != nil {
		return hex
	}
	m := func(c int) int { return int(math.Round(float64(c) + f*float64(to-c))) }
	return fmt.Sprintf("#%02x%02x%02x", m(r), m(g), m(b))
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
