package charts

import (
	"fmt"
	"math"
	"slices"
	"strings"

	gocharts "github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// jsonCharts are the json result's charts: latency quantiles per variant,
// the event loops' lag over time, throughput beside the baselines, then,
// over the payload sweep, the p99 latency, the worst lag and the memory.
func jsonCharts(res *experiments.JSONResult) ([]*Chart, error) {
	if len(res.Headline) == 0 {
		return nil, nil
	}
	stamp := res.Stamp.String()
	r := res.Base()
	work := fmt.Sprintf("%s tasks at once, each waiting %s then encoding %s of JSON", param(r, "tasks"), param(r, "wait"), param(r, "payload"))
	var out chartList
	if err := out.add(jsonLatency(res, work, stamp)); err != nil {
		return nil, err
	}
	if slices.ContainsFunc(res.Headline, func(p experiments.JSONPoint) bool { return p.Loop }) {
		for _, cpython := range []bool{false, true} {
			if err := out.add(jsonLag(res, work, stamp, cpython)); err != nil {
				return nil, err
			}
		}
	}
	if err := out.add(jsonThroughput(res, work, stamp)); err != nil {
		return nil, err
	}
	if err := jsonSweeps(&out, res, stamp); err != nil {
		return nil, err
	}
	if err := jsonJudged(&out, res, work, stamp); err != nil {
		return nil, err
	}
	return out, nil
}

// jsonSweeps adds the sweep's charts to out, where it swept two payloads
// or more: the p99 latency, the event loops' worst lag and the memory
// against the payload.
func jsonSweeps(out *chartList, res *experiments.JSONResult, stamp string) error {
	if len(jsonSizes(res.Sweep)) < 2 {
		return nil
	}
	tasks := param(res.Base(), "tasks")
	if err := out.add(jsonSweep(res, "json_p99", "Tail latency against the payload",
		"p99 latency (ms, log scale)", tasks, stamp, false,
		func(p experiments.JSONPoint) (float64, string) {
			return p.Latency.P99, fmt.Sprintf("p99 %.1f ms · p50 %.1f ms", p.Latency.P99, p.Latency.P50)
		})); err != nil {
		return err
	}
	if slices.ContainsFunc(res.Sweep, func(p experiments.JSONPoint) bool { return p.Loop }) {
		if err := out.add(jsonSweep(res, "json_lagsweep", "Worst event loop lag against the payload",
			"worst heartbeat lag (ms, log scale)", tasks, stamp, true,
			func(p experiments.JSONPoint) (float64, string) {
				return ms(p.MaxLoopLag), fmt.Sprintf("worst lag %s · mean encoding %s", units.Duration(p.MaxLoopLag), units.Duration(p.Encode))
			})); err != nil {
			return err
		}
	}
	// The worker processes' memory counts: offloading to them moves the
	// encoding's memory out of this process, it does not save it.
	return out.add(jsonSweep(res, "json_memory", "Memory against the payload, worker processes' included",
		"memory added (MiB, log scale)", tasks, stamp, false,
		func(p experiments.JSONPoint) (float64, string) {
			heap, workers := units.MiB(p.Memory), units.MiB(p.Workers)
			if p.Workers <= 0 {
				return round(heap, 3), fmt.Sprintf("heap peak %.1f MiB above the start", heap)
			}
			return round(heap+workers, 3), fmt.Sprintf("%.1f MiB: heap peak %.1f MiB above the start + the worker processes' peak %.1f MiB", heap+workers, heap, workers)
		}))
}

// jsonJudged adds to out what the verdicts judge: each variant's tail and
// throughput against its run without the encoding, then the loops' lag,
// the offloading and the parallel encoders.
func jsonJudged(out *chartList, res *experiments.JSONResult, work, stamp string) error {
	for _, j := range []struct {
		kind, title, context, y string
		claims                  []string
	}{
		{"json_judged_tail", "Tail latency over the same tasks' without the encoding", "p99, round by round", "p99 / p99 without the encoding (×)", []string{"json-tail"}},
		{"json_judged_throughput", "Throughput over the same tasks' without the encoding", "tasks a second, round by round", "tasks/s / tasks/s without the encoding (×)", []string{"json-throughput"}},
		{"json_judged_loop", "The loop's lag, the offloading and the parallel encoders", "lag over an encoding's time; offloaded lag over the inline loop's; encodings a second over the inline loop's; round by round", "ratio (×)",
			[]string{"json-loop-blocks", "json-gil-held", "json-offload", "json-parallel"}},
	} {
		var items []judged
		for _, v := range res.Verdicts {
			if slices.Contains(j.claims, v.ClaimID) {
				label := v.Model
				if len(j.claims) > 1 {
					label = v.Model + " · " + strings.TrimPrefix(v.ClaimID, "json-")
				}
				items = append(items, judged{label: label, v: v})
			}
		}
		if err := out.add(judgedChart(j.kind, j.title, work+" · "+j.context, stamp, j.y, items)); err != nil {
			return err
		}
	}
	return nil
}

// jsonSizes lists the sweep's payloads, smallest first.
func jsonSizes(pts []experiments.JSONPoint) []int {
	var out []int
	for _, p := range pts {
		if !slices.Contains(out, p.Payload) {
			out = append(out, p.Payload)
		}
	}
	slices.Sort(out)
	return out
}

// jsonLatency draws each variant's p50, p95 and p99 latency, with the
// wait alone as the floor.
func jsonLatency(res *experiments.JSONResult, work, stamp string) (*Chart, error) {
	var cats []string
	groups := []barGroup{
		{name: "p50", color: "#9ecae1"},
		{name: "p95", color: "#4292c6"},
		{name: "p99", color: "#08519c"},
	}
	for _, p := range res.Headline {
		cats = append(cats, twoLines(p.Model))
		q := []float64{p.Latency.P50, p.Latency.P95, p.Latency.P99}
		for k := range groups {
			groups[k].values = append(groups[k].values, round(q[k], 3))
			groups[k].names = append(groups[k].names, fmt.Sprintf("%s: %s %.1f ms\np50 %.1f · p95 %.1f · p99 %.1f · max %.1f ms",
				p.Model, groups[k].name, q[k], p.Latency.P50, p.Latency.P95, p.Latency.P99, p.Latency.Max))
		}
	}
	var base []string
	for _, b := range res.Baselines {
		base = append(base, fmt.Sprintf("%s p99 %.1f ms", b.Model, b.Latency.P99))
	}
	f := frame{
		title:   "Latency per task: p50, p95, p99",
		context: fmt.Sprintf("%s · from submission to end · without the encoding: %s", work, strings.Join(base, ", ")),
		stamp:   stamp,
	}
	y := yFromZero("latency (ms)")
	var mark []opts.MarkLineNameYAxisItem
	if len(res.Baselines) > 0 {
		mark = append(mark, opts.MarkLineNameYAxisItem{Name: "no encoding: p99", YAxis: round(res.Baselines[0].Latency.P99, 3)})
	}
	return variantBars("json_latency", f, cats, y, groups, mark)
}

// jsonLag draws the heartbeat lag of each event loop over its headline
// run, as points: Go's loops (cpython false) or CPython's asyncio (true),
// nil if there are none. One encoding's time is drawn as a line only where
// the axis is short enough to show it, and said in the subtitle always.
func jsonLag(res *experiments.JSONResult, work, stamp string, cpython bool) (*Chart, error) {
	var series []xySeries
	top, wall, enc := 0.0, 0.0, 0.0
	for i, p := range res.Headline {
		if !p.Loop || !validRun(res.Base(), p.Run) || isPython(p.Model) != cpython {
			continue
		}
		if enc == 0 && p.Encode > 0 {
			enc = ms(p.Encode)
		}
		run := res.Runs[p.Run].Run
		s := xySeries{name: p.Model, color: jsonColor(p.Model, i), symbol: modelSymbol(p.Model), unjoined: true}
		for _, l := range run.LoopLag {
			s.points = append(s.points, point{x: ms(l.At), y: ms(l.Lag),
				name: fmt.Sprintf("%s: timer due at %.1f ms fired %.2f ms late", p.Model, ms(l.At), ms(l.Lag))})
			top = max(top, ms(l.Lag))
		}
		wall = max(wall, ms(run.Totals.Wall))
		series = append(series, s)
	}
	if len(series) == 0 {
		return nil, nil
	}
	title, who := "Event loop lag while the tasks encode: Go's event loop", "Go's eventloop model, inline and offloading the encoding"
	if cpython {
		title, who = "Event loop lag while the tasks encode: CPython's asyncio", "CPython's asyncio, inline and offloading the encoding"
	}
	encoding := ""
	if enc > 0 {
		encoding = fmt.Sprintf(" · one encoding takes %.1f ms", enc)
		// A line a twentieth of the axis high or more shows; a lower one
		// would only thicken the axis.
		if enc*20 >= top {
			series[0].marks = []opts.MarkLineNameYAxisItem{{Name: fmt.Sprintf("one encoding %.1f ms", enc), YAxis: round(enc, 3)}}
			encoding += " (dashed)"
		}
	}
	f := frame{
		title:   title,
		context: fmt.Sprintf("%s · %s", who, work),
		note:    fmt.Sprintf("a heartbeat timer every %s, a point per heartbeat: how late it fired%s", param(res.Base(), "heartbeat"), encoding),
		stamp:   stamp,
	}
	x := valueAxis("heartbeat due at (ms since the run started)")
	x.Min, x.Max = 0, math.Ceil(wall)
	x.AxisLabel = &opts.AxisLabel{ShowMaxLabel: opts.Bool(false)}
	y := yValue("lag: how late the timer fired (ms)")
	y.Min, y.Max = 0, niceCeil(top*1.1)
	kind := "json_lag"
	if cpython {
		kind = "json_lag_cpython"
	}
	return xyChart(kind, f, x, y, series)
}

// jsonThroughput draws tasks per second with the encoding beside the same
// model's rate without it.
func jsonThroughput(res *experiments.JSONResult, work, stamp string) (*Chart, error) {
	var cats []string
	with := barGroup{name: "with the encoding", color: "#5470c6"}
	without := barGroup{name: "without it (the model's baseline)", color: "#c8c8c8"}
	for _, p := range res.Headline {
		cats = append(cats, twoLines(p.Model))
		with.values = append(with.values, round(p.Throughput, 2))
		with.names = append(with.names, fmt.Sprintf("%s: %.0f tasks/s, wall %s", p.Model, p.Throughput, units.Duration(p.Wall)))
		b, ok := baselineOf(res, p.Model)
		v, n := math.NaN(), p.Model+": no baseline"
		if ok {
			v, n = round(b.Throughput, 2), fmt.Sprintf("%s without the encoding: %.0f tasks/s", b.Model, b.Throughput)
		}
		without.values = append(without.values, v)
		without.names = append(without.names, n)
	}
	f := frame{
		title:   "Throughput: tasks per second",
		context: fmt.Sprintf("%s · tasks over wall time", work),
		stamp:   stamp,
	}
	return variantBars("json_throughput", f, cats, yFromZero("tasks per second"), []barGroup{with, without}, nil)
}

// baselineOf is the baseline of a variant's model: "eventloop+processes"
// is the eventloop's.
func baselineOf(res *experiments.JSONResult, variant string) (experiments.JSONPoint, bool) {
	s, _ := model.ParseOffload(variant)
	base := s.String()
	for _, b := range res.Baselines {
		if b.Model == base {
			return b, true
		}
	}
	return experiments.JSONPoint{}, false
}

// jsonSweep draws one figure of the sweep against the payload, log-log,
// for every variant (or the event loops alone).
func jsonSweep(res *experiments.JSONResult, kind, title, yName, tasks, stamp string, loopsOnly bool,
	value func(experiments.JSONPoint) (float64, string)) (*Chart, error) {
	var names []string
	for _, p := range res.Sweep {
		if !loopsOnly || p.Loop {
			names = append(names, p.Model)
		}
	}
	var series []xySeries
	for i, m := range modelOrder(names...) {
		s := xySeries{name: m, color: jsonColor(m, i), symbol: modelSymbol(m)}
		for _, p := range res.Sweep {
			if p.Model != m {
				continue
			}
			v, what := value(p)
			if v <= 0 {
				v = math.NaN() // a log axis has no 0
			}
			s.points = append(s.points, point{x: float64(p.Payload) / 1024, y: v,
				name: fmt.Sprintf("%s, %s: %s", m, experiments.FormatSize(p.Payload), what)})
		}
		series = append(series, s)
	}
	f := frame{title: title, context: fmt.Sprintf("%s tasks at once, each encoding the payload once", tasks), stamp: stamp}
	return xyChart(kind, f, logAxis("payload (KiB, log scale)"), yLog(yName), series)
}

// jsonColors tell the variants apart: an executor's colour is its model's,
// lighter or darker.
var jsonColors = map[string]string{
	loopSeries.Offload(model.ExecThreads):      "#73c0de",
	loopSeries.Offload(model.ExecGILThreads):   "#fac858",
	loopSeries.Offload(model.ExecProcesses):    "#ea7ccc",
	asyncioSeries.Offload(model.ExecThreads):   "#9a7b4f",
	asyncioSeries.Offload(model.ExecProcesses): "#8b4a1c",
}

// The json variants' series: the eventloop model's and CPython's asyncio.
var (
	loopSeries    = model.SeriesOf(model.EventLoop, "")
	asyncioSeries = model.SeriesOf(model.CPython, model.FlavorAsyncio)
)

// isPython reports whether the variant named name runs on CPython.
func isPython(name string) bool {
	s, _ := model.ParseOffload(name)
	return s.Model == model.CPython
}

func jsonColor(name string, i int) string {
	if c, ok := jsonColors[name]; ok {
		return c
	}
	return modelColor(name, i)
}

// twoLines breaks a variant's name before its executor ("eventloop\n+processes"),
// so that every label fits under its bars.
func twoLines(name string) string { return strings.Replace(name, "+", "\n+", 1) }

// variantBars is barChart over the variants, with every label shown on its
// two lines (ECharts would skip some, and crowd the lines together).
func variantBars(kind string, f frame, cats []string, y opts.YAxis, groups []barGroup, mark []opts.MarkLineNameYAxisItem) (*Chart, error) {
	c := gocharts.NewBar()
	c.SetGlobalOptions(f.globals()...)
	c.SetGlobalOptions(gocharts.WithYAxisOpts(y))
	c.SetXAxis(cats)
	b := build{kind: kind, frame: f, patch: patcher{top: map[string]any{
		"xAxis": []map[string]any{{
			"type": "category", "data": cats, "name": "variant", "nameLocation": "middle", "nameGap": 44,
			"axisLabel": map[string]any{"interval": 0, "lineHeight": 15},
		}},
	}}}
	addBars(c, &b, groups, mark)
	return finish(c, b)
}
