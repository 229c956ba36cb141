package experiments

import (
	"fmt"
	"strings"
)

// Tables are the many-tasks result's figures: per model and task count,
// what the calls met and what the client process held and spent.
func (res *ManyTasksResult) Tables() []Table {
	calls := Table{
		Title:   "Calls by task count",
		Columns: []string{"model", "tasks", "answered", "errors", "wall", "p50", "p99", "σ", "start p99", "loop lag"},
		Note:    "p50, p99, σ: answered calls, task creation to end; start p99: a task's wait from creation to its start; loop lag: the event loop's largest heartbeat lag",
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
			lag = showDur(p.MaxLoopLag)
		}
		calls.Rows = append(calls.Rows, []string{p.Model, fmt.Sprint(p.Tasks), fmt.Sprint(p.OK), errorsText(p.Errors), showDur(p.Wall),
			msText(p.Latency.P50), msText(p.Latency.P99), msText(p.Latency.Std), msText(p.StartDelay.P99), lag})
		heap, stacks, gs := mib(p.PeakHeap), mib(p.PeakStacks), fmt.Sprint(p.PeakGoroutines)
		if strings.HasPrefix(p.Model, "cpython") {
			// The Go runtime measured is the launcher's, not CPython's.
			heap, stacks, gs = "-", "-", "-"
		}
		held.Rows = append(held.Rows, []string{p.Model, fmt.Sprint(p.Tasks), fmt.Sprint(p.PeakLive), fmt.Sprintf("%d / %d", p.PeakFDs, p.NoFile),
			mib(p.PeakRSS), heap, stacks, gs, fmt.Sprint(p.GCCycles), showDur(p.GCPause), showDur(p.CPU)})
	}
	out := []Table{calls, held}
	if len(res.Fits) > 0 {
		fits := Table{
			Title:   "Memory per live task",
			Columns: []string{"model", "per task", "base", "R²", "runs"},
			Note:    "a straight line through the client process's peak resident memory against its peak live tasks",
		}
		for _, f := range res.Fits {
			fits.Rows = append(fits.Rows, []string{f.Model, fmt.Sprintf("%.1f KiB", f.PerTask/1024), fmt.Sprintf("%.1f MiB", f.Base/(1<<20)), fmt.Sprintf("%.4f", f.R2), fmt.Sprint(f.Points)})
		}
		out = append(out, fits)
	}
	return out
}
