package charts

import (
	"fmt"
	"time"

	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// Colours of the no-semaphore charts: warm for the runs without a
// semaphore, cool for those with one, darker for a higher percentile.
var (
	freeShades    = map[string]string{"p50": "#f2b134", "p95": "#f07c3a", "p99": "#d62d20"}
	limitedShades = map[string]string{"p50": "#7fc8e8", "p95": "#3c8dcb", "p99": "#1b4f9c"}
	pctSymbols    = map[string]string{"p50": "circle", "p95": "diamond", "p99": "triangle"}
	// answeredColors draw the share of calls answered, without (false)
	// and with (true) the semaphore.
	answeredColors = map[bool]string{false: "#8e44ad", true: "#16a085"}
	errKindColors  = map[model.ErrKind]string{
		model.ErrTooManyFiles: "#8e44ad", model.ErrTimeout: "#d62d20", model.ErrRefused: "#f07c3a",
		model.ErrReset: "#f2b134", model.ErrOther: "#7f7f7f",
	}
)

// noSemaphoreCharts are the no-semaphore result's charts: throughput
// against concurrency for every model, then per model its latency
// percentiles and its errors by kind against concurrency, without and with
// the semaphore.
func noSemaphoreCharts(res *experiments.NoSemaphoreResult) ([]*Chart, error) {
	if len(res.Points) == 0 {
		return nil, nil
	}
	stamp := res.Stamp.String()
	r := res.Base()
	server := fmt.Sprintf("server: %s workers × %s (capacity %.0f calls/s), backlog %s", param(r, "workers"), param(r, "service"), res.Capacity, param(r, "backlog"))
	var names []string
	for _, p := range res.Points {
		names = append(names, p.Model)
	}
	models := modelOrder(names...)
	var out []*Chart
	c, err := noSemaphoreThroughput(res, models, server, stamp)
	if err != nil {
		return nil, err
	}
	out = append(out, c)
	if c, ok, err := noSemaphoreSweep(res, models[0], server, stamp); err != nil {
		return nil, err
	} else if ok {
		out = append(out, c)
	}
	for _, m := range models {
		c, err := noSemaphoreLatency(res, m, server, stamp)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		c, err = noSemaphoreErrors(res, m, server, stamp)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// byMode returns model m's points in one mode (0: no semaphore), in
// result order (by concurrency).
func byMode(res *experiments.NoSemaphoreResult, m string, limit int) []experiments.NoSemaphorePoint {
	var out []experiments.NoSemaphorePoint
	for _, p := range res.Points {
		if p.Model == m && p.Semaphore == limit {
			out = append(out, p)
		}
	}
	return out
}

// limitOf is the semaphore's limit the result ran with.
func limitOf(res *experiments.NoSemaphoreResult) int {
	for _, p := range res.Points {
		if p.Semaphore > 0 {
			return p.Semaphore
		}
	}
	return 0
}

// noSemaphoreThroughput draws answered calls a second against
// concurrency, a line per model and mode, under the server's capacity.
func noSemaphoreThroughput(res *experiments.NoSemaphoreResult, models []string, server, stamp string) (*Chart, error) {
	limit := limitOf(res)
	lo, hi := 0, 0
	for _, p := range res.Points {
		if lo == 0 || p.Concurrency < lo {
			lo = p.Concurrency
		}
		hi = max(hi, p.Concurrency)
	}
	capLine := xySeries{name: "server capacity: workers / service", ideal: true, points: []point{
		{x: float64(lo), y: res.Capacity, name: fmt.Sprintf("capacity %.0f calls/s", res.Capacity)},
		{x: float64(hi), y: res.Capacity, name: fmt.Sprintf("capacity %.0f calls/s", res.Capacity)},
	}}
	// The bounds the verdicts hold the runs at the most calls at once to.
	for _, b := range []struct{ claim, name string }{
		{"overload-goodput", "no semaphore: at most %s × capacity"}, {"capacity-semaphore", "semaphore: at least %s × capacity"}} {
		if v, ok := firstVerdict(res.Base(), b.claim); ok {
			lo, hi := v.Bounds()
			x := hi
			if b.claim == "capacity-semaphore" {
				x = lo
			}
			capLine.marks = append(capLine.marks, opts.MarkLineNameYAxisItem{Name: fmt.Sprintf(b.name, fmt.Sprintf("%.3g", x)), YAxis: round(x*res.Capacity, 1)})
		}
	}
	series := []xySeries{capLine}
	for i, m := range models {
		for _, l := range []int{0, limit} {
			s := xySeries{name: m + " · " + semName(l), color: modeColor(m, i, l), symbol: modelSymbol(m)}
			var ivs []interval
			for _, p := range byMode(res, m, l) {
				if p.Crash != "" {
					continue
				}
				y, iv := repeated(p.CallRuns, func(c experiments.CallPoint) float64 { return c.Throughput })
				s.points = append(s.points, point{x: float64(p.Concurrency), y: round(y, 1),
					name: fmt.Sprintf("%s, %d at once: %.0f calls/s%s\nthe run shown: %d answered in %s · %s", semName(l), p.Concurrency, y, medianOfRuns(len(p.Repeats)), p.OK, units.Duration(p.Wall), errorsLine(p.Errors))})
				if iv != nil {
					ivs = append(ivs, interval{x: float64(p.Concurrency), low: round(iv.Low, 1), high: round(iv.High, 1),
						name: fmt.Sprintf("%s, %d at once: 95%% interval %.0f to %.0f calls/s over %d runs", semName(l), p.Concurrency, iv.Low, iv.High, iv.N)})
				}
			}
			series = append(series, withIntervals(s, ivs)...)
		}
	}
	f := frame{
		title:   "Throughput against concurrency, without and with the semaphore",
		context: server + fmt.Sprintf(" · clients limited to %s descriptors, timeout %s · bars: 95%% intervals · dashed: the bounds the verdicts judge", param(res.Base(), "fd-limit"), param(res.Base(), "timeout")),
		stamp:   stamp,
	}
	return xyChart("nosem_throughput", f, logAxis("calls launched at once (log scale)"), yFromZero("answered calls a second"), series)
}

// noSemaphoreLatency draws model m's p50, p95 and p99 against
// concurrency, without and with the semaphore, with the queueing bound.
func noSemaphoreLatency(res *experiments.NoSemaphoreResult, m, server, stamp string) (*Chart, error) {
	limit := limitOf(res)
	series := queueingBound(res, byMode(res, m, 0))
	for _, l := range []int{0, limit} {
		if l > 0 {
			series = append(series, callAlone(res, m, l)...)
		}
		for _, pct := range []string{"p99", "p95", "p50"} {
			series = append(series, latencyPercentile(res, m, l, pct)...)
		}
	}
	if len(series) > 0 {
		series[0].marks = latencyMarks(res, m)
	}
	// Latency counts the answered calls only: the share answered, beside
	// it on the right axis, says how many that is.
	for _, l := range []int{0, limit} {
		series = append(series, answeredShare(res, m, l))
	}
	f := frame{
		title:   fmt.Sprintf("%s: latency against concurrency, without and with the semaphore", m),
		context: "each answered call's task, creation to end (the wait for a slot included) · " + server + " · bars: 95% intervals over the runs at the sweep's ends",
		note:    "failed calls have no latency: the squares on the right axis give the share of calls answered; the errors chart, why the others failed",
		stamp:   stamp,
	}
	answered := yValue("calls answered (%)")
	answered.Min, answered.Max, answered.Position = 0, 100, "right"
	answered.SplitLine = &opts.SplitLine{Show: opts.Bool(false)}
	return xyChartAxes("nosem_latency", f, logAxis("calls launched at once (log scale)"), []opts.YAxis{yLog("latency, answered calls (ms, log)"), answered}, series)
}

// queueingBound is the latency the server's queue alone makes at each of
// the points' concurrency, ⌈at once / workers⌉ × service; none where the
// result does not say its workers and service.
func queueingBound(res *experiments.NoSemaphoreResult, pts []experiments.NoSemaphorePoint) []xySeries {
	workers, service := 0, time.Duration(0)
	fmt.Sscan(param(res.Base(), "workers"), &workers)
	service, _ = time.ParseDuration(param(res.Base(), "service"))
	if workers <= 0 || service <= 0 {
		return nil
	}
	bound := xySeries{name: "queueing bound ⌈at once / workers⌉ × service", ideal: true}
	for _, p := range pts {
		d := time.Duration((p.Concurrency+workers-1)/workers) * service
		bound.points = append(bound.points, point{x: float64(p.Concurrency), y: ms(d),
			name: fmt.Sprintf("%d at once: ⌈%d / %d⌉ × %s = %s", p.Concurrency, p.Concurrency, workers, service, units.Duration(d))})
	}
	return []xySeries{bound}
}

// callAlone is model m's p99 of a call alone (connect to answer, without
// the wait for a slot) at semaphore limit l, the median of the runs with
// its 95% intervals.
func callAlone(res *experiments.NoSemaphoreResult, m string, l int) []xySeries {
	s := xySeries{name: "a call alone, p99 · " + semName(l), color: "#2e7d32", symbol: "rect"}
	var ivs []interval
	for _, p := range byMode(res, m, l) {
		if p.Crash != "" || p.OK == 0 {
			continue
		}
		y, iv := repeated(p.CallRuns, func(c experiments.CallPoint) float64 { return c.CallLatency.P99 })
		s.points = append(s.points, point{x: float64(p.Concurrency), y: round(y, 3),
			name: fmt.Sprintf("%s, %d at once: a call alone, connect to answer, p99 %.1f ms%s\n(its task, with the wait for a slot: p99 %.1f ms in the run shown)",
				semName(l), p.Concurrency, y, medianOfRuns(len(p.Repeats)), p.Latency.P99)})
		if iv != nil {
			ivs = append(ivs, interval{x: float64(p.Concurrency), low: round(iv.Low, 3), high: round(iv.High, 3),
				name: fmt.Sprintf("%s, %d at once: a call's p99, 95%% interval %.1f to %.1f ms over %d runs", semName(l), p.Concurrency, iv.Low, iv.High, iv.N)})
		}
	}
	return withIntervals(s, ivs)
}

// latencyPercentile is model m's percentile pct of its tasks' latency at
// semaphore limit l (0: none): p99, which the verdicts judge, as the
// median of the runs with its 95% intervals, the others in the run shown.
func latencyPercentile(res *experiments.NoSemaphoreResult, m string, l int, pct string) []xySeries {
	shades := freeShades
	if l > 0 {
		shades = limitedShades
	}
	s := xySeries{name: pct + " · " + semName(l), color: shades[pct], symbol: pctSymbols[pct]}
	var ivs []interval
	for _, p := range byMode(res, m, l) {
		if p.Crash != "" || p.OK == 0 {
			continue
		}
		v := map[string]float64{"p50": p.Latency.P50, "p95": p.Latency.P95, "p99": p.Latency.P99}[pct]
		runs := ""
		if pct == "p99" { // the percentile tail-grows judges, over the runs
			var iv *measure.CI
			v, iv = repeated(p.CallRuns, func(c experiments.CallPoint) float64 { return c.Latency.P99 })
			runs = medianOfRuns(len(p.Repeats))
			if iv != nil {
				ivs = append(ivs, interval{x: float64(p.Concurrency), low: round(iv.Low, 3), high: round(iv.High, 3),
					name: fmt.Sprintf("%s, %d at once: p99, 95%% interval %.1f to %.1f ms over %d runs", semName(l), p.Concurrency, iv.Low, iv.High, iv.N)})
			}
		}
		s.points = append(s.points, point{x: float64(p.Concurrency), y: round(v, 3),
			name: fmt.Sprintf("%s, %d at once: %s %.1f ms%s\nthe run shown: %d answered · a call alone: p99 %.1f ms · %s",
				semName(l), p.Concurrency, pct, v, runs, p.OK, p.CallLatency.P99, errorsLine(p.Errors))})
	}
	return withIntervals(s, ivs)
}

// latencyMarks are the latency chart's reference lines: the clients'
// timeout, and the bound semaphore-bounds-latency holds model m's calls to.
func latencyMarks(res *experiments.NoSemaphoreResult, m string) []opts.MarkLineNameYAxisItem {
	var marks []opts.MarkLineNameYAxisItem
	if to, err := time.ParseDuration(param(res.Base(), "timeout")); err == nil {
		marks = append(marks, opts.MarkLineNameYAxisItem{Name: "client timeout " + to.String(), YAxis: ms(to)})
	}
	if v, ok := res.Verdict("semaphore-bounds-latency", m); ok {
		_, hi := v.Bounds()
		marks = append(marks, opts.MarkLineNameYAxisItem{Name: fmt.Sprintf("a call's p99 with the semaphore: at most %.1f ms", hi*1000), YAxis: round(hi*1000, 3)})
	}
	return marks
}

// answeredShare is the share of model m's calls answered at semaphore
// limit l, on the right axis: the median of the runs (0 where the run
// crashed).
func answeredShare(res *experiments.NoSemaphoreResult, m string, l int) xySeries {
	s := xySeries{name: "answered · " + semName(l), color: answeredColors[l > 0], symbol: "rect", yAxis: 1}
	for _, p := range byMode(res, m, l) {
		share, runs := 0.0, ""
		if p.Crash == "" && p.Tasks > 0 {
			share, _ = repeated(p.CallRuns, func(c experiments.CallPoint) float64 { return 100 * float64(c.OK) / float64(max(1, c.Tasks)) })
			runs = medianOfRuns(len(p.Repeats))
		}
		s.points = append(s.points, point{x: float64(p.Concurrency), y: round(share, 2),
			name: fmt.Sprintf("%s, %d at once: %.1f%% of the calls answered%s\nthe run shown: %d of %d · %s", semName(l), p.Concurrency, share, runs, p.OK, p.Tasks, errorsLine(p.Errors))})
	}
	return s
}

// noSemaphoreErrors draws model m's failed calls by kind at each
// concurrency, without and with the semaphore.
func noSemaphoreErrors(res *experiments.NoSemaphoreResult, m, server, stamp string) (*Chart, error) {
	limit := limitOf(res)
	free, limited := byMode(res, m, 0), byMode(res, m, limit)
	var cats []string
	for _, p := range free {
		cats = append(cats, fmt.Sprint(p.Concurrency))
	}
	var groups []barGroup
	for _, mode := range []struct {
		limit int
		pts   []experiments.NoSemaphorePoint
	}{{0, free}, {limit, limited}} {
		var pts []experiments.CallRuns
		for _, p := range mode.pts {
			pts = append(pts, p.CallRuns)
		}
		name := semName(mode.limit)
		groups = append(groups, failedBars{
			pts:  pts,
			name: func(what string) string { return what + " · " + name },
			color: func(k model.ErrKind) string {
				if mode.limit > 0 {
					return lighter(errKindColors[k])
				}
				return errKindColors[k]
			},
			noneColor: modeColor(m, 0, mode.limit),
			at:        func(j int) string { return fmt.Sprintf("%s, %d at once", name, mode.pts[j].Concurrency) },
			failed:    func(n, tasks int) string { return fmt.Sprintf("%d of %d failed", n, tasks) },
		}.groups()...)
	}
	f := frame{
		title:   fmt.Sprintf("%s: failed calls by kind against concurrency", m),
		context: fmt.Sprintf("clients limited to %s descriptors, timeout %s · %s", param(res.Base(), "fd-limit"), param(res.Base(), "timeout"), server),
		stamp:   stamp,
	}
	return barChart("nosem_errors", f, cats, "calls launched at once", yFromZero("failed calls"), groups, nil)
}

// semName names a mode in a legend: "no semaphore" or "semaphore 50".
func semName(limit int) string {
	if limit == 0 {
		return "no semaphore"
	}
	return fmt.Sprintf("semaphore %d", limit)
}

// modeColor is model m's colour with the semaphore, a warm red or orange
// (by the model's order i) without.
func modeColor(m string, i, limit int) string {
	if limit == 0 {
		return []string{"#d62d20", "#f07c3a", "#b5651d", "#e84393"}[i%4]
	}
	if m == "" {
		return "#1b4f9c"
	}
	return modelColor(m, i)
}
