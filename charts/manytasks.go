package charts

import (
	"fmt"
	"strings"

	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/model"
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
		manyMemory, manyFDs, manyFDsOverTime, manyErrors, manyDelay, manyGC,
	} {
		c, err := f(res, models, server, stamp)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// pointsOf returns model m's points that ran (the child did not die), in
// result order (by task count).
func pointsOf(res *experiments.ManyTasksResult, m string) []experiments.CallPoint {
	var out []experiments.CallPoint
	for _, p := range res.Points {
		if p.Model == m && p.Crash == "" {
			out = append(out, p)
		}
	}
	return out
}

// manyMemory draws the client process's peak resident memory and its
// runtime's heap and stacks against its peak live tasks, with each model's
// fitted line.
func manyMemory(res *experiments.ManyTasksResult, models []string, server, stamp string) (*Chart, error) {
	var series []xySeries
	var fits []string
	for i, m := range models {
		pts := pointsOf(res, m)
		color := modelColor(m, i)
		for _, fit := range res.Fits {
			if fit.Model != m || len(pts) == 0 {
				continue
			}
			line := xySeries{name: fmt.Sprintf("%s: %.1f KiB a task (R² %.3f)", m, fit.PerTask/1024, fit.R2), ideal: true}
			lo, hi := float64(pts[0].PeakLive), float64(pts[len(pts)-1].PeakLive)
			for _, x := range []float64{lo, hi} {
				y := (fit.Base + fit.PerTask*x) / (1 << 20)
				line.points = append(line.points, point{x: x, y: round(y, 2), name: fmt.Sprintf("fit: %.1f MiB + %.1f KiB × %.0f tasks = %.1f MiB", fit.Base/(1<<20), fit.PerTask/1024, x, y)})
			}
			series = append(series, line)
			fits = append(fits, fmt.Sprintf("%s %.1f KiB", m, fit.PerTask/1024))
		}
		rss := xySeries{name: m + " · resident (RSS)", color: color, symbol: modelSymbol(m)}
		heap := xySeries{name: m + " · Go heap + stacks", color: lighter(color), symbol: "rect"}
		for _, p := range pts {
			x := float64(p.PeakLive)
			rss.points = append(rss.points, point{x: x, y: round(float64(p.PeakRSS)/(1<<20), 2),
				name: fmt.Sprintf("%d tasks, %d live at once: %.1f MiB resident\nheap %.1f MiB, stacks %.1f MiB, %d goroutines", p.Tasks, p.PeakLive, mibf(p.PeakRSS), mibf(p.PeakHeap), mibf(p.PeakStacks), p.PeakGoroutines)})
			heap.points = append(heap.points, point{x: x, y: round(float64(p.PeakHeap+p.PeakStacks)/(1<<20), 2),
				name: fmt.Sprintf("%d tasks: heap %.1f MiB + goroutine stacks %.1f MiB", p.Tasks, mibf(p.PeakHeap), mibf(p.PeakStacks))})
		}
		if strings.HasPrefix(m, "cpython") {
			series = append(series, rss) // its Go heap is the launcher's
		} else {
			series = append(series, rss, heap)
		}
	}
	f := frame{
		title:   "Memory against live tasks",
		context: "the client process's peak, each run · " + server,
		note:    "dashed: a straight line fitted to the resident memory; per task: " + joinComma(fits),
		stamp:   stamp,
	}
	x := valueAxis("tasks alive at once (peak)")
	x.Min = 0
	y := yValue("memory (MiB)")
	y.Min = 0
	return xyChart("many_memory", f, x, y, series)
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
	y := yValue("open descriptors")
	y.Min = 0
	return xyChart("many_fds", f, logAxis("tasks created at once (log scale)"), y, series)
}

// manyFDsOverTime draws, at the largest task count, each model's open
// descriptors over the run, with the limit.
func manyFDsOverTime(res *experiments.ManyTasksResult, models []string, server, stamp string) (*Chart, error) {
	var series []xySeries
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
			for _, smp := range p.Samples {
				s.points = append(s.points, point{x: round(smp.At.Seconds(), 3), y: float64(smp.FDs),
					name: fmt.Sprintf("%s at %s: %d descriptors, %.1f MiB resident", m, fmtDur(smp.At), smp.FDs, mibf(smp.RSS))})
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
	x := valueAxis("time since the batch started (s)")
	x.Min = 0
	y := yValue("open descriptors")
	y.Min = 0
	return xyChart("many_fds_time", f, x, y, series)
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
		at := map[int]experiments.CallPoint{}
		for _, p := range res.Points {
			if p.Model == m {
				at[p.Tasks] = p
			}
		}
		any := false
		for _, k := range model.ErrKinds() {
			g := barGroup{name: m + " · " + k.Describe(), color: errKindColors[k]}
			if i%2 == 1 {
				g.color = lighter(g.color)
			}
			n := 0
			for _, c := range counts {
				p := at[c]
				v := p.Errors[k]
				if p.Crash != "" {
					v = p.Tasks
				}
				n += v
				g.values = append(g.values, float64(v))
				g.names = append(g.names, fmt.Sprintf("%s, %d tasks: %d failed: %s", m, c, v, k.Describe()))
			}
			if n > 0 {
				any = true
				groups = append(groups, g)
			}
		}
		if !any {
			g := barGroup{name: m + " · errors of any kind", color: modelColor(m, i)}
			for _, c := range counts {
				g.values = append(g.values, 0)
				g.names = append(g.names, fmt.Sprintf("%s, %d tasks: no call failed", m, c))
			}
			groups = append(groups, g)
		}
	}
	f := frame{
		title:   "Failed calls by kind against tasks",
		context: fmt.Sprintf("the clients limited to %d descriptors · %s", res.NoFile, server),
		stamp:   stamp,
	}
	y := yValue("failed calls")
	y.Min = 0
	return barChart("many_errors", f, cats, "tasks created at once", y, groups, nil)
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
		loop := m == "eventloop" || m == "cpython "+model.FlavorAsyncio
		if loop {
			other.name = m + " · largest heartbeat lag"
		}
		for _, p := range pointsOf(res, m) {
			x := float64(p.Tasks)
			start.points = append(start.points, point{x: x, y: posMs(p.StartDelay.P99),
				name: fmt.Sprintf("%d tasks: p99 %.2f ms from creation to start (max %.2f ms)", p.Tasks, p.StartDelay.P99, p.StartDelay.Max)})
			if loop {
				other.points = append(other.points, point{x: x, y: posMs(ms(p.MaxLoopLag)),
					name: fmt.Sprintf("%d tasks: the loop's largest heartbeat lag %s", p.Tasks, fmtDur(p.MaxLoopLag))})
			} else if p.Sched.N > 0 {
				other.points = append(other.points, point{x: x, y: posMs(ms(p.Sched.P99)),
					name: fmt.Sprintf("%d tasks: goroutines waited, runnable, p99 %s (max %s; %d sampled)", p.Tasks, fmtDur(p.Sched.P99), fmtDur(p.Sched.Max), p.Sched.N)})
			}
		}
		series = append(series, start)
		if len(other.points) > 0 {
			series = append(series, other)
		}
	}
	f := frame{
		title:   "Scheduling delay against tasks",
		context: "how long a task waits to start, and the scheduler's own delay · " + server,
		stamp:   stamp,
	}
	return xyChart("many_delay", f, logAxis("tasks created at once (log scale)"), yLog("delay (ms, log scale)"), series)
}

// manyGC draws the client process's garbage collections against the tasks.
func manyGC(res *experiments.ManyTasksResult, models []string, server, stamp string) (*Chart, error) {
	var series []xySeries
	for i, m := range models {
		s := xySeries{name: m, color: modelColor(m, i), symbol: modelSymbol(m)}
		for _, p := range pointsOf(res, m) {
			s.points = append(s.points, point{x: float64(p.Tasks), y: float64(p.GCCycles),
				name: fmt.Sprintf("%d tasks: %d collections, %s of pauses; peak heap %.1f MiB", p.Tasks, p.GCCycles, fmtDur(p.GCPause), mibf(p.PeakHeap))})
		}
		series = append(series, s)
	}
	f := frame{
		title:   "Garbage collections against tasks",
		context: "the client process's collections during each run · " + server,
		stamp:   stamp,
	}
	y := yValue("GC cycles")
	y.Min = 0
	return xyChart("many_gc", f, logAxis("tasks created at once (log scale)"), y, series)
}

// mibf is b in MiB.
func mibf(b int64) float64 { return float64(b) / (1 << 20) }

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
