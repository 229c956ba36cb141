package experiments

import (
	"fmt"

	"github.com/boundlab/boundlab/internal/units"
)

// Tables are the many-tasks result's figures: per model and task count,
// what the calls met and what the client process held and spent.
func (res *ManyTasksResult) Tables() []Table {
	calls := Table{
		Title:   "Calls by task count",
		Columns: []string{"model", "tasks", "answered", "errors", "wall", "p50", "p99", "σ", "start p99", "loop lag"},
		Note:    "p50, p99, σ: answered calls, task creation to end; start p99: a task's wait from creation to its start; loop lag: the event loop's largest heartbeat lag. Where a count ran several times, the run whose answered calls a second are nearest their median",
	}
	held := Table{
		Title:   "What the client process held and spent",
		Columns: []string{"model", "tasks", "live at once", "descriptors (peak / limit)", "peak RSS", "heap", "stacks", "goroutines", "GC cycles", "GC pauses", "CPU"},
		Note:    "descriptors and RSS read from /proc while the batch ran (with CPython's interpreter, for cpython); heap (objects), stacks and goroutines from the Go runtime (runtime/metrics), sampled; GC: the Go runtime's collections, or CPython's gc module's",
	}
	for _, p := range res.Points {
		if p.Crash != "" {
			calls.Rows = append(calls.Rows, []string{p.Model, fmt.Sprint(p.Tasks), "-", "the client process died: " + p.Crash, "-", "-", "-", "-", "-", "-"})
			continue
		}
		lag := "-"
		if p.MaxLoopLag > 0 {
			lag = units.Duration(p.MaxLoopLag)
		}
		calls.Rows = append(calls.Rows, []string{p.Model, fmt.Sprint(p.Tasks), fmt.Sprint(p.OK), errorsText(p.Errors), units.Duration(p.Wall),
			msText(p.Latency.P50), msText(p.Latency.P99), msText(p.Latency.Std), msText(p.StartDelay.P99), lag})
		heap, stacks, gs := units.Bytes(float64(p.PeakHeap)), units.Bytes(float64(p.PeakStacks)), fmt.Sprint(p.PeakGoroutines)
		if python(p.Model) {
			// The Go runtime measured is the launcher's, not CPython's.
			heap, stacks, gs = "-", "-", "-"
		}
		held.Rows = append(held.Rows, []string{p.Model, fmt.Sprint(p.Tasks), fmt.Sprint(p.PeakLive), fmt.Sprintf("%d / %d", p.PeakFDs, p.NoFile),
			units.Bytes(float64(p.PeakRSS)), heap, stacks, gs, fmt.Sprint(p.GCCycles), units.Duration(p.GCPause), units.Duration(p.CPU)})
	}
	ends := Table{
		Title:   "At the sweep's ends, over the runs",
		Columns: []string{"model", "tasks", "runs", "failed", "× capacity", "p99", "σ", "start p99", "loop lag", "GC cycles", "memory added"},
		Note:    "the median of the runs [95% interval]: the figures the verdicts judge; failed as a share of the calls; × capacity: answered calls a second over workers / service time",
	}
	for _, p := range res.Points {
		if len(p.Repeats) == 0 {
			continue
		}
		ci, capacity := p.figureOver, p.capacityFigure(res.Capacity)
		ends.Rows = append(ends.Rows, []string{p.Model, fmt.Sprint(p.Tasks), fmt.Sprint(len(p.Repeats)),
			ci(CallPoint.FailedShare, "%.3f"), capacity,
			ci(func(c CallPoint) float64 { return c.Latency.P99 }, "%.1f ms"), ci(func(c CallPoint) float64 { return c.Latency.Std }, "%.1f ms"),
			ci(func(c CallPoint) float64 { return c.StartDelay.P99 }, "%.1f ms"), ci(func(c CallPoint) float64 { return units.Millis(c.MaxLoopLag) }, "%.1f ms"),
			ci(func(c CallPoint) float64 { return float64(c.GCCycles) }, "%.0f"), ci(func(c CallPoint) float64 { return units.MiB(res.Added(c)) }, "%.1f MiB")})
	}
	out := []Table{calls, held}
	if len(ends.Rows) > 0 {
		out = append(out, ends)
	}
	if len(res.Fits) > 0 {
		fits := Table{
			Title:   "Memory per live task",
			Columns: []string{"model", "exponent", "per task", "base", "R²", "runs"},
			Note:    "the resident memory each run added to the client process against its peak live tasks: the exponent fitted on log-log axes [95% interval] (1: in proportion), and a straight line's slope, intercept and R²",
		}
		for _, f := range res.Fits {
			e := f.Exponent
			fits.Rows = append(fits.Rows, []string{f.Model, figure(e.Median, e.Low, e.High, e.N, "%.3f"), units.Bytes(f.PerTask),
				units.Bytes(f.Base), fmt.Sprintf("%.4f", f.R2), fmt.Sprint(f.Points)})
		}
		out = append(out, fits)
	}
	return out
}
