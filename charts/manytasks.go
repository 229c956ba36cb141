package charts

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// manyTasksCharts are the many-tasks result's charts: memory against live
// tasks, open descriptors against tasks and over time at the largest
// count, failed calls by kind, scheduling delay, and GC cycles.
func manyTasksCharts(res *experiments.ManyTasksResult) ([]*Chart, error) {
	if len(res.Points) == 0 {
		return nil, nil
	}
	stamp := res.Stamp.String()
	r := res.Base()
	server := fmt.Sprintf("one call each to a server of %s workers × %s, backlog %s, timeout %s",
		param(r, "workers"), param(r, "service"), param(r, "backlog"), param(r, "timeout"))
	var names []string
	for _, p := range res.Points {
		names = append(names, p.Model)
	}
	models := modelOrder(names...)
	var out []*Chart
	for _, f := range []func(*experiments.ManyTasksResult, []string, string, string) (*Chart, error){
		manyMemory, manyExponent, manyFDs, manyFDsOverTime, manyErrors, manyDelay, manyGC, manyTasksSweep,
	} {
		c, err := f(res, models, server, stamp)
		if err != nil {
			return nil, err
		}
		if c != nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// pointsOf returns model m's points whose run shown ran (the child did not
// die), in result order (by task count).
func pointsOf(res *experiments.ManyTasksResult, m string) []experiments.CallRuns {
	var out []experiments.CallRuns
	for _, p := range res.Points {
		if p.Model == m && p.Crash == "" {
			out = append(out, p)
		}
	}
	return out
}

// medianSeries draws a figure of each point against its task count: the
// median of its runs, with 95% error bars where it ran more than once.
func medianSeries(s xySeries, pts []experiments.CallRuns, f func(experiments.CallPoint) float64, y func(float64) float64,
	name func(p experiments.CallRuns, v float64, runs string) string) []xySeries {
	var ivs []interval
	for _, p := range pts {
		v, iv := repeated(p, f)
		x := float64(p.Tasks)
		s.points = append(s.points, point{x: x, y: y(v), name: name(p, v, medianOfRuns(len(p.Repeats)))})
		if iv != nil {
			ivs = append(ivs, interval{x: x, low: y(iv.Low), high: y(iv.High),
				name: fmt.Sprintf("%s, %d tasks: 95%% interval %.3g to %.3g over %d runs", s.name, p.Tasks, iv.Low, iv.High, iv.N)})
		}
	}
	return withIntervals(s, ivs)
}

// manyMemory draws the client process's peak resident memory and its
// runtime's heap and stacks against its peak live tasks, with each model's
// fitted line.
func manyMemory(res *experiments.ManyTasksResult, models []string, server, stamp string) (*Chart, error) {
	var series []xySeries
	var fits []string
	for i, m := range models {
		var runs []experiments.CallPoint
		for _, p := range pointsOf(res, m) {
			for _, c := range p.All() {
				if c.Crash == "" && c.PeakLive > 0 && res.Added(c) > 0 {
					runs = append(runs, c)
				}
			}
		}
		slices.SortStableFunc(runs, func(a, b experiments.CallPoint) int { return a.PeakLive - b.PeakLive })
		if len(runs) == 0 {
			continue
		}
		for _, fit := range res.Fits {
			if fit.Model != m || fit.Exponent.N < 3 {
				continue
			}
			e := fit.Exponent
			line := xySeries{name: fmt.Sprintf("%s: ∝ tasks^%.2f [%.2f, %.2f]", m, e.Median, e.Low, e.High), ideal: true, color: lighter(modelColor(m, i))}
			for _, x := range []float64{float64(runs[0].PeakLive), float64(runs[len(runs)-1].PeakLive)} {
				y := fit.Coefficient * math.Pow(x, e.Median) / (1 << 20)
				line.points = append(line.points, point{x: x, y: round(y, 4), name: fmt.Sprintf("fit: %.3g B × %.0f^%.3f = %.2f MiB", fit.Coefficient, x, e.Median, y)})
			}
			series = append(series, line)
			fits = append(fits, fmt.Sprintf("%s %s a task (the straight line's slope)", m, units.Bytes(fit.PerTask)))
		}
		added := xySeries{name: m + " · memory added, each run", color: modelColor(m, i), symbol: modelSymbol(m)}
		for _, c := range runs {
			a := res.Added(c)
			added.points = append(added.points, point{x: float64(c.PeakLive), y: round(units.MiB(a), 4),
				name: fmt.Sprintf("%d tasks, %d live at once: %.1f MiB added (%.1f MiB resident at the peak)\nheap %.1f MiB, stacks %.1f MiB, %d goroutines",
					c.Tasks, c.PeakLive, units.MiB(a), units.MiB(c.PeakRSS), units.MiB(c.PeakHeap), units.MiB(c.PeakStacks), c.PeakGoroutines)})
		}
		series = append(series, added)
	}
	f := frame{
		title:   "Memory against live tasks",
		context: "resident memory each run added to the client process (its peak less its start) · log-log: a slope of 1 is memory in proportion to the tasks · " + server,
		note:    "dashed: the fit on log-log axes, its exponent with a 95% interval; " + joinComma(fits),
		stamp:   stamp,
	}
	return xyChart("many_memory", f, logAxis("tasks alive at once (peak, log scale)"), yLog("memory added (MiB, log scale)"), series)
}

// manyExponent draws each model's exponent of memory against live tasks,
// with its 95% interval, and the range the memory-per-task claim allows.
func manyExponent(res *experiments.ManyTasksResult, models []string, server, stamp string) (*Chart, error) {
	return exponentChart(res.Base(), "memory-per-task", models, "many_exponent", stamp)
}

// manyFDs draws the client process's peak open descriptors against the
// tasks, under min(tasks + those already open, the limit).
func manyFDs(res *experiments.ManyTasksResult, models []string, server, stamp string) (*Chart, error) {
	var series []xySeries
	limit := 0
	for i, m := range models {
		pts := pointsOf(res, m)
		s := xySeries{name: m, color: modelColor(m, i), symbol: modelSymbol(m)}
		for _, p := range pts {
			limit = max(limit, p.NoFile)
			s.points = append(s.points, point{x: float64(p.Tasks), y: float64(p.PeakFDs),
				name: fmt.Sprintf("%d tasks: %d descriptors open at the peak (limit %d, %d open before)\n%s", p.Tasks, p.PeakFDs, p.NoFile, p.BaseFDs, errorsLine(p.Errors))})
		}
		series = append(series, s)
	}
	if pts := pointsOf(res, models[0]); len(pts) > 0 {
		ideal := xySeries{name: "min(tasks + open before, limit)", ideal: true}
		for _, p := range pts {
			want := min(p.Tasks+p.BaseFDs, p.NoFile)
			ideal.points = append(ideal.points, point{x: float64(p.Tasks), y: float64(want), name: fmt.Sprintf("%d tasks: min(%d + %d, %d) = %d", p.Tasks, p.Tasks, p.BaseFDs, p.NoFile, want)})
		}
		if limit > 0 {
			ideal.marks = []opts.MarkLineNameYAxisItem{{Name: fmt.Sprintf("descriptor limit %d", limit), YAxis: limit}}
		}
		series = append([]xySeries{ideal}, series...)
	}
	f := frame{
		title:   "Open descriptors against tasks",
		context: "the client process's most open at once, read from /proc · a socket per call in flight · " + server,
		stamp:   stamp,
	}
	return xyChart("many_fds", f, logAxis("tasks created at once (log scale)"), yFromZero("open descriptors"), series)
}

// fdSamplesDrawn is the most samples manyFDsOverTime draws of one run: a
// run of 50,000 calls read every 20 ms has about 900, and each point
// carries its tooltip's words.
const fdSamplesDrawn = 200

// manyFDsOverTime draws, at the largest task count, each model's open
// descriptors over the run, with the limit; a run with more than
// fdSamplesDrawn samples is drawn from every k-th, its peak and its last,
// as the subtitle says.
func manyFDsOverTime(res *experiments.ManyTasksResult, models []string, server, stamp string) (*Chart, error) {
	var series []xySeries
	var thinned []string
	top, limit := 0, 0
	for _, p := range res.Points {
		top = max(top, p.Tasks)
	}
	for i, m := range models {
		s := xySeries{name: m, color: modelColor(m, i), symbol: "none"}
		for _, p := range pointsOf(res, m) {
			if p.Tasks != top {
				continue
			}
			limit = max(limit, p.NoFile)
			smps, k := thinSamples(p.Samples, fdSamplesDrawn)
			if k > 1 {
				thinned = append(thinned, fmt.Sprintf("%s every %d%s of %d samples", m, k, ordinal(k), len(p.Samples)))
			}
			for _, smp := range smps {
				s.points = append(s.points, point{x: round(smp.At.Seconds(), 3), y: float64(smp.FDs),
					name: fmt.Sprintf("%s at %s: %d descriptors, %.1f MiB resident", m, units.Duration(smp.At), smp.FDs, units.MiB(smp.RSS))})
			}
		}
		if limit > 0 && i == 0 {
			s.marks = []opts.MarkLineNameYAxisItem{{Name: fmt.Sprintf("descriptor limit %d", limit), YAxis: limit}}
		}
		series = append(series, s)
	}
	f := frame{
		title:   fmt.Sprintf("Open descriptors over time, %d tasks at once", top),
		context: fmt.Sprintf("the client process, read from /proc every %s · %s", param(res.Base(), "sample"), server),
		stamp:   stamp,
	}
	if len(thinned) > 0 {
		f.note = "drawn: " + strings.Join(thinned, ", ") + ", with each run's most descriptors and its last sample"
	}
	x := valueAxis("time since the batch started (s)")
	x.Min = 0
	return xyChart("many_fds_time", f, x, yFromZero("open descriptors"), series)
}

// manyErrors draws failed calls by kind against the tasks, per model.
func manyErrors(res *experiments.ManyTasksResult, models []string, server, stamp string) (*Chart, error) {
	var cats []string
	var counts []int
	for _, p := range res.Points {
		if p.Model == models[0] {
			cats = append(cats, fmt.Sprint(p.Tasks))
			counts = append(counts, p.Tasks)
		}
	}
	var groups []barGroup
	for i, m := range models {
		at := map[int]experiments.CallRuns{}
		for _, p := range res.Points {
			if p.Model == m {
				at[p.Tasks] = p
			}
		}
		pts := make([]experiments.CallRuns, len(counts))
		for j, c := range counts {
			pts[j] = at[c]
		}
		groups = append(groups, failedBars{
			pts:       pts,
			name:      func(what string) string { return m + " · " + what },
			color:     func(k model.ErrKind) string { return shade(errKindColors[k], i) },
			noneColor: modelColor(m, i),
			at:        func(j int) string { return fmt.Sprintf("%s, %d tasks", m, counts[j]) },
			failed:    func(n, _ int) string { return fmt.Sprintf("%d failed", n) },
		}.groups()...)
	}
	f := frame{
		title:   "Failed calls by kind against tasks",
		context: fmt.Sprintf("the clients limited to %d descriptors · %s", res.NoFile, server),
		stamp:   stamp,
	}
	return barChart("many_errors", f, cats, "tasks created at once", yFromZero("failed calls"), groups, nil)
}

// manyDelay draws the scheduling delay against the tasks: each task's wait
// from creation to start (p99), the event loop's largest heartbeat lag, and
// the Go runtime's runnable-to-running p99.
func manyDelay(res *experiments.ManyTasksResult, models []string, server, stamp string) (*Chart, error) {
	var series []xySeries
	for i, m := range models {
		color := modelColor(m, i)
		start := xySeries{name: m + " · creation to start, p99", color: color, symbol: modelSymbol(m)}
		other := xySeries{name: m + " · runtime: runnable to running, p99", color: lighter(color), symbol: "rect"}
		loop := model.ParseSeries(m).EventLoop()
		if loop {
			other.name = m + " · largest heartbeat lag"
		}
		pts := pointsOf(res, m)
		starts := medianSeries(start, pts, func(c experiments.CallPoint) float64 { return c.StartDelay.P99 }, posMs,
			func(p experiments.CallRuns, v float64, runs string) string {
				return fmt.Sprintf("%d tasks: p99 %.2f ms from creation to start%s", p.Tasks, v, runs)
			})
		for _, p := range pts {
			x := float64(p.Tasks)
			if loop {
				other.points = append(other.points, point{x: x, y: posMs(units.Millis(p.MaxLoopLag)),
					name: fmt.Sprintf("%d tasks: the loop's largest heartbeat lag %s", p.Tasks, units.Duration(p.MaxLoopLag))})
			} else if p.Sched.N > 0 {
				other.points = append(other.points, point{x: x, y: posMs(units.Millis(p.Sched.P99)),
					name: fmt.Sprintf("%d tasks: goroutines waited, runnable, p99 %s (max %s; %d sampled)", p.Tasks, units.Duration(p.Sched.P99), units.Duration(p.Sched.Max), p.Sched.N)})
			}
		}
		series = append(series, starts...)
		if len(other.points) > 0 {
			series = append(series, other)
		}
	}
	f := frame{
		title:   "Scheduling delay against tasks",
		context: "how long a task waits to start (the median of the runs, with 95% intervals where there were several), and the scheduler's own delay in the run shown · " + server,
		stamp:   stamp,
	}
	return xyChart("many_delay", f, logAxis("tasks created at once (log scale)"), yLog("delay (ms, log scale)"), series)
}

// manyGC draws the client process's garbage collections against the tasks.
func manyGC(res *experiments.ManyTasksResult, models []string, server, stamp string) (*Chart, error) {
	var series []xySeries
	for i, m := range models {
		s := xySeries{name: m, color: modelColor(m, i), symbol: modelSymbol(m)}
		series = append(series, medianSeries(s, pointsOf(res, m), func(c experiments.CallPoint) float64 { return float64(c.GCCycles) },
			func(v float64) float64 { return v },
			func(p experiments.CallRuns, v float64, runs string) string {
				return fmt.Sprintf("%d tasks: %.1f collections%s; the run shown: %s of pauses, peak heap %.1f MiB", p.Tasks, v, runs, units.Duration(p.GCPause), units.MiB(p.PeakHeap))
			})...)
	}
	f := frame{
		title:   "Garbage collections against tasks",
		context: "the client process's collections during a run, the median of the runs with 95% intervals where there were several · " + server,
		stamp:   stamp,
	}
	return xyChart("many_gc", f, logAxis("tasks created at once (log scale)"), yFromZero("GC cycles"), series)
}

// posMs is a millisecond value for a log axis: at least a microsecond.
func posMs(v float64) float64 { return round(max(v, 0.001), 3) }

// joinComma joins with commas.
func joinComma(xs []string) string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += ", "
		}
		s += x
	}
	return s
}

// thinSamples returns at most about most of smps, every k-th of them (k
// the smallest that fits), with the one holding the most descriptors and
// the last added where k skipped them; k is 1 when all fit.
func thinSamples(smps []model.ChildSample, most int) (out []model.ChildSample, k int) {
	if len(smps) <= most {
		return smps, 1
	}
	k = (len(smps) + most - 1) / most
	peak := 0
	for i, s := range smps {
		if s.FDs > smps[peak].FDs {
			peak = i
		}
	}
	for i, s := range smps {
		if i%k == 0 || i == peak || i == len(smps)-1 {
			out = append(out, s)
		}
	}
	return out, k
}
