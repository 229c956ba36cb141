package charts

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/internal/units"
)

// idealName names the semaphore formula's curve.
const idealName = "ideal ⌈tasks/limit⌉ × latency"

// semaphoreCharts are the semaphore result's charts: runtime against the
// limit, runtime over the formula against the limit with the claims'
// bounds, runtime against the latency, a timeline of one headline run
// per model, and the first model's limit sweep as a timeline the reader
// moves through the limits, then its latency sweep likewise (see
// semaphoreSweep). A figure from several runs
// carries its 95% interval as an error bar.
func semaphoreCharts(res *experiments.SemaphoreResult) ([]*Chart, error) {
	stamp := res.Stamp.String()
	var out []*Chart
	if len(res.Limits) > 0 {
		c, err := semaphoreLimits(res.Limits, stamp)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		headline := 0
		if len(res.Headline) > 0 {
			headline = res.Headline[0].Limit
		}
		c, err = semaphoreRatios(res.Limits, headline, stamp)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(res.Latencies) > 0 {
		c, err := semaphoreLatencies(res.Latencies, stamp)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	// The headline runs: every model's tasks in flight on one chart, then
	// the first model's run alone as a timeline.
	if c, err := semaphoreInFlight(res, stamp); err != nil {
		return nil, err
	} else if c != nil {
		out = append(out, c)
	}
	for _, h := range res.Headline[:min(1, len(res.Headline))] { // one timeline, for the detail
		i, ok := nearestRun(res, h)
		if !ok {
			continue
		}
		run := res.Runs[i].Run
		f := frame{
			title: fmt.Sprintf("%s: %d tasks waiting %s, at most %d at a time", h.Model, h.Tasks, h.Latency, h.Limit),
			context: fmt.Sprintf("one headline run (%s of %s ideal) · a row per semaphore slot · %d segments",
				units.Duration(run.Totals.Wall), units.Duration(h.Ideal), segments(run.Spans)),
			stamp: stamp,
		}
		c, err := timeline(f, lane{run: run})
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(res.Headline) > 0 {
		for _, ax := range []semaphoreAxis{semaphoreLimitSweep, semaphoreLatencySweep} {
			c, ok, err := semaphoreSweep(res, res.Headline[0].Model, stamp, ax)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// nearestRun is the index of h's run whose wall time is nearest the
// median h reports.
func nearestRun(res *experiments.SemaphoreResult, h experiments.SemaphorePoint) (int, bool) {
	best, found := 0, false
	off := func(i int) time.Duration { return (res.Runs[i].Totals.Wall - h.Runtime).Abs() }
	for _, i := range h.Runs {
		if i < 0 || i >= len(res.Runs) || res.Runs[i].Run == nil {
			continue
		}
		if !found || off(i) < off(best) {
			best, found = i, true
		}
	}
	return best, found
}

// semaphoreLimits draws runtime against the limit, both axes logarithmic,
// with the formula's step curve.
func semaphoreLimits(pts []experiments.SemaphorePoint, stamp string) (*Chart, error) {
	lo, hi := math.MaxInt, 0
	for _, p := range pts {
		lo, hi = min(lo, p.Limit), max(hi, p.Limit)
	}
	tasks, lat := pts[0].Tasks, pts[0].Latency
	ideal := xySeries{name: idealName, ideal: true}
	lo, hi = stepRange(lo, hi)
	for _, c := range idealSteps(tasks, lo, hi) {
		d := time.Duration(c[1]) * lat
		ideal.points = append(ideal.points, point{x: float64(c[0]), y: sec(d),
			name: fmt.Sprintf("limit %d: %d rounds × %s = %s", c[0], c[1], lat, units.Duration(d))})
	}
	series := append([]xySeries{ideal}, measuredSeries(pts, semaphoreLimitSweep)...)
	f := frame{
		title:   "Runtime against the semaphore limit",
		context: fmt.Sprintf("%d tasks, each waiting %s · dashed: %s", tasks, lat, idealName),
		stamp:   stamp,
	}
	return xyChart("semaphore_limits", f, logAxis("semaphore limit (tasks waiting at once, log scale)"),
		yLog("runtime (s, log scale)"), series)
}

// semaphoreLatencies draws runtime against the latency, with the formula's
// straight line through the origin.
func semaphoreLatencies(pts []experiments.SemaphorePoint, stamp string) (*Chart, error) {
	var top time.Duration
	for _, p := range pts {
		top = max(top, p.Latency)
	}
	tasks, limit := pts[0].Tasks, pts[0].Limit
	rounds := int(math.Ceil(float64(tasks) / float64(limit)))
	ideal := xySeries{name: idealName, ideal: true}
	for _, d := range []time.Duration{0, top} {
		r := time.Duration(rounds) * d
		ideal.points = append(ideal.points, point{x: ms(d), y: sec(r),
			name: fmt.Sprintf("latency %s: %d rounds × %s = %s", d, rounds, d, units.Duration(r))})
	}
	series := append([]xySeries{ideal}, measuredSeries(pts, semaphoreLatencySweep)...)
	f := frame{
		title:   "Runtime against the latency",
		context: fmt.Sprintf("%d tasks under a semaphore of %d: %d rounds of waiting · dashed: %s", tasks, limit, rounds, idealName),
		stamp:   stamp,
	}
	x := valueAxis("latency: each task's wait (ms)")
	x.Min = 0
	y := yValue("runtime (s)")
	y.Min = 0
	return xyChart("semaphore_latencies", f, x, y, series)
}

// measuredSeries are each model's points along ax's setting: the median
// runtime at each, and its 95% interval where the point ran more than once.
func measuredSeries(pts []experiments.SemaphorePoint, ax semaphoreAxis) []xySeries {
	var names []string
	for _, p := range pts {
		names = append(names, p.Model)
	}
	var series []xySeries
	for i, m := range modelOrder(names...) {
		s := xySeries{name: m, color: modelColor(m, i), symbol: modelSymbol(m)}
		var ivs []interval
		for _, p := range sortedBy(pts, m, ax.key) {
			x, at := ax.x(p), ax.label(p)
			s.points = append(s.points, point{x: x, y: sec(p.Runtime),
				name: fmt.Sprintf("%s: %s%s\nideal %s · ratio %.4f", at, units.Duration(p.Runtime), medianOfRuns(len(p.Walls)), units.Duration(p.Ideal), p.Ratio)})
			if len(p.Walls) > 1 {
				ivs = append(ivs, interval{x: x, low: sec(p.Low), high: sec(p.High),
					name: fmt.Sprintf("%s: 95%% interval %s to %s over %d runs", at, units.Duration(p.Low), units.Duration(p.High), len(p.Walls))})
			}
		}
		series = append(series, s)
		if len(ivs) > 0 {
			series = append(series, intervals(m, modelColor(m, i), ivs))
		}
	}
	return series
}

// semaphoreRatios draws runtime over the formula against the limit, per
// model, with the bounds the claims judge it by (from the question's
// Claims): at most the sweep's tolerance over at every limit, the headline
// claim's per-model tolerance at the lecture's limit, and the floor, the
// formula less the timer's resolution. It shows the few per cent the
// verdicts judge, which the runtime's log-log chart cannot.
func semaphoreRatios(pts []experiments.SemaphorePoint, headline int, stamp string) (*Chart, error) {
	claims := experiments.Semaphore.Claims()
	sweep, near := claimOf(claims, "semaphore-sweep"), claimOf(claims, "semaphore-near-ideal")
	var names []string
	lo, hi := math.MaxInt, 0
	for _, p := range pts {
		names = append(names, p.Model)
		lo, hi = min(lo, p.Limit), max(hi, p.Limit)
	}
	names = modelOrder(names...)
	tasks, lat := pts[0].Tasks, pts[0].Latency
	floor := xySeries{name: fmt.Sprintf("floor: the formula less the timer's %s", units.Duration(time.Duration(sweep.Slack*float64(time.Second)))), ideal: true}
	lo, hi = stepRange(lo, hi)
	for _, c := range idealSteps(tasks, lo, hi) {
		ideal := time.Duration(c[1]) * lat
		floor.points = append(floor.points, point{x: float64(c[0]), y: round(1-sweep.Slack/ideal.Seconds(), 6),
			name: fmt.Sprintf("limit %d: %s ideal, at least %s", c[0], units.Duration(ideal), units.Duration(ideal-time.Duration(sweep.Slack*float64(time.Second))))})
	}
	floor.marks = []opts.MarkLineNameYAxisItem{
		{Name: "the formula", YAxis: 1},
		{Name: fmt.Sprintf("at most %.0f%% over, at every limit", 100*sweep.Tolerance), YAxis: 1 + sweep.Tolerance},
	}
	floor.marks = append(floor.marks, opts.MarkLineNameYAxisItem{
		Name: fmt.Sprintf("at limit %d: at most %.0f%% over", headline, 100*near.Tolerance), YAxis: 1 + near.Tolerance})
	series := []xySeries{floor}
	for i, m := range names {
		// Each model a little apart on the x axis, so that error bars at
		// one limit stand side by side rather than over one another.
		dodge := math.Pow(1.04, float64(i)-float64(len(names)-1)/2)
		s := xySeries{name: m, color: modelColor(m, i), symbol: modelSymbol(m)}
		var ivs []interval
		for _, p := range sortedBy(pts, m, func(p experiments.SemaphorePoint) int { return p.Limit }) {
			x := round(float64(p.Limit)*dodge, 3)
			s.points = append(s.points, point{x: x, y: round(p.Ratio, 6),
				name: fmt.Sprintf("limit %d: %.4f × the formula%s\n%s against %s", p.Limit, p.Ratio, medianOfRuns(len(p.Walls)), units.Duration(p.Runtime), units.Duration(p.Ideal))})
			if len(p.Walls) > 1 {
				low, high := p.RatioInterval()
				ivs = append(ivs, interval{x: x, low: round(low, 6), high: round(high, 6),
					name: fmt.Sprintf("limit %d: 95%% interval %.4f to %.4f over %d runs", p.Limit, low, high, len(p.Walls))})
			}
		}
		series = append(series, s)
		if len(ivs) > 0 {
			series = append(series, intervals(m, modelColor(m, i), ivs))
		}
	}
	f := frame{
		title:   "Runtime over the formula, against the limit",
		context: fmt.Sprintf("%d tasks, each waiting %s · 1 = ⌈tasks/limit⌉ × latency exactly · dashed: the bounds the verdicts judge", tasks, lat),
		stamp:   stamp,
	}
	// The y axis holds every bound and every interval, in whole hundredths.
	bottom, top := 1.0, 1+max(sweep.Tolerance, near.Tolerance)
	for _, fp := range floor.points {
		bottom = min(bottom, fp.y)
	}
	for _, p := range pts {
		low, high := p.RatioInterval()
		bottom, top = min(bottom, low, p.Ratio), max(top, high, p.Ratio)
	}
	y := yValue("runtime / (⌈tasks/limit⌉ × latency)")
	y.Min, y.Max = math.Floor(bottom*100-0.2)/100, math.Ceil(top*100+0.2)/100
	x := logAxis("semaphore limit (tasks waiting at once, log scale)")
	x.Min, x.Max = round(float64(lo)*0.8, 3), round(float64(hi)*1.25, 3) // room for the dodge, no empty decade
	return xyChart("semaphore_ratios", f, x, y, series)
}

// stepRange is the range of limits the formula's curve is drawn over: the
// limits measured, or where one limit was measured (a quick run from the
// control panel), half of it to twice it, so that the curve is a line
// through the point and not a point under it.
func stepRange(lo, hi int) (int, int) {
	if lo == hi {
		return max(1, lo/2), 2 * hi
	}
	return lo, hi
}

// idealSteps returns the corners of ceil(tasks/limit) for integer limits
// from lo to hi, as (limit, rounds) pairs: for each number of rounds, the
// smallest and largest limit giving it.
func idealSteps(tasks, lo, hi int) [][2]int {
	var out [][2]int
	for l := max(lo, 1); l <= hi; {
		r := (tasks + l - 1) / l
		last := hi
		if r > 1 {
			last = min(hi, (tasks-1)/(r-1))
		}
		out = append(out, [2]int{l, r})
		if last > l {
			out = append(out, [2]int{last, r})
		}
		l = last + 1
	}
	return out
}

// sortedBy returns model m's points sorted by key.
func sortedBy[K int | time.Duration](pts []experiments.SemaphorePoint, m string, key func(experiments.SemaphorePoint) K) []experiments.SemaphorePoint {
	var out []experiments.SemaphorePoint
	for _, p := range pts {
		if p.Model == m {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b experiments.SemaphorePoint) int { return cmp.Compare(key(a), key(b)) })
	return out
}
