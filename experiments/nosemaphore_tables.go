package experiments

import (
	"fmt"

	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// Tables are the no-semaphore result's figures: per model, mode and
// concurrency, what the calls met, how long they took, and what the
// client process and the server saw.
func (res *NoSemaphoreResult) Tables() []Table {
	calls := Table{
		Title:   "Calls by concurrency, without and with the semaphore",
		Columns: []string{"model", "mode", "at once", "answered", "errors", "calls/s", "p50", "p95", "p99", "call p99"},
		Note: fmt.Sprintf("p50, p95, p99: each answered call's task from creation to end (the wait for a semaphore slot included); call p99: the call alone, connect to answer. The server's capacity: %.0f calls/s. Where a setting ran several times, the run whose calls/s is nearest their median.",
			res.Capacity),
	}
	seen := Table{
		Title:   "What the client process and the server saw",
		Columns: []string{"model", "mode", "at once", "descriptors (peak / limit)", "peak RSS", "accept queue (peak / limit)", "SYNs dropped", "served", "dropped for a client gone"},
		Note:    "descriptors: the client process's, read from /proc while it ran; SYNs dropped: the kernel's TcpExt ListenOverflows while the server ran",
	}
	for _, p := range res.Points {
		if p.Crash != "" {
			calls.Rows = append(calls.Rows, []string{p.Model, p.Mode(), fmt.Sprint(p.Concurrency), "-", "the client process died: " + p.Crash, "-", "-", "-", "-", "-"})
			continue
		}
		calls.Rows = append(calls.Rows, []string{p.Model, p.Mode(), fmt.Sprint(p.Concurrency), fmt.Sprint(p.OK), errorsText(p.Errors),
			fmt.Sprintf("%.0f", p.Throughput), msText(p.Latency.P50), msText(p.Latency.P95), msText(p.Latency.P99), msText(p.CallLatency.P99)})
		seen.Rows = append(seen.Rows, []string{p.Model, p.Mode(), fmt.Sprint(p.Concurrency),
			fmt.Sprintf("%d / %d", p.PeakFDs, p.NoFile), units.Bytes(float64(p.PeakRSS)),
			fmt.Sprintf("%d / %d", p.Server.PeakQueue, p.Server.Backlog+1), fmt.Sprint(p.Server.ListenOverflows),
			fmt.Sprint(p.Server.Served), fmt.Sprint(p.Server.Stale)})
	}
	ends := Table{
		Title:   "At the sweep's ends, over the runs",
		Columns: []string{"model", "mode", "at once", "runs", "failed", "timed out", "× capacity", "p99", "call p99"},
		Note:    "the median of the runs [95% interval]: the figures the verdicts judge; failed and timed out as shares of the calls",
	}
	for _, p := range res.Points {
		if len(p.Repeats) == 0 {
			continue
		}
		ci, capacity := p.figureOver, p.capacityFigure(res.Capacity)
		ends.Rows = append(ends.Rows, []string{p.Model, p.Mode(), fmt.Sprint(p.Concurrency), fmt.Sprint(len(p.Repeats)),
			ci(CallPoint.FailedShare, "%.3f"), ci(func(c CallPoint) float64 { return share(c.Errors[model.ErrTimeout], c.Tasks) }, "%.3f"), capacity,
			ci(func(c CallPoint) float64 { return c.Latency.P99 }, "%.1f ms"), ci(func(c CallPoint) float64 { return c.CallLatency.P99 }, "%.1f ms")})
	}
	out := []Table{calls, seen}
	if len(ends.Rows) > 0 {
		out = append(out, ends)
	}
	return out
}
