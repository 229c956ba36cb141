package charts

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/boundlab/boundlab/experiments"
)

// idealName names the semaphore formula's curve.
const idealName = "ideal ⌈tasks/limit⌉ × latency"

// semaphoreCharts are the semaphore result's charts: runtime against the
// limit, runtime against the latency, and a timeline of one headline run
// per model.
func semaphoreCharts(res *experiments.SemaphoreResult) ([]*Chart, error) {
	stamp := res.Stamp.String()
	var out []*Chart
	if len(res.Limits) > 0 {
		c, err := semaphoreLimits(res.Limits, stamp)
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
	for _, h := range res.Headline {
		i, ok := nearestRun(res, h)
		if !ok {
			continue
		}
		run := res.Runs[i].Run
		f := frame{
			title: fmt.Sprintf("%s: %d tasks waiting %s, at most %d at a time", h.Model, h.Tasks, h.Latency, h.Limit),
			context: fmt.Sprintf("one headline run (%s of %s ideal) · a row per semaphore slot · %d segments",
				fmtDur(run.Totals.Wall), fmtDur(h.Ideal), segments(run.Spans)),
			stamp: stamp,
		}
		c, err := timeline(f, lane{run: run})
		if err != nil {
			return nil, err
		}
		out = append(out, c)
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
	var names []string
	lo, hi := math.MaxInt, 0
	for _, p := range pts {
		names = append(names, p.Model)
		lo, hi = min(lo, p.Limit), max(hi, p.Limit)
	}
	tasks, lat := pts[0].Tasks, pts[0].Latency
	var series []xySeries
	ideal := xySeries{name: idealName, ideal: true}
	for _, c := range idealSteps(tasks, lo, hi) {
		d := time.Duration(c[1]) * lat
		ideal.points = append(ideal.points, point{x: float64(c[0]), y: sec(d),
			name: fmt.Sprintf("limit %d: %d rounds × %s = %s", c[0], c[1], lat, fmtDur(d))})
	}
	series = append(series, ideal)
	for i, m := range modelOrder(names...) {
		s := xySeries{name: m, color: modelColor(m, i), symbol: modelSymbol(m)}
		for _, p := range sortedBy(pts, m, func(p experiments.SemaphorePoint) int { return p.Limit }) {
			s.points = append(s.points, point{x: float64(p.Limit), y: sec(p.Runtime),
				name: fmt.Sprintf("limit %d: %s\nideal %s · ratio %.4f", p.Limit, fmtDur(p.Runtime), fmtDur(p.Ideal), p.Ratio)})
		}
		series = append(series, s)
	}
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
	var names []string
	var top time.Duration
	for _, p := range pts {
		names = append(names, p.Model)
		top = max(top, p.Latency)
	}
	tasks, limit := pts[0].Tasks, pts[0].Limit
	rounds := int(math.Ceil(float64(tasks) / float64(limit)))
	ideal := xySeries{name: idealName, ideal: true}
	for _, d := range []time.Duration{0, top} {
		r := time.Duration(rounds) * d
		ideal.points = append(ideal.points, point{x: ms(d), y: sec(r),
			name: fmt.Sprintf("latency %s: %d rounds × %s = %s", d, rounds, d, fmtDur(r))})
	}
	series := []xySeries{ideal}
	for i, m := range modelOrder(names...) {
		s := xySeries{name: m, color: modelColor(m, i), symbol: modelSymbol(m)}
		for _, p := range sortedBy(pts, m, func(p experiments.SemaphorePoint) time.Duration { return p.Latency }) {
			s.points = append(s.points, point{x: ms(p.Latency), y: sec(p.Runtime),
				name: fmt.Sprintf("latency %s: %s\nideal %s · ratio %.4f", p.Latency, fmtDur(p.Runtime), fmtDur(p.Ideal), p.Ratio)})
		}
		series = append(series, s)
	}
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
