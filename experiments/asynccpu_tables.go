package experiments

import (
	"fmt"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/internal/units"
)

// Tables are the async-cpu result's figures: each model one after another
// and all at once, the speedup with its 95% interval (and CPython's at the
// calibrated speed beside it), the event loops' lag and the longest step.
func (res *AsyncCPUResult) Tables() []Table {
	if len(res.Points) == 0 {
		return nil
	}
	t := Table{
		Title:   "Each model one after another and all at once",
		Columns: []string{"model", "runs", "one after another (s)", "all at once (s)", "speedup (x)", "calibrated speedup", "worst loop lag", "longest CPU step", "most on a CPU at once"},
		Note: "walls: the median of the runs [95% interval]; speedup: one after another over all at once, round by round, as measured: the median [95% interval], what the verdicts judge; " +
			"calibrated: CPython's with each wall taken over its tasks' CPU per calibrated second, to explain a miss, not judged; lag and step: medians over the runs all at once; " +
			"on a CPU at once: in a run traced apart from the measured ones, at any instant (and, where fewer, for longer than twice the trace's resolution)",
	}
	secs := func(ds []time.Duration) string {
		ci := measure.MedianCI(secondsOf(ds), level)
		return figure(ci.Median, ci.Low, ci.High, ci.N, "%.4f")
	}
	for _, p := range res.Points {
		cal, lag := "-", "-"
		if len(p.Calibrated) > 0 {
			cal = fmt.Sprintf("%.3f (CPU %.2f× calibrated)", p.CalibratedSpeedup, p.Slowdown)
		}
		if len(p.MaxLoopLags) > 0 {
			lag = units.Duration(p.MaxLoopLag)
		}
		t.Rows = append(t.Rows, []string{p.Model, fmt.Sprint(len(p.Speedups)), secs(p.SequentialWalls), secs(p.ConcurrentWalls),
			figure(p.Speedup, p.Low, p.High, len(p.Speedups), "%.3f"), cal, lag, units.Duration(p.LongestStep), p.OnCPUText()})
	}
	return []Table{t}
}

// OnCPUText is the most tasks on a CPU at once in the traced run, e.g. "2",
// or "3 (2 for longer than 0.3 ms)" where an overlap was within the
// trace's resolution; "-" without a traced run.
func (p AsyncCPUPoint) OnCPUText() string {
	switch {
	case p.MaxComputing < 0:
		return "-"
	case p.MaxComputingLow < p.MaxComputing:
		return fmt.Sprintf("%d (%d for longer than %s)", p.MaxComputing, p.MaxComputingLow, units.Duration(2*p.Resolution))
	}
	return fmt.Sprint(p.MaxComputing)
}
