package experiments

import (
	"fmt"

	"github.com/boundlab/boundlab/internal/units"
)

// Tables are the json result's figures: every variant at the headline
// payload beside its model's baseline, then the payload sweep.
func (res *JSONResult) Tables() []Table {
	p, _ := res.Params.(*JSONParams)
	head := Table{
		Title: "Each variant at the headline payload",
		Columns: []string{"variant", "payload", "runs", "wall", "tasks/s", "p50", "p95", "p99", "worst loop lag",
			"encoding", "cores busy", "memory added", "workers' memory"},
		Note: "the run whose wall time is nearest the runs' median; latencies from each task's submission to its end; encoding: the mean encode segment (on goroutines stretched by time-slicing); cores busy: CPU time over the time from the first encoding's start to the last one's end; memory added: the heap's peak less its start (Go), resident memory (CPython)",
	}
	if p != nil {
		head.Title = fmt.Sprintf("%d tasks at once, each waiting %s then encoding %s", p.Tasks, p.Wait, FormatSize(p.Payload))
	}
	row := func(pt JSONPoint) []string {
		payload, lag, enc, at, workers := "none", "-", "-", "-", "-"
		if !pt.Baseline {
			payload = FormatSize(pt.Payload)
			enc, at = units.Duration(pt.Encode), fmt.Sprintf("%.2f", pt.EncodeCores)
		}
		if pt.Loop || pt.MaxLoopLag > 0 {
			lag = units.Duration(pt.MaxLoopLag)
		}
		if pt.Workers > 0 {
			workers = fmt.Sprintf("%.1f MiB", units.MiB(pt.Workers))
		}
		return []string{pt.Model, payload, fmt.Sprint(len(pt.All())), units.Duration(pt.Wall), fmt.Sprintf("%.0f", pt.Throughput),
			msText(pt.Latency.P50), msText(pt.Latency.P95), msText(pt.Latency.P99), lag, enc, at,
			fmt.Sprintf("%.1f MiB", units.MiB(pt.Memory)), workers}
	}
	for _, pt := range res.Baselines {
		head.Rows = append(head.Rows, row(pt))
	}
	for _, pt := range res.Headline {
		head.Rows = append(head.Rows, row(pt))
	}
	out := []Table{head}
	if len(res.Sweep) > 0 {
		sw := Table{
			Title:   "Payload sweep",
			Columns: []string{"variant", "payload", "wall", "tasks/s", "p99", "worst loop lag", "encoding", "memory added"},
		}
		for _, pt := range res.Sweep {
			lag := "-"
			if pt.Loop {
				lag = units.Duration(pt.MaxLoopLag)
			}
			sw.Rows = append(sw.Rows, []string{pt.Model, FormatSize(pt.Payload), units.Duration(pt.Wall), fmt.Sprintf("%.0f", pt.Throughput),
				msText(pt.Latency.P99), lag, units.Duration(pt.Encode), fmt.Sprintf("%.1f MiB", units.MiB(pt.Memory))})
		}
		out = append(out, sw)
	}
	return out
}
