package charts

import (
	"fmt"
	"math"

	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
)

// judged is one verdict to draw, with its category's label.
type judged struct {
	label string
	v     experiments.Verdict
}

// outcomeColors colour a verdict's point by its outcome.
var outcomeColors = map[experiments.Outcome]string{
	experiments.Holds: "#2e7d32", experiments.DoesNotHold: "#c62828", experiments.Inconclusive: "#757575",
}

// judgedChart draws what verdicts judged, a category each: the figure
// (the median of its runs) coloured by the outcome, its 95% interval as an
// error bar, and the bound or bounds of its claim's range as short dark
// dashes. Figures of one unit only: the y axis is logarithmic when they
// span more than a factor of ten. It returns nil for no verdicts.
func judgedChart(kind, title, context, stamp, yName string, items []judged) (*Chart, error) {
	if len(items) == 0 {
		return nil, nil
	}
	var cats []string
	bound := xySeries{name: "the claim's bound", color: "#222", whiskers: true}
	byOutcome := map[experiments.Outcome]*xySeries{}
	ivs := map[experiments.Outcome][]interval{}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, it := range items {
		v, x := it.v, float64(i)
		cats = append(cats, it.label)
		s, ok := byOutcome[v.Outcome]
		if !ok {
			s = &xySeries{name: string(v.Outcome), color: outcomeColors[v.Outcome], symbol: "circle"}
			byOutcome[v.Outcome] = s
		}
		s.points = append(s.points, point{x: x, y: round(v.Measured, 6),
			name: fmt.Sprintf("%s on %s: %s %s (%s)\n%s; claim: %s", v.ClaimID, v.Model, v.Estimate(), v.Unit, runsOf(v), v.Outcome, v.Rule())},
			point{x: x, y: math.NaN()})
		if v.Runs > 1 && v.Low < v.High {
			ivs[v.Outcome] = append(ivs[v.Outcome], interval{x: x, low: round(v.Low, 6), high: round(v.High, 6),
				name: fmt.Sprintf("%s on %s: 95%% interval %.4g to %.4g", v.ClaimID, v.Model, v.Low, v.High)})
		}
		l, h := v.Bounds()
		for _, b := range []float64{l, h} {
			if math.IsInf(b, 0) || math.IsNaN(b) {
				continue
			}
			bound.points = append(bound.points, point{x: x, y: round(b, 6), name: fmt.Sprintf("%s: %s", v.ClaimID, v.Rule())}, point{x: x, y: math.NaN()})
			lo, hi = math.Min(lo, b), math.Max(hi, b)
		}
		lo, hi = math.Min(lo, math.Min(v.Low, v.Measured)), math.Max(hi, math.Max(v.High, v.Measured))
	}
	series := []xySeries{bound}
	for _, o := range []experiments.Outcome{experiments.Holds, experiments.Inconclusive, experiments.DoesNotHold} {
		if s, ok := byOutcome[o]; ok {
			series = append(series, withIntervals(*s, ivs[o])...)
		}
	}
	y := yValue(yName)
	switch {
	case lo > 0 && hi/lo > 10:
		y = yLog(yName + ", log scale")
		y.Min, y.Max = round(math.Pow(10, math.Floor(math.Log10(lo))), 6), round(math.Pow(10, math.Ceil(math.Log10(hi))), 6)
	default: // close enough for the few per cent a verdict judges to show
		pad := math.Max((hi-lo)*0.15, 1e-3)
		step := math.Pow(10, math.Floor(math.Log10(hi-lo+pad)))
		y.Min, y.Max = round(math.Floor((lo-pad)/step)*step, 6), round(math.Ceil((hi+pad)/step)*step, 6)
	}
	x := opts.XAxis{Type: "category", Data: cats, Name: "claim and model", NameLocation: "middle", NameGap: 86,
		AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 16}}
	f := frame{title: title, context: context + " · dots: the median of the runs, coloured by the verdict · bars: 95% intervals · dark dashes: the claim's bounds", stamp: stamp}
	return xyChart(kind, f, x, y, series)
}

// relative is v with its figures and its claim's range over its expected
// value: 1 is the prediction exactly, and claims about figures of
// different sizes share an axis.
func relative(v experiments.Verdict) experiments.Verdict {
	e := v.Expected
	if e == 0 {
		return v
	}
	v.Measured, v.Low, v.High, v.Slack, v.Expected = v.Measured/e, v.Low/e, v.High/e, v.Slack/e, 1
	v.Unit = "× expected"
	return v
}

// runsOf says how many runs a verdict's figure is the median of.
func runsOf(v experiments.Verdict) string {
	if v.Runs <= 1 {
		return "one run"
	}
	return fmt.Sprintf("median of %d runs", v.Runs)
}

// exponentChart draws, for each model with a verdict on claim (an
// exponent of memory against live tasks), the exponent with its 95%
// interval, and the range the claim allows; nil where no model has one.
func exponentChart(r *experiments.Report, claim string, models []string, kind, stamp string) (*Chart, error) {
	var cats []string
	s := xySeries{name: "exponent of memory against live tasks", color: "#5470c6", symbol: "circle"}
	var ivs []interval
	var lo, hi float64
	for _, m := range models {
		v, ok := r.Verdict(claim, m)
		if !ok {
			continue
		}
		lo, hi = v.Bounds()
		x := float64(len(cats))
		cats = append(cats, m)
		s.points = append(s.points, point{x: x, y: round(v.Measured, 4), name: fmt.Sprintf("%s: exponent %s (%s)", m, v.Estimate(), v.Outcome)}, point{x: x, y: math.NaN()})
		ivs = append(ivs, interval{x: x, low: round(v.Low, 4), high: round(v.High, 4),
			name: fmt.Sprintf("%s: 95%% interval %.3f to %.3f, least squares over %d runs", m, v.Low, v.High, v.Runs)})
	}
	if len(cats) == 0 {
		return nil, nil
	}
	band := xySeries{name: "in proportion: the claim's range", ideal: true, points: []point{{x: 0, y: 1}, {x: float64(len(cats) - 1), y: 1}},
		marks: []opts.MarkLineNameYAxisItem{{Name: fmt.Sprintf("at least %.2f", lo), YAxis: round(lo, 4)}, {Name: fmt.Sprintf("at most %.2f", hi), YAxis: round(hi, 4)}}}
	f := frame{
		title:   "How memory grows with the live tasks: the exponent",
		context: "memory ∝ live tasks^exponent, fitted on log-log axes over every run · 1: in proportion · bars: 95% intervals · dashed: the claim's range",
		stamp:   stamp,
	}
	top := 1.5
	for _, iv := range ivs {
		top = math.Max(top, math.Ceil(iv.high*10)/10)
	}
	y := yValue("exponent")
	y.Min, y.Max = 0, top
	x := opts.XAxis{Type: "category", Data: cats, Name: "series", NameLocation: "middle", NameGap: 30}
	return xyChart(kind, f, x, y, []xySeries{band, s, intervals(s.name, s.color, ivs)})
}
